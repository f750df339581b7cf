"""Lexical scope, pack extension, overrides, `use defs from` and the quantifier forms, through
`policylint check` on a throwaway repository holding the packs (tests/cases/extension/*.yaml).

Each case: `note`; `files` (path -> text: the packs and the repository's files); `pack` (what
`--pack` names, a path in the repository); and what it wants: `want` (subject or `.` -> gate ->
status), `want_subjects` (subject -> {lifecycle, claimed, earned}: every subject, each once),
`want_evidence` (gate -> ["path:line: message", …] of its first result), `want_error` (the
policy is refused: the diagnostic's text, as printed, from its first line).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import make_repo
from policylint.cli import main

CASES = Path(__file__).resolve().parents[1] / "cases" / "extension"


def _cases():
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}-{case['note']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_case(case, tmp_path, capsys, monkeypatch):
    repo = make_repo(tmp_path / "repo", case["files"])
    monkeypatch.chdir(repo)
    code = main(["check", "--no-cache", "--root", ".", "--pack", case["pack"], "-f", "json"])
    out, err = capsys.readouterr()
    if "want_error" in case:
        assert code == 2, out
        assert case["want_error"].strip() in err, err
        return
    assert code in (0, 1), err
    run = json.loads(out)
    got = {}
    for r in run["results"]:
        got.setdefault(r["subject"] or ".", {}).setdefault(r["gate"], r)
    for subject, gates in (case.get("want") or {}).items():
        for gate, status in gates.items():
            assert gate in got.get(subject, {}), f"no result for {subject} {gate}: {sorted(got.get(subject, {}))}"
            assert got[subject][gate]["status"] == status, (subject, gate, got[subject][gate])
    if "want_subjects" in case:
        subjects = [(s["id"], s["lifecycle"]) for s in run["subjects"]]
        assert len(subjects) == len(set(s for s, _ in subjects)), f"a subject listed twice: {subjects}"
        seen = {s["id"]: {"lifecycle": s["lifecycle"], "claimed": s["claimed"], "earned": s["earned"]}
                for s in run["subjects"]}
        assert seen == case["want_subjects"]
    for gate, lines in (case.get("want_evidence") or {}).items():
        result = next(r for r in run["results"] if r["gate"] == gate)
        shown = [f"{e['path']}:{e['line']}: {e['message']}" if e.get("line") else f"{e['path']}: {e['message']}"
                 for e in result["evidence"]]
        assert shown == lines
