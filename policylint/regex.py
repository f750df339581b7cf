"""Regexes run through RE2: linear time, so a hostile pattern or input cannot hang a run."""
from __future__ import annotations

from functools import lru_cache

FLAG_PREFIX = {"i": "i", "m": "m", "s": "s", "U": "U"}


class RegexError(ValueError):
    pass


@lru_cache(maxsize=512)
def _compile(pattern: str, flags: str):
    import re2

    options = re2.Options()
    options.log_errors = False
    prefix = "".join(FLAG_PREFIX[f] for f in flags if f in FLAG_PREFIX)
    source = f"(?{prefix}){pattern}" if prefix else pattern
    try:
        return re2.compile(source, options)
    except re2.error as exc:
        message = exc.args[0] if exc.args else exc
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise RegexError(str(message)) from None


def compile_regex(pattern, flags: str = ""):
    """A compiled RE2 pattern from a regex value or a string."""
    if hasattr(pattern, "search"):
        return pattern
    return _compile(str(pattern), flags)


class RegexValue:
    """A regex literal at run time: compiled once, shown as `/pattern/flags`."""

    __slots__ = ("pattern", "flags", "compiled")

    def __init__(self, pattern: str, flags: str = ""):
        self.pattern, self.flags = pattern, flags
        self.compiled = _compile(pattern, flags)

    def search(self, text: str):
        return self.compiled.search(text)

    def __str__(self) -> str:
        return f"/{self.pattern}/{self.flags}"


def found(regex, text: str) -> bool:
    """Whether `regex` (a regex value, a pattern string or a compiled RE2) matches somewhere in
    `text`. The yes/no that `matches` needs, asked of RE2 directly: the binding's `search`
    builds a match object and maps byte offsets back to characters on every call, which is
    most of the time a pack spends matching."""
    compiled = compile_regex(regex)
    compiled = getattr(compiled, "compiled", compiled)  # a regex literal holds its compiled RE2
    engine = getattr(compiled, "_regexp", None)
    anchor = _unanchored()
    if engine is not None and anchor is not None:
        data = text.encode("utf-8", "surrogatepass")
        try:
            return engine.Match(anchor, data, 0, len(data))[0][0] != -1
        except (TypeError, AttributeError, IndexError):  # a binding whose extension differs
            pass
    return compiled.search(text) is not None


@lru_cache(maxsize=None)
def _unanchored():
    """RE2's unanchored mode from google-re2's extension, or None for another binding."""
    try:
        from re2 import _re2

        return _re2.RE2.Anchor.UNANCHORED
    except (ImportError, AttributeError):
        return None
