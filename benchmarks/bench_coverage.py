"""How long `coverage(path)` takes on 20 MB reports, and how much memory it holds at peak.

Run:  python benchmarks/bench_coverage.py [--mb 20] [--runs 3] [--formats cobertura,lcov,...] [--tree]

Writes one report of about --mb megabytes per format to a temporary repository, shaped
like the real writers' output (coverage.py's Cobertura with branch lines, JaCoCo on one
line, istanbul's Clover, coverage.py's pretty-printed JSON with function regions, LCOV
with FN/FNDA/BRDA, istanbul's json-summary), then for each:

- time: `coverage(path)` through a fresh Repo, best of --runs, GC as the loader leaves it;
- peak: the largest memory tracemalloc saw during one more load (Python allocations:
  the streaming readers' buffers, read 64 KB at a time, plus the view they return). The
  view is most of it: about 1.8 KB per file record, which is why a json-summary of 65,000
  tiny file entries peaks near 120 MB while a Cobertura of 1,200 files stays near 2 MB.

With --tree it also times and measures xmlsafe.parse_xml (defusedxml building a whole
tree with line numbers) on the Cobertura report, for scale: what loading it as one
document would cost.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MB = 1024 * 1024


def _hits(f: int, n: int) -> int:
    return 0 if (f * 7 + n) % 5 == 0 else (f + n) % 9 + 1


def write_cobertura(path: Path, files: int, lines_per_file: int) -> int:
    """coverage.py's Cobertura: one class per file, a branch line every tenth line."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" ?>\n<coverage version="7.17.3" timestamp="1" line-rate="0.8" '
                  'branch-rate="0.75" complexity="0">\n\t<sources>\n\t\t<source>/home/dev/big</source>\n'
                  "\t</sources>\n\t<packages>\n")
        for f in range(files):
            if f % 50 == 0:
                if f:
                    out.write("\t\t\t</classes>\n\t\t</package>\n")
                out.write(f'\t\t<package name="pkg{f // 50}" line-rate="0.8" branch-rate="0.75" complexity="0">\n'
                          "\t\t\t<classes>\n")
            out.write(f'\t\t\t\t<class name="mod{f}.py" filename="pkg{f // 50}/mod{f}.py" complexity="0" '
                      'line-rate="0.8" branch-rate="0.75">\n\t\t\t\t\t<methods/>\n\t\t\t\t\t<lines>\n')
            for n in range(1, lines_per_file + 1):
                if n % 10 == 0:
                    out.write(f'\t\t\t\t\t\t<line number="{n}" hits="{_hits(f, n)}" branch="true" '
                              f'condition-coverage="50% (1/2)" missing-branches="{n + 2}"/>\n')
                else:
                    out.write(f'\t\t\t\t\t\t<line number="{n}" hits="{_hits(f, n)}"/>\n')
            out.write("\t\t\t\t\t</lines>\n\t\t\t\t</class>\n")
        out.write("\t\t\t</classes>\n\t\t</package>\n\t</packages>\n</coverage>\n")
    return path.stat().st_size


