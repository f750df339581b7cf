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


def _examples():
    return {label: examples for label, (_, _, examples) in LABELLED_MISTAKES.items()}


def syntax_diagnostic(exc, source: str, path: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    from .parse import parser

    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    if line is None or line < 1:  # end of input: point just past the last character
        lines = source.rstrip("\n").split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    span = Span(path, line, column, line, column + 1)

    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else ""
        if char == '"':
            return Diagnostic("PL101", "unterminated string", span, "close it with `\"` on the same line")
        if char == "/":
            return Diagnostic("PL102", "unexpected `/`", span, "a regex literal reads `/pattern/`; it cannot be empty")
        hint = CHARACTER_HINTS.get(char)
        return Diagnostic("PL102", f"unexpected character `{char}`", span, hint)

    label = None
    try:
        label = exc.match_examples(lambda text: parser().parse(text, start="start"), _examples(),
                                   use_accepts=True)
    except Exception:  # a label is a nicety: never let it hide the real error
        label = None
    at_end = isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END")
    if label is not None and (LABELLED_MISTAKES[label][0] == "PL104") != at_end:
        label = None  # the same parser state, but not the same mistake
    if at_end and label is None:
        if source.count("{") > source.count("}"):
            label = "the file ends inside a block: a `}` is missing"
        else:
            return Diagnostic("PL104", "unexpected end of file", span, _expected_help(exc))
    if label:
        code, help_text, _ = LABELLED_MISTAKES[label]
        return Diagnostic(code, label, span, help_text or _expected_help(exc))
    found = getattr(getattr(exc, "token", None), "value", "")
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
