"""Packs and repositories are data to git too (issue 11, section 2).

A hook, fsmonitor, filter, pager, diff driver, credential helper or ssh command shipped in a
case folder's `.git`, set in a checked repository's `.git/config` or slipped in through the
environment never runs: not in `policylint test`, not in `policylint check`. Each trap is
first shown to fire under plain git, so a passing test is never a broken trap.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from policylint import gitrun
from policylint.casegit import copy_case_repo
from policylint.cli import main
from policylint.errors import ArtifactError, PolicylintError
from policylint.loaders.git import load_git
from policylint.packtest import discover, evaluate_case
from policylint.repo import Repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None or os.name != "posix",
                                reason="needs git and a POSIX shell")

HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "post-merge",
         "pre-merge-commit", "reference-transaction", "post-index-change", "post-rewrite")


class Trap:
    """A program that notes each call in `marker`; the filters get their input back."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.marker = folder / "fired"
        self.program = folder / "evil"
        self.program.write_text(f'#!/bin/sh\necho "$*" >> "{self.marker}"\n'
                                'case "$1" in filter) exec cat ;; esac\nexit 1\n', encoding="utf-8")
        self.program.chmod(0o755)

    def calls(self) -> str:
        return self.marker.read_text(encoding="utf-8") if self.marker.exists() else ""

    def reset(self) -> None:
        self.marker.unlink(missing_ok=True)

    def config(self) -> str:
        """Every setting that names a program, each pointing at the trap."""
        evil = self.program
        return textwrap.dedent(f"""\
            [core]
            \tfsmonitor = {evil} fsmonitor
            \tpager = {evil} pager
            \tsshCommand = {evil} ssh
            \taskPass = {evil} askpass
            \teditor = {evil} editor
            [pager]
            \tlog = {evil} pager-log
            [filter "evil"]
            \tclean = {evil} filter clean
            \tsmudge = {evil} filter smudge
            [diff "evil"]
            \ttextconv = {evil} textconv
            \tcommand = {evil} diff-driver
            [diff]
            \texternal = {evil} external
            [merge "evil"]
            \tdriver = {evil} merge %O %A %B
            [credential]
            \thelper = !{evil} credential
            """)

    def arm(self, repo: Path) -> None:
        """Point `repo/.git`'s configuration and hooks at the trap."""
        with open(repo / ".git" / "config", "a", encoding="utf-8") as fh:
            fh.write(self.config())
        hooks = repo / ".git" / "hooks"
        hooks.mkdir(exist_ok=True)
        for name in HOOKS:
            (hooks / name).write_text(f"#!/bin/sh\nexec {self.program} hook {name}\n", encoding="utf-8")
            (hooks / name).chmod(0o755)

    def poison_environment(self, monkeypatch, home: Path) -> None:
        """The same, through the variables and files git reads from the user's environment."""
        home.mkdir(parents=True, exist_ok=True)
        (home / ".gitconfig").write_text(self.config(), encoding="utf-8")
        monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.fsmonitor'='{self.program} fsmonitor-env'")
        monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
        monkeypatch.setenv("GIT_CONFIG_KEY_0", "diff.external")
        monkeypatch.setenv("GIT_CONFIG_VALUE_0", f"{self.program} external-env")
        monkeypatch.setenv("GIT_EXTERNAL_DIFF", f"{self.program} external-diff-env")
        monkeypatch.setenv("GIT_PAGER", f"{self.program} pager-env")
        monkeypatch.setenv("GIT_SSH_COMMAND", f"{self.program} ssh-env")
        monkeypatch.setenv("GIT_ASKPASS", f"{self.program} askpass-env")


