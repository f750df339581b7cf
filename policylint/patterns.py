"""The loaders' own regexes (Python `re`, patterns written in policylint, never a pack's),
compiled when first used rather than when their module is imported, and kept compiled in the
user's cache.

A loader declares its patterns at module level, dozens of them; a run uses some, and compiling
those (parsing the pattern, writing its program) costs `check FILE` on one spec ~7 % of its CPU,
every run, for the same result. So:

- `lazy(pattern, flags)` stands in for `re.compile(pattern, flags)`: the first read of one of its
  attributes compiles the pattern and keeps the compiled pattern's bound methods in slots, so
  each later `.match` is a plain slot read (no slower than on the compiled pattern itself). It
  is not a `re.Pattern`: pass its methods, not the object, to `re` functions.
- once the command has opened the user's cache (`keep_compiled_in`), a pattern's program, as
  `re` writes it, is read from there and handed to `_sre.compile`, which validates it; one
  compiled afresh is added to the entry, written when the process exits. The entry is signed
  like every cache entry, keyed by the Python build (its `re` programs are its own), and
  anything in it that does not build a pattern is compiled again as `re` would. A program is
  kept as the hex of its code units (native order, `_sre.CODESIZE` bytes each), one JSON string
  rather than thousands of JSON numbers, which cost that run ~1M instructions to parse.
"""
from __future__ import annotations

import re

_FORWARDED = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split", "scanner",
              "pattern", "flags", "groups", "groupindex")


class lazy:  # noqa: N801 - used where `re.compile` was, and reads like it
    __slots__ = ("_source",) + _FORWARDED

    def __init__(self, pattern: str, flags: int = 0):
        self._source = (pattern, int(flags))

    def __getattr__(self, name: str):
        """Reached only while a slot is unset, that is before the first use."""
        if name not in _FORWARDED:
            raise AttributeError(name)
        compiled = compile_kept(*self._source)
        for attribute in _FORWARDED:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r}, {self._source[1]!r})"


_store = None  # the user's cache, once the command has opened it
_programs: dict | None = None  # "flags\0pattern" -> [flags, code as hex, groups, groupindex, indexgroup]
_UNIT = {2: "H", 4: "I", 8: "Q"}  # a code unit's size -> its memoryview format
_added = False


def keep_compiled_in(cache) -> None:
    """Patterns compiled from now on are read from, and added to, `cache` (a `cache.Cache`)."""
    global _store, _programs
    if cache is not _store:
        _store, _programs = cache, None


def compile_kept(pattern: str, flags: int = 0) -> re.Pattern:
    """`re.compile(pattern, flags)`, its program taken from the cache when it holds it."""
    global _programs, _added
    if _store is None:
        return re.compile(pattern, flags)
    if _programs is None:
        found = _store.get("patterns", _entry_key())
        _programs = found if type(found) is dict else {}
    key = f"{flags}\0{pattern}"
    kept = _programs.get(key)
    if kept is not None:
        try:
            import _sre

            flags_out, code, groups, groupindex, indexgroup = kept
            code = memoryview(bytes.fromhex(code)).cast(_UNIT[_sre.CODESIZE]).tolist()
            return _sre.compile(pattern, flags_out, code, groups, groupindex, tuple(indexgroup))
        except Exception:  # damaged, or not a program of this build: compiled again below
            pass
    try:
        compiled, program = _compile_program(pattern, flags)
    except Exception:  # `re` changed inside: compile as usual, keep nothing
        return re.compile(pattern, flags)
    _programs[key] = program
    if not _added:
        _added = True
        import atexit

        atexit.register(_save)
    return compiled


def _compile_program(pattern: str, flags: int) -> tuple:
    """The compiled pattern and its program: what `re._compiler.compile` does, keeping the parts."""
    import _sre
    from re import _compiler, _parser

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    program = [flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, indexgroup]
    compiled = _sre.compile(pattern, program[0], code, program[2], groupindex, tuple(indexgroup))
    from array import array  # here: a warm run only reads programs

    program[1] = array(_UNIT[_sre.CODESIZE], code).tobytes().hex()
    return compiled, program


def _save() -> None:
    if _store is not None and _programs is not None:
        _store.put("patterns", _entry_key(), _programs)


def _entry_key() -> str:
    import sys

    import _sre

    from .cache import hasher

    return hasher(f"re programs, code as hex {sys.version} {sys.byteorder} {getattr(_sre, 'MAGIC', '')}".encode()).hexdigest()
