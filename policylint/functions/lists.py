"""Functions that build one list from another, where a pack would otherwise need a map.

- `parents(paths)`: the folder of each path, first occurrence kept, in order:
  `parents(glob("openspec/specs/**/spec.md"))` lists the capability folders.
- `without(items, other)`: the elements of `items` that `other` does not match, each
  element of `other` matching one element at most (a multiset difference):
  `without(["a", "a", "b"], ["a"])` is `["a", "b"]`.
- `index_of(items, item)`: the position of the first element equal to `item` (`0` for the
  first), or null: ranks a value in an ordered param, `index_of(severities, i.severity)`.
"""
from __future__ import annotations

import posixpath

from ..signature import builtin
from ..types import ANY, NUMBER, PATH, List
from ..values import Loc, PathValue
from .collections import _key, items_of


@builtin("parents", {"paths": List(PATH)}, List(PATH),
         "The folder of each path, without repeats, in order.")
def parents(paths):
    seen, out = set(), []
    for path in items_of(paths):
        parent = posixpath.dirname(str(path)) or "."
        if parent not in seen:
            seen.add(parent)
            out.append(PathValue(parent, Loc(parent)))
    return out


@builtin("without", {"items": List(ANY), "other": List(ANY)}, List(ANY),
         "The elements of `items` not matched by one of `other`, each match used once.")
def without(items, other):
    remaining: dict = {}
    for value in items_of(other):
        key = _key(value)
        remaining[key] = remaining.get(key, 0) + 1
    out = []
    for value in items_of(items):
        key = _key(value)
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
        else:
            out.append(value)
    return out


@builtin("index_of", {"items": List(ANY), "item": ANY}, NUMBER,
         "The position of the first element equal to `item` (0 for the first), or null.")
def index_of(items, item):
    from ..ops import equal

    for position, value in enumerate(items_of(items)):
        if equal(value, item):
            return position
    return None
