"""The coverage loader: the same program through every format, the Repo side, hostile input,
streaming, the command line and a gate.

Its cases are folders under tests/cases/loaders/coverage/ (one report each), run by
tests/test_cases.py in the format tests/caserunner.py describes; here every case must say
where its report comes from (`source:`, the tool and version that wrote it, or the corpus
file it was copied from), and `oracle:` gives the figures the producing tool reports itself.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from caserunner import LoaderCase, load, loader_cases, plain
from conftest import CORPUS, ROOT, make_repo, run_policy
from policylint.errors import ArtifactError, ArtifactMissing
from policylint.loaders import _coverage_formats as formats
from policylint.loaders.coverage import COVERAGE, COVERAGE_FILE, load_coverage, parse_coverage
from policylint.repo import Repo
from policylint.types import NUMBER, element_type

CASES = Path(__file__).parents[1] / "cases" / "loaders" / "coverage"
FIGURES = ("lines", "branches", "functions", "statements")
CASE_LIST = loader_cases("coverage")


def report_of(name: str) -> bytes:
    return LoaderCase("coverage", CASES / name).file.read_bytes()


def outcome(case: LoaderCase):
    """What the loader makes of a case: its plain view, or its error."""
    try:
        return plain(load(case))
    except ArtifactError as error:
        return {"path": error.path, "line": error.line, "message": error.message}


def test_every_case_says_where_its_report_comes_from():
    for case in CASE_LIST:
        assert case.spec.get("source"), case


@pytest.mark.parametrize("chunk", [7, 61])
@pytest.mark.parametrize("case", CASE_LIST, ids=str)
def test_case_read_a_few_bytes_at_a_time(case, chunk, monkeypatch):
    """Streaming: cutting the report into tiny chunks (tags, numbers, JSON keys, UTF-8
    characters and CRLF split anywhere) changes nothing."""
    whole = outcome(case)
    monkeypatch.setattr(formats, "CHUNK", chunk)
    monkeypatch.setattr(formats, "SNIFF", 16)
    assert outcome(case) == whole


def test_every_format_has_two_real_producers():
    producers: dict = {}
    for case in CASE_LIST:
        spec = case.spec
        tool = " ".join(spec["source"].split()[:2])  # "coverage.py 7.4.4", "gcovr 8.8", …
        if "want" in spec and not tool.startswith(("derived", "hand-written")):
            producers.setdefault(spec["want"]["format"], set()).add(tool)
    assert sorted(producers) == sorted(formats.FORMATS)
    for fmt, tools in producers.items():
        assert len(tools) >= 2, f"{fmt}: {tools}"


# -- the same program, measured once, read from every format its tool writes ----------------

def figures(view, name: str | None = None) -> dict:
    """`{figure: (covered, total)}` of the whole report, or of its file `name`."""
    if name is not None:
        matches = [f for f in view["files"] if f["path"] == name or f["path"].endswith("/" + name)]
        assert len(matches) == 1, name
        view = matches[0]
    return {figure: (view[f"{figure}_covered"], view[f"{figure}_total"]) for figure in FIGURES}


def load_case(name: str):
    return load(LoaderCase("coverage", CASES / name))


# group: (cases, the file to compare or None for the totals, {figure: (covered, total)});
# a figure a format does not carry (null counts) or that its writer leaves at 0 of 0 is
# skipped for that format, and named in SKIPPED.
SAME_PROGRAM = {
    # ../shared/corpus/README.md: "Python (coverage.py): lines = statements 8/10, branches 3/4, functions 2/3"
    "corpus python calc.py": (["cobertura-coveragepy-7.17", "coveragepy-json-7.17", "lcov-coveragepy-7.17"], "calc.py",
                              {"lines": (8, 10), "statements": (8, 10), "branches": (3, 4), "functions": (2, 3)}),
    # "JavaScript (istanbul): lines = statements 6/8, branches 3/4, functions 2/3"
    "corpus javascript calc.js": (["cobertura-istanbul-jest", "clover-istanbul-jest", "lcov-istanbul-jest",
                                   "istanbul-summary-jest"], None,
                                  {"lines": (6, 8), "statements": (6, 8), "branches": (3, 4), "functions": (2, 3)}),
    "coverage.py 7.4 and 7.17 on calc.py": (["coveragepy-json-7.4", "coveragepy-json-nobranch",
                                              "cobertura-coveragepy-nobranch"], "calc.py",
                                             {"lines": (8, 10), "statements": (8, 10), "branches": (3, 4),
                                              "functions": (2, 3)}),
    "c8 on calc.js": (["cobertura-c8-istanbul", "clover-c8-istanbul", "lcov-c8-istanbul", "istanbul-summary-c8"], None,
                      {"lines": (10, 15), "statements": (10, 15), "branches": (4, 5), "functions": (2, 3)}),
    "gcovr and lcov on calc.c": (["cobertura-gcovr-c", "jacoco-gcovr-c", "lcov-gcovr-c", "clover-gcovr-c",
                                  "lcov-geninfo-1.16"], None,
                                 {"lines": (12, 15), "branches": (6, 10), "functions": (3, 4)}),
    "JaCoCo and Cobertura on Calc.java": (["jacoco-java-0.8.6", "cobertura-java-2.1.1", "cobertura-java-no-root-counts"],
                                          "Calc.java", {"lines": (5, 8), "branches": (3, 4), "functions": (2, 4)}),
    "JaCoCo and Cobertura on CalcMain.java": (["jacoco-java-0.8.6", "cobertura-java-2.1.1"], "CalcMain.java",
                                              {"lines": (7, 9), "branches": (2, 4), "functions": (2, 3)}),
}
SKIPPED = {  # (case, figure): why that format has no such figure here
    ("cobertura-coveragepy-7.17", "functions"): "coverage.py writes `<methods/>`",
    ("cobertura-coveragepy-nobranch", "functions"): "coverage.py writes `<methods/>`",
    ("cobertura-coveragepy-nobranch", "branches"): "measured without --branch",
    ("coveragepy-json-nobranch", "branches"): "measured without --branch",
    ("coveragepy-json-7.4", "functions"): "JSON format 2 has no functions",
    ("clover-gcovr-c", "branches"): "gcovr writes conditionals=0 in Clover",
    ("clover-gcovr-c", "functions"): "gcovr writes methods=0 in Clover",
}


@pytest.mark.parametrize("group", sorted(SAME_PROGRAM))
def test_same_program_gives_the_same_figures_in_every_format(group):
    cases, name, expected = SAME_PROGRAM[group]
    for case in cases:
        view = load_case(case)
        target = view if name is None else [f for f in view["files"] if f["path"].endswith(name)][0]
        for figure, (covered, total) in figures(view, name).items():
            if (case, figure) in SKIPPED:
                assert not total and target[figure] is None, (case, figure)
            elif total is None:  # Cobertura, LCOV and JaCoCo have no statements
                assert figure == "statements" and target[figure] is None, (case, figure)
            elif figure in expected:
                assert (covered, total) == expected[figure], (case, figure)
                assert target[figure] == pytest.approx(covered * 100 / total)


def test_formats_without_statements_say_null():
    for case in ("cobertura-istanbul-jest", "lcov-istanbul-jest", "jacoco-java-0.8.6"):
        view = load_case(case)
        assert (view["statements"], view["statements_covered"], view["statements_total"]) == (None, None, None)


def test_coverage_py_statements_are_its_lines_not_the_combined_percent():
    """coverage report's Cover column (85.7 % here) mixes statements and branches."""
    view = load_case("coveragepy-json-7.17")
    assert view["lines"] == view["statements"] == 87.5
    assert view["branches"] == 75.0
    calc = view["files"][0]
    assert (calc["path"], calc["lines"], calc["statements"]) == ("calc.py", 80.0, 80.0)


