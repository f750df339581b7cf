"""Inline waivers: a waiver written where the finding is, as ruff's `# noqa`.

    <!-- policylint: waive speckit.clarified.no-open-questions -- decided in the 2026-05 review -->
    # policylint: waive api-contract.* -- the v1 spec is frozen

The first form in Markdown, the second in YAML and TOML. A comment waives the gates it names
(ids or globs, as `waivers:` in the configuration; several separated by commas or spaces)
for a finding on its own line or on the next one; a comment in a file's leading comments also
waives the findings that point at the whole file (no line). The reason, after ` -- `, is
required: a comment without one, or without a gate, waives nothing and is noted (PL313).

A result is waived inline when every place it points at has a comment waiving its gate; when
only some have, it still fails (the comments beside it are not stale). `wire` hands such a
result's waiver to configure.py, which applies it as any waiver (an unwaivable gate refuses
it, PL304). The files a failing result points at are read while the engine runs, so an inline
waiver counts towards the earned stage as one in the configuration does; after the run every
other file the run read is read too, for the comments that waive nothing (PL301) or name no
gate of the run (PL312). All through Repo.read_text: root-confined and memoized.
"""
from __future__ import annotations

import re

from .configure import gate_match
from .errors import ArtifactError
from .patterns import lazy
from .structs import field, struct

MARKDOWN = (".md", ".markdown")
HASH_COMMENTS = (".yaml", ".yml", ".toml")
# Run on repository text, so through RE2 (linear: a line of a thousand unclosed `<!--
# policylint: waive` is no quadratic scan), compiled on first use.
_MARKDOWN_WAIVER = r"<!--\s*policylint:\s*waive\b(?P<body>.*?)-->"
_HASH_WAIVER = r"#\s*policylint:\s*waive\b(?P<body>.*)$"
_REASON = lazy(r"\s--(?:\s|$)")
_FENCE = lazy(r"^\s{0,3}(```|~~~)")
EXAMPLE = {"markdown": "<!-- policylint: waive GATE-ID -- reason -->", "hash": "# policylint: waive GATE-ID -- reason"}


@struct
class InlineWaiver:
    """One gate id or glob waived by the comment at `path:line`: the fields of config.Waiver,
    and `lines`, the (path, line) places whose findings it waives."""

    gate: str
    reason: str
    path: str
    line: int
    lines: frozenset = frozenset()
    subject: str | None = None
    approved_by: str | None = None
    expires: object = None
    used: bool = False
    expired: bool = False
    refused: bool = False

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@struct
class Problem:
    """A waiver comment that cannot waive: where it is and why (PL313)."""

    path: str
    line: int
    message: str


@struct
class Found:
    waivers: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def syntax_of(path: str) -> str | None:
    """`markdown`, `hash` (YAML, TOML) or None: a file of another kind holds no waiver."""
    lower = path.lower()
    if lower.endswith(MARKDOWN):
        return "markdown"
    if lower.endswith(HASH_COMMENTS):
        return "hash"
    return None


class Collector:
    """Reads each file once for its waiver comments, on demand, and keeps what it found."""

    def __init__(self, repo):
        self.repo = repo
        self.scanned: set = set()
        self.found = Found()

    def for_result(self, result) -> None:
        """Read the files a failing result points at, not read before."""
        if result.status in ("fail", "error"):
            self.read(e.path for e in result.evidence)

    def rest(self, results) -> None:
        """After the run: every file it read, and every file a finding points at. A scoped run
        reads only what it evaluates, so it judges no other comment."""
        paths = set(self.repo.files_read())
        for result in results:
            if result.status in ("fail", "error"):
                paths.update(e.path for e in result.evidence)
        self.read(paths)

    def read(self, paths) -> None:
        unmarked = self.repo.unmarked  # read this run and holding no `policylint:`: nothing to find
        for path in sorted({p for p in paths if p and p not in self.scanned and syntax_of(p)}):
            self.scanned.add(path)
            if path in unmarked:
                continue
            try:
                text = self.repo.read_text(path)
            except ArtifactError:  # the gate that reads it says why
                continue
            if "policylint:" in text:
                scan(text, path, self.found)
                for problem in self.found.problems:
                    self.repo.notice(problem.path, problem.line, "PL313", problem.message)

    def covering(self, result) -> list:
        """For each place the result points at, the comment that waives its gate there (or None)."""
        mine = [w for w in self.found.waivers if gate_match(result.gate, w.gate)]
        return [next((w for w in mine if (e.path, e.line) in w.lines), None) for e in result.evidence]


