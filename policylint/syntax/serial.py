"""A parsed pack as plain JSON data and back, for the pack cache.

Plain data, so that loading a cached pack builds lists, strings and numbers and runs nothing
(pickle runs whatever the file names). A node is `[class, field, ...]`, its class an index into
a table of `[name, [field names]]` stored beside the tree; a name is looked up among the AST
classes only and its fields must be the class's own, so an entry can build no object the parser
could not. Spans carry no path: the pack's path is given when the tree is loaded, so one entry
serves a pack wherever it is read from. Their positions (line, column, end line, end column) are
kept apart, in the order the nodes and spans come in the tree, as one hex string of 32-bit
numbers: as JSON numbers, four a node, they were half the cost of reading the entry.
"""
from __future__ import annotations

import sys
from itertools import count

from ..diagnostics import Span
from ..fastpath import gc_paused, new_object
from . import ast

LIST, TUPLE, DATE, SPAN = -1, -2, -3, -4
_PLAIN = (str, int, float, bool, type(None))
# The allow-list: a class an entry names must be an AST node class defined in `ast`.
CLASSES = {cls.__name__: cls for cls in vars(ast).values()
           if isinstance(cls, type) and cls.__module__ == ast.__name__ and issubclass(cls, ast.Node)}


class NotPlain(ValueError):
    """The tree holds something this format does not carry; the pack is then not cached."""


def dump(tree: ast.Pack, path: str) -> list:
    """`[table, [positions, tree]]`: the tree as nested lists of str, int, float, bool and None."""
    import datetime
    from array import array

    table, index, positions = [], {}, array("I")

    def plain(value):
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is list:
            return [LIST, *map(plain, value)]
        if kind is tuple:
            return [TUPLE, *map(plain, value)]
        if kind is Span:
            _position(value, path, positions)
            return [SPAN]
        if kind is datetime.date:
            return [DATE, value.isoformat()]
        if CLASSES.get(kind.__name__) is not kind:
            raise NotPlain(f"a {kind.__name__} in the tree")
        if kind not in index:
            index[kind] = len(table)
            table.append([kind.__name__, [f.name for f in kind.__struct_fields__]])
        _position(value.span, path, positions)
        return [index[kind], *[plain(getattr(value, f.name)) for f in kind.__struct_fields__[1:]]]

    if type(tree) is not ast.Pack or tree.path != path:
        raise NotPlain("not a pack read from this path")
    body = plain(tree)
    if sys.byteorder != "little":
        positions.byteswap()
    return [table, [positions.tobytes().hex(), body]]


def _position(span, path: str, positions) -> None:
    if type(span) is not Span or span.path != path:
        raise NotPlain("a span from another file")
    try:
        positions.extend((span.line, span.column, span.end_line, span.end_column))
    except (TypeError, OverflowError):
        raise NotPlain("a position that is not a 32-bit number") from None


def load(data, path: str) -> ast.Pack | None:
    """The tree `dump` made, its spans and its `path` in `path`; None when `data` is not one
    (a damaged or foreign entry is a miss, never an error). The spans of nodes (and their other
    Span fields that ast.POSITIONED names) are made when first read."""
    try:
        with gc_paused():  # many objects, no cycles: collecting as the heap grows costs a sixth for nothing
            table, (positions, tree) = data
            builders = []
            for name, names in table:
                cls = CLASSES[name]
                if names != [f.name for f in cls.__struct_fields__]:
                    return None
                later = {n for c in cls.__mro__ for n in ast.POSITIONED.get(c, ())}
                builders.append((cls, tuple((n, n in later) for n in names[1:]), len(names)))
            numbers = _numbers(bytes.fromhex(positions))
            counter = count()
            pack = _loader(builders, path, numbers, counter)(tree)
            if next(counter) * 4 != len(numbers):
                return None
    except Exception:  # anything unexpected in an entry is a miss: the pack is parsed again
        return None
    if type(pack) is not ast.Pack:
        return None
    pack.path = path
    return pack


def _numbers(data: bytes) -> list:
    """The positions `dump` wrote (little-endian 32-bit numbers), four a span."""
    if len(data) % 16:
        raise ValueError("positions cut short")
    if sys.byteorder == "little":
        return memoryview(data).cast("I").tolist()
    from array import array

    numbers = array("I", data)
    numbers.byteswap()
    return numbers.tolist()


def _loader(builders: list, path: str, numbers: list, counter):
    """A function turning one tagged list back into its value (plain values inside are taken
    as they are); written for speed, as a warm run loads every pack it checks this way. A node's
    span, and a Span field that ast.POSITIONED names, is left as (numbers, its number, path)."""
    new = new_object  # a span's number past the positions' end makes `load` refuse the tree

    def node(v, type=type, list=list, next=next):
        tag = v[0]
        if type(tag) is not int:
            raise ValueError("untagged list")
        if tag >= 0:
            cls, names, size = builders[tag]
            if len(v) != size:
                raise ValueError("wrong field count")
            obj = new(cls)
            fields = obj.__dict__
            fields["span"] = (numbers, next(counter), path)  # made when read: ast._Positioned
            i = 1
            for name, positioned in names:
                x = v[i]
                if type(x) is list:
                    fields[name] = (numbers, next(counter), path) if positioned and x == _BARE_SPAN else node(x)
                else:
                    fields[name] = x
                i += 1
            return obj
        if tag == LIST:
            return [node(x) if type(x) is list else x for x in v[1:]]
        if tag == SPAN and len(v) == 1:
            number = next(counter)
            if 4 * number >= len(numbers):
                raise ValueError("positions cut short")
            return ast.span_at(numbers, number, path)
        if tag == TUPLE:
            return tuple([node(x) if type(x) is list else x for x in v[1:]])
        if tag == DATE and len(v) == 2:
            import datetime

            return datetime.date.fromisoformat(v[1])
        raise ValueError("unknown tag")

    return node


_BARE_SPAN = [SPAN]
