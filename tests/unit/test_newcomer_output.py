"""What a newcomer reads: `inspect`, `explain`, `list` and the summary lines say what is true."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from policylint.cli import main

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git_repo(root):
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_COMMITTER_NAME": "A",
           "GIT_COMMITTER_EMAIL": "a@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "chore: initial"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


@needs_git
@pytest.mark.parametrize("args", [["inspect", "git", "."], ["inspect", "git"]])
def test_inspect_git_without_a_base_shows_the_view_and_exits_0(tmp_path, capsys, args):
    (tmp_path / "README.md").write_text("# x\n")
    _git_repo(tmp_path)
    assert main([*args, "--root", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["branch"] == "main"
    assert captured.err == ("note: git.merge_base, git.changed_files, git.commits need --base REV, the revision "
                            "a pull request merges into (e.g. --base origin/main)\n")


def test_inspect_git_refuses_a_path_it_would_not_read(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    assert main(["inspect", "git", "src", "--root", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("policylint: error: `git` reads the repository at --root, not `src`: "
                            "run `policylint inspect git --root DIR`\n")