def write_jacoco(path: Path, files: int, lines_per_file: int) -> int:
    """JaCoCo: everything on one line; a class with methods and a sourcefile per file."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC '
                  '"-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="big">'
                  '<sessioninfo id="s" start="1" dump="2"/>')
        for f in range(files):
            if f % 50 == 0:
                if f:
                    out.write("</package>")
                out.write(f'<package name="com/example/p{f // 50}">')
            out.write(f'<class name="com/example/p{f // 50}/C{f}" sourcefilename="C{f}.java">')
            for m in range(lines_per_file // 10):
                out.write(f'<method name="m{m}" desc="()V" line="{m * 10 + 1}"><counter type="INSTRUCTION" '
                          'missed="2" covered="8"/><counter type="LINE" missed="1" covered="9"/>'
                          '<counter type="METHOD" missed="0" covered="1"/></method>')
            out.write(f'</class><sourcefile name="C{f}.java">')
            for n in range(1, lines_per_file + 1):
                out.write(f'<line nr="{n}" mi="{n % 3}" ci="{n % 4}" mb="{n % 2}" cb="{n % 2}"/>')
            out.write(f'<counter type="LINE" missed="{lines_per_file // 10}" covered="{lines_per_file - lines_per_file // 10}"/>'
                      f'<counter type="BRANCH" missed="{lines_per_file // 2}" covered="{lines_per_file // 2}"/>'
                      f'<counter type="METHOD" missed="0" covered="{lines_per_file // 10}"/></sourcefile>')
        out.write("</package></report>")
    return path.stat().st_size


def write_clover(path: Path, files: int, lines_per_file: int) -> int:
    """istanbul's Clover: metrics first, a line element per line."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<coverage generated="1" clover="3.2.0">\n'
                  '  <project timestamp="1" name="All files">\n')
        total = files * lines_per_file
        out.write(f'    <metrics statements="{total}" coveredstatements="{total * 4 // 5}" conditionals="0" '
                  'coveredconditionals="0" methods="0" coveredmethods="0"/>\n')
        for f in range(files):
            out.write(f'    <file name="f{f}.js" path="/home/dev/big/src/f{f}.js">\n'
                      f'      <metrics statements="{lines_per_file}" coveredstatements="{lines_per_file * 4 // 5}" '
                      'conditionals="0" coveredconditionals="0" methods="0" coveredmethods="0"/>\n')
            for n in range(1, lines_per_file + 1):
                out.write(f'      <line num="{n}" count="{_hits(f, n)}" type="stmt"/>\n')
            out.write("    </file>\n")
        out.write("  </project>\n</coverage>\n")
    return path.stat().st_size


