"""Spans, diagnostics and the table of error codes.

Codes are stable and never reused: PL1xx syntax, PL2xx checks, PL3xx config and
waivers, PL4xx artifacts, PL9xx internal. Each has a kebab-case name stating the problem.
"""
from __future__ import annotations

from .structs import struct

CODES = {
    "PL100": "syntax-error",
    "PL101": "unterminated-string",
    "PL102": "unexpected-character",
    "PL103": "invalid-interpolation",
    "PL104": "unexpected-end-of-file",
    "PL105": "nesting-too-deep",
    "PL200": "unreadable-policy",
    "PL201": "unknown-field",
    "PL202": "wrong-argument-type",
    "PL203": "wrong-argument-count",
    "PL204": "unknown-name",
    "PL205": "unknown-function",
    "PL206": "duplicate-stage",
    "PL207": "duplicate-gate",
    "PL208": "unknown-pack",
    "PL209": "invalid-regex",
    "PL210": "duplicate-definition",
    "PL211": "not-a-collection",
    "PL212": "wrong-operand-type",
    "PL213": "not-callable",
    "PL214": "use-cycle",
    "PL215": "evaluation-too-deep",
    "PL216": "use-outside-root",
    "PL217": "used-before-declaration",  # retired: declarations are visible in any order
    "PL218": "recursive-def",
    "PL219": "bad-extension",
    "PL220": "bad-override",
    "PL221": "quantifier-without-condition",
    "PL222": "ambiguous-def",
    "PL300": "invalid-config",
    "PL301": "stale-waiver",
    "PL302": "unknown-format",
    "PL303": "expired-waiver",
    "PL304": "refused-waiver",
    "PL305": "unknown-param",
    "PL306": "fixed-since-baseline",
    "PL307": "invalid-baseline",
    "PL308": "invalid-case-file",
    "PL309": "unwaivable-gate-kept",
    "PL310": "config-path-outside-root",
    "PL311": "refused-cache-folder",
    "PL312": "unknown-gate",
    "PL313": "invalid-inline-waiver",
    "PL401": "file-not-found",
    "PL402": "path-outside-root",
    "PL403": "invalid-encoding",
    "PL405": "unreadable-artifact",
    "PL406": "unknown-stage-claimed",
    "PL407": "duplicate-key",
    "PL408": "unresolved-reference",
    "PL900": "internal-error",
}

RETIRED = {"PL217"}  # no longer reported; kept so that a code never comes to mean something else


# Files a diagnostic may quote, as their spans name them: the policies and configuration
# policylint itself chose to read in this run, after confining them to the root (or to
# built-in, installed and user-named packs). A span naming any other file is shown without
# its source line, so no diagnostic ever prints a file from outside the root.
QUOTABLE: set = set()


@struct(frozen=True)
class Span:
    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@struct
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    help: str | None = None
    severity: str = "error"

    def headline(self) -> str:
        """One line, whatever the policy or file named in it holds (controls made visible)."""
        from .controls import visible

        where = f"{self.span}: " if self.span else ""
        return visible(f"{where}{self.severity}[{self.code}] {self.message}")

    def render(self, source: str | None = None) -> str:
        """`path:line:col: error[CODE] message`, the source line with a caret, `help:`.

        The quoted line is a repository's file: its control characters are written as escapes
        (tabs kept, so the caret still lines up) and never reach the terminal raw."""
        from .controls import escaped

        out = [self.headline()]
        if self.span and source is not None:
            lines = source.split("\n")
            if 1 <= self.span.line <= len(lines):
                raw = lines[self.span.line - 1].rstrip("\r")
                text = escaped(raw)  # tabs kept
                num = str(self.span.line)
                pad = " " * len(num)
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column:
                    width = max(1, self.span.end_column - self.span.column)
                width = min(width, max(1, len(raw) - self.span.column + 1))
                out.append(f"{pad} |")
                out.append(f"{num} | {text}")
                before = escaped(raw[:self.span.column - 1])
                indent = "".join(c if c == "\t" else " " for c in before)  # tabs stay tabs
                out.append(f"{pad} | {indent}{'^' * width}")
        if self.help:
            out.append("help: " + escaped(self.help).replace("\n", "\\n"))
        return "\n".join(out)


def did_you_mean(word: str, choices, what: str = "") -> str | None:
    """`did you mean `x`?` plus at most five choices, then `(N more)`."""
    import difflib

    choices = sorted(set(choices))
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    listing = ", ".join(choices[:5]) + (f" ({len(choices) - 5} more)" if len(choices) > 5 else "")
    if close:
        tail = f" ({what}: {listing})" if what and listing else ""
        return f"did you mean `{close[0]}`?{tail}"
    if listing and what:
        return f"{what}: {listing}"
    return None
