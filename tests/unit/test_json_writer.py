"""reporters/json.py writes indented JSON itself: byte for byte what json.dump(indent=2) wrote."""
from __future__ import annotations

import copy
import io
import json

import pytest

import reporters_fixture as fixture
from policylint.evaluate import Result
from policylint.explain import Evidence
from policylint.reporters import json as report


class Text(str):
    """A loader's string (a str subclass, as values.LStr is)."""


def _nested(depth):
    value = "x"
    for level in range(depth):
        value = [level, {"k": value}] if level % 2 else {"k": [value, level]}
    return value


VALUES = [
    {}, [], (), "", 0, None, {"a": [], "b": {}, "c": ()},
    {"s": "é \u2028 \x00 \x1f \" \\ / ✓ 日本", "n": [0, -1, 10**40, 2.5, -0.0, 1e-300, 1e300]},
    {"x": [float("nan"), float("inf"), -float("inf"), True, False, None]},
    {1: "int key", 2.5: "float key", None: "null key"}, {True: "true key", False: "false key"},
    {Text("k"): Text("v"), "t": ("a", ["b", ("c",)])},
    {"deep": _nested(40)},
    {"many": list(range(50_000)), "dicts": [{"i": i, "s": str(i)} for i in range(30_000)]},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_write_and_dumps_make_what_the_json_module_makes(value):
    expected = json.dumps(value, indent=2, ensure_ascii=False)
    assert report.dumps(value) == expected
    out = io.StringIO()
    report.write(value, out)
    assert out.getvalue() == expected


@pytest.mark.parametrize("value", [{"a": object()}, {object(): 1}, [{1, 2}]])
def test_what_json_cannot_write_is_a_type_error_as_there(value):
    with pytest.raises(TypeError) as ours:
        report.dumps(value)
    with pytest.raises(TypeError) as theirs:
        json.dumps(value, indent=2)
    assert str(ours.value) == str(theirs.value)


def _runs():
    """The reporters' fixture run, and variants whose results the template cannot write."""
    yield fixture.build_run()
    run = fixture.build_run()
    run.results = []
    yield run
    run = fixture.build_run()
    extra = [Result("g.x", None, None, "pass", "error", "T"), Result("g.y", Text("s"), Text("st"), "fail", "info", "T", "m"),
             Result("g.z", "s", None, "pass", "error", "T", 7), Result("g.w", "s", None, "pass", "error", "T", ["m"]),
             Result("g.v", "s", None, "pass", "error", True, None),
             Result("g.u", "s", None, "fail", "error", "T", "m", [Evidence("a.md", 3, "why")])]
    run.results = extra + run.results + copy.deepcopy(extra) * 3000
    yield run
    run = fixture.build_run()  # more distinct texts than the template's caches hold, among repeated ones
    run.results = [Result("g.x", f"s{i}", "st", *(("skipped", "error", "T", f"not yet: s{i}") if i % 3 else
                                                  ("pass", "error", "T", ""))) for i in range(3 * report._CACHED)]
    yield run


@pytest.mark.parametrize("run", list(_runs()), ids=["fixture", "no results", "odd results", "many texts"])
def test_the_report_is_what_json_dump_wrote(run):
    options = fixture.options()
    out = io.StringIO()
    report.render(run, out, options)
    expected = io.StringIO()
    json.dump(report.to_dict(run, options.root_as_given), expected, indent=2, ensure_ascii=False)
    expected.write("\n")
    assert out.getvalue() == expected.getvalue()
