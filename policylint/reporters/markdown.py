"""Markdown: a pull-request comment that ends with the stage dashboard of every subject.

`policylint check -f markdown -o comment.md` writes, in order:

- a hidden `<!-- policylint -->` marker (a bot finds and updates its own comment by it) and
  a verdict heading: `✗ N blocking` or `✓ no blocking failures`, with warnings counted,
  then the counts per status;
- **Failing gates**: one row per failing or erroring gate (warnings and infos included,
  marked as such): status, gate id and title, subject (`repository` for a repository-wide
  gate), and why: the gate's message, then its evidence as `path:line` text (no links, so
  the comment reads the same wherever it is posted), at most 5 lines, then `… and N more`;
- **Waived gates**: gate, subject, reason, who approved it, until when, and where the
  waiver is written;
- **Stage dashboard**: every subject with the stage it claims, the stage it has earned, the
  next stage, and what it lacks to get there: the table teams keep by hand in PROGRESS.md
  (`render_dashboard` writes only that table, for such a file);
- the subjects that pass every gate they must, collapsed in a `<details>` block;
- **Notices** (stale or expired waivers, encoding fallbacks), when there are any.

User text is escaped for GitHub-flavoured Markdown: table pipes, emphasis, brackets, HTML
tags and entities are shown literally; an `@name` gets a zero-width space after the `@`
(as Renovate does) so a comment never pings someone because a spec mentions them; paths
and ids are code spans. The GitHub format appends this same text to the job summary. Same
run, same bytes: no timestamps.
"""
from __future__ import annotations

import re

from ..controls import escaped
from .sarif import waiver_text

MAX_EVIDENCE = 5
MARKER = "<!-- policylint -->"
_SPECIAL = re.compile(r"[\\`*_\[\]<>|~&#]")
_MENTION = re.compile(r"@(?=\w)")


def md(text) -> str:
    """Inline text shown literally, on one line (newlines become `<br>`)."""
    s = _SPECIAL.sub(lambda m: "\\" + m.group(), str(text).replace("\r\n", "\n").replace("\r", "\n"))
    s = _MENTION.sub("@&#8203;", s)
    s = s.replace("\n", "<br>")
    return escaped(s)


def rich(text, table: bool = True) -> str:
    """A policylint message: its `quoted` parts as code spans, the rest as literal text."""
    parts = re.split(r"(`[^`\n]+`)", str(text))
    return "".join(code(p[1:-1], table) if i % 2 else md(p) for i, p in enumerate(parts))


def code(text, table: bool = True) -> str:
    """A code span that holds any text (inside a table, `|` is written `\\|`, as GFM requires)."""
    s = escaped(" ".join(str(text).splitlines()))
    if table:
        s = s.replace("|", "\\|")
    ticks = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (ticks + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" ") and s.strip()) else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _where(ev) -> str:
    return f"{ev.path}:{ev.line}" if ev.line else ev.path


def _levels(run) -> tuple:
    return ("error",) if getattr(run, "fail_on", "error") == "error" else ("error", "warning")


def _blocking(run, result) -> bool:
    return result.status in ("fail", "error") and result.severity in _levels(run)


def verdict(run) -> str:
    blocking = sum(1 for r in run.results if _blocking(run, r))
    others = sum(1 for r in run.results if r.status in ("fail", "error") and not _blocking(run, r))
    text = f"✗ {blocking} blocking" if blocking else "✓ no blocking failures"
    if others:
        text += f", {others} warning{'s' if others != 1 else ''}"
    return text


def _counts(run) -> str:
    counts = run.summary()
    n = len(run.subjects)
    parts = [f"{counts.get(k, 0)} {k}" for k in ("pass", "fail", "error", "waived", "skipped")]
    return " · ".join(parts) + f" · {n} subject{'s' if n != 1 else ''}"


def _status(result) -> str:
    mark = {"error": "✗", "warning": "⚠", "info": "ℹ"}.get(result.severity, "✗")
    return f"{mark} {result.status}" + (f" ({result.severity})" if result.severity != "error" else "")


def _why(result) -> str:
    rows = [rich(result.message)] if result.message else []
    shown = result.evidence[:MAX_EVIDENCE]
    rows += [code(_where(ev)) + (" " + rich(ev.message) if ev.message else "") for ev in shown]
    if len(result.evidence) > len(shown):
        rows.append(f"… and {len(result.evidence) - len(shown)} more")
    return "<br>".join(rows) or md(result.title)