def test_jacoco_absent_counter_is_nothing_to_measure_not_zero():
    greeter = [f for f in load_case("jacoco-java-0.8.6")["files"] if f["path"].endswith("Greeter.java")][0]
    assert (greeter["branches_covered"], greeter["branches_total"], greeter["branches"]) == (0, 0, None)
    assert greeter["lines"] == 100.0


@pytest.mark.skipif(not (CORPUS / "reports").is_dir(), reason="the shared corpus is not here")
def test_cases_copied_from_the_corpus_are_the_corpus_files():
    copies = {
        "cobertura-coveragepy-7.17": "generated/py/coverage.xml",
        "coveragepy-json-7.17": "generated/py/coverage.json",
        "lcov-coveragepy-7.17": "generated/py/coverage.lcov",
        "cobertura-istanbul-jest": "generated/js/cobertura-coverage.xml",
        "clover-istanbul-jest": "generated/js/clover.xml",
        "lcov-istanbul-jest": "generated/js/lcov.info",
        "istanbul-summary-jest": "generated/js/coverage-summary.json",
        "clover-istanbul-packages": "diff-cover/clover.xml",
        "cobertura-coverlet-bom": "diff-cover/dotnet_coverage.xml",
        "cobertura-luacov-no-declaration": "diff-cover/luacoverage.xml",
        "cobertura-coveragepy-3.6-no-root-counts": "diff-cover/coverage.xml",
        "lcov-2.2-fnl-fna": "diff-cover/cpp_functions_coverage.lcov",
        "lcov-wrong-totals": "diff-cover/lcov.info",
        "lcov-typescript": "diff-cover/real_typescript_coverage.lcov",
        "lcov-python-several-files": "diff-cover/real_python_coverage.lcov",
    }
    for case, corpus_file in copies.items():
        assert report_of(case) == (CORPUS / "reports" / corpus_file).read_bytes(), case


