"""`policylint test --mutate`: mutants no case notices, and deletions that let a gate pass."""
from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from policylint import mutate
from policylint.cli import main
from policylint.errors import PolicylintError
from policylint.packtest import discover
from policylint.syntax.parse import parse_policy


def _pack(tmp_path: Path, name: str, policy: str, cases: dict, readme: str = "") -> Path:
    """A pack folder: `cases` maps a case name to (files, expected.yaml text)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{name}.policy").write_text(textwrap.dedent(policy), encoding="utf-8")
    if readme:
        (folder / "README.md").write_text(textwrap.dedent(readme), encoding="utf-8")
    for case, (files, expected) in cases.items():
        root = folder / "tests" / case / "repo"
        root.mkdir(parents=True)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        (folder / "tests" / case / "expected.yaml").write_text(textwrap.dedent(expected), encoding="utf-8")
    return folder


TITLED = """\
    pack titled "Titled"
    gate title "README.md has a heading" {
      require count(markdown("README.md").headings) > 0
    }
"""
TITLED_CASE = {"has-title": ({"README.md": "# Hello\n"}, "results: {'.': {titled.title: pass}}\n")}

QUIET = """\
    pack quiet "Quiet"
    gate notes "notes.md has no TODO" when exists("notes.md") {
      require not (text("notes.md") contains "TODO")
    }
