"""coverage(path): a coverage report, whatever tool wrote it, as one view in percent.

    require coverage("coverage.xml").lines >= 80%
    require every f in coverage("coverage/lcov.info"): f.branches == null or f.branches >= 60%

Formats, told apart by their content (never by the file name):

| `format` | written by |
| --- | --- |
| `cobertura` | coverage.py `coverage xml`, istanbul/jest/c8 `cobertura`, gcovr `--cobertura`, coverlet, the original Java Cobertura (with or without the root's counts) |
| `jacoco` | JaCoCo's XML report, gcovr `--jacoco` |
| `clover` | istanbul `clover`, OpenClover, PHPUnit `--coverage-clover`, gcovr `--clover` |
| `coverage.py-json` | coverage.py `coverage json` (any version: the counts are read, not the percentages) |
| `istanbul-json-summary` | istanbul `json-summary` (jest, nyc, c8, vitest) |
| `lcov` | geninfo/lcov 1.x and 2.x (incl. LCOV 2.2 `FNL`/`FNA`), istanbul `lcov`, coverage.py `coverage lcov`, c8, gcovr `--lcov`, cargo-llvm-cov |

Fields of `Coverage` (walking it walks `files`):

- `format`: which of the formats above was read.
- `lines`, `branches`, `functions`, `statements`: percentages from 0 to 100, computed as
  covered × 100 / total from the counts (never from a rounded rate the report writes).
- `lines_covered`, `lines_total`, `branches_covered`, `branches_total`, `functions_covered`,
  `functions_total`, `statements_covered`, `statements_total`: the counts.
- `files`: one `CoverageFile` per measured file, in report order, each located at the
  element, key or `SF:` line that starts it in the report.
- `path`: the report.

`CoverageFile` has `path` (the file's path as the report writes it, with `/` and without
a leading `./`), the same four percentages and eight counts, and `line` (where it is in
the report).

Null, and never 0 %, where there is nothing to say: a percentage is null when its total
is 0 (nothing to measure: JaCoCo's absent BRANCH counter, a file without branches), and
both the percentage and its counts are null when the format has no such figure — so
`branches_total` tells "no branches" (0) from "not measured" (null). A null never passes
a threshold (`null >= 80%` is false). Which figures each format carries:

- lines: every format. coverage.py counts statements as lines, so for Python
  `lines == statements`. Clover has no line metric: its lines are the distinct `num`s of
  the `stmt`/`cond` `<line>`s of each file, as istanbul and gcovr count lines.
- statements: coverage.py JSON (its statements), Clover (`statements`), istanbul
  json-summary. Null for Cobertura, LCOV and JaCoCo (JaCoCo counts bytecode instructions,
  not statements).
- branches: Cobertura `condition-coverage` (or the root's `branches-*`), coverage.py JSON
  with branch measurement (`coverage run --branch`; null without it), LCOV `BRDA`
  (`-` counts as not taken), JaCoCo BRANCH, Clover `conditionals`, istanbul `branches`.
- functions: Cobertura `<method>`s (coverage.py writes none: null percent), coverage.py
  JSON 7.6+ `functions` regions (the code outside every function, and functions with no
  statement, are not functions — as coverage.py's own LCOV counts them; null before
  7.6), LCOV `FN`/`FNDA` or `FNL`/`FNA` (a function is hit when one of its aliases is),
  JaCoCo METHOD, Clover `methods`, istanbul `functions`.

Totals are the report's own where it writes counts (Cobertura's root `lines-valid`…,
JaCoCo's report counters, Clover's project metrics, coverage.py's `totals`, istanbul's
`total`); otherwise, and always for LCOV (whose `LF`/`LH`/`BRF`… are recounted from the
records, which tools get wrong), the sum of the files. LCOV records of the same `SF`
(one per test name) are merged: each line, branch and function counts once.

The same program measured by one tool gives the same figures in every format that tool
writes (coverage.py's XML, JSON and LCOV; istanbul's Cobertura, Clover, LCOV and
json-summary), and they are the figures that tool reports itself (`coverage report`,
istanbul's text summary, JaCoCo's counters).

The report is read as a stream (XML with expat, JSON a file entry at a time, LCOV a
record at a time), so a large report loads in memory that follows its largest file
entry, not its size. XML entity declarations (entity bombs, external entities) are
refused and nothing is fetched. Errors name the file and the line: a file that is
missing, empty, binary, cut short, not well-formed, hostile, of an unknown format (the
message lists the known ones), or with no measured file at all.
"""
from __future__ import annotations

