"""Runtime values that remember where they came from.

Every value a loader returns carries its provenance, so a failing gate can point at the
file and line without the pack author asking for it.
"""
from __future__ import annotations

import posixpath
from collections import namedtuple

from .fastpath import new_object, new_str, new_tuple

# Annotations name `Any` but are never evaluated: importing `typing` would cost 3 ms at start-up.


class Loc(namedtuple("Loc", ("path", "line", "column"), defaults=(None, None))):
    """Where a value came from: a repository path, a 1-based line and column (or None)."""

    __slots__ = ()

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}"


class LStr(str):
    """A string with a location (a heading title, a table cell, a file path)."""

    loc: Loc | None

    def __new__(cls, value: str, loc: Loc | None = None):
        obj = super().__new__(cls, value)
        obj.loc = loc
        return obj

    def __reduce__(self):
        return (self.__class__, (str(self), self.loc))


class PathValue(LStr):
    """A repository-relative path, always with `/`; `/` joins it with a name."""

    @property
    def name(self) -> str:
        return posixpath.basename(self)

    def join(self, other: str) -> "PathValue":
        other = str(other)
        # `spec / "spec.md"`, made for every file of every subject: when the path is normal (no
        # empty, `.` or `..` segment; `a/.b` is refused too) and the name one segment, neither
        # `.` nor `..`, joining them is what normpath(join()) would give.
        if self and "/" not in other and other and other != "." and other != ".." and self[0] != "." \
                and self[-1] != "/" and "//" not in self and "/." not in self:
            full = f"{self}/{other}"
            joined = new_str(PathValue, full)
            joined.loc = new_tuple(Loc, (full, None, None))
            return joined
        return PathValue(posixpath.normpath(posixpath.join(self, other)), Loc(posixpath.join(self, other)))


class Lazy:
    """A field computed on first read (front matter needs YAML; most runs never ask for it).
    `pure`: it computes from what its loader has read already and reads nothing more (no file,
    no git fact), nor holds a lazy field that does: recording.py has nothing to trace in it."""

    __slots__ = ("compute", "pure")

    def __init__(self, compute, pure: bool = False):
        self.compute, self.pure = compute, pure


class LazyFields:
    """A record's fields, each made when first read: for a loader that makes records by the
    hundred thousand (the tasks of one tasks.md) of which a gate reads a field or two. Until
    then the record holds its `key` into a `source` the records share, and nothing else (a dict
    of Lazy fields would cost more than the record). `source.makers` maps each field's name, in
    order, to what makes it: `maker(source, fields, key)`, which may `keep` it, and others made
    along with it: a made object is kept so that reading it again gives the same one.

    Reads as the dict a Record holds: `name in`, `get`, `[name]`, `len`, the names in order.
    `values()` and `items()` give the fields made so far: unlike a `Lazy`, an unmade field
    reads no file and no git fact, so recording.py has nothing in it to trace or force, and
    walking the records does not make them all."""

    __slots__ = ("source", "key", "kept")

    def __init__(self, source, key):
        self.source, self.key, self.kept = source, key, None

    def get(self, name: str, default: Any = None) -> Any:
        kept = self.kept
        if kept is not None and name in kept:
            return kept[name]
        maker = self.source.makers.get(name)
        return default if maker is None else maker(self.source, self, self.key)

    def keep(self, name: str, value: Any) -> Any:
        if self.kept is None:
            self.kept = {}
        self.kept[name] = value
        return value

    __setitem__ = keep

    def __getitem__(self, name: str) -> Any:
        if name not in self.source.makers:
            raise KeyError(name)
        return self.get(name)

    def __contains__(self, name) -> bool:
        return name in self.source.makers

    def __iter__(self):
        return iter(self.source.makers)

    def keys(self):
        return self.source.makers.keys()

    def __len__(self) -> int:
        return len(self.source.makers)

    def values(self):
        return self.kept.values() if self.kept else ()

    def items(self):
        return self.kept.items() if self.kept else ()


class Record:
    """A loader's typed view: a type name, fields and a location."""

    __slots__ = ("type", "fields", "loc")

    def __init__(self, type_name: str, loc: Loc | None = None, **fields: Any):
        self.type = type_name
        self.loc = loc
        self.fields = fields

    def get(self, name: str, default: Any = None) -> Any:
        value = self.fields.get(name, default)
        if type(value) is Lazy:
            value = self.fields[name] = value.compute()
        return value

    def __getitem__(self, name: str) -> Any:
        if name not in self.fields:
            raise KeyError(name)
        return self.get(name)

    def __repr__(self) -> str:
        return f"{self.type}({', '.join(f'{k}={v!r}' for k, v in self.fields.items())})"

    def __reduce__(self):
        return (_make_record, (self.type, self.loc, self.fields))


def _make_record(type_name, loc, fields):
    return Record(type_name, loc, **fields)


# A loader makes thousands of these per file: these make one the fast way (policylint/fastpath.py).

def new_loc(path: str, line: int | None, column: int | None = None) -> Loc:
    return new_tuple(Loc, (path, line, column))


def new_lstr(value: str, loc: Loc | None) -> LStr:
    located = new_str(LStr, value)
    located.loc = loc
    return located


def new_lazy(compute, pure: bool = False) -> Lazy:
    lazy = new_object(Lazy)
    lazy.compute, lazy.pure = compute, pure
    return lazy


def new_record(type_name: str, loc: Loc | None, fields: dict) -> Record:
    rec = new_object(Record)
    rec.type, rec.loc, rec.fields = type_name, loc, fields
    return rec


def new_lazy_record(type_name: str, loc: Loc | None, source, key, kept: dict | None = None) -> Record:
    """A record whose fields `source.makers` make when first read (LazyFields), `kept` those
    it holds from the start (a `Lazy` that reads files, which the results cache traces)."""
    fields = new_object(LazyFields)
    fields.source, fields.key, fields.kept = source, key, kept
    rec = new_object(Record)
    rec.type, rec.loc, rec.fields = type_name, loc, fields
    return rec


def location_of(value: Any) -> Loc | None:
    return getattr(value, "loc", None)


def to_plain(value: Any, inline_errors: bool = False) -> Any:
    """JSON-ready form of a value, with locations kept as `@path:line` keys for records.

    With `inline_errors`, a field that cannot be computed (`git.commits` without --base)
    shows as `{"error": message}` instead of stopping the whole view.
    """
    if isinstance(value, Record):
        out = {}
        if value.loc is not None:
            out["@"] = str(value.loc)
        for key in value.fields:
            if inline_errors:
                from .errors import ArtifactError

                try:
                    item = value.get(key)
                except ArtifactError as exc:
                    out[key] = {"error": exc.message}
                    continue
            else:
                item = value.get(key)
            out[key] = to_plain(item, inline_errors)
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(v, inline_errors) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v, inline_errors) for k, v in value.items()}
    if isinstance(value, str):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
