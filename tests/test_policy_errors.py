"""Every user-facing policy error has a case, asserted by its exact text and position.

The cases live in tests/cases/errors/{syntax,check}.yaml, one list per file, and
tests/test_cases.py runs them (`pytest tests/test_cases.py -k PL201`); tests/caserunner.py
describes their format. A file with several errors lists them all, sorted by position,
separated by a blank line. A new case needs no Python: write the policy, run the test, and
read the diagnostic it prints as its user would before copying it into `error`.
"""
from __future__ import annotations

import pytest

from caserunner import CASES, load_policy, policy_cases
from policylint.cli import main
from policylint.syntax.errors import CHARACTER_HINTS, LABELLED_MISTAKES


def _load(name: str) -> list:
    return policy_cases(CASES / "errors" / f"{name}.yaml")


# -- every label, hint and code has a case -----------------------------------------------------

def _headlines(name: str) -> list:
    return [line for case in _load(name) for line in case["error"].split("\n") if line.startswith("t.policy:")]


def test_every_syntax_label_has_a_case():
    shown = "\n".join(_headlines("syntax"))
    missing = [label for label in LABELLED_MISTAKES if f"] {label}\n" not in shown + "\n"]
    assert not missing, f"no case in syntax.yaml shows these labels: {missing}"


def test_every_character_hint_has_a_case():
    wanted = "\n".join(case["error"] for case in _load("syntax"))
    missing = [char for char, hint in CHARACTER_HINTS.items()
               if f"unexpected character `{char}`" not in wanted or f"help: {hint}" not in wanted]
    assert not missing, f"no case in syntax.yaml shows the hint for: {missing}"


def test_every_policy_code_has_a_case():
    """PL1xx and PL2xx, but PL200: a file that cannot be read is not a policy's mistake."""
    from policylint.diagnostics import CODES, RETIRED

    shown = "\n".join(_headlines("syntax") + _headlines("check"))
    missing = [code for code in CODES if code[:3] in ("PL1", "PL2") and code != "PL200" and code not in RETIRED
               and f"error[{code}]" not in shown]
    assert not missing, f"no case in tests/cases/errors/ for: {missing}"


def test_label_cases_differ_from_the_labels_own_examples():
    """A case proves that a label generalises only if it is not one of the label's examples."""
    examples = {example.strip() for _, _, found in LABELLED_MISTAKES.values() for example in found}
    assert not [case["note"] for case in _load("syntax") if case["policy"].strip() in examples]


@pytest.mark.parametrize("label", list(LABELLED_MISTAKES))
def test_each_example_gets_its_own_label(label, tmp_path, monkeypatch):
    """An example that fails before its mistake (or gets another label) teaches nothing."""
    for example in LABELLED_MISTAKES[label][2]:
        _, got = load_policy(tmp_path, monkeypatch, {"policy": example})
        assert got is not None and got.split("\n")[0].endswith(f"] {label}"), (example, got)


# -- the command line ----------------------------------------------------------------------------

CLOSING = "policylint: {n} error{s} in the policy; nothing was checked\n"


def test_validate_bad_file_prints_diagnostics_and_exits_2(tmp_path, monkeypatch, capsys):
    case = _load("check")[-1]  # several errors in one file
    (tmp_path / "t.policy").write_text(case["policy"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "t.policy"]) == 2
    captured = capsys.readouterr()
    count = case["error"].count("\nt.policy:") + 1
    assert count > 1
    assert captured.err == case["error"] + "\n\n" + CLOSING.format(n=count, s="s")
    assert captured.out == ""


def test_validate_syntax_error_prints_one_diagnostic(tmp_path, monkeypatch, capsys):
    case = _load("syntax")[0]
    (tmp_path / "t.policy").write_text(case["policy"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "t.policy"]) == 2
    assert capsys.readouterr().err == case["error"] + "\n\n" + CLOSING.format(n=1, s="")


def test_validate_good_file_exits_0(tmp_path, monkeypatch, capsys):
    (tmp_path / "t.policy").write_text('gate readme "README" { require exists("README.md") }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "t.policy"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "1 policy OK\n" and captured.err == ""


def test_check_unknown_format_exits_2_and_lists_formats(tmp_path, capsys):
    from policylint.reporters import FORMATS

    (tmp_path / "t.policy").write_text('gate readme "README" { require exists("README.md") }\n', encoding="utf-8")
    code = main(["check", "--root", str(tmp_path), "--pack", str(tmp_path / "t.policy"), "--format", "nope"])
    assert code == 2
    assert capsys.readouterr().err == f"policylint: error: unknown format `nope`; known formats: {', '.join(sorted(FORMATS))}\n"


VIEWABLE = ("approvals, changelog, coverage, dependencies, dirs, exists, git, glob, json, jsonl, junit, lines, "
            "markdown, new_dependencies, openapi, openspec, openspec_change, tasks, text, toml, workitems, yaml")


def test_inspect_unknown_loader_exits_2_and_lists_loaders(tmp_path, capsys):
    assert main(["inspect", "nope", "x", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"policylint: error: unknown loader `nope`; loaders: {VIEWABLE}\n"


@pytest.mark.parametrize("name, usage", [
    ("schema_errors", "schema_errors(value: Any, schema: Str) -> List[SchemaError]"),
    ("pack_schema_errors", "pack_schema_errors(value: Any, pack: Str, schema: Str) -> List[SchemaError]"),
])
def test_inspect_of_a_loader_that_takes_more_than_a_path_says_what_inspect_shows(name, usage, tmp_path, capsys):
    """`inspect schema_errors X` was an internal error (a TypeError calling it with one argument)."""
    assert main(["inspect", name, "X", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"policylint: error: `{name}` takes more than a path (`{usage}`), so it has "
                                       f"no view of a file to inspect; call it in a policy. inspect shows: {VIEWABLE}\n")


def test_explain_unknown_gate_exits_2(tmp_path, capsys):
    """With a pack of its own, so that the test does not depend on the built-in packs' gates."""
    policy = tmp_path / "team.policy"
    policy.write_text('pack team "Team rules"\ngate readme "README" { require exists("README.md") }\n'
                      'gate license "LICENSE" { require exists("LICENSE") }\n', encoding="utf-8")
    assert main(["explain", "team.readm", "--pack", str(policy), "--no-cache"]) == 2
    captured = capsys.readouterr()
    assert captured.err == ("policylint: error: unknown gate `team.readm`; did you mean `team.readme`? "
                            "(gates: team.license, team.readme)\n")
    assert captured.out == ""
    assert main(["explain", "team.zzz", "--pack", str(policy), "--no-cache"]) == 2
    assert capsys.readouterr().err == "policylint: error: unknown gate `team.zzz`; gates: team.license, team.readme\n"
