"""How long `policylint check` takes on a 20-spec Spec Kit repository.

Run:  python benchmarks/bench_check.py [--specs 20] [--runs 15]

Builds a repository of N specs (copies of the demo fixture's specs, renumbered), then
times the whole command in fresh processes: once cold (empty pack cache: Lark parses
and the checker runs) and repeatedly warm (the normal case). Prints medians in ms.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "speckit-demo"


def policylint_command() -> list:
    """The `policylint` script beside this Python, as users run it; else `python -m policylint`
    (which also imports runpy: a few ms more)."""
    script = Path(sys.executable).with_name("policylint")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "policylint"]


def build_repo(target: Path, count: int) -> None:
    specs = sorted(p for p in (DEMO / "specs").iterdir() if p.is_dir())
    for i in range(count):
        source = specs[i % len(specs)]
        name = f"{i + 1:03d}-{source.name.split('-', 1)[1]}"
        shutil.copytree(source, target / "specs" / name)
    for extra in ("CHANGELOG.md", "README.md"):
        if (DEMO / extra).exists():
            shutil.copy(DEMO / extra, target / extra)


def time_command(args: list, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--specs", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        build_repo(repo, args.specs)
        env = {**os.environ, "POLICYLINT_CACHE_DIR": str(Path(tmp) / "cache"), "NO_COLOR": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from .pyc
        command = [*policylint_command(), "check", "--root", str(repo)]
        baseline = statistics.median(time_command([sys.executable, "-c", "pass"], env) for _ in range(5))
        cold = time_command(command, env)
        warm = [time_command(command, env) for _ in range(args.runs)]
        print(f"repository: {args.specs} specs, {sum(1 for _ in repo.rglob('*') if _.is_file())} files")
        print(f"python -c pass:            {baseline:7.1f} ms (interpreter start-up, for reference)")
        print(f"policylint check, cold:    {cold:7.1f} ms (empty cache: parse + check the pack)")
        print(f"policylint check, warm:    {statistics.median(warm):7.1f} ms median of {args.runs} "
              f"(min {min(warm):.1f}, max {max(warm):.1f})")


if __name__ == "__main__":
    main()
