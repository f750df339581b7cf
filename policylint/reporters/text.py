"""Human output: one block per subject, failures with their evidence, a closing summary
(`-q`: only what fails; `--statistics`: a count per gate id instead of each finding).

Colour (rich) only on a terminal; plain text when piped or NO_COLOR is set, so CI logs
and golden files stay byte-stable. What the report quotes is written with its control
characters as escapes (reporters/controls.py): a file cannot drive the reader's terminal.
"""
from __future__ import annotations

STATUS_LABEL = {"fail": "FAIL", "error": "ERROR", "pass": "PASS", "skipped": "SKIP", "waived": "WAIVED"}
STATUS_STYLE = {"fail": "bold red", "error": "bold magenta", "pass": "green", "skipped": "dim", "waived": "yellow"}
SEVERITY_LABEL = {"warning": " (warning)", "info": " (info)", "error": ""}


def lines(run, options) -> list:
    """The report as a list of lines, each a list of (text, style) segments.

    A run of several packs (`packs = ["speckit", "human-gates", "conventional-commits"]`) is
    grouped by pack, each under a header with its own tally, so one pack's findings never
    interleave with another's; a run of one pack reads as before, without headers.
    """
    out: list = []
    verbose = getattr(options, "verbose", False)
    quiet = getattr(options, "quiet", False)
    packs = _pack_order(run)
    unclaimed = lifecycles_without_claims(run)
    if getattr(options, "statistics", False):
        out.extend(_statistics(run.results))
    elif len(packs) <= 1:
        out.extend(_block(run.results, _subjects(run), verbose, quiet, unclaimed, fails_of(run)))
    else:
        everyone = _subjects(run)
        for pack in packs:
            results = [r for r in run.results if _section(r) == pack]
            subjects = [s for s in everyone if _pack_of(s.lifecycle) == pack]
            kept = _kept_blocks(subjects)
            if quiet and not any(r.status in ("fail", "error") for r in results) \
                    and not any(s.counts["fail"] or s.counts["error"] for s in kept):
                continue
            out.append(_pack_header(pack, results, subjects, kept, fails_of(run)))
            out.append([])
            out.extend(_block(results, subjects, verbose, quiet, unclaimed, fails_of(run)))
    if out and out[-1]:
        out.append([])

    for notice in [] if quiet else run.notices:
        where = f"{notice.path}:{notice.line}" if notice.line else notice.path
        out.append([(f"note[{notice.code}] ", "cyan"), (f"{where}: {notice.message}", "")])
    if run.notices and not quiet:
        out.append([])

    out.append(_summary(run))
    return out


def _subjects(run) -> list:
    """The run's subjects in order, among them those whose blocks the results cache kept."""
    kept = getattr(run, "kept", None)
    return run.subjects if kept is None else kept.subjects


def _kept_blocks(subjects: list) -> list:
    """The subjects whose blocks the results cache kept (results.KeptSubject), with what they count
    (`counts` by status; `tally`: blocking, failing without blocking, a warning blocking, baselined)."""
    return [s for s in subjects if getattr(s, "rows", None) is not None]


def _pack_of(dotted: str) -> str:
    return dotted.split(".", 1)[0]


def _section(result) -> str:
    """The pack a result is shown under: its subject's lifecycle's (a gate another pack adds to
    that lifecycle with `extend` is one of the subject's gates), else its gate's."""
    return _pack_of(result.lifecycle or result.gate)


def _pack_order(run) -> list:
    """The packs results came from, in the order they ran (a used pack before its user)."""
    order: list = []

    def visit(pack):
        for used in getattr(pack, "uses", ()):
            visit(used)
        if pack.name not in order:
            order.append(pack.name)

    for pack in run.loaded_packs:
        visit(pack)
    seen = {_section(r) for r in run.results} | {_pack_of(s.lifecycle) for s in _subjects(run)}
    return [name for name in order if name in seen] + sorted(seen - set(order))


def fails_of(run):
    """Whether a result fails this run (under `fail_on: warning` a warning does too): every
    verdict the report prints, ✓ included, agrees with the exit code."""
    return getattr(run, "fails", lambda r: r.blocking())


def failure_counts(results: list, fails) -> tuple:
    """(the results that fail the run, those that fail without failing it, whether one of those
    failing it is no error: a warning under `fail_on: warning`). A text piece keeps them as its
    tally (results.Piece.made_text)."""
    failing = [r for r in results if r.status in ("fail", "error")]  # no other result fails a run
    blocking = [r for r in failing if fails(r)]
    return len(blocking), len(failing) - len(blocking), any(r.severity != "error" for r in blocking)


def _failures(results: list, kept: list, fails) -> tuple:
    """failure_counts of `results` and of the kept blocks (their tallies) together."""
    blocking, warnings, warning_blocks = failure_counts(results, fails)
    return (blocking + sum(s.tally[0] for s in kept), warnings + sum(s.tally[1] for s in kept),
            warning_blocks or any(s.tally[2] for s in kept))


