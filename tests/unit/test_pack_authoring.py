"""`policylint test` and `policylint new pack`: the pack author's loop."""
from __future__ import annotations

from pathlib import Path

import pytest

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


def test_every_builtin_pack_has_case_folders():
    """`policylint test --require-coverage rules/*` passing is tests/test_packs.py: each case through
    the same packtest.run_case, each gate `test` counts shown passing and failing; what that file
    skips, a pack without cases, is refused here."""
    from conftest import ROOT
    from policylint.packtest import discover

    packs = [d for d in sorted((ROOT / "rules").iterdir()) if (d / f"{d.name}.policy").is_file()]
    assert packs and all(discover(p) for p in packs), "every built-in pack has case folders"


def test_builtin_packs_are_in_the_canonical_layout(capsys):
    from conftest import ROOT

    assert main(["fmt", "--check", str(ROOT / "rules")]) == 0, capsys.readouterr().out


BAD_EXPECTED = {
    "syntax": (b"results: [\n  a: b\n", "3:1: error[PL308] invalid YAML: expected ',' or ']', but got '<stream end>' "
                                       "(column 1)"),
    "deep": (b"results: " + b"[" * 300 + b"]" * 300 + b"\n", "1:1: error[PL308] nested deeper than 200 levels"),
    "alias-bomb": (b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                   b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e]\n",
                   "5:1: error[PL308] YAML aliases expand to more than 100000 values (an alias bomb?)"),
    "not-utf8": (b"results:\n  x: \xff\n", "2:1: error[PL308] not valid UTF-8: byte 0xff at column 6 (invalid start byte)"),
    "python-tag": (b"results: !!python/object/apply:os.system [echo pwned]\n",
                   "1:1: error[PL308] refused: the YAML tag `!!python/object/apply:os.system` asks for a Python object"),
}


@pytest.mark.parametrize("name", sorted(BAD_EXPECTED))
def test_a_cases_expected_yaml_is_read_by_the_one_yaml_reader(name, tmp_path, capsys):
    """Its limits and messages, not PyYAML's: a case folder is a stranger's data too."""
    folder = _new_pack(tmp_path, capsys)
    expected = folder / "tests" / "titled-docs" / "expected.yaml"
    content, message = BAD_EXPECTED[name]
    expected.write_bytes(content)
    assert main(["test", str(folder), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{expected}:{message}\n")
    assert err.endswith("policylint: 1 error in a pack's test case; nothing was checked\n")