from ..errors import ArtifactError
from ..fastpath import gc_paused
from ..signature import loader
from ..types import NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record

FIGURES = ("lines", "branches", "functions", "statements")
_COUNT_FIELDS = (("lines", "lc", "lt"), ("branches", "bc", "bt"), ("functions", "fc", "ft"),
                 ("statements", "sc", "st"))


def _figure_fields(whose: str) -> dict:
    fields = {
        "lines": (NUMBER, f"percent of {whose} lines covered, 0–100, or null"),
        "branches": (NUMBER, f"percent of {whose} branches taken, 0–100, or null"),
        "functions": (NUMBER, f"percent of {whose} functions called, 0–100, or null"),
        "statements": (NUMBER, f"percent of {whose} statements executed, 0–100, or null"),
    }
    for figure in FIGURES:
        fields[f"{figure}_covered"] = (NUMBER, f"{figure} covered, or null when the format has no {figure}")
        fields[f"{figure}_total"] = (NUMBER, (f"{figure} measured (0: nothing to measure), or null when the "
                                              f"format has no {figure}"))
    return fields


COVERAGE_FILE = record("CoverageFile", "One measured file of a coverage report.", {
    "path": (STR, "the file's path as the report writes it, with `/`"),
    **_figure_fields("the file's"),
    "line": (NUMBER, "where the file's entry starts in the report"),
})
COVERAGE = record("Coverage", "A coverage report; walking it walks its files.", {
    "format": (STR, "the format read: cobertura, jacoco, clover, coverage.py-json, istanbul-json-summary, lcov"),
    **_figure_fields("all"),
    "files": (List(COVERAGE_FILE), "each measured file, in report order"),
    "path": (PATH, "the report"),
}, iterates="files")


@loader("coverage", args={"path": STR}, returns=COVERAGE,
        doc=("A coverage report (Cobertura, JaCoCo, Clover, coverage.py JSON, istanbul json-summary, LCOV): "
             "lines, branches, functions and statements in percent, in total and per file."))
def load_coverage(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("coverage", relpath), lambda: _load(repo, relpath))


def _load(repo, relpath: str) -> Record:
    from ..repo import MAX_FILE_BYTES
    from ._coverage_formats import read_report

    stream = repo.open_binary(relpath)  # a regular file inside the root, or an error saying why
    with stream, gc_paused():
        try:
            found = read_report(stream, relpath, MAX_FILE_BYTES)
        except OSError as exc:
            raise ArtifactError(relpath, f"cannot read: {exc.strerror or exc}") from None
    return coverage_record(found, relpath)


def parse_coverage(data: bytes, relpath: str) -> Record:
    """The `Coverage` record of a report's bytes, as if read from `relpath` (no Repo)."""
    import io

    from ._coverage_formats import read_report

    with gc_paused():
        return coverage_record(read_report(io.BytesIO(data), relpath), relpath)


def _percent(covered, total):
    if covered is None or not total:
        return None
    return covered * 100 / total


def _fields(counts) -> dict:
    fields = {}
    for figure, covered, total in _COUNT_FIELDS:
        fields[figure] = _percent(getattr(counts, covered), getattr(counts, total))
    for figure, covered, total in _COUNT_FIELDS:
        fields[f"{figure}_covered"] = getattr(counts, covered)
        fields[f"{figure}_total"] = getattr(counts, total)
    return fields


def coverage_record(found, relpath: str) -> Record:
    """The typed view of a reader's `(format, totals, files)`."""
    from ._coverage_formats import Counts

    fmt, totals, files = found
    if totals is None:
        totals = Counts()
        for counts in files:
            totals.add(counts)
    if not files and not any(getattr(totals, total) for _, _, total in _COUNT_FIELDS):
        raise ArtifactError(relpath, f"the {fmt} report measures no file: nothing to read coverage from")
    records = []
    for counts in files:
        loc = Loc(relpath, counts.line)
        records.append(Record("CoverageFile", loc, path=LStr(counts.path, loc), **_fields(counts),
                              line=counts.line))
    return Record("Coverage", Loc(relpath, 1), format=fmt, **_fields(totals), files=records,
                  path=PathValue(relpath, Loc(relpath)))
