"""Case folders with git history (`git:` in expected.yaml): replayed, stable, and refused clearly."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from policylint.cli import main
from policylint.errors import PolicylintError
from policylint.packtest import Case, discover, evaluate_case, run_case

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

POLICY = textwrap.dedent('''\
    pack branchy "Branch facts" version "1.0.0"
    gate branch-name "Branches are named feature/…" {
      require git.branch matches /^(main|feature\\/.+)$/ else "branch `{git.branch}` is not feature/…"
    }
    gate typed-commits "Every commit has a type" {
      require every c in git.commits: c.subject matches /^\\w+: / else "{c.short}: `{c.subject}` has no type"
    }
    gate no-todo "No TODO added" {
      require every f in git.changed_files, l in f.added_lines: not (l.text matches /TODO/)
        else "TODO added: {l.text}"
    }
    gate tagged "A release tag exists" {
      require some t in git.tags: t.name matches /^v\\d+\\.\\d+\\.\\d+$/ else "no vX.Y.Z tag"
    }
    gate merged-away "No unmerged branch besides the current one" {
      require every b in git.branches where not b.current: b.merged else "{b.name} is not merged"
    }
''')


def make_pack(tmp_path: Path, expected: str) -> Case:
    pack = tmp_path / "branchy"
    (pack / "tests" / "one" / "repo").mkdir(parents=True)
    (pack / "branchy.policy").write_text(POLICY, encoding="utf-8")
    (pack / "tests" / "one" / "repo" / "README.md").write_text("# demo\n", encoding="utf-8")
    (pack / "tests" / "one" / "expected.yaml").write_text(expected, encoding="utf-8")
    return discover(pack)[0]


HISTORY = textwrap.dedent('''\
    git:
      base: main
      history:
        - tag: v1.0.0
        - branch: old-work
        - commit: "wip"
        - remote-branch: old-work
        - branch: main
        - branch: feature/login
        - commit: "feat: add the login form"
          files:
            src/login.py: |
              def login():
                  pass  # TODO: rate limit
        - commit: "fix: drop the readme"
          files: {README.md: null}
          author: "Ann Example <ann@example.com>"
''')


def test_history_is_replayed_and_gates_see_it(tmp_path):
    case = make_pack(tmp_path, HISTORY + textwrap.dedent('''\
    results:
      .:
        branchy.branch-name: pass
        branchy.typed-commits: pass
        branchy.tagged: pass
        branchy.no-todo:
          status: fail
          evidence: ["src/login.py:2: TODO added:     pass  # TODO: rate limit"]
        branchy.merged-away:
          status: fail
          evidence: ["branch old-work: old-work is not merged", "branch origin/old-work: origin/old-work is not merged"]
    '''))
    outcome = run_case(case, use_cache=False)
    assert outcome.ok, outcome.mismatches


def test_the_same_history_gives_the_same_shas(tmp_path):
    case = make_pack(tmp_path, HISTORY.replace("fix: drop", "drop") + "results: {}\n")
    first, second = evaluate_case(case, use_cache=False), evaluate_case(case, use_cache=False)
    lines = [[e.path + e.message for r in run.results for e in r.evidence] for run in (first, second)]
    assert lines[0] == lines[1] and any(line.startswith("commit ") for line in lines[0])


def test_params_override_the_pack_defaults(tmp_path):
    pack = tmp_path / "tuned"
    (pack / "tests" / "low" / "repo").mkdir(parents=True)
    (pack / "tuned.policy").write_text(
        'pack tuned "Tuned" version "1.0.0"\nparam limit = 1\n'
        'gate few "Few files" { require count(glob("*.md")) <= limit else "too many" }\n', encoding="utf-8")
    for name in ("a.md", "b.md"):
        (pack / "tests" / "low" / "repo" / name).write_text("x\n", encoding="utf-8")
    (pack / "tests" / "low" / "expected.yaml").write_text(
        "params: {tuned: {limit: 2}}\nresults: {.: {tuned.few: pass}}\n", encoding="utf-8")
    assert run_case(discover(pack)[0], use_cache=False).ok


@pytest.mark.parametrize("git_spec, message", [
    ("git: [1]", "`git` must be a mapping with `history` (and optionally `base`, `initial`)"),
    ("git: {histroy: []}", "`git` has unknown key `histroy`: expected base, history or initial"),
    ("git: {history: {branch: x}}", "`git.history` must be a list of steps"),
    ("git: {history: [{push: x}]}",
     "`git.history` step 1: expected one of branch, commit, tag, merge, delete-branch, remote-branch"),
    ("git: {history: [{commit: x, file: {}}]}",
     "`git.history` step 1 (commit): unknown key `file`; expected author, commit, files"),
    ("git: {history: [{commit: x, files: [a]}]}",
     "`git.history` step 1: `files` must map paths to their content (null deletes)"),
    ("git: {history: [{commit: x, files: {../up.txt: y}}]}",
     "`git.history` step 1: `../up.txt` is outside the case's repository"),
    ("git: {history: [{merge: nowhere}]}", "`git merge -q --no-ff --no-edit -m Merge branch 'nowhere' nowhere` "
                                           "failed: merge: nowhere - not something we can merge"),
])
def test_a_bad_history_is_an_error_naming_expected_yaml(tmp_path, git_spec, message):
    case = make_pack(tmp_path, git_spec + "\nresults: {}\n")
    with pytest.raises(PolicylintError) as caught:
        evaluate_case(case, use_cache=False)
    diag = caught.value.diagnostics[0]
    assert (diag.code, diag.message, diag.span.path) == ("PL308", message, str(case.folder / "expected.yaml"))


def test_policylint_test_runs_git_cases_and_counts_their_coverage(tmp_path, capsys, monkeypatch):
    case = make_pack(tmp_path, HISTORY + "results: {.: {branchy.tagged: pass}}\n")
    monkeypatch.chdir(case.pack_dir)
    code = main(["test", ".", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 0
    assert "  ok    one" in out
    assert "coverage: branchy.tagged is never shown to fail" in out
    assert "coverage: branchy.no-todo is never shown to pass" in out


def test_subjects_are_named_by_lifecycle_when_two_walk_them(tmp_path):
    pack = tmp_path / "twice"
    (pack / "tests" / "c" / "repo" / "items" / "a").mkdir(parents=True)
    (pack / "twice.policy").write_text(
        'pack twice "Twice" version "1.0.0"\n'
        'lifecycle first in dirs("items/*") {\n  stage one { gate g "G" { require true } }\n}\n'
        'lifecycle second in dirs("items/*") {\n  stage two { gate h "H" { require false } }\n}\n', encoding="utf-8")
    (pack / "tests" / "c" / "expected.yaml").write_text(
        "subjects:\n  twice.first items/a: {earned: one}\n  twice.second items/a: {earned: null}\n", encoding="utf-8")
    outcome = run_case(discover(pack)[0], use_cache=False)
    assert outcome.ok, outcome.mismatches
