"""Hostile and broken inputs: each one is a clear error naming the file and what is wrong,
fast, never a traceback and never a silent pass.

Covered here: a YAML alias bomb and other YAML limits, paths out of the root (`..`,
absolute paths, file and folder symlinks, also through `glob` and `dirs`), a 200 MB file,
invalid UTF-8 in JSON and YAML, nesting 100,000 levels deep (JSON, YAML, TOML), a huge
JSON Lines line. (XML bombs and truncated XML are tested with the coverage and junit
loaders.)
"""
from __future__ import annotations

import os
import time

import pytest

from conftest import BILLION_LAUGHS, make_repo, run_policy
from policylint.cli import main
from policylint.errors import ArtifactError
from policylint.loaders import data as data_module
from policylint.loaders.data import (MAX_ALIAS_NODES, MAX_DEPTH, load_json, load_jsonl, load_toml, load_yaml,
                                     parse_json, parse_jsonl, parse_yaml)
from policylint.loaders.files import dirs, glob, text
from policylint.loaders.openapi import load_openapi
from policylint.repo import MAX_FILE_BYTES, Repo

LOADERS = [load_yaml, load_json, load_toml, load_jsonl, load_openapi]


def error_of(call, *args):
    with pytest.raises(ArtifactError) as caught:
        call(*args)
    return caught.value.path, caught.value.line, caught.value.message


# -- YAML ---------------------------------------------------------------------------------

def test_a_yaml_alias_bomb_fails_fast(tmp_path):
    repo = Repo(make_repo(tmp_path, {"bomb.yaml": BILLION_LAUGHS}))
    started = time.perf_counter()
    assert error_of(load_yaml, repo, "bomb.yaml") == (
        "bomb.yaml", 6, f"YAML aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)")
    assert time.perf_counter() - started < 1


def test_aliases_within_the_limit_are_shared_not_copied():
    value = parse_yaml("base: &b {x: 1}\nuses: [*b, *b, *b]\n", "ok.yaml")
    assert value["uses"] == [{"x": 1}] * 3 and value["uses"][0] is value["base"]


def test_a_yaml_document_with_too_many_values(monkeypatch):
    monkeypatch.setattr(data_module, "MAX_YAML_NODES", 1000)
    text_ = "".join(f"- {i}\n" for i in range(2000))
    assert error_of(parse_yaml, text_, "many.yaml") == (
        "many.yaml", 1000, "the YAML document has more than 1000 values")


@pytest.fixture(params=["libyaml", "python"])
def pyyaml_parser(request, monkeypatch):
    """Each YAML test that takes this runs with libyaml and with PyYAML's Python parser alone:
    the results and messages must be the same."""
    import yaml

    if request.param == "python":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not yaml.__with_libyaml__:  # pragma: no cover - PyYAML built without libyaml
        pytest.skip("PyYAML has no libyaml here")
    return request.param


DEEP_YAML = [
    ("flow", "[" * 100_000 + "]" * 100_000, 1),
    ("block", "".join(" " * i + "- \n" for i in range(100_000))[:2_000_000], MAX_DEPTH + 1),
    ("keys", "".join(" " * i + "k:\n" for i in range(2_000)), MAX_DEPTH + 1),
    ("aliases", "a: &a " + "[" * 150 + "]" * 150 + "\nb: &b [" + "[" * 48 + "*a" + "]" * 49 + "\nc: [[[*b]]]\n", 3),
]


@pytest.mark.parametrize("name, text, line", DEEP_YAML, ids=[case[0] for case in DEEP_YAML])
def test_yaml_nested_a_hundred_thousand_levels(pyyaml_parser, name, text, line):
    """Our depth limit and message, whichever parser and PyYAML 6.x (libyaml in PyYAML 6.0.2
    and later has a nesting limit of its own, with its own words); an alias of a deep value
    counts as the levels it stands for."""
    started = time.perf_counter()
    assert error_of(parse_yaml, text, "deep.yaml") == ("deep.yaml", line, f"nested deeper than {MAX_DEPTH} levels")
    assert time.perf_counter() - started < 10


