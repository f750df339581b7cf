"""Output formats: goldens, schemas, real parsers, escaping, stable fingerprints."""
from __future__ import annotations

import copy
import html
import io
import json
import os
import re
from pathlib import Path

import pytest

import reporters_fixture as fixture
from conftest import ROOT, assert_golden
from policylint.reporters import FORMATS, get

CASES = ROOT / "tests" / "cases" / "reporters"
GOLDEN = CASES / "golden"
SARIF_SCHEMA = CASES / "schemas" / "sarif-schema-2.1.0.json"
EXTENSION = {"sarif": "sarif", "junit": "xml", "github": "txt", "gitlab": "json", "markdown": "md"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def render(fmt: str, run=None, **options) -> str:
    out = io.StringIO()
    get(fmt)(run or fixture.build_run(), out, fixture.options(**options))
    return out.getvalue()


# -- goldens -------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(EXTENSION))
def test_golden(fmt):
    path = GOLDEN / f"{fmt}.{EXTENSION[fmt]}"
    assert_golden(path, render(fmt).encode("utf-8"), fmt)


def test_every_new_format_is_registered():
    assert set(EXTENSION) <= set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(EXTENSION))
def test_same_run_same_bytes_whatever_the_clock(fmt, monkeypatch):
    first = render(fmt)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert render(fmt) == first


# -- SARIF ---------------------------------------------------------------------------------
def _sarif(run=None, **options) -> dict:
    return json.loads(render("sarif", run, **options))