def _pack_header(pack: str, results: list, subjects: list, kept: list, fails) -> list:
    blocking, warnings, _ = _failures(results, kept, fails)
    tally = {status: sum(1 for r in results if r.status == status) + sum(s.counts[status] for s in kept)
             for status in ("pass", "fail", "error", "skipped")}
    verdict = f"✗ {blocking} blocking" if blocking else "✓ no blocking failures"
    if warnings:
        verdict += f", {warnings} warning{'s' if warnings != 1 else ''}"
    counts = ", ".join(f"{n} {status}" for status, n in tally.items() if n)
    where = f" · {len(subjects)} subject{'s' if len(subjects) != 1 else ''}" if subjects else ""
    return [(f"━━ {pack} ", "bold"), (verdict, "bold red" if blocking else "bold green"),
            (f"  ({counts or 'no results'}{where})", "dim")]


def _statistics(results: list) -> list:
    """`--statistics`, as ruff's: failures (and errors) counted per gate id, most first."""
    counts: dict = {}
    for result in results:
        if result.status in ("fail", "error"):
            counts.setdefault(result.gate, [0, result.severity])[0] += 1
    if not counts:
        return []
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    width = len(str(ranked[0][1][0]))
    return [[(f"{count:>{width}}  ", "bold"), (gate, "bold" if severity == "error" else ""),
             (SEVERITY_LABEL.get(severity, ""), "dim")] for gate, (count, severity) in ranked]


def stage_words(subject, reads_claims: bool = True, where: bool = True) -> str:
    """What a subject claims and has earned, in words that say which case it is: a claim naming
    no known stage is not a lifecycle that reads no claim, and nothing earned is not a pass."""
    if subject.claimed:
        claim = f"claims {subject.claimed}" + (f" ({subject.claimed_at})" if subject.claimed_at and where else "")
    elif subject.claimed_at:  # read, but it names no stage of the lifecycle (reported as `.claims`)
        claim = "claims an unknown stage" + (f" ({subject.claimed_at})" if where else "")
    elif reads_claims:
        claim = "claims no stage"
    else:
        claim = ""
    earned = f"earned {subject.earned}" if subject.earned else "has earned no stage yet"
    return f"{claim} · {earned}" if claim else earned


def lifecycles_without_claims(run) -> set:
    """Ids of the run's lifecycles that read no claim (no `claims` line)."""
    from ..syntax import ast

    out: set = set()

    def visit(pack):
        for used in getattr(pack, "uses", ()):
            visit(used)
        for item in getattr(getattr(pack, "ast", None), "items", ()):
            if isinstance(item, ast.Lifecycle) and not item.claims:
                out.add(f"{pack.name}.{item.name}")

    for pack in run.loaded_packs:
        visit(pack)
    return out


def _block(results: list, subjects: list, verbose: bool, quiet: bool = False, unclaimed: frozenset = frozenset(),
           fails=lambda r: r.blocking()) -> list:
    """Repository-wide results, then one block per subject (quiet: only those that fail)."""
    out: list = []
    by_subject: dict = {}
    for result in results:
        by_subject.setdefault(result.subject, []).append(result)

    repo_wide = [r for r in by_subject.get(None, []) if _shown(r, verbose, quiet)]
    if repo_wide:
        out.append([("repository", "bold")])
        out.extend(_results_lines(repo_wide))
        out.append([])
    baselined = 0 if verbose or quiet else sum(s.tally[3] for s in _kept_blocks(subjects)) + sum(
        1 for r in results if r.status == "waived" and is_baselined(r))

    for subject in subjects:
        rows = getattr(subject, "rows", None)  # a subject the results cache kept the block of (results.KeptSubject)
        if rows is None:
            mine = [r for r in by_subject.get(subject.id, []) if r.lifecycle == subject.lifecycle]
            rows = subject_rows(subject, mine, verbose, quiet, unclaimed, fails)
        out.extend(rows)
    if subjects and out and out[-1]:
        out.append([])
    if baselined:
        out.append([(f"{baselined} known failure{'s' if baselined != 1 else ''} waived by the baseline "
                     "(-v lists them)", "dim")])
        out.append([])
    return out


def subject_rows(subject, results: list, verbose: bool, quiet: bool, unclaimed, fails) -> list:
    """One subject's block: its line, then the results it shows (and a blank row after them);
    none when quiet and nothing fails. The results cache keeps these rows (its text pieces)."""
    shown = [r for r in results if _shown(r, verbose, quiet)]
    if quiet and not shown:
        return []
    stages = stage_words(subject, subject.lifecycle not in unclaimed)
    ok = "" if not subject.earned or any(fails(r) for r in results) else "  ✓"
    rows = [[(subject.id, "bold"), (f"  {stages}", "dim"), (ok, "green")]]
    rows.extend(_results_lines(shown))
    if shown:
        rows.append([])
    return rows


def _shown(result, verbose: bool, quiet: bool) -> bool:
    if quiet:
        return result.status in ("fail", "error")
    if result.status == "waived" and is_baselined(result):
        return verbose  # known failures: counted, listed with -v
    return verbose or result.status in ("fail", "error", "waived")


def is_baselined(result) -> bool:
    from ..configure import BASELINE_REASON

    return getattr(result.waiver, "reason", None) == BASELINE_REASON


