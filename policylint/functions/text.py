"""Functions over strings."""
from __future__ import annotations

from ..signature import builtin
from ..types import ANY, BOOL, NUMBER, STR, List
from ..values import LStr, Record, new_lstr

# Gates call these once per element they walk: text (a `str` or a located one) is read as it
# is, without the conversions other values need.


def _text(value) -> str:
    if isinstance(value, Record):
        return str(value.fields.get("text", ""))
    return "" if value is None else str(value)


def _keep_loc(result: str, source) -> str:
    loc = getattr(source, "loc", None)
    return LStr(result, loc) if loc is not None else result


# `lower(it.text)` of a document's headings comes back for every section a pack looks for (the
# speckit pack's `section()`, a dozen a spec): a located text's lower case is made once, found
# again by the text's identity (kept alive here, so no other object takes its id); at most this
# many kept, forgotten all at once.
_LOWERED: dict = {}
MAX_LOWERED_KEPT = 4096


@builtin("lower", {"text": STR}, STR, "The text in lower case.")
def lower(text):
    if type(text) is str:
        return text.lower()
    if type(text) is LStr:
        kept = _LOWERED.get(id(text))
        if kept is not None and kept[0] is text:
            return kept[1]
        loc = text.loc
        lowered = new_lstr(str.lower(text), loc) if loc is not None else str.lower(text)
        if len(_LOWERED) >= MAX_LOWERED_KEPT:
            _LOWERED.clear()
        _LOWERED[id(text)] = (text, lowered)
        return lowered
    return _keep_loc(_text(text).lower(), text)


@builtin("upper", {"text": STR}, STR, "The text in upper case.")
def upper(text):
    return _keep_loc(_text(text).upper(), text)


@builtin("trim", {"text": STR}, STR, "The text without leading and trailing white space.")
def trim(text):
    if type(text) is LStr:
        loc = text.loc
        return new_lstr(str.strip(text), loc) if loc is not None else str.strip(text)
    return _keep_loc(_text(text).strip(), text)


@builtin("startswith", {"text": STR, "prefix": STR}, BOOL, "True if `text` begins with `prefix`.")
def startswith(text, prefix):
    if isinstance(text, str) and isinstance(prefix, str):
        return str.startswith(text, prefix)
    return _text(text).startswith(_text(prefix))


@builtin("endswith", {"text": STR, "suffix": STR}, BOOL, "True if `text` ends with `suffix`.")
def endswith(text, suffix):
    if isinstance(text, str) and isinstance(suffix, str):
        return str.endswith(text, suffix)
    return _text(text).endswith(_text(suffix))


@builtin("split", {"text": STR, "separator": STR}, List(STR), "The parts of `text` between separators, trimmed.")
def split(text, separator):
    return [_keep_loc(part.strip(), text) for part in _text(text).split(_text(separator))]


@builtin("join", {"items": List(ANY), "separator": STR}, STR, "The elements as text, with `separator` between them.")
def join(items, separator):
    return _text(separator).join(_text(item) for item in items or [])


@builtin("replace", {"text": STR, "old": STR, "new": STR}, STR, "The text with every `old` replaced by `new`.")
def replace(text, old, new):
    return _keep_loc(_text(text).replace(_text(old), _text(new)), text)


@builtin("find", {"text": STR, "pattern": ANY}, STR,
         "The first match of a regex in `text` (its first group if it has one), or null.")
def find(text, pattern):
    from ..regex import compile_regex

    match = compile_regex(pattern).search(_text(text))
    if match is None:
        return None
    value = match.group(1) if match.re.groups else match.group(0)
    return _keep_loc(value, text) if value is not None else None


@builtin("number", {"text": ANY}, NUMBER, "The text read as a number (`80`, `80.5`, `80%`), or null.")
def number(text):
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    raw = _text(text).strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


@builtin("string", {"value": ANY}, STR, "The value as text.")
def string(value):
    from ..values import to_plain

    if isinstance(value, str):
        return value
    plain = to_plain(value)
    return "null" if plain is None else str(plain).lower() if isinstance(plain, bool) else str(plain)
