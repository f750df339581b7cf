"""Language semantics, one YAML file of cases per topic (tests/cases/language/*.yaml).

Each case: `note`, `policy`, optional `files` (repository content), and what it wants:
`want` (gate id -> status, or subject -> gate -> status), `want_message`,
`want_evidence` (gate -> ["path:line: message"]), `want_subjects`
(subject -> {claimed, earned}).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_policy
from policylint.packtest import evidence_line

CASES_DIR = Path(__file__).resolve().parents[1] / "cases" / "language"


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}-{case['note']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_language_case(case, tmp_path):
    run = run_policy(tmp_path, case["policy"], case.get("files"))
    results = {}
    for r in run.results:
        results[(r.subject or ".", r.gate)] = r

    def find(gate, subject="."):
        key = (subject, gate)
        assert key in results, f"no result for {key}; have {sorted(results)}"
        return results[key]

    for gate, want in (case.get("want") or {}).items():
        if isinstance(want, dict):  # subject -> {gate: status}
            for inner_gate, status in want.items():
                assert find(inner_gate, gate).status == status, (gate, inner_gate, find(inner_gate, gate).message)
        else:
            got = find(gate)
            assert got.status == want, f"{gate}: {got.status} ({got.message})"
    for gate, message in (case.get("want_message") or {}).items():
        subject, _, gate_id = gate.rpartition(" ")
        assert find(gate_id, subject or ".").message.replace(f"{tmp_path}/", "") == message  # the policy's path
    for gate, lines in (case.get("want_evidence") or {}).items():
        subject, _, gate_id = gate.rpartition(" ")
        assert [evidence_line(e) for e in find(gate_id, subject or ".").evidence] == lines
    subjects = {s.id: s for s in run.subjects}
    for sid, want in (case.get("want_subjects") or {}).items():
        for key, value in want.items():
            assert getattr(subjects[sid], key) == value, (sid, key)
    if "want_exit" in case:
        assert run.exit_code() == case["want_exit"]
