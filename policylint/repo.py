"""The repository being checked: root-confined, read-once access to its files.

Loaders reach files only through a Repo, which refuses paths outside the root (no `..`,
no symlink escape), limits sizes, decodes text forgivingly and memoizes every load so
each artifact is read once per run.
"""
from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
# `Any`, `Callable`, `Path` in annotations are never evaluated: no `typing` import at start-up, and paths
# are strings (pathlib brings urllib.parse and ipaddress: ~18M instructions of check FILE's start-up)

from .decoding import decode
from .errors import ArtifactError, ArtifactMissing
from .fsutil import READ_NOFOLLOW
from .values import Loc

MAX_FILE_BYTES = 50 * 1024 * 1024


_NOT_REGULAR = ((stat.S_ISDIR, "is a folder, expected a file"),
                (stat.S_ISFIFO, "is a FIFO, not a regular file"),
                (stat.S_ISCHR, "is a character device, not a regular file"),
                (stat.S_ISBLK, "is a block device, not a regular file"),
                (stat.S_ISSOCK, "is a socket, not a regular file"))


class RefusedFile(OSError):
    """A file policylint will not read: no regular file (a FIFO blocks, a device never ends) or
    one over the size limit; `strerror` is the whole reason."""


def _refuse_unless_regular(mode: int, path) -> None:
    if stat.S_ISREG(mode):
        return
    for test, why in _NOT_REGULAR:
        if test(mode):
            raise RefusedFile(errno.EINVAL, why, str(path))
    raise RefusedFile(errno.EINVAL, "is not a regular file", str(path))


def _too_large(size: int | None, limit: int) -> RefusedFile:
    said = _amount(size) if size is not None else f"more than {_amount(limit)}"
    return RefusedFile(errno.EFBIG, f"file is too large to read: {said}, the limit is {_amount(limit, False)}")


def _amount(size: int, exact: bool = True) -> str:
    if size < 2**20:
        return f"{size} bytes"
    return f"{size / 2**20:.1f} MB ({size} bytes)" if exact else f"{size / 2**20:g} MB"


def open_regular(path, limit: int | None = None):
    """`path` opened for binary reading if it is a regular file of at most `limit` bytes;
    else OSError saying why. Checked before opening (a device is never opened) and again on
    the open descriptor (nothing swapped in between); opened without blocking (a FIFO with no
    writer) and without following a symlink in the last component."""
    limit = MAX_FILE_BYTES if limit is None else limit
    st = os.stat(path)
    fd, _st = _open_checked(path, st.st_mode, st.st_size, limit)
    return os.fdopen(fd, "rb")


