"""`policylint test --mutate`: mutants no case notices, and deletions that let a gate pass."""
from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from policylint import mutate
from policylint.cli import main
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