def plain_git(cwd: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """git as anyone would run it: the repository's configuration and hooks in force."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="A", GIT_AUTHOR_EMAIL="a@example.com", GIT_COMMITTER_NAME="A",
               GIT_COMMITTER_EMAIL="a@example.com", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=check, stdin=subprocess.DEVNULL)


ATTRIBUTES = "* filter=evil diff=evil merge=evil\n"


# -- policylint test: a case folder that ships a .git --------------------------------------------

CASE_POLICY = textwrap.dedent('''\
    pack trapped "Reads the case's history" version "1.0.0"
    gate typed "Every commit has a type" {
      require every c in git.commits: c.subject matches /^\\w+: / else "{c.short}: no type"
    }
    gate lines "Added lines are read" {
      require every f in git.changed_files, l in f.added_lines: l.number > 0 else "never"
    }
''')
CASE_EXPECTED = textwrap.dedent('''\
    git:
      base: main
      history:
        - tag: {name: v1.0.0, message: first}
        - branch: feature/x
        - commit: "feat: more"
          files: {a.txt: "two\\n", sub/b.txt: "b\\n"}
        - branch: main
        - commit: "fix: on main"
          files: {c.txt: "c\\n"}
        - merge: feature/x
        - branch: feature/y
        - commit: "feat: y"
          files: {a.txt: "three\\n"}
        - remote-branch: feature/y
        - branch: main
        - delete-branch: feature/x
        - branch: feature/y
    results:
      .: {trapped.typed: pass, trapped.lines: pass}
''')


def make_trapped_case(tmp_path: Path, trap: Trap) -> Path:
    """A pack whose one case's repo/ holds a live `.git` (config and hooks armed), a nested
    `.git` folder, a `.git` file and `.gitattributes` naming the trap's filter and drivers."""
    pack = tmp_path / "trapped"
    repo = pack / "tests" / "c" / "repo"
    (repo / "sub" / "deeper").mkdir(parents=True)
    (pack / "trapped.policy").write_text(CASE_POLICY, encoding="utf-8")
    (pack / "tests" / "c" / "expected.yaml").write_text(CASE_EXPECTED, encoding="utf-8")
    (repo / "a.txt").write_text("one\n", encoding="utf-8")
    (repo / ".gitattributes").write_text(ATTRIBUTES, encoding="utf-8")
    plain_git(repo, "init", "-q", check=True)
    trap.arm(repo)
    plain_git(repo / "sub" / "deeper", "init", "-q", check=True)
    trap.arm(repo / "sub" / "deeper")
    (repo / "sub" / ".git").write_text(f"gitdir: {repo / '.git'}\n", encoding="utf-8")
    return pack


def test_the_traps_of_a_case_fire_under_plain_git(tmp_path):
    trap = Trap(tmp_path / "trap")
    pack = make_trapped_case(tmp_path, trap)
    control = tmp_path / "control"
    shutil.copytree(pack / "tests" / "c" / "repo", control, symlinks=True)
    plain_git(control, "add", "-A")
    plain_git(control, "commit", "-q", "-m", "x")
    plain_git(control, "status")
    calls = trap.calls()
    assert "filter clean" in calls and "hook pre-commit" in calls and "fsmonitor" in calls, calls


def test_policylint_test_runs_no_code_from_a_case(tmp_path, monkeypatch, capsys):
    trap = Trap(tmp_path / "trap")
    pack = make_trapped_case(tmp_path, trap)
    trap.poison_environment(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code = main(["test", str(pack), "--no-cache"])
    assert trap.calls() == ""
    assert code == 0 and "  ok    c" in capsys.readouterr().out


def test_the_case_copy_leaves_out_every_git(tmp_path):
    source = tmp_path / "repo"
    for folder in ("a/.git/hooks", "a/b/.GIT", "c", ".git"):
        (source / folder).mkdir(parents=True)
    for rel in ("keep.txt", "a/keep.txt", "a/.git/config", "c/.git", "c/.git.", "c/git~1", "c/.gitattributes"):
        (source / rel).write_text("x\n", encoding="utf-8")
    (source / "a" / "b" / ".git").symlink_to(source / ".git")
    (source / "link").symlink_to("keep.txt")
    copy_case_repo(source, tmp_path / "copy")
    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert copied == ["a", "a/b", "a/keep.txt", "c", "c/.gitattributes", "keep.txt", "link"]
    assert (tmp_path / "copy" / "link").is_symlink()


def test_a_case_repo_that_is_a_symlink_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "repo").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PolicylintError) as caught:
        copy_case_repo(tmp_path / "repo", tmp_path / "copy")
    diag = caught.value.diagnostics[0]
    assert (diag.code, str(diag.span), diag.message) == (
        "PL308", f"{tmp_path / 'repo'}:1:1", "a case's `repo` is a folder, not a symlink")


