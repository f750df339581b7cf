"""`policylint check --fix` and `--diff`: a lagging declared stage is rewritten to the stage the
spec's files show, and nothing else in the file changes (other lines, line endings, bytes in
another encoding, the rest of the line); a symlinked file is never written through.

The spec's opening lines are from 0riva/oriva-platform @ 8de1d22f,
specs/010-orivaflow-semantic-commerce/spec.md (MIT), via /work/shared/corpus/speckit/.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from policylint.cli import main

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "rules" / "speckit" / "tests" / "status-behind-the-files" / "repo" / "specs"

HEAD = (b"# Feature Specification: OrivaFlow - Semantic Commerce Platform\r\n\r\n"
        b"**Feature Branch**: `010-orivaflow-semantic-commerce`\r\n"
        b"**Created**: 2025-01-28\r\n"
        b"**Status**: Draft - Comprehensive Revision\r\n"
        b"**Input**: caf\xe9 \x93quoted\x94\r\n")  # cp1252 bytes on another line: kept as they are


def make_repo(tmp_path: Path) -> Path:
    """010 (Status `Draft - …`, checked tasks) with our head, and 002 with a lagging `.status`."""
    repo = tmp_path / "repo"
    spec = repo / "specs" / "010-orivaflow-semantic-commerce"
    shutil.copytree(CASE / "010-orivaflow-semantic-commerce", spec)
    body = (spec / "spec.md").read_bytes().split(b"**Input**", 1)[1].split(b"\n", 1)[1]
    (spec / "spec.md").write_bytes(HEAD + body)
    other = repo / "specs" / "002-correct-status"
    shutil.copytree(CASE / "001-lightsession-chatgpt", other)
    (other / ".status").write_bytes(b"planned\n")
    return repo


def run(capsys, *args):
    code = main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_shows_the_change_and_writes_nothing(tmp_path, capsys):
    repo = make_repo(tmp_path)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    code, out, err = run(capsys, "--root", str(repo), "--diff")
    assert code == 1
    assert out == (
        "--- a/specs/002-correct-status/.status\n"
        "+++ b/specs/002-correct-status/.status\n"
        "@@ -1 +1 @@\n"
        "-planned\n"
        "+tasked\n"
        "--- a/specs/010-orivaflow-semantic-commerce/spec.md\n"
        "+++ b/specs/010-orivaflow-semantic-commerce/spec.md\n"
        "@@ -2,7 +2,7 @@\n"
        " \r\n"
        " **Feature Branch**: `010-orivaflow-semantic-commerce`\r\n"
        " **Created**: 2025-01-28\r\n"
        "-**Status**: Draft - Comprehensive Revision\r\n"
        "+**Status**: Implementing - Comprehensive Revision\r\n"
        " **Input**: caf\ufffd \ufffdquoted\ufffd\r\n"  # bytes that are not UTF-8 show as U+FFFD
        " \n"
        " ## Execution Flow (main)\n")
    assert err == ""
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_fix_rewrites_only_the_first_word(tmp_path, capsys):
    repo = make_repo(tmp_path)
    spec = repo / "specs" / "010-orivaflow-semantic-commerce" / "spec.md"
    before = spec.read_bytes()
    code, out, err = run(capsys, "--root", str(repo), "--fix", "--select", "speckit.draft.status-current")
    assert err == ("fixed specs/002-correct-status/.status:1: `planned` -> `tasked` (speckit.draft.status-current)\n"
                   "fixed specs/010-orivaflow-semantic-commerce/spec.md:5: `Draft` -> `Implementing` "
                   "(speckit.draft.status-current)\n")
    assert spec.read_bytes() == before.replace(b"**Status**: Draft - Comprehensive Revision\r\n",
                                               b"**Status**: Implementing - Comprehensive Revision\r\n")
    assert (repo / "specs" / "002-correct-status" / ".status").read_bytes() == b"tasked\n"
    assert "FAIL" not in out and code == 0  # the report is of the files as they are now
    code, out, err = run(capsys, "--root", str(repo), "--diff")
    assert (code, out, err) == (0, "", "")


def test_a_symlinked_spec_is_refused(tmp_path, capsys):
    repo = make_repo(tmp_path)
    spec = repo / "specs" / "010-orivaflow-semantic-commerce" / "spec.md"
    real = repo / "real-spec.md"
    spec.rename(real)
    os.symlink("../../real-spec.md", spec)
    before = real.read_bytes()
    code, out, err = run(capsys, "--root", str(repo), "--fix", "--select", "speckit.draft.status-current")
    assert ("policylint: cannot fix specs/010-orivaflow-semantic-commerce/spec.md:5 (`speckit.draft.status-current`): "
            "it is a symlink, and policylint writes no file through a symlink\n") in err
    assert real.read_bytes() == before and spec.is_symlink()
    assert "specs/010-orivaflow-semantic-commerce/spec.md:5  Status says draft" in out


@pytest.mark.parametrize("status, fixed", [
    (b"**Status**: Draft (Rev.3.2, 2026-05-21)\n", b"**Status**: Implementing (Rev.3.2, 2026-05-21)\n"),
    (b"**Status**: DRAFT\n", b"**Status**: IMPLEMENTING\n"),
    (b"**Status**: **Draft**\n", b"**Status**: **Implementing**\n"),
])
def test_the_rest_of_the_line_is_kept(tmp_path, capsys, status, fixed):
    repo = make_repo(tmp_path)
    spec = repo / "specs" / "010-orivaflow-semantic-commerce" / "spec.md"
    text = spec.read_bytes().replace(b"**Status**: Draft - Comprehensive Revision\r\n", status)
    spec.write_bytes(text)
    run(capsys, "--root", str(repo), "--fix", "--select", "speckit.draft.status-current")
    assert spec.read_bytes() == text.replace(status, fixed)


def test_a_line_changed_since_the_check_is_not_rewritten(tmp_path):
    from policylint import fix

    repo = make_repo(tmp_path)
    edit = fix.Edit("specs/002-correct-status/.status", 1, None, "draft", "tasked", "g")
    plan = fix.plan(str(repo), [edit])
    assert plan.changes == {} and plan.refused == [(edit, "line 1 does not say `draft`")]


# -- the language: `claims furthest(…)`, `furthest(…)` and `fix … to …` ---------------------

LIFECYCLE = '''pack t "t"
lifecycle item in dirs("items/*") {
  claims furthest(text(item / ".status"), if exists(item / "done") then "c" else null)
  stage a { gate g "g" { require true } }
  stage b { gate h "h" { require true } }
  stage c {
    gate i "i" {
      require furthest("A (rev 2)", "b", "nothing", null) == "b" and furthest("x") == null
    }
  }
}
'''


def test_claims_furthest_takes_the_furthest_and_still_reports_an_unknown_stage(tmp_path):
    from conftest import run_policy

    run = run_policy(tmp_path, LIFECYCLE, {"items/1/.status": "a\n", "items/1/done": "",
                                           "items/2/.status": "b - since May\n",
                                           "items/3/.status": "reviewing\n", "items/3/done": ""})
    subjects = {s.id: (s.claimed, s.claimed_at, s.earned) for s in run.subjects}
    assert subjects == {"items/1": ("c", None, "c"), "items/2": ("b", "items/2/.status:1", "c"),
                        "items/3": ("c", None, "c")}  # what the files show still counts
    claims = [r for r in run.results if r.gate == "t.item.claims"]
    assert [(r.subject, r.message) for r in claims] == [
        ("items/3", "unknown stage `reviewing`; stages: a, b, c")]
    assert all(r.status == "pass" for r in run.results if r.gate == "t.c.i" and r.subject == "items/1")


def test_furthest_outside_a_lifecycle_says_so(tmp_path):
    from conftest import run_policy

    run = run_policy(tmp_path, 'pack t "t"\ngate g "g" {\n  require furthest("a") == null\n}\n')
    (result,) = run.results
    assert result.status == "error"
    assert result.message.startswith("`furthest` reads a lifecycle's stages: call it inside a lifecycle")
