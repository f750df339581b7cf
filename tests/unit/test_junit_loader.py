"""The junit loader: real reports of pytest, jest-junit, Surefire, PHPUnit, Jenkins, the Repo
side, gates over a report, `policylint inspect junit`, hostile input.

Its cases are folders under tests/cases/loaders/junit/ with `report.xml` (read as bytes, exactly
as the tool wrote it) and a README.md naming where it comes from and what the tool itself
reported, run by tests/test_cases.py in the format tests/caserunner.py describes; `oracle`
holds the producer's figures ("Tests run: 8, Failures: 1, Errors: 2, Skipped: 1, Flakes: 2").
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from caserunner import load, loader_cases
from conftest import make_repo, run_policy
from policylint.cli import main
from policylint.errors import ArtifactError, ArtifactMissing
from policylint.loaders import LOADERS, get
from policylint.loaders.junit import JUNIT, MAX_DEPTH, TEST_CASE, load_junit, parse_junit
from policylint.packtest import evidence_line
from policylint.repo import Repo
from policylint.types import element_type

CASES = Path(__file__).parents[1] / "cases" / "loaders" / "junit"
ROOT = Path(__file__).resolve().parents[2]


def test_every_case_names_its_source():
    for case in loader_cases("junit"):
        assert (case.folder / "README.md").is_file(), case


# -- what every report must satisfy ------------------------------------------------------

@pytest.mark.parametrize("report", [c for c in loader_cases("junit") if "want" in c.spec], ids=str)
def test_every_case_is_located_and_counted_by_its_suites(report):
    counted = load(report)
    counts = [counted[key] for key in ("passed", "failed", "errors", "skipped")]
    assert sum(counts) == counted["tests"] == len(counted["cases"])
    result = parse_junit(report.file.read_bytes(), "r.xml")
    for case in result["cases"]:
        assert case.loc.path == "r.xml" and case.loc.line >= 1
        assert case["status"] in ("passed", "failed", "error", "skipped")
        assert case["status"].loc == case.loc and case["id"].loc == case.loc
        assert not case["flaky"] or case["status"] == "passed"
    for suite in result["suites"]:
        assert suite["tests"] == len(suite["cases"]) == sum(
            suite[key] for key in ("passed", "failed", "errors", "skipped"))
        assert all(case in result["cases"] for case in suite["cases"])


def test_the_figures_match_what_the_tools_said():
    """The headline numbers of each real producer, side by side with its own report."""
    figures = {  # case: (tests, passed, failed, errors, skipped, flaky)
        "pytest-xunit2-outcomes": (16, 6, 5, 3, 2, 0),  # XML: tests=16 failures=5 errors=3 skipped=2
        "pytest-xunit1-outcomes": (16, 6, 5, 3, 2, 0),
        "pytest-setup-error-corpus": (2, 0, 0, 1, 1, 0),  # XML: tests=2 errors=1 skipped=1
        "jest-junit-default": (8, 4, 3, 0, 1, 0),  # jest: 3 failed, 1 skipped, 1 todo, 3 passed, 8 total
        "jest-junit-corpus": (4, 2, 1, 0, 1, 0),
        "surefire-reruns": (8, 4, 1, 2, 1, 2),  # Tests run: 8, Failures: 1, Errors: 2, Skipped: 1, Flakes: 2
        "surefire-nested-parameterized": (5, 3, 1, 0, 1, 0),  # Tests run: 5, Failures: 1, Errors: 0, Skipped: 1
        "phpunit-nested-suites": (10, 4, 2, 2, 2, 0),  # XML: tests=10 failures=2 errors=2 skipped=2
        "phpunit-setup-before-class-error": (2, 0, 0, 1, 1, 0),  # Tests: 2, Errors: 1, Skipped: 1
        "junitparser-jenkins-nested": (3, 1, 1, 0, 1, 0),
    }
    for name, want in figures.items():
        result = parse_junit((CASES / name / "report.xml").read_bytes(), "r.xml")
        got = tuple(result[key] for key in ("tests", "passed", "failed", "errors", "skipped", "flaky"))
        assert got == want, name


# -- statuses, from the child elements ---------------------------------------------------

def _one(testcase: str):
    return parse_junit(f'<testsuite name="s">\n{testcase}\n</testsuite>'.encode(), "r.xml")["cases"][0]


@pytest.mark.parametrize("children, status, flaky", [
    ("", "passed", False),
    ("<system-out>x</system-out><system-err>y</system-err><properties/>", "passed", False),
    ('<failure message="m"/>', "failed", False),
    ('<error message="m"/>', "error", False),
    ('<skipped message="m"/>', "skipped", False),
    ('<failure message="m"/><error message="e"/>', "error", False),
    ('<error message="m"/><rerunFailure message="r"><stackTrace>t</stackTrace></rerunFailure>', "error", False),
    ('<failure message="m"/><rerunError message="r"><stackTrace>t</stackTrace></rerunError>', "error", False),
    ('<failure message="m"/><rerunFailure message="r"><stackTrace>t</stackTrace></rerunFailure>', "failed", False),
    ('<rerunFailure message="r"><stackTrace>t</stackTrace></rerunFailure>', "failed", False),
    ('<flakyFailure message="f"><stackTrace>t</stackTrace></flakyFailure>', "passed", True),
    ('<flakyError message="f"/><flakyFailure message="g"/>', "passed", True),
    ('<failure message="m"/><flakyFailure message="f"/>', "failed", False),
    ('<skipped/><flakyFailure message="f"/>', "skipped", False),
    ('<skipped/><failure message="m"/>', "failed", False),
    ('<warning>C::t\ncareful</warning>', "passed", False),
])
def test_status_precedence(children, status, flaky):
    case = _one(f'<testcase name="t" classname="C">{children}</testcase>')
    assert (case["status"], case["flaky"]) == (status, flaky)


def test_message_type_and_details_come_from_the_deciding_element():
    case = _one('<testcase name="t" classname="C">'
                '<flakyFailure message="first" type="E1"><stackTrace>E1: first\n\tat x</stackTrace></flakyFailure>'
                '<flakyFailure message="second" type="E2"><stackTrace>E2</stackTrace></flakyFailure></testcase>')
    assert (case["message"], case["type"], case["details"]) == ("first", "E1", "E1: first\n\tat x")
    case = _one('<testcase name="t" classname="C"><failure message="  ">\n\n  Error: boom\n  at f\n\n</failure></testcase>')
    assert (case["message"], case["details"]) == ("Error: boom", "  Error: boom\n  at f")
    case = _one('<testcase name="t" classname="C"><failure/></testcase>')
    assert (case["status"], case["message"], case["details"], case["type"]) == ("failed", None, None, None)
    long_text = "\n".join(f"line {n}" for n in range(1, 101))
    case = _one(f'<testcase name="t"><error>{long_text}</error></testcase>')
    assert case["details"].split("\n") == [f"line {n}" for n in range(1, 21)]
    case = _one(f'<testcase name="t"><error>{"x" * 10000}</error></testcase>')
    assert len(case["details"]) == 4000


def test_names_ids_and_numbers():
    report = parse_junit(b'<testsuites>\n<testcase name=" loose " time="1,234.5"/>\n'
                         b'<testsuite name="s"><testcase classname="a.B" name="a.B.t" time="0,5" assertions="3"/>\n'
                         b'<testcase class="Php" name="t" time="NaN"/><testcase classname="" name="" time="x"/>'
                         b'<testcase classname="test" name="test_add"/><testcase classname="calc adds" name="calc adds"/>'
                         b'</testsuite></testsuites>', "r.xml")
    cases = report["cases"]
    assert [(c["name"], c["classname"], c["id"], c["suite"]) for c in cases] == [
        ("loose", "", "loose", ""), ("a.B.t", "a.B", "a.B.t", "s"), ("t", "Php", "Php.t", "s"), ("", "", "", "s"),
        ("test_add", "test", "test.test_add", "s"), ("calc adds", "calc adds", "calc adds", "s")]
    assert [c["time"] for c in cases] == [1234.5, 0.5, None, None, None, None]
    assert [c["assertions"] for c in cases] == [None, 3, None, None, None, None]
    assert report["time"] == 1235.0 and report["tests"] == 6  # no suite time: the cases' times, summed


def test_a_default_namespace_is_ignored():
    report = parse_junit(b'<testsuites xmlns="urn:example"><testsuite name="s">'
                         b'<testcase name="t"><failure message="m"/></testcase></testsuite></testsuites>', "r.xml")
    assert (report["tests"], report["failed"], report["suites"][0]["name"]) == (1, 1, "s")


def test_the_attributes_never_decide_the_counts():
    report = parse_junit(b'<testsuites tests="99" failures="0" errors="0">\n'
                         b'<testsuite name="s" tests="1" failures="0" skipped="7">\n'
                         b'<testcase name="a"><failure message="m"/></testcase>\n'
                         b'<testcase name="b"/>\n</testsuite>\n</testsuites>', "r.xml")
    assert [report[k] for k in ("tests", "passed", "failed", "errors", "skipped")] == [2, 1, 1, 0, 0]


def test_an_empty_report_is_zero_tests_not_an_error():
    report = parse_junit(b'<?xml version="1.0"?>\n<testsuites name="jest tests" tests="0" time="0.1"/>\n', "r.xml")
    assert (report["tests"], report["cases"], report["suites"], report["time"]) == (0, [], [], 0.1)


# -- hostile input beyond the case folders -----------------------------------------------

def test_suites_nested_too_deep_are_refused():
    depth = MAX_DEPTH + 1
    data = ("<testsuite>\n" * depth + '<testcase name="t"/>' + "</testsuite>" * depth).encode()
    with pytest.raises(ArtifactError) as caught:
        parse_junit(data, "r.xml")
    assert (caught.value.path, caught.value.line, caught.value.message) == \
           ("r.xml", depth, f"`<testsuite>` elements nest more than {MAX_DEPTH} deep")
    ok = ("<testsuite>\n" * MAX_DEPTH + '<testcase name="t"/>' + "</testsuite>" * MAX_DEPTH).encode()
    assert parse_junit(ok, "r.xml")["tests"] == 1


def test_an_external_dtd_is_never_read(tmp_path):
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "TOP-SECRET">', encoding="utf-8")
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE testsuites SYSTEM "{secret.as_uri()}">\n'
            '<testsuites><testsuite name="s"><testcase name="t"/></testsuite></testsuites>').encode()
    report = parse_junit(data, "r.xml")
    assert report["tests"] == 1 and "TOP-SECRET" not in json.dumps([c["name"] for c in report["cases"]])
    leaking = parse_junit(data.replace(b'name="t"', b'name="&leak;"'), "r.xml")
    assert leaking["cases"][0]["name"] == ""  # the entity stays unknown (expat skips it): nothing was fetched


@pytest.mark.parametrize("data, line, message", [
    (b"\xef\xbb\xbf", None, "file is empty: expected a JUnit XML report"),
    (b"  \n\n", None, "file is empty: expected a JUnit XML report"),
    (b'<testsuite name="a"/>\n<testsuite name="b"/>\n', 2, "not well-formed XML: junk after document element"),
    (b'{"tests": 3}', 1, "not well-formed XML: not well-formed (invalid token)"),
    (b"<html><body>502 Bad Gateway</body></html>", 1,
     "not a JUnit XML report: the root element is `<html>`, expected `<testsuites>` or `<testsuite>`"),
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testcase name="caf\xe9"/>\n</testsuites>\n', 3,
     "not valid UTF-8: byte 0xE9 cannot be decoded "
     "(a JUnit report must be UTF-8 unless its XML declaration names another encoding)"),
    (b'<testsuites>\n<testcase name="a"\n</testsuites>\n\xe9', 3, "not well-formed XML: not well-formed (invalid token)"),
])
def test_broken_input_says_where(data, line, message):
    with pytest.raises(ArtifactError) as caught:
        parse_junit(data, "reports/r.xml")
    assert (caught.value.path, caught.value.line, caught.value.message) == ("reports/r.xml", line, message)


# -- the Repo side -----------------------------------------------------------------------

def test_the_loader_reads_through_the_repo_once(tmp_path):
    make_repo(tmp_path, {"reports/junit.xml": (CASES / "surefire-reruns" / "report.xml").read_bytes()})
    repo = Repo(tmp_path)
    report = load_junit(repo, "reports/junit.xml")
    assert report.type == "JUnit" and report["path"] == "reports/junit.xml" and report["tests"] == 8
    assert report["cases"][0].loc == ("reports/junit.xml", 54, None)
    assert load_junit(repo, "reports/./junit.xml") is report
    with pytest.raises(ArtifactMissing) as caught:
        load_junit(repo, "reports/missing.xml")
    assert (caught.value.path, caught.value.message) == ("reports/missing.xml", "file not found")
    with pytest.raises(ArtifactError) as caught:
        load_junit(repo, "../outside.xml")
    assert caught.value.message == "path leaves the repository root"


def test_the_signature_and_record_types_are_declared():
    assert LOADERS["junit"] == "policylint.loaders.junit:load_junit" and get("junit") is load_junit
    signature = load_junit.signature
    assert signature.name == "junit" and signature.needs_repo and signature.returns == JUNIT
    assert JUNIT.iterates == "cases" and element_type(JUNIT) == TEST_CASE
    assert set(JUNIT.fields) == {"tests", "passed", "failed", "errors", "skipped", "flaky", "warnings", "time",
                                 "cases", "suites", "path"}
    assert set(TEST_CASE.fields) == {"name", "classname", "id", "suite", "file", "status", "flaky", "warning",
                                     "message", "type", "details", "time", "assertions"}
    assert "text" not in TEST_CASE.fields  # a record's `text` is what it compares and prints as
    report = parse_junit((CASES / "phpunit-nested-suites" / "report.xml").read_bytes(), "r.xml")
    for rec in [report, *report["cases"], *report["suites"]]:
        declared = {"JUnit": JUNIT, "TestCase": TEST_CASE}.get(rec.type) or JUNIT.field_type("suites").elem
        assert set(rec.fields) == set(declared.fields), rec.type


def test_importing_the_loader_imports_no_xml_library():
    code = ("import sys, policylint.loaders.junit; "
            "print(sorted(m for m in sys.modules if m.startswith(('defusedxml', 'xml.etree', 'yaml'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out.strip() == "[]"


# -- gates over a report -----------------------------------------------------------------

REPORTS = {"reports/junit.xml": (CASES / "pytest-xunit2-corpus" / "report.xml").read_bytes(),
           "reports/surefire.xml": (CASES / "surefire-reruns" / "report.xml").read_bytes(),
           "reports/broken.xml": (CASES / "error-truncated" / "report.xml").read_bytes()}


def _gates(tmp_path, body: str):
    run = run_policy(tmp_path, body, REPORTS)
    return {r.gate.split(".")[-1]: r for r in run.results}


def test_gates_over_a_report(tmp_path):
    results = _gates(tmp_path, '''pack t "t"
gate no-failures "Tests pass" { require junit("reports/junit.xml").failed == 0 }
gate every-passes "Each passes" { require every c in junit("reports/junit.xml"): c.status == "passed" }
gate named "Each passes, named" {
  require every c in junit("reports/junit.xml") where c.status != "skipped": c.status == "passed"
    else "{c.id} {c.status}: {c.message}"
}
gate no-flaky "No flaky tests" { require count(junit("reports/surefire.xml") where it.flaky) == 0 }
gate some-ran "Some tests ran" { require junit("reports/surefire.xml").tests > 0 }
gate missing "Report exists" { require junit("reports/nope.xml").failed == 0 }
gate broken "Report readable" { require junit("reports/broken.xml").failed == 0 }
''')
    assert {name: r.status for name, r in results.items()} == {
        "no-failures": "fail", "every-passes": "fail", "named": "fail", "no-flaky": "fail", "some-ran": "pass",
        "missing": "fail", "broken": "error"}
    assert [evidence_line(e) for e in results["named"].evidence] == [
        "reports/junit.xml:1: test_calc.test_fail failed: AssertionError: math is hard\nassert 2 == 3\n"
        " +  where 2 = add(1, 1)",
        "reports/junit.xml:7: test_calc.test_error failed: RuntimeError: boom"]
    assert [evidence_line(e) for e in results["every-passes"].evidence] == [
        'reports/junit.xml:1: TestCase test_calc.test_fail: `c.status` is "failed", expected == "passed"',
        'reports/junit.xml:7: TestCase test_calc.test_error: `c.status` is "failed", expected == "passed"',
        'reports/junit.xml:11: TestCase test_calc.test_skip: `c.status` is "skipped", expected == "passed"']
    assert results["every-passes"].message == '3 of 5 elements fail `c.status == "passed"`'
    assert results["no-flaky"].message == '`count(junit("reports/surefire.xml") where it.flaky)` is 2, expected == 0'
    assert (results["missing"].message, [evidence_line(e) for e in results["missing"].evidence]) == \
           ("`reports/nope.xml` is missing", ["reports/nope.xml: file not found"])
    assert [evidence_line(e) for e in results["broken"].evidence] == \
           ["reports/broken.xml:47: not well-formed XML: unclosed token"]


def test_an_unknown_field_is_caught_before_running(tmp_path):
    from policylint.errors import PolicylintError

    with pytest.raises(PolicylintError) as caught:
        run_policy(tmp_path, 'pack t "t"\ngate g "t" { require every c in junit("r.xml"): c.text == "x" }\n')
    message = caught.value.diagnostics[0].message
    assert "unknown field `text` on TestCase" in message


# -- policylint inspect junit --------------------------------------------------------------

def test_inspect_prints_the_counts(tmp_path, capsys):
    make_repo(tmp_path, {"reports/junit.xml": REPORTS["reports/surefire.xml"]})
    assert main(["inspect", "junit", "reports/junit.xml", "--root", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data)[:6] == ["@", "tests", "passed", "failed", "errors", "skipped"]
    assert {k: data[k] for k in ("tests", "passed", "failed", "errors", "skipped", "flaky")} == \
           {"tests": 8, "passed": 4, "failed": 1, "errors": 2, "skipped": 1, "flaky": 2}
    assert data["cases"][0]["@"] == "reports/junit.xml:54"


@pytest.mark.parametrize("case, where, message", [
    ("error-truncated", "r.xml:47", "not well-formed XML: unclosed token"),
    ("error-entity-bomb", "r.xml:3", "refused: the XML declares entity `lol` (entity expansion is not allowed)"),
    ("error-empty-file", "r.xml", "file is empty: expected a JUnit XML report"),
])
def test_inspect_a_broken_report_exits_2_and_says_where(tmp_path, capsys, case, where, message):
    make_repo(tmp_path, {"r.xml": (CASES / case / "report.xml").read_bytes()})
    assert main(["inspect", "junit", "r.xml", "--root", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"policylint: error[PL405] {where}: {message}\n")


def test_inspect_a_missing_report(tmp_path, capsys):
    assert main(["inspect", "junit", "reports/junit.xml", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "policylint: error[PL401] reports/junit.xml: file not found\n"