def test_yaml_at_the_depth_limit_reads(pyyaml_parser):
    from policylint.values import to_plain

    value = parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, "ok.yaml")
    assert to_plain(value) is not None
    aliased = parse_yaml("a: &a " + "[" * 150 + "]" * 150 + "\nb: [" + "[" * 47 + "*a" + "]" * 48 + "\n", "ok.yaml")
    assert to_plain(aliased) is not None  # 1 + 49 + 150 levels


def test_yaml_python_tags_are_refused_not_run(tmp_path):
    marker = tmp_path / "ran"
    source = f'!!python/object/apply:os.system ["touch {marker}"]\n'
    assert error_of(parse_yaml, source, "x.yaml") == (
        "x.yaml", 1, "refused: the YAML tag `!!python/object/apply:os.system` asks for a Python object")
    assert not marker.exists()


def front_matter_of(text: str, path: str):
    from policylint.loaders.markdown import parse_markdown

    return parse_markdown("---\n" + text + "---\n# Title\n", path)["front_matter"]


def openspec_yaml_of(text: str, path: str):
    from policylint.loaders.openspec import YamlError, read_yaml

    try:
        return read_yaml(text, path)
    except YamlError as exc:  # OpenSpec's reader says only why (OpenSpec itself reports no line)
        raise ArtifactError(path, str(exc)) from None


HOSTILE_YAML = [
    ("alias-bomb", BILLION_LAUGHS, 6, f"YAML aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)"),
    ("deep", "a: " + "[" * 100_000 + "]" * 100_000 + "\n", 1, f"nested deeper than {MAX_DEPTH} levels"),
    ("python-tag", "a: !!python/object/apply:os.system [true]\n", 1,
     "refused: the YAML tag `!!python/object/apply:os.system` asks for a Python object"),
    ("recursive", "a: &a [*a]\n", 1, "alias `*a` is used inside its own anchor (a recursive structure)"),
]
YAML_READERS = [(parse_yaml, 0), (front_matter_of, 1), (openspec_yaml_of, None)]


@pytest.mark.parametrize("reader, offset", YAML_READERS, ids=["yaml", "front-matter", "openspec"])
@pytest.mark.parametrize("name, text, line, message", HOSTILE_YAML, ids=[case[0] for case in HOSTILE_YAML])
def test_every_yaml_reader_has_the_same_limits(reader, offset, name, text, line, message):
    """One YAML reader, one set of limits and messages: the `yaml` loader, Markdown front
    matter and OpenSpec's files (.policylint.yaml: test_config.py)."""
    started = time.perf_counter()
    path, got_line, got_message = error_of(reader, text, "x.md")
    assert (path, got_message) == ("x.md", message)
    assert got_line == (line + offset if offset is not None else None)
    assert time.perf_counter() - started < 10


def test_every_yaml_reader_has_the_same_value_limit(monkeypatch):
    monkeypatch.setattr(data_module, "MAX_YAML_NODES", 1000)
    text_ = "items:\n" + "".join(f"- {i}\n" for i in range(2000))
    for reader, offset in YAML_READERS:
        path, line, message = error_of(reader, text_, "x.md")
        assert message == "the YAML document has more than 1000 values"
        assert line == (999 + offset if offset is not None else None)  # the mapping, its key, the list: 3 values


# -- JSON and TOML nested a hundred thousand levels -------------------------------------------

def test_json_nested_a_hundred_thousand_levels(tmp_path):
    repo = Repo(make_repo(tmp_path, {"deep.json": "[" * 100_000 + "]" * 100_000}))
    started = time.perf_counter()
    assert error_of(load_json, repo, "deep.json") == (
        "deep.json", 1, f"invalid JSON: nested deeper than {MAX_DEPTH} levels (column {MAX_DEPTH + 1})")
    assert time.perf_counter() - started < 2


def test_json_at_the_depth_limit_reads_and_converts():
    from policylint.values import to_plain

    value = parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "ok.json")
    assert to_plain(value) is not None  # walking it stays within Python's recursion limit


