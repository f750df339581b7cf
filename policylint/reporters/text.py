"""Human output: one block per subject, failures with their evidence, a closing summary.

Colour (rich) only on a terminal; plain text when piped or NO_COLOR is set, so CI logs
and golden files stay byte-stable.
"""
from __future__ import annotations

STATUS_LABEL = {"fail": "FAIL", "error": "ERROR", "pass": "PASS", "skipped": "SKIP", "waived": "WAIVED"}
STATUS_STYLE = {"fail": "bold red", "error": "bold magenta", "pass": "green", "skipped": "dim", "waived": "yellow"}
SEVERITY_LABEL = {"warning": " (warning)", "info": " (info)", "error": ""}


def lines(run, options) -> list:
    """The report as a list of lines, each a list of (text, style) segments."""
    out: list = []
    verbose = getattr(options, "verbose", False)

    def show(result) -> bool:
        return verbose or result.status in ("fail", "error", "waived")

    by_subject: dict = {}
    for result in run.results:
        by_subject.setdefault(result.subject, []).append(result)

    repo_wide = [r for r in by_subject.get(None, []) if show(r)]
    if repo_wide:
        out.append([("repository", "bold")])
        for result in repo_wide:
            out.extend(_result_lines(result))
        out.append([])

    for subject in run.subjects:
        results = [r for r in by_subject.get(subject.id, []) if r.lifecycle == subject.lifecycle]
        shown = [r for r in results if show(r)]
        claim = f"claims {subject.claimed}" if subject.claimed else "claims no stage"
        if subject.claimed_at:
            claim += f" ({subject.claimed_at})"
        earned = f"earned {subject.earned}" if subject.earned else "earned nothing"
        ok = "" if any(r.blocking() for r in results) else "  ✓"
        out.append([(subject.id, "bold"), (f"  {claim} · {earned}", "dim"), (ok, "green")])
        for result in shown:
            out.extend(_result_lines(result))
        if shown:
            out.append([])
    if run.subjects and out and out[-1]:
        out.append([])

    for notice in run.notices:
        where = f"{notice.path}:{notice.line}" if notice.line else notice.path
        out.append([(f"note[{notice.code}] ", "cyan"), (f"{where}: {notice.message}", "")])
    if run.notices:
        out.append([])

    out.append(_summary(run))
    return out


def _result_lines(result) -> list:
    label = STATUS_LABEL[result.status]
    severity = SEVERITY_LABEL.get(result.severity, "") if result.status in ("fail", "error") else ""
    rows = [[(f"  {label:<6} ", STATUS_STYLE[result.status]), (result.gate, "bold"),
             (f"  {result.title}{severity}", "")]]
    for ev in result.evidence:
        where = f"{ev.path}:{ev.line}" if ev.line else ev.path
        rows.append([(f"         {where}", "cyan"), (f"  {ev.message}", "")])
    if result.status in ("fail", "error", "skipped") and result.message:
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
    counts = run.summary()
    blocking = sum(1 for r in run.results if r.blocking())
    warnings = sum(1 for r in run.results if r.status in ("fail", "error") and r.severity != "error")
    subjects = len(run.subjects)
    parts = [f"{counts['pass']} pass", f"{counts['fail']} fail", f"{counts['error']} error",
             f"{counts['waived']} waived", f"{counts['skipped']} skipped"]
    verdict = ("✗ " + f"{blocking} blocking" if blocking else "✓ no blocking failures")
    if warnings:
        verdict += f", {warnings} warning{'s' if warnings != 1 else ''}"
    style = "bold red" if blocking else "bold green"
    return [(verdict, style), (f"  ({', '.join(parts)} · {subjects} subject{'s' if subjects != 1 else ''})", "dim")]


def render(run, out, options) -> None:
    rendered = lines(run, options)
    if getattr(options, "color", False):
        from rich.console import Console
        from rich.text import Text

        console = Console(file=out, highlight=False, soft_wrap=True)
        for row in rendered:
            console.print(Text.assemble(*[(t, s) for t, s in row]) if row else "")
        return
    for row in rendered:
        out.write("".join(text for text, _ in row).rstrip() + "\n")