"""
QUIET_CASE = {"todo-left": ({"notes.md": "TODO: write the notes\n"}, "results: {'.': {quiet.notes: fail}}\n")}


def _report(folder: Path) -> list:
    return mutate.render(mutate.mutate_pack(folder, discover(folder), use_cache=False))


def test_a_mutant_no_case_notices_is_a_survivor(tmp_path):
    folder = _pack(tmp_path, "titled", TITLED, TITLED_CASE)
    assert _report(folder) == [
        "titled: 1 of 2 mutants killed (50.0%); 1 deletions, 0 silent passes",
        f"  survivor  {folder.as_posix()}/titled.policy:3:11: titled.title: `>` → `>=` in "
        "`count(markdown(\"README.md\").headings) > 0`",
    ]


def test_a_case_that_fails_kills_the_survivor(tmp_path):
    cases = dict(TITLED_CASE, untitled=({"README.md": "no heading\n"}, "results: {'.': {titled.title: fail}}\n"))
    folder = _pack(tmp_path, "titled", TITLED, cases)
    assert _report(folder)[0] == "titled: 2 of 2 mutants killed (100.0%); 2 deletions, 0 silent passes"


def test_a_declared_equivalent_mutant_is_not_counted(tmp_path):
    readme = """\
        # titled

        ## Equivalent mutants

        - `titled.title: `>` → `>=` in `count(markdown("README.md").headings) > 0`` — for the test
        - `titled.gone: `require` → `require not` in `x`` — killed long ago
    """
    folder = _pack(tmp_path, "titled", TITLED, TITLED_CASE, readme)
    report = _report(folder)
    assert report[0] == "titled: 1 of 1 mutants killed (100.0%), 1 equivalent; 1 deletions, 0 silent passes"
    assert report[1:] == [f"  stale     {folder.as_posix()}/README.md: `## Equivalent mutants` lists "
                          "`titled.gone: `require` → `require not` in `x``, which is killed or gone"]


def test_a_deletion_that_turns_a_failure_into_a_skip_is_a_silent_pass(tmp_path):
    folder = _pack(tmp_path, "quiet", QUIET, QUIET_CASE)
    report = _report(folder)
    assert report[0].endswith("; 1 deletions, 1 silent pass")
    assert report[-1] == "  silent    quiet/todo-left: deleting notes.md: quiet.notes: fail → skipped"


def test_an_optional_file_may_be_deleted(tmp_path):
    readme = """\
        # quiet

        ## Optional files

        - `notes.md` — a project may keep no notes
    """
    folder = _pack(tmp_path, "quiet", QUIET, QUIET_CASE, readme)
    assert _report(folder)[0].endswith("; 1 deletions, 0 silent passes")


def test_a_deletion_that_raises_the_earned_stage_is_a_silent_pass(tmp_path):
    policy = """\
        pack staged "Staged"
        lifecycle doc in dirs("docs/*") {
          stage draft {
            gate exists "index.md exists" { require exists(doc / "index.md") }
          }
          stage reviewed {
            gate no-objection "No open objection" when exists(doc / "objections.md") {
              require not (text(doc / "objections.md") contains "OPEN")
            }
          }
        }
    """
    expected = "subjects: {docs/a: {earned: draft}}\n"
    folder = _pack(tmp_path, "staged", policy,
                   {"objected": ({"docs/a/index.md": "# A\n", "docs/a/objections.md": "OPEN: too long\n"}, expected)})
    silent = [line for line in _report(folder) if line.startswith("  silent")]
    assert silent == ["  silent    staged/objected: deleting docs/a/objections.md: docs/a earned draft → reviewed"]


def test_a_failure_that_moves_to_a_gate_naming_the_file_is_no_silent_pass():
    class R:
        def __init__(self, gate, subject, status, message="", evidence=()):
            self.gate, self.subject, self.status, self.message, self.evidence = gate, subject, status, message, list(evidence)

    class Run:
        def __init__(self, results):
            self.results, self.subjects = results, []

    before = Run([R("p.content", None, "fail"), R("p.present", "s", "fail", "x")])
    moved = Run([R("p.content", None, "skipped", "does not apply: `exists(\"f.md\")` is false"),
                 R("p.present", "s", "fail", "`f.md` is missing")])
    vanished = Run([R("p.content", None, "skipped", "does not apply: `exists(\"f.md\")` is false"),
                    R("p.present", "s", "fail", "x")])
    assert mutate.silent_passes(before, moved, "f.md", "p") == []
    assert mutate.silent_passes(before, vanished, "f.md", "p") == ["p.content: fail → skipped"]


@pytest.mark.parametrize("source, expected", [
    ('require a < b', ["`require` → `require not` in `a < b`", "`<` → `<=` in `a < b`"]),
    ('require a == b', ["`require` → `require not` in `a == b`", "`==` → `!=` in `a == b`"]),
    ('require a and b', ["`require` → `require not` in `a and b`", "`A and B` → `A` in `a and b`",
                         "`A and B` → `B` in `a and b`"]),
    ('require every x in xs where x > 1: x < 3',
     ["`require` → `require not` in `every x in xs where x > 1: x < 3`",
      "`every` → `some` in `every x in xs where x > 1: x < 3`",
      "`where` dropped in `every x in xs where x > 1: x < 3`", "`>` → `>=` in `x > 1`", "`<` → `<=` in `x < 3`"]),
    ('require not a', ["`require` → `require not` in `not a`", "`not` dropped in `not a`"]),
    ('require (if a then b else c)', ["`require` → `require not` in `if a then b else c`",
                                      "`if` → its `then` in `if a then b else c`",
                                      "`if` → its `else` in `if a then b else c`"]),
])
def test_the_mutations_of_a_require(source, expected):
    policy = f'pack p "P"\nlet a = true\nlet b = true\nlet c = true\nlet xs = [1]\ngate g "G" {{\n  {source}\n}}\n'
    tree = parse_policy(policy, "p.policy")
    assert [f"{m.mutation} in `{m.snippet}`" for m in mutate.mutants_of(tree)] == expected


def test_a_mutant_is_put_back_after_it_ran():
    tree = parse_policy('pack p "P"\ngate g "G" {\n  require 1 < 2 and 2 < 3\n}\n', "p.policy")
    before = repr(tree.items)
    for mutant in mutate.mutants_of(tree):
        undo = mutant.apply()
        assert repr(tree.items) != before
        undo()
        assert repr(tree.items) == before


def test_cli_mutate_reports_and_fails_below_the_threshold(tmp_path, capsys):
    folder = _pack(tmp_path, "titled", TITLED, TITLED_CASE)
    assert main(["test", str(folder), "--mutate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "titled: 1 of 2 mutants killed (50.0%); 1 deletions, 0 silent passes\n" in out
    assert out.endswith("1 pack below 95% of mutants killed or with a silent pass: titled\n")
    assert main(["test", str(folder), "--mutate", "--mutate-threshold", "50", "--no-cache"]) == 0
    assert capsys.readouterr().out.endswith(
        "every pack kills at least 50% of its mutants; no deletion passes silently\n")


def test_readme_lists_skip_fenced_blocks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("## Optional files\n\n- `a.md` — why\n```sh\n# a comment\n- `b.md` — not a bullet\n```\n"
                      "- `c.md` -- also why\n## Next\n- `d.md` — elsewhere\n", encoding="utf-8")
    assert mutate.readme_list(readme, "Optional files") == {"a.md": "why", "c.md": "also why"}


# -- the fast sweeps: only what can change is run again ----------------------------------------
NO_OBJECTION = """\
    pack objected "Objected"
    gate none "No objection is filed" {
      require count(glob("objections/*.md")) == 0
    }
"""
STAGED = """\
    pack staged "Staged"
    lifecycle doc in dirs("docs/*") {
      claims text(doc / "STATUS")
      stage draft {
        gate index "index.md exists" { require exists(doc / "index.md") }
      }
      stage reviewed {
        gate titled "index.md has a title" { require markdown(doc / "index.md").front_matter.title != null }
        gate no-objection "No open objection" when exists(doc / "objections.md") {
          require not (text(doc / "objections.md") contains "OPEN")
        }
      }
    }
