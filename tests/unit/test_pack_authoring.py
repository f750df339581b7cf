"""`policylint test` and `policylint new pack`: the pack author's loop."""
from __future__ import annotations

from pathlib import Path

from policylint.cli import main


def _new_pack(tmp_path, capsys, name="team-docs") -> Path:
    assert main(["new", "pack", name, "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    return tmp_path / name


def test_new_pack_passes_its_own_tests(tmp_path, capsys):
    folder = _new_pack(tmp_path, capsys)
    assert main(["test", str(folder), "--no-cache", "--require-coverage"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1:3] == ["  ok    titled-docs", "  ok    untitled-doc"]
    assert out.endswith("2 cases ok, 0 failing; full gate coverage\n")


def test_new_pack_refuses_bad_names_and_existing_folders(tmp_path, capsys):
    assert main(["new", "pack", "Team Docs", "--dir", str(tmp_path)]) == 2
    assert "must be lowercase letters, digits and hyphens" in capsys.readouterr().err
    _new_pack(tmp_path, capsys)
    assert main(["new", "pack", "team-docs", "--dir", str(tmp_path)]) == 2
    assert "already exists; nothing was written" in capsys.readouterr().err


def test_mismatch_names_case_subject_and_gate_and_exits_1(tmp_path, capsys):
    folder = _new_pack(tmp_path, capsys)
    expected = folder / "tests" / "untitled-doc" / "expected.yaml"
    expected.write_text(expected.read_text().replace("docs/notes.md has no", "docs/NOTES.md has no"))
    assert main(["test", str(folder), "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  untitled-doc\n        . team-docs.docs-have-titles: evidence differs\n" in out
    assert "          -docs/notes.md: docs/NOTES.md has no `# Title` heading\n" in out
    assert "          +docs/notes.md: docs/notes.md has no `# Title` heading\n" in out
    assert out.endswith("1 case ok, 1 failing; full gate coverage\n")


def test_update_rewrites_expected_files_and_counts_them(tmp_path, capsys):
    folder = _new_pack(tmp_path, capsys)
    expected = folder / "tests" / "titled-docs" / "expected.yaml"
    expected.write_text(expected.read_text().replace("docs-have-titles: pass", "docs-have-titles: fail"))
    assert main(["test", str(folder), "--no-cache", "--update"]) == 0
    out = capsys.readouterr().out
    assert "updated 1 expected.yaml file\n" in out
    assert "docs-have-titles: pass" in expected.read_text()


def test_gate_coverage_reports_gates_not_shown_both_ways(tmp_path, capsys):
    folder = _new_pack(tmp_path, capsys)
    import shutil

    shutil.rmtree(folder / "tests" / "untitled-doc")
    assert main(["test", str(folder), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "  coverage: team-docs.docs-have-titles is never shown to fail\n" in out
    assert main(["test", str(folder), "--no-cache", "--require-coverage"]) == 1


def test_builtin_packs_pass_their_tests(capsys):
    from conftest import ROOT

    packs = [str(d) for d in sorted((ROOT / "rules").iterdir()) if (d / f"{d.name}.policy").is_file()]
    assert all((Path(p) / "tests").is_dir() for p in packs), "every built-in pack has case folders"
    assert main(["test", "--require-coverage", *packs]) == 0
    assert "failing; full gate coverage" in capsys.readouterr().out


def test_builtin_packs_are_in_the_canonical_layout(capsys):
    from conftest import ROOT

    assert main(["fmt", "--check", str(ROOT / "rules")]) == 0, capsys.readouterr().out
