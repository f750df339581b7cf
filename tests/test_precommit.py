"""The pre-commit hook, end to end, with the real pre-commit framework (`try-repo`)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


NEEDS_PRE_COMMIT = pytest.mark.skipif(not os.path.exists(PRE_COMMIT),
                                      reason="pre-commit is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One hook environment for the module's tests: installing it is what takes the time."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(repo, home, *files):
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    args = [PRE_COMMIT, "try-repo", str(ROOT), "policylint", "--verbose"]
    args += ["--files", *files] if files else ["--all-files"]
    return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@NEEDS_PRE_COMMIT
def test_hook_runs_through_pre_commit_try_repo(tmp_path, pre_commit_home):
    repo = tmp_path / "project"
    shutil.copytree(ROOT / "fixtures" / "speckit-demo", repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "specs")

    def try_repo(*files):
        return _try_repo(repo, pre_commit_home, *files)

    passing = try_repo("specs/001-password-reset/spec.md")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "policylint" in passing.stdout and "Passed" in passing.stdout

    failing = try_repo("specs/004-activity-feed/spec.md")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "Failed" in failing.stdout
    assert "specs/004-activity-feed/spec.md:35  open question" in failing.stdout
    assert "specs/002-invoice-csv-export" not in failing.stdout  # only the subject the commit touched


@NEEDS_PRE_COMMIT
def test_hook_passes_with_one_notice_where_no_pack_applies_yet(tmp_path, pre_commit_home):
    repo = tmp_path / "new-project"
    repo.mkdir()
    (repo / "README.md").write_text("# A new project\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "start")
    result = _try_repo(repo, pre_commit_home, "README.md")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
    notice = [line for line in result.stdout.splitlines() if "policylint: nothing to check" in line]
    assert len(notice) == 1 and "no built-in pack applies to `.`" in notice[0], result.stdout
