"""Functions that build one list from another, where a pack would otherwise need a map.

- `parents(paths)`: the folder of each path, first occurrence kept, in order:
  `parents(glob("openspec/specs/**/spec.md"))` lists the capability folders.
- `without(items, other)`: the elements of `items` that `other` does not match, each
  element of `other` matching one element at most (a multiset difference):
  `without(["a", "a", "b"], ["a"])` is `["a", "b"]`.
- `index_of(items, item)`: the position of the first element equal to `item` (`0` for the
  first), or null: ranks a value in an ordered param, `index_of(severities, i.severity)`.
- `pairs(items)`: each element with the one after it, `[[a, b], [b, c]]`: what follows what,
  in one pass (`every p in pairs(xs): p[0].ts <= p[1].ts`).
- `group_by(items, field)`: a map from each value of a field to the elements that have it,
  in order: an index, so that a gate looks an element up (`by_id[d]`, `d in by_id`) instead
  of pairing every element with every other, which takes time quadratic in the list.
"""
from __future__ import annotations

import posixpath

from ..errors import EvaluationError
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


@builtin("pairs", {"items": List(ANY)}, List(List(ANY)),
         "Each element with the one after it: `pairs([a, b, c])` is `[[a, b], [b, c]]`.")
def pairs(items):
    values = items_of(items)
    return [[values[i], values[i + 1]] for i in range(len(values) - 1)]


@builtin("group_by", {"items": List(ANY), "fields": ANY}, ANY,
         "A map from each value of `fields` (a field name, or a list of names for a map of maps) to the "
         "elements that have it, in order; an element whose field is a list is filed under each value.")
def group_by(items, fields):
    from ..ops import field

    names = [str(f) for f in items_of(fields)] if isinstance(fields, list) else [str(fields)]
    if not names:
        raise EvaluationError("`group_by` needs at least one field name")
    groups: dict = {}
    for value in items_of(items):
        keys = field(value, names[0])
        for key in (keys if isinstance(keys, list) else [keys]):
            if key is not None:
                groups.setdefault(_map_key(key), []).append(value)
    if len(names) > 1:
        return {key: group_by(members, names[1:]) for key, members in groups.items()}
    return groups


def _map_key(value):
    """A key as `m[k]` and `k in m` look it up: a number as itself, anything else as its text."""
    from ..ops import text_of

    value = text_of(value)
    return value if isinstance(value, (int, float)) else str(value)


@builtin("index_of", {"items": List(ANY), "item": ANY}, NUMBER,
         "The position of the first element equal to `item` (0 for the first), or null.")
def index_of(items, item):
    from ..ops import equal

    for position, value in enumerate(items_of(items)):
        if equal(value, item):
            return position
    return None
