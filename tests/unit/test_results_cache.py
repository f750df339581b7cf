"""The results cache (.policylint_cache/): a cached run prints the same bytes as an uncached
one, whatever changed in between, and a damaged, planted or foreign entry is a miss.

Each scenario runs `policylint check` twice on a copy of the sample repository (the second
run reuses what the first kept), changes the repository between or before, and compares the
cached run's output, in every format checked, with a `--no-cache` run of the same tree."""
from __future__ import annotations

import json
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


CONFIGURATIONS = {  # what a configuration written after a run changes in its verdicts
    "a waiver lets 004 earn the stage its open question held back":
        "waivers:\n  - gate: speckit.clarified.no-open-questions\n    subject: specs/004-activity-feed\n"
        "    reason: asked the team\n",
    "a severity makes the open question not block the stage": "severity:\n  speckit.clarified.*: warning\n",
    "a comment only": "# nothing configured yet\n",
}


@pytest.mark.parametrize("written", CONFIGURATIONS)
def test_a_configuration_written_or_changed_after_a_run_is_seen(capsys, repo, written):
    """The configuration's waivers and severities decide which stage a subject earns, so the
    verdicts kept for one configuration are not another's: its file is in the cache's key."""
    for fmt in ("json", "text"):
        _run(capsys, repo, "--pack", "speckit", "-f", fmt)
    (repo / ".policylint.yaml").write_text(CONFIGURATIONS[written], encoding="utf-8")
    _same_as_uncached(capsys, repo, "--pack", "speckit")
    (repo / ".policylint.yaml").write_text(CONFIGURATIONS[written] + "# and a second line\n", encoding="utf-8")
    _same_as_uncached(capsys, repo, "--pack", "speckit")


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


