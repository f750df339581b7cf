"""The packs evaluated at each commit of the history (policylint/history.py, gittree.py).

The history is tests/historyrepo.py's: the sample repository, then six commits in which specs
move forward and 001 moves back (a task unticked). Each point is checked against `status` run
on that commit's files checked out on their own (`git archive`), so the carry-over of
verdicts between commits and the tree reader are held to what a plain run says."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from historyrepo import make_history
from policylint import gitrun, history as history_module
from policylint.cli import UsageError, main
from policylint.gittree import GitTreeRepo, Objects, git_facts_at
from policylint.history import Point, history
from policylint.repo import Repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

S1, S2, S3, S4, S5 = ("specs/001-password-reset", "specs/002-invoice-csv-export", "specs/003-team-invitations",
                      "specs/004-activity-feed", "specs/005-dark-mode")
# earned stage of 001..005 after each commit, oldest first
EARNED = [
    ("chore: import the speckit demo", ["released", "tasked", "checklist-validated", "draft", None]),
    ("004: answer the open question on the feed's length",
     ["released", "tasked", "checklist-validated", "clarified", None]),
    ("005: add the success criteria", ["released", "tasked", "checklist-validated", "clarified", "clarified"]),
    ("003: T001-T004 done", ["released", "tasked", "checklist-validated", "clarified", "clarified"]),
    ("003: every task done", ["released", "tasked", "implementing", "clarified", "clarified"]),
    ("001: T004 reopened: the token hashing needs a review",
     ["checklist-validated", "tasked", "implementing", "clarified", "clarified"]),
    ("002: UX checklist reviewed", ["checklist-validated", "checklist-validated", "implementing", "clarified",
                                    "clarified"]),
]


def _args(*packs: str, **more) -> argparse.Namespace:
    given = dict(pack=list(packs), config=None, no_cache=False, select=[], ignore=[], base=None)
    return argparse.Namespace(**{**given, **more})


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return make_history(tmp_path_factory.mktemp("history"))


@pytest.fixture
def repo(built, tmp_path) -> Path:
    """A copy of the scripted history (its .git too) for a test to change."""
    root = tmp_path / "repo"
    shutil.copytree(built, root, symlinks=True, ignore=shutil.ignore_patterns(".policylint_cache"))
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _counting(monkeypatch) -> list:
    """The commits the engine evaluates from here on."""
    seen = []
    evaluate = history_module.Evaluator.evaluate

    def counted(self, sha):
        seen.append(sha)
        return evaluate(self, sha)

    monkeypatch.setattr(history_module.Evaluator, "evaluate", counted)
    return seen


def _earned(point: Point) -> list:
    return [point.earned["speckit.spec"].get(s) for s in (S1, S2, S3, S4, S5)]


# -- the points ---------------------------------------------------------------------------

def test_each_commit_earns_what_its_files_show(repo):
    points = history(repo, _args("speckit"))
    assert [(p.title, _earned(p)) for p in points] == EARNED
    shas = _git(repo, "rev-list", "--first-parent", "--reverse", "HEAD").split()
    assert [p.commit for p in points] == shas
    assert [p.short for p in points] == [sha[:7] for sha in shas]
    assert [p.date for p in points] == [f"2026-01-01T00:{m:02d}:00Z" for m in range(3, 17, 2)]
    assert all(list(p.claimed) == ["speckit.spec"] and sorted(p.claimed["speckit.spec"]) == [S1, S2, S3, S4, S5]
               for p in points)  # what each claims: see the test against `status` below


def test_points_agree_with_status_on_each_commit_checked_out(repo, tmp_path, capsys):
    for point in history(repo, _args("speckit")):
        folder = tmp_path / point.short
        folder.mkdir()
        archive = subprocess.run(["git", "archive", point.commit], cwd=repo, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        capsys.readouterr()
        assert main(["status", "--root", str(folder), "--pack", "speckit", "-f", "json"]) == 0
        subjects = json.loads(capsys.readouterr().out)["subjects"]
        assert point.earned == {"speckit.spec": {s["id"]: s["earned"] for s in subjects}}, point.title
        assert point.claimed == {"speckit.spec": {s["id"]: s["claimed"] for s in subjects}}, point.title


def test_the_packs_are_the_work_trees_detected_as_check_detects_them(repo):
    detected = history(repo, _args())  # no --pack: the built-in packs whose layout the work tree has
    assert [_earned(p) for p in detected] == [earned for _, earned in EARNED]


def test_history_takes_the_last_commits(repo):
    points = history(repo, _args("speckit"), commits=3)
    assert [p.title for p in points] == [title for title, _ in EARNED[-3:]]


def test_since_takes_the_commits_from_that_time(repo):
    points = history(repo, _args("speckit"), since="2026-01-01T00:09:00Z")
    assert [p.title for p in points] == [title for title, _ in EARNED[3:]]
    assert [p.title for p in history(repo, _args("speckit"), since="2026-01-01")] == [t for t, _ in EARNED]
    assert history(repo, _args("speckit"), since="2026-01-02") == []


@pytest.mark.parametrize("since", ["yesterday", "-1", "2026-13-01"])
def test_a_since_that_is_no_date_is_refused(repo, since):
    with pytest.raises(UsageError) as caught:
        history(repo, _args("speckit"), since=since)
    assert str(caught.value) == f"--since `{since}` is not a date: write it as 2026-01-31 or 2026-01-31T12:00:00Z"


def test_a_count_below_one_is_refused(repo):
    with pytest.raises(UsageError) as caught:
        history(repo, _args("speckit"), commits=0)
    assert str(caught.value) == "--history takes a number of commits, 1 or more, not `0`"


# -- the work tree is never read nor written ------------------------------------------------

def _snapshot(root: Path) -> dict:
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", ".policylint_cache"))
        for name in files:
            path = Path(folder, name)
            info = path.lstat()
            out[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns)
    return out


def test_an_uncommitted_edit_shows_in_no_point_and_the_work_tree_is_left_as_it_was(repo):
    tasks = repo / S3 / "tasks.md"
    tasks.write_text(tasks.read_text(encoding="utf-8").replace("- [X]", "- [ ]"), encoding="utf-8")
    (repo / S5 / "spec.md").unlink()
    (repo / "specs/006-new").mkdir()
    (repo / "specs/006-new/spec.md").write_text("# Feature Specification: New\n", encoding="utf-8")
    index = (repo / ".git" / "index").read_bytes()
    before = _snapshot(repo)
    points = history(repo, _args("speckit"))
    assert [(p.title, _earned(p)) for p in points] == EARNED
    assert all("specs/006-new" not in p.earned["speckit.spec"] for p in points)
    assert _snapshot(repo) == before
    assert (repo / ".git" / "index").read_bytes() == index


# -- the cache --------------------------------------------------------------------------

def test_a_second_run_evaluates_nothing(repo, monkeypatch):
    first = history(repo, _args("speckit"))
    seen = _counting(monkeypatch)
    assert history(repo, _args("speckit")) == first
    assert seen == []


def test_a_new_commit_is_the_only_one_evaluated(repo, monkeypatch):
    history(repo, _args("speckit"))
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "docs: readme")
    seen = _counting(monkeypatch)
    points = history(repo, _args("speckit"))
    assert seen == [points[-1].commit]
    assert len(points) == 8 and points[-1].title == "docs: readme"


def test_a_damaged_entry_is_evaluated_again_and_rewritten(repo, monkeypatch):
    first = history(repo, _args("speckit"))
    entries = sorted((repo / ".policylint_cache").glob("history-*"))
    assert len(entries) == len(first)
    data = entries[0].read_bytes()
    assert b'"title":"' in data
    entries[0].write_bytes(data.replace(b'"title":"', b'"title":"x'))  # the signature no longer matches
    seen = _counting(monkeypatch)
    assert history(repo, _args("speckit")) == first
    assert len(seen) == 1
    seen.clear()
    assert history(repo, _args("speckit")) == first
    assert seen == []


def test_an_entry_of_the_wrong_shape_is_a_miss(repo):
    assert history_module._point({"commit": "a", "short": "a", "date": "d", "title": "t", "earned": {},
                                  "claimed": {}}, "a") == Point("a", "a", "d", "t", {}, {})
    for bad in (None, [], {"commit": "b"}, {"commit": "a", "short": 1, "date": "d", "title": "t", "earned": {},
                                            "claimed": {}},
                {"commit": "a", "short": "a", "date": "d", "title": "t", "earned": {"l": {"s": 3}}, "claimed": {}},
                {"commit": "a", "short": "a", "date": "d", "title": "t", "earned": {"l": []}, "claimed": {}}):
        assert history_module._point(bad, "a") is None


def test_without_the_cache_nothing_is_kept(repo, monkeypatch):
    history(repo, _args("speckit"), cache=False)
    assert not list(repo.glob(".policylint_cache/history-*"))
    seen = _counting(monkeypatch)
    history(repo, _args("speckit"), cache=False)
    assert len(seen) == len(EARNED)


def test_no_cache_on_the_command_line_keeps_nothing(repo, monkeypatch):
    history(repo, _args("speckit", no_cache=True))
    assert not list(repo.glob(".policylint_cache/history-*"))


def test_other_packs_keep_their_own_points(repo, monkeypatch, tmp_path):
    history(repo, _args("speckit"))
    pack = tmp_path / "mine.policy"
    pack.write_text('pack mine "m"\nlifecycle doc in dirs("specs/*") {\n  stage written {\n'
                    '    gate spec "has a spec" { require exists(doc / "spec.md") }\n  }\n}\n', encoding="utf-8")
    seen = _counting(monkeypatch)
    points = history(repo, _args(str(pack)))
    assert len(seen) == len(EARNED)
    assert points[-1].earned == {"mine.doc": {s: "written" for s in (S1, S2, S3, S4, S5)}}


# -- errors -----------------------------------------------------------------------------

def test_a_folder_outside_git_is_refused(tmp_path):
    root = tmp_path / "plain"
    shutil.copytree(make_history.__globals__["DEMO"], root, ignore=shutil.ignore_patterns(".policylint_cache"))
    with pytest.raises(UsageError) as caught:
        history(root, _args("speckit"))
    assert str(caught.value) == (f"`{root}` is not inside a git repository: the history is read from its commits "
                                 "(git init, then commit)")


def test_a_repository_without_commits_is_refused(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    _git(root, "init", "-q")
    with pytest.raises(UsageError) as caught:
        history(root, _args("speckit"))
    assert str(caught.value) == f"`{root}` is in a git repository without commits: the history needs one at least"


def test_a_folder_git_does_not_have_stops_the_history_with_a_clear_error(repo):
    first = _git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    tree = _git(repo, "rev-parse", f"{first}:specs").strip()
    (repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    with pytest.raises(UsageError) as caught:
        history(repo, _args("speckit"))
    assert str(caught.value) == (f"cannot read commit {first[:7]} of `{repo}`: git has no object {tree[:12]} "
                                 "(a partial clone? policylint fetches nothing)")


# -- the root in a folder of the repository ----------------------------------------------

def test_a_root_below_the_top_reads_its_own_folder(built, tmp_path):
    top = tmp_path / "top"
    shutil.copytree(built, top / "app", symlinks=True, ignore=shutil.ignore_patterns(".policylint_cache", ".git"))
    (top / "other.md").write_text("x\n", encoding="utf-8")
    _git(top, "init", "-q")
    _git(top, "add", "-A")
    _git(top, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    points = history(top / "app", _args("speckit"))
    assert [_earned(p) for p in points] == [EARNED[-1][1]]


# -- the tree reader against the work tree reader -----------------------------------------

TREE_FILES = {
    "a.md": "# A\n", "docs/b.md": "b\n", "docs/deep/c.md": "c\n", "docs/.hidden": "h\n",
}
LINKS = {"docs/link-to-a.md": "../a.md", "link-docs": "docs", "out": "../outside.md", "abs": "/etc/hostname",
         "dangling": "missing.md", "loop1": "loop2", "loop2": "loop1", "docs/deep/up": "../.."}
QUERIES = ["a.md", "docs", "docs/b.md", "docs/link-to-a.md", "link-docs", "link-docs/b.md", "link-docs/deep/c.md",
           "out", "abs", "dangling", "loop1", "docs/deep/up/a.md", "missing", "docs/missing/x", "a.md/x", "."]
GLOBS = ["*.md", "**/*.md", "docs/*", "*", "link-docs/*.md", "**", "docs/**", "*/deep/*", "[al]*", "docs/deep/up/*"]


@pytest.fixture
def linked(tmp_path) -> tuple:
    """A repository with files, symlinks inside, leading out, dangling and looping, committed; and
    its tree repo (the same commit, from git's objects)."""
    root = tmp_path / "linked"
    for rel, text in TREE_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (tmp_path / "outside.md").write_text("outside\n", encoding="utf-8")
    for rel, target in LINKS.items():
        os.symlink(target, root / rel)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    runner = history_module._Runner(root)
    sha = _git(root, "rev-parse", "HEAD").strip()
    objects = Objects(runner.object_reader)
    yield root, GitTreeRepo(root, tree=objects.commit_tree(sha), git_facts=git_facts_at(sha))
    objects.close()


def _answers(repo) -> dict:
    """What the reader says to each query; the work tree's `.git` left out (git's own, no commit holds one)."""
    from policylint.errors import ArtifactError

    out = {}
    for query in QUERIES:
        try:
            data = repo.read_bytes(query)
        except ArtifactError as exc:
            data = (type(exc).__name__, exc.message)
        try:
            listed = sorted((e.name, e.is_link, e.is_dir, e.is_file) for e in repo.listing(query).values()
                            if e.name != ".git")
        except OSError as exc:
            listed = type(exc).__name__
        out[query] = (repo.exists(query), repo.is_dir(query), data, listed)
    for pattern in GLOBS:
        out[pattern] = [[m for m in repo.glob(pattern, dirs_only) if not m.endswith("/.git")]
                        for dirs_only in (False, True)]
    return out


def test_the_tree_reader_answers_as_the_work_tree_reader(linked):
    root, tree_repo = linked
    assert _answers(tree_repo) == _answers(Repo(root))


def test_the_tree_reader_never_reads_the_work_tree(linked):
    root, tree_repo = linked
    (root / "a.md").write_text("changed\n", encoding="utf-8")
    (root / "docs" / "new.md").write_text("new\n", encoding="utf-8")
    assert tree_repo.read_text("a.md") == "# A\n"
    assert tree_repo.read_text("docs/link-to-a.md") == "# A\n"
    assert tree_repo.glob("docs/*.md") == ["docs/b.md", "docs/link-to-a.md"]


def test_a_blob_git_does_not_have_is_an_error_not_a_missing_file(linked):
    from policylint.errors import ArtifactError, ArtifactMissing

    root, tree_repo = linked
    blob = _git(root, "rev-parse", "HEAD:docs/b.md").strip()
    (root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # as a partial clone lacks it
    with pytest.raises(ArtifactError) as caught:
        tree_repo.read_bytes("docs/b.md")
    assert not isinstance(caught.value, ArtifactMissing)
    assert (caught.value.path, caught.value.message) == (
        "docs/b.md", f"git has no object {blob[:12]} (a partial clone? policylint fetches nothing)")
    assert tree_repo.read_text("a.md") == "# A\n"  # the reader goes on


def test_a_submodule_is_an_empty_folder(tmp_path):
    root = tmp_path / "with-sub"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "x.md").write_text("x\n", encoding="utf-8")
    _git(root, "add", "x.md")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    sha = _git(root, "rev-parse", "HEAD").strip()
    _git(root, "update-index", "--add", "--cacheinfo", f"160000,{sha},vendor/lib")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "sub")
    runner = history_module._Runner(root)
    with_sub = _git(root, "rev-parse", "HEAD").strip()
    repo = GitTreeRepo(root, tree=Objects(runner.object_reader).commit_tree(with_sub))
    assert repo.is_dir("vendor/lib") and repo.exists("vendor/lib")
    assert repo.listing("vendor/lib") == {}
    assert repo.glob("vendor/*") == ["vendor/lib"]
    assert repo.glob("vendor/**/*") == ["vendor/lib"]
    assert repo.glob("vendor/lib/*") == []


