"""junit(path): a JUnit XML test report, recounted from its test cases.

Reads what pytest (`--junitxml`, xunit1 and xunit2), jest-junit, Maven Surefire (and
Failsafe), PHPUnit (`--log-junit`), Jenkins and most other runners write: a `<testsuites>`
root holding `<testsuite>` elements, or a bare `<testsuite>` root; suites may nest (PHPUnit
puts a suite per class, and one per data provider, inside a suite per directory), and
`<testcase>` elements may sit in any suite or directly under `<testsuites>`. A UTF-8
byte-order mark is skipped; another encoding is read when the XML declaration names it.
`every c in junit("reports/junit.xml"): c.status == "passed"` walks the test cases.

Fields of `JUnit`:

- `tests`, `passed`, `failed`, `errors`, `skipped`: how many test cases, and how many of
  them have each status (so `tests == passed + failed + errors + skipped`).
- `flaky`: how many passed only on a rerun; `warnings`: how many carry a `<warning>`.
- `cases`: every `<testcase>`, in document order; `suites`: every `<testsuite>`, nested
  ones included, in document order.
- `time`: seconds, from the root's `time` attribute, else the sum of the top-level suites'
  (or of the cases'), or null when nothing says.
- `path`: the file.

**The counts come from the test cases, never from the `tests`/`failures`/`errors`/`skipped`
attributes**, which are often missing and sometimes wrong: Surefire rewrites them with the
figures of its last rerun (a suite of 8 tests that was rerun twice says `tests="3"`),
jest-junit leaves out the cases of a suite that failed to run, and a suite's figures may or
may not include its nested suites. When the attributes disagree with the cases, the cases
win. A report with no test case at all reads as `tests == 0`, which a gate can reject.

Each `TestCase` is located at its `<testcase>` line and has:

- `name`, `classname` (`classname`, else PHPUnit's `class` attribute; empty when neither),
  and `id`, the two joined by a dot (`test_calc.test_add`); just the name when it already
  begins with the class name (jest-junit writes `calc adds` for both), or when either is empty.
- `suite`: the name of the `<testsuite>` that holds it (empty directly under `<testsuites>`).
- `file`: its `file` attribute (pytest's xunit1, PHPUnit, jest-junit with `addFileAttribute`),
  or null.
- `status`: `passed`, `failed`, `error` or `skipped`, decided by its child elements:
  an `<error>` or `<rerunError>` makes it `error`; else a `<failure>` or `<rerunFailure>`
  makes it `failed`; else a `<skipped>` makes it `skipped`; else it `passed`. So a case
  with both a failure and an error (Surefire: the first run failed and a rerun errored) is
  an `error`, as Surefire counts it.
- `flaky`: it passed, but only on a rerun. Surefire (`rerunFailingTestsCount`) writes a
  `<flakyFailure>` or `<flakyError>` for each failed run of a test that then passed: the
  test counts as passed. A test that failed on every run keeps its `<failure>`/`<error>`
  for the first run and a `<rerunFailure>`/`<rerunError>` for each rerun: it counts once, as
  failed (or error), and is not flaky.
- `warning`: PHPUnit wrote a `<warning>` for it; the test still passed (PHPUnit exits 0).
- `message`: why it did not simply pass: the `message` attribute of the element that
  decided its status (for a flaky test, its first failed run; for a PHPUnit warning, the
  warning), else the first line of that element's text (jest-junit and PHPUnit write no
  `message`; PHPUnit's leading `Class::test` line is skipped). Null for a plain pass and
  for a skip that gives no reason.
- `type`: that element's `type` attribute (`AssertionError`, `pytest.xfail`,
  `java.lang.IllegalStateException`), or null.
- `details`: that element's text (for Surefire's rerun and flaky elements, their
  `<stackTrace>`): the traceback or stack, its first 20 lines; null when there is none.
- `time`: seconds, or null; `assertions`: PHPUnit's count of assertions, or null.

How producers map onto this: pytest writes a skipped test and an xfail as `<skipped>`
(`type` tells them apart: `pytest.skip`, `pytest.xfail`), an unexpected pass as a pass (a
strict one as a failure), an exception in the test itself as `<failure>`, and a fixture
that breaks as `<error>` (`failed on setup with …`); a test that fails and whose teardown
then breaks appears twice, once failed and once as an error. jest-junit writes `test.todo`
as a passing case. PHPUnit writes an incomplete test as `<skipped>` and a risky one as an
`<error>`. A Surefire class whose `@BeforeAll` throws is one case with an empty name.

Errors, each naming the file and, where there is one, the line: a missing file fails the
gate; an empty file, XML that is not well-formed (a truncated report), bytes that are not
valid UTF-8 when the declaration names no other encoding, a DOCTYPE that declares entities
(never expanded: no "billion laughs", no external entity is fetched), a root element other
than `<testsuites>` or `<testsuite>`, or suites nested more than 100 deep.
"""
from __future__ import annotations