def _open_checked(path, mode: int, size: int, limit: int) -> tuple:
    """(descriptor, its fstat) of `path`, `mode` and `size` being what stat said of it before
    (checked, so a device is never opened), checked again on the open descriptor."""
    _refuse_unless_regular(mode, path)
    if size > limit:
        raise _too_large(size, limit)
    fd = os.open(path, READ_NOFOLLOW)
    try:
        st = os.fstat(fd)
        _refuse_unless_regular(st.st_mode, path)
        if st.st_size > limit:
            raise _too_large(st.st_size, limit)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_regular(path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, never more than `limit` (a file growing while it is read
    is refused, not read to its end); OSError with the reason otherwise."""
    return read_checked(path, None, limit)[0]


def read_checked(path, known=None, limit: int | None = None) -> tuple:
    """(the bytes of a regular file, its fstat before they were read), as `read_regular`;
    `known`: (mode, size, …) as stat said before, when known (a Repo keeps each path's once a
    run). Read with os.read, no file object: its buffered read of `limit` bytes allocates
    them, every file."""
    limit = MAX_FILE_BYTES if limit is None else limit
    if known is None:
        st = os.stat(path)
        known = (st.st_mode, st.st_size)
    fd, st = _open_checked(path, known[0], known[1], limit)
    try:
        data = os.read(fd, min(st.st_size, limit) + 1)  # all of it, as the size says: one call
        if len(data) != st.st_size:  # it grew (or says 0, as /proc's files), or a short read: on to the end
            parts, total = [data], len(data)
            while total <= limit:
                chunk = os.read(fd, min(1 << 16, limit + 1 - total))
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
            data = b"".join(parts)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_large(None, limit)
    return data, st


# What pathlib's exists() and is_dir() take for "not there" (any other error is raised: a folder
# on the way that cannot be searched is unknown, not absent); Windows' own codes beside them.
_ABSENT_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
_ABSENT_WINERRORS = (21, 123, 1921)
_UNASKED = object()


def _mode_or_none(path: str) -> int | None:
    """`path`'s st_mode, symlinks followed; None when it is not there, as pathlib tells it."""
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno in _ABSENT_ERRNOS or getattr(exc, "winerror", None) in _ABSENT_WINERRORS:
            return None
        raise
    except ValueError:  # a NUL in the name
        return None


def _reason(exc: OSError) -> str:
    if isinstance(exc, RefusedFile):
        return exc.strerror
    if isinstance(exc, IsADirectoryError):
        return "is a folder, expected a file"
    return f"cannot read: {exc.strerror or exc}"




def _glob_segments(repo, pattern: str) -> list:
    """The pattern's segments: leading `./` dropped, `.` and empty segments skipped, runs of
    `**` made one; ArtifactError for a glob that leaves the root or cannot mean anything."""
    text = pattern.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    repo.normalize(text.replace("*", "x").replace("?", "x"))  # refuses absolute paths and leaving `..`
    segments = []
    for segment in text.split("/"):
        if segment in ("", ".") or (segment == "**" and segments[-1:] == ["**"]):
            continue
        if segment == "..":
            raise ArtifactError(pattern, "a glob may not contain `..`: write the path from the repository root")
        if "**" in segment and segment != "**":
            raise ArtifactError(pattern, f"`**` must be a whole path segment, as in `docs/**/*.md`; in `{segment}` "
                                         "write `*` to match part of a name")
        segments.append(segment)
    if not segments:
        what = "an empty glob" if not pattern.strip() else f"the glob `{pattern}`"
        raise ArtifactError(pattern, f"{what} names no file or folder; write one such as `*.md` or `docs/**/*.md`")
    return segments


class _GlobWalk:
    """Matches of glob segments under a root, listing only folders whose real path is inside
    it. `**` descends into no symlink (as pathlib's glob); other segments follow a symlink to
    a folder only when it stays inside. The root's `.git` is never listed. What a listing says
    of each entry (a folder, a file, a symlink) is taken as it is: only a symlink is asked more
    (where it leads), so a tree without one is walked with one listing per folder."""

    def __init__(self, root: str, segments: list, dirs_only: bool, listings: dict | None = None):
        self.root = str(root)
        self.segments = segments
        self.dirs_only = dirs_only
        self.matchers = [segment_matcher(s) if _is_magic(s) else None for s in segments]
        self.listings = {} if listings is None else listings  # rel -> [(name, kind)]: one run's

    def matches(self):
        for rel, full, kind in self._walk(self.root, "", 0):
            if kind is _ASK:  # a symlink (or an entry the listing could not tell): where it leads
                if os.path.islink(full) and not self._inside(full):
                    continue
                if self.dirs_only and not os.path.isdir(full):
                    continue
            elif self.dirs_only and kind is not _DIR:
                continue
            yield rel

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)

    def _walk(self, folder: str, rel: str, i: int):
        segment, last = self.segments[i], i == len(self.segments) - 1
        if segment == "**":
            for sub_folder, sub_rel in [(folder, rel)] + list(self._folders_below(folder, rel)):
                if last:
                    if sub_rel:
                        yield sub_rel, sub_folder, _DIR
                else:
                    yield from self._walk(sub_folder, sub_rel, i + 1)
            return
        match = self.matchers[i]
        if match is None:  # a plain name: no listing needed
            found = [] if not rel and segment == ".git" else [(segment, _lkind(os.path.join(folder, segment), rel))]
        else:
            found = [(name, kind) for name, kind in self._entries(folder, rel) if match(name)]
        for name, kind in found:
            if kind is None:
                continue
            full, child = os.path.join(folder, name), f"{rel}/{name}" if rel else name
            if kind is _ASK:
                if last:
                    if os.path.exists(full):
                        yield child, full, kind
                elif os.path.isdir(full) and self._inside(full):
                    yield from self._walk(full, child, i + 1)
            elif last:
                yield child, full, kind
            elif kind is _DIR:  # no symlink, in a folder inside: inside
                yield from self._walk(full, child, i + 1)

    def _folders_below(self, folder: str, rel: str):
        for name, kind in self._entries(folder, rel):
            if kind is _DIR:
                child = f"{rel}/{name}" if rel else name
                path = os.path.join(folder, name)
                yield path, child
                yield from self._folders_below(path, child)

    def _entries(self, folder: str, rel: str) -> list:
        """[(name, kind)] of the folder's entries (not the root's .git), listed once a run."""
        found = self.listings.get(rel)
        if found is None:
            try:
                with os.scandir(folder) as listing:
                    found = [(e.name, _entry_kind(e)) for e in listing if rel or e.name != ".git"]
            except (FileNotFoundError, NotADirectoryError):  # gone since it was matched
                found = []
            except OSError as exc:  # unreadable: an error, never a listing that silently lacks its files
                raise _unlistable(rel, exc) from None
            self.listings[rel] = found
        return found


