"""The results cache (.policylint_cache/): a cached run prints the same bytes as an uncached
one, whatever changed in between, and a damaged, planted or foreign entry is a miss.

Each scenario runs `policylint check` twice on a copy of the sample repository (the second
run reuses what the first kept), changes the repository between or before, and compares the
cached run's output, in every format checked, with a `--no-cache` run of the same tree."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT
from policylint.cli import main

SAMPLE = ROOT / "fixtures" / "speckit-demo"
GIT_PACK = """pack gitfacts "git facts"
gate head "HEAD is recorded" { require git.head != null and count(git.branches) > 0 }
gate on-main "On main" { require git.branch == "main" }
"""
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".policylint_cache"))
    return root


def _run(capsys, root: Path, *extra: str) -> tuple:
    code = main(["check", "--root", str(root), *extra])
    out = capsys.readouterr().out
    return code, out


def _same_as_uncached(capsys, root: Path, *extra: str) -> None:
    for fmt in ("json", "text"):
        cached = _run(capsys, root, "-f", fmt, *extra)
        fresh = _run(capsys, root, "-f", fmt, "--no-cache", *extra)
        assert cached == fresh, fmt


def _warm(capsys, root: Path, *extra: str) -> None:
    for fmt in ("json", "text"):
        _run(capsys, root, "-f", fmt, *extra)
    assert (root / ".policylint_cache").is_dir()


def _edit_task(root: Path) -> None:
    path = root / "specs/003-team-invitations/tasks.md"
    path.write_text(path.read_text(encoding="utf-8").replace("- [ ]", "- [x]", 1), encoding="utf-8")


def _rename_spec(root: Path) -> None:
    (root / "specs/004-activity-feed").rename(root / "specs/006-activity-feed")


def _delete_plan(root: Path) -> None:
    (root / "specs/002-invoice-csv-export/plan.md").unlink()


def _new_checklist(root: Path) -> None:
    (root / "specs/002-invoice-csv-export/checklists/security.md").write_text(
        "# Security\n\n- [ ] CHK100 Are exports limited to the member's own invoices?\n", encoding="utf-8")


def _new_spec(root: Path) -> None:
    shutil.copytree(root / "specs/005-dark-mode", root / "specs/007-dark-mode-again")


def _same_size_same_mtime(root: Path) -> None:
    """A rewrite within the same mtime tick as the run that kept it (a coarse file system, or
    two writes in one second), the size unchanged: only the content hash can tell."""
    path = root / "specs/004-activity-feed/spec.md"
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    changed = text.replace("[NEEDS CLARIFICATION:", "[NEEDS-CLARIFIED    :", 1)
    assert len(changed.encode()) == len(text.encode()) and changed != text
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _touch_now(root: Path) -> None:
    """The file was written just before the run that keeps its verdicts."""
    path = root / "specs/004-activity-feed/spec.md"
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def _param(root: Path) -> None:
    (root / ".policylint.yaml").write_text("params:\n  speckit:\n    mandatory_sections: [Requirements]\n",
                                           encoding="utf-8")


@pytest.mark.parametrize("change", [_edit_task, _rename_spec, _delete_plan, _new_checklist, _new_spec,
                                    _same_size_same_mtime, _param])
def test_a_cached_run_after_a_change_prints_what_an_uncached_one_does(capsys, repo, change):
    _touch_now(repo)
    _warm(capsys, repo, "--pack", "speckit")
    change(repo)
    _same_as_uncached(capsys, repo, "--pack", "speckit")


def test_nothing_changed_prints_the_same_and_keeps_out_of_git(capsys, repo):
    first = _run(capsys, repo, "--pack", "speckit", "-f", "json")
    again = _run(capsys, repo, "--pack", "speckit", "-f", "json")
    assert first == again
    assert (repo / ".policylint_cache" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_a_changed_pack_is_evaluated_again(capsys, repo):
    pack = repo / "team" / "team.policy"
    pack.parent.mkdir()
    pack.write_text('pack team "t"\ngate readme { require exists("README.md") }\n', encoding="utf-8")
    _warm(capsys, repo, "--pack", str(pack))
    pack.write_text('pack team "t"\ngate readme { require exists("README.mdx") }\n', encoding="utf-8")
    _same_as_uncached(capsys, repo, "--pack", str(pack))


@needs_git
def test_a_new_commit_or_branch_is_seen(capsys, repo):
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "gitfacts.policy").write_text(GIT_PACK, encoding="utf-8")
    _warm(capsys, repo, "--pack", str(repo / "gitfacts.policy"))
    _git(repo, "checkout", "-q", "-b", "feature")
    _same_as_uncached(capsys, repo, "--pack", str(repo / "gitfacts.policy"))
    _warm(capsys, repo, "--pack", str(repo / "gitfacts.policy"))
    _git(repo, "checkout", "-q", "main")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    _same_as_uncached(capsys, repo, "--pack", str(repo / "gitfacts.policy"))


@pytest.mark.parametrize("damage", ["garbage", "empty", "planted", "swapped"])
def test_a_damaged_planted_or_swapped_entry_is_a_miss(capsys, repo, damage):
    _warm(capsys, repo, "--pack", "speckit")
    entries = sorted(p for p in (repo / ".policylint_cache").iterdir() if p.name != ".gitignore")
    assert entries
    for path in entries:
        if damage == "garbage":
            path.write_bytes(b"\x00not json{{")
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "planted":  # well-formed JSON with the right name, but not signed by this user
            path.write_text('{"written": 1, "observations": {}, "shared": [], "entries": {}, '
                            '"payloads": "x", "outputs": {}}', encoding="utf-8")
    if damage == "swapped":  # each entry's content moved to another's name
        contents = [p.read_bytes() for p in entries]
        for path, content in zip(entries, contents[1:] + contents[:1]):
            path.write_bytes(content)
    _edit_task(repo)
    _same_as_uncached(capsys, repo, "--pack", "speckit")


def test_no_cache_writes_nothing(capsys, repo):
    _run(capsys, repo, "--pack", "speckit", "--no-cache")
    assert not (repo / ".policylint_cache").exists()


def test_waiver_comments_in_files_a_kept_subject_read_are_still_judged(capsys, repo):
    """A stale waiver comment (PL301) and one naming no gate (PL312) in a subject's files are
    noticed by a run that takes that subject's verdicts from the cache, as by one that does not."""
    spec = repo / "specs/001-password-reset/spec.md"
    spec.write_text("<!-- policylint: waive speckit.draft.user-stories -- written elsewhere -->\n"
                    "<!-- policylint: waive speckit.nothing-here -- no such gate -->\n"
                    + spec.read_text(encoding="utf-8"), encoding="utf-8")
    _warm(capsys, repo, "--pack", "speckit")
    _edit_task(repo)
    _same_as_uncached(capsys, repo, "--pack", "speckit")
    assert "PL312" in _run(capsys, repo, "--pack", "speckit", "-f", "text")[1]


