"""How long `policylint test --mutate` takes over the built-in packs, pack by pack.

Run:  python benchmarks/bench_mutate.py [PACK ...] [--exhaustive]

Times both sweeps of `mutate_pack` (mutants, then deletions) for each pack (default: every
pack under rules/), and the whole. `--exhaustive` also times the reference that runs every
case in full for every mutant and every deletion (what `--mutate` did before) and says
whether the two reports agree.

Measured on the 2-core development machine while other helpers ran their tests on it (load
average 2-6): `mutate_pack` before (every case run in full for every mutant and every
deletion: policylint/mutate.py as of 3d9575b) and after, interleaved pack by pack so both
saw the same load; the reports were the same for every pack:

  pack                  before     after
  api-contract             8.0 s    4.9 s   x1.6  (mostly building the cases' git histories)
  human-gates             15.5 s    6.2 s   x2.5
  storymap                58.4 s   11.5 s   x5.1
  speckit                 92.6 s   11.6 s   x8.0
  release-train          141.0 s   17.0 s   x8.3
  openspec-lifecycle      98.3 s   11.2 s   x8.7
  changeflow              94.2 s    8.1 s   x11.6

`policylint test --mutate rules/` end to end (load average ~3): 121 s wall (59 s user,
21 s sys), of which `policylint test rules/` alone, which runs first, is 57 s; the whole
sweep took ~700 s before (per pack, at load 4-5, on fewer cases). What remains of the
mutation's own ~60 s is mostly building each case's git history a second time (the test
run builds it once, the sweep again) and recording each case once.

Where the time went before: every deletion ran its case afresh (every file loaded and every
git command run again, every gate evaluated), and every mutant ran whole cases until one
failed. Now a case is recorded once (what each load and each gate read), a deletion that
changes nothing the run read is not run at all and one that does re-runs only the gates
that read what changed, and a mutant first evaluates the changed gate alone.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import gc

    from policylint import mutate
    from policylint.errors import PolicylintError
    from policylint.packtest import discover

    gc.disable()  # as `policylint` itself runs (cli.main)

    parser = argparse.ArgumentParser()
    parser.add_argument("packs", nargs="*", help="pack folders (default: every pack under rules/)")
    parser.add_argument("--exhaustive", action="store_true", help="also time the full-run reference")
    args = parser.parse_args()
    folders = [Path(p) for p in args.packs] or sorted(p.parent for p in (ROOT / "rules").glob("*/*.policy")
                                                      if p.stem == p.parent.name)
    total = reference = 0.0
    for folder in folders:
        cases = discover(folder)
        start = time.perf_counter()
        try:
            report = mutate.mutate_pack(folder, cases)
        except PolicylintError as exc:  # a case that does not hold (someone is editing the pack)
            print(f"{folder.name:24} skipped: {exc.diagnostics[0].headline()}", flush=True)
            continue
        took = time.perf_counter() - start
        total += took
        line = f"{folder.name:24} {took:6.1f} s  {mutate.render(report)[0]}"
        if args.exhaustive:
            start = time.perf_counter()
            slow = mutate.mutate_pack(folder, cases, exhaustive=True)
            slow_took = time.perf_counter() - start
            reference += slow_took
            same = mutate.render(slow) == mutate.render(report)
            line += f"  | exhaustive {slow_took:6.1f} s, {'same report' if same else 'REPORTS DIFFER'}"
        print(line, flush=True)
    print(f"{'all packs':24} {total:6.1f} s" + (f"  | exhaustive {reference:6.1f} s" if args.exhaustive else ""))


if __name__ == "__main__":
    main()
