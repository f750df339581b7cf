"""`policylint check --fix` and `--diff`: rewrite what a failing gate's `fix` names, nothing else.

A `require … fix TEXT to NEW` gives a failing result one edit: TEXT is a value read from a
file, so it knows its path and line (and column, when the loader records it); the edit
replaces that text, on that line, with NEW. As ruff's fixes, an edit is planned against the
bytes the run read and applied only where they still say what the gate saw: every other byte
of the file — other lines, line endings, the rest of the line — is kept. `--diff` prints
the edits as a unified diff and writes nothing; `--fix` writes them through fsutil's one safe
writer: only files inside the root, never through a symlink.
"""
from __future__ import annotations

import os

from .structs import struct

# Byte-order marks of encodings whose lines are not ASCII-compatible bytes: never rewritten.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")


@struct
class Edit:
    path: str  # repository-relative, with `/`
    line: int  # 1-based
    column: int | None  # 1-based character column where `old` starts, when the loader knows it
    old: str
    new: str
    gate: str = ""

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def edit_for(require, env, gate_id: str):
    """The edit a failing require's `fix TEXT to NEW` proposes, or None: TEXT must be a value
    read from a file at a known line, and NEW a different text."""
    from .compile import render_value
    from .values import location_of

    try:
        target = require.fix.target.fn(env)
        replacement = require.fix.replacement.fn(env)
    except Exception:  # noqa: BLE001 - a fix that cannot be computed is no fix; the finding stands
        return None
    loc = location_of(target)
    if target is None or replacement is None or loc is None or loc.line is None:
        return None
    old, new = render_value(target), render_value(replacement)
    if not old or old == new or "\n" in old or "\n" in new:
        return None
    return Edit(str(loc.path), loc.line, loc.column, old, new, gate_id)


def edits_of(run) -> list:
    """The edits of the run's reported failures (a waived or baselined result is not fixed)."""
    return [r.fix for r in run.results if r.status == "fail" and getattr(r, "fix", None) is not None]


@struct
class Plan:
    changes: dict  # path -> (bytes before, bytes after)
    applied: list  # Edits that change their file
    refused: list  # (Edit, why)


def plan(root, edits: list) -> Plan:
    """Each file's bytes with its edits applied, in memory; an edit whose file is outside the
    root, a symlink, not UTF-8 on that line, or no longer holds the text is refused."""
    from .repo import read_regular

    out = Plan({}, [], [])
    by_path: dict = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    for path, file_edits in sorted(by_path.items()):
        full = os.path.join(root, *path.split("/"))
        why = _unwritable(full, root)
        if why is None:
            try:
                before = read_regular(full)
            except OSError as exc:
                why = f"cannot read it: {exc.strerror or exc}"
        if why is None and before.startswith(_WIDE_BOMS):
            why = "it is UTF-16 or UTF-32, which --fix does not rewrite"
        if why is not None:
            out.refused += [(edit, why) for edit in file_edits]
            continue
        lines = before.splitlines(keepends=True)
        for edit in sorted(file_edits, key=lambda e: (e.line, e.column or 0)):
            done = _apply(lines, edit)
            if isinstance(done, str):
                out.refused.append((edit, done))
            else:
                out.applied.append(edit)
        after = b"".join(lines)
        if after != before:
            out.changes[path] = (before, after)
    return out


def _unwritable(full: str, root) -> str | None:
    from .fsutil import SYMLINK_REFUSED, inside

    if os.path.islink(full):
        return SYMLINK_REFUSED
    if not inside(full, root):
        return "it lies outside the repository root"
    return None


def _apply(lines: list, edit: Edit):
    """Replace the edit's text on its line in place; a string says why it cannot."""
    if not 0 < edit.line <= len(lines):
        return f"the file has no line {edit.line}"
    raw = lines[edit.line - 1]
    body = raw.rstrip(b"\r\n")
    ending = raw[len(body):]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"line {edit.line} is not UTF-8"
    # the value starts at its column; a part of it (`find(value, …)`) lies at or after it
    at = text.find(edit.old, (edit.column or 1) - 1)
    if at < 0:
        return f"line {edit.line} does not say `{edit.old}`"
    text = text[:at] + edit.new + text[at + len(edit.old):]
    lines[edit.line - 1] = text.encode("utf-8") + ending
    return None


def write(root, changes: dict) -> list:
    """Write each changed file through fsutil's safe writer; (path, why) for those refused."""
    from .fsutil import write_bytes

    failed = []
    for path, (_, after) in sorted(changes.items()):
        try:
            write_bytes(os.path.join(root, *path.split("/")), after)
        except OSError as exc:
            failed.append((path, exc.strerror or str(exc)))
    return failed


def unified_diff(changes: dict) -> str:
    """`--- a/PATH` / `+++ b/PATH` hunks for every changed file, as git diff prints them."""
    import difflib

    out = []
    for path, (before, after) in sorted(changes.items()):
        old = before.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
        new = after.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
        for line in difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=3):
            text = line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
            out.append(text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace"))
    return "".join(out)
