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
      speckit.spec specs/001-login: {earned: tasked}   # one lifecycle's, when two lifecycles walk it
    exit_code: 1                  # optional
    params:                       # optional: param overrides, by pack, as in the config file
      speckit: {coverage_min: 90}
    git:                          # optional: make repo/ a git repository with this history
      base: main                  # the run's --base
      history:                    # after an initial commit of repo/ on `main`, in order:
        - branch: spec-001-login  # switch to a branch, made at HEAD when new
        - commit: "feat: add the login form"   # a commit; `files` writes (null deletes)
          files: {src/login.py: "def login(): ...\n"}
          author: "Ann <ann@example.com>"      # optional
        - tag: v1.0.0             # a lightweight tag at HEAD ({name, message}: annotated)
        - merge: spec-001-login   # merge into the current branch (--no-ff; `message` optional)
        - delete-branch: spec-001-login
        - remote-branch: spec-002-search # origin/spec-002-search at HEAD, as a fetch leaves it

Only the gates and fields a case names are compared, so a case stays about one thing.
The same cases run under pytest (tests/test_packs.py) and, later, `policylint test`.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from .structs import field, struct


@struct
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


@struct
class Outcome:
    case: Case
    mismatches: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def discover(pack_dir: Path) -> list:
    cases = []
    tests = Path(pack_dir) / "tests"
    if not tests.is_dir():
        return cases
    for folder in sorted(tests.iterdir()):
        spec = folder / "expected.yaml"
        if folder.is_dir() and spec.is_file():
            cases.append(Case(Path(pack_dir), folder.name, _read_expected(spec)))
    return cases


def _read_expected(path: Path) -> dict:
    """A case's expected.yaml, read by the one YAML reader (its limits, its messages) as plain
    data: `--update` dumps it back with PyYAML, which knows no located values."""
    import os

    from .diagnostics import QUOTABLE, Diagnostic, Span
    from .errors import ArtifactError, PolicylintError
    from .loaders.data import decode, parse_yaml
    from .repo import read_regular

    QUOTABLE.add(str(path))  # in a pack folder the user named: its errors may quote it
    try:
        data = parse_yaml(decode(read_regular(os.path.realpath(path)), str(path)), str(path), required=False) or {}
    except ArtifactError as exc:
        span = Span(str(path), exc.line, getattr(exc, "column", 1)) if exc.line else None
        raise PolicylintError(Diagnostic("PL308", exc.message, span)) from None
    except OSError as exc:
        raise PolicylintError(Diagnostic("PL308", f"cannot read `{path}`: {exc.strerror}")) from None
    if not isinstance(data, dict):
        raise PolicylintError(Diagnostic("PL308", "expected.yaml must be a mapping with `results`", Span(str(path), 1, 1)))
    problems = _expected_problems(data)
    if problems:
        raise PolicylintError([Diagnostic("PL308", message, Span(str(path), line or 1, 1), hint)
                               for line, message, hint in problems])
    return _unlocated(data)


CASE_KEYS = ("note", "results", "subjects", "exit_code", "params", "git")
RESULT_KEYS = ("status", "evidence", "message")
SUBJECT_KEYS = ("claimed", "earned")
STATUSES = ("pass", "fail", "error", "skipped", "waived")


def _expected_problems(data) -> list:
    """(line, message, help) for each key expected.yaml does not know and each value of the
    wrong kind: a misspelt `evidnce` or `status: passs` would otherwise be ignored, and the
    case would pass without checking what its author meant."""
    from .diagnostics import did_you_mean

    problems = []

    def line_of(mapping, key):
        loc = mapping.loc_of(key) if hasattr(mapping, "loc_of") else None
        return loc.line if loc is not None else None

    def keys(mapping, known, where):
        for key in mapping:
            if key not in known:
                problems.append((line_of(mapping, key), f"unknown key `{key}` {where}",
                                 did_you_mean(str(key), known, "known keys")))

    def mapping(parent, key, what) -> dict:
        value = parent.get(key)
        if value is None or isinstance(value, dict):
            return value or {}
        problems.append((line_of(parent, key), f"`{key}` must be a mapping of {what}", None))
        return {}

    keys(data, CASE_KEYS, "in expected.yaml")
    results = mapping(data, "results", "subjects to their gates")
    for subject in results:
        gates = mapping(results, subject, "gate ids to statuses")
        for gate, want in gates.items():
            where = line_of(gates, gate)
            if isinstance(want, dict):
                keys(want, RESULT_KEYS, f"in the result of `{gate}`")
                status = want.get("status")
                where = line_of(want, "status") if "status" in want else where
                if "evidence" in want and not (isinstance(want["evidence"], list)
                                               and all(isinstance(e, str) for e in want["evidence"])):
                    problems.append((line_of(want, "evidence"), f"the evidence of `{gate}` must be a list of lines", None))
            else:
                status = want
            if (status is not None or not isinstance(want, dict)) and status not in STATUSES:
                problems.append((where, f"invalid status `{status}` for `{gate}`",
                                 did_you_mean(str(status), STATUSES, "statuses")))
    subjects = mapping(data, "subjects", "subjects to their stages")
    for sid in subjects:
        keys(mapping(subjects, sid, "`claimed` and `earned`"), SUBJECT_KEYS, f"for subject `{sid}`")
    # `git` is checked step by step where the history is replayed (casegit)
    if "exit_code" in data and (isinstance(data["exit_code"], bool) or data["exit_code"] not in (0, 1, 2)):
        problems.append((line_of(data, "exit_code"), f"invalid exit code `{data['exit_code']}`: it is 0, 1 or 2", None))
    return sorted(problems, key=lambda p: p[0] or 0)