DEEP_TOML = [
    ("array", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", 1),
    ("lines", '# [[[[\ns = "[[[["\nm = """\n' + "[" * 300 + '"""\na = [\n' + "[\n" * 1_000 + "]\n" * 1_001, 205),
    ("inline-tables", "a = " + "{b = " * 1_000 + "1" + "}" * 1_000 + "\n", 1),
    ("just-too-deep", "a = " + "[" * 201 + "]" * 201 + "\n", 1),
]


@pytest.mark.parametrize("name, text, line", DEEP_TOML, ids=[case[0] for case in DEEP_TOML])
def test_toml_nested_a_hundred_thousand_levels(tmp_path, name, text, line):
    """tomllib gives up with a RecursionError near 490 levels; either way the limit is ours,
    located at the line where the nesting passes it (brackets in strings and comments aside)."""
    repo = Repo(make_repo(tmp_path, {"deep.toml": text}))
    assert error_of(load_toml, repo, "deep.toml") == ("deep.toml", line, f"nested deeper than {MAX_DEPTH} levels")


# -- paths out of the root --------------------------------------------------------------------

@pytest.fixture
def escaping_repo(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("token: s3cr3t\n", encoding="utf-8")
    root = make_repo(tmp_path / "repo", {"inside/ok.yaml": "ok: true\n"})
    os.symlink(outside / "secret.yaml", root / "link.yaml")  # a file symlink out of the root
    os.symlink(outside, root / "outdir")  # a folder symlink out of the root
    os.symlink(root / "inside" / "ok.yaml", root / "inlink.yaml")  # a symlink that stays inside
    return Repo(root)


@pytest.mark.parametrize("fn", LOADERS, ids=lambda fn: fn.__name__)
def test_a_file_symlink_out_of_the_root_is_refused(escaping_repo, fn):
    assert error_of(fn, escaping_repo, "link.yaml") == (
        "link.yaml", None, "path resolves outside the repository root (symlink)")


@pytest.mark.parametrize("fn", LOADERS, ids=lambda fn: fn.__name__)
def test_a_folder_symlink_out_of_the_root_is_refused(escaping_repo, fn):
    assert error_of(fn, escaping_repo, "outdir/secret.yaml") == (
        "outdir/secret.yaml", None, "path resolves outside the repository root (symlink)")


def test_a_symlink_that_stays_inside_is_followed(escaping_repo):
    assert load_yaml(escaping_repo, "inlink.yaml") == {"ok": True}


def test_glob_and_dirs_never_list_what_is_outside(escaping_repo):
    assert [str(p) for p in glob(escaping_repo, "**/*.yaml")] == ["inlink.yaml", "inside/ok.yaml"]
    assert [str(p) for p in glob(escaping_repo, "*")] == ["inlink.yaml", "inside"]
    assert [str(p) for p in glob(escaping_repo, "outdir/*")] == []
    assert [str(p) for p in dirs(escaping_repo, "*")] == ["inside"]
    assert not escaping_repo.exists("link.yaml") and not escaping_repo.exists("outdir/secret.yaml")


@pytest.mark.parametrize("fn", LOADERS + [text], ids=lambda fn: fn.__name__)
@pytest.mark.parametrize("path,message", [
    ("../outside/secret.yaml", "path leaves the repository root"),
    ("inside/../../outside/secret.yaml", "path leaves the repository root"),
    ("/etc/passwd", "absolute paths are not allowed; use a path relative to the repository root"),
    ("C:/Windows/win.ini", "absolute paths are not allowed; use a path relative to the repository root"),
    ("\\\\server\\share\\x.yaml", "absolute paths are not allowed; use a path relative to the repository root"),
], ids=["dotdot", "dotdot-inside", "absolute", "drive", "unc"])
def test_paths_out_of_the_root_are_refused(escaping_repo, fn, path, message):
    error_path, line, error_message = error_of(fn, escaping_repo, path)
    assert (line, error_message) == (None, message)


def test_glob_patterns_out_of_the_root_are_refused(escaping_repo):
    assert error_of(glob, escaping_repo, "../*")[2] == "path leaves the repository root"
    assert error_of(dirs, escaping_repo, "/etc/*")[2] == \
        "absolute paths are not allowed; use a path relative to the repository root"


def test_a_schema_out_of_the_root_is_refused(escaping_repo):
    data = load_yaml(escaping_repo, "inside/ok.yaml")
    from policylint.loaders.data import schema_errors

    assert error_of(schema_errors, escaping_repo, data, "outdir/secret.yaml") == (
        "outdir/secret.yaml", None, "path resolves outside the repository root (symlink)")


# -- size -------------------------------------------------------------------------------------

def test_a_200_megabyte_file_is_refused_without_reading_it(tmp_path):
    root = make_repo(tmp_path, {})
    big = root / "huge.json"
    with open(big, "wb") as handle:  # sparse: takes no disk space
        handle.truncate(200 * 1024 * 1024)
    repo = Repo(root)
    started = time.perf_counter()
    for fn in LOADERS:
        assert error_of(fn, repo, "huge.json") == (
            "huge.json", None, "file is too large to read: 200.0 MB (209715200 bytes), the limit is 50 MB")
    assert time.perf_counter() - started < 1
    assert MAX_FILE_BYTES == 50 * 1024 * 1024


# -- encodings --------------------------------------------------------------------------------

def test_invalid_utf8_in_json_is_an_error_at_its_line_and_column(tmp_path):
    repo = Repo(make_repo(tmp_path, {"bad.json": b'{\n  "name": "caf\xe9",\n  "n": 1\n}\n'}))
    assert error_of(load_json, repo, "bad.json") == (
        "bad.json", 2, "not valid UTF-8: byte 0xe9 at column 15 (invalid continuation byte)")


def test_invalid_utf8_in_yaml_is_an_error_at_its_line_and_column(tmp_path):
    repo = Repo(make_repo(tmp_path, {"bad.yaml": b"ok: true\ntitle: \xc3\xa9t\xff\n"}))
    assert error_of(load_yaml, repo, "bad.yaml") == (
        "bad.yaml", 2, "not valid UTF-8: byte 0xff at column 10 (invalid start byte)")


def test_invalid_utf16_is_an_error(tmp_path):
    repo = Repo(make_repo(tmp_path, {"bad.json": b"\xff\xfe{\x00\x00\xd8"}))
    assert error_of(load_json, repo, "bad.json") == (
        "bad.json", 1, "not valid UTF-16 (it starts with a UTF-16 byte-order mark): unexpected end of data")


def test_nul_bytes_in_yaml_are_an_error(tmp_path, pyyaml_parser):
    repo = Repo(make_repo(tmp_path, {"nul.yaml": "é: 1\nbéé: \x00\n".encode("utf-8")}))
    assert error_of(load_yaml, repo, "nul.yaml") == (
        "nul.yaml", 2, "invalid YAML: the character #x0000 is not allowed in YAML (column 6)")


# -- JSON Lines -------------------------------------------------------------------------------

def test_a_huge_json_lines_line_reads_in_linear_time():
    """A 20 MB record on line 2 (one string): read whole, located at its line."""
    big = '{"blob": "' + "x" * 20_000_000 + '"}'
    source = '{"n": 1}\n' + big + '\n{"n": 3}\n'
    started = time.perf_counter()
    records = parse_jsonl(source, "big.jsonl")
    assert time.perf_counter() - started < 5
    assert [r.loc.line for r in records] == [1, 2, 3] and len(records[1]["blob"]) == 20_000_000
    assert records[1]["blob"].loc == ("big.jsonl", 2, 10)


def test_a_huge_broken_json_lines_line_names_its_line_and_column():
    source = '{"n": 1}\n{"blob": "' + "x" * 20_000_000 + '", }\n{"n": 3}\n'
    started = time.perf_counter()
    assert error_of(parse_jsonl, source, "big.jsonl") == (
        "big.jsonl", 2, "invalid JSON Lines: trailing comma before `}` (column 20000014)")
    assert time.perf_counter() - started < 5


def test_a_one_line_json_file_of_many_values_stays_linear():
    source = "[" + ",".join(['"v"'] * 500_000) + "]"
    started = time.perf_counter()
    value = parse_json(source, "one-line.json")
    assert time.perf_counter() - started < 10
    assert value[-1].loc == ("one-line.json", 1, len(source) - 3)


# -- what users see: inspect exits 2, a gate errors; never a traceback -----------------------

@pytest.mark.parametrize("loader,files,path,message", [
    ("yaml", {"bomb.yaml": BILLION_LAUGHS}, "bomb.yaml",
     f"bomb.yaml:6: YAML aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)"),
    ("json", {"deep.json": "[" * 100_000}, "deep.json",
     f"deep.json:1: invalid JSON: nested deeper than {MAX_DEPTH} levels (column {MAX_DEPTH + 1})"),
    ("jsonl", {"x.jsonl": b'{"a": "\xff"}\n'}, "x.jsonl", "x.jsonl:1: not valid UTF-8: byte 0xff at column 8 "
                                                           "(invalid start byte)"),
    ("toml", {}, "../pyproject.toml", "../pyproject.toml: path leaves the repository root"),
    ("openapi", {"api.yaml": "openapi: 3.0.0\npaths: {/x: [\n"}, "api.yaml",
     "api.yaml:3: invalid YAML: …"),  # then PyYAML's words
], ids=["alias-bomb", "deep-json", "utf8", "dotdot", "truncated-yaml"])
def test_inspect_exits_2_naming_the_file(tmp_path, capsys, loader, files, path, message):
    root = make_repo(tmp_path, files)
    assert main(["inspect", loader, path, "--root", str(root)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    if message.endswith("…"):
        assert captured.err.startswith(f"policylint: error[PL405] {message[:-1]}") and "Traceback" not in captured.err
    else:
        assert captured.err == f"policylint: error[PL405] {message}\n"


def test_a_gate_on_a_hostile_file_is_an_error_not_a_pass(tmp_path):
    policy = '''pack p "P" version "1"
gate none "no a in the data" { require no x in yaml("bomb.yaml").i: x == "lol" }
gate deep "deep json" { require count(json("deep.json")) >= 0 }
'''
    run = run_policy(tmp_path, policy, {"bomb.yaml": BILLION_LAUGHS, "deep.json": "[" * 100_000})
    assert [(r.gate, r.status) for r in run.results] == [("p.none", "error"), ("p.deep", "error")]
    assert run.results[0].evidence[0].message == \
        f"YAML aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)"


# -- a hostile JSON Schema --------------------------------------------------------------------

def test_a_backtracking_pattern_in_a_schema_runs_in_linear_time(tmp_path):
    """`(a+)+$` takes exponential time in Python's `re` on "aaa…a!"; RE2 answers at once."""
    import json

    from policylint.loaders.data import schema_errors

    schema = {"properties": {"name": {"pattern": "^(a+)+$"}}, "patternProperties": {"^(a|aa)+$": {"type": "string"}},
              "additionalProperties": False}
    hostile = "a" * 40 + "!"
    root = make_repo(tmp_path, {"d.json": json.dumps({"name": hostile, "a" * 40 + "!": 1}),
                                "s.json": json.dumps(schema)})
    repo = Repo(root)
    started = time.perf_counter()
    errors = schema_errors(repo, load_json(repo, "d.json"), "s.json")
    assert time.perf_counter() - started < 2
    assert [(e["path"], e["validator"]) for e in errors] == [("", "additionalProperties"), ("/name", "pattern")]


def test_a_pattern_re2_cannot_run_is_an_error(tmp_path):
    import json

    from policylint.loaders.data import schema_errors

    root = make_repo(tmp_path, {"d.json": '{"v": "x"}', "s.json": json.dumps({"properties": {"v": {"pattern": "(?=x)x"}}}),
                                "u.json": json.dumps({"patternProperties": {"^x": {}}, "unevaluatedProperties": False})})
    repo = Repo(root)
    path, line, message = error_of(schema_errors, repo, load_json(repo, "d.json"), "s.json")
    assert (path, line) == ("s.json", None)
    assert message.startswith("the pattern `(?=x)x` cannot run in RE2 (linear-time regexes): ")
    assert error_of(schema_errors, repo, load_json(repo, "d.json"), "u.json") == (
        "u.json", None, "`patternProperties` together with `unevaluatedProperties` is not supported: "
                        "jsonschema would run those patterns outside RE2 (linear-time regexes)")
