"""Git history for a pack's case folder: the `git:` key of expected.yaml, replayed with git.

A case folder holds plain files, but gates over `git.branch`, `git.commits` or
`git.changed_files` need history. The case's `repo/` is committed as the first commit on
`main` (message `git.initial`, default `chore: initial commit`), then each step of
`git.history` runs in order (see packtest's docstring for the steps). Names, emails and
dates are fixed (one minute apart from 2026-01-01) and the user's git configuration is not
read, so the same case gives the same shas on every machine and the evidence that names a
commit by its short sha stays stable.

A case is data, even from a stranger's pack. Its copy leaves out every `.git` (a shipped one
would bring its own config, hooks and fsmonitor, or point elsewhere), `files:` may not write
into `.git`, and git runs through gitrun with no configuration but ours: a fresh repository
without templates, no system or global configuration, `HOME` an empty folder. So the filter
or merge driver a `.gitattributes` names is defined nowhere and runs nothing, and no hook,
fsmonitor, pager or editor can run either.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from . import gitrun

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
    with tempfile.TemporaryDirectory(prefix="policylint-git-home-") as home:
        _replay(root, spec, expected_path, _Git(root, expected_path, home))


def _replay(root: Path, spec: dict, expected_path: Path, git: _Git) -> None:
    git.run("init", "-q", "--template=", "-b", "main")
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
        if action != "commit":
            _check_name(step[action], action, expected_path, where)
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
            git.run("merge", "-q", "--no-ff", "--no-edit",
                    "-m", str(step.get("message") or f"Merge branch '{branch}'"), branch)
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
        inside = target.relative_to(root.resolve()).parts
        if any(is_git_name(part) for part in (*Path(str(rel)).parts, *inside)):
            _fail(expected_path, f"{where}: `{rel}` is inside `.git`: a case writes its files, not git's")
        if content is None:
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(content), encoding="utf-8")


def copy_case_repo(source: Path, target: Path) -> None:
    """Copy a case's `repo/` to `target`, symlinks as symlinks, without any `.git`."""
    if source.is_symlink():
        _fail(source, "a case's `repo` is a folder, not a symlink")

    def left_out(folder: str, names: list) -> list:
        skipped = []
        for name in names:
            if is_git_name(name):
                skipped.append(name)
                continue
            mode = os.lstat(os.path.join(folder, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                _fail(Path(folder, name), "not a regular file, folder or symlink: a case's `repo` holds only those")
        return skipped

    shutil.copytree(source, target, symlinks=True, ignore=left_out)


def is_git_name(name: str) -> bool:
    """`.git`, as git itself would read the name on any file system (`.GIT`, `.git.`, `git~1`)."""
    return name.rstrip(". ").lower() in (".git", "git~1")


def _check_name(value, action: str, expected_path: Path, where: str) -> None:
    """A branch or tag name is an argument of git: one starting with `-` would be an option."""
    name = value.get("name") if action == "tag" and isinstance(value, dict) else value
    if name is None or isinstance(name, (dict, list)) or not str(name).strip():
        _fail(expected_path, f"{where} ({action}): expected a name")
    if str(name).startswith("-"):
        _fail(expected_path, f"{where} ({action}): `{name}` cannot start with `-`")


class _Git:
    """git in the case's repository, through gitrun, reading no configuration but ours."""

    CONFIG = ("commit.gpgsign=false", "tag.gpgsign=false", "core.autocrlf=false", "init.defaultBranch=main",
              f"core.attributesFile={os.devnull}", f"core.excludesFile={os.devnull}")

    def __init__(self, root: Path, expected_path: Path, home: str):
        self.root = root
        self.expected_path = expected_path
        self.ticks = 0
        self.executable = gitrun.find_git()
        if self.executable is None:
            _fail(expected_path, "this case has `git` history, and git is not installed")
        self.env = gitrun.environment(
            HOME=home, XDG_CONFIG_HOME=home, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
            GIT_ATTR_NOSYSTEM="1", GIT_CEILING_DIRECTORIES=str(root.resolve().parent),
            GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1],
            GIT_COMMITTER_NAME=AUTHOR[0], GIT_COMMITTER_EMAIL=AUTHOR[1])

    def run(self, *args: str, ok=(0,)) -> int:
        self.ticks += 1
        stamp = f"@{EPOCH + 60 * self.ticks} +0000"
        env = dict(self.env, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        try:
            code, _, err = gitrun.run_git(self.executable, str(self.root), args, env=env, config=self.CONFIG)
        except gitrun.GitFailure as exc:
            _fail(self.expected_path, exc.message)
        if code not in ok:
            message = err.decode("utf-8", "replace").strip().splitlines() or ["no message"]
            _fail(self.expected_path, f"`git {' '.join(args)}` failed: {message[0]}")
        return code

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