# -- the view's type ------------------------------------------------------------------------

def test_the_record_types_declare_every_field_the_loader_fills():
    view = load_case("coveragepy-json-7.17")
    assert set(view.fields) == set(COVERAGE.fields)
    assert set(view["files"][0].fields) == set(COVERAGE_FILE.fields)
    assert element_type(COVERAGE) == COVERAGE_FILE
    assert all(COVERAGE.field_type(f) == NUMBER for f in FIGURES)
    assert all(doc for _, doc in COVERAGE.fields.values())


def test_a_file_is_located_at_its_entry_in_the_report():
    view = load_case("lcov-coveragepy-7.17")
    assert [(str(f.loc), f["path"], f["path"].loc.line) for f in view["files"]] == \
        [("coverage.lcov:1", "calc.py", 1), ("coverage.lcov:29", "test_calc.py", 29)]
    assert str(view["path"]) == "coverage.lcov"


# -- LCOV details ------------------------------------------------------------------------------

def lcov(text: str):
    return parse_coverage(text.encode(), "lcov.info")


def test_lcov_records_of_one_file_merge_by_line_branch_and_function():
    first = ("SF:a.c\nFNL:0,3,5\nFNA:0,0,f\nFNL:1,7\nFNA:1,2,g\nDA:3,0\nDA:4,0\nDA:7,2\n"
             "BRDA:3,0,0,-\nBRDA:3,0,1,-\nend_of_record\n")
    other = "SF:b.c\nDA:1,1\nend_of_record\n"
    again = "TN:second\nSF:./a.c\nFNL:0,7\nFNA:0,0,g\nFNL:1,3,5\nFNA:1,1,f\nDA:3,1\nDA:4,0\nBRDA:3,0,1,1\nend_of_record\n"
    view = lcov(first + other + again)
    assert [f["path"] for f in view["files"]] == ["a.c", "b.c"]
    a = view["files"][0]
    assert str(a.loc) == "lcov.info:1"
    assert figures(a) == {"lines": (2, 3), "branches": (1, 2), "functions": (2, 2), "statements": (None, None)}
    assert figures(view)["lines"] == (3, 4)


def test_lcov_tolerates_crlf_blank_lines_and_comments():
    view = lcov("# written by hand\r\nTN:\r\nSF:a.py\r\n\r\nDA:1,1\r\nDA:2,0\r\nend_of_record\r\n")
    assert figures(view)["lines"] == (1, 2) and view["files"][0]["path"] == "a.py"


