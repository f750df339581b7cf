"""policylint at scale, as CPU ratios to floors measured in the same run (issue 14).

Run:  python benchmarks/bench_scale.py [--runs 3] [--startup-runs 15] [--only a,b,c,d,e,f,g]
                                        [--openspec-tree DIR] [--openspec PATH] [--keep DIR]
                                        [--copies 400] [--tasks 100000]
      python benchmarks/bench_scale.py --build-only DIR     (the repositories alone, in DIR)

Builds, in a temporary folder (or --keep DIR):
- big/: the sample repository (fixtures/speckit-demo) with its five specs copied 400 times,
  `specs/NNN-name-K` (2,000 specs, ~9,200 files), a git repository with no commits;
- tasks/: one tasks.md of 100,000 done tasks, and beside it (outside the root) a one-gate pack,
  `every t in tasks("tasks.md"): t.done`;
- the floors: a plain script that reads every Markdown file once and runs three compiled
  regexes over it, and a plain loop that reads the tasks file with one regex;
- precommit/: the sample repository as a git repository with one spec file edited and staged.

Then measures, each command in fresh processes (alternating with its reference, so a busy
machine slows both alike), CPU time from the kernel (`os.wait4`: user + system of the child)
and its peak RSS (ru_maxrss), each the median over the runs; bytecode caches on
(PYTHONDONTWRITEBYTECODE is dropped from the children's environment); compiled packs warm (a
pack cache of its own, filled first). "Cold" deletes the results cache,
`<root>/.policylint_cache`, before each run:

  a  2,000 specs, cold, `check --pack speckit -f json`    vs the read-and-regex floor   <= 5x, <= 150 MiB
  b  the same, nothing changed (results cache warm)       vs the floor                  <= 1x
  c  the same, one spec's tasks.md edited before each run vs the floor                  <= 1.2x
  d  100,000 tasks, one gate, cold                         vs the plain loop             <= 5x, <= 120 MiB
  e  OpenSpec's own repository, `--pack openspec`, cold    `openspec validate --all` takes >= 10x ours
  f  the pre-commit path, `check FILE` of one staged file  vs `python -c pass`           <= 4x
  g  2,000 specs, one spec folder added before each run  vs the floor                  <= 1.2x
     (a middle spec copied to specs/000-added-…; each run starts from a cache of the tree without it)

"output" says whether what policylint printed is right: every cold run the same (a, d); a warm
run's output byte-identical to the cold one (b); after each edit, identical to a cold run of
the edited repository (c); the same items invalid as `openspec validate --all --json` (e);
identical to a `--no-cache` run (f); identical to a cold run of the tree with the spec added (g).

(e) wants OpenSpec's repository: `--openspec-tree DIR` (a checkout of github.com/Fission-AI/OpenSpec),
else the shared corpus tree (../shared/corpus/openspec/modulus), else the lifecycle pack's copy of
it; the OpenSpec CLI is the one bench_openspec.py installs (npm @fission-ai/openspec 1.13).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_openspec import CASE_COPY, CORPUS, find_openspec, policylint_command

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "speckit-demo"
COPIES = 400
TASKS = 100_000
CACHE = ".policylint_cache"
PRECOMMIT_FILE = "specs/001-password-reset/spec.md"

FLOOR_READ = '''\
"""Every Markdown file under the root read once, three compiled regexes run over it."""
import os
import re
import sys

HEADING = re.compile(r"^#{1,6} +(.*)$", re.M)
CHECKBOX = re.compile(r"^\\s*[-*] \\[([ xX])\\]", re.M)
MARKER = re.compile(r"\\[NEEDS CLARIFICATION[^\\]]*\\]")
found = 0
for folder, subfolders, files in os.walk(sys.argv[1]):
    subfolders[:] = [d for d in subfolders if d not in (".git", ".policylint_cache")]
    for name in files:
        if name.endswith(".md"):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                text = fh.read()
            found += len(HEADING.findall(text)) + len(CHECKBOX.findall(text)) + len(MARKER.findall(text))
print(found)
'''

FLOOR_TASKS = '''\
"""A tasks file read line by line, one regex per line: how many tasks, how many done."""
import re
import sys

TASK = re.compile(r"^\\s*[-*] \\[([ xX])\\] (T\\d+)")
total = done = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        m = TASK.match(line)
        if m:
            total += 1
            done += m.group(1) != " "
print(total, done)
'''

TASKS_PACK = '''\
pack bigtasks "One gate over a large tasks file" version "1.0.0"

gate all-done "Every task is done" {
  require every t in tasks("tasks.md"): t.done
}
'''


# -- building ---------------------------------------------------------------------------------
def _copy_demo_top(target: Path) -> None:
    """The sample repository without its specs (and without a results cache of its own)."""
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(CACHE, "specs"))


def build_big(target: Path, copies: int = COPIES) -> None:
    """The five specs copied `copies` times: `specs/{i % 1000:03d}-{name}-{k}`, i counting from 1."""
    _copy_demo_top(target)
    specs = sorted(p for p in (DEMO / "specs").iterdir() if p.is_dir())
    i = 0
    for k in range(copies):
        for spec in specs:
            i += 1
            name = spec.name.split("-", 1)[1]
            shutil.copytree(spec, target / "specs" / f"{i % 1000:03d}-{name}-{k}")
    subprocess.run(["git", "init", "-q", str(target)], check=True)


def build_tasks(target: Path, count: int = TASKS) -> Path:
    """`target/repo/tasks.md` with `count` done tasks; returns the pack, `target/bigtasks.policy`."""
    repo = target / "repo"
    repo.mkdir(parents=True)
    lines = ["# Tasks: a very large feature", "", "## Phase 1: everything", ""]
    lines += [f"- [x] T{n:06d} [P] [US{n % 7 + 1}] Implement part {n} in src/module_{n % 100}/part_{n}.py"
              for n in range(1, count + 1)]
    (repo / "tasks.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pack = target / "bigtasks.policy"
    pack.write_text(TASKS_PACK, encoding="utf-8")
    return pack


def build_precommit(target: Path) -> None:
    """The sample repository, committed, with one spec file edited and staged."""
    _copy_demo_top(target)
    shutil.copytree(DEMO / "specs", target / "specs", ignore=shutil.ignore_patterns(CACHE))
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "specs"]):
        subprocess.run(["git", *args], cwd=target, check=True, env=env)
    with open(target / PRECOMMIT_FILE, "a", encoding="utf-8") as fh:
        fh.write("\nA line added by the commit being made.\n")
    subprocess.run(["git", "add", PRECOMMIT_FILE], cwd=target, check=True, env=env)


# -- measuring --------------------------------------------------------------------------------
class Sample:
    """One fresh process: CPU seconds (user + system, from the kernel), peak RSS in MiB, exit code."""

    def __init__(self, cpu: float, rss: float, code: int):
        self.cpu, self.rss, self.code = cpu, rss, code


def measure(args: list, env: dict, cwd: Path | None = None, output: Path | None = None) -> Sample:
    with open(output if output is not None else os.devnull, "wb") as out:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Sample(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


class Row:
    def __init__(self, work: str, ours: list, reference: list, target: float, rss_target: float | None,
                 matched: bool | None, reference_over_ours: bool = False, note: str = ""):
        self.work, self.ours, self.reference = work, ours, reference
        self.target, self.rss_target, self.matched, self.note = target, rss_target, matched, note
        self.reference_over_ours = reference_over_ours

    @property
    def ours_cpu(self) -> float:
        return statistics.median(s.cpu for s in self.ours)

    @property
    def reference_cpu(self) -> float:
        return statistics.median(s.cpu for s in self.reference)

    @property
    def peak(self) -> float:
        """A run's peak RSS: the median over the runs (one run slowed by a pack recompiled, say, is no run's size)."""
        return statistics.median(s.rss for s in self.ours)

    @property
    def ratio(self) -> float:
        if self.reference_over_ours:
            return self.reference_cpu / self.ours_cpu
        return self.ours_cpu / self.reference_cpu

    def met(self) -> bool:
        ratio_ok = self.ratio >= self.target if self.reference_over_ours else self.ratio <= self.target
        return ratio_ok and (self.rss_target is None or self.peak <= self.rss_target) and self.matched is not False


def warm_pack(pack: str, tmp: Path, env: dict) -> None:
    """The pack compiled into the pack cache (and modules into .pyc), by a run on an empty folder."""
    empty = tmp / "empty"
    empty.mkdir(exist_ok=True)
    measure([*policylint_command(), "check", "--root", str(empty), "--pack", pack], env)


def _cold(root: Path) -> None:
    shutil.rmtree(root / CACHE, ignore_errors=True)


def _same(paths: list) -> bool:
    first = paths[0].read_bytes()
    return all(p.read_bytes() == first for p in paths[1:])


def bench_big(work: Path, tmp: Path, env: dict, runs: int, cases: set) -> list:
    """(a) cold, (b) nothing changed, (c) one tasks.md edited: 2,000 specs against the read floor."""
    specs = sum(1 for p in (work / "big" / "specs").iterdir() if p.is_dir())
    big = work / "big"
    ours = [*policylint_command(), "check", "--root", str(big), "--pack", "speckit", "-f", "json"]
    floor = [sys.executable, str(tmp / "floor_read.py"), str(big)]
    out = tmp / "out"
    rows = []
    warm_pack("speckit", tmp, env)
    cold_outputs = []
    floor_a, ours_a = [], []
    for n in range(runs):
        _cold(big)
        floor_a.append(measure(floor, env))
        cold_outputs.append(out / f"cold-{n}.json")
        ours_a.append(measure(ours, env, output=cold_outputs[-1]))
    cold_same = _same(cold_outputs)
    if "a" in cases:
        rows.append(Row(f"{specs:,} specs, cold (no .policylint_cache)", ours_a, floor_a, 5.0, 150.0, cold_same))
    if "b" in cases:  # the runs after the last cold one
        floor_b, ours_b, warm_outputs = [], [], []
        for n in range(runs):
            floor_b.append(measure(floor, env))
            warm_outputs.append(out / f"warm-{n}.json")
            ours_b.append(measure(ours, env, output=warm_outputs[-1]))
        rows.append(Row(f"{specs:,} specs, nothing changed", ours_b, floor_b, 1.0, None,
                        cold_same and _same([cold_outputs[0]] + warm_outputs)))
    if "c" in cases:
        tasks_md = _editable_tasks(big)
        original = tasks_md.read_text(encoding="utf-8")
        edited = original.replace("- [ ]", "- [x]", 1)
        floor_c, ours_c, states = [], [], {}
        try:
            for n in range(runs):
                state = n % 2 == 0  # edited, then back, then edited...
                tasks_md.write_text(edited if state else original, encoding="utf-8")
                floor_c.append(measure(floor, env))
                path = out / f"edit-{n}.json"
                ours_c.append(measure(ours, env, output=path))
                states.setdefault(state, []).append(path)
            matched = True
            for state, paths in states.items():  # each state's right answer: a cold run of it
                reference = cold_outputs[0]
                if state:
                    tasks_md.write_text(edited, encoding="utf-8")
                    _cold(big)
                    reference = out / "edit-cold.json"
                    measure(ours, env, output=reference)
                matched = matched and _same([reference] + paths)
        finally:
            tasks_md.write_text(original, encoding="utf-8")
        rows.append(Row(f"{specs:,} specs, {tasks_md.parent.name}/tasks.md edited", ours_c, floor_c, 1.2, None, matched))
    if "g" in cases:
        rows.append(_bench_added(big, ours, floor, env, runs, out))
    return rows


def _bench_added(big: Path, ours: list, floor: list, env: dict, runs: int, out: Path) -> Row:
    """(g) one spec folder added: before each run, the results cache is that of the tree without
    it (an unmeasured run), then the folder is copied in; the right answer is a cold run of the
    tree with it."""
    source = _editable_tasks(big).parent
    added = big / "specs" / f"000-added-{source.name.split('-', 1)[1]}"
    floor_g, ours_g, paths = [], [], []
    try:
        for n in range(runs):
            shutil.rmtree(added, ignore_errors=True)
            measure(ours, env)  # the cache as a run of the tree without it leaves it
            floor_g.append(measure(floor, env))
            shutil.copytree(source, added)
            paths.append(out / f"added-{n}.json")
            ours_g.append(measure(ours, env, output=paths[-1]))
        _cold(big)
        reference = out / "added-cold.json"
        measure(ours, env, output=reference)
        matched = _same([reference] + paths)
    finally:
        shutil.rmtree(added, ignore_errors=True)
    specs = sum(1 for p in (big / "specs").iterdir() if p.is_dir())
    return Row(f"{specs:,} specs, {added.name}/ added", ours_g, floor_g, 1.2, None, matched)


def _editable_tasks(big: Path) -> Path:
    """A spec's tasks.md with an open task, in the middle of the repository."""
    candidates = sorted((big / "specs").glob("*/tasks.md"))
    for path in candidates[len(candidates) // 2:] + candidates:
        if "- [ ]" in path.read_text(encoding="utf-8"):
            return path
    sys.exit("no tasks.md with an open task in the sample repository")


def bench_tasks(work: Path, tmp: Path, env: dict, runs: int, count: int = TASKS) -> Row:
    """(d) 100,000 tasks, one gate, cold, against a plain loop with one regex."""
    repo, pack = work / "tasks" / "repo", work / "tasks" / "bigtasks.policy"
    ours = [*policylint_command(), "check", "--root", str(repo), "--pack", str(pack), "-f", "json"]
    floor = [sys.executable, str(tmp / "floor_tasks.py"), str(repo / "tasks.md")]
    warm_pack(str(pack), tmp, env)
    floor_d, ours_d, outputs = [], [], []
    for n in range(runs):
        _cold(repo)
        floor_d.append(measure(floor, env))
        outputs.append(tmp / "out" / f"tasks-{n}.json")
        ours_d.append(measure(ours, env, output=outputs[-1]))
    verdict = json.loads(outputs[0].read_text(encoding="utf-8"))["summary"]
    return Row(f"{count:,} tasks, one gate, cold", ours_d, floor_d, 5.0, 120.0,
               _same(outputs) and verdict.get("pass") == 1 and verdict.get("fail") == 0)


def openspec_source(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    return CORPUS if (CORPUS / "openspec").is_dir() else CASE_COPY


def bench_openspec(source: Path, tmp: Path, env: dict, runs: int, openspec: str) -> Row:
    """(e) OpenSpec's repository: `openspec validate --all` against our cold run."""
    tree = tmp / "openspec-tree"
    shutil.copytree(source, tree, symlinks=True, ignore=shutil.ignore_patterns(CACHE, ".git", "node_modules"))
    env = {**env, "DO_NOT_TRACK": "1", "OPENSPEC_TELEMETRY": "0", "CI": "1",
           "XDG_DATA_HOME": str(tmp / "xdg"), "XDG_CONFIG_HOME": str(tmp / "xdg")}
    ours = [*policylint_command(), "check", "--root", str(tree), "--pack", "openspec", "-f", "json"]
    theirs = [openspec, "validate", "--all", "--no-interactive"]
    for command in (ours, theirs):  # pack cache, .pyc files, node's compile cache, the disk
        measure(command, env, cwd=tree)
    ours_e, theirs_e = [], []
    output = tmp / "out" / "openspec.json"
    for _ in range(runs):
        _cold(tree)
        ours_e.append(measure(ours, env, cwd=tree, output=output))
        theirs_e.append(measure(theirs, env, cwd=tree))
    report = tmp / "out" / "openspec-cli.json"
    measure([*theirs, "--json"], env, cwd=tree, output=report)
    matched, note = _same_invalid_items(report, output)
    return Row(f"OpenSpec repository ({source.name}), cold", ours_e, theirs_e, 10.0, None, matched,
               reference_over_ours=True, note=note)


def _same_invalid_items(cli_report: Path, ours: Path) -> tuple:
    """Whether the CLI and policylint find the same items invalid (an error-severity failure)."""
    try:
        items = json.loads(cli_report.read_text(encoding="utf-8"))["items"]
    except (ValueError, KeyError):
        return None, "no JSON from openspec"
    theirs = {f"openspec/{'changes' if i['type'] == 'change' else 'specs'}/{i['id']}" for i in items if not i["valid"]}
    report = json.loads(ours.read_text(encoding="utf-8"))
    mine = {r["subject"] for r in report["results"]
            if r["status"] in ("fail", "error") and r["severity"] == "error" and r["subject"]}
    return theirs == mine, f"{len(theirs)} of {len(items)} items invalid"


def bench_precommit(work: Path, env: dict, runs: int) -> Row:
    """(f) `policylint check FILE` as the pre-commit hook runs it, against `python -c pass`."""
    repo = work / "precommit"
    ours = [*policylint_command(), "check", PRECOMMIT_FILE]
    bare = [sys.executable, "-c", "pass"]
    for _ in range(2):  # pack cache, results cache, .pyc files
        measure(ours, env, cwd=repo)
    ours_f, bare_f = [], []
    output = work / "precommit-out.txt"
    for _ in range(runs):
        bare_f.append(measure(bare, env, cwd=repo))
        ours_f.append(measure(ours, env, cwd=repo, output=output))
    uncached = work / "precommit-nocache.txt"
    measure([*ours, "--no-cache"], env, cwd=repo, output=uncached)
    return Row("pre-commit: check FILE, one staged file", ours_f, bare_f, 4.0, None, _same([output, uncached]))


# -- the table --------------------------------------------------------------------------------
def print_table(rows: list) -> None:
    header = ("work", "policylint CPU", "reference CPU", "ratio", "target", "peak RSS", "output", "")
    lines = [header]
    for row in rows:
        if row.reference_over_ours:
            ratio, target = f"{row.ratio:.1f}x faster", f">= {row.target:g}x"
        else:
            ratio, target = f"{row.ratio:.2f}x", f"<= {row.target:g}x"
        if row.rss_target is not None:
            target += f", <= {row.rss_target:g} MiB"
        matched = {True: "same", False: "DIFFERS", None: "?"}[row.matched]
        lines.append((row.work, f"{row.ours_cpu:.3f} s", f"{row.reference_cpu:.3f} s", ratio, target,
                      f"{row.peak:.0f} MiB", matched + (f" ({row.note})" if row.note else ""),
                      "met" if row.met() else "NOT met"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if n == 0:
            print("-+-".join("-" * width for width in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement (default 3)")
    parser.add_argument("--startup-runs", type=int, default=15, help="runs of the pre-commit path (default 15)")
    parser.add_argument("--only", default="abcdefg", help="which of a..g to measure (default all)")
    parser.add_argument("--openspec-tree", type=Path, help="a checkout of OpenSpec's repository for (e)")
    parser.add_argument("--openspec", help="path of the `openspec` executable (default: installed as bench_openspec.py does)")
    parser.add_argument("--copies", type=int, default=COPIES, help=f"copies of the five specs (default {COPIES})")
    parser.add_argument("--tasks", type=int, default=TASKS, help=f"tasks in the large tasks file (default {TASKS:,})")
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it (default: a temporary folder)")
    parser.add_argument("--build-only", type=Path, metavar="DIR", help="build the repositories in DIR and stop")
    args = parser.parse_args()
    cases = set(args.only.replace(",", ""))

    if args.build_only:
        build_big(args.build_only / "big", args.copies)
        build_tasks(args.build_only / "tasks", args.tasks)
        build_precommit(args.build_only / "precommit")
        print(f"built {args.build_only}/big, {args.build_only}/tasks and {args.build_only}/precommit")
        return

    openspec = find_openspec(args.openspec) if "e" in cases else None
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        tmp = Path(scratch)
        work = args.keep or tmp / "work"
        work.mkdir(parents=True, exist_ok=True)
        (tmp / "floor_read.py").write_text(FLOOR_READ, encoding="utf-8")
        (tmp / "floor_tasks.py").write_text(FLOOR_TASKS, encoding="utf-8")
        (tmp / "out").mkdir(exist_ok=True)  # every measurement's outputs, whichever run
        env = {**os.environ, "POLICYLINT_CACHE_DIR": str(tmp / "pack-cache"), "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from .pyc
        env.pop("POLICYLINT_NO_CACHE", None)
        env.pop("GITHUB_STEP_SUMMARY", None)

        rows = []
        if cases & set("abcg"):
            if not (work / "big").is_dir():
                build_big(work / "big", args.copies)
            rows += bench_big(work, tmp, env, args.runs, cases)
        if "d" in cases:
            if not (work / "tasks").is_dir():
                build_tasks(work / "tasks", args.tasks)
            rows.append(bench_tasks(work, tmp, env, args.runs, args.tasks))
        if "e" in cases:
            rows.append(bench_openspec(openspec_source(args.openspec_tree), tmp, env, args.runs, openspec))
        if "f" in cases:
            if not (work / "precommit").is_dir():
                build_precommit(work / "precommit")
            rows.append(bench_precommit(work, env, args.startup_runs))

    print(f"policylint {_version()} · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
          f"CPU = user + system of each fresh process (os.wait4), median of {args.runs} "
          f"({args.startup_runs} for the pre-commit path)")
    print_table(rows)


def _version() -> str:
    sys.path.insert(0, str(ROOT))
    from policylint import __version__

    return __version__


if __name__ == "__main__":
    main()
