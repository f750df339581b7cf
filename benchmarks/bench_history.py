"""What the history of 30 commits of the sample repository costs (issue 16), against `check`.

Run:  python benchmarks/bench_history.py [--commits 30] [--runs 7]

Builds tests/historyrepo.py's history of the sample repository (fixtures/speckit-demo, then
commits in which specs move forward and back) with `--commits` commits, then measures fresh
processes, interleaved so that a busy machine slows each alike, CPU time from the kernel
(`os.wait4`: user + system of the process and the git it ran), the median of `--runs`:

  check          `policylint check --root R` (its results cache warm: a plain re-run)
  check, no cache  the same with `--no-cache` (every gate evaluated)
  history, cold  the points of every commit, none kept: `.policylint_cache` deleted first
  history, warm  the same again, every commit's point kept from the run before

The history is measured as `policylint board --format json --history N` when cli.py has the
`board` command (the board's own evaluation of the work tree and its JSON included), else as
`python -c` calling `history.history(...)`, which the output says; with the board, the rows
"history alone" measure that `python -c` too (the history without the board around it).
Target (the issue): the history warm costs no more than 3 plain `check` runs.
Compiled packs are warm throughout (a pack cache of the benchmark's own, filled first).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 3.0

HISTORY_CALL = """
import argparse, sys
from policylint.history import history
root = sys.argv[1]
args = argparse.Namespace(pack=[], config=None, no_cache=False, select=[], ignore=[], base=None, root=root)
points = history(root, args, commits=int(sys.argv[2]))
assert len(points) == int(sys.argv[2]), len(points)
"""


def policylint_command() -> list:
    script = Path(sys.executable).with_name("policylint")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "policylint"]


def cpu(args: list, env: dict, ok=(0, 1)) -> float:
    """CPU seconds (user + system, the process and what it waited for) of one fresh process."""
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.PIPE)
        err = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(args)} exited {code}: {err.decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def has_board() -> bool:
    sys.path.insert(0, str(ROOT))
    from policylint.cli import COMMANDS

    return "board" in COMMANDS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from historyrepo import make_history

    with tempfile.TemporaryDirectory() as tmp:
        repo = make_history(Path(tmp), options.commits)
        env = {**os.environ, "POLICYLINT_CACHE_DIR": str(Path(tmp) / "cache"), "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from .pyc
        cli = policylint_command()
        board = has_board()
        alone = [sys.executable, "-c", HISTORY_CALL, str(repo), str(options.commits)]
        history = ([*cli, "board", "--root", str(repo), "--format", "json", "--history", str(options.commits),
                    "-o", os.devnull] if board else alone)
        check = [*cli, "check", "--root", str(repo)]
        kept = repo / ".policylint_cache"
        cpu(check, env)  # the pack cache and the check's results cache filled
        samples: dict = {"check": [], "check, no cache": [], "history, cold": [], "history, warm": []}
        if board:
            samples.update({"history alone, cold": [], "history alone, warm": []})
        for _ in range(options.runs):
            samples["check"].append(cpu(check, env))
            samples["check, no cache"].append(cpu([*check, "--no-cache"], env))
            shutil.rmtree(kept, ignore_errors=True)
            samples["history, cold"].append(cpu(history, env, ok=(0,)))
            samples["history, warm"].append(cpu(history, env, ok=(0,)))
            if board:
                shutil.rmtree(kept, ignore_errors=True)
                samples["history alone, cold"].append(cpu(alone, env, ok=(0,)))
                samples["history alone, warm"].append(cpu(alone, env, ok=(0,)))
            cpu(check, env)  # the check's own results cache again, as the plain re-run finds it
        median = {name: statistics.median(values) for name, values in samples.items()}
        shown = "policylint board --format json --history N" if board else "python -c history.history(...)"
        print(f"{options.commits} commits of the sample repository; history measured as `{shown}`")
        print(f"CPU = user + system of each fresh process and its git (os.wait4), median of {options.runs}")
        for name, value in median.items():
            ratio = value / median["check"]
            print(f"  {name:<21} {value * 1000:7.0f} ms  {ratio:5.2f} x check   "
                  f"(min {min(samples[name]) * 1000:.0f}, max {max(samples[name]) * 1000:.0f})")
        warm = median["history, warm"] / median["check"]
        print(f"target: history warm <= {TARGET:g} x check: {'met' if warm <= TARGET else 'NOT met'} ({warm:.2f} x)")


if __name__ == "__main__":
    main()
