"""GitLab Code Quality: the JSON report a merge request shows in its Code Quality widget.

`policylint check -f gitlab -o gl-code-quality-report.json`, declared as
`artifacts: reports: codequality:` in the job. A JSON array with one issue per evidence line
of every failing or erroring gate (waived, skipped and passing gates are not issues: Code
Quality has no notion of a dismissed finding), each with the fields GitLab reads:

- `description`: the gate title, then what failed, on one line;
- `check_name`: the gate id;
- `fingerprint`: 32 hex digits hashing the gate id, subject, path and evidence message
  (never the line, so an issue keeps its identity when lines move above it), with
  identical messages in one file told apart by their order: unique in the report, as GitLab
  requires (it shows only the first issue of a fingerprint);
- `severity`: a failing error-severity gate is `major`, and one that could not be
  evaluated at all (status `error`: an unreadable artifact) is `critical`, as
  eslint-formatter-codeclimate 2.0.1 (what eslint's GitLab formatter uses) maps an ESLint
  error to `major` and a fatal one to `critical`; warning -> `minor`, info -> `info`.
  `blocker` is not used: policylint has a single blocking level;
- `location.path` from the top of the repository (the root's place in its git work tree
  is prefixed) and `location.lines.begin` (1 when the evidence names a whole file). A gate
  without evidence points at the line of its policy; a pack outside the repository shows
  as `<pack>/<file>.policy`.

`type` is `issue`, as in the Code Climate spec GitLab's format derives from (its `categories`
are left out: GitLab does not read them, and none of them names a process gate).
Same run, same bytes.
"""
from __future__ import annotations

from .sarif import dumps, findings

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def severity(result) -> str:
    if result.severity == "error" and result.status == "error":
        return "critical"
    return SEVERITY.get(result.severity, "minor")


def issues(run, options) -> list:
    out = []
    for f in findings(run, options, statuses=("fail", "error")):
        r = f.result
        what = "; ".join(" ".join(line.split()) for line in f.message.splitlines() if line.strip())
        title = r.title or r.gate
        out.append({
            "type": "issue",
            "check_name": r.gate,
            "description": f"{title}: {what}" if what and what != title else title,
            "fingerprint": f.fingerprint,
            "severity": severity(r),
            "location": {"path": f.path, "lines": {"begin": f.line if f.line and f.line >= 1 else 1}},
        })
    return out


def render(run, out, options) -> None:
    out.write(dumps(issues(run, options)))
