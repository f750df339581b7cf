"""Functions over lists: counting, totals, extremes, uniqueness."""
from __future__ import annotations

from ..signature import builtin
from ..types import ANY, BOOL, NUMBER, RECORDS, List
from ..values import Record


def items_of(value):
    """The elements a collection function walks: a list, or an iterable record's list."""
    if type(value) is list:  # most often, and once per walk
        return value
    if isinstance(value, Record):
        rtype = RECORDS.get(value.type)
        if rtype is not None and rtype.iterates:
            return value.get(rtype.iterates)  # a Lazy field is computed here
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.values())
    return value


def _key(value):
    if isinstance(value, Record) and "text" in value.fields:
        return str(value.fields["text"])
    if isinstance(value, Record):
        return repr(value)
    return value


@builtin("count", {"items": List(ANY)}, NUMBER, "How many elements a list has.")
def count(items):
    return len(items_of(items))


@builtin("len", {"value": ANY}, NUMBER, "Length of a list or a string.")
def length(value):
    return len(items_of(value))


@builtin("sum", {"numbers": List(NUMBER)}, NUMBER, "Sum of a list of numbers (0 for an empty list).")
def total(numbers):
    return sum(n for n in items_of(numbers) if n is not None)


@builtin("min", {"items": List(ANY)}, ANY, "Smallest element, or null for an empty list.")
def minimum(items):
    values = [v for v in items_of(items) if v is not None]
    return min(values) if values else None


@builtin("max", {"items": List(ANY)}, ANY, "Largest element, or null for an empty list.")
def maximum(items):
    values = [v for v in items_of(items) if v is not None]
    return max(values) if values else None


@builtin("first", {"items": List(ANY)}, ANY, "First element, or null for an empty list.")
def first(items):
    values = items_of(items)
    return values[0] if values else None


@builtin("last", {"items": List(ANY)}, ANY, "Last element, or null for an empty list.")
def last(items):
    values = items_of(items)
    return values[-1] if values else None


@builtin("unique", {"items": List(ANY)}, List(ANY), "The elements without repeats, first occurrence kept.")
def unique(items):
    seen, out = set(), []
    for value in items_of(items):
        key = _key(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


@builtin("duplicates", {"items": List(ANY)}, List(ANY), "Every element equal to an earlier one (the repeats, located).")
def duplicates(items):
    seen, out = set(), []
    for value in items_of(items):
        key = _key(value)
        if key in seen:
            out.append(value)
        seen.add(key)
    return out


@builtin("sorted", {"items": List(ANY)}, List(ANY), "The elements in ascending order.")
def sort(items):
    return sorted(items_of(items), key=_key)


@builtin("empty", {"value": ANY}, BOOL,
         "True for null, a blank string, an empty list or map; false for a number, a boolean or a date.")
def empty(value):
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    items = items_of(value)
    if not hasattr(items, "__len__"):  # a number, a boolean, a date: a value, so not empty
        return False
    return len(items) == 0
