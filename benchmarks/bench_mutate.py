"""How long `policylint test --mutate` takes over the built-in packs, pack by pack.

Run:  python benchmarks/bench_mutate.py [PACK ...] [--exhaustive]

Times both sweeps of `mutate_pack` (mutants, then deletions) for each pack (default: every
pack under rules/), and the whole. `--exhaustive` also times the reference that runs every
case in full for every mutant and every deletion (what `--mutate` did before) and says
whether the two reports agree.

Measured on the 2-core development machine while other helpers ran their tests on it (load
average 2.5-5), the same conditions for both columns; `policylint test --mutate rules/`
end to end, which first runs `policylint test` itself (about 40 s of it: the git cases
build their histories twice):

  pack                   before (full runs)   after
  api-contract                 5 s             2 s
  changeflow                  85 s             6 s
  conventional-commits         8 s             2 s
  human-gates                 15 s             3 s
  openspec-lifecycle          53 s             3 s
  openspec                     9 s             2 s
  pr-checklist                15 s             4 s
  release-train              307 s            14 s
  speckit                     39 s             3 s
  storymap                   164 s             7 s
  rules/, end to end     ~700 s (11.6 min)     see below

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
    from policylint import mutate
    from policylint.packtest import discover

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
        report = mutate.mutate_pack(folder, cases)
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