@pytest.mark.parametrize("text, line, message", [
    ("DA:1,1\n", 1, ("unknown coverage format: text that is not LCOV (it starts with `DA:1,1`) "
                     f"(known: {formats.KNOWN_FORMATS})")),
    ("TN:\nDA:1,1\n", 2, "LCOV: `DA` outside a file's record (no `SF:` before it)"),
    ("SF:a\nDA:1\nend_of_record\n", 2, "LCOV: `DA` needs `line,hits`: `DA:1`"),
    ("SF:a\nBRDA:1,0,1\nend_of_record\n", 2, "LCOV: `BRDA` needs `line,block,branch,taken`: `BRDA:1,0,1`"),
    ("SF:a\nSF:b\nend_of_record\n", 2, "LCOV: `SF:b` starts before the record of `a` ends (no `end_of_record`)"),
    ("SF:a\nthis is not lcov\nend_of_record\n", 2, "not an LCOV line: `this is not lcov`"),
    ("SF:a\nFNA:0,x,f\nend_of_record\n", 2, "LCOV: `FNA` hits is not a whole number: `x`"),
])
def test_lcov_errors_name_the_line(text, line, message):
    with pytest.raises(ArtifactError) as caught:
        lcov(text)
    assert (caught.value.path, caught.value.line, caught.value.message) == ("lcov.info", line, message)


# -- shapes the cases do not show ------------------------------------------------------------

def xml(text: str):
    return parse_coverage(text.encode(), "c.xml")


def test_cobertura_classes_of_one_file_add_up_and_method_only_lines_count():
    view = xml("""<coverage line-rate="0.5"><packages><package name="p"><classes>
<class name="p.Outer" filename="p/Outer.java"><methods/><lines>
  <line number="3" hits="1"/><line number="4" hits="0"/></lines></class>
<class name="p.Outer$Inner" filename="p/Outer.java"><methods/><lines>
  <line number="9" hits="2" branch="true" condition-coverage="50% (1/2)"/></lines></class>
<class name="q.Only" filename="q/Only.java"><methods><method name="m" signature="()V"><lines>
  <line number="5" hits="0"/><line number="6" hits="1"/></lines></method></methods><lines/></class>
</classes></package></packages></coverage>""")
    outer, only = view["files"]
    assert (outer["path"], str(outer.loc)) == ("p/Outer.java", "c.xml:2")
    assert figures(outer) == {"lines": (2, 3), "branches": (1, 2), "functions": (0, 0), "statements": (None, None)}
    assert figures(only) == {"lines": (1, 2), "branches": (0, 0), "functions": (1, 1), "statements": (None, None)}
    assert figures(view)["lines"] == (3, 5)


def test_openclover_conditions_without_count_and_its_testproject():
    view = xml("""<coverage generated="1" clover="4.4.1"><project name="p" timestamp="1">
<metrics statements="2" coveredstatements="1" conditionals="2" coveredconditionals="1" methods="1" coveredmethods="1"/>
<package name="a"><file name="A.java" path="/src/a/A.java">
<metrics statements="2" coveredstatements="1" conditionals="2" coveredconditionals="1" methods="1" coveredmethods="1"/>
<line num="3" count="1" type="method" signature="f() : void"/><line num="4" truecount="0" falsecount="1" type="cond"/>
<line num="5" count="0" type="stmt"/></file></package></project>
<testproject name="t" timestamp="1"><metrics statements="9" coveredstatements="9"/>
<package name="t"><file name="ATest.java" path="/test/ATest.java"><line num="1" count="1" type="stmt"/></file></package>
</testproject></coverage>""")
    assert [f["path"] for f in view["files"]] == ["/src/a/A.java"]
    assert figures(view) == {"lines": (1, 2), "branches": (1, 2), "functions": (1, 1), "statements": (1, 2)}


def test_a_bare_coverage_root_measures_nothing():
    with pytest.raises(ArtifactError) as caught:
        xml("<coverage/>")
    assert caught.value.message == "the cobertura report measures no file: nothing to read coverage from"