@needs_git
def test_a_run_that_asked_git_is_kept_and_a_new_commit_evaluates_what_asked(capsys, repo, evaluations):
    """git's answers are an input like a file's: an unchanged repository evaluates nothing, a
    new commit what asked git (here every gate of the pack does)."""
    (repo / "gitfacts.policy").write_text(GIT_PACK, encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    args = ("--pack", str(repo / "gitfacts.policy"))
    first = _run(capsys, repo, *args)
    evaluations.clear()
    assert _run(capsys, repo, *args) == first and evaluations == []
    _git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    assert _run(capsys, repo, *args) == _run(capsys, repo, "--no-cache", *args)
    assert evaluations


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


# -- the report's pieces: after an edit, the kept entries' json items are written as kept ------
@pytest.fixture
def pieces(monkeypatch) -> list:
    """The entries whose kept report pieces a run used (results.ResultsCache.shown)."""
    from policylint import results

    used = []
    real = results.ResultsCache.shown

    def shown(self, entry_id):
        piece = real(self, entry_id)
        if piece is not None:
            used.append(entry_id)
        return piece

    monkeypatch.setattr(results.ResultsCache, "shown", shown)
    return used


def _old(*paths: Path) -> None:
    """Paths dated a minute back: their mtimes vouch for them (not within the racy window)."""
    then = time.time_ns() - 60_000_000_000
    for path in paths:
        os.utime(path, ns=(then, then))


def _config_waiver(root: Path) -> None:
    (root / ".policylint.yaml").write_text(
        "waivers:\n  - gate: speckit.implementing.all-done\n    subject: specs/002-invoice-csv-export\n"
        "    reason: tracked elsewhere\n  - gate: speckit.draft.mandatory-sections\n    subject: specs/001-password-reset\n"
        "    reason: stale, waives nothing\n", encoding="utf-8")


def _expired_waiver(root: Path) -> None:
    (root / ".policylint.yaml").write_text(
        "waivers:\n  - gate: speckit.implementing.all-done\n    subject: specs/002-invoice-csv-export\n"
        "    reason: tracked elsewhere\n    expires: 2020-01-01\n", encoding="utf-8")


def _inline_waiver(root: Path) -> None:
    path = root / "specs/004-activity-feed/spec.md"
    text = path.read_text(encoding="utf-8")
    at = next(i for i, line in enumerate(text.split("\n")) if "[NEEDS CLARIFICATION" in line)
    lines = text.split("\n")
    lines.insert(at, "<!-- policylint: waive speckit.clarified.no-open-questions -- asked the team -->")
    path.write_text("\n".join(lines), encoding="utf-8")


def _baseline(root: Path) -> None:
    assert main(["baseline", "--root", str(root), "--pack", "speckit"]) == 0


def _severity(root: Path) -> None:
    (root / ".policylint.yaml").write_text("severity:\n  speckit.draft.status-current: error\n", encoding="utf-8")


def _unknown_stage(root: Path) -> None:
    (root / "specs/005-dark-mode/.status").write_text("shipped-ish\n", encoding="utf-8")


UNWAIVABLE = 'pack team "t"\ngate tests "The tests pass" unwaivable { require exists("reports/junit.xml") }\n'


# (what is set up before the first run, extra arguments, whether the kept pieces may be used)
SETUPS = {
    "plain": (None, (), True),
    "configured waivers": (_config_waiver, (), True),  # a kept piece says which it used: the other is stale
    "an expired waiver": (_expired_waiver, (), False),
    "inline waiver": (_inline_waiver, (), True),
    "baseline": (_baseline, (), True),  # a kept piece says which entries it matched: none of them is fixed
    "severity": (_severity, ("--fail-on", "warning"), True),
    "select": (None, ("--select", "speckit.draft", "--select", "speckit.implementing"), True),
    "erroring subject": (_unknown_stage, (), True),
}


# the report a run prints, whose pieces the next run uses (text: as -q, -v and colour show it too)
PRINTED = {"json": ("-f", "json"), "text": ("-f", "text"), "text -q": ("-q",), "text -v": ("-v",),
           "text, colour": ("--color", "always")}


@pytest.mark.parametrize("printed", PRINTED)
@pytest.mark.parametrize("setup", SETUPS)
def test_after_an_edit_the_report_is_made_of_kept_pieces_as_an_uncached_run_makes_it(capsys, repo, pieces, setup,
                                                                                     printed):
    prepare, extra, usable = SETUPS[setup]
    if prepare is not None:
        prepare(repo)
    base = ("--pack", "speckit", *extra)
    args = (*base, *PRINTED[printed])
    _warm(capsys, repo, *base)
    _run(capsys, repo, *args)  # the command's pieces kept last
    _edit_task(repo)
    pieces.clear()
    cached = _run(capsys, repo, *args)
    assert cached == _run(capsys, repo, "--no-cache", *args)
    assert bool(pieces) == usable
    if usable:  # every kept entry but the edited spec's (and one an inline waiver is beside)
        assert "s\0speckit.spec\0specs/003-team-invitations" not in pieces
        assert len(pieces) >= 3
    for fmt in ("json", "text", "sarif"):  # other commands' reports: made from the verdicts
        assert _run(capsys, repo, "-f", fmt, *base) == _run(capsys, repo, "-f", fmt, "--no-cache", *base)


@pytest.mark.parametrize("printed", [(), ("-q",), ("-v",), ("--statistics",)])
def test_a_text_report_of_several_packs_is_made_of_pieces_and_statistics_from_the_verdicts(capsys, repo, pieces,
                                                                                        printed):
    """Each pack's header tallies its results, the kept subjects' blocks among them (what each
    piece counts); --statistics counts per gate, so it is made from the verdicts."""
    pack = repo / "team.policy"
    pack.write_text('pack team "t"\ngate readme "A README" { require exists("README.md") }\n'
                    'lifecycle spec in dirs("specs/*") {\n  stage draft {\n'
                    '    gate notes "notes.md" { require exists(spec / "notes.md") }\n  }\n}\n', encoding="utf-8")
    args = ("--pack", "speckit", "--pack", str(pack), "--pack", "release-train", *printed)
    _run(capsys, repo, *args)
    _edit_task(repo)
    pieces.clear()
    assert _run(capsys, repo, *args) == _run(capsys, repo, "--no-cache", *args)
    assert bool(pieces) == ("--statistics" not in printed)


@pytest.mark.parametrize("printed", ["json", "text"])
def test_a_baselined_finding_fixed_beside_kept_pieces_is_noted_fixed_and_no_other(capsys, repo, pieces, printed):
    """With a baseline, the kept pieces say which of its entries their findings still match, so
    only the finding an edit fixed is noted fixed (PL306), as an uncached run notes it."""
    _baseline(repo)
    _run(capsys, repo, "--pack", "speckit", "-f", printed)
    spec = repo / "specs/004-activity-feed/spec.md"
    spec.write_text(spec.read_text(encoding="utf-8").replace("[NEEDS CLARIFICATION:", "(clarified:"), encoding="utf-8")
    pieces.clear()
    cached = _run(capsys, repo, "--pack", "speckit", "-f", printed)
    assert cached == _run(capsys, repo, "--pack", "speckit", "-f", printed, "--no-cache")
    assert cached[1].count("PL306") == 1 and len(pieces) == 4


def test_an_unwaivable_gate_left_out_is_still_noted_after_an_edit(capsys, repo, pieces):
    pack = repo / "team.policy"
    pack.write_text(UNWAIVABLE, encoding="utf-8")
    args = ("--pack", "speckit", "--pack", str(pack), "--ignore", "team.tests")
    _warm(capsys, repo, *args)
    _edit_task(repo)
    pieces.clear()
    cached = _run(capsys, repo, "-f", "json", *args)
    assert "PL309" in cached[1] and not pieces
    assert cached == _run(capsys, repo, "-f", "json", "--no-cache", *args)


def test_an_edit_that_makes_the_only_blocking_subject_pass_changes_the_summary_and_exit_code(capsys, repo, pieces):
    (repo / ".policylint.yaml").write_text('severity:\n  "speckit.clarified.*": error\n  "speckit.*": warning\n',
                                           encoding="utf-8")
    assert _run(capsys, repo, "-f", "json", "--pack", "speckit")[0] == 1
    spec = repo / "specs/004-activity-feed/spec.md"
    spec.write_text(spec.read_text(encoding="utf-8").replace("[NEEDS CLARIFICATION:", "(clarified:"), encoding="utf-8")
    pieces.clear()
    cached = _run(capsys, repo, "-f", "json", "--pack", "speckit")
    assert cached == _run(capsys, repo, "-f", "json", "--no-cache", "--pack", "speckit")
    assert cached[0] == 0 and len(pieces) == 4 and "s\0speckit.spec\0specs/004-activity-feed" not in pieces


def test_two_formats_printed_together_are_made_from_the_verdicts(capsys, repo, pieces):
    args = ("--pack", "speckit", "-f", "json", "-f", "text")
    _run(capsys, repo, *args)
    _edit_task(repo)
    assert _run(capsys, repo, *args) == _run(capsys, repo, *args, "--no-cache")
    assert not pieces


def test_a_file_added_deep_in_a_folder_a_double_star_glob_walks_is_seen(capsys, repo):
    """`glob(spec / "**/*.md")` is vouched for by the mtimes of every folder below the spec: a
    file added two folders down changes only its own folder's."""
    spec = repo / "specs/001-password-reset"
    (spec / "notes" / "old").mkdir(parents=True)
    _old(spec / "notes" / "old", spec / "notes", spec)
    _warm(capsys, repo, "--pack", "speckit")
    (spec / "notes" / "old" / "merge.md").write_text("<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> main\n",
                                                     encoding="utf-8")
    assert "conflict marker" in _run(capsys, repo, "--pack", "speckit", "-f", "json")[1]
    _same_as_uncached(capsys, repo, "--pack", "speckit")


def test_a_report_made_of_pieces_after_an_edit_is_stored_whole_by_the_next_run_that_evaluates_nothing(
        capsys, repo, monkeypatch):
    from policylint import evaluate

    def outputs() -> list:
        return sorted(p.name for p in (repo / ".policylint_cache").iterdir() if p.name.startswith("output-"))

    _run(capsys, repo, "--pack", "speckit", "-f", "json")
    _edit_task(repo)
    before = outputs()
    edited = _run(capsys, repo, "--pack", "speckit", "-f", "json")
    assert outputs() == before  # its pieces are kept, not a copy of the whole report
    assert _run(capsys, repo, "--pack", "speckit", "-f", "json") == edited
    assert len(outputs()) == len(before) + 1

    def no_run(self, packs):
        raise AssertionError("the engine ran although the report was stored")

    monkeypatch.setattr(evaluate.Engine, "run", no_run)
    assert _run(capsys, repo, "--pack", "speckit", "-f", "json") == edited


# -- subjects added, deleted, renamed: what changed is evaluated, and what read the list --------
# A pack whose readers of the subject list are known: a repository-wide gate and 001's gate
# read a global let of the spec folders, 002's gate lists them itself (a def); the other
# subjects read no list.
LISTING_PACK = """pack team "t"
let specs = dirs("specs/*")
def folders() = dirs("specs/*")
gate total "Fewer than six specs" { require count(specs) < 6 else "{count(specs)} specs" }
lifecycle spec in dirs("specs/*") {
  stage draft {
    gate spec-md "spec.md exists" { require exists(spec / "spec.md") }
    gate by-let "001 sees fewer than six specs" when spec.name matches /^001-/ {
      require count(specs) < 6 else "{count(specs)} specs"
    }
    gate by-def "002 sees fewer than six specs" when spec.name matches /^002-/ {
      require count(folders()) < 6 else "{count(folders())} specs"
    }
  }
}
"""
# Subjects that are lines of a file: each is more than its id (its line, which a failure points
# at), so each rests on the listing.
LINES_PACK = """pack items "i"
lifecycle item in lines("ITEMS") where it.text != "" {
  stage listed {
    gate placed "Each item is unlisted" { require item == "nothing" else "{item} is listed" }
  }
}
"""
LISTING_READERS = ["g:team.total", "specs/001-password-reset", "specs/002-invoice-csv-export"]


def _delete_spec(root: Path) -> None:
    shutil.rmtree(root / "specs/004-activity-feed")


def _new_item(root: Path) -> None:
    (root / "ITEMS").write_text("zero\n" + (root / "ITEMS").read_text(encoding="utf-8"), encoding="utf-8")


def _pack(root: Path, text: str) -> tuple:
    (root / "team.policy").write_text(text, encoding="utf-8")
    (root / "ITEMS").write_text("one\ntwo\n", encoding="utf-8")
    return ("--pack", str(root / "team.policy"))


# (the pack's arguments, the change, what the cached run after it evaluates, whether kept pieces stand
# for the others in its json report)
LISTINGS = {
    "speckit, a spec added": (lambda root: ("--pack", "speckit"), _new_spec, ["specs/007-dark-mode-again"], True),
    "speckit, a spec deleted": (lambda root: ("--pack", "speckit"), _delete_spec, [], True),
    "speckit, a spec renamed": (lambda root: ("--pack", "speckit"), _rename_spec, ["specs/006-activity-feed"], True),
    "readers of the list, a spec added": (lambda root: _pack(root, LISTING_PACK), _new_spec,
                                          sorted(LISTING_READERS + ["specs/007-dark-mode-again"]), True),
    "readers of the list, a spec deleted": (lambda root: _pack(root, LISTING_PACK), _delete_spec, LISTING_READERS,
                                            True),
    "subjects that are lines, one added": (lambda root: _pack(root, LINES_PACK), _new_item, ["one", "two", "zero"],
                                           False),
}


@pytest.fixture
def evaluations(monkeypatch) -> list:
    """The subjects (by id) and repository-wide gates ("g:" and the gate's id) the engine
    evaluates, whatever the cache gave."""
    from policylint import evaluate

    done = []
    real_subject, real_gate = evaluate.Engine._subject, evaluate.Engine._gate

    def subject(self, node, parts, value, sid, *rest):
        done.append(sid)
        return real_subject(self, node, parts, value, sid, *rest)

    def gate(self, gate_node, gate_id, env, title_env, explainer, subject_id, stage):
        if subject_id is None:
            done.append(f"g:{gate_id}")
        return real_gate(self, gate_node, gate_id, env, title_env, explainer, subject_id, stage)

    monkeypatch.setattr(evaluate.Engine, "_subject", subject)
    monkeypatch.setattr(evaluate.Engine, "_gate", gate)
    return done


@pytest.mark.parametrize("case", LISTINGS)
def test_a_subject_added_deleted_or_renamed_costs_itself_and_what_read_the_list(capsys, repo, evaluations, pieces,
                                                                                case):
    pack, change, expected, from_pieces = LISTINGS[case]
    args = pack(repo)
    _warm(capsys, repo, *args)
    change(repo)
    evaluations.clear()
    pieces.clear()
    cached = _run(capsys, repo, "-f", "json", *args)
    assert sorted(evaluations) == expected
    assert bool(pieces) == from_pieces
    assert cached == _run(capsys, repo, "-f", "json", "--no-cache", *args)
    _same_as_uncached(capsys, repo, *args)


def test_a_global_value_is_an_input_of_its_readers_only(capsys, repo, evaluations):
    """A global let read by one subject's gate: an edit of the file it reads evaluates that
    subject again, and no other."""
    pack = repo / "team.policy"
    pack.write_text('pack team "t"\nlet readme = lines("README.md")\nlifecycle spec in dirs("specs/*") {\n'
                    '  stage draft {\n    gate readme "003 has a README" when spec.name matches /^003-/ '
                    '{ require count(readme) > 100 else "{count(readme)} lines" }\n  }\n}\n', encoding="utf-8")
    args = ("--pack", str(pack))
    _warm(capsys, repo, *args)
    with open(repo / "README.md", "a", encoding="utf-8") as fh:
        fh.write("one more line\n")
    evaluations.clear()
    cached = _run(capsys, repo, "-f", "json", *args)
    assert evaluations == ["specs/003-team-invitations"]
    assert cached == _run(capsys, repo, "-f", "json", "--no-cache", *args)


# -- the date: an input of what asks for it, not of every verdict --------------------------------
DATED_PACK = ('pack dated "d"\nlifecycle spec in dirs("specs/*") {\n  stage draft {\n'
              '    gate fresh "003 is reviewed within 400 days of 2026-01-01" when spec.name matches /^003-/ '
              '{ require days_between(2026-01-01, today()) < 400 else "{days_between(2026-01-01, today())} days" }\n'
              '    gate named "a folder name" { require spec.name != "" }\n  }\n}\n')
DAY_ONE, DAY_TWO = "1796083200", "1803859200"  # 2026-12-01 (334 days), 2027-03-01 (424 days)


def test_a_new_day_evaluates_only_what_asked_for_the_date(capsys, repo, evaluations, monkeypatch):
    pack = repo / "dated.policy"
    pack.write_text(DATED_PACK, encoding="utf-8")
    args = ("--pack", str(pack))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY_ONE)
    _warm(capsys, repo, *args)
    assert _run(capsys, repo, "-f", "json", *args)[0] == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY_TWO)
    evaluations.clear()
    cached = _run(capsys, repo, "-f", "json", *args)
    assert evaluations == ["specs/003-team-invitations"]
    assert cached[0] == 1 and "424 days" in cached[1]
    assert cached == _run(capsys, repo, "-f", "json", "--no-cache", *args)
    _same_as_uncached(capsys, repo, *args)


