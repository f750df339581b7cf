"""Human labels for common syntax mistakes (Lark's `match_examples`).

Each label is matched by the parser state the bad example leaves Lark in, so a new
mistake is taught by adding an example here and a test case that shows its message.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Span

# label -> (code, help, examples). Examples are whole policy files.
LABELLED_MISTAKES = {
    "missing `{` after the gate's title": ("PL100", 'a gate reads `gate name "Title" { require … }`', [
        'gate a "t" require x',
        'gate a "t" warning require x',
        'stage s { gate a "t" require x }',
    ]),
    "`require` must be inside a gate": ("PL100", 'wrap it: `gate name "Title" { require … }`', [
        "require x",
        "stage s { require x }",
        "lifecycle l in x { stage s { require x } }",
        "lifecycle l in x { require x }",
    ]),
    "`=` assigns; use `==` to compare": ("PL100", "write `require x == 1`", [
        'gate a "t" { require x = 1 }',
        'gate a "t" { require x.y = "a" }',
        'gate a "t" { require f(x) = 1 }',
    ]),
    "missing `:` before the quantifier's condition": ("PL100", "write `every x in xs: condition`", [
        'gate a "t" { require every t in ts t.done }',
        'gate a "t" { require no t in x.y t.done }',
        'gate a "t" { require some t in f(x) t }',
    ]),
    "missing `in` after the quantifier's variable": ("PL100", "write `every x in xs: condition`", [
        'gate a "t" { require every t ts: t }',
        'gate a "t" { require every t: t }',
    ]),
    "`else` must be followed by a message string": ("PL100", 'write `require … else "message with {values}"`', [
        'gate a "t" { require x else y }',
        'gate a "t" { require x else }',
    ]),
    "a gate needs a name before its title": ("PL100", 'write `gate my-gate "Title" { … }`', [
        'gate "t" { }',
        'stage s { gate "t" { } }',
    ]),
    "gate names cannot contain spaces; put the title in quotes": ("PL100", 'write `gate my-gate "My gate" { … }`', [
        'gate a b { }',
        'gate a b "t" { }',
        'stage s { gate a b { } }',
    ]),
    "`stage` must be inside a lifecycle": ("PL100", "write `lifecycle name in dirs(\"…\") { stage … }`", [
        "stage s { }",
    ]),
    "`claims` must be inside a lifecycle": ("PL100", None, [
        "claims x",
        "stage s { claims x }",
    ]),
    "missing value after the operator": ("PL100", None, [
        'gate a "t" { require x == }',
        'gate a "t" { require x and }',
        'gate a "t" { require x > }',
        'gate a "t" { require x contains }',
    ]),
    "the file ends inside a block: a `}` is missing": ("PL104", "every `{` needs its `}`", [
        'gate a "t" {',
        'gate a "t" { require x',
        "lifecycle l in x { stage s {",
        "lifecycle l in x {",
        'lifecycle l in x { stage s { gate a "t" { } }',
    ]),
    "a lifecycle needs `in` and the expression that finds its subjects": ("PL100", 'write `lifecycle spec in dirs("specs/*") { … }`', [
        "lifecycle l { }",
        'lifecycle l dirs("x") { }',
    ]),
}

CHARACTER_HINTS = {
    "&": "write `and` instead of `&&`",
    "|": "write `or` instead of `||`",
    "!": "write `not` instead of `!` (and `!=` to compare)",
    "'": 'strings use double quotes: "text"',
    ";": "statements end at the end of the line; no `;` is needed",
    "=": "use `==` to compare",
}


# Labels about the unexpected keyword itself. Such a label needs that very keyword, and
# matches wherever the parser accepts at least what it accepted in one of the examples: the
# state a misplaced keyword fails in depends on what came before it (a `let`, a header, a
# `}`), so `require x` at the top of a file also teaches `let n = 1` followed by `require`.
KEYWORD_LABELS = {
    "`require` must be inside a gate",
    "`=` assigns; use `==` to compare",
    "`stage` must be inside a lifecycle",
    "`claims` must be inside a lifecycle",
}


def _label(exc) -> str | None:
    """The label whose example fails like `exc`, or None.

    Lark's `match_examples` compares the whole parser stack, so a mistake taught at the
    top of a file would not be recognised inside a lifecycle's stage. Here the other
    labels compare only the LALR state the parser is in; an example failing on the same
    token wins over one that merely fails in the same state.
    """
    from lark.exceptions import UnexpectedInput

    from .parse import parser

    state = getattr(exc, "state", None)
    if state is None:
        return None
    token = getattr(exc, "token", None)
    candidate = None
    for label, (_, _, examples) in LABELLED_MISTAKES.items():
        for example in examples:
            try:
                parser().parse(example, start="start")
                continue
            except UnexpectedInput as failed:
                other = failed
            if getattr(other, "state", None) is None:
                continue
            same_token = token is not None and getattr(other, "token", None) == token
            if label in KEYWORD_LABELS:
                if same_token and _accepts(other) <= _accepts(exc):
                    return label
            elif other.state.position == state.position:
                if same_token:
                    return label
                candidate = candidate or label
    return candidate


def _accepts(exc) -> set:
    return set(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())


def _after_previous(exc) -> tuple | None:
    """(line, column) just past the last token the parser read: where a missing piece goes."""
    from lark import Token, Tree

    for value in reversed(getattr(getattr(exc, "state", None), "value_stack", None) or []):
        if isinstance(value, Token) and value.end_line is not None:
            return value.end_line, value.end_column
        if isinstance(value, Tree) and not value.meta.empty:
            return value.meta.end_line, value.meta.end_column
    return None


def syntax_diagnostic(exc, source: str, path: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    at_end = isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END")
    if at_end or not isinstance(line, int) or line < 1:  # point just past the last character
        lines = source.rstrip("\n").split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    end = column + 1
    token = getattr(exc, "token", None)
    if not at_end and getattr(token, "end_line", None) == line and token.end_column:
        end = max(end, token.end_column)  # underline the whole unexpected token
    span = Span(path, line, column, line, end)

    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else ""
        if char == '"':
            return Diagnostic("PL101", "unterminated string", span, "close it with `\"` on the same line")
        if char == "/":
            return Diagnostic("PL102", "unexpected `/`", span, "a regex literal reads `/pattern/`; it cannot be empty")
        hint = CHARACTER_HINTS.get(char)
        return Diagnostic("PL102", f"unexpected character `{char}`", span, hint)

    try:
        label = _label(exc)
    except Exception:  # a label is a nicety: never let it hide the real error
        label = None
    if label is not None and (LABELLED_MISTAKES[label][0] == "PL104") != at_end:
        label = None  # the same parser state, but not the same mistake
    if at_end and label is None:
        if source.count("{") > source.count("}"):
            label = "the file ends inside a block: a `}` is missing"
        else:
            return Diagnostic("PL104", "unexpected end of file", span, _expected_help(exc))
    if label:
        code, help_text, _ = LABELLED_MISTAKES[label]
        previous = _after_previous(exc) if label not in KEYWORD_LABELS and not at_end else None
        if previous is not None and previous[0] < line:  # something is missing at the end of a line:
            span = Span(path, previous[0], previous[1], previous[0], previous[1] + 1)  # point there
        return Diagnostic(code, label, span, help_text or _expected_help(exc))
    found = getattr(token, "value", "")
    message = f"unexpected `{found}`" if found else "unexpected input"
    return Diagnostic("PL100", message, span, _expected_help(exc))


def _expected_help(exc) -> str | None:
    names = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    if not names:
        return None
    pretty = [TERMINAL_NAMES.get(n, f"`{n.lower()}`") for n in names if not n.startswith("__")]
    pretty = sorted(set(pretty))
    shown = ", ".join(pretty[:8]) + (f" ({len(pretty) - 8} more)" if len(pretty) > 8 else "")
    return f"expected one of: {shown}"


TERMINAL_NAMES = {
    "NAME": "a name", "DECL_NAME": "a name", "STRING": "a string", "NUMBER": "a number",
    "PERCENT": "a percentage", "DATE": "a date", "REGEX": "a regex", "LBRACE": "`{`", "RBRACE": "`}`",
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COLON": "`:`", "COMMA": "`,`",
    "DOT": "`.`", "EQUAL": "`=`", "COMPARE": "a comparison", "ADD_OP": "`+`/`-`", "MUL_OP": "`*`/`/`",
    "MINUS": "`-`", "$END": "end of file",
}
