"""The openapi loader: Spectral's view of the operations, the corpus, hostile `$ref`s.

Its cases are folders under tests/cases/loaders/openapi/ with `input.yaml` or `input.json`, run
by tests/test_cases.py in the format tests/caserunner.py describes (`notices`: every note, in
order), and `spectral.txt`: the operations `spectral lint` (@stoplight/spectral-cli 6.16.3)
finds with tests/cases/loaders/openapi/spectral-operations.yaml, each as `LINE JSON-PATH`.
Spectral's `oas` ruleset looks for operations exactly there, so we must find the same ones on
the same lines.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from caserunner import load, loader_cases
from conftest import CORPUS, make_repo, run_policy
from policylint.errors import ArtifactError, ArtifactMissing
from policylint.loaders.openapi import MAX_REF_EXPANSION, OPENAPI, OPERATION, load_openapi, parse_openapi
from policylint.repo import Repo
from policylint.types import element_type

CASES = Path(__file__).parents[1] / "cases" / "loaders" / "openapi"
CONTRACTS = CORPUS / "speckit" / "oriva-platform" / "specs" / "003-hugo-platform-integration" / "contracts"


def spectral_operations(folder: Path) -> list:
    """(line, METHOD, path or None) of each operation Spectral reported."""
    out = []
    for row in (folder / "spectral.txt").read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        line, *json_path = row.split(" ")
        path = json_path[1] if json_path[0] == "paths" else None
        out.append((int(line), json_path[-1].upper(), path))
    return out


@pytest.mark.parametrize("case", [c for c in loader_cases("openapi") if (c.folder / "spectral.txt").exists()],
                         ids=str)
def test_operations_are_the_ones_spectral_finds(case):
    ours = sorted((op["line"], op["method"].upper(), str(op["path"])) for op in load(case)["operations"])
    theirs = sorted(spectral_operations(case.folder))
    assert [(line, method) for line, method, _ in ours] == [(line, method) for line, method, _ in theirs]
    assert [path for (_, _, path), (_, _, want) in zip(ours, theirs) if want is not None] == \
        [want for _, _, want in theirs if want is not None]


# -- the corpus: every real contract of the Spec Kit repository -------------------------------

# file: operations as Spectral 6.16.3 reports them (line, METHOD path), and facts counted by hand
CORPUS_FACTS = {
    "hugo-auth-api.yaml": [(17, "POST /auth/register"), (93, "GET /auth/sso"), (133, "GET /auth/sso/callback"),
                           (173, "GET /auth/oauth/authorize"), (225, "POST /auth/oauth/token"),
                           (276, "POST /auth/refresh")],
    "hugo-chat-api.yaml": [(17, "POST /hugo/chat")],
    "hugo-knowledge-api.yaml": [(17, "POST /hugo/knowledge/search")],
    "hugo-user-api.yaml": [(17, "GET /hugo/user/progress"), (55, "PUT /hugo/user/progress"),
                           (109, "POST /hugo/user/memory"), (180, "GET /hugo/user/memory"),
                           (245, "GET /hugo/user/conversations"),
                           (302, "GET /hugo/user/conversations/{conversation_id}/messages"),
                           (364, "GET /hugo/user/preferences"), (389, "PUT /hugo/user/preferences"),
                           (434, "DELETE /hugo/user/account")],
}


@pytest.mark.skipif(not CONTRACTS.is_dir(), reason="the shared corpus is not here")
@pytest.mark.parametrize("name", sorted(CORPUS_FACTS))
def test_corpus_contract(name):
    text = (CONTRACTS / name).read_text(encoding="utf-8")
    api = parse_openapi(text, name)
    assert [(op["line"], str(op["text"])) for op in api["operations"]] == CORPUS_FACTS[name]
    for op in api["operations"]:
        assert op["summary"] and op["operation_id"]
        assert any(str(r["status"]).startswith(("4", "5")) for r in op["responses"])
        for response in op["responses"]:
            if response["schema_ref"]:  # every `$ref` of these files is resolved
                assert "$ref" not in response["schema"]
    # `grep -c 'security:'`: the auth API has none, the others one per operation
    secured = sum(bool(op["security"]) for op in api["operations"])
    assert secured == (0 if name == "hugo-auth-api.yaml" else len(CORPUS_FACTS[name]))


# -- in a gate ------------------------------------------------------------------------------

def test_a_gate_over_operations_points_at_each_one(tmp_path):
    policy = '''pack api "API" version "1"
gate summaries "Every operation has a summary and an error response" {
  require every op in openapi("openapi.yaml"):
    op.summary != null and (some r in op.responses: r.status matches /^(4|5|default)/)
    else "{op} lacks a summary or an error response"
}
gate secured "Every operation is secured" {
  require every op in openapi("openapi.yaml"): count(op.security) > 0 else "{op} is public"
}
'''
    source = (CASES / "swagger2-petstore" / "input.yaml").read_text(encoding="utf-8")
    source = source.replace("      summary: Find pet by ID\n", "")
    run = run_policy(tmp_path, policy, {"openapi.yaml": source})
    results = {r.gate: r for r in run.results}
    summaries = results["api.summaries"]
    assert summaries.status == "fail"
    assert [(e.path, e.line, e.message) for e in summaries.evidence] == [
        ("openapi.yaml", 42, "GET /pet/{petId} lacks a summary or an error response"),
        ("openapi.yaml", 94, "GET /store/inventory lacks a summary or an error response")]
    secured = results["api.secured"]
    assert [(e.line, e.message) for e in secured.evidence] == [(94, "GET /store/inventory is public")]


def test_a_broken_document_errors_the_gate(tmp_path):
    policy = 'pack api "API" version "1"\ngate g "t" { require count(openapi("openapi.yaml").operations) > 0 }\n'
    run = run_policy(tmp_path, policy, {"openapi.yaml": "openapi: 3.0.0\npaths: {/x: {get: [}\n"})
    result = run.results[0]
    assert result.status == "error"
    assert [(e.path, e.line) for e in result.evidence] == [("openapi.yaml", 2)]
    assert result.evidence[0].message.startswith("invalid YAML: ")
    (tmp_path / "m").mkdir()
    missing = run_policy(tmp_path / "m", policy, {})
    assert missing.results[0].status == "fail"
    assert [(e.path, e.message) for e in missing.results[0].evidence] == [("openapi.yaml", "file not found")]


def test_inspect_prints_operations(tmp_path, capsys):
    from policylint.cli import main

    root = make_repo(tmp_path, {"api.json": (CASES / "json-petstore-3.0" / "input.json").read_text(encoding="utf-8")})
    assert main(["inspect", "openapi", "api.json", "--root", str(root)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [op["text"] for op in shown["operations"]] == ["GET /pets"]
    assert shown["operations"][0]["@"] == "api.json:6"
    assert shown["operations"][0]["responses"][1]["schema"] == {
        "type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}


def test_the_loader_reads_through_the_repo_once(tmp_path):
    root = make_repo(tmp_path, {"api.yaml": "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"})
    repo = Repo(root)
    first = load_openapi(repo, "api.yaml")
    assert load_openapi(repo, "./api.yaml") is first and first["operations"] == []
    with pytest.raises(ArtifactMissing):
        load_openapi(repo, "missing.yaml")


def test_the_signature_and_record_types_are_declared():
    from policylint import loaders

    signature = loaders.get("openapi").signature
    assert signature.returns is OPENAPI and signature.needs_repo
    assert element_type(OPENAPI) is OPERATION  # `every op in openapi(…)` walks the operations
    documented = (Path(__file__).parents[2] / "policylint" / "loaders" / "openapi.py").read_text(encoding="utf-8")
    for field in list(OPENAPI.fields) + list(OPERATION.fields):
        assert f"`{field}`" in documented, field


# -- hostile and odd references -------------------------------------------------------------

def test_a_reference_bomb_is_resolved_one_level_deep():
    """Each schema holds ten references to the one before: 10**9 values if expanded."""
    schemas = {"S0": {"type": "string"}}
    for level in range(1, 10):
        schemas[f"S{level}"] = {"type": "object",
                                "properties": {f"p{k}": {"$ref": f"#/components/schemas/S{level - 1}"}
                                               for k in range(10)}}
    doc = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
           "paths": {"/x": {"get": {"responses": {"200": {"description": "d", "content": {
               "application/json": {"schema": {"$ref": "#/components/schemas/S9"}}}}}}}},
           "components": {"schemas": schemas}}
    text = json.dumps(doc, indent=1)
    notices = []
    started = time.perf_counter()
    api = parse_openapi(text, "bomb.json", lambda *args: notices.append(args))
    assert time.perf_counter() - started < 5
    schema = api["operations"][0]["responses"][0]["schema"]
    assert schema["properties"]["p0"] == {"$ref": "#/components/schemas/S8"}
    assert [(path, code, message) for path, _, code, message in notices] == [
        ("bomb.json", "PL408", f"`$ref`s expand to more than {MAX_REF_EXPANSION} values: schemas are resolved one "
                               "level deep (the `$ref`s inside them are left as written)")]


def test_long_chains_of_schemas_are_resolved_one_level_deep():
    """Like a large vendor API: 300 schemas, each holding the next (a chain deeper than the limit)."""
    schemas = {f"S{i}": {"type": "object", "properties": {"next": {"$ref": f"#/components/schemas/S{i + 1}"}}}
               for i in range(300)}
    schemas["S300"] = {"type": "string"}
    doc = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
           "paths": {"/x": {"get": {"responses": {"200": {"description": "d", "content": {
               "application/json": {"schema": {"$ref": "#/components/schemas/S0"}}}}}}}},
           "components": {"schemas": schemas}}
    notices = []
    api = parse_openapi(json.dumps(doc), "chain.json", lambda *args: notices.append(args[3]))
    assert api["operations"][0]["responses"][0]["schema"]["properties"]["next"] == {"$ref": "#/components/schemas/S1"}
    assert notices == ["`$ref`s nest deeper than 200 levels: schemas are resolved one level deep "
                       "(the `$ref`s inside them are left as written)"]
    short = dict(doc, components={"schemas": {k: schemas[k] for k in ("S298", "S299", "S300")}})
    short["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = \
        "#/components/schemas/S298"
    api = parse_openapi(json.dumps(short), "short.json")
    assert api["operations"][0]["responses"][0]["schema"]["properties"]["next"]["properties"]["next"] == \
        {"type": "string"}


def test_self_references_and_ref_chains_end():
    text = """openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        "200": {$ref: "#/components/responses/Loop"}
        "201": {$ref: "#/components/responses/Chain"}