_DIR, _FILE, _OTHER, _ASK = "dir", "file", "other", "ask"  # what a glob walk knows of an entry


def _entry_kind(entry) -> str:
    """What a listed entry is, as the listing tells it (no system call where it holds the type);
    _ASK for a symlink, or when that cannot be told."""
    try:
        if entry.is_symlink():
            return _ASK
        if entry.is_dir(follow_symlinks=False):
            return _DIR
        return _FILE if entry.is_file(follow_symlinks=False) else _OTHER
    except OSError:
        return _ASK


def _lkind(full: str, rel_folder: str):
    """What `full` is, a symlink not followed (_ASK), None when it is not there; a folder that
    cannot be searched is an error, not absence."""
    try:
        mode = os.lstat(full).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _unlistable(rel_folder, exc) from None
    if stat.S_ISLNK(mode):
        return _ASK
    return _DIR if stat.S_ISDIR(mode) else _FILE if stat.S_ISREG(mode) else _OTHER


def _unlistable(rel: str, exc: OSError) -> ArtifactError:
    """The error for a folder that cannot be listed or searched (mode 000): it names the folder."""
    return ArtifactError(rel or ".", f"cannot list the folder: {exc.strerror or exc}")


def _is_magic(segment: str) -> bool:
    return any(c in segment for c in "*?[")


def segment_matcher(segment: str):
    """A test of a name against one glob segment, truthy when it matches, as
    `re.compile(fnmatch.translate(segment)).match` is. A segment whose only wildcard is `*`
    (`*.md`, `CH-*`) is tested with str methods: compiling its regex costs more than a run's
    matching (~0.4M instructions a segment, five in check FILE's pack detection)."""
    if "?" in segment or "[" in segment:
        import fnmatch

        return re.compile(fnmatch.translate(segment)).match
    head, *middle, tail = segment.split("*") if "*" in segment else (segment, "")
    if not middle and "*" not in segment:
        return segment.__eq__
    least = len(head) + len(tail)
    middle = [part for part in middle if part]

    def match(name: str) -> bool:
        if len(name) < least or not name.startswith(head) or not name.endswith(tail):
            return False
        at, end = len(head), len(name) - len(tail)
        for part in middle:  # each the leftmost place after the one before: what `*` allows
            at = name.find(part, at, end)
            if at < 0:
                return False
            at += len(part)
        return True

    return match