def _waiver_expiring(root: Path, day: str) -> None:
    (root / ".policylint.yaml").write_text(
        "waivers:\n  - gate: speckit.clarified.no-open-questions\n    subject: specs/004-activity-feed\n"
        f"    reason: asked the team\n    expires: {day}\n", encoding="utf-8")


def test_a_waiver_that_expires_overnight_is_not_printed_from_yesterday(capsys, repo, monkeypatch):
    """Which configured waivers have expired decides the stages subjects earn: the day one
    expires, every verdict is made again (results.run_key)."""
    _waiver_expiring(repo, "2027-01-01")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY_ONE)
    _warm(capsys, repo, "--pack", "speckit")
    yesterday = _run(capsys, repo, "--pack", "speckit")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY_TWO)
    today = _run(capsys, repo, "--pack", "speckit")
    assert today != yesterday and "expired on 2027-01-01" in today[1]
    assert today == _run(capsys, repo, "--pack", "speckit", "--no-cache")
    _same_as_uncached(capsys, repo, "--pack", "speckit")


def test_a_new_day_keeps_every_verdict_no_gate_and_no_waiver_dates(capsys, repo, evaluations, monkeypatch):
    _waiver_expiring(repo, "2028-01-01")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY_ONE)
    _warm(capsys, repo, "--pack", "speckit")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY_TWO)
    evaluations.clear()
    today = _run(capsys, repo, "--pack", "speckit")
    assert evaluations == []
    assert today == _run(capsys, repo, "--pack", "speckit", "--no-cache")
    _same_as_uncached(capsys, repo, "--pack", "speckit")


