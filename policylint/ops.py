"""The language's operators on runtime values, shared by the compiled closures and the
explainer so both agree on what `==`, `contains` and `matches` mean.
"""
from __future__ import annotations

import sys

from .errors import EvaluationError
from .functions.collections import items_of
from .regex import RegexError, found
from .values import LStr, PathValue, Record


_MODULES = sys.modules


def is_date(value) -> bool:
    """Whether `value` is a date (or a datetime). No date exists before something imports
    datetime (a date literal, a loader, a configuration's waiver), so a run that has none
    skips its import (~5M instructions of check FILE's start-up)."""
    datetime = _MODULES.get("datetime")
    return datetime is not None and isinstance(value, datetime.date)


class Percent(float):
    """A percent literal: compares as its number (80% == 80), prints as `80%`."""

    def __str__(self) -> str:
        return f"{float(self):g}%"

    def __repr__(self) -> str:
        return str(self)

    def __reduce__(self):
        return (Percent, (float(self),))


def text_of(value):
    """The text a record stands for when compared with a string (a heading's title)."""
    if isinstance(value, Record):
        return value.fields.get("text", value)
    return value


# Values `==` compares as Python does: text (located or not), numbers that are no booleans,
# null. The other cases below: a record by its text, dates, booleans.
PLAIN = frozenset({str, LStr, PathValue, int, float, type(None)})


def equal(a, b) -> bool:
    if type(a) in PLAIN and type(b) in PLAIN:
        return a == b
    a, b = text_of(a), text_of(b)
    if is_date(a) or is_date(b):
        from .functions.dates import as_date

        return as_date(a) == as_date(b) if a is not None and b is not None else a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (type(a) is bool and type(b) is bool and a == b)
    return a == b


def order(op: str, a, b) -> bool:
    a, b = text_of(a), text_of(b)
    if a is None or b is None:
        return False  # nothing is greater or smaller than a missing value
    if is_date(a) or is_date(b):
        from .functions.dates import as_date

        a, b = as_date(a), as_date(b)
        if a is None or b is None:
            return False
    try:
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b
    except TypeError:
        raise EvaluationError(f"cannot compare {kind(a)} with {kind(b)} using `{op}`") from None


def contains(container, item) -> bool:
    container = text_of(container) if not isinstance(container, Record) or "text" in container.fields else container
    if isinstance(container, str):
        return str(text_of(item)) in container
    if isinstance(container, dict):
        return text_of(item) in container
    return any(equal(element, item) for element in items_of(container))


def missing_from(container, wanted) -> list:
    """The elements of `wanted` that `container` does not contain."""
    return [w for w in items_of(wanted) if not contains(container, w)]


def matches(value, regex) -> bool:
    value = text_of(value)
    if value is None:
        return False
    if not isinstance(value, str):
        raise EvaluationError(f"`matches` needs text, found {kind(value)}")
    try:
        return found(regex, value)
    except RegexError as exc:
        raise EvaluationError(f"invalid regex {regex!s}: {exc}") from None


def truthy(value) -> bool:
    if type(value) is bool:
        return value
    if isinstance(value, Record):
        rtype_items = items_of(value)
        return bool(rtype_items) if rtype_items is not value else True
    return bool(value)


def arith(op: str, a, b):
    if op == "/" and a is None and isinstance(b, str):
        return None  # under a missing path, a missing path
    if op == "/" and isinstance(a, str):
        if b is None:  # a path under a missing name is missing, never the folder `None`
            return None
        base = a if isinstance(a, PathValue) else PathValue(a)
        return base.join(str(text_of(b)))
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if op == "+" and isinstance(a, list) and isinstance(b, list):
        return a + b
    if not _is_number(a) or not _is_number(b):
        raise EvaluationError(f"`{op}` needs numbers, found {kind(a)} and {kind(b)}")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None  # no division by zero: a missing value, which fails comparisons
    return a / b


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def field(value, name: str):
    if isinstance(value, Record):
        if name in value.fields:
            return value.get(name)
        raise EvaluationError(f"{value.type} has no field `{name}`")
    if isinstance(value, dict):
        return value.get(name)
    if isinstance(value, str):
        path = value if isinstance(value, PathValue) else PathValue(value)
        import posixpath

        if name == "name":
            return posixpath.basename(path)
        if name == "stem":
            return posixpath.splitext(posixpath.basename(path))[0]
        if name == "suffix":
            return posixpath.splitext(path)[1]
        if name == "parent":
            return PathValue(posixpath.dirname(path) or ".")
    if value is None:
        return None  # a field of a missing value is missing too, as `x[i]` of null is
    if isinstance(value, list):
        return [field(item, name) for item in value]  # `branches.name`: the field of each element
    raise EvaluationError(f"{kind(value)} has no field `{name}`")


def index(value, key):
    if isinstance(value, Record):
        return value.get(str(key))
    if isinstance(value, dict):
        return value.get(str(key) if not isinstance(key, (int, float)) else key)
    if isinstance(value, (list, str)):
        if not _is_number(key):
            raise EvaluationError(f"a {kind(value)} is indexed by a number, found {kind(key)}")
        i = int(key)
        return value[i] if -len(value) <= i < len(value) else None
    if value is None:
        return None
    raise EvaluationError(f"cannot index {kind(value)}")


def kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "Str"
    if isinstance(value, list):
        return "List"
    if isinstance(value, Record):
        return value.type
    if is_date(value):
        return "Date"
    return type(value).__name__


MAX_QUOTE = 500  # characters of one value a message quotes (a param listing ten paths fits)
MAX_MESSAGE = 2_000  # characters of one message or evidence line, whatever it quotes


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    """At most `limit` characters of `text`, then how many were left out: a 50 MB one-line
    file quoted in a message makes a line of a report, not 50 MB of it."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def show(value, limit: int = 80) -> str:
    """A short, readable rendering of a value for explanations."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Percent):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = str(value)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return '"' + text.replace("\n", "\\n") + '"'
    if is_date(value):
        return value.isoformat()
    if isinstance(value, Record):
        if "text" in value.fields:
            return show(value.fields["text"], limit)
        if "id" in value.fields:
            return f"{value.type} {value.fields['id']}"
        return value.type
    if isinstance(value, list):
        if not value:
            return "[]"
        shown = ", ".join(show(v, 30) for v in value[:5])
        more = f", … ({len(value) - 5} more)" if len(value) > 5 else ""
        return f"[{shown}{more}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, 30)}" for k, v in list(value.items())[:5]) + "}"
    return str(value)
