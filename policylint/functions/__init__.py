"""The table of built-in functions: name -> "module:function", imported on first use.

Each function declares its typed signature beside its code (`@builtin`), so the checker
types calls without running them.
"""
from __future__ import annotations

from ..fastpath import named

FUNCTIONS = {
    "count": "policylint.functions.collections:count",
    "len": "policylint.functions.collections:length",
    "sum": "policylint.functions.collections:total",
    "min": "policylint.functions.collections:minimum",
    "max": "policylint.functions.collections:maximum",
    "first": "policylint.functions.collections:first",
    "last": "policylint.functions.collections:last",
    "unique": "policylint.functions.collections:unique",
    "duplicates": "policylint.functions.collections:duplicates",
    "sorted": "policylint.functions.collections:sort",
    "empty": "policylint.functions.collections:empty",
    "lower": "policylint.functions.text:lower",
    "upper": "policylint.functions.text:upper",
    "trim": "policylint.functions.text:trim",
    "startswith": "policylint.functions.text:startswith",
    "endswith": "policylint.functions.text:endswith",
    "split": "policylint.functions.text:split",
    "join": "policylint.functions.text:join",
    "replace": "policylint.functions.text:replace",
    "number": "policylint.functions.text:number",
    "string": "policylint.functions.text:string",
    "find": "policylint.functions.text:find",
    "today": "policylint.functions.dates:today",
    "date": "policylint.functions.dates:to_date",
    "days_between": "policylint.functions.dates:days_between",
    "parents": "policylint.functions.lists:parents",
    "without": "policylint.functions.lists:without",
    "index_of": "policylint.functions.lists:index_of",
    "group_by": "policylint.functions.lists:group_by",
    "pairs": "policylint.functions.lists:pairs",
    "glob_match": "policylint.functions.paths:glob_match",
    "semver": "policylint.functions.semver:semver",
    "bump": "policylint.functions.semver:bump",
    "furthest": "policylint.functions.stages:furthest",
}


def get(name: str):
    return named(FUNCTIONS[name])
