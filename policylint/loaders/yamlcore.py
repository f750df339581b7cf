"""YAML 1.2's core schema for plain scalars, apart from the YAML reader: OpenSpec's simple
`key: word` files are read with it alone, without importing (and compiling) the whole reader."""
from __future__ import annotations

from ..patterns import lazy

# As OpenSpec's `yaml` package reads plain scalars (not YAML 1.1's `yes`, dates and `0777`)
_CORE_NULL = lazy(r"(?:~|null|Null|NULL|)\Z")
_CORE_BOOL = lazy(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_CORE_INT = lazy(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_CORE_FLOAT = lazy(r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                   r"|\.nan|\.NaN|\.NAN)\Z")
_CORE_SPECIAL = {".inf": "inf", ".Inf": "inf", ".INF": "inf", ".nan": "nan", ".NaN": "nan", ".NAN": "nan"}


def core_scalar(text: str):
    """A plain scalar as YAML 1.2's core schema reads it: None, a bool, an int, a float, else `text`."""
    if _CORE_NULL.match(text):
        return None
    if _CORE_BOOL.match(text):
        return text.lower() == "true"
    if _CORE_INT.match(text):
        if text.startswith(("0o", "0x")):
            return int(text, 8 if text[1] == "o" else 16)
        try:
            return int(text)
        except ValueError:  # more digits than Python converts: a JavaScript number, as OpenSpec has it
            return float(text)
    if _CORE_FLOAT.match(text):
        sign, rest = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
        return float(sign + _CORE_SPECIAL.get(rest, rest))
    return text
