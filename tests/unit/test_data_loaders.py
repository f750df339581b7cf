"""The data loaders (`yaml`, `json`, `toml`, `jsonl`) and `schema_errors`.

Their cases are folders under tests/cases/loaders/<loader>/ with `input.<ext>`, run by
tests/test_cases.py in the format tests/caserunner.py describes: the input is read through
`decode`, as the loaders read it (byte-order marks, UTF-8 errors); `want` is the value as
`policylint inspect` shows it (a mapping lists only the keys it checks, a list must have the
same length); `locations`, `strings`, `containers` and `types` check single values by JSON
pointer. A YAML syntax error is worded by PyYAML's Python parser, the same in every PyYAML 6.x,
with libyaml or without.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from caserunner import load, loader_cases
from conftest import make_repo, run_policy
from policylint.errors import ArtifactError, ArtifactMissing
from policylint.loaders.data import (Data, DataList, SCHEMA_ERROR, decode, load_json, load_jsonl, load_toml,
                                     load_yaml, locate, parse_json, parse_toml, parse_yaml, schema_errors)
from policylint.repo import Repo
from policylint.values import LStr, to_plain

CASES = Path(__file__).parents[1] / "cases" / "loaders"


def readable(loader: str) -> list:
    """The cases of `loader` that read without an error."""
    return [case for case in loader_cases(loader) if "error" not in case.spec]


# -- every string, key and item is located --------------------------------------------------

def walk(value, pointer=""):
    yield pointer, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{pointer}/{index}")


@pytest.mark.parametrize("case", [case for loader in ("yaml", "json", "toml", "jsonl") for case in readable(loader)],
                         ids=str)
def test_every_value_of_every_case_is_located(case):
    value = load(case)
    for pointer, item in walk(value):
        if isinstance(item, (str, dict, list)):
            assert isinstance(item, (LStr, Data, DataList)) and item.loc is not None, pointer
            assert item.loc.line is not None, pointer
        if isinstance(item, Data):
            assert all(item.loc_of(key).line for key in item), pointer
        if isinstance(item, DataList):
            assert len(item.locs) == len(item) and all(loc.line for loc in item.locs), pointer


# -- JSON against the standard library ------------------------------------------------------

JSON_SAMPLES = [
    '{"a": [1, 2.5, -0, -1e-3, 1E+2, true, false, null], "b": {"c": "\\u00e9\\ud83d\\ude00\\n\\"x\\""}}',
    '[]', '{}', '"just a string"', '42', ' \r\n\t[ {"k" : [ [ ] , { } ] } ] \n',
    '{"": "", "a/b": {"~": 0}}', '[' * 150 + ']' * 150, '123456789012345678901234567890',
]


@pytest.mark.parametrize("text", JSON_SAMPLES)
def test_json_reads_as_the_standard_library_reads_it(text):
    assert to_plain(parse_json(text, "x.json")) == json.loads(text)


def test_json_from_corpus_reads_as_the_standard_library_reads_it():
    for case in readable("json"):
        text = decode(case.file.read_bytes(), "input.json")
        assert to_plain(parse_json(text, "input.json")) == json.loads(text), case


def test_json_lines_and_columns_count_characters_not_bytes():
    value = parse_json('{"é": "ü", "k":\n  [1, "x"]}', "x.json")
    assert value.loc_of("k") == ("x.json", 1, 12)
    assert value["é"].loc == ("x.json", 1, 7)
    assert value["k"].loc_of(1) == ("x.json", 2, 7)
    assert value["k"][1].loc == ("x.json", 2, 7)


JSON_ERRORS = [
    ('{"a": 1,}', 1, "invalid JSON: trailing comma before `}` (column 9)"),
    ('[1, 2,]', 1, "invalid JSON: trailing comma before `]` (column 7)"),
    ('{"a": 1\n "b": 2}', 2, "invalid JSON: expecting ',' or `}` (column 2)"),
    ('{"a" 1}', 1, "invalid JSON: expecting ':' after the property name (column 6)"),
    ("{'a': 1}", 1, "invalid JSON: expecting a property name in double quotes (column 2)"),
    ('{"a": NaN}', 1, "invalid JSON: expecting value (column 7)"),
    ('{"a": Infinity}', 1, "invalid JSON: expecting value (column 7)"),
    ('{"a": "x\ty"}', 1, "invalid JSON: invalid control character (column 9)"),
    ('["\\q"]', 1, "invalid JSON: invalid \\escape (column 3)"),
    ('{"a": "open', 1, "invalid JSON: unterminated string (column 7)"),
    ('{"a": [1, 2', 1, "invalid JSON: expecting ',' or `]`, found the end of the text (column 12)"),
    ('', 1, "invalid JSON: expecting value, found the end of the text (column 1)"),
    ('{} {}', 1, "invalid JSON: extra data after the JSON value (column 4)"),
    ('{\n  // a comment\n  "a": 1}', 2, "invalid JSON: a comment (`//`), which JSON does not allow (column 3)"),
    ('[01]', 1, "invalid JSON: expecting ',' or `]` (column 3)"),
    ('[' + '9' * 5000 + ']', 1, "invalid JSON: a number of 5000 digits is too long (column 2)"),
]


@pytest.mark.parametrize("text,line,message", JSON_ERRORS, ids=[m for _, _, m in JSON_ERRORS])
def test_json_errors_name_line_and_column(text, line, message):
    with pytest.raises(ArtifactError) as caught:
        parse_json(text, "x.json")
    assert (caught.value.path, caught.value.line, caught.value.message) == ("x.json", line, message)


def test_a_five_megabyte_json_file():
    """100,000 records, each at its line (a quadratic reader would not finish; how fast it is
    is measured by benchmarks/, not here: a busy machine is no test failure)."""
    records = [{"id": i, "title": f"task {i}", "done": i % 3 == 0, "tags": ["a", "b"], "estimate": i / 7}
               for i in range(100_000)]
    text = json.dumps(records, indent=1)
    value = parse_json(text, "big.json")
    assert len(value) == 100_000 and value[99_999]["title"].loc.line == text.count("\n", 0, text.rindex("task 99999")) + 1


# -- YAML ---------------------------------------------------------------------------------

def test_yaml_reads_as_pyyaml_reads_it():
    for case in readable("yaml"):
        text = case.file.read_text(encoding="utf-8")
        ours = parse_yaml(text, "input.yaml")
        theirs = yaml.safe_load(text.replace("!reference ", ""))
        assert ours == theirs, case


MERGES = """a: &a {xx: 1, yy: 1}
b: &b {yy: 2, zz: 2}
c:
  <<: [*a, *b]
  zz: 3
  ww: 4
