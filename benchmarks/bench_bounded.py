"""How long the gates a hostile repository can stretch take: nested quantifiers and the budget.

Run:  python benchmarks/bench_bounded.py [--tasks 2000]

1. speckit on a tasks.md of N tasks, all marked [P]: `parallel-marks` used to pair every task
   with every other (27 s for 2,000 tasks); indexed with `group_by`, it is linear.
2. A stranger's gate with three quantifiers nested over a 300-line file (27 million
   combinations): it stops at the evaluation budget and is an error.

Measured on the 2-core development machine, shared with other runs (one run each):
  speckit, 2,000 tasks: parallel-marks 0.04-0.09 s, the whole pack 0.4-1.2 s (was 27 s)
  three nested quantifiers over 300 lines: stops at 10,000,000 steps after ~30 s of CPU
  (default budget), 0.8 s with `--budget 100000`
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
sys.path.insert(0, str(ROOT / "tests" / "unit"))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    from test_bounded_runs import SPECKIT_CASE, STRANGER, TASKS, big_task_list

    from policylint import evaluate
    from policylint.packs import PackLoader
    from policylint.repo import Repo

    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--budget", type=int, default=None)
    args = parser.parse_args()
    times: dict = {}
    original = evaluate.Engine._gate

    def timed(self, gate, gate_id, *rest):
        start = time.perf_counter()
        try:
            return original(self, gate, gate_id, *rest)
        finally:
            times[gate_id] = times.get(gate_id, 0) + time.perf_counter() - start

    evaluate.Engine._gate = timed
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(SPECKIT_CASE, repo)
        (repo / TASKS).write_text(big_task_list(args.tasks))
        start = time.perf_counter()
        evaluate.Engine(Repo(repo)).run([PackLoader(use_cache=False).load("speckit")])
        print(f"speckit, {args.tasks} tasks: parallel-marks {times['speckit.tasked.parallel-marks']:.2f} s, "
              f"the whole pack {time.perf_counter() - start:.2f} s")
        strange = Path(tmp) / "strange"
        strange.mkdir()
        (strange / "big.txt").write_text("".join(f"line {i}\n" for i in range(300)))
        (strange / "stranger.policy").write_text(STRANGER)
        start = time.perf_counter()
        run = evaluate.Engine(Repo(strange), budget=args.budget).run(
            [PackLoader(use_cache=False).load(str(strange / "stranger.policy"))])
        print(f"three nested quantifiers over 300 lines: {time.perf_counter() - start:.1f} s, "
              f"{run.results[0].status}: {run.results[0].message[:80]}")


if __name__ == "__main__":
    main()