"""
STAGED_CASES = {
    "objected": ({"docs/a/index.md": "---\ntitle: A\n---\n# A\n", "docs/a/STATUS": "reviewed\n",
                  "docs/a/objections.md": "OPEN: too long\n", "docs/b/index.md": "# B\n", "docs/b/STATUS": "draft\n",
                  "unrelated.txt": "read by no gate\n"},
                 "subjects: {docs/a: {earned: draft}}\n"),
    "reviewed": ({"docs/a/index.md": "---\ntitle: A\n---\n# A\n", "docs/a/STATUS": "reviewed\n"},
                 "results: {docs/a: {staged.draft.index: pass}}\n"),
}


def _both(folder: Path) -> tuple:
    cases = discover(folder)
    fast = mutate.render(mutate.mutate_pack(folder, cases, use_cache=False))
    slow = mutate.render(mutate.mutate_pack(folder, cases, use_cache=False, exhaustive=True))
    return fast, slow


def test_a_deletion_only_a_glob_sees_is_still_judged(tmp_path):
    cases = {"filed": ({"objections/late.md": "too late\n", "README.md": "# R\n"},
                       "results: {'.': {objected.none: fail}}\n")}
    folder = _pack(tmp_path, "objected", NO_OBJECTION, cases)
    fast, slow = _both(folder)
    assert fast == slow
    assert fast[-1] == "  silent    objected/filed: deleting objections/late.md: objected.none: fail → pass"
    assert fast[0].endswith("; 2 deletions, 1 silent pass")


def test_a_deletion_through_a_symlink_is_still_judged(tmp_path):
    folder = _pack(tmp_path, "quiet", QUIET, {"todo-left": ({"real/notes.md": "TODO: write the notes\n"},
                                                             "results: {'.': {quiet.notes: fail}}\n")})
    (folder / "tests" / "todo-left" / "repo" / "notes.md").symlink_to("real/notes.md")
    fast, slow = _both(folder)
    assert fast == slow
    assert [line for line in fast if line.startswith("  silent")] == [
        "  silent    quiet/todo-left: deleting notes.md: quiet.notes: fail → skipped",
        "  silent    quiet/todo-left: deleting real/notes.md: quiet.notes: fail → skipped"]


def test_the_fast_sweeps_give_what_running_everything_gives(tmp_path):
    folder = _pack(tmp_path, "staged", STAGED, STAGED_CASES)
    fast, slow = _both(folder)
    assert fast == slow
    assert "  silent    staged/objected: deleting docs/a/objections.md: docs/a earned draft → reviewed" in fast


def test_a_deletion_the_run_never_looked_at_is_counted_and_not_run(tmp_path, monkeypatch):
    folder = _pack(tmp_path, "staged", STAGED, {"objected": STAGED_CASES["objected"]})
    reran = []
    run_without = mutate._Recorded.run_without
    monkeypatch.setattr(mutate._Recorded, "run_without", lambda self, changed: reran.append(changed) or
                        run_without(self, changed))
    report = mutate.mutate_pack(folder, discover(folder), use_cache=False)
    assert report.deletions == 6
    assert len(reran) == 5  # all but unrelated.txt
    assert not any("unrelated.txt" in str(what) for changed in reran for what in changed)


def test_a_deletion_runs_again_only_the_gates_that_read_the_file(tmp_path, monkeypatch):
    folder = _pack(tmp_path, "staged", STAGED, {"objected": STAGED_CASES["objected"]})
    evaluated = []
    gate = mutate.Engine._gate
    monkeypatch.setattr(mutate.Engine, "_gate", lambda self, *args: evaluated.append((args[1], args[5])) or
                        gate(self, *args))
    (case,) = discover(folder)
    from policylint.packtest import checkout
    from policylint.packs import PackLoader

    pack = PackLoader(use_cache=False).load(str(folder / "staged.policy"))
    with checkout(case) as (root, base):
        state = mutate._Case(case, root, base, pack)
        evaluated.clear()
        (root / "docs/a/objections.md").unlink()
        changed = state.recorded.repo.changed("docs/a/objections.md")
        after = state.recorded.run_without(changed)
    assert evaluated == [("staged.reviewed.no-objection", "docs/a")]
    assert [s.earned for s in after.subjects] == ["reviewed", "draft"]


def test_a_mutant_that_only_moves_the_earned_stage_is_killed(tmp_path):
    # the case names no gate: a changed result is noticed through the whole run
    folder = _pack(tmp_path, "staged", STAGED, {"objected": STAGED_CASES["objected"]})
    fast, slow = _both(folder)
    assert fast == slow
    assert not any("no-objection: `require` → `require not`" in line for line in fast)


def test_a_case_that_does_not_hold_is_a_labelled_error(tmp_path):
    cases = {"wrong": ({"README.md": "# Hello\n"}, "results: {'.': {titled.title: fail}}\n")}
    folder = _pack(tmp_path, "titled", TITLED, cases)
    with pytest.raises(PolicylintError) as caught:
        mutate.mutate_pack(folder, discover(folder), use_cache=False)
    assert [d.headline() for d in caught.value.diagnostics] == [
        f"{folder.as_posix()}/tests/wrong/expected.yaml:1:1: error[PL308] case `titled/wrong` does not hold on the "
        "pack as written (. titled.title: expected fail, got pass), so nothing can be mutated against it: "
        "`policylint test` shows why; a case that passes there and fails here gives a different result each "
        "run (the date, the environment)"]


def test_cli_mutate_labels_a_case_that_changes_between_runs(tmp_path, monkeypatch, capsys):
    folder = _pack(tmp_path, "titled", TITLED, TITLED_CASE)
    runs = []
    real = mutate._Case.__init__

    def flaky(self, case, *args):  # the second run of the case (the mutation's) finds no heading
        real(self, case, *args)
        runs.append(case)
        for result in self.run.results:
            result.status = "fail"

    monkeypatch.setattr(mutate._Case, "__init__", flaky)
    assert main(["test", str(folder), "--mutate", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert f"{folder.as_posix()}/tests/has-title/expected.yaml:1:1: error[PL308] case `titled/has-title` does " \
           "not hold on the pack as written (. titled.title: expected pass, got fail)" in err
    assert "PL900" not in err and "Traceback" not in err


TARGETED = """\
    pack targeted "Targeted"
    gate no-target "No delta modifies an existing spec" {
      require every d in openspec_change("openspec/changes/c1").deltas: d.target == null
    }
