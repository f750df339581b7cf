"""Pack case folders: `<pack>/tests/<case>/repo/` and the `expected.yaml` it must give.

expected.yaml:
    note: what the case shows
    results:                      # per subject id ('.' for repository-wide gates)
      specs/001-login:
        speckit.implementing.all-done:
          status: fail
          evidence: ["specs/001-login/tasks.md:14: T007 is not done: …"]
        speckit.testing.quickstart: skipped      # short form: just the status
    subjects:                     # optional: claimed and earned stages
      specs/001-login: {claimed: implementing, earned: tasked}
    exit_code: 1                  # optional

Only the gates and fields a case names are compared, so a case stays about one thing.
The same cases run under pytest (tests/test_packs.py) and, later, `policylint test`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Case:
    pack_dir: Path
    name: str
    expected: dict

    @property
    def folder(self) -> Path:
        return self.pack_dir / "tests" / self.name

    @property
    def id(self) -> str:
        return f"{self.pack_dir.name}/{self.name}"


@dataclass
class Outcome:
    case: Case
    mismatches: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def discover(pack_dir: Path) -> list:
    import yaml

    cases = []
    tests = Path(pack_dir) / "tests"
    if not tests.is_dir():
        return cases
    for folder in sorted(tests.iterdir()):
        spec = folder / "expected.yaml"
        if folder.is_dir() and spec.is_file():
            with open(spec, encoding="utf-8") as fh:
                cases.append(Case(Path(pack_dir), folder.name, yaml.safe_load(fh) or {}))
    return cases


def evidence_line(ev) -> str:
    where = f"{ev.path}:{ev.line}" if ev.line else ev.path
    return f"{where}: {ev.message}"


def run_case(case: Case, use_cache: bool = True) -> Outcome:
    from .evaluate import Engine
    from .packs import PackLoader
    from .repo import Repo

    loader = PackLoader(use_cache=use_cache)
    pack_file = case.pack_dir / f"{case.pack_dir.name}.policy"
    packs = [loader.load(str(pack_file))]
    repo_dir = case.folder / "repo"
    run = Engine(Repo(repo_dir)).run(packs)
    outcome = Outcome(case)
    actual = {}
    for result in run.results:
        actual.setdefault(result.subject or ".", {})[result.gate] = result
    for subject, gates in (case.expected.get("results") or {}).items():
        if subject not in actual:
            outcome.mismatches.append(f"{subject}: no such subject (found: {', '.join(sorted(actual)) or 'none'})")
            continue
        for gate, want in (gates or {}).items():
            want = {"status": want} if isinstance(want, str) else want
            got = actual[subject].get(gate)
            if got is None:
                outcome.mismatches.append(f"{subject} {gate}: no such result")
                continue
            if "status" in want and got.status != want["status"]:
                detail = f" ({got.message})" if got.message else ""
                outcome.mismatches.append(f"{subject} {gate}: expected {want['status']}, got {got.status}{detail}")
            if "evidence" in want:
                lines = [evidence_line(e) for e in got.evidence]
                if lines != list(want["evidence"]):
                    outcome.mismatches.append(f"{subject} {gate}: evidence differs\n"
                                              + _diff(list(want["evidence"]), lines))
            if "message" in want and got.message != want["message"]:
                outcome.mismatches.append(f"{subject} {gate}: message is {got.message!r}, expected {want['message']!r}")
    subjects = {s.id: s for s in run.subjects}
    for sid, want in (case.expected.get("subjects") or {}).items():
        got = subjects.get(sid)
        if got is None:
            outcome.mismatches.append(f"{sid}: no such subject")
            continue
        for key in ("claimed", "earned"):
            if key in want and getattr(got, key) != want[key]:
                outcome.mismatches.append(f"{sid}: {key} is {getattr(got, key)}, expected {want[key]}")
    if "exit_code" in case.expected and run.exit_code() != case.expected["exit_code"]:
        outcome.mismatches.append(f"exit code is {run.exit_code()}, expected {case.expected['exit_code']}")
    return outcome


def _diff(want: list, got: list) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(want, got, "expected", "actual", lineterm="", n=1))
