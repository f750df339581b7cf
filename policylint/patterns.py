"""The loaders' own regexes (Python `re`, patterns written in policylint, never a pack's),
compiled when first used rather than when their module is imported.

A loader declares its patterns at module level, dozens of them; compiling them all costs the
pre-commit path (`check FILE`, one subject) ~13 ms of its ~100, though such a run uses only
some. `lazy(pattern, flags)` stands in for `re.compile(pattern, flags)`: the first read of
one of its attributes compiles the pattern and keeps the compiled pattern's bound methods
in slots, so each later `.match` is a plain slot read (no slower than on the compiled
pattern itself). It is not a `re.Pattern`: pass its methods, not the object, to `re`
functions.
"""
from __future__ import annotations

import re

_FORWARDED = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split", "scanner",
              "pattern", "flags", "groups", "groupindex")


class lazy:  # noqa: N801 - used where `re.compile` was, and reads like it
    __slots__ = ("_source",) + _FORWARDED

    def __init__(self, pattern: str, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name: str):
        """Reached only while a slot is unset, that is before the first use."""
        if name not in _FORWARDED:
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _FORWARDED:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r}, {self._source[1]!r})"