def scan(text: str, path: str, out: Found | None = None) -> Found:
    """The waiver comments of one file's text (Markdown outside code, or `#` comments)."""
    out = out if out is not None else Found()
    syntax = syntax_of(path)
    from .regex import compile_regex

    pattern = compile_regex(_MARKDOWN_WAIVER if syntax == "markdown" else _HASH_WAIVER)
    leading, fenced = True, False
    for number, line in enumerate(text.split("\n"), 1):
        if syntax == "markdown" and _FENCE.match(line):
            fenced, leading = not fenced, False
            continue
        if fenced:
            continue
        leading = leading and (not line.strip() or _only_comment(line, syntax))
        for match in pattern.finditer(line):
            if syntax == "markdown" and line[:match.start()].count("`") % 2:
                continue  # written in code (`<!-- policylint: … -->` in a sentence): an example
            _read(match.group("body"), path, number, leading, syntax, out)
    return out


def _only_comment(line: str, syntax: str) -> bool:
    text = line.strip()
    if syntax == "markdown":
        return text.startswith("<!--") and text.endswith("-->")
    return text.startswith("#")


def _read(body: str, path: str, line: int, file_wide: bool, syntax: str, out: Found) -> None:
    parts = _REASON.split(" " + body, maxsplit=1)
    gates = [g for g in re.split(r"[\s,]+", parts[0]) if g]
    reason = parts[1].strip() if len(parts) > 1 else ""
    if not gates:
        out.problems.append(Problem(path, line, f"waiver comment names no gate, so it waives nothing: "
                                                f"write `{EXAMPLE[syntax]}`"))
        return
    if not reason:
        named = ", ".join(f"`{g}`" for g in gates)
        out.problems.append(Problem(path, line, f"waiver comment for {named} gives no reason, so it waives "
                                                f"nothing: write `{EXAMPLE[syntax]}`"))
        return
    places = {(path, line), (path, line + 1)} | ({(path, None)} if file_wide else set())
    for gate in gates:
        out.waivers.append(InlineWaiver(gate, reason, path, line, frozenset(places)))


def unknown_gates(waivers, gate_ids) -> list:
    """(waiver, hint) for each inline waiver that names no gate of the run's packs: a typo
    would otherwise waive nothing and never be called stale."""
    from .diagnostics import did_you_mean

    ids = sorted(gate_ids)
    return [(w, did_you_mean(w.gate, ids) or "`policylint list` shows the gates") for w in waivers
            if not any(gate_match(gid, w.gate) for gid in ids)]


def wire(repo, configuration):
    """(blocks, finish) for a run. A result is waived inline when every place it points at has a
    comment waiving its gate; configure.py then applies that as it applies any waiver (refused
    for an unwaivable gate). `blocks` is configuration.blocks that first looks beside the result
    (the engine asks it what keeps a subject from a stage); `finish(run)`, called before
    configuration.apply, reads every other file the run read and notes the comments that name
    no gate of the run (PL312) or waive nothing that fails (PL301)."""
    collector = Collector(repo)
    applied: dict = {}  # (gate, subject, places) -> the waiver given to configuration

    def waive(result) -> None:
        if result.status not in ("fail", "error") or not result.evidence:
            return
        key = (result.gate, result.subject, tuple((e.path, e.line) for e in result.evidence))
        if key in applied:
            return
        covering = collector.covering(result)
        found = list({id(w): w for w in covering if w is not None}.values())
        for comment in found:
            comment.used = True  # it sits beside a failure of its gate: not stale
        if not found or None in covering:
            return
        first = found[0]
        reason = "; ".join(dict.fromkeys(w.reason for w in found))
        applied[key] = InlineWaiver(result.gate, reason, first.path, first.line, frozenset(key[2]), result.subject)
        configuration.add_waivers([applied[key]])

    def blocks(result) -> bool:
        collector.for_result(result)
        waive(result)
        return configuration.blocks(result)

    def finish(run) -> None:
        collector.rest(run.results)
        for result in run.results:
            waive(result)
        index = configuration.index_of(run.loaded_packs)
        unknown = unknown_gates(collector.found.waivers, index)
        for waiver, hint in unknown:
            repo.notice(waiver.path, waiver.line, "PL312",
                        f"waiver comment names `{waiver.gate}`, which is no gate of the packs in this run, "
                        f"so it waives nothing; {hint}")
        named_nothing = {id(w) for w, _ in unknown}
        for waiver in collector.found.waivers:
            gates = [gid for gid in index if gate_match(gid, waiver.gate)]
            if waiver.used or id(waiver) in named_nothing or not any(configuration.selection.wants(g) for g in gates):
                continue
            repo.notice(waiver.path, waiver.line, "PL301",
                        f"stale waiver: `{waiver.gate}` waives nothing that fails on this line or the next; remove it")
        run.notices = sorted(repo.notices.values(), key=lambda n: n.sort_key())

    return blocks, finish
