"""The git loader, against throwaway repositories built with the real git in tmp_path.

The main repository (`project`) has this history (dates fixed, so shas are stable):

    main:     c1 (tag v0.1.0, lightweight) - c2 (tag v0.2.0, annotated) - m3 ------------ m4 (tag v0.10.0)
                                               \\                          \\
    feature/login:                              f1 (rename, edits) - f2 - merge of main (m3)

so from feature/login with `--base main` the merge-base is m3, the commits are f1, f2 and the
merge, and the changed files are what f1 and f2 changed (not main-only.txt, which came in
with the merge, nor later.txt, which main added afterwards: three dots, as a pull request).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from policylint import gitrun
from policylint.errors import ArtifactError
from policylint.loaders import LOADERS, VALUE_LOADERS, get
from policylint.loaders import git as git_loader
from policylint.loaders.git import CHANGED_FILE, COMMIT, GIT, TAG, TRAILER, load_git
from policylint.packtest import evidence_line
from policylint.repo import Repo

AUTHOR = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
          "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com"}


def git(cwd: Path, *args: str, when: str = "2024-05-01T10:00:00+02:00") -> str:
    """Run git for the test's own setup (never through the loader)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(AUTHOR, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when, GIT_CONFIG_NOSYSTEM="1",
               HOME=str(cwd.parent), GIT_CONFIG_GLOBAL=os.devnull)
    done = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "tag.gpgSign=false",
                           "-c", "commit.gpgSign=false", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write(root: Path, files: dict) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(root: Path, message: str, when: str, files: dict) -> str:
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, when=when)
    return git(root, "rev-parse", "HEAD")


F1_MESSAGE = "feat: login form\n\nAdds the form.\n\nApproved-by: Alice <alice@example.com>\nRefs: #12"
F2_MESSAGE = ("fix(login): handle errors\n\nExplain why.\n\nReviewed-by: Bob <bob@example.com>\n"
              "approved-by: Carol\n  on a folded line")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("git") / "project"
    root.mkdir()
    git(root, "init", "-q")
    shas = {}
    shas["c1"] = commit(root, "chore: initial", "2024-05-01T10:00:00+02:00", {
        "README.md": "# Project\n", "old.txt": "a file that moves\n" * 5, "keep.txt": "one\n",
        "gone.txt": "to delete\n"})
    git(root, "tag", "v0.1.0")
    shas["c2"] = commit(root, "docs: readme", "2024-05-02T10:00:00+02:00", {"README.md": "# Project\n\nMore.\n"})
    git(root, "tag", "-a", "v0.2.0", "-m", "Release 0.2.0", when="2024-05-03T09:00:00-07:00")
    git(root, "checkout", "-q", "-b", "feature/login")
    shas["f1"] = commit(root, F1_MESSAGE, "2024-05-04T10:00:00+02:00", {
        "old.txt": None, "new.txt": "a file that moves\n" * 5, "keep.txt": "one\ntwo\n",
        "src/app.py": "print('hi')\n", "gone.txt": None})
    shas["f2"] = commit(root, F2_MESSAGE, "2024-05-05T23:30:00-05:00", {"docs/naïve file.md": "# Ünïcode\n"})
    git(root, "checkout", "-q", "main")
    shas["m3"] = commit(root, "fix: hotfix on main", "2024-05-06T10:00:00+02:00", {"main-only.txt": "x\n"})
    git(root, "checkout", "-q", "feature/login")
    git(root, "merge", "-q", "--no-ff", "main", "-m", "Merge branch 'main' into feature/login",
        when="2024-05-07T10:00:00+02:00")
    shas["merge"] = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "main")
    shas["m4"] = commit(root, "chore: later on main", "2024-05-08T10:00:00+02:00", {"later.txt": "y\n"})
    git(root, "tag", "v0.10.0")
    git(root, "checkout", "-q", "feature/login")
    return root, shas


