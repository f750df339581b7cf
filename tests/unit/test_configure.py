"""Configuration applied after the engine: what is reported, never what is true.

Scoped runs judge only what they evaluated; selection never changes an earned stage; every
pattern names a real gate; every id a report shows is one `list` shows."""
from __future__ import annotations

import json

import pytest

from conftest import check as _check, make_repo
from policylint.cli import main

POLICY = """pack demo "Demo" version "1.0"
lifecycle item in dirs("items/*") {
  claims text(item / ".status")
  stage one {
    gate has-ok "ok file exists" { require exists(item / "ok") else "{item}/ok is missing" }
  }
  stage two { gate notes "notes exist" { require exists(item / "notes.txt") else "no notes" } }
}
gate readme "README exists" warning { require exists("README.md") }
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    root = make_repo(tmp_path / "repo", {
        "items/a/.status": "two\n", "items/a/ok": "", "items/a/notes.txt": "x\n",
        "items/b/.status": "two\n", "items/b/notes.txt": "x\n",
        "items/c/.status": "shipped\n", "items/c/ok": "", "items/c/notes.txt": "x\n",
        "policies/demo.policy": POLICY,
    })
    monkeypatch.chdir(root)
    return root


def _write(repo, text):
    (repo / ".policylint.yaml").write_text("packs: [./policies/demo.policy]\n" + text, encoding="utf-8")


# -- 1. scoped runs tell no lies -----------------------------------------------------------------
WAIVERS = ("waivers:\n"
           "  - {gate: demo.one.has-ok, subject: items/b, reason: ok comes later}\n"
           "  - {gate: demo.one.has-ok, subject: items/a, reason: old}\n")


def test_a_full_run_calls_an_unused_waiver_stale(repo, capsys):
    _write(repo, WAIVERS)
    code, out, _ = _check(capsys)
    assert "note[PL301] .policylint.yaml:4: stale waiver: `demo.one.has-ok` on `items/a` waives nothing " \
           "that fails; remove it\n" in out
    assert "PL301] .policylint.yaml:3" not in out


def test_a_scoped_run_does_not_judge_waivers_of_subjects_it_left_out(repo, capsys):
    _write(repo, WAIVERS)
    code, out, _ = _check(capsys, "items/c/.status")  # as pre-commit passes a changed file
    assert "PL301" not in out, out
    code, out, _ = _check(capsys, "items/a/notes.txt")  # items/a was evaluated: its waiver is stale
    assert "note[PL301] .policylint.yaml:4: stale waiver: `demo.one.has-ok` on `items/a` waives nothing " \
           "that fails; remove it\n" in out
    assert "PL301] .policylint.yaml:3" not in out


def test_a_scoped_run_does_not_judge_a_waiver_for_every_subject(repo, capsys):
    _write(repo, "waivers:\n  - {gate: demo.two.notes, reason: notes are optional}\n")
    assert "PL301" in _check(capsys)[1]  # no subject lacks notes: stale
    assert "PL301" not in _check(capsys, "items/a/ok")[1]  # items/b and items/c were not looked at


def test_a_scoped_run_does_not_call_baseline_entries_of_other_subjects_fixed(repo, capsys):
    _write(repo, "")
    assert main(["baseline", "--no-cache"]) == 0
    capsys.readouterr()
    code, out, _ = _check(capsys, "items/a/ok")
    assert code == 0 and "PL306" not in out, out
    (repo / "items/b/ok").write_text("")
    code, out, _ = _check(capsys, "items/b/ok")
    assert ("note[PL306] .policylint-baseline.json: fixed since the baseline: items/b demo.one.has-ok: "
            "items/b/ok is missing (run `policylint baseline` to ratchet)\n") in out


def test_baseline_entries_of_a_pack_not_in_the_run_are_not_fixed(repo, capsys):
    _write(repo, "")
    main(["baseline", "--no-cache"])
    capsys.readouterr()
    other = repo / "policies/other.policy"
    other.write_text('pack other "Other"\ngate g "g" { require true }\n', encoding="utf-8")
    code, out, _ = _check(capsys, "--pack", "./policies/other.policy")
    assert (code, "PL306" in out) == (0, False), out


# -- 2. selection never changes verdicts --------------------------------------------------------
def test_select_does_not_change_the_earned_stage(repo, capsys):
    _write(repo, "")
    for selected in ([], ["--select", "demo.two.*"], ["--ignore", "demo.one"]):
        _, out, _ = _check(capsys, "-f", "json", *selected)
        earned = {s["id"]: s["earned"] for s in json.loads(out)["subjects"]}
        assert earned == {"items/a": "two", "items/b": None, "items/c": "two"}, selected
    _, out, _ = _check(capsys, "--select", "demo.two.*")
    assert "items/b  claims two (items/b/.status:1) · has earned no stage yet\n" in out


@pytest.mark.parametrize("config, flags, expected", [
    ("", ["--select", "demo.tow.*"],
     "error[PL312] `--select` `demo.tow.*` matches no gate of the packs in this run (demo)\n"
     "help: closest gate ids: `demo.two.*`"),
    ("", ["--ignore", "demo.one.has-okk"],
     "error[PL312] `--ignore` `demo.one.has-okk` matches no gate of the packs in this run (demo)\n"
     "help: closest gate ids: `demo.one.has-ok`"),
    ("select: [demo.one, demo.raedme]\n", [],
     ".policylint.yaml:2:1: error[PL312] `select[1]` `demo.raedme` matches no gate of the packs in this run (demo)\n"),
    ("ignore: [nothing.like.it]\n", [],
     ".policylint.yaml:2:1: error[PL312] `ignore[0]` `nothing.like.it` matches no gate of the packs in this run (demo)\n"),
    ("severity:\n  demo.one.has_ok: warning\n", [],
     ".policylint.yaml:3:1: error[PL312] `severity` key `demo.one.has_ok` matches no gate of the packs in this run (demo)\n"),
    ("waivers:\n  - {gate: demo.readme.x, reason: r}\n", [],
     ".policylint.yaml:3:1: error[PL312] `waivers[0].gate` `demo.readme.x` matches no gate of the packs in this run (demo)\n"),
])
def test_a_pattern_that_matches_no_gate_is_refused(repo, capsys, config, flags, expected):
    _write(repo, config)
    code, out, err = _check(capsys, *flags)
    assert (code, out) == (2, "")
    assert expected in err, err
    where = "the command line" if flags else "the configuration"
    assert err.endswith(f"policylint: 1 error in {where}; nothing was checked\n"), err


def test_a_dotted_prefix_and_a_glob_that_match_are_accepted(repo, capsys):
    _write(repo, "select: [demo.one, 'demo.*']\nseverity: {demo.two: info}\n")
    assert _check(capsys)[0] == 1


def test_fail_on_warning_summary_agrees_with_the_exit_code(repo, capsys):
    (repo / "items/b/ok").write_text("")
    (repo / "items/c/.status").write_text("one\n")
    _write(repo, "")
    code, out, _ = _check(capsys)
    assert code == 0 and out.splitlines()[-1].startswith("✓ no blocking failures, 1 warning  (")
    code, out, _ = _check(capsys, "--fail-on", "warning")
    assert code == 1
    assert out.splitlines()[-1].startswith("✗ 1 blocking (warnings block: fail_on is warning)  ("), out


# -- 3. every reported id is a real gate --------------------------------------------------------
def test_the_claims_gate_is_listed_and_explained(repo, capsys):
    assert main(["list", "--pack", "./policies/demo.policy", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "    demo.item.claims  The claimed stage is one of the lifecycle's stages\n" in out
    assert "    demo.item.subjects  The subjects of lifecycle `item` can be listed\n" in out
    assert main(["explain", "demo.item.claims", "--pack", "./policies/demo.policy", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo.item.claims: The claimed stage is one of the lifecycle's stages\n"
                          "  pack demo (policies/demo.policy:3) · every subject of lifecycle `item` · severity error\n"), out
    assert "names no stage of `item` (one, two, or an alias of one)" in out
    assert out.endswith("\n    claims text(item / \".status\")\n"), out


def test_every_reported_id_is_one_list_shows(repo, capsys):
    _write(repo, "")
    _, out, _ = _check(capsys, "-f", "json")
    reported = {r["gate"] for r in json.loads(out)["results"]}
    assert "demo.item.claims" in reported
    main(["list", "--pack", "./policies/demo.policy", "--no-cache"])
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("    ")}
    assert reported <= listed, reported - listed


@pytest.mark.parametrize("config, flags, status, severity", [
    ("waivers:\n  - {gate: demo.item.claims, subject: items/c, reason: legacy status file}\n", [], "waived", "error"),
    ("severity: {demo.item.claims: warning}\n", [], "error", "warning"),
    ("", ["--ignore", "demo.item.claims"], None, None),
    ("ignore: [demo.item]\n", [], None, None),
])
def test_configuration_reaches_the_claims_gate(repo, capsys, config, flags, status, severity):
    _write(repo, config)
    _, out, _ = _check(capsys, "-f", "json", *flags)
    claims = [r for r in json.loads(out)["results"] if r["gate"] == "demo.item.claims"]
    if status is None:
        assert claims == []
    else:
        assert [(r["subject"], r["status"], r["severity"]) for r in claims] == [("items/c", status, severity)]


# -- messages: the closing line names what is wrong ---------------------------------------------
def test_closing_lines_name_the_configuration_the_baseline_and_the_packs(repo, capsys):
    _write(repo, "fail_on: sometimes\n")
    code, _, err = _check(capsys)
    assert code == 2 and err.endswith("policylint: 1 error in the configuration; nothing was checked\n"), err
    _write(repo, "")
    (repo / ".policylint-baseline.json").write_text("{}", encoding="utf-8")
    code, _, err = _check(capsys)
    assert code == 2 and err.endswith("policylint: 1 error in the baseline; nothing was checked\n"), err
    (repo / ".policylint-baseline.json").unlink()
    code, _, err = _check(capsys, "--pack", "nosuchpack")
    assert code == 2 and err.startswith("error[PL208] unknown pack `nosuchpack`\n"), err
    assert err.endswith("policylint: 1 error in the packs asked for; nothing was checked\n"), err


WARN_POLICY = """pack warn "Warn" version "1.0"
lifecycle item in dirs("items/*") {
  claims text(item / ".status")
  stage one { gate tidy "items are tidy" warning { require exists(item / "TIDY") else "{item} is untidy" } }
  stage two { gate done "items are done" { require true } }
}
"""


def test_fail_on_warning_takes_the_tick_and_the_pack_verdict_too(repo, capsys):
    """Under `fail_on: warning` no ✓ and no pack header says a failing warning does not block."""
    (repo / "policies/warn.policy").write_text(WARN_POLICY, encoding="utf-8")
    (repo / "items/b/ok").write_text("")
    (repo / "items/c/.status").write_text("two\n")
    (repo / "README.md").write_text("hi\n")
    for item in ("a", "b", "c"):
        (repo / f"items/{item}/TIDY").write_text("")
    (repo / "items/a/TIDY").unlink()
    (repo / ".policylint.yaml").write_text("packs: [./policies/demo.policy, ./policies/warn.policy]\n",
                                           encoding="utf-8")
    code, out, _ = _check(capsys)
    assert code == 0
    assert "━━ warn ✓ no blocking failures, 1 warning" in out
    assert "items/a  claims two (items/a/.status:1) · earned two  ✓" in out
    code, out, _ = _check(capsys, "--fail-on", "warning")
    assert code == 1
    assert "━━ warn ✗ 1 blocking" in out
    assert "items/a  claims two (items/a/.status:1) · earned two\n" in out