def test_sarif_validates_against_the_oasis_schema():
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(_sarif()), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_sarif_meets_github_code_scanning_rules():
    log = _sarif()
    assert log["$schema"] == json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))["id"]
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "policylint" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for rule in rules:  # GH2012: short and full description, help text
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"])  # SARIF2012: a Pascal-case friendly name
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert {r["ruleId"] for r in run["results"]} <= {r["id"] for r in rules}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        assert result["level"] in ("error", "warning", "note")
        [location] = result["locations"]  # GH1001/GH1003/GH1005: relative URI and a region
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri and " " not in uri
        assert physical["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
        assert physical["region"]["startLine"] >= 1
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["policylint/v1"])
    fingerprints = [r["partialFingerprints"]["policylint/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


MULTITOOL = "set POLICYLINT_SARIF_MULTITOOL to the Sarif.Multitool binary (npm @microsoft/sarif-multitool)"


@pytest.mark.skipif(not os.environ.get("POLICYLINT_SARIF_MULTITOOL"), reason=MULTITOOL)
def test_sarif_passes_the_multitools_github_rules(tmp_path):
    """Microsoft's SARIF validator with its GitHub code scanning rules (GH1xxx): no error, no warning."""
    import subprocess

    log, report = tmp_path / "golden.sarif", tmp_path / "validation.sarif"
    log.write_text(render("sarif"), encoding="utf-8")
    subprocess.run([os.environ["POLICYLINT_SARIF_MULTITOOL"], "validate", str(log), "--rule-kind", "Sarif;Ghas",
                    "--level", "Error;Warning", "-o", str(report), "--log", "ForceOverwrite"],
                   check=True, capture_output=True, timeout=300)
    found = json.loads(report.read_text(encoding="utf-8"))["runs"][0].get("results", [])
    assert [(r["ruleId"], r["message"].get("arguments")) for r in found] == []


def test_sarif_rule_help_comes_from_the_gate_doc():
    rules = {r["id"]: r for r in _sarif()["runs"][0]["tool"]["driver"]["rules"]}
    rule = rules["team.branch-name"]
    assert rule["name"] == "BranchName"
    assert rule["shortDescription"] == {"text": "Branches are named spec-NNN-name"}
    assert rule["fullDescription"] == {"text": "What: branch names carry the spec number, so CI can find the spec.",
                                       "markdown": "**What**: branch names carry the spec number, so CI can find "
                                                   "the spec."}
    assert rule["help"]["markdown"].startswith("**Branches are named spec-NNN-name**\n\n**What**: branch names")
    assert "\n\n**Why**: reviewers see which spec a change belongs to.\n\n" in rule["help"]["markdown"]
    assert rule["help"]["markdown"].endswith("- declared at: `policies/team.policy:12`")
    assert rule["properties"]["tags"] == ["team", "repository"]
    tests = rules["speckit.implementing.tests-pass"]
    assert tests["properties"]["tags"] == ["speckit", "implementing", "unwaivable"]
    assert "declared at: speckit/speckit.policy:126" in tests["help"]["text"]
    assert rules["team.changelog"]["defaultConfiguration"] == {"level": "note"}


def _results(log, gate):
    return [r for r in log["runs"][0]["results"] if r["ruleId"] == gate]


def _where(result):
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uriBaseId"], physical["artifactLocation"]["uri"], \
        physical["region"]["startLine"]


def test_sarif_one_result_per_evidence_line_and_policy_lines_for_the_rest():
    log = _sarif()
    assert [_where(r) for r in _results(log, "speckit.clarified.no-open-questions")] == [
        ("%SRCROOT%", "specs/001-login/spec.md", 12), ("%SRCROOT%", "specs/001-login/spec.md", 30),
        ("%SRCROOT%", "specs/001-login/spec.md", 44)]
    # a repository-wide gate without evidence: the policy line that declares it
    assert [_where(r) for r in _results(log, "team.branch-name")] == [("%SRCROOT%", "policies/team.policy", 12)]
    # ... in a pack outside the repository: under its own base id, no absolute path
    assert [_where(r) for r in _results(log, "speckit.numbered-specs")] == [
        ("POLICYLINT_PACKS", "speckit/speckit.policy", 30)]
    # evidence without a line, a path that needs percent-encoding
    assert [_where(r) for r in _results(log, "speckit.draft.sections")] == [
        ("%SRCROOT%", "specs/004-empty/spec.md", 1)]
    assert [_where(r) for r in _results(log, "speckit.review.style")] == [
        ("%SRCROOT%", "specs/002-export/notes%2C%2050%25%3A%20draft.md", 7)]
    # a gate no policy line declares, on a subject: the subject
    assert [_where(r) for r in _results(log, "speckit.spec.claims")] == [("%SRCROOT%", "specs/004-empty", 1)]
    # passing and skipped gates are not results
    assert not _results(log, "team.readme") and not _results(log, "speckit.testing.coverage")


def test_a_result_with_nothing_to_point_at_is_still_reported():
    run = fixture.build_run()
    run.results[0].gate = "other.gate"  # no doc for it or its pack, no evidence, no subject
    assert [_where(r) for r in _results(_sarif(run), "other.gate")] == [("POLICYLINT_PACKS", "other/other.policy", 1)]
    assert json.loads(render("gitlab", run))[0]["location"] == {"path": "other/other.policy", "lines": {"begin": 1}}
    assert render("github", run).startswith("::error title=other.gate%3A Branches are named spec-NNN-name::")


def test_sarif_levels_follow_severity():
    log = _sarif()
    levels = {r["ruleId"]: r["level"] for r in log["runs"][0]["results"]}
    assert levels["team.branch-name"] == "error"
    assert levels["speckit.review.style"] == "warning"
    assert levels["team.changelog"] == "note"


def test_sarif_waived_result_is_suppressed_with_its_justification():
    [waived] = _results(_sarif(), "speckit.implementing.all-done")
    assert waived["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": 'T014 moves to JIRA-12 | ships <next> sprint & "soon" '
                         "(approved by @ana-núñez, until 2031-01-31)",
        "location": {"physicalLocation": {"artifactLocation": {"uri": ".policylint.yaml", "uriBaseId": "%SRCROOT%"},
                                          "region": {"startLine": 5}}},
        "properties": {"approvedBy": "@ana-núñez", "expires": "2031-01-31"}}]
    others = [r for r in _sarif()["runs"][0]["results"] if r["ruleId"] != "speckit.implementing.all-done"]
    assert all("suppressions" not in r for r in others)


def test_sarif_notices_are_tool_notifications():
    [invocation] = _sarif()["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    assert [(n["descriptor"]["id"], n["message"]["text"]) for n in invocation["toolConfigurationNotifications"]] == [
        ("PL301", "stale waiver: `team.readme` waives nothing that fails; remove it")]
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == ["PL403"]


def _moved(run, by: int):
    """The same run with every evidence line moved down by `by` lines."""
    moved = copy.deepcopy(run)
    for result in moved.results:
        for ev in result.evidence:
            if ev.line:
                ev.line += by
    return moved


def test_fingerprints_survive_lines_moving_and_tell_duplicates_apart():
    before = _sarif()["runs"][0]["results"]
    after = _sarif(_moved(fixture.build_run(), 7))["runs"][0]["results"]
    assert [_where(r)[2] for r in after] != [_where(r)[2] for r in before]
    assert [r["partialFingerprints"] for r in after] == [r["partialFingerprints"] for r in before]
    gl_before = json.loads(render("gitlab"))
    gl_after = json.loads(render("gitlab", _moved(fixture.build_run(), 7)))
    assert [i["fingerprint"] for i in gl_after] == [i["fingerprint"] for i in gl_before]
    # the two identical "retention?" questions differ only by their order
    retention = [r["partialFingerprints"]["policylint/v1"] for r in before if "retention" in r["message"]["text"]]
    assert len(retention) == 2 and retention[0] != retention[1]


def test_paths_are_prefixed_with_the_roots_place_in_its_work_tree(tmp_path):
    (tmp_path / ".git").mkdir()
    root = tmp_path / "services" / "api"
    root.mkdir(parents=True)
    run = fixture.build_run()
    run.root = str(root)
    assert _where(_results(_sarif(run), "team.changelog")[0]) == ("%SRCROOT%", "services/api/CHANGELOG.md", 3)
    assert json.loads(render("gitlab", run))[0]["location"]["path"] == "services/api/policies/team.policy"
    assert "::notice file=services/api/CHANGELOG.md,line=3," in render("github", run)
    # no work tree: a relative --root below the working directory is the prefix
    run.root = fixture.ROOT
    assert json.loads(render("gitlab", run, root_as_given="./services/api/"))[0]["location"]["path"] == \
        "services/api/policies/team.policy"
    assert json.loads(render("gitlab", run, root_as_given="../elsewhere"))[0]["location"]["path"] == \
        "policies/team.policy"


def test_sarif_of_the_sample_repository_validates(capsys):
    import jsonschema

    from policylint.cli import main

    code = main(["check", "--root", str(ROOT / "fixtures" / "speckit-demo"), "--no-cache", "-f", "sarif"])
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    results = log["runs"][0]["results"]
    assert code == 1 and results
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("fixtures/speckit-demo/")
               for r in results)