def test_the_git_facts_answer_for_the_commit(repo):
    from policylint import loaders

    runner = history_module._Runner(repo)
    first = _git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    tree_repo = GitTreeRepo(repo, base=first, tree=Objects(runner.object_reader).commit_tree(first),
                            git_facts=git_facts_at(first))
    facts = loaders.get("git")(tree_repo)
    assert str(facts.get("head")) == first
    assert str(facts.get("branch")) == "main"
    assert facts.get("commits") == []  # nothing since the base, at the base


# -- the object reader ----------------------------------------------------------------------

def test_the_object_reader_reads_blobs_and_says_what_is_missing(linked):
    root, _ = linked
    runner = history_module._Runner(root)
    blob = _git(root, "rev-parse", "HEAD:a.md").strip()
    with runner.object_reader() as reader:
        assert reader.read(blob) == ("blob", 4, b"# A\n")
        assert reader.read("0" * 40) is None
        with pytest.raises(ValueError):
            reader.read("HEAD:a.md")  # names are object ids only: nothing else reaches git
        assert reader.read(blob) == ("blob", 4, b"# A\n")


def test_the_object_reader_runs_git_as_every_git_runs(linked):
    root, _ = linked
    with history_module._Runner(root).object_reader() as reader:
        argv = reader.process.args
    assert argv[1:5] == ["--no-pager", "--no-replace-objects", "-C", str(root)]
    assert all(setting in argv for setting in gitrun.SAFE_CONFIG)
    assert argv[-2:] == ["cat-file", "--batch"]