import math
import re

from ..errors import ArtifactError
from ..fastpath import gc_paused
from ..signature import loader
from ..types import BOOL, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record

MAX_DEPTH = 100  # nested <testsuite> levels; real reports nest a handful
DETAIL_LINES = 20  # lines of a failure's text kept in `details`
DETAIL_CHARS = 4000  # … and at most this many characters of them

TEST_CASE = record("TestCase", "One `<testcase>` of a JUnit report.", {
    "name": (STR, "the test's name"),
    "classname": (STR, "its class (or module, or describe block), or empty"),
    "id": (STR, "classname and name joined by a dot: `test_calc.test_add`"),
    "suite": (STR, "name of the enclosing `<testsuite>`, or empty"),
    "file": (STR, "its `file` attribute, or null"),
    "status": (STR, "`passed`, `failed`, `error` or `skipped`"),
    "flaky": (BOOL, "passed only on a rerun (Surefire `<flakyFailure>`/`<flakyError>`)"),
    "warning": (BOOL, "carries a PHPUnit `<warning>` (and still passed)"),
    "message": (STR, "the failure, error, skip or flaky message, or null"),
    "type": (STR, "the `type` attribute of that element, or null"),
    "details": (STR, "the text of that element (traceback, stack), first lines; or null"),
    "time": (NUMBER, "seconds, or null"),
    "assertions": (NUMBER, "PHPUnit's assertion count, or null"),
})
TEST_SUITE = record("TestSuite", "One `<testsuite>` of a JUnit report, counted from its cases.", {
    "name": (STR, "its name"),
    "file": (STR, "its `file` attribute (PHPUnit), or null"),
    "tests": (NUMBER, "test cases in it, nested suites included"),
    "passed": (NUMBER, "of those, how many passed"),
    "failed": (NUMBER, "how many failed"),
    "errors": (NUMBER, "how many errored"),
    "skipped": (NUMBER, "how many were skipped"),
    "time": (NUMBER, "its `time` attribute in seconds, or null"),
    "timestamp": (STR, "its `timestamp` attribute, or null"),
    "cases": (List(TEST_CASE), "its test cases, nested suites included"),
})
JUNIT = record("JUnit", "A JUnit XML report; walking it walks its test cases.", {
    "tests": (NUMBER, "how many test cases"),
    "passed": (NUMBER, "test cases that passed (flaky ones included)"),
    "failed": (NUMBER, "test cases that failed"),
    "errors": (NUMBER, "test cases that errored"),
    "skipped": (NUMBER, "test cases that were skipped"),
    "flaky": (NUMBER, "test cases that passed only on a rerun"),
    "warnings": (NUMBER, "test cases with a PHPUnit `<warning>`"),
    "time": (NUMBER, "seconds the run took, or null"),
    "cases": (List(TEST_CASE), "every test case, in document order"),
    "suites": (List(TEST_SUITE), "every test suite, nested ones included, in document order"),
    "path": (PATH, "the file"),
}, iterates="cases")