def _subject(result) -> str:
    return code(result.subject) if result.subject is not None else "repository"


def failing_table(run) -> list:
    rows = [r for r in run.results if r.status in ("fail", "error")]
    if not rows:
        return []
    out = ["### Failing gates", "", "| status | gate | subject | why |", "| --- | --- | --- | --- |"]
    for r in rows:
        out.append(f"| {_status(r)} | {code(r.gate)}<br>{md(r.title)} | {_subject(r)} | {_why(r)} |")
    return out + [""]


def waived_table(run) -> list:
    rows = [r for r in run.results if r.status == "waived"]
    if not rows:
        return []
    out = ["### Waived gates", "", "| gate | subject | reason | approved by | until | waiver |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        w = getattr(r, "waiver", None)
        reason = md(getattr(w, "reason", "") or "") if w is not None else md(waiver_text(None))
        approver = code(w.approved_by) if getattr(w, "approved_by", None) else "—"
        expires = getattr(w, "expires", None)
        until = code(expires.isoformat() if hasattr(expires, "isoformat") else expires) if expires else "—"
        where = w.where() if hasattr(w, "where") else (getattr(w, "path", "") or "")
        out.append(f"| {code(r.gate)} | {_subject(r)} | {reason} | {approver} | {until} | "
                   f"{code(where) if where else '—'} |")
    return out + [""]


def _lack(result) -> str:
    gate = result.gate.split(".", 1)[1] if "." in result.gate else result.gate
    if result.evidence:
        ev = result.evidence[0]
        more = f" (+{len(result.evidence) - 1} more)" if len(result.evidence) > 1 else ""
        detail = f"{code(_where(ev))} {rich(ev.message)}{more}"
    else:
        detail = rich(result.message or result.title)
    return f"{code(gate)}: {detail}"


def dashboard(run) -> list:
    """The stage dashboard: every subject, what it claims, has earned, and lacks for the next stage."""
    out = ["### Stage dashboard", ""]
    if not run.subjects:
        return out + ["No subjects.", ""]
    out += ["| subject | claimed | earned | next | what it lacks |", "| --- | --- | --- | --- | --- |"]
    for s in run.subjects:
        lacks = "<br>".join(_lack(r) for r in s.lacks) or "—"
        cells = [code(s.id)] + [md(v) if v else "—" for v in (s.claimed, s.earned, s.next_stage)] + [lacks]
        out.append("| " + " | ".join(cells) + " |")
    return out + [""]


def passing_subjects(run) -> list:
    blocked = {(r.subject, r.lifecycle) for r in run.results if _blocking(run, r)}
    passing = [s for s in run.subjects if (s.id, s.lifecycle) not in blocked]
    if not passing:
        return []
    n = len(passing)
    summary = "1 subject passes every gate it must" if n == 1 else f"{n} subjects pass every gate they must"
    out = ["<details>", f"<summary>{summary}</summary>", ""]
    from .text import lifecycles_without_claims, stage_words

    unclaimed = lifecycles_without_claims(run)
    for s in passing:
        out.append(f"- {code(s.id, table=False)} · {md(stage_words(s, s.lifecycle not in unclaimed, where=False))}")
    return out + ["", "</details>", ""]


def notices(run) -> list:
    if not run.notices:
        return []
    out = ["### Notices", ""]
    for n in run.notices:
        where = f"{n.path}:{n.line}" if n.line else n.path
        out.append(f"- {code(n.code, table=False)} {code(where, table=False)} {rich(n.message, table=False)}")
    return out + [""]


def comment(run) -> str:
    lines = [MARKER, f"## policylint: {verdict(run)}", "", _counts(run), ""]
    lines += failing_table(run) + waived_table(run) + dashboard(run) + passing_subjects(run) + notices(run)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def render(run, out, options) -> None:
    out.write(comment(run))


def render_dashboard(run, out, options) -> None:
    """Only the stage dashboard, for a PROGRESS.md kept in the repository."""
    lines = ["# Stage dashboard"] + dashboard(run)[1:]
    while lines and not lines[-1]:
        lines.pop()
    out.write("\n".join(lines) + "\n")