@pytest.fixture(autouse=True)
def _no_ci_variables(monkeypatch):
    for name in (*git_loader.BRANCH_VARIABLES, "CI_COMMIT_TAG"):
        monkeypatch.delenv(name, raising=False)


def short(root: Path, sha: str) -> str:
    return git(root, "rev-parse", "--short", sha)


def error_of(callable_) -> tuple:
    with pytest.raises(ArtifactError) as caught:
        callable_()
    return caught.value.path, caught.value.line, caught.value.message


# -- the facts -------------------------------------------------------------------------------

def test_branch_head_and_base(project):
    root, shas = project
    facts = load_git(Repo(root, base="main"))
    assert facts.type == "Git" and facts.loc == ("git", None, None)
    assert facts["branch"] == "feature/login" and facts["branch"].loc == ("git", None, None)
    assert (facts["branch_source"], facts["detached"], facts["base"]) == ("HEAD", False, "main")
    assert facts["head"] == shas["merge"]
    assert facts["merge_base"] == shas["m3"]


def test_changed_files_since_the_merge_base(project):
    root, _ = project
    files = load_git(Repo(root, base="main"))["changed_files"]
    assert [(f["path"], f["status"], f["old_path"], f["similarity"]) for f in files] == [
        ("docs/naïve file.md", "A", None, None),
        ("gone.txt", "D", None, None),
        ("keep.txt", "M", None, None),
        ("new.txt", "R", "old.txt", 100),
        ("src/app.py", "A", None, None),
    ]
    assert [f.loc for f in files] == [(f["path"], None, None) for f in files]
    assert files[3]["old_path"].loc == ("old.txt", None, None)


def test_commits_since_the_base(project):
    root, shas = project
    commits = load_git(Repo(root, base="main"))["commits"]
    assert [c["sha"] for c in commits] == [shas["f1"], shas["f2"], shas["merge"]]
    f1, f2, merge = commits
    assert {name: f1[name] for name in COMMIT.fields if name not in ("trailers", "trailer", "files", "position")} == {
        "sha": shas["f1"], "short": short(root, shas["f1"]), "subject": "feat: login form",
        "body": "Adds the form.\n\nApproved-by: Alice <alice@example.com>\nRefs: #12",
        "message": F1_MESSAGE, "author": "Ada Lovelace", "email": "ada@example.com",
        "date": date(2024, 5, 4), "parents": [shas["c2"]], "merge": False}
    assert f1.loc == (f"commit {short(root, shas['f1'])}", None, None)
    assert f1["subject"].loc == f1.loc
    assert [(t["key"], t["value"]) for t in f1["trailers"]] == [
        ("Approved-by", "Alice <alice@example.com>"), ("Refs", "#12")]
    assert f1["trailers"][0].type == "Trailer" and f1["trailers"][0].loc == f1.loc
    assert dict(f1["trailer"]) == {"Approved-by": ["Alice <alice@example.com>"], "Refs": ["#12"]}
    # keys are matched without case; a folded value is unfolded; the author's own time zone gives the date
    assert [(t["key"], t["value"]) for t in f2["trailers"]] == [
        ("Reviewed-by", "Bob <bob@example.com>"), ("approved-by", "Carol on a folded line")]
    assert f2["trailer"]["Approved-by"] == ["Carol on a folded line"] and "APPROVED-BY" in f2["trailer"]
    assert f2["trailer"]["Signed-off-by"] == [] and "Signed-off-by" not in f2["trailer"]
    assert f2["date"] == date(2024, 5, 5)
    assert (merge["subject"], merge["body"], merge["merge"]) == ("Merge branch 'main' into feature/login", "", True)
    assert merge["parents"] == [shas["f2"], shas["m3"]] and merge["trailers"] == []