STATUSES = ("passed", "failed", "error", "skipped")
_COUNT_FIELD = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped"}
_FLAKY = ("flakyFailure", "flakyError")
_SEPARATORS = " .:#/"  # after a class name that a test name repeats: `a.B.test`, `calc adds`
_ENCODING_DECLARATION = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@loader("junit", args={"path": STR}, returns=JUNIT,
        doc="A JUnit XML test report: tests, passed, failed, errors, skipped, and each test case.")
def load_junit(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("junit", relpath), lambda: parse_junit(repo.read_bytes(relpath), relpath))


def parse_junit(data: bytes, relpath: str) -> Record:
    """The `JUnit` record of a report's bytes, as if read from `relpath` (no file access)."""
    from .xmlsafe import parse_xml

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body.strip():
        raise ArtifactError(relpath, "file is empty: expected a JUnit XML report")
    with gc_paused():  # many small objects and no cycles: collecting while the heap grows costs most of the time
        try:
            doc = parse_xml(data, relpath)
        except ArtifactError as exc:
            raise _encoding_problem(body, relpath, exc) or exc from None
        return _Reader(doc, relpath).report()


def _encoding_problem(body: bytes, relpath: str, parse_error: ArtifactError):
    """A clearer error when expat's "invalid token" is really a byte that is not UTF-8."""
    if "invalid token" not in parse_error.message:
        return None
    declared = _ENCODING_DECLARATION.match(body)
    if declared and declared.group(1).decode("ascii").lower() not in ("utf-8", "utf8"):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        if line != parse_error.line:
            return None
        return ArtifactError(relpath, f"not valid UTF-8: byte 0x{body[exc.start]:02X} cannot be decoded "
                                      "(a JUnit report must be UTF-8 unless its XML declaration names "
                                      "another encoding)", line)
    return None


