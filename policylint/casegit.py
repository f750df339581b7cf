"""Git history for a pack's case folder: the `git:` key of expected.yaml, replayed with git.

A case folder holds plain files, but gates over `git.branch`, `git.commits` or
`git.changed_files` need history. The case's `repo/` is committed as the first commit on
`main` (message `git.initial`, default `chore: initial commit`), then each step of
`git.history` runs in order (see packtest's docstring for the steps). Names, emails and
dates are fixed (one minute apart from 2026-01-01) and the user's git configuration is not
read, so the same case gives the same shas on every machine and the evidence that names a
commit by its short sha stays stable.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

AUTHOR = ("Case Author", "author@example.com")
EPOCH = 1767225600  # 2026-01-01T00:00:00Z
STEPS = ("branch", "commit", "tag", "merge", "delete-branch", "remote-branch")


def build_history(root: Path, spec, expected_path: Path) -> None:
    """Turn `root` into a git repository with the history `spec` describes."""
    if not isinstance(spec, dict):
        _fail(expected_path, "`git` must be a mapping with `history` (and optionally `base`, `initial`)")
    unknown = sorted(set(spec) - {"base", "history", "initial"})
    if unknown:
        _fail(expected_path, f"`git` has unknown key `{unknown[0]}`: expected base, history or initial")
    git = _Git(root, expected_path)
    git.run("init", "-q", "-b", "main")
    git.run("add", "-A")
    git.commit(str(spec.get("initial") or "chore: initial commit"), allow_empty=True)
    history = spec.get("history") or []
    if not isinstance(history, list):
        _fail(expected_path, "`git.history` must be a list of steps")
    for number, step in enumerate(history, 1):
        where = f"`git.history` step {number}"
        if not isinstance(step, dict) or not (set(step) & set(STEPS)):
            _fail(expected_path, f"{where}: expected one of {', '.join(STEPS)}")
        action = next(key for key in STEPS if key in step)
        allowed = {"commit": {"commit", "files", "author"}, "tag": {"tag"}, "merge": {"merge", "message"},
                   "branch": {"branch"}, "delete-branch": {"delete-branch"},
                   "remote-branch": {"remote-branch"}}[action]
        extra = sorted(set(step) - allowed)
        if extra:
            _fail(expected_path, f"{where} ({action}): unknown key `{extra[0]}`; expected {', '.join(sorted(allowed))}")
        if action == "branch":
            name = str(step["branch"])
            exists = git.run("rev-parse", "--verify", "--quiet", f"refs/heads/{name}", ok=(0, 1)) == 0
            git.run("checkout", "-q", *(() if exists else ("-b",)), name)
        elif action == "commit":
            _write_files(root, step.get("files") or {}, expected_path, where)
            git.run("add", "-A")
            git.commit(str(step["commit"]), author=step.get("author"), allow_empty=True)
        elif action == "tag":
            tag = step["tag"]
            if isinstance(tag, dict):
                git.run("tag", "-a", str(tag["name"]), "-m", str(tag.get("message") or tag["name"]))
            else:
                git.run("tag", str(tag))
        elif action == "merge":
            branch = str(step["merge"])
            git.run("merge", "-q", "--no-ff", "--no-edit", "-m", str(step.get("message") or f"Merge branch '{branch}'"),
                    branch)
        elif action == "remote-branch":  # as a fetch leaves it: origin/NAME at HEAD, no local branch needed
            git.run("update-ref", f"refs/remotes/origin/{step['remote-branch']}", "HEAD")
        else:
            git.run("branch", "-q", "-D", str(step["delete-branch"]))


def _write_files(root: Path, files, expected_path: Path, where: str) -> None:
    if not isinstance(files, dict):
        _fail(expected_path, f"{where}: `files` must map paths to their content (null deletes)")
    for rel, content in files.items():
        target = (root / str(rel)).resolve()
        if root.resolve() not in target.parents:
            _fail(expected_path, f"{where}: `{rel}` is outside the case's repository")
        if content is None:
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(content), encoding="utf-8")


class _Git:
    def __init__(self, root: Path, expected_path: Path):
        self.root = root
        self.expected_path = expected_path
        self.ticks = 0
        self.executable = shutil.which("git")
        if self.executable is None:
            _fail(expected_path, "this case has `git` history, and git is not installed")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C",
                        GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1],
                        GIT_COMMITTER_NAME=AUTHOR[0], GIT_COMMITTER_EMAIL=AUTHOR[1])

    def run(self, *args: str, ok=(0,)) -> int:
        self.ticks += 1
        stamp = f"@{EPOCH + 60 * self.ticks} +0000"
        env = dict(self.env, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        argv = [self.executable, "-C", str(self.root), "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
                "-c", "core.autocrlf=false", "-c", "init.defaultBranch=main", *args]
        done = subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL)
        if done.returncode not in ok:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
            _fail(self.expected_path, f"`git {' '.join(args)}` failed: {message[0]}")
        return done.returncode

    def commit(self, message: str, author=None, allow_empty=False) -> None:
        args = ["commit", "-q", "--no-verify", "--cleanup=verbatim", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        if author:
            args.append(f"--author={author}")
        self.run(*args)


def _fail(path: Path, message: str):
    from .diagnostics import Diagnostic, Span
    from .errors import PolicylintError

    raise PolicylintError(Diagnostic("PL308", message, Span(str(path), 1, 1)))
