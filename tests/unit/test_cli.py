"""The command line: exit codes, formats, lazy imports, the cache."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, make_repo
from policylint.cli import COMMANDS, build_parser, main
from policylint.reporters import FORMATS

POLICY = """pack demo "Demo" version "1.0"
lifecycle item in dirs("items/*") {
  claims text(item / ".status")
  stage one { gate exists-ok "ok file exists" { require exists(item / "ok") else "{item}/ok is missing" } }
  stage two { gate lines "notes have no TODO" { require no l in lines(item / "notes.txt"): l.text matches /TODO/ else "todo: {l.text}" } }
}
gate readme "README exists" warning { require exists("README.md") }
"""


def _setup(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "items/a/.status": "two\n", "items/a/ok": "", "items/a/notes.txt": "fine\nTODO: finish\n",
        "items/b/.status": "one\n", "items/b/ok": "",
    })
    policy = tmp_path / "demo.policy"
    policy.write_text(POLICY, encoding="utf-8")
    return repo, policy


def test_check_text_exit_1_and_evidence(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    code = main(["check", "--root", str(repo), "--pack", str(policy), "--no-cache"])
    out = capsys.readouterr().out
    assert code == 1
    assert "items/a  claims two (items/a/.status:1) · earned one" in out
    assert "  FAIL   demo.two.lines  notes have no TODO" in out
    assert "         items/a/notes.txt:2  todo: TODO: finish" in out
    assert "  FAIL   demo.readme  README exists (warning)" in out
    assert out.rstrip().endswith("(2 pass, 2 fail, 0 error, 0 waived, 1 skipped · 2 subjects)")


def test_check_json_is_deterministic_and_versioned(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    args = ["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "-f", "json"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first
    data = json.loads(first)
    assert data["policylint"] and data["schema"] == 1 and data["root"] == str(repo)
    assert data["subjects"][0] == {"id": "items/a", "lifecycle": "demo.item", "claimed": "two", "earned": "one",
                                   "claimed_at": "items/a/.status:1", "next": "two"}
    lines = next(r for r in data["results"] if r["gate"] == "demo.two.lines" and r["subject"] == "items/a")
    assert lines["evidence"] == [{"path": "items/a/notes.txt", "line": 2, "message": "todo: TODO: finish"}]
    readme = data["results"][0]
    assert readme["gate"] == "demo.readme" and readme["subject"] is None and readme["stage"] is None
    assert data["summary"] == {"pass": 2, "fail": 2, "error": 0, "waived": 0, "skipped": 1}


def test_select_and_ignore(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    main(["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "-f", "json", "--select", "demo.two.*"])
    gates = {r["gate"] for r in json.loads(capsys.readouterr().out)["results"]}
    assert gates == {"demo.two.lines"}
    code = main(["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "--ignore", "demo.two"])
    assert code == 0


def test_status_lists_what_is_lacking(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    assert main(["status", "--root", str(repo), "--pack", str(policy), "--no-cache"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["subject", "claimed", "earned", "next"]
    assert out[1].split() == ["items/a", "two", "one", "two:", "needs", "lines"]
    assert out[2].split() == ["demo.two.lines", "items/a/notes.txt:2", "todo:", "TODO:", "finish"]
    assert out[3].split() == ["items/b", "one", "one", "two:", "needs", "lines"]
    assert out[4].split() == ["demo.two.lines", "items/b/notes.txt", "file", "not", "found"]


def test_unknown_format_exits_2_and_lists_formats(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    assert main(["check", "--root", str(repo), "--pack", str(policy), "-f", "yaml"]) == 2
    assert capsys.readouterr().err == f"policylint: error: unknown format `yaml`; known formats: {', '.join(sorted(FORMATS))}\n"


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_reporter_format_is_accepted_by_f(tmp_path, capsys, name):
    repo, policy = _setup(tmp_path)
    assert main(["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "-f", name]) == 1
    assert capsys.readouterr().out


def test_check_help_lists_the_reporters_formats(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option: nothing wraps
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert f"output format (repeatable; default text): {', '.join(FORMATS)}\n" in capsys.readouterr().out


def test_help_lists_the_command_table_in_order(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")
    listed = re.findall(r"^    (\S+) +(.+)$", build_parser().format_help(), re.M)
    assert listed == [(name, help_text) for name, (help_text, _, _) in COMMANDS.items()]


def test_missing_root_exits_2(tmp_path, capsys):
    assert main(["check", "--root", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_no_pack_applies_says_so_and_passes(tmp_path, capsys):
    assert main(["check", "--root", str(tmp_path)]) == 0  # a new repository, no specs yet
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"policylint: nothing to check: no built-in pack applies to `{tmp_path}`: ")
    assert "speckit (needs specs/*/spec.md)" in captured.err
    assert captured.err.endswith("name one with --pack NAME|PATH\n") and captured.err.count("\n") == 1
    assert main(["check", "--root", str(tmp_path), "-f", "json"]) == 0  # machine formats stay valid
    report = json.loads(capsys.readouterr().out)
    assert report["packs"] == [] and report["results"] == [] and report["summary"]["fail"] == 0


def test_a_pack_asked_for_stays_an_error(tmp_path, capsys):
    assert main(["check", "--root", str(tmp_path), "--pack", "speckti"]) == 2
    assert "error[PL208] unknown pack `speckti`" in capsys.readouterr().err


def test_quiet_shows_only_failures_and_the_summary(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    (repo / "README.md").write_text("x\n", encoding="utf-8")
    assert main(["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "-q"]) == 1
    assert capsys.readouterr().out == (
        "items/a  claims two (items/a/.status:1) · earned one\n"
        "  FAIL   demo.two.lines  notes have no TODO\n"
        "         items/a/notes.txt:2  todo: TODO: finish\n"
        "         require no l in lines(item / \"notes.txt\"): l.text matches /TODO/  → 1 of 2 elements match "
        "`l.text matches /TODO/`\n"
        "\n"
        "✗ 1 blocking  (3 pass, 1 fail, 0 error, 0 waived, 1 skipped · 2 subjects)\n")


def test_statistics_counts_failures_per_gate(tmp_path, capsys):
    repo, policy = _setup(tmp_path)
    (repo / "items/b/notes.txt").write_text("TODO\n", encoding="utf-8")
    (repo / "items/b/.status").write_text("two\n", encoding="utf-8")
    assert main(["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "--statistics"]) == 1
    assert capsys.readouterr().out == (
        "2  demo.two.lines\n"
        "1  demo.readme (warning)\n"
        "\n"
        "✗ 2 blocking, 1 warning  (2 pass, 3 fail, 0 error, 0 waived, 0 skipped · 2 subjects)\n")


def test_color_always_never_and_auto(tmp_path, capsys, monkeypatch):
    repo, policy = _setup(tmp_path)
    args = ["check", "--root", str(repo), "--pack", str(policy), "--no-cache", "-q"]
    monkeypatch.setenv("NO_COLOR", "1")
    main([*args, "--color", "always"])
    assert "\x1b[1;31m  FAIL   \x1b[0m" in capsys.readouterr().out  # asked for: NO_COLOR does not stop it
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    main([*args, "--color", "never"])
    assert "\x1b[" not in capsys.readouterr().out
    monkeypatch.delenv("FORCE_COLOR")
    main([*args, "--color", "auto"])  # captured, not a terminal: plain
    assert "\x1b[" not in capsys.readouterr().out


def test_unknown_pack_exits_2_with_suggestion(capsys):
    assert main(["check", "--pack", "speckti"]) == 2
    err = capsys.readouterr().err
    assert "error[PL208] unknown pack `speckti`" in err and "did you mean `speckit`?" in err


def test_inspect_prints_loader_view(tmp_path, capsys):
    make_repo(tmp_path, {"a.txt": "one\ntwo\n"})
    assert main(["inspect", "lines", "a.txt", "--root", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[1] == {"@": "a.txt:2", "text": "two", "number": 2, "in_code": False, "in_comment": False}


def test_inspect_missing_file_says_so(tmp_path, capsys):
    assert main(["inspect", "text", "nope.md", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "policylint: error[PL401] nope.md: file not found\n"


def test_inspect_a_loader_that_reads_a_file_needs_its_path(tmp_path, capsys):
    assert main(["inspect", "tasks", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("policylint: error: `tasks` reads a file: give its PATH, "
                                       "e.g. `policylint inspect tasks PATH`\n")


def test_explain_and_list_builtin(capsys):
    assert main(["explain", "speckit.implementing.all-done"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("speckit.implementing.all-done: Every task is checked\n")
    assert "require every t in tasks where not t.cancelled: t.done" in out
    assert main(["list"]) == 0
    assert "lifecycle spec: draft → clarified → planned → tasked → checklist-validated → implementing → testing" \
           " → review → merged → released → closed" in capsys.readouterr().out


def test_explain_unknown_gate_suggests(capsys):
    assert main(["explain", "speckit.implementing.all-dne"]) == 2
    assert "did you mean `speckit.implementing.all-done`?" in capsys.readouterr().err


def _python(code: str, env=None) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, check=True).stdout


def test_cli_import_is_lazy():
    loaded = _python("import sys, policylint.cli; print(sorted(m for m in ('lark', 'yaml', 'jsonschema', 'rich', 're2') if m in sys.modules))")
    assert loaded.strip() == "[]"


def test_warm_run_does_not_import_lark(tmp_path):
    repo, policy = _setup(tmp_path)
    env = {"POLICYLINT_CACHE_DIR": str(tmp_path / "cache")}
    code = ("import sys, io, contextlib; from policylint.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main(['check', '--root', {str(repo)!r}, '--pack', {str(policy)!r}])\n"
            "print('lark' in sys.modules)")
    assert _python(code, env).strip() == "True"  # cold: parses
    assert _python(code, env).strip() == "False"  # warm: from the cache


def test_json_report_matches_its_published_schema(capsys):
    import jsonschema

    schema = json.loads((ROOT / "policylint" / "schemas" / "report-1.schema.json").read_text(encoding="utf-8"))
    main(["check", "--root", str(ROOT / "fixtures" / "speckit-demo"), "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, schema)
    assert report["summary"]["fail"] > 0 and report["subjects"]


def test_validate_takes_pack_folders_and_says_what_is_missing(tmp_path, capsys):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "team.policy").write_text('pack team "Team" version "1.0.0"\ngate g "G" { require true }\n',
                                                   encoding="utf-8")
    (tmp_path / "empty").mkdir()
    assert main(["validate", str(tmp_path / "team"), "--no-cache"]) == 0
    assert capsys.readouterr().out == "1 policy OK\n"
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"policylint: error: `{tmp_path / 'nowhere'}` is neither a file nor a folder\n"
    assert main(["validate", str(tmp_path / "empty")]) == 2
    assert capsys.readouterr().err == f"policylint: error: no *.policy file in `{tmp_path / 'empty'}`\n"