def _local(tag) -> str:
    """The tag without a namespace: `{urn:x}testcase` -> `testcase`."""
    if tag.__class__ is not str:
        return ""  # a comment or processing instruction
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _number(text):
    """A number attribute: `0.012`, `1,234.5` (old Surefire), `0,5`; null when not a number."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return _finite(value, text)
    text = text.strip()
    text = text.replace(",", "") if "." in text else text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return _finite(value, text)


def _finite(value: float, text: str):
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _first_lines(text: str) -> str | None:
    """The first DETAIL_LINES lines of a failure's text, blank edges removed; None when blank."""
    if text is None:
        return None
    lines = text.strip("\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    kept = "\n".join(line.rstrip() for line in lines[:DETAIL_LINES])
    return kept[:DETAIL_CHARS]


class _Reader:
    """One pass over the tree: cases and suites in document order, counted from the cases."""

    def __init__(self, doc, path: str):
        self.doc = doc
        self.path = path
        self.cases: list = []
        self.suites: list = []

    def loc(self, element) -> Loc:
        return Loc(self.path, self.doc.line(element))

    def text(self, value, element) -> LStr | None:
        return None if value is None else LStr(value, self.loc(element))

    def report(self) -> Record:
        root = self.doc.root
        tag = _local(root.tag)
        if tag not in ("testsuites", "testsuite"):
            raise ArtifactError(self.path, f"not a JUnit XML report: the root element is `<{tag}>`, "
                                           "expected `<testsuites>` or `<testsuite>`", self.doc.line(root))
        if tag == "testsuite":
            top = [self.suite(root, 1)]
        else:
            top = self.children(root, "", 1)[1]
        counts = _counts(self.cases)
        time = _number(root.get("time"))
        if time is None:
            times = [s["time"] for s in top if s["time"] is not None] or \
                    [c["time"] for c in self.cases if c["time"] is not None]
            time = round(sum(times), 6) if times else None
        return Record("JUnit", Loc(self.path), **counts,
                      flaky=sum(1 for c in self.cases if c["flaky"]),
                      warnings=sum(1 for c in self.cases if c["warning"]),
                      time=time, cases=self.cases, suites=self.suites,
                      path=PathValue(self.path, Loc(self.path)))

    def children(self, parent, suite_name: str, depth: int):
        """The cases (nested ones included) and the suites directly inside `parent`."""
        cases, suites = [], []
        for child in parent:
            tag = _local(child.tag)
            if tag == "testcase":
                case = self.case(child, suite_name)
                self.cases.append(case)
                cases.append(case)
            elif tag == "testsuite":
                suite = self.suite(child, depth + 1)
                suites.append(suite)
                cases.extend(suite["cases"])
        return cases, suites

    def suite(self, element, depth: int) -> Record:
        if depth > MAX_DEPTH:
            raise ArtifactError(self.path, f"`<testsuite>` elements nest more than {MAX_DEPTH} deep",
                                self.doc.line(element))
        name = (element.get("name") or "").strip()
        fields = {"name": self.text(name, element), "file": self.text(element.get("file"), element)}
        suite = Record("TestSuite", self.loc(element), **fields)
        self.suites.append(suite)  # before its nested suites: document order
        cases = self.children(element, name, depth)[0]
        suite.fields.update(_counts(cases), time=_number(element.get("time")),
                            timestamp=self.text(element.get("timestamp"), element), cases=cases)
        return suite

    def case(self, element, suite_name: str) -> Record:
        loc = self.loc(element)
        name = (element.get("name") or "").strip()
        classname = (element.get("classname") or element.get("class") or "").strip()
        if not classname or not name or name == classname or (
                name.startswith(classname) and name[len(classname)] in _SEPARATORS):
            case_id = name or classname
        else:
            case_id = f"{classname}.{name}"

        outcomes = {}
        for child in element:
            outcomes.setdefault(_local(child.tag), child)
        flaky = False
        if not outcomes:
            status, decider = "passed", None
        elif "error" in outcomes or "rerunError" in outcomes:
            status, decider = "error", outcomes.get("error", outcomes.get("rerunError"))
        elif "failure" in outcomes or "rerunFailure" in outcomes:
            status, decider = "failed", outcomes.get("failure", outcomes.get("rerunFailure"))
        elif "skipped" in outcomes:
            status, decider = "skipped", outcomes["skipped"]
        else:
            status = "passed"
            flaky_runs = [child for child in element if _local(child.tag) in _FLAKY]
            flaky = bool(flaky_runs)
            decider = flaky_runs[0] if flaky_runs else outcomes.get("warning")

        message = kind = details = None
        if decider is not None:
            body = decider.text if decider.text and decider.text.strip() else None
            if body is None:
                trace = next((c for c in decider if _local(c.tag) == "stackTrace"), None)
                body = trace.text if trace is not None else None
            details = _first_lines(body)
            message = (decider.get("message") or "").strip() or None
            if message is None and details is not None:
                message = _first_message_line(details, classname)
            kind = decider.get("type")

        assertions = _number(element.get("assertions"))
        return Record("TestCase", loc,
                      name=LStr(name, loc), classname=LStr(classname, loc), id=LStr(case_id, loc),
                      suite=LStr(suite_name, loc), file=self.text(element.get("file"), element),
                      status=LStr(status, loc), flaky=flaky, warning="warning" in outcomes,
                      message=self.text(message, element), type=self.text(kind, element),
                      details=self.text(details, element), time=_number(element.get("time")),
                      assertions=int(assertions) if assertions is not None else None)


def _first_message_line(details: str, classname: str) -> str | None:
    """The first line of a failure's text, skipping PHPUnit's `Class::test` heading."""
    lines = [line.strip() for line in details.split("\n") if line.strip()]
    if len(lines) > 1 and classname and lines[0].startswith(classname + "::"):
        lines.pop(0)
    return lines[0] if lines else None


def _counts(cases: list) -> dict:
    counts = {"tests": len(cases), "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for case in cases:
        counts[_COUNT_FIELD[case["status"]]] += 1
    return counts