class Notice:
    """Something the run noticed about an artifact that is worth telling (not a gate)."""

    __slots__ = ("path", "line", "code", "message")

    def __init__(self, path: str, line: int | None, code: str, message: str):
        self.path, self.line, self.code, self.message = path, line, code, message

    def sort_key(self):
        return (self.path, self.line or 0, self.code, self.message)


class Entry:
    """A folder's entry as listed, a symlink not followed: its name and what it is."""

    __slots__ = ("name", "is_dir", "is_file", "is_link")

    def __init__(self, entry: os.DirEntry):
        self.name = entry.name
        self.is_link = entry.is_symlink()
        self.is_dir = entry.is_dir(follow_symlinks=False)
        self.is_file = entry.is_file(follow_symlinks=False)


WAIVER_MARK = b"policylint:"  # what every inline waiver comment holds (inline_waivers.py)


class Repo:
    keep_stats = False  # True: what each path's lstat said stays the whole run (forget_under keeps it)

    def __init__(self, root: str | os.PathLike, base: str | None = None):
        self.root = os.fspath(root)  # a str, as every path here: no pathlib on the start-up path
        self.base = base  # --base REV: what a pull request merges into
        self.real_root = os.path.realpath(self.root)
        self._memo: dict[tuple, Any] = {}
        self.notices: dict[tuple, Notice] = {}
        # paths asked this run: normalized path -> its absolute path when nothing on the way is a
        # symlink (False when something is), and that absolute path -> its lstat (None: absent),
        # each path lstat'ed once a run (exists() then read() asks the file system once)
        self._plain: dict = {}
        self.stats: dict = {}  # (st_mode, st_size, st_mtime_ns), not os.stat_result: ~6 times smaller
        self._norms: dict = {}  # path as written -> normalized (a loader normalizes, the Repo again)
        self._listings: dict = {}  # folder (relative) -> its entries as a glob walk listed them
        self._prefix = self.real_root if self.real_root.endswith(os.sep) else self.real_root + os.sep
        self.paths_read: set = set()  # every file read this run (its loads may be let go, not this)
        # the files read that hold no `policylint:` (no waiver comment): the inline-waiver pass
        # need not read them again once their loads are let go
        self.unmarked: set = set()

    # -- paths ---------------------------------------------------------------------------
    def normalize(self, relpath: str) -> str:
        """Repository-relative POSIX path; raises when it would leave the root."""
        try:
            return self._norms[relpath]
        except KeyError:
            norm = self._normalize(relpath)
        except TypeError:  # not text: said as _normalize says it
            return self._normalize(relpath)
        self._norms[str(relpath)] = norm
        return norm

    def _normalize(self, relpath: str) -> str:
        rel = str(relpath).replace("\\", "/")
        if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
            raise ArtifactError(rel, "absolute paths are not allowed; use a path relative to the repository root")
        norm = posixpath.normpath(rel) if rel else "."
        if norm == ".." or norm.startswith("../"):
            raise ArtifactError(rel, "path leaves the repository root")
        return norm

    def resolve(self, relpath: str) -> str:
        """Absolute path inside the root, following symlinks only while they stay inside."""
        norm = self.normalize(relpath)
        if norm == ".":
            return self.real_root
        plain = self._plain_path(norm)
        if plain is not None:
            return plain
        real = os.path.realpath(os.path.join(self.real_root, norm))
        if real != self.real_root and not real.startswith(self.real_root.rstrip(os.sep) + os.sep):
            raise ArtifactError(norm, "path resolves outside the repository root (symlink)")
        return real

    def _plain_path(self, norm: str) -> str | None:
        """The path itself when nothing on the way is a symlink (or the rest does not exist),
        each part lstat'ed once a run (kept in `stats`); None when a symlink (or a part that
        cannot be asked) needs the full resolution."""
        full = self._plain.get(norm)
        if full is not None:
            return full or None
        parent, _, name = norm.rpartition("/")
        if parent:
            up = self._plain_path(parent)
            if up is None:
                return None
            above = self.stats[up]
            if above is None:  # nothing below a missing part: the path as written does not exist
                full = self._plain[norm] = up + os.sep + name
                self.stats[full] = None
                return full
            if not stat.S_ISDIR(above[0]):  # a file on the way: the system's own answer, each time
                return None
            full = up + os.sep + name
        else:
            full = self._prefix + name
        try:
            info = os.lstat(full)
        except FileNotFoundError:
            info = None
        except OSError:
            return None
        if info is not None and stat.S_ISLNK(info.st_mode):
            self._plain[norm] = False
            return None
        self._plain[norm] = full
        self.stats[full] = (info.st_mode, info.st_size, info.st_mtime_ns) if info is not None else None
        return full

    def looked(self, norm: str):
        """What this run's lstat said of a normalized path, (st_mode, st_size, st_mtime_ns), None
        when it was absent; False when it was not asked so (not asked, or a symlink on the way)."""
        full = self._plain.get(norm)
        return self.stats.get(full, False) if full else False

    def _mode(self, full: str) -> int | None:
        """`full`'s st_mode, symlinks followed (kept from `_plain_path` when it was asked there);
        None when it is not there."""
        info = self.stats.get(full, _UNASKED)
        if info is _UNASKED:
            return _mode_or_none(full)
        return info[0] if info is not None else None

    def exists(self, relpath: str) -> bool:
        try:
            return self._mode(self.resolve(relpath)) is not None
        except ArtifactError:
            return False
        except OSError as exc:  # a folder on the way cannot be searched: unknown is not absent
            raise _unlistable(posixpath.dirname(self.normalize(relpath)), exc) from None

    def is_dir(self, relpath: str) -> bool:
        try:
            return stat.S_ISDIR(self._mode(self.resolve(relpath)) or 0)
        except ArtifactError:
            return False
        except OSError as exc:
            raise _unlistable(posixpath.dirname(self.normalize(relpath)), exc) from None

    # -- reading ---------------------------------------------------------------------------
    def read_bytes(self, relpath: str) -> bytes:
        key = ("bytes", relpath)
        if key in self._memo:
            return self._memo[key]
        norm = self.normalize(relpath)
        full = self.resolve(norm)
        try:
            data = self._read_file(full, norm)
        except FileNotFoundError:
            raise ArtifactMissing(norm, "file not found") from None
        except OSError as exc:
            raise ArtifactError(norm, _reason(exc)) from None
        self.paths_read.add(norm)
        if WAIVER_MARK not in data:
            self.unmarked.add(norm)
        self._memo[key] = data
        return data

    def _read_file(self, full, norm: str) -> bytes:
        """A regular file's bytes (a subclass may note what it read)."""
        return self._read_checked(full)[0]

    def _read_checked(self, full) -> tuple:
        """(a regular file's bytes, its fstat before they were read), stat'ed once a run."""
        info = self.stats.get(full)
        return read_checked(full, info if info is not None and stat.S_ISREG(info[0]) else None)

    def open_binary(self, relpath: str):
        """A regular file inside the root opened for reading (a stream for loaders that read
        in chunks); the caller bounds what it reads by MAX_FILE_BYTES."""
        norm = self.normalize(relpath)
        full = self.resolve(norm)
        try:
            return open_regular(full)
        except FileNotFoundError:
            raise ArtifactMissing(norm, "file not found") from None
        except OSError as exc:
            raise ArtifactError(norm, _reason(exc)) from None

    def read_text(self, relpath: str) -> str:
        """Text with `\\n` newlines, decoded by its byte-order mark (UTF-8 without one);
        undecodable bytes are read forgivingly and noticed with their line (PL403)."""
        key = ("text", relpath)
        if key in self._memo:
            return self._memo[key]
        norm = self.normalize(relpath)
        text = decode(self.read_bytes(norm), norm,
                      notice=lambda line, message: self.notice(norm, line, "PL403", message))
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._memo[key] = text
        return text

    def files_read(self) -> set:
        """The repository paths this run has read (inline waivers are looked for in them)."""
        return set(self.paths_read)

    def notice(self, path: str, line: int | None, code: str, message: str) -> None:
        self.notices[(path, line, code)] = Notice(path, line, code, message)

    # -- listing ---------------------------------------------------------------------------
    def glob(self, pattern: str, dirs_only: bool = False) -> list[str]:
        """Sorted repository-relative matches of a glob pattern: `*`, `?` and `[…]` within a
        name, `**` (a whole segment) for any depth of folders. Only folders inside the root are
        ever listed: `..` is refused, and a symlink that leaves is neither entered nor matched."""
        segments = _glob_segments(self, str(pattern))
        key = ("glob", "/".join(segments), dirs_only)
        if key in self._memo:
            return self._memo[key]
        out = sorted(set(_GlobWalk(self.real_root, segments, dirs_only, self._listings).matches()))
        self._memo[key] = out
        return out

    def listing(self, relpath: str) -> dict:
        """A folder's entries by name (`Entry`, dot files included), listed once per run;
        raises OSError (FileNotFoundError, NotADirectoryError, …), which is kept too, unlike
        `memo`'s errors. For loaders that walk folders the way another tool does (OpenSpec)."""
        key = ("listing", relpath)
        memo = self._memo
        hit = memo.get(key)
        if hit is None:
            try:
                hit = ("ok", *self._list_folder(relpath))
            except OSError as exc:
                hit = ("err", exc)
            memo[key] = hit
        if hit[0] == "err":
            raise hit[1]
        return hit[1]

    def _list_folder(self, relpath: str) -> tuple:
        """(its entries by name, the folder listed): what `listing` keeps, read from the file system."""
        full = self._listed_folder(relpath)
        with os.scandir(full) as it:
            return {e.name: Entry(e) for e in it}, full

    def _listed_folder(self, relpath: str) -> str:
        """The folder's real path: its parent's (when listed) joined with its name if it is no
        link, else resolved (which refuses a path leaving the root, as PermissionError)."""
        parent, name = posixpath.split(relpath)
        if name not in ("", ".", "..") and ".." not in relpath.split("/"):
            try:
                entries = self.listing(parent or ".")
            except OSError:
                entries = None
            if entries is not None:
                entry = entries.get(name)
                if entry is None:
                    raise FileNotFoundError(relpath)
                if entry.is_dir and not entry.is_link:
                    return os.path.join(self._memo[("listing", parent or ".")][2], name)
        try:
            return self.resolve(relpath)
        except ArtifactError as exc:
            raise PermissionError(exc.message) from None

    # -- memo ------------------------------------------------------------------------------
    def forget_under(self, folder: str) -> None:
        """Drop what was loaded from files under `folder` (a subject's own folder, once its
        gates are done), so a run's memory holds one subject's loads, not every subject's; a
        later read of such a file loads it again."""
        prefix = folder.rstrip("/") + "/"
        if prefix in ("/", "./"):
            return
        memo = self._memo
        for key in [k for k in memo if len(k) > 1 and isinstance(k[1], str) and k[1].startswith(prefix)]:
            dict.pop(memo, key, None)
        own = prefix[:-1]

        def within(path: str) -> bool:  # the folder itself, or something in it
            return path == own or path.startswith(prefix)

        for key in list(filter(within, self._listings)):
            del self._listings[key]
        for key in [k for k, norm in self._norms.items() if within(norm)]:
            del self._norms[key]
        if not self.keep_stats:
            for key in list(filter(within, self._plain)):
                self.stats.pop(self._plain.pop(key), None)

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
