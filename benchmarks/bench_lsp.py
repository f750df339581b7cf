"""How long `policylint lsp` takes to answer a change: the work behind one publishDiagnostics.

Run:  python benchmarks/bench_lsp.py [--repeat 5]

Per file of the sample repository (fixtures/speckit-demo, copied to a temporary folder): the
first answer (packs loaded, caches cold in this process) and the best of the next ones (what
typing costs: one subject evaluated with the buffer in place of the file). The issue's goal is
100 ms per answer for a subject of the sample repository; the debounce (lsp.DEBOUNCE) comes on top.

Measured on the 2-core development machine, shared with other runs (one run):
  the first answer of a process ~300 ms (packs loaded); after it, a tasks.md or spec.md 31-45 ms,
  the speckit pack's own .policy 11 ms
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from policylint import lsp

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(ROOT / "fixtures" / "speckit-demo", repo, ignore=shutil.ignore_patterns(".policylint_cache"))
        (repo / ".policylint.yaml").write_text("packs: [speckit]\n", encoding="utf-8")
        files = sorted(repo.glob("specs/*/tasks.md")) + sorted(repo.glob("specs/*/spec.md"))
        files.append(ROOT / "rules" / "speckit" / "speckit.policy")
        print(f"{'file':<48} {'first ms':>9} {'next ms':>8} {'findings':>8}")
        for path in files:
            text = path.read_text(encoding="utf-8")
            check = lsp.policy_diagnostics if path.suffix == ".policy" else lsp.artifact_diagnostics
            times = []
            for _ in range(args.repeat + 1):
                start = time.perf_counter()
                found = check(path, text)
                times.append((time.perf_counter() - start) * 1000)
            shown = path.relative_to(repo if repo in path.parents else ROOT).as_posix()
            print(f"{shown:<48} {times[0]:>9.0f} {min(times[1:]):>8.0f} {len(found):>8}")


if __name__ == "__main__":
    main()
