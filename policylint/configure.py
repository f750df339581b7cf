"""Configure: what a run reports, never what is true.

The engine gives every gate's verdict and every subject's earned stage, from every gate.
This module then applies the team's configuration to those verdicts, in one place and in
this order: severities (`severity:`), waivers (configuration and inline), the baseline,
selection (`select:`/`ignore:`, `--select`/`--ignore`), and says only what is true of what
was evaluated: in a scoped run (`check FILE…`, `--base REV`) a waiver or baseline entry that
could reach a subject left out is neither stale (PL301) nor fixed (PL306).

Two things reach back into the engine, through `Configuration.blocks(result)` only: a
severity override and a waiver decide whether a failure keeps a subject from its stage.
Selection never does: `--select 'speckit.draft.*'` reports less, it earns nothing.

Every pattern the configuration names (select, ignore, severity keys, waiver gates) must
match a gate of the packs in the run, or the run stops (PL312, exit 2) naming the pattern
and the closest gate ids, as ruff refuses an unknown rule code.

Waivers, the entry point for other sources: `Configuration.waivers` is a list of waiver
objects, the configuration's first; `Configuration.add_waivers(list)` adds more (inline
waivers read from Markdown/YAML/TOML comments) before `check_gates` and `apply` run. A
waiver object has the fields of `config.Waiver`: `gate` (an id, a glob or a dotted prefix),
`reason`, `subject` (an id or glob, or None for every subject), `approved_by`, `expires` (a
date or None), `path` and `line` (where it is written: notes and errors point there), the
flags `used`, `expired` and `refused` (set here) and `where()`. An inline waiver also has
`lines`: a set of (path, line) it sits on or above; it then waives a result only when one
of the result's evidence lines is among them, and in a scoped run it is judged (stale or
not) only when its own file was evaluated.
"""
from __future__ import annotations

import operator

from .diagnostics import Diagnostic, Span
from .structs import field, struct

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FAILING = ("fail", "error")


def gate_match(gate_id: str, pattern: str) -> bool:
    """A pattern matches the id itself, or any id it is a dotted prefix of (`speckit.draft`)."""
    from fnmatch import fnmatchcase  # here: a run that selects, ignores and waives nothing never loads it

    return fnmatchcase(gate_id, pattern) or gate_id.startswith(pattern.rstrip(".") + ".")


@struct
class Selection:
    select: list = field(default_factory=list)
    ignore: list = field(default_factory=list)

    def wants(self, gate_id: str) -> bool:
        if self.select and not any(gate_match(gate_id, p) for p in self.select):
            return False
        return not any(gate_match(gate_id, p) for p in self.ignore)


@struct
class Pattern:
    """A gate pattern as the user wrote it, and where: for the error when it matches nothing."""
    text: str
    what: str  # `--select`, `select[0]`, `severity` key, `waivers[2].gate`
    span: Span | None = None


@struct
class GateInfo:
    """What configuration needs of a gate: where it is declared and what it may not be told."""
    where: str
    line: int
    severity: str
    unwaivable: bool
    lifecycle: str | None  # the lifecycle whose subjects it judges; None: repository-wide


