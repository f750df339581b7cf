"""GitHub Actions: annotations as workflow commands, and the Markdown report in the job summary.

`policylint check -f github` in a workflow step prints one workflow command per evidence
line of every failing or erroring gate:

    ::error file=specs/001-login/spec.md,line=12,title=speckit.clarified.no-open-questions%3A …::open question: …

`::error` for an error-severity gate, `::warning` for a warning, `::notice` for an info.
`file` is the path from the top of the checkout (the root's place in its git work tree is
prefixed); `line` is left out when the evidence names a whole file. A gate without
evidence (a repository-wide gate) is annotated at the line of its policy when the policy is
in the repository, and without a file otherwise. Waived, skipped and passing gates are not
annotated (the summary lists them); notices are (`::warning` for configuration notices such
as a stale waiver, `::notice` for others). A last plain line gives the verdict for the log.

Escaping is the one the Actions toolkit documents: in the message `%` -> `%25`, CR -> `%0D`,
LF -> `%0A`; in property values also `:` -> `%3A` and `,` -> `%2C`. A message can therefore
never start a new command, whatever a spec file contains. Other control characters (C0, C1,
DEL, line separators, bidirectional overrides) are written as `\\xNN` or `\\uNNNN`, so none
reaches the log's terminal.

When `$GITHUB_STEP_SUMMARY` names a file, the Markdown report (the `markdown` format: PR
comment and stage dashboard) is appended to it, and shows on the run's summary page. A file
that cannot be written gives a `::warning` and changes nothing else.
"""
from __future__ import annotations

import os

from . import markdown
from ..controls import escaped
from .sarif import findings, repo_prefix

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text) -> str:
    s = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return escaped(s)  # shown, not sent to the terminal


def escape_property(text) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message, **props) -> str:
    """`::kind k=v,k=v::message`; properties whose value is None are left out, in the given order."""
    given = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v is not None)
    return f"::{kind}{' ' + given if given else ''}::{escape_data(message)}"


def annotations(run, options) -> list:
    out = []
    for f in findings(run, options, statuses=("fail", "error")):
        r = f.result
        title = f"{r.gate}: {r.title}" if r.title and r.title != r.gate else r.gate
        message = f.message if f.in_repo else f"{f.message}\n(declared in {f.path}{f':{f.line}' if f.line else ''})"
        out.append(command(LEVEL.get(r.severity, "warning"), message, file=f.path if f.in_repo else None,
                           line=f.line if f.in_repo and f.line else None, title=title))
    prefix = repo_prefix(options, run.root)
    for n in run.notices:
        kind = "warning" if str(n.code).startswith("PL3") else "notice"
        out.append(command(kind, n.message, file=prefix + n.path if n.path else None, line=n.line or None,
                           title=f"policylint {n.code}"))
    return out


def _append_summary(path: str, text: str) -> str | None:
    """Append `text` to the job summary file; the error, if it could not."""
    try:
        with open(path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell():
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    text = "\n" + text
            fh.write(text.encode("utf-8"))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def render(run, out, options) -> None:
    lines = annotations(run, options)
    environ = getattr(options, "environ", None) or os.environ
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        problem = _append_summary(summary, markdown.comment(run))
        if problem:
            lines.append(command("warning", f"cannot append the job summary to {summary}: {problem}",
                                 title="policylint"))
    lines.append(f"policylint: {markdown.verdict(run)} ({markdown._counts(run)})")
    out.write("\n".join(lines) + "\n")
