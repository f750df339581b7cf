"""Where policylint may touch the file system: paths kept inside a folder, files written safely.

A repository under check is untrusted, symlinks included. `inside` says whether a path,
symlinks followed, stays in a folder; `write_text` and `atomic_open` are the one way
policylint writes a file: never through a symlink, never half-written.
"""
from __future__ import annotations

import errno
import os
import stat

# The flags every file policylint opens is opened with (the repository's files, the cache's and
# its own writes): never through a symlink in the last component, never inherited by git.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
READ_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | NOFOLLOW | CLOEXEC | _BINARY  # a FIFO never blocks
CREATE_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC | _BINARY
SYMLINK_REFUSED = "it is a symlink, and policylint writes no file through a symlink"


def inside(path, folder) -> bool:
    """Whether `path`, every symlink in it followed, is `folder` or lies under it (also
    `folder` resolved). Reads no file: only the links on the way are looked at."""
    real = os.path.realpath(path)
    top = os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def write_text(path, text: str, newline: str = "\n") -> None:
    """Replace (or create) the file at `path` with `text`, atomically and through no symlink."""
    with atomic_open(path, newline=newline) as fh:
        fh.write(text)


def write_bytes(path, data: bytes) -> None:
    """Replace the file at `path` with `data` as given (`check --fix` keeps every other byte of
    a file it edits: line endings, and lines in other encodings), as `atomic_open` does."""
    with _managed(_replacing)(os.fspath(path)) as fd, os.fdopen(fd, "wb") as fh:
        fh.write(data)


def atomic_open(path, newline: str = "\n", stream_ok: bool = False):
    """A UTF-8 text stream whose content becomes the file at `path` when the block ends; on
    an error the file is left as it was. The temporary file is created exclusively beside
    the target (O_CREAT|O_EXCL|O_NOFOLLOW: a planted file or symlink of that name is never
    followed or reused) and renamed over it, which replaces, never writes through, whatever
    is there. A target that is a symlink, or is not a regular file, is refused (OSError).

    With `stream_ok` (a path the user typed, such as `-o FILE`), a target that is a terminal,
    pipe or device (`/dev/stdout`, `/dev/null`, `>(…)`) is written as a stream instead:
    there is no file to replace."""
    return _managed(_atomic_open)(path, newline, stream_ok)


def _managed(generator):
    """`contextlib.contextmanager(generator)`, contextlib imported on the first write (a run
    that writes no file, such as check FILE, skips its import: ~2.8M instructions)."""
    from contextlib import contextmanager

    return contextmanager(generator)


def _atomic_open(path, newline: str, stream_ok: bool):
    path = os.fspath(path)
    if stream_ok and _is_stream(path):
        with open(path, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        return
    with _managed(_replacing)(path) as fd, os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
        yield fh


def _replacing(path: str):
    """The descriptor of a new temporary file beside `path` that replaces it when the block
    ends (keeping its permissions); removed instead on an error."""
    mode = _refuse_unless_replaceable(path)
    folder, name = os.path.split(os.path.abspath(path))
    tmp, fd = _create_beside(folder, name)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # the file it replaces keeps its permissions
        yield fd
        _refuse_unless_replaceable(path)  # again: nothing was swapped in while we wrote
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _refuse_unless_replaceable(path: str):
    """The permission bits of the regular file at `path` (None when there is none yet)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, SYMLINK_REFUSED, path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "it is not a regular file", path)
    return stat.S_IMODE(st.st_mode)


def _is_stream(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _create_beside(folder: str, name: str):
    """(path, descriptor) of a new, empty file in `folder` that no one else can have made."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return tmp, os.open(tmp, CREATE_EXCLUSIVE, 0o666)
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "cannot create a temporary file beside it", folder)