def test_a_case_repo_holding_a_fifo_is_refused(tmp_path):
    (tmp_path / "repo" / "d").mkdir(parents=True)
    os.mkfifo(tmp_path / "repo" / "d" / "pipe")
    with pytest.raises(PolicylintError) as caught:
        copy_case_repo(tmp_path / "repo", tmp_path / "copy")
    diag = caught.value.diagnostics[0]
    assert (diag.code, str(diag.span), diag.message) == (
        "PL308", f"{tmp_path / 'repo' / 'd' / 'pipe'}:1:1",
        "not a regular file, folder or symlink: a case's `repo` holds only those")


def _case(tmp_path: Path, history: str, link: bool = False):
    pack = tmp_path / "p"
    repo = pack / "tests" / "c" / "repo"
    repo.mkdir(parents=True)
    (pack / "p.policy").write_text('pack p "P" version "1.0.0"\ngate g "G" { require true }\n', encoding="utf-8")
    (repo / "a.txt").write_text("a\n", encoding="utf-8")
    if link:
        (repo / "meta").symlink_to(".git")
    (pack / "tests" / "c" / "expected.yaml").write_text(f"git:\n  history:\n{history}results: {{}}\n",
                                                       encoding="utf-8")
    return discover(pack)[0]


@pytest.mark.parametrize("step, message", [
    ('{commit: x, files: {.git/config: "[core]\\n"}}',
     "`git.history` step 1: `.git/config` is inside `.git`: a case writes its files, not git's"),
    ('{commit: x, files: {.GIT/hooks/post-commit: "#!/bin/sh\\n"}}',
     "`git.history` step 1: `.GIT/hooks/post-commit` is inside `.git`: a case writes its files, not git's"),
    ('{commit: x, files: {sub/../.git/config: "x"}}',
     "`git.history` step 1: `sub/../.git/config` is inside `.git`: a case writes its files, not git's"),
    ('{commit: x, files: {meta/config: "x"}}',  # meta is a symlink to .git
     "`git.history` step 1: `meta/config` is inside `.git`: a case writes its files, not git's"),
    ("{branch: --orphan}", "`git.history` step 1 (branch): `--orphan` cannot start with `-`"),
    ("{tag: -f}", "`git.history` step 1 (tag): `-f` cannot start with `-`"),
    ("{tag: {name: --no-sign}}", "`git.history` step 1 (tag): `--no-sign` cannot start with `-`"),
    ("{tag: {message: m}}", "`git.history` step 1 (tag): expected a name"),
    ("{merge: --strategy=ours}", "`git.history` step 1 (merge): `--strategy=ours` cannot start with `-`"),
    ("{delete-branch: -r}", "`git.history` step 1 (delete-branch): `-r` cannot start with `-`"),
    ("{remote-branch: ''}", "`git.history` step 1 (remote-branch): expected a name"),
])
def test_a_history_cannot_write_into_git_or_pass_options(tmp_path, step, message):
    case = _case(tmp_path, f"    - {step}\n", link=True)
    with pytest.raises(PolicylintError) as caught:
        evaluate_case(case, use_cache=False)
    diag = caught.value.diagnostics[0]
    assert (diag.code, diag.message, diag.span.path) == ("PL308", message, str(case.folder / "expected.yaml"))


# -- policylint check: the repository's own .git/config -----------------------------------------