def test_a_lazy_field_that_may_read_is_traced_and_a_pure_one_is_not(tmp_path):
    """What a lazy field reads when it is computed is an input of the entry that holds it (the
    next run must see a change to it); one that reads nothing more (`Lazy(…, pure=True)`, as
    Markdown's are) has nothing to record and is left as it is."""
    from policylint.recording import RecordingRepo, _Traced
    from policylint.values import Lazy, Record

    (tmp_path / "spec.md").write_text("# Spec\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("notes\n", encoding="utf-8")
    repo = RecordingRepo(tmp_path, None)
    key = ("markdown", "spec.md")
    record = repo.memo(key, lambda: Record("Doc", None, text=repo.read_text("spec.md"),
                                          notes=Lazy(lambda: repo.read_text("notes.md")),
                                          title=Lazy(lambda: "Spec", pure=True)))
    assert type(record.fields["notes"].compute) is _Traced
    assert record.fields["title"].compute() == "Spec" and type(record.fields["title"].compute) is not _Traced
    assert ("path", "notes.md") not in repo.depends[key]
    repo.frames.append(set())
    assert record.get("notes") == "notes\n"
    assert ("path", "notes.md") in repo.frames.pop()
    assert ("path", "notes.md") in repo.depends[key]


OPENSPEC_SAMPLE = ROOT / "rules" / "openspec" / "tests" / "modulus" / "repo"


def test_a_folder_the_run_listed_is_kept_as_the_file_system_answers_it(capsys, tmp_path, monkeypatch, evaluations):
    """OpenSpec's loaders list folders (Repo.listing), and forget_under drops a subject's listings
    once its gates are done: the results cache keeps each folder as the run first listed it, which
    is what the file system answers when the next run asks, so nothing unchanged is evaluated
    again, and a new change is."""
    from policylint import results

    root = tmp_path / "repo"
    shutil.copytree(OPENSPEC_SAMPLE, root)
    stored = {}
    real_store = results.ResultsCache.store_entries

    def keep(self, repo):
        real_store(self, repo)
        stored.update({key: answer for key, answer in self._observations.items() if key[:2] == "l:"})

    monkeypatch.setattr(results.ResultsCache, "store_entries", keep)
    first = _run(capsys, root, "--pack", "openspec", "-f", "json")
    assert stored and all(stored[key] == results._answer(str(root), key) for key in stored)
    evaluations.clear()
    assert _run(capsys, root, "--pack", "openspec", "-f", "json") == first
    assert evaluations == []
    added = root / "openspec" / "changes" / "add-audit-log"
    shutil.copytree(root / "openspec" / "changes" / "add-host-sdk", added)
    cached = _run(capsys, root, "--pack", "openspec", "-f", "json")
    assert "openspec/changes/add-audit-log" in evaluations
    assert cached == _run(capsys, root, "--pack", "openspec", "-f", "json", "--no-cache")


TEXT_ROWS = [
    (b'[[["specs/001", "bold"], ["  claims draft", "dim"]], []]', True),
    (b'[[["specs/001", "bold", "extra"]]]', False),  # a segment is (text, style)
    (b'[[["specs/001", 1]]]', False),
    (b'{"rows": []}', False),
    (b'[[["unterminated', False),
    (b'\xff\xfe', False),  # not UTF-8
]


@pytest.mark.parametrize("stored, usable", TEXT_ROWS)
def test_a_text_piece_whose_rows_are_not_rows_is_not_used(stored, usable):
    """A text piece read back is checked for its shape, rows included: a wrong one is no piece
    (its entry's verdicts are restored instead), never a report that breaks while printing."""
    from policylint.results import Piece

    body = b"" + stored
    row = [0, 0, ["specs/001", "speckit.spec", 0, len(stored)], [1, 0, 0, 0, 0], [False, False], [],
           {"tally": [0, 0, False, 2], "waivers": [1], "baseline": ["0123abcd"]}]
    piece = Piece.from_row(row, body, "text")
    assert (piece is not None) == usable
    if usable:
        assert piece.subject.rows == [[("specs/001", "bold"), ("  claims draft", "dim")], []]
        assert piece.said == {"tally": [0, 0, False, 2], "waivers": [1], "baseline": ["0123abcd"]}
    for said in ({}, {"tally": [0, -1, False, 0]}, {"tally": [0, 0, False]}, {"tally": [0, 0, False, 0], "waivers": [-1]},
                 {"tally": [0, 0, False, 0], "baseline": [1]}, {"tally": [0, 0, False, 0], "other": 1},
                 [0, 0, False, 0]):  # a text piece has its tally; no other field
        assert Piece.from_row(row[:6] + [said], body, "text") is None
    assert Piece.from_row(row[:6], body, "text") is None


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_subject_whose_name_is_not_utf8_is_kept_and_reported_as_uncached(capsys, repo, fmt):
    """A spec folder named with bytes that are not UTF-8 (a lone surrogate in Python's text):
    the cache keeps it as its escape, the json report writes it as `\\udcXX` (UTF-8 whatever it
    names), and a cached run after an edit prints what an uncached one does."""
    try:
        shutil.copytree(os.fsencode(repo / "specs/001-password-reset"),
                        os.fsencode(repo / "specs") + b"/006-caf\xe9")
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only UTF-8 names")
    first = _run(capsys, repo, "--pack", "speckit", "-f", fmt)
    _edit_task(repo)
    assert _run(capsys, repo, "--pack", "speckit", "-f", fmt) == _run(capsys, repo, "--pack", "speckit", "-f", fmt,
                                                                      "--no-cache")
    assert first[0] in (0, 1) and "006-caf\\udce9" in first[1]
    if fmt == "json":
        assert "specs/006-caf\udce9" in {s["id"] for s in json.loads(first[1])["subjects"]}