def _results_lines(results: list) -> list:
    """Each result's lines; errors with the same cause (`git.commits` needs --base, for every
    gate of a pack) are shown once, naming every gate they stopped."""
    groups: dict = {}  # a cause (or the result itself) -> its results, in first-seen order
    for result in results:
        cause = tuple((e.path, e.line, e.message) for e in result.evidence) \
            if (result.status == "error" or _missing(result)) and result.evidence else id(result)
        groups.setdefault(cause, []).append(result)
    rows: list = []
    for group in groups.values():
        result = group[0]
        if len(group) == 1:
            rows.extend(_result_lines(result))
            continue
        if _missing(result):  # one missing file is one finding: the gates that needed it, a line each
            rows.append([(f"  {STATUS_LABEL['fail']:<6} ", STATUS_STYLE["fail"]),
                         (f"{result.evidence[0].path} is missing", "bold"), (f"  {len(group)} gates need it", "")])
        else:
            rows.append([(f"  {STATUS_LABEL['error']:<6} ", STATUS_STYLE["error"]),
                         (f"{len(group)} gates stopped by the same error", "bold")])
        for member in group:
            severity = SEVERITY_LABEL.get(member.severity, "")
            rows.append([(f"         {member.gate}", "bold"), (f"  {member.title}{severity}", "")])
        for ev in [] if _missing(result) else result.evidence:
            where = f"{ev.path}:{ev.line}" if ev.line else ev.path
            rows.append([(f"         {where}", "cyan"), (f"  {ev.message}", "")])
    return rows


def _missing(result) -> bool:
    """A failure because the file the gate reads is absent (one evidence line: that file)."""
    return (result.status == "fail" and len(result.evidence) == 1
            and result.message == f"`{result.evidence[0].path}` is missing")


def _result_lines(result) -> list:
    label = STATUS_LABEL[result.status]
    severity = SEVERITY_LABEL.get(result.severity, "") if result.status in ("fail", "error") else ""
    rows = [[(f"  {label:<6} ", STATUS_STYLE[result.status]), (result.gate, "bold"),
             (f"  {result.title}{severity}", "")]]
    for ev in result.evidence:
        where = f"{ev.path}:{ev.line}" if ev.line else ev.path
        rows.append([(f"         {where}", "cyan"), (f"  {ev.message}", "")])
    repeated = result.status == "error" and len(result.evidence) == 1 and result.message.endswith(result.evidence[0].message)
    if result.status in ("fail", "error", "skipped") and result.message and not repeated:
        tail = f"require {result.require}  → {result.message}" if result.require else result.message
        rows.append([(f"         {tail}", "dim")])
    if result.status == "waived" and result.waiver is not None:
        rows.append([(f"         waived: {waiver_text(result.waiver)}", "yellow")])
    return rows


def waiver_text(waiver) -> str:
    """`reason (approved by X, until 2026-12-31; .policylint.yaml:7)`: shared by the formats."""
    details = []
    if getattr(waiver, "approved_by", None):
        details.append(f"approved by {waiver.approved_by}")
    if getattr(waiver, "expires", None):
        details.append(f"until {waiver.expires.isoformat()}")
    where = waiver.where() if hasattr(waiver, "where") else ""
    tail = "; ".join(x for x in (", ".join(details), where) if x)
    return f"{waiver.reason} ({tail})" if tail else waiver.reason


def _summary(run) -> list:
    """The verdict agrees with the exit code: under `fail_on: warning` a warning blocks too."""
    counts = run.summary()
    fails = fails_of(run)
    everyone = _subjects(run)
    blocking, warnings, warning_blocks = _failures(run.results, _kept_blocks(everyone), fails)
    subjects = len(everyone)
    parts = [f"{counts['pass']} pass", f"{counts['fail']} fail", f"{counts['error']} error",
             f"{counts['waived']} waived", f"{counts['skipped']} skipped"]
    verdict = ("✗ " + f"{blocking} blocking" if blocking else "✓ no blocking failures")
    if getattr(run, "fail_on", "error") == "warning" and warning_blocks:
        verdict += " (warnings block: fail_on is warning)"
    if warnings:
        verdict += f", {warnings} warning{'s' if warnings != 1 else ''}"
    style = "bold red" if blocking else "bold green"
    return [(verdict, style), (f"  ({', '.join(parts)} · {subjects} subject{'s' if subjects != 1 else ''})", "dim")]


def render(run, out, options) -> None:
    """Each row on one line: control characters in what it quotes are written as escapes.
    Plain text is written in one piece (`visible` escapes character by character, so a row
    is escaped whole)."""
    from ..controls import visible

    if not getattr(options, "color", False):
        out.write("".join([visible("".join([str(text) for text, _ in row])).rstrip() + "\n"
                           for row in lines(run, options)]))
        return
    from rich.console import Console
    from rich.text import Text

    # the caller decided (--color, NO_COLOR, a terminal): rich is told, not left to guess again
    console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=True, no_color=False,
                      color_system="standard")
    for row in lines(run, options):
        console.print(Text.assemble(*[(visible(t), s) for t, s in row]) if row else "")
