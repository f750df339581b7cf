"""A pack case's expected.yaml: a key it does not know or a status that is none is an error
(PL308 at its line), never ignored, so a misspelt expectation cannot pass unchecked."""
from __future__ import annotations

import textwrap

import pytest

from policylint.cli import main

POLICY = 'pack titled "Titled"\ngate readme "A README" { require exists("README.md") }\n'


def _pack(tmp_path, expected: str):
    folder = tmp_path / "titled"
    (folder / "tests" / "case" / "repo").mkdir(parents=True)
    (folder / "titled.policy").write_text(POLICY, encoding="utf-8")
    (folder / "tests" / "case" / "expected.yaml").write_text(textwrap.dedent(expected), encoding="utf-8")
    return folder


@pytest.mark.parametrize("expected, errors", [
    ("""\
     results:
       .:
         titled.readme: {status: fail, evidnce: ["README.md: file not found"]}
     """, [(3, "unknown key `evidnce` in the result of `titled.readme`",
            "did you mean `evidence`? (known keys: evidence, message, status)")]),
    ("""\
     results:
       .:
         titled.readme: failed
     """, [(3, "invalid status `failed` for `titled.readme`",
            "did you mean `fail`? (statuses: error, fail, pass, skipped, waived)")]),
    ("""\
     note: x
     results:
       .:
         titled.readme:
           status: passs
     exitcode: 1
     """, [(5, "invalid status `passs` for `titled.readme`",
            "did you mean `pass`? (statuses: error, fail, pass, skipped, waived)"),
           (6, "unknown key `exitcode` in expected.yaml",
            "did you mean `exit_code`? (known keys: exit_code, git, note, params, results (1 more))")]),
    ("""\
     results: {}
     subjects:
       docs/a: {claimed: draft, earnd: draft}
     exit_code: 3
     """, [(3, "unknown key `earnd` for subject `docs/a`", "did you mean `earned`? (known keys: claimed, earned)"),
           (4, "invalid exit code `3`: it is 0, 1 or 2", None)]),
    ("""\
     results:
       .: [titled.readme]
     """, [(2, "`.` must be a mapping of gate ids to statuses", None)]),
])
def test_an_expected_yaml_that_says_what_it_cannot_mean_is_an_error(tmp_path, capsys, expected, errors):
    from policylint import packtest
    from policylint.errors import PolicylintError

    folder = _pack(tmp_path, expected)
    with pytest.raises(PolicylintError) as caught:
        packtest.discover(folder)
    path = str(folder / "tests" / "case" / "expected.yaml")
    assert [(d.code, d.span.path, d.span.line, d.message, d.help) for d in caught.value.diagnostics] == [
        ("PL308", path, line, message, hint) for line, message, hint in errors]


def test_policylint_test_prints_it_at_its_line_and_exits_2(tmp_path, capsys):
    folder = _pack(tmp_path, "results:\n  .:\n    titled.readme: {status: fail, evidnce: []}\n")
    assert main(["test", str(folder), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'tests' / 'case' / 'expected.yaml'}:3:1: error[PL308] unknown key `evidnce` in the result of " \
           "`titled.readme`" in err


def test_every_status_and_key_the_format_knows_is_accepted(tmp_path):
    from policylint import packtest

    folder = _pack(tmp_path, """\
        note: every key
        results:
          .:
            titled.readme: {status: fail, evidence: ["README.md: file not found"], message: "x"}
            titled.a: pass
            titled.b: error
            titled.c: skipped
            titled.d: waived
        subjects:
          docs/a: {claimed: draft, earned: draft}
        exit_code: 1
        params: {titled: {}}
        git: {base: main, history: []}
        """)
    assert [c.name for c in packtest.discover(folder)] == ["case"]