class Configuration:
    def __init__(self, select=(), ignore=(), severity: dict | None = None, waivers=(), patterns=()):
        self.selection = Selection(list(select), list(ignore))
        self.severity = dict(severity or {})  # gate id or glob -> severity
        self.waivers: list = list(waivers)
        self.patterns: list = list(patterns)  # Pattern, for check_gates
        self._notes: dict = {}  # (path, line, code) -> Notice
        self._index = None  # (packs, gate_index of them): see index_of

    @classmethod
    def from_config(cls, config, select=(), ignore=()) -> "Configuration":
        """The configuration file's settings, then the command line's `--select`/`--ignore`."""
        def span(pointer):
            line = config.line_of(pointer)
            return Span(config.path, line or 1, 1) if config.path else None

        patterns = [Pattern(p, f"`select[{i}]`", span(f"/select/{i}")) for i, p in enumerate(config.select)]
        patterns += [Pattern(p, f"`ignore[{i}]`", span(f"/ignore/{i}")) for i, p in enumerate(config.ignore)]
        patterns += [Pattern(p, "`severity` key", span(f"/severity/{p}")) for p in config.severity]
        patterns += [Pattern(p, "`--select`") for p in select] + [Pattern(p, "`--ignore`") for p in ignore]
        return cls(list(config.select) + list(select), list(config.ignore) + list(ignore), config.severity,
                   config.waivers, patterns)

    def add_waivers(self, waivers) -> None:
        """More waivers (inline ones, from comments beside the findings): see the module doc."""
        self.waivers.extend(waivers)

    def index_of(self, packs) -> dict:
        """gate_index(packs), made once for the packs a run judges: the selection, the inline
        waivers and the grading all ask for the same packs' (kept alive with it, read only)."""
        packs = list(packs)
        kept = self._index
        if kept is None or len(kept[0]) != len(packs) or not all(map(operator.is_, kept[0], packs)):
            kept = self._index = (packs, gate_index(packs))
        return kept[1]

    # -- before the run ------------------------------------------------------------------------
    def check_gates(self, packs) -> None:
        """Every pattern and waiver names a gate of the packs in the run, or PL312 (exit 2)."""
        from .errors import PolicylintError

        ids = sorted(self.index_of(packs))
        problems = []
        for pattern in self.patterns:
            if not any(gate_match(gid, pattern.text) for gid in ids):
                problems.append(_unknown(pattern, ids, packs))
        for i, waiver in enumerate(self.waivers):
            if not any(gate_match(gid, waiver.gate) for gid in ids):
                what = "`waiver`" if getattr(waiver, "lines", None) else f"`waivers[{i}].gate`"
                span = Span(waiver.path, waiver.line or 1, 1) if waiver.path else None
                problems.append(_unknown(Pattern(waiver.gate, what, span), ids, packs))
        if problems:
            raise PolicylintError(problems)

    # -- during the run: what keeps a subject from a stage -------------------------------------
    def blocks(self, result) -> bool:
        """Whether this verdict, graded by the configuration, keeps a subject from its stage. A
        waiver that lets a failure through here has decided something: it is not stale."""
        if result.status not in FAILING or self._severity(result)[0] != "error":
            return False
        waiver = self._waiver_for(result)
        if waiver is not None and not result.unwaivable and not _expired(waiver):
            waiver.used = True
            return False
        return True

    # -- after the run -------------------------------------------------------------------------
    def apply(self, run, baseline=None) -> None:
        """Grade, waive, baseline and select `run`'s results in place; notes go to run.notices.
        `baseline`: (entries by fingerprint, the file as shown) or None."""
        index = self.index_of(run.loaded_packs)
        reported = [r for r in run.results if self._reported(r, index)]
        for result in run.results:
            self._grade(result, index)
        for subject in run.subjects:
            for result in subject.lacks:
                result.severity = self._severity(result)[0]
        for result in run.results:
            if result.status in FAILING:
                self._waive(result)
        kept = getattr(run, "kept", None)  # the results cache's report pieces: what they waived, and matched
        run.baseline_matched = {}
        if baseline is not None:
            from . import baseline as baselines

            known, shown = baseline
            run.baseline_matched = baselines.apply(run, known, shown, lambda r: _baseline_waiver(r, shown),
                                                   judged=lambda e: self._entry_judged(run, index, e),
                                                   seen_before=getattr(kept, "baseline", ()))
        run.results = reported
        run.configured_locally = self._local(index)
        run.waiver_at = {id(w): at for at, w in enumerate(self.waivers) if not getattr(w, "lines", None)}
        for at in getattr(kept, "waivers", ()):
            if 0 <= at < len(self.waivers):
                self.waivers[at].used = True
        self._report_waivers(run, index)
        run.notices = sorted(list(run.notices) + list(self._notes.values()), key=lambda n: n.sort_key())

    def _local(self, index) -> bool:
        """Whether this configuration does to each result what that result alone decides, and
        notes nothing about the run but which configured waivers waived nothing and which
        baseline entries no longer fail (each piece says which it used, `Run.waiver_at` their
        places, and which it matched, `Run.baseline_matched`): no waiver refused or expired in
        it, no unwaivable gate it would deselect or grade (PL309). The results cache then keeps
        each evaluation's report as it is (results.Piece)."""
        if any(w.refused or w.expired for w in self.waivers):
            return False
        return not any(info.unwaivable and (not self.selection.wants(gid) or any(gate_match(gid, p) for p in self.severity))
                       for gid, info in index.items())

    def _severity(self, result) -> tuple:
        """(severity, the override an unwaivable gate refused or None)."""
        severity = self.severity.get(result.gate)
        if severity is None:
            severity = next((v for p, v in self.severity.items() if gate_match(result.gate, p)), None)
        if severity is None:
            return result.severity, None
        if result.unwaivable and SEVERITY_RANK[severity] < SEVERITY_RANK[result.severity]:
            return result.severity, severity
        return severity, None

    def _grade(self, result, index) -> None:
        severity, refused = self._severity(result)
        if refused is not None:
            self._refuse(index, result.gate, f"its severity stays {result.severity}, not {refused}")
        result.severity = severity

    def _waiver_for(self, result):
        """The first waiver that reaches this result (it alone decides, as before)."""
        return next((w for w in self.waivers if _reaches(w, result)), None)

    def _waive(self, result) -> None:
        waiver = self._waiver_for(result)
        if waiver is None:
            return
        if result.unwaivable:
            waiver.refused = True
            result.message += f" (waiver at {waiver.where()} refused: this gate is unwaivable)"
            self._note(waiver.path, waiver.line, "PL304", f"waiver refused: `{result.gate}` is unwaivable ({waiver.reason})")
            return
        if _expired(waiver):
            waiver.expired = True
            result.message += f" (waiver at {waiver.where()} expired on {waiver.expires.isoformat()})"
            self._note(waiver.path, waiver.line, "PL303",
                       f"waiver for `{waiver.gate}` expired on {waiver.expires.isoformat()}: it no longer waives")
            return
        waiver.used = True
        result.status = "waived"
        result.waiver = waiver

    def _reported(self, result, index) -> bool:
        """Selection chooses what is reported; an unwaivable gate is reported whatever it says."""
        if self.selection.wants(result.gate):
            return True
        if result.unwaivable:
            self._refuse(index, result.gate, "it runs whatever --select, --ignore, `select` and `ignore` say")
            return True
        return False

    def _refuse(self, index, gate_id: str, what: str) -> None:
        """One note per unwaivable gate, naming each setting it did not obey."""
        from .repo import Notice

        info = index.get(gate_id)
        if info is None:
            return
        key = (info.where, info.line, "PL309")
        said = self._notes.get(key)
        if said is None:
            self._notes[key] = Notice(info.where, info.line, "PL309", f"`{gate_id}` is unwaivable: {what}")
        elif what not in said.message:
            said.message = f"{said.message}; {what}"

    def _report_waivers(self, run, index) -> None:
        """PL301 for a waiver that waived nothing, among what was evaluated and is reported."""
        for waiver in self.waivers:
            if waiver.used or waiver.refused or waiver.expired:
                continue
            gates = [gid for gid in index if gate_match(gid, waiver.gate)]
            if not any(self.selection.wants(gid) for gid in gates) or not self._waiver_judged(run, index, waiver, gates):
                continue
            target = f"`{waiver.gate}`" + (f" on `{waiver.subject}`" if waiver.subject else "")
            self._note(waiver.path, waiver.line, "PL301", f"stale waiver: {target} waives nothing that fails; remove it")

    def _waiver_judged(self, run, index, waiver, gates) -> bool:
        """In a scoped run, a waiver is judged only when no subject it could reach was left out."""
        if not run.scoped:
            return True
        if getattr(waiver, "lines", None):
            return _evaluated_path(run, waiver.path)
        lifecycles = {index[gid].lifecycle for gid in gates} - {None}
        return not any(lifecycle in lifecycles and _subject_match(waiver.subject, sid)
                       for lifecycle, sid in run.passed_over)

    def _entry_judged(self, run, index, entry: dict) -> bool:
        """A baseline entry is judged fixed only for a gate this run evaluated and reports, and,
        in a scoped run, only when its subject was not left out."""
        info = index.get(entry["gate"])
        if info is None or not self.selection.wants(entry["gate"]):
            return False
        return not (run.scoped and entry.get("subject") is not None
                    and (info.lifecycle, entry["subject"]) in set(run.passed_over))

    def _note(self, path, line, code, message) -> None:
        from .repo import Notice

        self._notes[(path, line, code)] = Notice(path, line, code, message)