def test_the_object_reader_keeps_nothing_past_its_limit_and_goes_on(linked):
    root, _ = linked
    runner = history_module._Runner(root)
    big, small = (_git(root, "rev-parse", f"HEAD:{path}").strip() for path in ("a.md", "docs/b.md"))
    with gitrun.ObjectReader(runner.executable, str(root), env=runner.env, limit=3) as reader:
        assert reader.read(big) == ("blob", 4, None)
        assert reader.read(small) == ("blob", 2, b"b\n")


def test_a_file_over_the_size_limit_is_refused_as_the_work_tree_reader_refuses_it(linked, monkeypatch):
    from policylint import repo as repo_module
    from policylint.errors import ArtifactError

    root, tree_repo = linked
    monkeypatch.setattr("policylint.gittree.MAX_FILE_BYTES", 3)
    monkeypatch.setattr(repo_module, "MAX_FILE_BYTES", 3)
    messages = []
    for reader in (tree_repo, Repo(root)):
        with pytest.raises(ArtifactError) as caught:
            reader.read_bytes("a.md")
        messages.append(caught.value.message)
    assert messages[0] == messages[1] == "file is too large to read: 4 bytes, the limit is 3 bytes"


def test_a_process_that_dies_is_an_error_and_the_reader_stays_closed(linked):
    root, _ = linked
    runner = history_module._Runner(root)
    blob = _git(root, "rev-parse", "HEAD:a.md").strip()
    reader = runner.object_reader()
    reader.process.kill()
    reader.process.wait()
    with pytest.raises(gitrun.GitFailure) as caught:
        reader.read(blob)
    assert caught.value.message.startswith("`git cat-file` stopped: ")
    with pytest.raises(gitrun.GitFailure) as caught:
        reader.read(blob)
    assert caught.value.message == "`git cat-file` was stopped"