def test_added_lines_are_located_in_the_new_file(project):
    root, _ = project
    files = {f["path"]: f for f in load_git(Repo(root, base="main"))["changed_files"]}
    keep = files["keep.txt"]["added_lines"]
    assert [(l["text"], l["number"]) for l in keep] == [("two", 2)]
    assert keep[0].loc == ("keep.txt", 2, None) and keep[0]["text"].loc == ("keep.txt", 2, None)
    assert [(l["text"], l["number"]) for l in files["src/app.py"]["added_lines"]] == [("print('hi')", 1)]
    assert [l["text"] for l in files["docs/naïve file.md"]["added_lines"]] == ["# Ünïcode"]
    assert files["gone.txt"]["added_lines"] == [] and files["new.txt"]["added_lines"] == []  # a pure rename adds nothing


def test_added_lines_of_a_line_that_looks_like_a_diff_header(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q")
    commit(root, "one", "2024-01-01T00:00:00+00:00", {"a.md": "x\n", 'odd "name".txt': "1\n"})
    git(root, "checkout", "-q", "-b", "topic")
    commit(root, "two", "2024-01-02T00:00:00+00:00", {"a.md": "x\n++ not a header\n@@ nor this\n",
                                                      'odd "name".txt': "1\n2\n"})
    files = {f["path"]: f for f in load_git(Repo(root, base="main"))["changed_files"]}
    assert [(l["text"], l["number"]) for l in files["a.md"]["added_lines"]] == [
        ("++ not a header", 2), ("@@ nor this", 3)]
    assert [(l["text"], l["number"]) for l in files['odd "name".txt']["added_lines"]] == [("2", 2)]


def test_branches_local_and_remote_with_merged(project, tmp_path):
    root, shas = project
    branches = load_git(Repo(root, base="main"))["branches"]
    assert [(b["name"], b["remote"], b["short_name"], b["current"], b["merged"]) for b in branches] == [
        ("feature/login", None, "feature/login", True, False),
        ("main", None, "main", False, True),
    ]
    assert branches[0]["sha"] == shas["merge"] and branches[0].loc == ("branch feature/login", None, None)
    assert branches[1]["date"] == date(2024, 5, 8)
    # without --base, merged means contained in HEAD (feature/login holds m3, not m4)
    assert [b["merged"] for b in load_git(Repo(root))["branches"]] == [True, False]
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    names = [(b["name"], b["remote"], b["short_name"]) for b in load_git(Repo(clone))["branches"]]
    assert names == [("feature/login", None, "feature/login"), ("origin/feature/login", "origin", "feature/login"),
                     ("origin/main", "origin", "main")]  # origin/HEAD, a symbolic ref, is left out


def test_tags_and_the_latest_tag(project):
    root, shas = project
    facts = load_git(Repo(root))
    tags = facts["tags"]
    assert [(t["name"], t["sha"], t["date"], t["annotated"]) for t in tags] == [
        ("v0.1.0", shas["c1"], date(2024, 5, 1), False),
        ("v0.2.0", shas["c2"], date(2024, 5, 3), True),
        ("v0.10.0", shas["m4"], date(2024, 5, 8), False),
    ]
    assert tags[1].loc == ("tag v0.2.0", None, None) and tags[1]["text"] == "v0.2.0"
    latest = facts["latest_tag"]
    assert latest["name"] == "v0.2.0"  # v0.10.0 is on main after the branch left it
    git(root, "checkout", "-q", "main")
    try:
        assert load_git(Repo(root))["latest_tag"]["name"] == "v0.10.0"
    finally:
        git(root, "checkout", "-q", "feature/login")


def test_a_tag_holds_the_commits_since_the_release_tag_before_it(project):
    root, shas = project
    git(root, "tag", "v0.10.0-rc.1", shas["m3"])  # a pre-release is no release: v0.10.0 counts from v0.2.0
    try:
        tags = {t["name"]: t for t in load_git(Repo(root))["tags"]}
        assert [c["subject"] for c in tags["v0.1.0"]["commits"]] == ["chore: initial"]
        assert [c["subject"] for c in tags["v0.2.0"]["commits"]] == ["docs: readme"]
        assert [c["subject"] for c in tags["v0.10.0"]["commits"]] == ["fix: hotfix on main", "chore: later on main"]
        assert [c["subject"] for c in tags["v0.10.0-rc.1"]["commits"]] == ["fix: hotfix on main"]
        assert [f["path"] for f in tags["v0.10.0"]["commits"][1]["files"]] == ["later.txt"]
        assert tags["v0.10.0"]["commits"][0].loc == (f"commit {shas['m3'][:7]}", None, None)
    finally:
        git(root, "tag", "-d", "v0.10.0-rc.1")


def test_no_tags_gives_an_empty_list_and_a_null_latest_tag(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q")
    commit(root, "one", "2024-01-01T00:00:00+00:00", {"a": "1\n"})
    facts = load_git(Repo(root))
    assert facts["tags"] == [] and facts["latest_tag"] is None


def test_a_root_inside_the_repository_sees_its_own_files(project):
    root, _ = project
    files = load_git(Repo(root / "src", base="main"))["changed_files"]
    assert [(f["path"], f["status"]) for f in files] == [("app.py", "A")]


# -- detached HEAD and CI --------------------------------------------------------------------

def test_detached_head_reads_the_ci_variables(project, monkeypatch):
    root, shas = project
    git(root, "checkout", "-q", "--detach")
    try:
        facts = load_git(Repo(root, base="main"))
        assert (facts["branch"], facts["branch_source"], facts["detached"]) == (None, None, True)
        assert facts["head"] == shas["merge"] and len(facts["commits"]) == 3

        monkeypatch.setenv("CI_COMMIT_TAG", "v1.0.0")
        monkeypatch.setenv("CI_COMMIT_REF_NAME", "v1.0.0")
        assert load_git(Repo(root))["branch"] is None  # a GitLab tag pipeline names a tag, not a branch
        monkeypatch.delenv("CI_COMMIT_TAG")
        facts = load_git(Repo(root))
        assert (facts["branch"], facts["branch_source"]) == ("v1.0.0", "CI_COMMIT_REF_NAME")
        monkeypatch.setenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/mr")
        assert load_git(Repo(root))["branch_source"] == "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
        monkeypatch.setenv("GITHUB_HEAD_REF", "feature/pr")
        facts = load_git(Repo(root))
        assert (facts["branch"], facts["branch_source"], facts["detached"]) == ("feature/pr", "GITHUB_HEAD_REF", True)
    finally:
        git(root, "checkout", "-q", "feature/login")


def test_on_a_branch_the_ci_variables_are_not_read(project, monkeypatch):
    root, _ = project
    monkeypatch.setenv("GITHUB_HEAD_REF", "something-else")
    assert load_git(Repo(root))["branch"] == "feature/login"


def test_git_variables_cannot_point_it_elsewhere(project, tmp_path, monkeypatch):
    root, _ = project
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "elsewhere")
    commit(other, "other", "2024-01-01T00:00:00+00:00", {"x": "1\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    facts = load_git(Repo(root, base="main"))
    assert facts["branch"] == "feature/login" and len(facts["commits"]) == 3


# -- laziness --------------------------------------------------------------------------------

def test_reading_the_branch_runs_git_once_and_needs_no_base(project, monkeypatch):
    root, _ = project
    calls = []
    real_run = gitrun.run_git

    def counting_run(executable, cwd, args, **kw):
        calls.append(list(args))
        return real_run(executable, cwd, args, **kw)

    monkeypatch.setattr(gitrun, "run_git", counting_run)
    repo = Repo(root)
    assert load_git(repo)["branch"] == "feature/login"
    assert calls == [["symbolic-ref", "-q", "--short", "HEAD"]]
    assert load_git(repo) is load_git(repo)
    load_git(repo)["tags"]
    load_git(repo)["tags"]
    assert [c[0] for c in calls] == ["symbolic-ref", "for-each-ref"]


# -- errors ----------------------------------------------------------------------------------

NEEDS_BASE = "needs --base REV: the revision the pull request merges into, e.g. --base origin/main"


@pytest.mark.parametrize("field", ["merge_base", "changed_files", "commits"])
def test_facts_since_the_base_need_a_base(project, field):
    root, _ = project
    facts = load_git(Repo(root))
    assert error_of(lambda: facts[field]) == ("git", None, f"`git.{field}` {NEEDS_BASE}")
    assert facts["branch"] == "feature/login"  # the rest still reads


def test_an_unknown_base_is_an_error(project):
    root, _ = project
    facts = load_git(Repo(root, base="origin/mian"))
    assert error_of(lambda: facts["commits"]) == (
        "git", None, "unknown --base revision `origin/mian`: git cannot find it here; "
                     "fetch it first (e.g. `git fetch origin main`)")
    assert error_of(lambda: facts["changed_files"])[2].startswith("unknown --base revision `origin/mian`")


@pytest.mark.parametrize("base", ["--output=/tmp/x", "-h", " ", "main\nHEAD"])
def test_a_base_that_is_no_revision_is_refused(project, base):
    root, _ = project
    assert error_of(lambda: load_git(Repo(root, base=base))["commits"]) == (
        "git", None, f"--base `{base}` is not a revision")


def test_unrelated_histories_have_no_merge_base(project, tmp_path):
    root, _ = project
    clone = tmp_path / "unrelated"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    git(clone, "checkout", "-q", "--orphan", "island")
    commit(clone, "an island", "2024-06-01T00:00:00+00:00", {"island.txt": "x\n"})
    facts = load_git(Repo(clone, base="origin/main"))
    assert error_of(lambda: facts["changed_files"]) == (
        "git", None, "no merge-base between --base `origin/main` and HEAD: they share no history")


def test_a_shallow_clone_is_an_error_not_an_empty_list(project, tmp_path):
    root, _ = project
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature/login", root.as_uri(), str(shallow))
    facts = load_git(Repo(shallow, base="origin/main"))
    assert facts["branch"] == "feature/login"
    assert error_of(lambda: facts["commits"]) == (
        "git", None, "unknown --base revision `origin/main`: git cannot find it here; this is a shallow clone: "
                     "fetch the base too (actions/checkout: `fetch-depth: 0`)")
    git(shallow, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    facts = load_git(Repo(shallow, base="origin/main"))
    message = ("no merge-base between --base `origin/main` and HEAD: this is a shallow clone without the history "
               "that joins them; fetch it (actions/checkout: `fetch-depth: 0`, or `git fetch --unshallow`)")
    assert error_of(lambda: facts["changed_files"]) == ("git", None, message)
    assert error_of(lambda: facts["commits"]) == ("git", None, message)
    git(shallow, "fetch", "-q", "--unshallow", "origin", "main:refs/remotes/origin/main")
    assert len(load_git(Repo(shallow, base="origin/main"))["commits"]) == 3


def test_head_without_commits(project, tmp_path):
    root, _ = project
    clone = tmp_path / "unborn"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    git(clone, "checkout", "-q", "--orphan", "fresh")
    facts = load_git(Repo(clone, base="origin/main"))
    assert (facts["branch"], facts["head"], facts["latest_tag"]) == ("fresh", None, None)
    assert [t["name"] for t in facts["tags"]] == ["v0.1.0", "v0.2.0", "v0.10.0"]
    assert error_of(lambda: facts["commits"]) == ("git", None, "`git.commits` needs a commit: HEAD has no commits yet")
    assert error_of(lambda: facts["changed_files"]) == (
        "git", None, "`git.changed_files` needs a commit: HEAD has no commits yet")


def test_not_a_repository(tmp_path):
    (tmp_path / "plain").mkdir()
    facts = load_git(Repo(tmp_path / "plain"))
    assert facts["repository"] is False and facts["base"] is None
    assert load_git(Repo(tmp_path / "plain", base="main"))["base"] == "main"
    for name in ("branch", "head", "commits", "tags", "branches"):
        assert error_of(lambda: facts[name]) == ("git", None, "the root is not inside a git repository")


def test_a_gate_can_ask_whether_there_is_a_repository(tmp_path):
    from conftest import run_policy

    run = run_policy(tmp_path, 'gate named "Branch names" when git.repository { require git.branch != "x" }\n'
                               'gate head "HEAD" { require git.head != null }\n', {"README.md": "# hi\n"})
    statuses = {r.gate: (r.status, r.message) for r in run.results}
    assert statuses == {"t.named": ("skipped", statuses["t.named"][1]),
                        "t.head": ("error", "cannot use `git`: the root is not inside a git repository")}


def _fake_git(tmp_path, monkeypatch, script: str) -> None:
    """Put a `git` that runs `script` first on PATH (the loader finds git through PATH)."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f"#!{sys.executable}\nimport sys, time\n{script}\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_git_not_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert error_of(lambda: load_git(Repo(tmp_path))) == (
        "git", None, "git is not installed (or not on PATH): the `git` facts need it")


def test_git_that_hangs_is_stopped(tmp_path, monkeypatch):
    _fake_git(tmp_path, monkeypatch, "time.sleep(30)")
    monkeypatch.setattr(git_loader, "GIT_TIMEOUT", 0.5)
    assert error_of(lambda: load_git(Repo(tmp_path))) == (
        "git", None, "`git symbolic-ref` took longer than 0.5 s; stopped")


def test_git_refusing_a_repository_of_another_user(tmp_path, monkeypatch):
    # git 2.39's words when the repository belongs to someone else (setup.c, die_upon_dubious_ownership)
    _fake_git(tmp_path, monkeypatch, r"""sys.stderr.write("fatal: detected dubious ownership in repository at '/src'\n"
"To add an exception for this directory, call:\n\n\tgit config --global --add safe.directory /src\n")
sys.exit(128)""")
    assert error_of(lambda: load_git(Repo(tmp_path))) == (
        "git", None, "git refuses the repository: detected dubious ownership in repository at '/src'; "
                     "allow it with `git config --global --add safe.directory /src`")


def test_git_failing_otherwise_says_what_git_said(tmp_path, monkeypatch):
    _fake_git(tmp_path, monkeypatch, 'sys.stderr.write("error: object file is empty\\nfatal: bad object HEAD\\n")'
                                     "\nsys.exit(128)")
    assert error_of(lambda: load_git(Repo(tmp_path))) == ("git", None, "`git symbolic-ref` failed: object file is empty")


@pytest.mark.parametrize("command, garble, field, message", [
    ("log", lambda out: out.replace(b"\0", b"\0\0", 1), "commits",
     "cannot read `git log` output: a commit message holds a NUL byte"),
    ("log", lambda out: out.rstrip(b"\0"), "commits", "cannot read `git log` output: it does not end as expected"),
    ("diff", lambda out: out[:out.index(b"\0") + 1], "changed_files", "cannot read `git diff` output near `A`"),
    ("for-each-ref", lambda out: out.replace(b"\0", b" ", 1), "tags",
     "cannot read `git for-each-ref` output: `v0.1.0 commit"),
])
def test_garbled_git_output_is_an_error(project, monkeypatch, command, garble, field, message):
    root, _ = project
    real_run = gitrun.run_git

    def garbling_run(executable, cwd, args, **kw):
        code, out, err = real_run(executable, cwd, args, **kw)
        return (0, garble(out), b"") if args[0] == command else (code, out, err)

    monkeypatch.setattr(gitrun, "run_git", garbling_run)
    path, line, got = error_of(lambda: load_git(Repo(root, base="main"))[field])
    assert (path, line) == ("git", None) and got.startswith(message)


def test_describe_failing_otherwise_is_an_error(project, monkeypatch):
    root, _ = project
    real_run = gitrun.run_git

    def failing_describe(executable, cwd, args, **kw):
        if args[0] == "describe":
            return 128, b"", b"fatal: bad object HEAD\n"
        return real_run(executable, cwd, args, **kw)

    monkeypatch.setattr(gitrun, "run_git", failing_describe)
    assert error_of(lambda: load_git(Repo(root))["latest_tag"]) == ("git", None, "`git describe` failed: bad object HEAD")


def test_git_that_cannot_start(tmp_path, monkeypatch):
    def refusing_popen(argv, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(gitrun.subprocess, "Popen", refusing_popen)
    assert error_of(lambda: load_git(Repo(tmp_path))) == ("git", None, "cannot run git: Permission denied")


# -- declarations, the policy language and the command line -----------------------------------

def test_the_signature_and_record_types_are_declared(project):
    assert LOADERS["git"] == "policylint.loaders.git:load_git" and "git" in VALUE_LOADERS
    signature = get("git").signature
    assert signature.name == "git" and signature.value and signature.needs_repo and signature.params == []
    assert signature.returns == GIT
    root, _ = project
    facts = load_git(Repo(root, base="main"))
    assert set(facts.fields) == set(GIT.fields)
    assert set(facts["commits"][0].fields) == set(COMMIT.fields)
    assert set(facts["commits"][0]["trailers"][0].fields) == set(TRAILER.fields)
    assert set(facts["changed_files"][0].fields) == set(CHANGED_FILE.fields)
    assert set(facts["tags"][0].fields) == set(TAG.fields)
    for rtype in (GIT, COMMIT, TRAILER, CHANGED_FILE, TAG):
        assert all(doc for _, doc in rtype.fields.values()), rtype.name


POLICY = r"""
gate branch-name "Branches are named kind-name" { require git.branch matches /^(feat|fix)-[a-z-]+$/ }
gate conventional "Commit subjects follow Conventional Commits" {
  require every c in git.commits where not c.merge: c.subject matches /^(feat|fix|docs|chore)(\([a-z-]+\))?: /
    else "{c.short} is not a conventional commit: {c.subject}"
}
gate approved "Every commit that is no merge carries an approval" {
  require every c in git.commits where not c.merge: count(c.trailer["APPROVED-BY"]) > 0
    else "{c.short}: no Approved-by trailer"
}
gate no-renames "No file is renamed" {
  require no f in git.changed_files: f.status == "R" else "{f.old_path} renamed to {f.path}"
}
gate tagged "The branch builds on a release" { require git.latest_tag.name == "v0.2.0" }
"""


def _run(tmp_path, root, base):
    from policylint.evaluate import Engine
    from policylint.packs import PackLoader

    policy = tmp_path / "t.policy"
    policy.write_text(POLICY, encoding="utf-8")
    return {r.gate: r for r in Engine(Repo(root, base=base)).run([PackLoader(use_cache=False).load(str(policy))]).results}


def test_policies_read_git_facts_with_located_evidence(project, tmp_path):
    root, shas = project
    results = _run(tmp_path, root, "main")
    assert {gate: r.status for gate, r in results.items()} == {
        "t.branch-name": "fail", "t.conventional": "pass", "t.approved": "pass", "t.no-renames": "fail",
        "t.tagged": "pass"}
    assert [evidence_line(e) for e in results["t.branch-name"].evidence] == [
        'git: `git.branch` is "feature/login", which does not match /^(feat|fix)-[a-z-]+$/']
    assert [evidence_line(e) for e in results["t.no-renames"].evidence] == ["new.txt: old.txt renamed to new.txt"]


def test_a_failing_commit_is_named_by_its_sha(project, tmp_path):
    root, _ = project
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "feature/login", str(root), str(clone))
    sha = commit(clone, "Update stuff", "2024-06-01T00:00:00+00:00", {"stuff.txt": "x\n"})
    results = _run(tmp_path, clone, "origin/main")
    s = short(clone, sha)
    assert [evidence_line(e) for e in results["t.conventional"].evidence] == [
        f"commit {s}: {s} is not a conventional commit: Update stuff"]
    assert [evidence_line(e) for e in results["t.approved"].evidence] == [f"commit {s}: {s}: no Approved-by trailer"]


def test_without_a_base_only_the_gates_that_need_it_error(project, tmp_path):
    root, _ = project
    results = _run(tmp_path, root, None)
    assert {gate: r.status for gate, r in results.items()} == {
        "t.branch-name": "fail", "t.conventional": "error", "t.approved": "error", "t.no-renames": "error",
        "t.tagged": "pass"}
    assert results["t.conventional"].message == f"cannot use `git`: `git.commits` {NEEDS_BASE}"
    assert [evidence_line(e) for e in results["t.no-renames"].evidence] == [f"git: `git.changed_files` {NEEDS_BASE}"]


def test_a_misspelled_field_is_a_check_error(tmp_path):
    from conftest import run_policy
    from policylint.errors import PolicylintError

    with pytest.raises(PolicylintError) as caught:
        run_policy(tmp_path, 'gate g "t" { require git.brnch == "main" }')
    assert caught.value.diagnostics[0].message == "unknown field `brnch` on Git"


def test_inspect_git_with_a_base(project, capsys):
    from policylint.cli import main

    root, shas = project
    assert main(["inspect", "git", ".", "--root", str(root), "--base", "main"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert list(view) == ["@", *GIT.fields]
    assert (view["branch"], view["base"], view["merge_base"]) == ("feature/login", "main", shas["m3"])
    assert [f["path"] for f in view["changed_files"]] == [
        "docs/naïve file.md", "gone.txt", "keep.txt", "new.txt", "src/app.py"]
    assert [c["subject"] for c in view["commits"]] == [
        "feat: login form", "fix(login): handle errors", "Merge branch 'main' into feature/login"]
    assert view["commits"][0]["trailer"] == {"Approved-by": ["Alice <alice@example.com>"], "Refs": ["#12"]}
    assert view["latest_tag"]["name"] == "v0.2.0"


def test_inspect_git_outside_a_repository(tmp_path, capsys):
    from policylint.cli import main

    assert main(["inspect", "git", "--root", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert '"repository": false' in captured.out
    assert captured.err == ("policylint: error[PL405] git (branch, branch_source, detached, head, merge_base, "
                            "changed_files, commits, tags, branches, latest_tag): the root is not inside a git repository\n")


def test_the_documented_example_checks(tmp_path):
    import re

    from policylint.packs import PackLoader

    example = re.search(r"```\n(.*?)```", git_loader.__doc__, re.S).group(1)
    policy = tmp_path / "example.policy"
    policy.write_text(example, encoding="utf-8")
    pack = PackLoader(use_cache=False).load(str(policy))
    assert pack.name


def test_each_commit_has_its_position_and_files(project):
    root, shas = project
    f1, f2, merge = load_git(Repo(root, base="main"))["commits"]
    assert [c["position"] for c in (f1, f2, merge)] == [1, 2, 3]
    assert [(f["path"], f["status"], f["old_path"]) for f in f1["files"]] == [
        ("gone.txt", "D", None), ("keep.txt", "M", None), ("new.txt", "R", "old.txt"), ("src/app.py", "A", None)]
    assert f1["files"][0].loc == ("gone.txt", None, None)
    assert [f["path"] for f in f2["files"]] == ["docs/naïve file.md"]
    assert merge["files"] == []  # a merge lists no files, as git log shows it
    inner = load_git(Repo(root / "src", base="main"))["commits"]
    assert [[f["path"] for f in c["files"]] for c in inner] == [["app.py"], [], []]


def test_garbled_name_status_output_is_an_error():
    from policylint.loaders.git import parse_name_status

    assert error_of(lambda: parse_name_status("M\0a.txt\0")) == (
        "git", None, "cannot read `git log --name-status` output near `M`")
    assert error_of(lambda: parse_name_status("\x01abc\0R100\0only-one\0")) == (
        "git", None, "cannot read `git log --name-status` output near `R100`")
