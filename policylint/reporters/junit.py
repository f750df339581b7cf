"""JUnit XML, for test dashboards (GitLab `artifacts:reports:junit`, Jenkins, Azure DevOps).

One `<testsuite>` per pack (named after it, in the run's pack order), one `<testcase>` per
subject x gate: `classname` is the subject (`repository` for a repository-wide gate),
`name` is the gate id. A passing gate is an empty test case; a failing one holds
`<failure message="…" type="<severity>">` whose text is the gate title, the evidence, one
`path:line: message` a line, then the `require` that failed and why (as the text format
shows it); a gate that could not be evaluated holds `<error>` the same way; a skipped
gate holds `<skipped message="…">` (why it was not required), and so does a waived one
(`waived: <reason> (approved by …, until …)`, its evidence as text, so nothing is lost).
Warnings and infos that fail are failures too, with `type` saying their severity: a
dashboard is not the place that decides what blocks.

Counts on every suite and on `<testsuites>`: tests, failures, errors, skipped (waived
included). No `time` or `timestamp`: same run, same bytes. Text is escaped for XML 1.0,
and characters XML 1.0 cannot carry (C0 controls, lone surrogates) are written as `\\xNN`.
"""
from __future__ import annotations

import re

from .sarif import waiver_text

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        str(text))


def _text(text: str) -> str:
    return (_clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _attr(text: str) -> str:
    return (_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def _evidence_lines(result) -> list:
    """`path:line: message` a line; a newline in a path is written `\\n`, so a folder's name
    cannot start a line of its own."""
    from ..controls import visible

    rows = []
    for ev in result.evidence:
        where = visible(f"{ev.path}:{ev.line}" if ev.line else ev.path)
        rows.append(f"{where}: {ev.message}" if ev.message else where)
    if result.require:
        rows.append(f"require {result.require}" + (f"  → {result.message}" if result.message else ""))
    elif result.message:
        rows.append(result.message)
    return rows


def _pack(result, run) -> str:
    doc = (getattr(run, "gate_docs", None) or {}).get(result.gate) or {}
    return doc.get("pack") or result.gate.split(".", 1)[0]


class _Attrs(dict):
    """`_attr` of each distinct text once: a run names the same subjects and gates thousands of times."""

    def __missing__(self, text):
        value = self[text] = _attr(text)
        return value


def _case(result, attrs=None) -> list:
    attr = _attr if attrs is None else attrs.__getitem__
    head = f'    <testcase classname="{attr(result.subject or "repository")}" name="{attr(result.gate)}"'
    status = result.status
    if status in ("fail", "error"):
        tag = "failure" if status == "fail" else "error"
        message = result.message or result.title
        body = "\n".join([result.title] + _evidence_lines(result))
        return [head + ">",
                f'      <{tag} message="{_attr(message)}" type="{_attr(result.severity)}">{_text(body)}</{tag}>',
                "    </testcase>"]
    if status == "waived":
        message = "waived: " + waiver_text(getattr(result, "waiver", None))
        body = "\n".join(_evidence_lines(result))
        return [head + ">", f'      <skipped message="{_attr(message)}">{_text(body)}</skipped>', "    </testcase>"]
    if status == "skipped":
        return [head + ">", f'      <skipped message="{_attr(result.message or "skipped")}"/>', "    </testcase>"]
    return [head + "/>"]


def _counts(results) -> str:
    fails = sum(1 for r in results if r.status == "fail")
    errors = sum(1 for r in results if r.status == "error")
    skipped = sum(1 for r in results if r.status in ("skipped", "waived"))
    return f'tests="{len(results)}" failures="{fails}" errors="{errors}" skipped="{skipped}"'


def render(run, out, options) -> None:
    suites: dict = {name: [] for name in run.packs}
    packs: dict = {}  # gate -> its pack
    for result in run.results:
        pack = packs.get(result.gate)
        if pack is None:
            pack = packs[result.gate] = _pack(result, run)
        suites.setdefault(pack, []).append(result)
    attrs = _Attrs()
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name="policylint" {_counts(run.results)}>']
    for name, results in suites.items():
        if not results:
            lines.append(f'  <testsuite name="{_attr(name)}" {_counts(results)}/>')
            continue
        lines.append(f'  <testsuite name="{_attr(name)}" {_counts(results)}>')
        for result in results:
            lines.extend(_case(result, attrs))
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    out.write("\n".join(lines) + "\n")
