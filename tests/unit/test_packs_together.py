"""Built-in packs configured together, run through the CLI as a team would run them.

A case is a folder under tests/cases/packs/ laid out like a pack's case: `repo/` (with the
team's configuration in it: `[tool.policylint]` in pyproject.toml or `.policylint.yaml`)
and `expected.yaml`:

    note: what the case shows
    git: {base: main, history: […]}   # replayed as in a pack case (policylint/casegit.py)
    exit_code: 1                      # what `policylint check --base <base>` exits with
    results:                          # per subject ('.' for repository-wide gates): gate -> status,
      .:                              # or {status, evidence: ["path:line: message"]}
        human-gates.dependency-review: pass

The run is `policylint check --root <repo> --base <base> -f json`, with no `--pack`: the
packs are the ones the configuration names. Every pack the configuration names must have
results in the output, and each result listed must be there, as written.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from policylint.casegit import build_history
from policylint.cli import main

CASES = Path(__file__).parents[1] / "cases" / "packs"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _folders() -> list:
    return sorted(folder for folder in CASES.iterdir() if (folder / "expected.yaml").is_file())


def _evidence_line(ev: dict) -> str:
    where = f"{ev['path']}:{ev['line']}" if ev.get("line") else ev["path"]
    return f"{where}: {ev['message']}"


@pytest.mark.parametrize("folder", _folders(), ids=lambda folder: folder.name)
def test_packs_run_together(folder, tmp_path, capsys, monkeypatch):
    spec = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    assert set(spec) <= {"note", "git", "exit_code", "results"} and spec.get("note")
    root = tmp_path / "repo"
    shutil.copytree(folder / "repo", root)
    build_history(root, spec["git"], folder / "expected.yaml")
    for variable in ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME"):
        monkeypatch.delenv(variable, raising=False)

    code = main(["check", "--root", str(root), "--base", spec["git"]["base"], "-f", "json", "--no-cache"])
    out = capsys.readouterr()
    report = json.loads(out.out)

    configured = _configured_packs(root)
    assert report["packs"] == configured, out.err
    gates_by_pack = {pack: [r for r in report["results"] if r["gate"].startswith(pack + ".")] for pack in configured}
    assert all(gates_by_pack.values()), {pack: len(found) for pack, found in gates_by_pack.items()}
    actual = {(r["subject"] or ".", r["gate"]): r for r in report["results"]}
    for subject, gates in spec["results"].items():
        for gate, want in gates.items():
            want = {"status": want} if isinstance(want, str) else want
            got = actual.get((subject, gate))
            assert got is not None, f"no result for {subject} {gate}"
            assert got["status"] == want["status"], (subject, gate, got.get("message"))
            if "evidence" in want:
                assert [_evidence_line(e) for e in got["evidence"]] == want["evidence"], (subject, gate)
    assert code == spec["exit_code"], out.err


def _configured_packs(root: Path) -> list:
    from policylint.config import load_config

    return list(load_config(root).packs)


def test_the_combination_case_names_the_three_packs():
    """The case this file exists for: speckit, human-gates and conventional-commits in one config."""
    folder = CASES / "speckit-human-gates-commits"
    assert _configured_packs(folder / "repo") == ["speckit", "human-gates", "conventional-commits"]