def gate_index(packs) -> dict:
    """gate id -> GateInfo for every gate of the packs and the packs they use, the gates each
    lifecycle has without declaring them (`<pack>.<lifecycle>.claims`) included."""
    from .gates import declared_gates

    out = {}
    for gid, pack, lifecycle, _stage, gate in declared_gates(packs, uses=True):
        where = getattr(pack, "display_path", None) or pack.ast.path
        out[gid] = GateInfo(where, gate.span.line, gate.severity, gate.unwaivable, lifecycle)
    return out


def _unknown(pattern: Pattern, ids: list, packs) -> Diagnostic:
    import difflib

    stem = pattern.text.rstrip("*?.")
    globbed = stem != pattern.text
    prefixes = {gid.rsplit(".", n)[0] for gid in ids for n in (1, 2) if gid.count(".") > n - 1}
    candidates = sorted(set(ids) | ({p + ".*" for p in prefixes} if globbed else set()))
    close = difflib.get_close_matches(pattern.text, candidates, n=3, cutoff=0.5) or \
        difflib.get_close_matches(stem, ids, n=3, cutoff=0.4)
    names = sorted({p.name for p in packs})
    hint = (f"closest gate ids: {', '.join(f'`{c}`' for c in close)}" if close
            else "`policylint list` shows the gates")
    return Diagnostic("PL312", f"{pattern.what} `{pattern.text}` matches no gate of the packs in this run "
                               f"({', '.join(names)})", pattern.span, hint)