SNOOP = textwrap.dedent('''\
    pack snoop "Reads every git fact" version "1.0.0"
    gate commits "Commits and their files" {
      require every c in git.commits: count(c.files) >= 0 and c.subject != "" else "never"
    }
    gate lines "Changed files and their added lines" {
      require every f in git.changed_files, l in f.added_lines: l.number > 0 else "never"
    }
    gate refs "Tags and branches" {
      require count(git.tags) + count(git.branches) > 0 and git.latest_tag != null and git.head != null
        else "never"
    }
''')


@pytest.fixture()
def armed_repository(tmp_path):
    """main: .gitattributes naming the trap, a.txt, tag v1.0.0; feature/x changes a.txt, adds
    package.json and migrations; then the repository's .git is armed."""
    root = tmp_path / "checked"
    root.mkdir()
    plain_git(root, "init", "-q", check=True)
    (root / ".gitattributes").write_text(ATTRIBUTES, encoding="utf-8")
    (root / "a.txt").write_text("one\n", encoding="utf-8")
    (root / "package.json").write_text('{"dependencies": {"left-pad": "1.0.0"}}\n', encoding="utf-8")
    plain_git(root, "add", "-A", check=True)
    plain_git(root, "commit", "-q", "-m", "chore: start", check=True)
    plain_git(root, "tag", "v1.0.0", check=True)
    plain_git(root, "checkout", "-q", "-b", "feature/x", check=True)
    (root / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    (root / "package.json").write_text('{"dependencies": {"left-pad": "1.0.0", "evil": "6.6.6"}}\n',
                                       encoding="utf-8")
    (root / "migrations").mkdir()
    (root / "migrations" / "0001_init.sql").write_text("create table t (id int);\n", encoding="utf-8")
    plain_git(root, "add", "-A", check=True)
    plain_git(root, "commit", "-q", "-m", "feat: two\n\nApproved-by: Ann", check=True)
    trap = Trap(tmp_path / "trap")
    trap.arm(root)
    (root / "a.txt").write_text("dirty\n", encoding="utf-8")  # a work tree git would have to look at
    return root, trap


def test_the_traps_of_a_repository_fire_under_plain_git(armed_repository):
    root, trap = armed_repository
    plain_git(root, "status")
    plain_git(root, "diff", "main", "HEAD")
    plain_git(root, "diff", "--no-ext-diff", "main", "HEAD")
    calls = trap.calls()
    assert all(word in calls for word in ("fsmonitor", "filter clean", "diff-driver", "textconv")), calls


def test_policylint_check_runs_no_code_from_the_checked_repository(armed_repository, tmp_path, monkeypatch, capsys):
    root, trap = armed_repository
    trap.poison_environment(monkeypatch, tmp_path / "home")  # HOME stays: your own configuration is yours
    snoop = tmp_path / "snoop.policy"
    snoop.write_text(SNOOP, encoding="utf-8")
    packs = ["conventional-commits", "pr-checklist", "human-gates", "release-train", str(snoop)]
    checked = main(["check", "--root", str(root), "--base", "main", "--no-cache", "-f", "json",
                    *(arg for pack in packs for arg in ("--pack", pack))])
    report = capsys.readouterr()
    inspected = main(["inspect", "git", ".", "--root", str(root), "--base", "main"])
    view = capsys.readouterr().out
    assert trap.calls() == ""
    assert checked in (0, 1) and '"snoop.lines"' in report.out and '"snoop.refs"' in report.out, report
    assert inspected == 0 and '"feat: two' in view


def test_a_partial_clone_fetches_nothing(tmp_path):
    """A blobless clone whose remote is an `ext::` command the repository allows: plain git
    runs it to fetch what the diff needs; policylint fetches nothing and says so."""
    trap = Trap(tmp_path / "trap")
    source = tmp_path / "source"
    source.mkdir()
    plain_git(source, "init", "-q", check=True)
    plain_git(source, "config", "uploadpack.allowFilter", "true", check=True)
    (source / "a.txt").write_text("".join(f"{n}\n" for n in range(50)), encoding="utf-8")
    plain_git(source, "add", "-A", check=True)
    plain_git(source, "commit", "-q", "-m", "one", check=True)
    plain_git(source, "checkout", "-q", "-b", "feature", check=True)
    (source / "a.txt").write_text("".join(f"{n}\n" for n in range(60)), encoding="utf-8")
    plain_git(source, "commit", "-q", "-am", "two", check=True)
    clone = tmp_path / "clone"
    plain_git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-local", "-b", "feature",
              f"file://{source}", str(clone), check=True)
    for key, value in (("remote.origin.url", f"ext::{trap.program} remote"), ("protocol.ext.allow", "always")):
        plain_git(clone, "config", key, value, check=True)
    plain_git(clone, "diff", "origin/main", "HEAD")
    assert "remote" in trap.calls()  # the control: plain git ran the remote command
    trap.reset()

    facts = load_git(Repo(clone, base="origin/main"))
    assert [f["path"] for f in facts["changed_files"]] == ["a.txt"]
    with pytest.raises(ArtifactError) as caught:
        facts["changed_files"][0]["added_lines"]
    assert caught.value.message == ("`git diff` needs objects this partial clone does not have, and policylint "
                                    "fetches nothing: clone without `--filter` (actions/checkout: no `filter`)")
    assert trap.calls() == ""