@pytest.mark.parametrize("fmt", sorted(EXTENSION))
def test_a_file_name_that_is_not_utf8_never_breaks_a_format(fmt):
    run = fixture.build_run()
    [changelog] = [r for r in run.results if r.gate == "team.changelog"]
    changelog.evidence[0].path = "docs/caf\udce9.md"  # os.listdir's view of b"caf\xe9.md"
    changelog.evidence[0].message = "bad \udcff byte"
    text = render(fmt, run)
    text.encode("utf-8")  # nothing unencodable reaches the stream
    assert "\\udce9" in text or "%E9" in text
    if fmt == "sarif":
        assert _where(_results(json.loads(text), "team.changelog")[0])[1] == "docs/caf%E9.md"


# -- JUnit ---------------------------------------------------------------------------------
def _junit(tmp_path, run=None):
    from junitparser import JUnitXml

    path = tmp_path / "report.xml"
    path.write_text(render("junit", run), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_junit_reads_back_with_junitparser(tmp_path):
    from junitparser import Error, Failure, Skipped

    suites = {s.name: s for s in _junit(tmp_path)}
    assert list(suites) == ["team", "speckit"]
    team, speckit = suites["team"], suites["speckit"]
    assert (team.tests, team.failures, team.errors, team.skipped) == (3, 2, 0, 0)
    assert (speckit.tests, speckit.failures, speckit.errors, speckit.skipped) == (13, 4, 2, 4)
    cases = {(c.classname, c.name): c for s in suites.values() for c in s}
    assert len(cases) == 16  # one per subject x gate

    [failure] = cases[("specs/001-login", "speckit.clarified.no-open-questions")].result
    assert isinstance(failure, Failure) and failure.type == "error"
    assert failure.message == "2 of 41 elements match `is_open_question(l)`"
    assert failure.text.splitlines() == [
        "No [NEEDS CLARIFICATION] markers remain",
        "specs/001-login/spec.md:12: open question: auth via [NEEDS CLARIFICATION: SSO | OAuth?] *not* _decided_ "
        "<b>yet</b> & @mona",
        "specs/001-login/spec.md:30: open question: [NEEDS CLARIFICATION: retention?]",
        "specs/001-login/spec.md:44: open question: [NEEDS CLARIFICATION: retention?]",
        "require no l in doc.lines: is_open_question(l)  → 2 of 41 elements match `is_open_question(l)`"]

    [error] = cases[("specs/002-export", "speckit.implementing.tests-pass")].result
    assert isinstance(error, Error)
    assert error.message == "cannot use `reports/junit.xml`: not well-formed (invalid token)"

    [waived] = cases[("specs/002-export", "speckit.implementing.all-done")].result
    assert isinstance(waived, Skipped)
    assert waived.message == ('waived: T014 moves to JIRA-12 | ships <next> sprint & "soon" '
                              "(approved by @ana-núñez, until 2031-01-31)")
    assert waived.text.startswith('specs/002-export/tasks.md:14: T014 is not done: Export as CSV, "quoted" \\ path')

    [skipped] = cases[("specs/002-export", "speckit.testing.coverage")].result
    assert isinstance(skipped, Skipped) and skipped.message.startswith("not required yet: applies from stage")

    assert cases[("repository", "team.readme")].result == []  # passed
    [warning] = cases[("specs/002-export", "speckit.review.style")].result
    assert warning.type == "warning" and "lower case\\x0c" in warning.text  # no raw control character
    # the multi-line message survives as an attribute
    [branch] = cases[("repository", "team.branch-name")].result
    assert branch.message == "`git.branch` is `feature/login,v2: 100%`\nexpected /^(spec|hotfix)-\\d{3}-[a-z0-9-]+$/"


def test_junit_is_well_formed_with_any_text(tmp_path):
    run = fixture.build_run()
    run.results[0].message = "nul \x00, bell \x07, surrogate \udc80, ]]> and <![CDATA[ x"
    [case] = [c for s in _junit(tmp_path, run) for c in s if c.name == "team.branch-name"]
    assert case.result[0].message == "nul \\x00, bell \\x07, surrogate \\udc80, ]]> and <![CDATA[ x"


# -- GitHub --------------------------------------------------------------------------------
def test_github_escaping_is_the_toolkits():
    from policylint.reporters.github import command, escape_data, escape_property

    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext%3A a%2C b"
    assert command("error", "line 1\n::warning::injected", file="a,b.md", line=3, title="x: y") == \
        "::error file=a%2Cb.md,line=3,title=x%3A y::line 1%0A::warning::injected"
    assert command("notice", "m") == "::notice::m"


def test_github_annotations_one_per_evidence_line():
    lines = render("github").splitlines()
    assert lines[2] == ("::warning title=speckit.numbered-specs%3A Spec folders are numbered::2 folders under "
                        "`specs/` have no number: `specs/drafts`, `specs/old`%0A"
                        "(declared in speckit/speckit.policy:30)")
    questions = [line for line in lines if "no-open-questions" in line]
    assert [re.search(r"line=(\d+)", line).group(1) for line in questions] == ["12", "30", "44"]
    assert not any("all-done" in line for line in lines)  # waived: in the summary, not annotated
    assert lines[-1] == ("policylint: ✗ 5 blocking, 3 warnings "
                         "(4 pass · 6 fail · 2 error · 1 waived · 3 skipped · 4 subjects)")


def test_github_step_summary_is_the_markdown_report_appended(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("## an earlier step", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = render("github")
    assert summary.read_text(encoding="utf-8") == "## an earlier step\n" + render("markdown")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert out == render("github")  # the annotations do not depend on the summary


def test_github_step_summary_that_cannot_be_written_warns(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder
    last_two = render("github").splitlines()[-2:]
    assert re.fullmatch(r"::warning title=policylint::cannot append the job summary to .+: Is a directory",
                        last_two[0]), last_two[0]


# -- GitLab --------------------------------------------------------------------------------
def test_gitlab_code_quality_issues():
    issues = json.loads(render("gitlab"))
    for issue in issues:
        assert set(issue) == {"type", "check_name", "description", "fingerprint", "severity", "location"}
        assert issue["location"]["lines"]["begin"] >= 1 and "\n" not in issue["description"]
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    severity = {i["check_name"]: i["severity"] for i in issues}
    assert severity == {"team.branch-name": "major", "team.changelog": "info", "speckit.numbered-specs": "minor",
                        "speckit.clarified.no-open-questions": "major", "speckit.implementing.tests-pass": "critical",
                        "speckit.review.style": "minor", "speckit.spec.claims": "critical",
                        "speckit.draft.sections": "major"}
    assert issues[0]["description"] == ("Branches are named spec-NNN-name: `git.branch` is `feature/login,v2: 100%`; "
                                         "expected /^(spec|hotfix)-\\d{3}-[a-z0-9-]+$/")
    assert not [i for i in issues if i["check_name"] == "speckit.implementing.all-done"]  # waived


# -- Markdown ------------------------------------------------------------------------------
def _html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


def _tables(rendered: str) -> list:
    tables = []
    for table in re.findall(r"<table>(.*?)</table>", rendered, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        tables.append([re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.S) for row in rows])
    return tables


def _plain(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell.replace("<br>", "\n")))


def test_markdown_renders_as_intended_with_user_text_shown_literally():
    rendered = _html(render("markdown"))
    tables = _tables(rendered)
    assert [t[0] for t in tables] == [["status", "gate", "subject", "why"],
                                      ["gate", "subject", "reason", "approved by", "until", "waiver"],
                                      ["subject", "claimed", "earned", "next", "what it lacks"]]
    for table in tables:  # no pipe in user text splits a cell
        assert len({len(row) for row in table}) == 1
    failing, waived, dashboard = tables
    why = _plain(failing[4][3])
    assert ("specs/001-login/spec.md:12 open question: auth via [NEEDS CLARIFICATION: SSO | OAuth?] *not* "
            "_decided_ <b>yet</b> & @\u200bmona") in why
    assert "<b>" not in failing[4][3] and "<em>" not in rendered and "<strong>" not in rendered.split("<table>")[1]
    assert _plain(waived[1][2]) == 'T014 moves to JIRA-12 | ships <next> sprint & "soon"'
    assert _plain(waived[1][3]) == "@ana-núñez"  # a code span: no mention
    assert [_plain(c) for c in dashboard[1][:4]] == ["specs/001-login", "clarified", "draft", "clarified"]
    assert [_plain(c) for c in dashboard[4][:4]] == ["specs/004-empty", "—", "—", "draft"]
    assert _plain(dashboard[2][4]) == "implementing.tests-pass: reports/junit.xml not well-formed (invalid token)"


def test_markdown_verdict_details_and_notices():
    text = render("markdown")
    assert text.startswith("<!-- policylint -->\n## policylint: ✗ 5 blocking, 3 warnings\n\n"
                           "4 pass · 6 fail · 2 error · 1 waived · 3 skipped · 4 subjects\n")
    assert "<details>\n<summary>1 subject passes every gate it must</summary>\n\n- `specs/003-ünïcode` · " \
           "claims draft · earned draft\n\n</details>\n" in text
    assert text.endswith("### Notices\n\n- `PL301` `.policylint.yaml:9` stale waiver: `team.readme` waives nothing "
                         "that fails; remove it\n- `PL403` `specs/002-export/tasks.md` file is not valid UTF-8: read "
                         "as Windows-1252\n")


def test_markdown_all_passing_run():
    run = fixture.build_run()
    run.results = [r for r in run.results if r.status == "pass"]
    run.notices = []
    for subject in run.subjects:
        subject.lacks, subject.next_stage = [], None
    text = render("markdown", run)
    assert text.splitlines()[1] == "## policylint: ✓ no blocking failures"
    assert "### Failing gates" not in text and "### Waived gates" not in text and "### Notices" not in text
    assert "<summary>4 subjects pass every gate they must</summary>" in text


def test_markdown_code_spans_hold_backticks_and_pipes():
    from policylint.reporters.markdown import code, md

    assert code("a`b|c") == "``a`b\\|c``"
    assert code("`x`", table=False) == "`` `x` ``"
    assert md("*a* _b_ [c](d) <e> & f|g @h #1\ni") == "\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\& f\\|g @&#8203;h \\#1<br>i"


def test_dashboard_alone_for_a_progress_file():
    from policylint.reporters.markdown import render_dashboard

    out = io.StringIO()
    render_dashboard(fixture.build_run(), out, fixture.options())
    lines = out.getvalue().splitlines()
    assert lines[:4] == ["# Stage dashboard", "", "| subject | claimed | earned | next | what it lacks |",
                         "| --- | --- | --- | --- | --- |"]
    assert len(lines) == 8


@pytest.mark.parametrize("fmt", sorted(EXTENSION))
def test_every_format_of_the_sample_repository(fmt, capsys):
    """Through the command line, on the demo repository: it renders, and exits as text does."""
    from policylint.cli import main

    args = ["check", "--root", str(ROOT / "fixtures" / "speckit-demo"), "--no-cache"]
    text_code = main(args)
    capsys.readouterr()
    assert main(args + ["-f", fmt]) == text_code
    out = capsys.readouterr().out
    assert out.strip()
    if fmt in ("sarif", "gitlab"):
        json.loads(out)
    if fmt == "junit":
        import xml.etree.ElementTree as ET

        assert ET.fromstring(out.encode("utf-8")).tag == "testsuites"


# -- every format on the sample repository ------------------------------------------------------
DEMO_GOLDENS = Path(__file__).resolve().parents[1] / "cases" / "reporters" / "demo"
DEMO_EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "github": "txt",
                   "gitlab": "json", "markdown": "md", "progress": "md"}


@pytest.mark.parametrize("fmt", sorted(DEMO_EXTENSIONS))
def test_every_format_on_the_sample_repository_matches_its_golden(fmt, monkeypatch, capsys):
    from policylint.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    code = main(["check", "--root", "fixtures/speckit-demo", "-f", fmt])
    out = capsys.readouterr().out
    assert code == 1  # every format exits as text does
    assert_golden(DEMO_GOLDENS / f"{fmt}.{DEMO_EXTENSIONS[fmt]}", out.encode("utf-8"), fmt)


# -- several packs -----------------------------------------------------------------------------

def test_text_groups_a_run_of_several_packs_by_pack(tmp_path, capsys):
    from policylint.cli import main

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "alpha.policy").write_text(
        'pack alpha "Alpha" version "1.0.0"\n'
        'gate readme "A README" { require exists("README.md") else "no README.md" }\n'
        'lifecycle doc in glob("docs/*.md") {\n  stage written {\n'
        '    gate titled "Has a title" { require text(doc) matches /^# / }\n  }\n}\n', encoding="utf-8")
    (tmp_path / "beta.policy").write_text(
        'pack beta "Beta" version "1.0.0"\n'
        'gate license "A LICENSE" warning { require exists("LICENSE") else "no LICENSE" }\n', encoding="utf-8")
    code = main(["check", "--root", str(tmp_path), "--pack", str(tmp_path / "alpha.policy"),
                 "--pack", str(tmp_path / "beta.policy"), "--no-cache"])
    assert code == 1
    assert capsys.readouterr().out == (
        "━━ alpha ✗ 1 blocking  (1 pass, 1 fail · 1 subject)\n"
        "\n"
        "repository\n"
        "  FAIL   alpha.readme  A README\n"
        "         README.md  no README.md\n"
        "         require exists(\"README.md\")  → no README.md (`exists(\"README.md\")` is false)\n"
        "\n"
        "docs/a.md  earned written  ✓\n"
        "\n"
        "━━ beta ✓ no blocking failures, 1 warning  (1 fail)\n"
        "\n"
        "repository\n"
        "  FAIL   beta.license  A LICENSE (warning)\n"
        "         LICENSE  no LICENSE\n"
        "         require exists(\"LICENSE\")  → no LICENSE (`exists(\"LICENSE\")` is false)\n"
        "\n"
        "✗ 1 blocking, 1 warning  (1 pass, 2 fail, 0 error, 0 waived, 0 skipped · 1 subject)\n")


def test_text_shows_errors_with_one_cause_once(tmp_path, capsys):
    from policylint.cli import main

    (tmp_path / "c.policy").write_text(
        'pack c "C" version "1.0.0"\n'
        'gate one "First" { require count(git.commits) < 5 }\n'
        'gate two "Second" warning { require every x in git.commits: x.subject != "" }\n'
        'gate three "Third" { require exists("README.md") }\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("# hi\n", encoding="utf-8")
    main(["check", "--root", str(tmp_path), "--pack", str(tmp_path / "c.policy"), "--no-cache"])
    assert capsys.readouterr().out == (
        "repository\n"
        "  ERROR  2 gates stopped by the same error\n"
        "         c.one  First\n"
        "         c.two  Second (warning)\n"
        "         git  the root is not inside a git repository\n"
        "\n"
        "✗ 1 blocking, 1 warning  (1 pass, 0 fail, 2 error, 0 waived, 0 skipped · 0 subjects)\n")
