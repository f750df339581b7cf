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


def _stage_lines(tmp_path, capsys, claims: str, *flags) -> list:
    for name, status in (("a", "two"), ("b", "seven"), ("c", None), ("d", "one")):
        (tmp_path / "items" / name).mkdir(parents=True)
        if status:
            (tmp_path / "items" / name / ".status").write_text(status + "\n")
    (tmp_path / "items" / "d" / "broken").write_text("")
    (tmp_path / "demo.policy").write_text(
        f'pack demo "Demo"\nlifecycle item in dirs("items/*") {{\n{claims}'
        '  stage one {\n    gate whole "Whole" { require not exists(item / "broken") }\n  }\n'
        '  stage two {\n    gate fine "Fine" { require true }\n  }\n}\n')
    main(["check", "--root", str(tmp_path), "--pack", str(tmp_path / "demo.policy"), "--no-cache", *flags])
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("items/")]


def test_the_stage_line_tells_an_unknown_claim_from_no_claim_and_ticks_only_what_earned(tmp_path, capsys):
    assert _stage_lines(tmp_path, capsys, '  claims text(item / ".status")\n', "--ignore", "demo.one.*") == [
        "items/a  claims two (items/a/.status:1) · earned two  ✓",
        "items/b  claims an unknown stage (items/b/.status:1) · earned two",  # its `.claims` error blocks
        "items/c  claims no stage · earned two  ✓",
        "items/d  claims one (items/d/.status:1) · has earned no stage yet",  # its failure is not shown: no tick
    ]


def test_a_lifecycle_that_reads_no_claim_shows_only_what_was_earned(tmp_path, capsys):
    assert _stage_lines(tmp_path, capsys, "") == [
        "items/a  earned two  ✓", "items/b  earned two  ✓", "items/c  earned two  ✓", "items/d  has earned no stage yet"]


def test_explain_keeps_the_gate_source_indented_and_leaves_out_upstream_references(capsys):
    assert main(["explain", "openspec.change.rename-pairs"]) == 0
    out = capsys.readouterr().out
    assert "Reproduces" not in out and "validator.js" not in out
    assert ("**Why**: a rename whose halves do not pair renames the wrong requirement or none.\n"
            "Passes: a FROM:/TO: pair.") in out
    assert out.endswith(
        '    gate rename-pairs "Every RENAMED FROM: has its TO:" {\n'
        '      require every d in c.deltas, l in d.rename_lines: l.paired\n'
        '        else "RENAMED {l.side}: \\"{l}\\" has no matching {l.missing}: line; "\n'
        '             "write each rename as a FROM: line followed by its TO: line"\n'
        '    }\n')


@pytest.mark.parametrize("doc, shown", [
    ("**Why**: x. **Reproduces**: `a.js:1`.\nPasses: y.", "**Why**: x.\nPasses: y."),
    ("**Why**: x.\n**Reproduces**: `a.js:1`, `b.js:2`. Passes: y.", "**Why**: x.\nPasses: y."),
    ("**Why**: x.\n**Reproduces**: `a.js:1`,\n`b.js:2`.\n\nCases: c.", "**Why**: x.\n\nCases: c."),
    ("**What**: w. **Reproduces**: `a.js:1`. **Why**: x.", "**What**: w. **Why**: x."),
])
def test_explain_drops_reproduces_passages(doc, shown):
    from policylint.cli import _for_users

    assert _for_users(doc) == shown


@pytest.mark.parametrize("policy, where", [
    ('gate g "G" {\n  require cfg.name == "x"\n  require cfg.size > 3\n}\n', "t.policy:5:11"),
    ('gate g "G" {\n  require cfg.name == "x"\n  require -cfg.name == 1\n}\n', "t.policy:5:11"),
    ('def big(c) = c.size * 2 > 6\ngate g "G" {\n  require cfg.name == "x"\n  require big(cfg)\n}\n', "t.policy:3:14"),
    ('gate g "G" {\n  require cfg.name == "x"\n  require cfg.name matches /x/ and cfg.size.unit == 1\n}\n', "t.policy:5:36"),
])
def test_a_run_time_error_points_at_the_expression_that_failed(tmp_path, policy, where):
    from conftest import run_policy

    run = run_policy(tmp_path, 'pack t "T"\nlet cfg = yaml("c.yaml")\n' + policy,
                     {"c.yaml": "name: x\nsize: big\nitems: {a: 1}\n"})
    [result] = run.results
    assert result.status == "error"
    assert result.message.endswith(f" (policy {tmp_path / where})"), result.message


def _missing_spec(tmp_path):
    (tmp_path / "docs" / "a").mkdir(parents=True)
    (tmp_path / "demo.policy").write_text(
        'pack demo "Demo"\nlifecycle doc in dirs("docs/*") {\n  stage one {\n'
        '    gate titled "Titled" { require text(doc / "spec.md") matches /^# / }\n'
        '    gate short "Short" warning { require count(lines(doc / "spec.md")) < 100 }\n'
        '    gate named "Named" { require doc.name != "" }\n  }\n}\n')
    return ["--root", str(tmp_path), "--pack", str(tmp_path / "demo.policy"), "--no-cache"]


def test_a_missing_file_is_one_finding_naming_the_gates_that_needed_it(tmp_path, capsys):
    assert main(["check", *_missing_spec(tmp_path)]) == 1
    assert capsys.readouterr().out.startswith(
        "docs/a  has earned no stage yet\n"
        "  FAIL   docs/a/spec.md is missing  2 gates need it\n"
        "         demo.one.titled  Titled\n"
        "         demo.one.short  Short (warning)\n\n")


def test_baselined_failures_are_a_count_unless_verbose(tmp_path, capsys):
    args = _missing_spec(tmp_path)
    assert main(["baseline", *args]) == 0
    capsys.readouterr()
    assert main(["check", *args]) == 0
    out = capsys.readouterr().out
    assert "2 known failures waived by the baseline (-v lists them)\n" in out and "WAIVED" not in out
    assert main(["check", *args, "-v"]) == 0
    assert capsys.readouterr().out.count("WAIVED") == 2