d:
  ww: 0
  <<: *b
e: &e {<<: *a, xx: 5}
f: {<<: *e}
"""


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "python"])
def test_yaml_merge_keys_earlier_sources_win_and_own_keys_win(monkeypatch, libyaml):
    """YAML's merge type: a key of an earlier source wins over a later one (PyYAML 6.0.4 lets
    the last one win for keys longer than a character), the mapping's own keys over all of
    them. Order: the merged keys (the first source's first), then the mapping's own new keys."""
    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    value = parse_yaml(MERGES, "m.yaml")
    assert [(key, value["c"][key]) for key in value["c"]] == [("xx", 1), ("yy", 1), ("zz", 3), ("ww", 4)]
    assert [(key, value["d"][key]) for key in value["d"]] == [("yy", 2), ("zz", 2), ("ww", 0)]
    assert [(key, value["e"][key]) for key in value["e"]] == [("xx", 5), ("yy", 1)]
    assert value["f"] == {"xx": 5, "yy": 1}
    assert value["c"].loc_of("yy").line == 1 and value["c"].loc_of("zz").line == 5  # where each value is written


SYNTAX_ERRORS = [("a: b: c\n", 1, 5), ("a: [1, 2\n", 2, 1), ("a:\n\tb: 1\n", 2, 1), ("- x\n y: [\n", 2, 3)]


@pytest.mark.parametrize("text, line, column", SYNTAX_ERRORS)
def test_yaml_syntax_errors_are_located_and_the_same_with_or_without_libyaml(monkeypatch, text, line, column):
    """The text after our prefix is PyYAML's (its Python parser's, whichever parser found the
    error), so this asserts the prefix, the line and the column, not the wording."""
    with pytest.raises(ArtifactError) as caught:
        parse_yaml(text, "e.yaml")
    error = caught.value
    assert (error.path, error.line) == ("e.yaml", line)
    assert error.message.startswith("invalid YAML: ") and error.message.endswith(f" (column {column})")
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    with pytest.raises(ArtifactError) as without:
        parse_yaml(text, "e.yaml")
    assert (without.value.line, without.value.message) == (error.line, error.message)


def test_yaml_errors():
    """Our own messages: these never quote PyYAML."""
    cases = [
        ("a: *nowhere\n", 1, "invalid YAML: alias `*nowhere` refers to no anchor before it (column 4)"),
        ("a: &a [1, *a]\n", 1, "alias `*a` is used inside its own anchor (a recursive structure)"),
        ("a: 2024-13-45\n", 1, "cannot read `2024-13-45` as timestamp: month must be in 1..12"),
        ("a: " + "1" * 5000 + "\n", 1, "cannot read `" + "1" * 40 + "…` as int: 5000 digits are too many"),
        ("a: !!bool maybe\n", 1, "cannot read `maybe` as bool"),
        ("<<: 3\n", 1, "a merge key `<<` needs a mapping or a list of mappings"),
        ("? [a]\n: 1\n", 1, "a mapping key must be a scalar, found a sequence"),
        ("a: 1\n---\nb: 2\n", 2, "expected one YAML document, found a second one here"),
        ("# nothing\n", None, "no YAML document in the file (it is empty or holds only comments)"),
        ("x: !!python/name:os.system\n", 1, "refused: the YAML tag `!!python/name:os.system` asks for a Python object"),
        ("a: 1\nb: \x07\n", 2, "invalid YAML: the character #x0007 is not allowed in YAML (column 4)"),
    ]
    for text, line, message in cases:
        with pytest.raises(ArtifactError) as caught:
            parse_yaml(text, "e.yaml")
        assert (caught.value.line, caught.value.message) == (line, message), text[:20]


def test_yaml_read_from_a_later_line_names_the_callers_words_and_lines():
    """Front matter starts on line 2 of its file; its errors say `front matter`."""
    value = parse_yaml("a: x\nb: [y]\n", "s.md", first_line=2, what="front matter")
    assert value["a"].loc == ("s.md", 2, 4) and value.loc_of("b").line == 3
    with pytest.raises(ArtifactError) as caught:
        parse_yaml("a: x\nb: [y\n", "s.md", first_line=2, what="front matter")
    assert caught.value.line == 4 and caught.value.message.startswith("invalid front matter: ")
    assert parse_yaml("", "s.md", required=False) is None


def test_yaml_core_schema_reads_as_openspec_reads_it():
    """`core`: YAML 1.2 scalars, `<<` an ordinary key, a duplicate key an error."""
    from policylint.loaders.data import DuplicateKeyError

    value = parse_yaml("a: yes\nb: 2024-01-31\nc: 0o17\nd: [~, .inf, -.5, 0x1f, True]\n<<: {x: 1}\n"
                       "e: !!int '12'\n", "m.yaml", core=True)
    assert value == {"a": "yes", "b": "2024-01-31", "c": 15, "d": [None, float("inf"), -0.5, 31, True],
                     "<<": {"x": 1}, "e": 12}
    assert parse_yaml("n: " + "1" * 5000 + "\n", "m.yaml", core=True) == {"n": float("inf")}  # a JavaScript number
    with pytest.raises(DuplicateKeyError) as caught:
        parse_yaml("a: 1\nb: 2\na: 3\n", "m.yaml", core=True)
    assert (caught.value.line, caught.value.message) == (3, "duplicate key `a` (line 1 and line 3)")


def test_yaml_without_libyaml_reads_the_same(monkeypatch):
    """The pure-Python SafeLoader is the fallback when PyYAML has no libyaml."""
    text = (CASES / "yaml" / "gitlab-anchors-merge" / "input.yaml").read_text(encoding="utf-8")
    with_c = parse_yaml(text, "input.yaml")
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    without = parse_yaml(text, "input.yaml")
    assert without == with_c
    assert locate(without, ["test", "script", "1"]) == locate(with_c, ["test", "script", "1"])


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml parses ~15x slower")
def test_a_five_megabyte_yaml_file():
    """5.5 MB, each record at its line (its speed is for benchmarks/, not a test)."""
    block = "".join(f"- id: T{i:05d}\n  title: task number {i}\n  done: {'true' if i % 2 else 'false'}\n"
                    f"  tags: [a, b]\n" for i in range(80_000))
    value = parse_yaml(block, "big.yaml")
    assert len(value) == 80_000 and value[-1]["title"].loc.line == 80_000 * 4 - 2


# -- TOML ---------------------------------------------------------------------------------

def test_toml_reads_as_tomllib_reads_it():
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    for case in readable("toml"):
        text = case.file.read_text(encoding="utf-8")
        assert parse_toml(text, "input.toml") == tomllib.loads(text), case


def test_toml_keys_in_multiline_strings_and_arrays_are_not_keys():
    text = 'a = """\nb = 1\n[c]\n"""\nd = [\n  "e = 2",\n]\n[f]\ng = 3\n'
    value = parse_toml(text, "t.toml")
    assert value.loc_of("a").line == 1 and value.loc_of("d").line == 5
    assert value.loc_of("f").line == 8 and value["f"].loc_of("g").line == 9


# -- the loaders through a Repo -------------------------------------------------------------

def test_loaders_read_through_the_repo_once(tmp_path):
    root = make_repo(tmp_path, {"c.yaml": "a: 1\n", "c.json": '{"a": 1}', "c.toml": "a = 1\n", "c.jsonl": "1\n2\n"})
    repo = Repo(root)
    for fn, name in ((load_yaml, "c.yaml"), (load_json, "c.json"), (load_toml, "c.toml"), (load_jsonl, "c.jsonl")):
        first = fn(repo, name)
        assert fn(repo, "./" + name) is first
    assert load_jsonl(repo, "c.jsonl") == [1, 2]


def test_a_missing_file_is_artifact_missing(tmp_path):
    repo = Repo(make_repo(tmp_path, {}))
    for fn in (load_yaml, load_json, load_toml, load_jsonl):
        with pytest.raises(ArtifactMissing) as caught:
            fn(repo, "nope.data")
        assert (caught.value.path, caught.value.message) == ("nope.data", "file not found")


def test_the_signatures_are_declared():
    from policylint import loaders
    from policylint.types import ANY, ListType

    for name in ("yaml", "json", "toml", "jsonl", "schema_errors"):
        signature = loaders.get(name).signature
        assert signature.needs_repo and signature.doc
    assert loaders.get("yaml").signature.returns == ANY
    assert isinstance(loaders.get("jsonl").signature.returns, ListType)
    assert loaders.get("schema_errors").signature.returns.elem is SCHEMA_ERROR
    assert set(SCHEMA_ERROR.fields) == {"message", "path", "validator", "schema_path", "line"}


def test_the_module_imports_no_yaml_or_jsonschema():
    import subprocess
    import sys

    code = ("import sys, policylint.loaders.data, policylint.loaders.openapi; "
            "print(sorted(m for m in ('yaml', 'jsonschema', 'referencing', 'tomllib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2]).stdout
    assert out.strip() == "[]"


def test_inspect_prints_the_data_as_json(tmp_path, capsys):
    from policylint.cli import main

    root = make_repo(tmp_path, {"ci.yaml": "name: ci\non: [push]\njobs: {build: {runs-on: ubuntu-latest}}\n",
                                "bad.json": '{"a": [1,]}\n'})
    assert main(["inspect", "yaml", "ci.yaml", "--root", str(root)]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": "ci", "True": ["push"],
                                                  "jobs": {"build": {"runs-on": "ubuntu-latest"}}}
    assert main(["inspect", "json", "bad.json", "--root", str(root)]) == 2
    assert capsys.readouterr().err == \
        "policylint: error[PL405] bad.json:1: invalid JSON: trailing comma before `]` (column 10)\n"


def test_a_gate_on_yaml_data_points_at_the_line(tmp_path):
    policy = '''pack p "P" version "1"
gate tasks-done "every task is done" {
  require every t in yaml("plan.yaml").tasks: t.status == "done" else "{t.id} is {t.status}"
}
gate port "port is 8080" { require yaml("plan.yaml").server.port == 8080 }
gate broken "broken file" { require json("broken.json").a == 1 }
'''
    files = {"plan.yaml": "tasks:\n  - id: T1\n    status: done\n  - id: T2\n    status: open\nserver:\n  port: 9090\n",
             "broken.json": '{"a": 1,,}'}
    run = run_policy(tmp_path, policy, files)
    results = {r.gate: r for r in run.results}
    tasks = results["p.tasks-done"]
    assert tasks.status == "fail"
    assert [(e.path, e.line, e.message) for e in tasks.evidence] == [("plan.yaml", 4, "T2 is open")]
    assert results["p.port"].status == "fail"
    assert [e.path for e in results["p.port"].evidence] == ["plan.yaml"]
    broken = results["p.broken"]
    assert broken.status == "error"
    assert [(e.path, e.line, e.message) for e in broken.evidence] == \
        [("broken.json", 1, "invalid JSON: expecting a property name in double quotes (column 9)")]


# -- schema_errors ----------------------------------------------------------------------------

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name", "tasks"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "released": {"type": "string", "format": "date"},
        "tasks": {"type": "array", "items": {"$ref": "#/$defs/task"}},
    },
    "$defs": {"task": {"type": "object", "required": ["id"],
                       "properties": {"id": {"type": "string", "pattern": "^T[0-9]+$"},
                                      "status": {"enum": ["open", "done"]}}}},
}
PLAN = """name: demo
released: 2024-01-31
tasks:
  - id: T1
    status: done
  - id: X2
    status: doing
  - status: open
