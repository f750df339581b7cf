"""The repository being checked: root-confined, read-once access to its files.

Loaders reach files only through a Repo, which refuses paths outside the root (no `..`,
no symlink escape), limits sizes, decodes text forgivingly and memoizes every load so
each artifact is read once per run.
"""
from __future__ import annotations

import gc
import os
import posixpath
from contextlib import contextmanager
import re
from pathlib import Path
# `Any`, `Callable` in annotations are never evaluated: no `typing` import at start-up

from .errors import ArtifactError, ArtifactMissing
from .values import Loc

MAX_FILE_BYTES = 50 * 1024 * 1024
# A well-formed UTF-8 multi-byte sequence: its presence means "UTF-8 with damage", not cp1252.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@contextmanager
def gc_paused():
    """No garbage collection while a loader builds its view: it makes many objects and no
    cycles, and collecting while the heap grows costs a third of the time for nothing."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class Notice:
    """Something the run noticed about an artifact that is worth telling (not a gate)."""

    __slots__ = ("path", "line", "code", "message")

    def __init__(self, path: str, line: int | None, code: str, message: str):
        self.path, self.line, self.code, self.message = path, line, code, message

    def sort_key(self):
        return (self.path, self.line or 0, self.code, self.message)


class Repo:
    def __init__(self, root: str | os.PathLike, base: str | None = None):
        self.root = Path(root)
        self.base = base  # --base REV: what a pull request merges into
        self.real_root = Path(os.path.realpath(self.root))
        self._memo: dict[tuple, Any] = {}
        self.notices: dict[tuple, Notice] = {}

    # -- paths ---------------------------------------------------------------------------
    def normalize(self, relpath: str) -> str:
        """Repository-relative POSIX path; raises when it would leave the root."""
        rel = str(relpath).replace("\\", "/")
        if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
            raise ArtifactError(rel, "absolute paths are not allowed; use a path relative to the repository root")
        norm = posixpath.normpath(rel) if rel else "."
        if norm == ".." or norm.startswith("../"):
            raise ArtifactError(rel, "path leaves the repository root")
        return norm

    def resolve(self, relpath: str) -> Path:
        """Absolute path inside the root, following symlinks only while they stay inside."""
        norm = self.normalize(relpath)
        full = self.real_root / norm if norm != "." else self.real_root
        real = Path(os.path.realpath(full))
        if real != self.real_root and self.real_root not in real.parents:
            raise ArtifactError(norm, "path resolves outside the repository root (symlink)")
        return real

    def exists(self, relpath: str) -> bool:
        try:
            return self.resolve(relpath).exists()
        except ArtifactError:
            return False

    def is_dir(self, relpath: str) -> bool:
        try:
            return self.resolve(relpath).is_dir()
        except ArtifactError:
            return False

    # -- reading ---------------------------------------------------------------------------
    def read_bytes(self, relpath: str) -> bytes:
        key = ("bytes", relpath)
        if key in self._memo:
            return self._memo[key]
        norm = self.normalize(relpath)
        full = self.resolve(norm)
        if not full.exists():
            raise ArtifactMissing(norm, "file not found")
        if full.is_dir():
            raise ArtifactError(norm, "is a folder, expected a file")
        try:
            size = full.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ArtifactError(norm, f"file is too large to read: {size / 2**20:.1f} MB ({size} bytes), "
                                          f"the limit is {MAX_FILE_BYTES / 2**20:g} MB")
            data = full.read_bytes()
        except OSError as exc:
            raise ArtifactError(norm, f"cannot read: {exc.strerror or exc}") from None
        self._memo[key] = data
        return data

    def read_text(self, relpath: str) -> str:
        """Text with `\\n` newlines; invalid UTF-8 is replaced and noticed with its line."""
        key = ("text", relpath)
        if key in self._memo:
            return self._memo[key]
        norm = self.normalize(relpath)
        data = self.read_bytes(norm)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            if _UTF8_MULTIBYTE.search(data) is None:  # no UTF-8 at all: a legacy Windows editor wrote it
                text = data.decode("cp1252", errors="replace")
                self.notice(norm, line, "PL403", "file is not valid UTF-8: read as Windows-1252 "
                                                 "(the first such byte is on this line)")
            else:
                text = data.decode("utf-8", errors="replace")
                bad = text.count("\ufffd")
                self.notice(norm, line, "PL403",
                            f"file is not valid UTF-8: {bad} byte(s) replaced with U+FFFD, the first on this line")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._memo[key] = text
        return text

    def notice(self, path: str, line: int | None, code: str, message: str) -> None:
        self.notices[(path, line, code)] = Notice(path, line, code, message)

    # -- listing ---------------------------------------------------------------------------
    def glob(self, pattern: str, dirs_only: bool = False) -> list[str]:
        """Sorted repository-relative matches of a glob pattern (`**` allowed)."""
        pattern = str(pattern).replace("\\", "/").lstrip("./") if str(pattern).startswith("./") else str(pattern)
        self.normalize(pattern.replace("*", "x").replace("?", "x"))  # refuses `..` and absolute
        key = ("glob", pattern, dirs_only)
        if key in self._memo:
            return self._memo[key]
        out = []
        for match in self.real_root.glob(pattern):
            try:
                real = Path(os.path.realpath(match))
            except OSError:
                continue
            if real != self.real_root and self.real_root not in real.parents:
                continue
            if dirs_only and not match.is_dir():
                continue
            rel = match.relative_to(self.real_root).as_posix()
            if rel.startswith(".git/") or rel == ".git":
                continue
            out.append(rel)
        out.sort()
        self._memo[key] = out
        return out

    # -- memo ------------------------------------------------------------------------------
    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """Run `compute` once per key for this run; errors are memoized too."""
        try:
            hit = self._memo[key]
        except KeyError:
            try:
                hit = ("ok", compute())
            except ArtifactError as exc:
                hit = ("err", exc)
            self._memo[key] = hit
        if hit[0] == "err":
            raise hit[1]
        return hit[1]

    def loc(self, relpath: str, line: int | None = None, column: int | None = None) -> Loc:
        return Loc(self.normalize(relpath), line, column)