# -- the runner itself ------------------------------------------------------------------------

def test_git_is_found_on_absolute_path_entries_only(tmp_path, monkeypatch):
    """A PATH with an empty or relative entry (`/usr/bin:`) must not run the repository's `git`."""
    trap = Trap(tmp_path / "trap")
    for folder in (tmp_path / "work", tmp_path / "work" / "bin"):
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(trap.program, folder / "git")
    real = Path(shutil.which("git")).parent
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("PATH", os.pathsep.join(["", "bin", ".", str(real)]))
    assert gitrun.find_git() == str(real / "git")
    assert gitrun.environment()["PATH"] == str(real)
    assert load_git(Repo(tmp_path / "work"))["repository"] is False
    assert trap.calls() == ""


def test_output_past_the_limit_stops_git(armed_repository, monkeypatch):
    root, _ = armed_repository
    monkeypatch.setattr(gitrun, "OUTPUT_LIMIT", 100)
    with pytest.raises(ArtifactError) as caught:
        load_git(Repo(root, base="main"))["commits"]
    assert caught.value.message == "`git log` printed more than 100 bytes; stopped"


def test_every_command_carries_the_safe_settings(tmp_path, monkeypatch):
    seen = []

    def recording_popen(argv, **kw):
        seen.append((argv, kw["env"]))
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(gitrun.subprocess, "Popen", recording_popen)
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    with pytest.raises(gitrun.GitFailure) as caught:
        gitrun.run_git("/usr/bin/git", str(tmp_path), ["status"], env=gitrun.environment())
    assert caught.value.message == "cannot run git: No such file or directory"
    argv, env = seen[0]
    assert argv[:4] == ["/usr/bin/git", "--no-pager", "--no-replace-objects", "-C"]
    settings = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-c"]
    assert {f"core.hooksPath={os.devnull}", "core.fsmonitor=false", "credential.helper="} <= set(settings)
    assert "GIT_DIR" not in env and env["GIT_ALLOW_PROTOCOL"] == "" and env["GIT_TERMINAL_PROMPT"] == "0"


def test_git_stopped_while_replaying_a_case_is_an_error_naming_expected_yaml(tmp_path, monkeypatch):
    def slow_git(executable, cwd, args, **kw):
        raise gitrun.GitFailure(f"`git {args[0]}` took longer than 60 s; stopped")

    monkeypatch.setattr(gitrun, "run_git", slow_git)
    case = _case(tmp_path, "    - {commit: x}\n")
    with pytest.raises(PolicylintError) as caught:
        evaluate_case(case, use_cache=False)
    diag = caught.value.diagnostics[0]
    assert (diag.code, diag.message, str(diag.span)) == (
        "PL308", "`git init` took longer than 60 s; stopped", f"{case.folder / 'expected.yaml'}:1:1")