"""
MAIN_SPEC = "# auth\n\n## Purpose\nLogging in.\n\n## Requirements\n\n### Requirement: Login\nThe system SHALL log in.\n\n" \
            "#### Scenario: ok\n- **WHEN** asked\n- **THEN** in\n"
DELTA = "## MODIFIED Requirements\n\n### Requirement: Login\nThe system SHALL log in fast.\n\n" \
        "#### Scenario: ok\n- **WHEN** asked\n- **THEN** in\n"


def test_a_load_that_can_read_the_repository_later_is_redone_after_a_deletion(tmp_path):
    # an OpenSpec document is an object that holds the repository and fills caches when asked
    # (`target` is read on first use): kept for the run after a deletion, it would still see
    # the deleted main spec
    files = {"openspec/specs/auth/spec.md": MAIN_SPEC, "openspec/changes/c1/proposal.md": "## Why\nx\n",
             "openspec/changes/c1/specs/auth/spec.md": DELTA}
    folder = _pack(tmp_path, "targeted", TARGETED,
                   {"modifies": (files, "results: {'.': {targeted.no-target: fail}}\n")})
    fast, slow = _both(folder)
    assert fast == slow
    assert "  silent    targeted/modifies: deleting openspec/specs/auth/spec.md: targeted.no-target: fail → pass" in fast


def test_what_holds_the_work_tree_is_no_plain_data(tmp_path):
    from functools import partial

    from policylint.recording import _plain
    from policylint.repo import Repo
    from policylint.values import Lazy, Record

    repo, elsewhere = Repo(tmp_path), Repo(tmp_path / "pack")

    class Doc:
        def __init__(self):
            self.repo = repo

        def target(self):
            return None

    assert _plain(Record("R", None, a=[1, "x", {"k": (2.5, None)}]), repo.real_root)
    assert _plain(Record("R", None, schema=elsewhere), repo.real_root)  # a pack's folder: no work tree
    assert not _plain(Record("R", None, target=Lazy(Doc().target)), repo.real_root)
    assert not _plain([partial(print, repo)], repo.real_root)
    assert not _plain({"doc": Doc()}, repo.real_root)
    assert not _plain(Lazy(lambda: repo.read_text("x")), repo.real_root)


LETTING = """\
    pack letting "Letting"
    gate notes "notes.md holds at most one TODO" {
      let todos = count(lines("notes.md") where it.text contains "TODO")
      require todos <= 1
    }
"""
LETTING_CASE = {"one-todo": ({"notes.md": "TODO: one\nsomething else\n"}, "results: {'.': {letting.notes: pass}}\n")}


def test_a_mutant_inside_a_gates_let_is_run(tmp_path):
    """The engine reads a gate's `let`s afresh each evaluation: a mutant recompiled in place is
    what runs, not the closure of the gate as first compiled."""
    folder = _pack(tmp_path, "letting", LETTING, LETTING_CASE)
    assert _report(folder)[0] == "letting: 3 of 3 mutants killed (100.0%); 1 deletions, 0 silent passes"