owner: me
"""


def test_schema_errors_are_located_in_the_data_file(tmp_path):
    root = make_repo(tmp_path, {"plan.yaml": PLAN, "schemas/plan.schema.json": json.dumps(SCHEMA, indent=2)})
    repo = Repo(root)
    errors = schema_errors(repo, load_yaml(repo, "plan.yaml"), "schemas/plan.schema.json")
    assert [(str(e.loc), e["path"], e["validator"], e["message"]) for e in errors] == [
        ("plan.yaml:6", "/tasks/1/id", "pattern", "'X2' does not match '^T[0-9]+$'"),
        ("plan.yaml:7", "/tasks/1/status", "enum", "'doing' is not one of ['open', 'done']"),
        ("plan.yaml:8", "/tasks/2", "required", "'id' is a required property"),
        ("plan.yaml:9", "", "additionalProperties",
         "Additional properties are not allowed ('owner' was unexpected)"),
    ]
    # as jsonschema reports it: the path inside the referenced schema, without the `$ref` step
    assert errors[0]["schema_path"] == "/properties/tasks/items/properties/id/pattern"
    assert errors[0]["line"] == 6
    again = schema_errors(repo, load_yaml(repo, "plan.yaml"), "./schemas/plan.schema.json")
    assert [e.fields for e in again] == [e.fields for e in errors]


def test_schema_errors_of_valid_data_is_empty_and_yaml_schemas_work(tmp_path):
    root = make_repo(tmp_path, {"c.json": '{"name": "x", "tasks": []}', "s.yaml": yaml.safe_dump(SCHEMA)})
    repo = Repo(root)
    assert schema_errors(repo, load_json(repo, "c.json"), "s.yaml") == []


def test_schema_errors_follow_the_declared_draft(tmp_path):
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
              "properties": {"n": {"type": "number", "maximum": 5, "exclusiveMaximum": True}}}
    root = make_repo(tmp_path, {"d.json": '{"n": 5}', "s.json": json.dumps(draft4)})
    repo = Repo(root)
    errors = schema_errors(repo, load_json(repo, "d.json"), "s.json")
    assert [(e["validator"], e["message"]) for e in errors] == \
        [("maximum", "5 is greater than or equal to the maximum of 5")]


def test_schema_refs_to_other_files_in_the_repo_are_followed(tmp_path):
    root = make_repo(tmp_path, {
        "d.json": '{"owner": {"email": 3}}',
        "schemas/main.json": json.dumps({"properties": {"owner": {"$ref": "common/person.json"}}}),
        "schemas/common/person.json": json.dumps({"properties": {"email": {"type": "string"}}}),
    })
    repo = Repo(root)
    errors = schema_errors(repo, load_json(repo, "d.json"), "schemas/main.json")
    assert [(e["path"], e["message"], e["line"]) for e in errors] == [("/owner/email", "3 is not of type 'string'", 1)]


def test_a_remote_ref_is_never_fetched(tmp_path, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("schema_errors tried to fetch a URL")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    schema = {"properties": {"owner": {"$ref": "https://example.com/person.schema.json"}}}
    root = make_repo(tmp_path, {"d.json": '{"owner": {}}', "s.json": json.dumps(schema)})
    repo = Repo(root)
    with pytest.raises(ArtifactError) as caught:
        schema_errors(repo, load_json(repo, "d.json"), "s.json")
    assert (caught.value.path, caught.value.line, caught.value.message) == (
        "s.json", None, "cannot resolve `$ref` `https://example.com/person.schema.json`: only references inside the "
                        "schema or to other schema files in the repository are followed (nothing is fetched)")


def test_a_ref_out_of_the_root_is_not_read(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"type": "string"}', encoding="utf-8")
    root = make_repo(tmp_path / "repo", {"d.json": "1", "s.json": json.dumps({"$ref": "../outside.json"})})
    repo = Repo(root)
    with pytest.raises(ArtifactError) as caught:
        schema_errors(repo, load_json(repo, "d.json"), "s.json")
    assert caught.value.message.startswith("cannot resolve `$ref` `")


def test_an_invalid_schema_is_an_error_naming_the_schema(tmp_path):
    root = make_repo(tmp_path, {"d.json": "{}", "s.json": '{"type": "objekt"}', "u.json": '{"$schema": "x:y"}',
                                "l.json": "[1]"})
    repo = Repo(root)
    data = load_json(repo, "d.json")
    with pytest.raises(ArtifactError) as caught:
        schema_errors(repo, data, "s.json")
    assert (caught.value.path, caught.value.message) == (
        "s.json", "not a valid JSON Schema: 'objekt' is not valid under any of the given schemas (at `/type`)")
    with pytest.raises(ArtifactError) as caught:
        schema_errors(repo, data, "u.json")
    assert caught.value.message == ("unknown `$schema` `x:y`: name a JSON Schema draft "
                                    "(draft 3, 4, 6, 7, 2019-09 or 2020-12)")
    with pytest.raises(ArtifactError) as caught:
        schema_errors(repo, data, "l.json")
    assert caught.value.message == "not a JSON Schema: the file holds a list or a scalar, not an object"
    with pytest.raises(ArtifactMissing):
        schema_errors(repo, data, "missing.json")


def test_schema_errors_in_a_gate(tmp_path):
    policy = '''pack p "P" version "1"
gate valid "plan.yaml follows its schema" {
  require no e in schema_errors(yaml("plan.yaml"), "plan.schema.json"): true else "{e.path}: {e.message}"
}
'''
    run = run_policy(tmp_path, policy, {"plan.yaml": PLAN, "plan.schema.json": json.dumps(SCHEMA)})
    result = run.results[0]
    assert result.status == "fail"
    assert [(e.path, e.line) for e in result.evidence] == [("plan.yaml", 6), ("plan.yaml", 7), ("plan.yaml", 8),
                                                           ("plan.yaml", 9)]
    assert result.evidence[0].message == "/tasks/1/id: 'X2' does not match '^T[0-9]+$'"
