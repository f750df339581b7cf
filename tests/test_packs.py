"""The built-in packs' case folders: `rules/<pack>/tests/<case>/{repo/, expected.yaml}`.

One test per case, with the id `<pack>/<case>`, so `pytest -k speckit` runs one pack's
cases and `pytest -k speckit/fully-released` runs one case. The format of expected.yaml
is documented in policylint/packtest.py; `policylint test rules/<pack>` runs the same cases.

A second test holds the packs to their own standard: every gate of every built-in pack
must be seen both passing and failing in at least one of the pack's cases, so a gate
nobody has watched fail (or pass) cannot ship.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from policylint.packtest import discover, evaluate_case, run_case

RULES = Path(__file__).resolve().parents[1] / "rules"


def _pack_dirs() -> list:
    """Every built-in pack folder: `rules/<name>/` holding `<name>.policy`."""
    if not RULES.is_dir():
        return []
    return [d for d in sorted(RULES.iterdir()) if (d / f"{d.name}.policy").is_file()]


def _cases() -> list:
    return [case for pack_dir in _pack_dirs() for case in discover(pack_dir)]


CASES = _cases()
_RUNS: dict = {}


def _run(case):
    """Each case evaluated once (history, params and all) for both tests below."""
    if case.id not in _RUNS:
        _RUNS[case.id] = evaluate_case(case, use_cache=False)
    return _RUNS[case.id]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_pack_case(case):
    outcome = run_case(case, run=_run(case))
    if not outcome.ok:
        pytest.fail(f"{case.id}: {case.expected.get('note', '')}\n" + "\n".join(outcome.mismatches),
                    pytrace=False)


# -- gate coverage --------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _load(pack_dir: Path):
    from policylint.packs import PackLoader

    return PackLoader(use_cache=False).load(str(pack_dir / f"{pack_dir.name}.policy"))


def _gate_ids(pack) -> list:
    """The gates `policylint test` holds a pack to: `pack.gate` for repository-wide gates,
    `pack.stage.gate` for the gates of its lifecycles' stages and of the stages it extends."""
    from policylint.gates import declared_gates

    return list(dict.fromkeys(gid for gid, owner, *_ in declared_gates([pack], lifecycle=False) if owner is pack))


def _statuses(pack_dir: Path) -> dict:
    """gate id -> {status: [case ids]} over every case of the pack, as the engine reports them."""
    seen: dict = {}
    for case in CASES:
        if case.pack_dir != pack_dir:
            continue
        for result in _run(case).results:
            seen.setdefault(result.gate, {}).setdefault(result.status, []).append(case.id)
    return seen


PACK_DIRS = _pack_dirs()


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=[d.name for d in PACK_DIRS])
def test_every_gate_is_shown_passing_and_failing(pack_dir):
    gates = _gate_ids(_load(pack_dir))
    assert gates, f"{pack_dir.name}: the pack declares no gate"
    if not discover(pack_dir):  # a pack over git history: its cases build repositories in pytest
        pytest.skip(f"{pack_dir.name} has no case folders (its gates are shown both ways in tests/test_{pack_dir.name.replace('-', '_')}.py)")
    seen = _statuses(pack_dir)
    missing = []
    for gate in gates:
        lacks = [status for status in ("pass", "fail") if status not in seen.get(gate, {})]
        if lacks:
            found = ", ".join(sorted(seen.get(gate, {}))) or "no result at all"
            missing.append(f"{gate}: never {' nor '.join(lacks)} in rules/{pack_dir.name}/tests/ (seen: {found})")
    if missing:
        pytest.fail(f"{len(missing)} of {len(gates)} gates of `{pack_dir.name}` lack a passing or a failing case:\n"
                    + "\n".join(missing), pytrace=False)