def write_coverage_json(path: Path, files: int, lines_per_file: int) -> int:
    """coverage.py's `coverage json --pretty-print` with branches and function regions."""
    def summary(covered, total):
        return {"covered_lines": covered, "num_statements": total, "percent_covered": 80.0,
                "percent_covered_display": "80", "missing_lines": total - covered, "excluded_lines": 0,
                "num_branches": 2, "num_partial_branches": 1, "covered_branches": 1, "missing_branches": 1}

    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n    "meta": {\n        "format": 3,\n        "version": "7.17.3",\n        "timestamp": "x",\n'
                  '        "branch_coverage": true,\n        "show_contexts": false\n    },\n    "files": {\n')
        for f in range(files):
            executed = [n for n in range(1, lines_per_file + 1) if _hits(f, n)]
            missing = [n for n in range(1, lines_per_file + 1) if not _hits(f, n)]
            functions = {f"fn{k}": {"executed_lines": [], "summary": summary(k % 2, 1), "missing_lines": [],
                                    "excluded_lines": [], "start_line": k * 20 + 1}
                         for k in range(lines_per_file // 20)}
            functions[""] = {"executed_lines": [], "summary": summary(1, 1), "missing_lines": [],
                             "excluded_lines": [], "start_line": 1}
            entry = {"executed_lines": executed, "summary": summary(len(executed), lines_per_file),
                     "missing_lines": missing, "excluded_lines": [], "executed_branches": [[1, 2]],
                     "missing_branches": [[1, 3]], "functions": functions, "classes": {}}
            text = json.dumps({f"pkg/mod{f}.py": entry}, indent=4)[2:-2]
            out.write(("        " + text.replace("\n", "\n    ")).replace("        " * 2, "        ", 1))
            out.write(",\n" if f < files - 1 else "\n")
        out.write('    },\n    "totals": ' + json.dumps(summary(files * lines_per_file * 4 // 5, files * lines_per_file),
                                                        indent=4).replace("\n", "\n    ") + "\n}\n")
    return path.stat().st_size


def write_lcov(path: Path, files: int, lines_per_file: int) -> int:
    """istanbul-style LCOV: FN/FNDA, DA, BRDA, the totals."""
    with open(path, "w", encoding="utf-8") as out:
        for f in range(files):
            out.write(f"TN:\nSF:src/f{f}.js\n")
            for k in range(lines_per_file // 20):
                out.write(f"FN:{k * 20 + 1},fn{k}\n")
            for k in range(lines_per_file // 20):
                out.write(f"FNDA:{k % 3},fn{k}\n")
            for n in range(1, lines_per_file + 1):
                out.write(f"DA:{n},{_hits(f, n)}\n")
            for n in range(10, lines_per_file + 1, 10):
                out.write(f"BRDA:{n},{n // 10},0,1\nBRDA:{n},{n // 10},1,0\n")
            out.write("end_of_record\n")
    return path.stat().st_size


def write_summary(path: Path, files: int, lines_per_file: int) -> int:
    """istanbul's json-summary: one small entry per file (so many more files per MB)."""
    def figure(total, covered):
        return {"total": total, "covered": covered, "skipped": 0, "pct": round(covered * 100 / total, 2)}

    files *= lines_per_file // 10
    with open(path, "w", encoding="utf-8") as out:
        entry = {k: figure(100, 80) for k in ("lines", "statements", "functions", "branches")}
        out.write('{"total": ' + json.dumps({k: figure(100 * files, 80 * files) for k in entry}) + "\n")
        for f in range(files):
            out.write(f',"/home/dev/big/src/dir{f // 100}/file{f}.js": ' + json.dumps(entry) + "\n")
        out.write("}\n")
    return path.stat().st_size


WRITERS = {"cobertura": (write_cobertura, "coverage.xml"), "jacoco": (write_jacoco, "jacoco.xml"),
           "clover": (write_clover, "clover.xml"), "coverage.py-json": (write_coverage_json, "coverage.json"),
           "lcov": (write_lcov, "lcov.info"), "istanbul-json-summary": (write_summary, "coverage-summary.json")}


def sized(writer, path: Path, megabytes: float) -> int:
    """Write a report of about `megabytes`: measure a small one, then scale the file count."""
    lines_per_file = 400
    probe = writer(path, 20, lines_per_file)
    files = max(1, int(megabytes * MB / probe * 20))
    return writer(path, files, lines_per_file)


def best_time(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv=None) -> int:
    from policylint.loaders.coverage import load_coverage
    from policylint.repo import Repo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default=",".join(WRITERS))
    parser.add_argument("--tree", action="store_true", help="also time xmlsafe.parse_xml on the Cobertura report")
    args = parser.parse_args(argv)

    print(f"{'format':<24}{'size':>9}{'files':>8}{'lines':>11}{'time':>9}{'peak':>10}  peak/size")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for fmt in args.formats.split(","):
            writer, name = WRITERS[fmt]
            size = sized(writer, root / name, args.mb)

            def load(name=name):
                return load_coverage(Repo(root), name)

            view = load()
            assert view["format"] == fmt, view["format"]
            seconds = best_time(load, args.runs)
            peak = peak_memory(load)
            print(f"{fmt:<24}{size / MB:>7.1f}MB{len(view['files']):>8}{view['lines_total'] or 0:>11}"
                  f"{seconds:>8.2f}s{peak / MB:>8.1f}MB  {peak / size:.2f}")
            if args.tree and fmt == "cobertura":
                from policylint.loaders.xmlsafe import parse_xml

                data = (root / name).read_bytes()
                def tree(data=data, name=name):
                    return parse_xml(data, name)

                seconds = best_time(tree, args.runs)
                peak = peak_memory(tree)
                print(f"{'  (tree: xmlsafe)':<24}{size / MB:>7.1f}MB{'':>8}{'':>11}"
                      f"{seconds:>8.2f}s{peak / MB:>8.1f}MB  {peak / size:.2f}")
            (root / name).unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
