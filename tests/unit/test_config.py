"""Configuration, waivers, baselines, exit codes: the exact output users see."""
from __future__ import annotations

import json
import time

import pytest

from conftest import BILLION_LAUGHS, check as _check, make_repo
from policylint.cli import main

POLICY = """pack demo "Demo" version "1.0"
param min_lines = 1
lifecycle item in dirs("items/*") {
  claims text(item / ".status")
  stage one {
    gate has-ok "ok file exists" { require exists(item / "ok") else "{item}/ok is missing" }
    gate tests "tests pass" unwaivable { require not exists(item / "FAILED") else "{item} has failing tests" }
  }
  stage two { gate long "notes are long" { require count(lines(item / "notes.txt")) > min_lines else "too short" } }
}
gate readme "README exists" { require exists("README.md") }
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    root = make_repo(tmp_path / "repo", {
        "items/a/.status": "two\n", "items/a/ok": "", "items/a/notes.txt": "one line\n",
        "items/b/.status": "one\n", "items/b/FAILED": "",
        "policies/demo.policy": POLICY,
    })
    monkeypatch.chdir(root)
    return root


def _write(repo, text, name=".policylint.yaml"):
    (repo / name).write_text(text, encoding="utf-8")


def test_config_packs_params_and_severity(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\nparams: {demo: {min_lines: 0}}\n"
                 "severity: {demo.readme: warning}\n")
    code, out, _ = _check(capsys, "-f", "json")
    data = json.loads(out)
    statuses = {(r["subject"], r["gate"]): (r["status"], r["severity"]) for r in data["results"]}
    assert statuses[("items/a", "demo.two.long")] == ("pass", "error")  # param override: 1 > 0
    assert statuses[(None, "demo.readme")] == ("fail", "warning")
    assert code == 1  # items/b still fails demo.one.has-ok and tests


def test_waiver_waives_with_reason_in_every_format(repo, capsys):
    (repo / "items/b/FAILED").unlink()  # the unwaivable gate runs whatever --select says
    _write(repo, "packs: [./policies/demo.policy]\nwaivers:\n"
                 "  - gate: demo.readme\n    reason: docs live in the wiki\n    approved_by: lead\n"
                 "    expires: 2026-06-30\n")
    code, out, _ = _check(capsys, "--select", "demo.readme")
    assert code == 0
    assert "  WAIVED demo.readme  README exists\n" in out
    assert "         waived: docs live in the wiki (approved by lead, until 2026-06-30; .policylint.yaml:3)\n" in out
    _, out, _ = _check(capsys, "--select", "demo.readme", "-f", "json")
    result = json.loads(out)["results"][0]
    assert result["status"] == "waived"
    assert result["waiver"] == {"reason": "docs live in the wiki", "approved_by": "lead", "expires": "2026-06-30",
                                "source": ".policylint.yaml:3"}


def test_expired_waiver_stops_waiving_and_says_so(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\nwaivers:\n"
                 "  - {gate: demo.readme, reason: later, expires: 2025-12-31}\n")
    code, out, _ = _check(capsys, "--select", "demo.readme")
    assert code == 1
    assert "  FAIL   demo.readme  README exists\n" in out
    assert "(waiver at .policylint.yaml:3 expired on 2025-12-31)" in out
    assert "note[PL303] .policylint.yaml:3: waiver for `demo.readme` expired on 2025-12-31: it no longer waives\n" in out


def test_unwaivable_gate_refuses_its_waiver(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\nwaivers:\n"
                 "  - {gate: demo.one.tests, subject: items/b, reason: flaky}\n")
    code, out, _ = _check(capsys, "--select", "demo.one.tests")
    assert code == 1
    assert "items/b has failing tests" in out
    assert "note[PL304] .policylint.yaml:3: waiver refused: `demo.one.tests` is unwaivable (flaky)\n" in out


def test_an_unwaivable_gate_is_never_demoted_nor_left_out(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\nseverity: {demo.one.tests: warning, demo.readme: info}\n"
                 "ignore: [demo.one]\n")
    code, out, _ = _check(capsys)
    assert code == 1  # items/b still fails its tests, at severity error
    assert "  FAIL   demo.one.tests  tests pass\n" in out and "demo.one.has-ok" not in out
    assert "  FAIL   demo.readme  README exists (info)\n" in out  # an ordinary gate is demoted
    assert ("note[PL309] policies/demo.policy:7: `demo.one.tests` is unwaivable: it runs whatever --select, "
            "--ignore, `select` and `ignore` say; its severity stays error, not warning\n") in out
    code, out, _ = _check(capsys, "--select", "demo.readme")
    assert code == 1 and "demo.one.tests" in out


def test_stale_waiver_is_reported(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\nwaivers:\n"
                 "  - {gate: demo.one.has-ok, subject: items/a, reason: old}\n")
    _, out, _ = _check(capsys)
    assert "note[PL301] .policylint.yaml:3: stale waiver: `demo.one.has-ok` on `items/a` waives nothing that fails; remove it\n" in out


def test_pyproject_config_and_its_errors(repo, capsys):
    _write(repo, '[tool.policylint]\npacks = ["./policies/demo.policy"]\nfail_on = "warnings"\n', "pyproject.toml")
    code, out, err = _check(capsys)
    assert code == 2
    assert err.startswith("pyproject.toml:3:1: error[PL300] `fail_on`: `warnings` is not one of error, warning\n")


@pytest.mark.parametrize("text, expected", [
    ("packz: [x]\n", ".policylint.yaml:1:1: error[PL300] unknown key `packz`"),
    ("waivers:\n  - gate: x\n", ".policylint.yaml:2:1: error[PL300] `waivers[0]`: missing `reason`"),
    ("waivers:\n  - {gate: x, reason: r, expires: soon}\n",
     ".policylint.yaml:2:1: error[PL300] `waivers[0].expires`: `soon` is not a date"),
    ("packs: speckit\n", ".policylint.yaml:1:1: error[PL300] `packs`: expected a list, found a string"),
    ("packs: [\n", ".policylint.yaml:2:1: error[PL300] invalid YAML: "),  # then PyYAML's words, (column 1)
    ("packs: [./policies/demo.policy]\nparams: {demo: {min_line: 2}}\n",
     ".policylint.yaml:2:1: error[PL305] `params.demo.min_line`: pack `demo` has no param `min_line`"),
    ("packs: [./policies/demo.policy]\nparams: {demo: {min_lines: many}}\n",
     ".policylint.yaml:2:1: error[PL305] `params.demo.min_lines`: expected a number, found str"),
])
def test_config_errors_name_file_key_and_expectation(repo, capsys, text, expected):
    _write(repo, text)
    code, _, err = _check(capsys)
    assert code == 2
    assert err.startswith(expected), err


CONFIG_BOMB = BILLION_LAUGHS + "packs: [./policies/demo.policy]\n"


@pytest.mark.parametrize("name, text, expected", [
    ("alias-bomb", CONFIG_BOMB,
     ".policylint.yaml:6:1: error[PL300] YAML aliases expand to more than 100000 values (an alias bomb?)\n"),
    ("deep", "packs: " + "[" * 100_000 + "]" * 100_000 + "\n",
     ".policylint.yaml:1:1: error[PL300] nested deeper than 200 levels\n"),
    ("python-tag", "packs: !!python/object/apply:os.system [true]\n",
     ".policylint.yaml:1:1: error[PL300] refused: the YAML tag `!!python/object/apply:os.system` asks for a Python object\n"),
    ("two-documents", "packs: []\n---\npacks: []\n",
     ".policylint.yaml:2:1: error[PL300] expected one YAML document, found a second one here\n"),
    ("bad-character", "packs: [\x07]\n",
     ".policylint.yaml:1:9: error[PL300] invalid YAML: the character #x0007 is not allowed in YAML (column 9)\n"),
])
def test_hostile_yaml_configuration_is_refused_with_its_line(repo, capsys, name, text, expected):
    """.policylint.yaml is read by the one YAML reader, under its limits: a billion laughs took
    4 GB and ended in a traceback before; now a located PL300 at once, exit 2."""
    _write(repo, text)
    started = time.perf_counter()
    code, out, err = _check(capsys)
    assert time.perf_counter() - started < 10
    assert (code, out) == (2, "")
    assert err.startswith(expected), err
    assert "Traceback" not in err


def test_configuration_lines_through_aliases_and_merges(repo, capsys):
    _write(repo, "base: &w {gate: demo.readme}\npacks: [./policies/demo.policy]\nwaivers:\n"
                 "  - <<: *w\n    reason: later\n    expires: someday\n")
    code, _, err = _check(capsys)
    assert code == 2
    assert err.startswith(".policylint.yaml:1:1: error[PL300] unknown key `base`"), err


def test_deep_pyproject_is_a_located_error_not_a_crash(repo, capsys):
    _write(repo, '[tool.policylint]\npacks = ["./policies/demo.policy"]\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n",
           "pyproject.toml")
    code, out, err = _check(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("pyproject.toml:3:1: error[PL300] nested deeper than 200 levels\n"), err
    assert "Traceback" not in err


def test_pyproject_lines_come_from_a_scan_that_cannot_backtrack(repo, capsys):
    """The old header regex took minutes on this line (cubic backtracking, 266 s for 8 KB);
    the TOML locator reads it at once, skips what is inside strings, and still finds the
    line of every key."""
    _write(repo, '[project]\nname = "x"\ndescription = """\n[' + " " * 8_000 + 'x\n[tool.policylint]\nfail_on = 1\n"""\n'
                 '\n[tool.policylint]\npacks = ["./policies/demo.policy"]\nfail_on = "warnings"\n', "pyproject.toml")
    code, _, err = _check(capsys)
    assert code == 2
    assert err.startswith("pyproject.toml:11:1: error[PL300] `fail_on`: `warnings` is not one of error, warning\n"), err


@pytest.mark.parametrize("text, expected", [
    ('[tool.policylint]\npacks = [\n\n', "pyproject.toml:2:1: error[PL300] invalid TOML: "),  # then tomllib's words
    ('tool = 3\n[tool.policylint]\n', "pyproject.toml:2:17: error[PL300] invalid TOML: "),
    ('[tool.policylint]\npacks = ["./policies/demo.policy"]\nseverity = "x"\n',
     "pyproject.toml:3:1: error[PL300] `severity`: expected a mapping, found a string\n"),
])
def test_pyproject_errors_are_located(repo, capsys, text, expected):
    _write(repo, text, "pyproject.toml")
    code, _, err = _check(capsys)
    assert code == 2
    assert err.startswith(expected), err


def test_config_in_two_places_is_an_error(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\n")
    _write(repo, "[tool.policylint]\npacks = []\n", "pyproject.toml")
    code, _, err = _check(capsys)
    assert code == 2 and "configuration in both `.policylint.yaml` and `pyproject.toml`" in err


def test_baseline_ratchets(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\n")
    assert main(["baseline", "--no-cache"]) == 0
    assert capsys.readouterr().out == ("wrote 3 known failures to .policylint-baseline.json\n"
                                       "left out 1 failure of unwaivable gates: a baseline cannot tolerate them, fix them\n")
    code, out, _ = _check(capsys)
    assert code == 1  # the unwaivable failure still blocks
    assert "known failures waived by the baseline (-v lists them)" in out
    code, out, _ = _check(capsys, "-v")
    assert "waived: known failure, recorded in the baseline (.policylint-baseline.json)" in out
    (repo / "items/b/FAILED").unlink()
    assert _check(capsys)[0] == 0  # nothing new
    (repo / "items/c").mkdir()
    (repo / "items/c/.status").write_text("one\n")
    (repo / "README.md").write_text("hi\n")
    code, out, _ = _check(capsys)
    assert code == 1  # items/c is new
    assert "items/c/ok is missing" in out
    assert ("note[PL306] .policylint-baseline.json: fixed since the baseline: demo.readme: "
            "`exists(\"README.md\")` is false (run `policylint baseline` to ratchet)\n") in out


def test_baseline_survives_a_line_move(repo, capsys):
    (repo / "items/b/FAILED").unlink()  # the unwaivable gate runs whatever --select says
    (repo / "items/a/notes.txt").write_text("x\n")
    _write(repo, "packs: [./policies/demo.policy]\n")
    main(["baseline", "--no-cache"])
    capsys.readouterr()
    (repo / "items/a/notes.txt").write_text("\n")
    code, out, _ = _check(capsys, "--select", "demo.two.*", "-v")
    assert code == 0 and "WAIVED demo.two.long" in out


def test_exit_zero_and_fail_on_warning(repo, capsys):
    (repo / "items/b/FAILED").unlink()  # the unwaivable gate runs whatever --select says
    _write(repo, "packs: [./policies/demo.policy]\nseverity: {'demo.*': warning}\n")
    assert _check(capsys)[0] == 0
    assert _check(capsys, "--fail-on", "warning")[0] == 1
    assert _check(capsys, "--fail-on", "warning", "--exit-zero")[0] == 0


def test_files_limit_the_run_to_their_subjects(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\n")
    _, out, _ = _check(capsys, "-f", "json", "items/a/notes.txt")
    data = json.loads(out)
    assert [s["id"] for s in data["subjects"]] == ["items/a"]
    assert any(r["gate"] == "demo.readme" for r in data["results"])  # repository-wide gates always run


def test_several_formats_at_once(repo, capsys, tmp_path):
    _write(repo, "packs: [./policies/demo.policy]\n")
    target = tmp_path / "out.json"
    code, out, _ = _check(capsys, "-f", "json", "-o", str(target), "-f", "text")
    assert code == 1
    assert json.loads(target.read_text())["summary"]["fail"] == 4
    assert "FAIL   demo.readme" in out


def test_base_limits_the_run_to_subjects_changed_since_the_merge_base(repo, capsys):
    import os
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    _write(repo, "packs: [./policies/demo.policy]\n")
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "start")
    git("checkout", "-q", "-b", "feature")
    (repo / "items/b/notes.txt").write_text("new\n")
    git("add", "-A")
    git("commit", "-q", "-m", "touch b")
    _, out, _ = _check(capsys, "--base", "main", "-f", "json")
    data = json.loads(out)
    assert [s["id"] for s in data["subjects"]] == ["items/b"]
    assert any(r["gate"] == "demo.readme" for r in data["results"])
    code, _, err = _check(capsys, "--base", "nope")
    assert code == 2 and err.startswith("policylint: error: --base nope: ")


# -- the root, found from any subfolder ----------------------------------------------------------
def test_yml_is_read_like_yaml(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\nseverity: {demo.readme: warning}\n", ".policylint.yml")
    code, out, _ = _check(capsys)
    assert code == 1 and "  FAIL   demo.readme  README exists (warning)\n" in out


def test_yaml_and_yml_together_is_an_error(repo, capsys):
    _write(repo, "packs: [./policies/demo.policy]\n")
    _write(repo, "packs: [./policies/demo.policy]\n", ".policylint.yml")
    code, _, err = _check(capsys)
    assert code == 2
    assert err.startswith("error[PL300] configuration in both `.policylint.yaml` and `.policylint.yml`\n"
                          "help: keep one of them\n"), err


@pytest.mark.parametrize("marker, text", [
    (".policylint.yaml", "packs: [./policies/demo.policy]\n"),
    (".policylint.yml", "packs: [./policies/demo.policy]\n"),
    ("pyproject.toml", '[tool.policylint]\npacks = ["./policies/demo.policy"]\n'),
])
def test_a_run_from_a_subfolder_finds_the_root_by_its_configuration(repo, capsys, monkeypatch, marker, text):
    _write(repo, text, marker)
    (repo / "items/a/deep").mkdir()
    monkeypatch.chdir(repo / "items/a/deep")
    code, out, _ = _check(capsys, "-f", "json")
    data = json.loads(out)
    assert code == 1 and data["root"] == "../../.."
    assert {s["id"] for s in data["subjects"]} == {"items/a", "items/b"}


def test_a_pyproject_without_the_tool_table_is_passed_over(repo, capsys, monkeypatch):
    _write(repo, "packs: [./policies/demo.policy]\n")
    _write(repo, "[project]\nname = 'sub'\n", "items/pyproject.toml")
    monkeypatch.chdir(repo / "items")
    code, out, _ = _check(capsys, "-f", "json")
    assert code == 1 and json.loads(out)["root"] == ".."


def test_the_git_top_level_is_the_root_without_configuration(tmp_path, capsys, monkeypatch):
    from policylint.config import find_root

    make_repo(tmp_path / "project", {".git/HEAD": "ref: refs/heads/main\n", "specs/001-a/spec.md": "# A\n"})
    (tmp_path / "project/specs/001-a/notes").mkdir()
    assert find_root(tmp_path / "project/specs/001-a/notes") == tmp_path / "project"
    (tmp_path / "project/sub").mkdir()
    (tmp_path / "project/sub/.git").write_text("gitdir: ../.git/modules/sub\n", encoding="utf-8")  # a submodule
    assert find_root(tmp_path / "project/sub") == tmp_path / "project/sub"
    assert find_root(tmp_path / "elsewhere") == tmp_path / "elsewhere"  # nothing above: where it was run


def test_root_given_wins_and_files_are_relative_to_the_current_folder(repo, capsys, monkeypatch):
    _write(repo, "packs: [./policies/demo.policy]\n")
    monkeypatch.chdir(repo / "items")
    code, out, _ = _check(capsys, "-f", "json", "a/notes.txt")  # as pre-commit passes it, from here
    assert {s["id"] for s in json.loads(out)["subjects"]} == {"items/a"}
    monkeypatch.chdir(repo.parent)
    code, out, _ = _check(capsys, "--root", "repo", "-f", "json", "--config", "repo/.policylint.yaml",
                          "repo/items/b/FAILED")
    assert {s["id"] for s in json.loads(out)["subjects"]} == {"items/b"}
