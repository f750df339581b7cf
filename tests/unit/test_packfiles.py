"""`pack_schema_errors(value, pack, schema)`: JSON Schemas shipped in a pack's own folder.

Each case builds a pack folder (`<pack>/<pack>.policy` plus schema files), registers it as
the only built-in pack, and checks what `pack_schema_errors` gives for a value read from a
repository file: the located errors, or the exact error (path, message) it raises.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, make_repo
from policylint.errors import ArtifactError
from policylint.loaders.data import load_json, load_jsonl
from policylint.loaders.packfiles import pack_schema_errors
from policylint.repo import Repo

OBJECT = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["seed"],
          "properties": {"seed": {"type": "integer"}, "owner": {"$ref": "common.schema.json#/$defs/person"}}}
COMMON = {"$defs": {"person": {"type": "string", "pattern": "\\S"}}}

CASES = [
    dict(id="valid", data='{"seed": 7, "owner": "maria"}', want=[]),
    dict(id="located-errors", data='{\n  "seed": "7",\n  "owner": ""\n}\n',
         want=[(2, "/seed", "type", "'7' is not of type 'integer'"),
               (3, "/owner", "pattern", "'' does not match '\\\\S'")]),
    dict(id="required", data="{}\n", want=[(1, "", "required", "'seed' is a required property")]),
    dict(id="jsonl-lines", path="log.jsonl", schema="schemas/log.schema.json",
         data='{"seed": 1}\n{"seed": true}\n\n{}\n',
         want=[(2, "/1/seed", "type", "True is not of type 'integer'"),
               (4, "/2", "required", "'seed' is a required property")]),
    dict(id="dot-segments", schema="./schemas/../schemas/config.schema.json", data='{"seed": 1}', want=[]),
    dict(id="unknown-pack", pack="nope", data="{}", error=("nope", "unknown pack `nope`; known packs: team")),
    dict(id="pack-as-path", pack="./team", data="{}",
         error=("./team", "`pack` must name a built-in or installed pack (such as `changeflow`), not a path")),
    dict(id="empty-pack", pack="", data="{}",
         error=("", "`pack` must name a built-in or installed pack (such as `changeflow`), not a path")),
    dict(id="absolute", schema="/etc/passwd", data="{}",
         error=("team:/etc/passwd", "absolute paths are not allowed; use a path inside the folder of pack `team`")),
    dict(id="leaves-folder", schema="../other/x.json", data="{}",
         error=("team:../other/x.json", "the path leaves the folder of pack `team`")),
    dict(id="the-folder-itself", schema=".", data="{}",
         error=("team:.", "the path leaves the folder of pack `team`")),
    dict(id="missing", schema="schemas/nope.json", data="{}",
         error=("team:schemas/nope.json", "file not found in the folder of pack `team`")),
    dict(id="a-folder", schema="schemas", data="{}",
         error=("team:schemas", "is a folder, expected a file")),
    dict(id="not-a-schema", schema="schemas/bad.schema.json", data="{}",
         error=("team:schemas/bad.schema.json",
                "not a valid JSON Schema: 'objekt' is not valid under any of the given schemas (at `/type`)")),
    dict(id="not-json", schema="schemas/broken.schema.json", data="{}",
         error=("team:schemas/broken.schema.json", "invalid JSON: expecting value, found the end of the text (column 10)")),
    dict(id="ref-to-missing-file", schema="schemas/dangling.schema.json", data='{"a": 1}',
         error=("team:schemas/dangling.schema.json",
                "cannot resolve `$ref` `gone.json`: only references inside the schema or to other schema "
                "files in the folder of pack `team` are followed (nothing is fetched)")),
    dict(id="remote-ref", schema="schemas/remote.schema.json", data='{"a": 1}',
         error=("team:schemas/remote.schema.json",
                "cannot resolve `$ref` `https://example.com/a.json`: only references inside the schema or to other "
                "schema files in the folder of pack `team` are followed (nothing is fetched)")),
]

PACK_FILES = {
    "team.policy": 'pack team "Team" version "1.0.0"\n',
    "schemas/config.schema.json": json.dumps(OBJECT),
    "schemas/common.schema.json": json.dumps(COMMON),
    "schemas/log.schema.json": json.dumps({"type": "array", "items": {"$ref": "config.schema.json"}}),
    "schemas/bad.schema.json": '{"type": "objekt"}',
    "schemas/broken.schema.json": '{"type": ',
    "schemas/dangling.schema.json": json.dumps({"properties": {"a": {"$ref": "gone.json"}}}),
    "schemas/remote.schema.json": json.dumps({"properties": {"a": {"$ref": "https://example.com/a.json"}}}),
}


@pytest.fixture
def team_pack(tmp_path, monkeypatch):
    """A pack `team` in tmp_path/packs/team, the only built-in pack; no installed packs."""
    folder = make_repo(tmp_path / "packs" / "team", PACK_FILES)
    monkeypatch.setattr("policylint.packs.builtin_packs", lambda: {"team": folder / "team.policy"})
    monkeypatch.setattr("policylint.packs.installed_packs", lambda: {})
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_pack_schema_errors(case, tmp_path, team_pack):
    path = case.get("path", "data.json")
    repo = Repo(make_repo(tmp_path / "repo", {path: case["data"]}))
    value = (load_jsonl if path.endswith(".jsonl") else load_json)(repo, path)
    pack, schema = case.get("pack", "team"), case.get("schema", "schemas/config.schema.json")
    if "error" in case:
        with pytest.raises(ArtifactError) as caught:
            pack_schema_errors(repo, value, pack, schema)
        assert (caught.value.path, caught.value.message) == case["error"]
        assert type(caught.value) is ArtifactError  # never ArtifactMissing: a broken pack is an error, not a fail
        return
    errors = pack_schema_errors(repo, value, pack, schema)
    assert [(e["line"], e["path"], e["validator"], e["message"]) for e in errors] == case["want"]
    assert all(e.loc.path == path for e in errors)


def test_a_symlink_out_of_the_pack_folder_is_refused(tmp_path, team_pack):
    outside = tmp_path / "secret.json"
    outside.write_text('{"type": "string"}', encoding="utf-8")
    (team_pack / "schemas" / "link.json").symlink_to(outside)
    repo = Repo(make_repo(tmp_path / "repo", {"d.json": "{}"}))
    with pytest.raises(ArtifactError) as caught:
        pack_schema_errors(repo, load_json(repo, "d.json"), "team", "schemas/link.json")
    assert (caught.value.path, caught.value.message) == (
        "team:schemas/link.json", "path resolves outside the folder of pack `team` (symlink)")


def test_the_schema_is_compiled_once_per_run(tmp_path, team_pack, monkeypatch):
    from policylint.loaders import data

    calls = []
    real = data._validator
    monkeypatch.setattr(data, "_validator", lambda repo, norm: calls.append(norm) or real(repo, norm))
    repo = Repo(make_repo(tmp_path / "repo", {"a.json": '{"seed": 1}', "b.json": '{"seed": "x"}'}))
    assert pack_schema_errors(repo, load_json(repo, "a.json"), "team", "schemas/config.schema.json") == []
    assert len(pack_schema_errors(repo, load_json(repo, "b.json"), "team", "./schemas/config.schema.json")) == 1
    assert calls == ["schemas/config.schema.json"]


def test_the_builtin_changeflow_schemas_are_valid_and_found():
    """The real thing: every schema the changeflow pack ships compiles, from the built-in rules."""
    from policylint.loaders.data import _validator
    from policylint.loaders.packfiles import pack_folder

    folder = pack_folder("changeflow")
    assert folder == ROOT / "rules" / "changeflow"
    names = sorted(p.name for p in (folder / "schemas").glob("*.schema.json"))
    assert names == ["common.schema.json", "concerns.schema.json", "handoff.schema.json",
                     "planner-config.schema.json", "retention.schema.json", "run-audit.schema.json",
                     "test-results.schema.json"]
    for name in names:
        _validator(Repo(folder), f"schemas/{name}")


def test_in_a_gate_the_errors_point_at_the_data_file(tmp_path, team_pack):
    from conftest import run_policy

    policy = '''pack p "P" version "1"
gate config "config.json follows the team's schema" {
  require every e in pack_schema_errors(json("config.json"), "team", "schemas/config.schema.json"): false
    else "{e.message}"
}
gate broken "a broken schema is an error" {
  require every e in pack_schema_errors(json("config.json"), "team", "schemas/bad.schema.json"): false
}
'''
    run = run_policy(tmp_path, policy, {"config.json": '{\n  "seed": 1.5\n}\n'})
    results = {r.gate: r for r in run.results}
    assert results["p.config"].status == "fail"
    assert [(e.path, e.line, e.message) for e in results["p.config"].evidence] == [
        ("config.json", 2, "1.5 is not of type 'integer'")]
    assert results["p.broken"].status == "error"
    assert [(e.path, e.line) for e in results["p.broken"].evidence] == [("team:schemas/bad.schema.json", None)]


def test_the_loader_is_registered_and_typed():
    from policylint import loaders
    from policylint.loaders.data import SCHEMA_ERROR

    fn = loaders.get("pack_schema_errors")
    assert fn is pack_schema_errors
    signature = fn.signature
    assert signature.needs_repo and [name for name, _ in signature.params] == ["value", "pack", "schema"]
    assert signature.returns.elem is SCHEMA_ERROR


def test_the_module_imports_no_jsonschema_or_packs():
    import subprocess
    import sys

    code = ("import sys, policylint.loaders.packfiles; "
            "print(sorted(m for m in ('jsonschema', 'referencing', 'policylint.packs') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2]).stdout
    assert out.strip() == "[]"