components:
  responses:
    Loop: {$ref: "#/components/responses/Loop"}
    Chain: {$ref: "#/components/responses/Final"}
    Final: {description: the end}
  schemas:
    Self: {$ref: "#/components/schemas/Self"}
"""
    api = parse_openapi(text, "a.yaml")
    responses = api["operations"][0]["responses"]
    assert [(r["status"], r["description"]) for r in responses] == [("200", None), ("201", "the end")]
    assert api["schemas"] == {"Self": {"$ref": "#/components/schemas/Self"}}


def test_escaped_pointers_resolve():
    text = """swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a/{id}:
    get:
      responses:
        "200": {description: ok, schema: {type: string}}
  /b:
    $ref: "#/paths/~1a~1%7Bid%7D"
"""
    api = parse_openapi(text, "a.yaml")
    assert [(op["text"], op["line"]) for op in api["operations"]] == [("GET /a/{id}", 5), ("GET /b", 5)]
    assert api["operations"][1]["responses"][0]["content_types"] == ["application/json"]


def test_unsupported_openapi_version():
    with pytest.raises(ArtifactError) as caught:
        parse_openapi("openapi: 4.0.0\n", "a.yaml")
    assert (caught.value.line, caught.value.message) == (
        1, "unsupported OpenAPI version `4.0.0` (3.x and Swagger 2.0 are read)")
    with pytest.raises(ArtifactError) as caught:
        parse_openapi("- just\n- a list\n", "a.yaml")
    assert caught.value.message == "not an OpenAPI document: the file holds no mapping"