def test_json_without_totals_adds_up_its_files():
    view = parse_coverage(json.dumps({
        "/a.js": {"lines": {"total": 4, "covered": 3, "skipped": 0, "pct": 75}},
        "/b.js": {"lines": {"total": 6, "covered": 1, "skipped": 0, "pct": 16.66}},
    }).encode(), "s.json")
    assert (view["format"], figures(view)["lines"], view["branches_total"]) == ("istanbul-json-summary", (4, 10), None)
    view = parse_coverage(b'{"meta": {"version": "5.5"}, "files": {"a.py": {"summary": '
                          b'{"covered_lines": 1, "num_statements": 2}}}}', "c.json")
    assert (view["format"], view["lines"], view["statements"], view["functions"]) == ("coverage.py-json", 50.0, 50.0, None)


# -- hostile input beyond the cases -------------------------------------------------------------

def test_deeply_nested_json_is_refused():
    data = b'{"total": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ArtifactError) as caught:
        parse_coverage(data, "c.json")
    assert (caught.value.line, caught.value.message) == (1, "refused: the JSON is nested too deeply")


def test_deeply_nested_xml_is_read_without_recursion():
    data = b"<report>" + b"<group>" * 50_000 + b"</group>" * 50_000 + b'<counter type="LINE" missed="1" covered="1"/></report>'
    assert figures(parse_coverage(data, "j.xml"))["lines"] == (1, 2)


def test_xml_after_the_root_is_an_error_with_its_line():
    data = (CASES / "cobertura-istanbul-jest" / "cobertura-coverage.xml").read_bytes() + b"<coverage/>\n"
    with pytest.raises(ArtifactError) as caught:
        parse_coverage(data, "c.xml")
    assert (caught.value.line, caught.value.message) == (43, "not well-formed XML: junk after document element")


def test_json_with_trailing_data_is_an_error():
    with pytest.raises(ArtifactError) as caught:
        parse_coverage(b'{"total": {"lines": {"total": 2, "covered": 1}}}\n{}', "s.json")
    assert (caught.value.line, caught.value.message) == (2, "not valid JSON: extra data after the report")


def test_counts_that_are_not_numbers_are_errors_not_zero():
    with pytest.raises(ArtifactError) as caught:
        parse_coverage(b'{"meta": {}, "files": {"a.py": {"summary": {"covered_lines": "8", "num_statements": 10}}}}',
                       "c.json")
    assert (caught.value.line, caught.value.message) == \
        (1, "coverage.py JSON: `covered_lines` of the summary of file `a.py` is `8`, not a count")


# -- through a Repo ------------------------------------------------------------------------------

def copy_case(root: Path, case: str, as_name: str) -> None:
    make_repo(root, {as_name: report_of(case)})


def test_load_through_the_repo_once(tmp_path):
    copy_case(tmp_path, "cobertura-coveragepy-7.17", "reports/coverage.xml")
    repo = Repo(tmp_path)
    view = load_coverage(repo, "reports/coverage.xml")
    assert view is load_coverage(repo, "./reports/coverage.xml")
    assert (view["format"], view["lines_covered"], view["lines_total"], str(view.loc)) == \
        ("cobertura", 21, 24, "reports/coverage.xml:1")
    assert str(view["files"][0].loc) == "reports/coverage.xml:11"


def test_repo_errors(tmp_path, monkeypatch):
    copy_case(tmp_path, "lcov-istanbul-jest", "lcov.info")
    (tmp_path / "folder").mkdir()
    repo = Repo(tmp_path)
    with pytest.raises(ArtifactMissing) as missing:
        load_coverage(repo, "coverage.xml")
    assert (missing.value.path, missing.value.message) == ("coverage.xml", "file not found")
    with pytest.raises(ArtifactError) as folder:
        load_coverage(repo, "folder")
    assert folder.value.message == "is a folder, expected a file"
    with pytest.raises(ArtifactError) as outside:
        load_coverage(repo, "../etc/passwd")
    assert outside.value.message == "path leaves the repository root"
    import policylint.repo

    monkeypatch.setattr(policylint.repo, "MAX_FILE_BYTES", 100)
    with pytest.raises(ArtifactError) as large:
        load_coverage(Repo(tmp_path), "lcov.info")
    assert large.value.message == "file is too large to read: 251 bytes, the limit is 100 bytes"