def _unlocated(value):
    """Plain dicts, lists and strings in place of the reader's located ones."""
    if isinstance(value, dict):
        return {_unlocated(k): _unlocated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unlocated(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def discover_one(case: Case) -> Case:
    """The case re-read from disk (after `--update` rewrote it)."""
    return Case(case.pack_dir, case.name, _read_expected(case.folder / "expected.yaml"))


def evidence_line(ev) -> str:
    where = f"{ev.path}:{ev.line}" if ev.line else ev.path
    return f"{where}: {ev.message}"


def evaluate_case(case: Case, use_cache: bool = True):
    """The Run a case's repository gives under its pack (see `checkout`)."""
    from .evaluate import Engine
    from .packs import PackLoader
    from .repo import Repo

    loader = PackLoader(use_cache=use_cache)
    pack_file = case.pack_dir / f"{case.pack_dir.name}.policy"
    packs = [loader.load(str(pack_file))]
    with checkout(case) as (root, base):
        return Engine(Repo(root, base=base), params=case.expected.get("params") or {}).run(packs)


@contextmanager
def checkout(case: Case):
    """(root, base): the case's repository, ready to check, removed on exit.

    The case runs on a copy in a scratch folder, never where it lies: a case folder sits
    inside the pack's own git checkout, and `git.branch` there would read that checkout's
    branch. A case without `git:` is no repository at all (git facts are errors), one with
    `git:` gets exactly the history it describes."""
    import shutil
    import tempfile

    history = case.expected.get("git")
    scratch = Path(tempfile.mkdtemp(prefix="policylint-case-"))
    try:
        root = scratch / "repo"
        source = case.folder / "repo"
        from .casegit import build_history, copy_case_repo

        if source.is_dir():
            copy_case_repo(source, root)  # without any `.git`: a case is data, never git's config or hooks
        else:
            root.mkdir()
        base = None
        if history is not None:
            build_history(root, history, case.folder / "expected.yaml")
            base = history.get("base")
        yield root, base
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_case(case: Case, use_cache: bool = True, run=None) -> Outcome:
    run = run if run is not None else evaluate_case(case, use_cache)
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
    subjects = _subjects_by_key(run)
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


def _subjects_by_key(run) -> dict:
    """A subject by its id, and by `LIFECYCLE ID` for a subject that two lifecycles walk."""
    out = {}
    for subject in run.subjects:
        out[subject.id] = subject
        out[f"{subject.lifecycle} {subject.id}"] = subject
    return out


def _diff(want: list, got: list) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(want, got, "expected", "actual", lineterm="", n=1))


def update_case(case: Case, run) -> bool:
    """Rewrite expected.yaml from `run` for the gates and fields it names; True when it changed."""
    import yaml

    expected = case.expected
    actual = {(r.subject or ".", r.gate): r for r in run.results}
    changed = False
    for subject, gates in (expected.get("results") or {}).items():
        for gate, want in list((gates or {}).items()):
            got = actual.get((subject, gate))
            if got is None:
                continue
            if isinstance(want, str):
                if want != got.status:
                    gates[gate], changed = got.status, True
                continue
            fresh = {"status": got.status} if "status" in want else {}
            if "evidence" in want:
                fresh["evidence"] = [evidence_line(e) for e in got.evidence]
            if "message" in want:
                fresh["message"] = got.message
            if any(want.get(k) != v for k, v in fresh.items()):
                want.update(fresh)
                changed = True
    subjects = _subjects_by_key(run)
    for sid, want in (expected.get("subjects") or {}).items():
        for key in ("claimed", "earned"):
            if sid in subjects and key in want and getattr(subjects[sid], key) != want[key]:
                want[key], changed = getattr(subjects[sid], key), True
    if "exit_code" in expected and expected["exit_code"] != run.exit_code():
        expected["exit_code"], changed = run.exit_code(), True
    if changed:
        text = yaml.dump(expected, Dumper=_literal_dumper(), sort_keys=False, allow_unicode=True, width=100)
        from .fsutil import write_text

        write_text(case.folder / "expected.yaml", text)
    return changed


def _literal_dumper():
    """A SafeDumper that writes multi-line strings (file contents in `git.history`) as `|` blocks."""
    import yaml

    class LiteralDumper(yaml.SafeDumper):
        pass

    def represent_str(dumper, text):
        style = "|" if "\n" in text and not any(c in text for c in "\r\t") and text == text.rstrip(" ") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    LiteralDumper.add_representer(str, represent_str)
    return LiteralDumper


def gate_coverage(runs: list, gate_ids: set) -> dict:
    """gate id -> set of statuses that some case shows (pass and fail are what count)."""
    seen = {gid: set() for gid in gate_ids}
    for run in runs:
        for result in run.results:
            if result.gate in seen:
                seen[result.gate].add(result.status)
    return seen