def test_an_unchanged_repository_is_not_evaluated_and_an_edit_evaluates_one_subject(capsys, repo, monkeypatch):
    from policylint import evaluate

    first = _run(capsys, repo, "--pack", "speckit", "-f", "json")
    time.sleep(0.01)
    evaluated = []
    real_subject, real_run = evaluate.Engine._subject, evaluate.Engine.run

    def no_run(self, packs):
        raise AssertionError("the engine ran although nothing changed")

    monkeypatch.setattr(evaluate.Engine, "run", no_run)
    assert _run(capsys, repo, "--pack", "speckit", "-f", "json") == first
    monkeypatch.setattr(evaluate.Engine, "run", real_run)

    def counted(self, node, parts, value, sid, *rest):
        evaluated.append(sid)
        return real_subject(self, node, parts, value, sid, *rest)

    monkeypatch.setattr(evaluate.Engine, "_subject", counted)
    _edit_task(repo)
    _run(capsys, repo, "--pack", "speckit", "-f", "json")
    assert evaluated == ["specs/003-team-invitations"]


def test_github_job_summary_is_written_on_every_run(capsys, repo, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _run(capsys, repo, "--pack", "speckit", "-f", "github")
    once = summary.read_text(encoding="utf-8")
    assert once
    _run(capsys, repo, "--pack", "speckit", "-f", "github")
    assert summary.read_text(encoding="utf-8") == once + once