def test_memory_follows_a_file_entry_not_the_report(tmp_path):
    """A 7 MB Cobertura of 400 files loads with a peak far below its size (the benchmark
    prints the figures for 20 MB)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_coverage import write_cobertura
    finally:
        sys.path.pop(0)
    size = write_cobertura(tmp_path / "coverage.xml", files=400, lines_per_file=400)
    assert size > 6_000_000
    load_coverage(Repo(tmp_path), "coverage.xml")  # imports done before measuring
    tracemalloc.start()
    try:
        view = load_coverage(Repo(tmp_path), "coverage.xml")
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(view["files"]) == 400 and view["lines_total"] == 160_000
    # what is kept is the view (400 file records); reading adds a few chunks on top
    assert peak - kept < 1_000_000, f"reading took {peak - kept} bytes beyond the view"
    assert peak < size / 5, f"peak {peak} bytes for a {size}-byte report"


# -- the command line and a gate --------------------------------------------------------------------

def test_inspect_prints_the_four_figures(tmp_path, capsys):
    from policylint.cli import main

    copy_case(tmp_path, "istanbul-summary-jest", "coverage/coverage-summary.json")
    assert main(["inspect", "coverage", "coverage/coverage-summary.json", "--root", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in ("format", *FIGURES)} == {"format": "istanbul-json-summary", "lines": 75.0,
                                                         "branches": 75.0, "functions": 200 / 3, "statements": 75.0}
    assert list(data)[:6] == ["@", "format", *FIGURES]
    assert data["files"][0]["@"] == "coverage/coverage-summary.json:2"


def test_inspect_a_broken_report_exits_2_with_the_line(tmp_path, capsys):
    from policylint.cli import main

    copy_case(tmp_path, "err-xml-truncated", "coverage.xml")
    assert main(["inspect", "coverage", "coverage.xml", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == \
        "policylint: error[PL405] coverage.xml:21: not well-formed XML: no element found\n"


def test_gates_on_coverage(tmp_path):
    policy = '''pack p "P" version "1"
gate lines "line coverage" { require coverage("coverage.xml").lines >= 80% }
gate branches "branch coverage" { require coverage("coverage.xml").branches >= 80% }
gate per-file "every file" {
  require every f in coverage("coverage.xml"): f.lines >= 85% else "{f.path} has {f.lines_covered} of {f.lines_total} lines"
}
gate missing "a missing report" { require coverage("nope.xml").lines >= 0 }
gate broken "a broken report" { require coverage("broken.lcov").lines >= 0 }
'''
    run = run_policy(tmp_path, policy, {"coverage.xml": report_of("cobertura-coveragepy-7.17"),
                                        "broken.lcov": "SF:a\nDA:1,1\n"})
    results = {r.gate: r for r in run.results}
    assert results["p.lines"].status == "pass"  # 21/24 = 87.5 %
    assert results["p.branches"].status == "fail"  # 3/4
    per_file = results["p.per-file"]
    assert per_file.status == "fail"
    assert [(e.path, e.line, e.message) for e in per_file.evidence] == \
        [("coverage.xml", 11, "calc.py has 8 of 10 lines")]
    assert results["p.missing"].status == "fail"
    broken = results["p.broken"]
    assert broken.status == "error"
    assert [(e.path, e.line, e.message) for e in broken.evidence] == \
        [("broken.lcov", 1, "LCOV: the record of `a` has no `end_of_record` (is the file cut short?)")]


def test_importing_the_loader_imports_no_parser():
    code = ("import sys; import policylint.loaders.coverage; "
            "print(sorted(m for m in ('json', 'xml.parsers.expat', 'defusedxml', 'policylint.loaders._coverage_formats')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
