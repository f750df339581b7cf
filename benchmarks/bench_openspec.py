"""`policylint check --pack openspec` against `openspec validate --all` on the same tree.

Run:  python benchmarks/bench_openspec.py [--tree DIR] [--runs 15] [--openspec PATH]

The tree defaults to the shared corpus (../shared/corpus/openspec/modulus: 8 specs, 7 active
and 19 archived changes), else its copy in rules/openspec-lifecycle/tests/modulus/repo. The
OpenSpec CLI (npm @fission-ai/openspec 1.13) is the one tests/test_openspec_agreement.py
installs in ~/.cache/policylint-tools (POLICYLINT_TOOLS_DIR), or --openspec PATH.

Both commands run in fresh processes, alternately, so a busy machine slows both alike;
policylint runs warm (its pack cache filled once first, as on any second run), OpenSpec with
telemetry off. Prints the medians and the ratio; the issue asks for at least 5x.
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
CORPUS = ROOT.parent / "shared" / "corpus" / "openspec" / "modulus"
CASE_COPY = ROOT / "rules" / "openspec-lifecycle" / "tests" / "modulus" / "repo"
OPENSPEC_VERSION = "1.13"
TARGET = 5.0


def policylint_command() -> list:
    """The `policylint` script beside this Python, as users run it; else `python -m policylint`
    (which also imports runpy: a few ms more)."""
    script = Path(sys.executable).with_name("policylint")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "policylint"]


def find_openspec(explicit: str | None) -> str:
    if explicit:
        return explicit
    tools = Path(os.environ.get("POLICYLINT_TOOLS_DIR") or Path.home() / ".cache" / "policylint-tools")
    prefix = tools / f"openspec-{OPENSPEC_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "openspec"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is not installed: pass --openspec PATH to an `openspec` 1.13 executable")
        print(f"installing @fission-ai/openspec@{OPENSPEC_VERSION} into {prefix} …", file=sys.stderr)
        subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error",
                        f"@fission-ai/openspec@{OPENSPEC_VERSION}"], check=True)
    return str(binary)


def timed(args: list, cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, help="an OpenSpec project (the folder holding openspec/)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--openspec", help="path of the openspec executable")
    args = parser.parse_args()
    source = args.tree or (CORPUS if (CORPUS / "openspec").is_dir() else CASE_COPY)
    openspec = find_openspec(args.openspec)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "repo"
        shutil.copytree(source, tree)
        env = {**os.environ, "POLICYLINT_CACHE_DIR": str(Path(tmp) / "cache"), "NO_COLOR": "1",
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "DO_NOT_TRACK": "1", "OPENSPEC_TELEMETRY": "0",
               "XDG_DATA_HOME": str(Path(tmp) / "xdg"), "XDG_CONFIG_HOME": str(Path(tmp) / "xdg")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from .pyc
        ours = [*policylint_command(), "check", "--pack", "openspec", "--root", str(tree)]
        theirs = [openspec, "validate", "--all"]
        for command in (ours, theirs):  # warm: pack cache, .pyc files, node's compile cache, the disk
            timed(command, tree, env)
        policylint_ms, openspec_ms = [], []
        for _ in range(args.runs):
            policylint_ms.append(timed(ours, tree, env))
            openspec_ms.append(timed(theirs, tree, env))
        baseline = statistics.median(timed([sys.executable, "-c", "pass"], tree, env) for _ in range(5))
    ours_median, theirs_median = statistics.median(policylint_ms), statistics.median(openspec_ms)
    ratio = theirs_median / ours_median
    files = sum(1 for p in Path(source, "openspec").rglob("*") if p.is_file())
    print(f"tree: {source} ({files} files under openspec/)")
    print(f"python -c pass:                      {baseline:7.1f} ms (interpreter start-up, for reference)")
    print(f"policylint check --pack openspec:    {ours_median:7.1f} ms median of {args.runs} "
          f"(min {min(policylint_ms):.1f}, max {max(policylint_ms):.1f})")
    print(f"openspec validate --all:             {theirs_median:7.1f} ms median of {args.runs} "
          f"(min {min(openspec_ms):.1f}, max {max(openspec_ms):.1f})")
    print(f"ratio: policylint is {ratio:.1f}x faster (target: {TARGET:.0f}x) -> "
          f"{'met' if ratio >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
