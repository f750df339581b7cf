"""Human labels for common syntax mistakes (after Lark's `match_examples`).

Each label is matched by the parser state the bad example leaves Lark in, so a new
mistake is taught by adding an example here and a case in tests/cases/errors/syntax.yaml
that shows its message in a context the examples do not.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, Span

# label -> (code, help, examples). Examples are whole policy files; each should fail at
# the mistake it teaches (a new context or kind of token the label misses needs one more).
LABELLED_MISTAKES = {
    "missing `{` after the gate's title": ("PL100", 'a gate reads `gate name "Title" { require … }`', [
        'gate a "t" require x',
        'gate a "t" error require x',
        'gate a "t" warning require x',
        'gate a "t" info require x',
        'gate a "t" unwaivable require x',
        'gate a "t" when x require y',
    ]),
    "`require` must be inside a gate": ("PL100", 'wrap it: `gate name "Title" { require … }`', [
        "require x",
        'gate a "t" { }\nrequire x',
        "lifecycle l in x { require x }",
        "lifecycle l in x { stage s { require x } }",
    ]),
    "`=` assigns; use `==` to compare": ("PL100", "`=` only gives a `let` or a `param` its value", [
        'gate a "t" { require x = 1 }',
        'gate a "t" { let y = x = 1 }',
        'gate a "t" when x = 1 { }',
        "let y = x = 1",
        'gate a "t" { require f(x = 1) }',
        'gate a "t" { require every t in ts where t.x = 1: t }',
    ]),
    "missing `:` before the quantifier's condition": ("PL100", "write `every x in xs: condition`", [
        'gate a "t" { require every t in ts t.done }',
        'gate a "t" { require no t in x.y t.done }',
        'gate a "t" { require some t in f(x) t }',
        'gate a "t" { require some t in [x] t }',
        'gate a "t" { require some t in "x" t }',
        'gate a "t" { require every t in ts where t.x t }',
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
    ]),
    "gate names cannot contain spaces; put the title in quotes": ("PL100", 'write `gate my-gate "My gate" { … }`', [
        'gate a b { }',
        'gate a b "t" { }',
    ]),
    "`stage` must be inside a lifecycle": ("PL100", "write `lifecycle name in dirs(\"…\") { stage … }`", [
        "stage s { }",
        'gate a "t" { }\nstage s { }',
    ]),
    "`claims` must be inside a lifecycle": ("PL100", "write `lifecycle name in dirs(\"…\") { claims … }`", [
        "claims x",
        'gate a "t" { }\nclaims x',
    ]),
    "missing value after the operator": ("PL100", "finish the expression (`count(xs) >= 1`) or remove the operator", [
        'gate a "t" { require x == }',
        'gate a "t" { require x and }',
        'gate a "t" { require x or }',
        'gate a "t" { require not }',
        'gate a "t" { require - }',
        'gate a "t" { require x + }',
        'gate a "t" { require x * }',
        'gate a "t" { require x in }',
        'gate a "t" { require x not in }',
        'gate a "t" { require x contains }',
        'gate a "t" { require x contains all }',
        'gate a "t" { require x contains any }',
        'gate a "t" { require x matches }',
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

CHARACTER_HINTS = {  # `=` is never here: the lexer knows it, so it arrives as a token
    "&": "write `and` instead of `&&`",
    "|": "write `or` instead of `||`",
    "!": "write `not` instead of `!` (and `!=` to compare)",
    "'": 'strings use double quotes: "text"',
    ";": "statements end at the end of the line; no `;` is needed",
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

    An example fails like `exc` when the parser is left in the same LALR state and would
    accept the same tokens next. Unlike Lark's `match_examples`, the depth of the parser's
    stack is not compared, so a mistake taught at the top of a file is also recognised
    inside a lifecycle's stage; the accepted tokens keep apart the states that are shared
    by every context (such as "just read a name"). An example failing on the same token
    wins over one that merely fails in the same state.
    """
    from lark.exceptions import UnexpectedInput

    from .parse import parser

    state = getattr(exc, "state", None)
    if state is None:
        return None
    token = getattr(exc, "token", None)
    accepts = _accepts(exc)
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
                if same_token and _accepts(other) <= accepts:
                    return label
            elif other.state.position == state.position and _accepts(other) == accepts:
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
        hint = CHARACTER_HINTS.get(char)
        return Diagnostic("PL102", f"unexpected character `{char}`", span, hint)
    if getattr(token, "value", None) == "/" and "REGEX" in _accepts(exc):  # not a regex, so a division
        return Diagnostic("PL102", "unexpected `/`", span,
                          "a regex literal reads `/pattern/`: not empty, and not starting with a space or `*`")

    typo = _misspelt_keyword(exc, token)
    if typo:
        return Diagnostic("PL100", f"unexpected `{token}`", span, f"did you mean `{typo}`?")

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


def _misspelt_keyword(exc, token) -> str | None:
    """The keyword accepted here that the unexpected name is a typo of (`requre`), or None."""
    import difflib

    from .parse import parser

    if getattr(token, "type", None) not in ("NAME", "DECL_NAME"):
        return None
    keywords = []
    for name in _accepts(exc):
        try:
            pattern = parser().get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str" and pattern.value.isalpha():
            keywords.append(pattern.value)
    close = difflib.get_close_matches(str(token), sorted(keywords), n=1, cutoff=0.75)
    return close[0] if close else None


def _expected_help(exc) -> str | None:
    names = _accepts(exc) or set(getattr(exc, "allowed", None) or ())
    if not names:
        return None
    pretty = {TERMINAL_NAMES.get(n, f"`{n.lower()}`") for n in names if not n.startswith("__")}
    pretty = sorted(pretty, key=lambda p: (p.startswith("`"), p))  # "a name", "a string" first
    shown = ", ".join(pretty[:8]) + (f" ({len(pretty) - 8} more)" if len(pretty) > 9 else "".join(", " + p for p in pretty[8:]))
    return f"expected one of: {shown}"


TERMINAL_NAMES = {
    "NAME": "a name", "DECL_NAME": "a name", "STRING": "a string", "NUMBER": "a number",
    "PERCENT": "a percentage", "DATE": "a date", "REGEX": "a regex", "LBRACE": "`{`", "RBRACE": "`}`",
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COLON": "`:`", "COMMA": "`,`",
    "DOT": "`.`", "EQUAL": "`=`", "COMPARE": "a comparison", "ADD_OP": "`+`/`-`", "MUL_OP": "`*`/`/`",
    "MINUS": "`-`", "$END": "end of file",
}