def _reaches(waiver, result) -> bool:
    if not gate_match(result.gate, waiver.gate):
        return False
    if waiver.subject is not None and not (result.subject is not None and _subject_match(waiver.subject, result.subject)):
        return False
    lines = getattr(waiver, "lines", None)
    if lines:
        return any((e.path, e.line) in lines for e in result.evidence)
    return True


def _subject_match(pattern: str | None, subject: str) -> bool:
    if pattern is None:
        return True
    from fnmatch import fnmatchcase

    return fnmatchcase(subject, pattern) or subject == pattern.rstrip("/")


def expired_waivers(config) -> list:
    """The indexes of the configured waivers that have expired today: what the day changes of
    the stages subjects earn (the engine asks `blocks`)."""
    return [i for i, waiver in enumerate(getattr(config, "waivers", ())) if _expired(waiver)]


def _expired(waiver) -> bool:
    from .functions.dates import current_date

    return waiver.expires is not None and waiver.expires < current_date()


def _evaluated_path(run, path: str) -> bool:
    """A file a scoped run looked at: it lies in an evaluated subject."""
    return any(path == s.id or path.startswith(s.id.rstrip("/") + "/") for s in run.subjects)


BASELINE_REASON = "known failure, recorded in the baseline"  # the text report counts these unless -v


def _baseline_waiver(result, shown: str):
    from .config import Waiver

    return Waiver(result.gate, BASELINE_REASON, result.subject, None, None, shown, None)

