"""`policylint fmt`: the canonical layout (policylint/fmt.py documents its rules).

Cases are black-style pairs in tests/cases/fmt/: `<case>.policy` is what an author wrote,
`<case>.expected.policy` its canonical layout. Each pair is checked both ways: the input
formats to the expected text, and the expected text formats to itself.

Beyond the cases, formatting must be idempotent and keep the AST (spans aside) on every
built-in pack and on every policy snippet of tests/cases/language/ and tests/cases/errors/
that parses; a formatted language case must give exactly the results of the original; and
every built-in pack is already in the canonical layout, so the results of its formatted copy
are the ones tests/test_packs.py checks.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from caserunner import policy_cases, policy_params
from policylint.errors import PolicylintError
from policylint.fmt import format_source, shape
from policylint.syntax.parse import parse_policy

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases" / "fmt"
RULES = ROOT / "rules"


def _fmt_cases() -> list:
    return sorted(p.name[:-len(".policy")] for p in CASES.glob("*.policy") if not p.name.endswith(".expected.policy"))


def _packs() -> list:
    return [d for d in sorted(RULES.iterdir()) if (d / f"{d.name}.policy").is_file()] if RULES.is_dir() else []


def _snippets(language_only: bool = False) -> list:
    """Every `policy:` of the language cases (and of the static-check error cases, which parse)."""
    return policy_params("language/*.yaml", *([] if language_only else ["errors/check.yaml"]))


def _same_ast(a: str, b: str) -> None:
    assert shape(parse_policy(a, "t.policy")) == shape(parse_policy(b, "t.policy"))


# -- the cases --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _fmt_cases())
def test_case_formats_to_expected(name):
    source = (CASES / f"{name}.policy").read_text(encoding="utf-8")
    expected = (CASES / f"{name}.expected.policy").read_text(encoding="utf-8")
    got = format_source(source, f"{name}.policy")
    assert got == expected
    _same_ast(source, got)


@pytest.mark.parametrize("name", _fmt_cases())
def test_expected_is_a_fixed_point(name):
    expected = (CASES / f"{name}.expected.policy").read_text(encoding="utf-8")
    assert format_source(expected, f"{name}.expected.policy") == expected


def test_every_construct_of_the_grammar_is_in_a_case():
    """Each rule and alias of policy.lark appears in some case input."""
    import re

    from policylint.fmt import _parse

    grammar = (ROOT / "policylint" / "syntax" / "policy.lark").read_text(encoding="utf-8")
    rules = set(re.findall(r"^[?!]?([a-z_]+):", grammar, re.M)) | set(re.findall(r"->\s*([a-z_]+)", grammar))
    rules -= {"start", "expr_start", "expr", "filtered", "or_expr", "and_expr", "not_expr", "comparison", "sum",
              "product", "unary", "postfix"}  # inlined: they only pass a child through
    rules = {r for r in rules if not r.startswith("_")}
    seen = set()
    for name in _fmt_cases():
        tree, _ = _parse((CASES / f"{name}.policy").read_text(encoding="utf-8"))
        seen |= {t.data for t in tree.iter_subtrees()}
    assert rules - seen == set()


# -- fixed point and same meaning on real policies ----------------------------------------------
@pytest.mark.parametrize("pack_dir", _packs(), ids=[d.name for d in _packs()])
def test_builtin_pack_formats_stably_and_keeps_its_ast(pack_dir):
    source = (pack_dir / f"{pack_dir.name}.policy").read_text(encoding="utf-8")
    once = format_source(source, "p.policy")
    assert format_source(once, "p.policy") == once
    _same_ast(source, once)
    assert [g.doc for g in _gates(parse_policy(once, "p.policy"))] == \
        [g.doc for g in _gates(parse_policy(source, "p.policy"))]


def _gates(pack) -> list:
    from policylint.syntax import ast

    out = []

    def walk(items):
        for item in items:
            if isinstance(item, ast.Gate):
                out.append(item)
            elif isinstance(item, (ast.Lifecycle, ast.Stage)):
                walk(item.body)

    walk(pack.items)
    return out


@pytest.mark.parametrize("case", _snippets())
def test_policy_snippets_format_stably_and_keep_their_ast(case):
    try:
        parse_policy(case["policy"], "t.policy")
    except PolicylintError:
        pytest.skip("does not parse")
    once = format_source(case["policy"], "t.policy")
    assert format_source(once, "t.policy") == once
    _same_ast(case["policy"], once)


# A run-time error names the policy line it came from, which formatting moves on purpose.
_POLICY_LOCATION = re.compile(r"\(policy [^()]*:\d+(:\d+)?\)")


def _results(run) -> list:
    from policylint.packtest import evidence_line

    results = [(r.subject or ".", r.gate, r.status, _POLICY_LOCATION.sub("(policy …)", r.message),
                [evidence_line(e) for e in r.evidence]) for r in run.results]
    subjects = [(s.id, s.claimed, s.earned) for s in run.subjects]
    return [results, subjects, run.exit_code()]


@pytest.mark.parametrize("pack_dir", _packs(), ids=[d.name for d in _packs()])
def test_formatting_a_builtin_pack_changes_no_result(pack_dir):
    """A built-in pack is its own canonical layout, so its formatted copy is the very text whose
    cases tests/test_packs.py runs: running them again on the copy would prove nothing more."""
    source = (pack_dir / f"{pack_dir.name}.policy").read_text(encoding="utf-8")
    assert format_source(source, "p.policy") == source


@pytest.mark.parametrize("case", [p for p in _snippets(language_only=True) if "error" not in p.values[0]])
def test_formatting_a_language_case_changes_no_result(case, tmp_path, monkeypatch):
    from caserunner import load_policy, run_policy

    def results(folder: Path, policy: str) -> list:
        pack, errors = load_policy(folder, monkeypatch, {**case, "policy": policy})
        assert errors is None, errors
        return _results(run_policy(folder, monkeypatch, pack, case.get("files") or {}))

    original = results(tmp_path / "a", case["policy"])
    formatted = results(tmp_path / "b", format_source(case["policy"], "t.policy"))
    assert formatted == original


# -- refusals and details -------------------------------------------------------------------------
def _syntax_cases() -> list:
    return [pytest.param(c, id=c["note"]) for c in policy_cases(ROOT / "tests" / "cases" / "errors" / "syntax.yaml")]


@pytest.mark.parametrize("case", _syntax_cases())
def test_a_file_that_does_not_parse_is_refused_with_its_syntax_diagnostic(case):
    with pytest.raises(PolicylintError) as exc:
        format_source(case["policy"], "t.policy")
    rendered = "\n\n".join(d.render(case["policy"]) for d in exc.value.diagnostics)
    assert rendered == case["error"]


def test_crlf_files_stay_crlf():
    source = 'gate a "t" {  # c\r\n require  x\r\n}\r\n'
    assert format_source(source, "t.policy") == 'gate a "t" {  # c\r\n  require x\r\n}\r\n'


def test_empty_and_comment_only_files():
    assert format_source("", "t.policy") == ""
    assert format_source("\n\n", "t.policy") == ""
    assert format_source("\n# only\n\n\n# comments   \n", "t.policy") == "# only\n\n# comments\n"


def test_a_missing_final_newline_is_added():
    assert format_source("let x = 1", "t.policy") == "let x = 1\n"


def test_an_output_that_would_change_the_meaning_is_refused(monkeypatch):
    import policylint.fmt as fmt

    monkeypatch.setattr(fmt, "_format", lambda text: "let x = 2\n")
    with pytest.raises(PolicylintError) as exc:
        format_source("let x = 1\n", "t.policy")
    (diag,) = exc.value.diagnostics
    assert diag.headline() == ("t.policy:1:1: error[PL900] cannot format `t.policy`: formatting would change "
                               "the policy's meaning; the file is left unchanged")


def test_an_unstable_output_is_refused(monkeypatch):
    import policylint.fmt as fmt

    outputs = iter(["let x = 1\n", "let  x = 1\n"])
    monkeypatch.setattr(fmt, "_format", lambda text: next(outputs))
    with pytest.raises(PolicylintError) as exc:
        format_source("let x = 1\n", "t.policy")
    assert exc.value.diagnostics[0].message == ("cannot format `t.policy`: formatting is not stable on this file; "
                                                "the file is left unchanged")


def test_doc_comments_stay_the_gates_documentation():
    source = '## What it checks.\n## Why.\ngate a "t" warning when x { require y }\n'
    formatted = format_source(source, "t.policy")
    assert formatted.startswith('## What it checks.\n## Why.\ngate a "t" warning when x {\n')
    assert _gates(parse_policy(formatted, "t.policy"))[0].doc == "What it checks.\nWhy."


# -- the command: `policylint fmt` and `fmt --check` -----------------------------------------------
UGLY = 'gate a "t" { require  x }\n'
PRETTY = 'gate a "t" {\n  require x\n}\n'


def test_fmt_rewrites_only_the_files_that_change(tmp_path, capsys):
    from policylint.cli import main

    (tmp_path / "ugly.policy").write_text(UGLY)
    (tmp_path / "pretty.policy").write_text(PRETTY)
    before = (tmp_path / "pretty.policy").stat().st_mtime_ns
    assert main(["fmt", str(tmp_path / "ugly.policy"), str(tmp_path / "pretty.policy")]) == 0
    out = capsys.readouterr().out
    assert out == f"reformatted {tmp_path / 'ugly.policy'}\n1 file reformatted, 1 file left unchanged\n"
    assert (tmp_path / "ugly.policy").read_text() == PRETTY
    assert (tmp_path / "pretty.policy").stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pretty.policy", "ugly.policy"]  # no temporary file left


def test_fmt_check_prints_a_diff_changes_nothing_and_exits_1(tmp_path, capsys):
    from policylint.cli import main

    path = tmp_path / "ugly.policy"
    path.write_text(UGLY)
    assert main(["fmt", "--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out == (f"--- {path}\t(original)\n+++ {path}\t(formatted)\n@@ -1 +1,3 @@\n"
                   '-gate a "t" { require  x }\n+gate a "t" {\n+  require x\n+}\n'
                   f"would reformat {path}\n1 file would be reformatted\n")
    assert path.read_text() == UGLY
    path.write_text(PRETTY)
    assert main(["fmt", "--check", str(path)]) == 0
    assert capsys.readouterr().out == "1 file would be left unchanged\n"


def test_fmt_searches_folders_and_skips_hidden_ones(tmp_path, capsys, monkeypatch):
    from policylint.cli import main

    (tmp_path / "rules" / "team").mkdir(parents=True)
    (tmp_path / "rules" / "team" / "team.policy").write_text(UGLY)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.policy").write_text(UGLY)
    (tmp_path / "notes.md").write_text("not a policy")
    monkeypatch.chdir(tmp_path)
    assert main(["fmt"]) == 0
    assert capsys.readouterr().out == "reformatted rules/team/team.policy\n1 file reformatted\n"
    assert (tmp_path / ".git" / "x.policy").read_text() == UGLY


def test_fmt_reports_a_file_that_does_not_parse_and_formats_the_others(tmp_path, capsys):
    from policylint.cli import main

    bad, good = tmp_path / "bad.policy", tmp_path / "good.policy"
    bad.write_text('gate a "t" { require x = 1 }\n')
    good.write_text(UGLY)
    assert main(["fmt", str(bad), str(good)]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"reformatted {good}\n1 file reformatted, 1 file could not be formatted\n"
    assert captured.err == (f"{bad}:1:24: error[PL100] `=` assigns; use `==` to compare\n"
                            "  |\n"
                            '1 | gate a "t" { require x = 1 }\n'
                            "  |                        ^\n"
                            "help: `=` only gives a `let` or a `param` its value\n\n"
                            f"error: cannot format {bad}\n")
    assert bad.read_text() == 'gate a "t" { require x = 1 }\n'


def test_fmt_refuses_a_file_that_is_not_utf8(tmp_path, capsys):
    from policylint.cli import main

    path = tmp_path / "latin1.policy"
    path.write_bytes(b'# caf\xe9\nlet x = 1\n')
    assert main(["fmt", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:1:1: error[PL200] `{path}` is not UTF-8 text; fmt leaves it alone\n")
    assert path.read_bytes() == b'# caf\xe9\nlet x = 1\n'


def test_fmt_of_a_missing_path_is_a_usage_error(tmp_path, capsys):
    from policylint.cli import main

    assert main(["fmt", str(tmp_path / "nope.policy")]) == 2
    assert capsys.readouterr().err == f"policylint: error: `{tmp_path / 'nope.policy'}` is neither a file nor a folder\n"


def test_a_doc_comment_above_a_compact_line_follows_its_gate():
    """`##` lines document the gate named on the line below them, whatever starts that line."""
    source = 'lifecycle l in d {\n  ## Doc of a.\n  stage s { gate a "t" { require x } }\n}\n'
    formatted = format_source(source, "t.policy")
    assert formatted == ('lifecycle l in d {\n  stage s {\n    ## Doc of a.\n    gate a "t" {\n      require x\n'
                         '    }\n  }\n}\n')
    assert _gates(parse_policy(formatted, "t.policy"))[0].doc == "Doc of a."


def test_a_doc_comment_of_two_gates_on_one_line_is_refused():
    source = '## Shared.\ngate a "t" { require x } gate b "u" { require y }\n'
    with pytest.raises(PolicylintError) as exc:
        format_source(source, "t.policy")
    assert exc.value.diagnostics[0].headline() == (
        "t.policy:2:1: error[PL900] cannot format `t.policy`: the `##` doc comment above this line documents two "
        "gates, and a layout with one gate per line cannot keep that; give each gate its own line and doc comment")


def test_a_plain_comment_inside_a_gate_header_does_not_break_its_doc():
    source = '## Doc.\ngate a\n# about the title\n"t" when x { require y }\n'
    formatted = format_source(source, "t.policy")
    assert formatted == '# about the title\n## Doc.\ngate a "t" when x {\n  require y\n}\n'
