"""The on-disk cache: JSON entries, each signed, in a folder only the user can write.

Nothing in a cache folder is trusted: another user may share it (`XDG_CACHE_HOME=/tmp`), and a
cache kept in a repository holds whatever a pull request committed. So:

- an entry is JSON: loading it builds lists, strings and numbers and runs nothing (unpickling
  runs whatever the file names);
- an entry is used only when its header names the format, kind and full key asked for and its
  MAC matches: BLAKE2b keyed with 32 random bytes kept in the user's cache folder (`secret`,
  mode 0600), of the header and the payload's BLAKE2b digest (`content_key`: an entry named by
  its content has its bytes hashed once, not twice). A planted, copied, truncated, damaged or
  stale entry is a miss, which the caller rebuilds; so is a forged one, since whoever can write
  a folder but not read the secret cannot sign an entry (this is what protects a cache inside a
  repository, where the user owns every file checked out);
- a cache folder that is a symlink or not owned by the user is refused (one the user owns but
  group or others may write, as an older policylint made it under umask 002, loses those write
  bits first); an entry that is a symlink, not a regular file, not the user's, writable by
  group or others, or hard-linked elsewhere is a miss; a relative cache folder is refused (it would resolve
  inside the repository under check);
- keys are digests of content (`hasher`), never of a path;
- an entry is written to a new file created exclusively in the folder (0600) and renamed over
  the old one; the first write of a run evicts entries unused for `MAX_AGE` seconds or beyond
  the newest `MAX_ENTRIES`, and the pickles older versions left.

`user_cache()` and `repository_cache(root)` open one; `get(kind, key)` and `put(kind, key,
value)` are the whole interface (a value is anything JSON holds; tuples come back as lists),
with `get_bytes`/`put_bytes` for bytes kept as they are.
"""
from __future__ import annotations

import os
import stat
import sys
import time

from .fsutil import CLOEXEC, CREATE_EXCLUSIVE, NOFOLLOW, READ_NOFOLLOW, inside

try:  # BLAKE2b from its own module when it can be: `hashlib` loads OpenSSL (3 ms a run)
    from _blake2 import blake2b as _blake2b
except ImportError:  # not CPython
    from hashlib import blake2b as _blake2b

FORMAT = 2  # 2: the MAC signs the header and the payload's digest, not the payload itself
MAX_ENTRIES = 256
MAX_AGE = 30 * 24 * 3600
MAX_ENTRY_BYTES = 64 * 1024 * 1024
SECRET = "secret"
_REFRESH = 24 * 3600  # a hit older than this is touched, so eviction sees it in use
_TMP_AGE = 3600  # a temporary file older than this was left by a run that died
_HEX = frozenset("0123456789abcdef")
_POSIX = os.name == "posix"
_AT = os.open in os.supports_dir_fd and os.scandir in os.supports_fd  # operations relative to the folder's descriptor


class Refused(Exception):
    """The folder cannot safely hold a cache; the message says why."""


def hasher(data: bytes = b"", key: bytes = b""):
    """BLAKE2b with a 32-byte digest (every run hashes: the pack cache's key and MAC)."""
    return _blake2b(data, digest_size=32, key=key)


def content_key(payload) -> str:
    """The key of an entry named by its content: its digest, which `put_bytes(..., digest=)` signs
    as it is (the bytes are not hashed a second time for the MAC)."""
    return hasher(payload).hexdigest()


def user_cache_dir() -> str | None:
    """`POLICYLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/policylint`, else `~/.cache/policylint`;
    None with `POLICYLINT_NO_CACHE` or no home. A relative `POLICYLINT_CACHE_DIR` is an error;
    a relative `XDG_CACHE_HOME` is ignored, as the XDG specification says."""
    if os.environ.get("POLICYLINT_NO_CACHE"):
        return None
    explicit = os.environ.get("POLICYLINT_CACHE_DIR")
    if explicit:
        if not os.path.isabs(explicit):
            from .diagnostics import Diagnostic
            from .errors import PolicylintError

            raise PolicylintError(Diagnostic(
                "PL311", f"`POLICYLINT_CACHE_DIR` must be an absolute path, not `{explicit}`", None,
                "a relative cache folder would be read inside the repository under check; "
                "give an absolute path, or set POLICYLINT_NO_CACHE=1 to run without the cache"))
        return explicit
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "policylint") if os.path.isabs(base) else None


_warned: set = set()


def user_cache(root=None):
    """The user's pack cache, or None: disabled, impossible to create (a read-only home), or
    refused as unsafe, which is said once on stderr (the run goes on without the cache). A
    folder inside `root`, the repository under check, is refused: its `secret` could have been
    committed, and with it entries signed to pass."""
    directory = user_cache_dir()
    if directory is None:
        return None
    try:
        if root is not None:
            if inside(directory, root):
                raise Refused("it is inside the repository under check")
        return Cache.open(directory)
    except Refused as exc:
        if directory not in _warned:
            _warned.add(directory)
            sys.stderr.write(f"policylint: warning[PL311] cache folder `{directory}` refused: {exc}; "
                             "running without the cache\n")
        return None
    except PermissionError as exc:  # a folder on the way that may not be entered (mode 000): said, not fatal
        if directory not in _warned:
            _warned.add(directory)
            sys.stderr.write(f"policylint: warning[PL311] cache folder `{directory}` cannot be used: "
                             f"{exc.strerror or exc}; running without the cache\n")
        return None
    except OSError:
        return None


def repository_cache(root: str, folder: str = ".policylint-cache"):
    """A cache kept in the repository under check, or None. Every file there is the pull
    request's to choose, the user's own by ownership: its entries are signed with the secret of
    the user's cache, which is never in the repository, so a committed entry (or a committed
    `secret`) is a miss. The folder must lie inside the root, symlinks followed. None without a
    user cache to sign with, or when the folder is refused or cannot be made."""
    user = user_cache(root)
    path = os.path.join(os.path.abspath(root), folder)
    if user is None or not inside(path, root):
        return None
    try:
        return Cache.open(path, secret=user._secret)
    except (Refused, OSError):
        return None


class Cache:
    """One cache folder, opened and checked once; every file reached through its descriptor,
    so a folder renamed or swapped after the check is never used."""

    def __init__(self, directory: str, fd, secret: bytes, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE):
        self.directory, self._fd, self._secret = directory, fd, secret
        self.max_entries, self.max_age = max_entries, max_age
        self._evicted = False

    @classmethod
    def open(cls, directory: str, secret: bytes | None = None, **limits) -> Cache:
        """The cache in `directory`, made (0700) if missing, its entries signed with `secret`
        (by default the folder's own, made on first use: right for a folder only the user can
        read, never for one in a repository). Refused when it is relative, a symlink, not a
        folder or not the user's; OSError when it cannot be made or opened."""
        if not os.path.isabs(directory):
            raise Refused("it is a relative path")
        try:
            os.makedirs(directory, mode=0o700)
        except FileExistsError:
            pass
        st = os.lstat(directory)
        if stat.S_ISLNK(st.st_mode):
            raise Refused("it is a symlink")
        if not stat.S_ISDIR(st.st_mode):
            raise Refused("it is not a folder")
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | NOFOLLOW | CLOEXEC) if _AT else None
        try:
            if fd is not None:
                st = os.fstat(fd)
            if _POSIX and st.st_uid != os.getuid():
                raise Refused("it is owned by another user")
            if _POSIX and st.st_mode & 0o022:  # ours, made by an older policylint under umask 002
                os.chmod(fd if fd is not None else directory, stat.S_IMODE(st.st_mode) & ~0o022)
        except BaseException:
            if fd is not None:
                os.close(fd)
            raise
        cache = cls(directory, fd, secret or b"", **limits)  # owns the descriptor from here on
        if secret is None:
            cache._secret = cache._read_secret()
        return cache

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    __del__ = close

    # -- the interface -------------------------------------------------------------------
    def get(self, kind: str, key: str):
        """The value stored under (kind, key), or None when there is none that verifies."""
        payload = self._verified(kind, key)
        if payload is None:
            return None
        try:
            return _loads(str(payload, "utf-8"))
        except (ValueError, RecursionError):
            return None

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        """The bytes stored under (kind, key) (by `put` or `put_bytes`), or None when there are
        none that verify."""
        payload = self._verified(kind, key)
        return bytes(payload) if payload is not None else None

    def _verified(self, kind: str, key: str) -> memoryview | None:
        """The payload of the entry (kind, key), a view of the file's bytes (not copied to be
        hashed or decoded), when its MAC verifies; else None."""
        name = _entry_name(kind, key)
        data = self._read(name, MAX_ENTRY_BYTES)
        if data is None:
            return None
        header = _header(kind, key)
        mac_end = len(header) + 64
        if data[:len(header)] != header or data[mac_end:mac_end + 1] != b"\n":
            return None
        payload = memoryview(data)[mac_end + 1:]
        mac = self._mac(header, hasher(payload).digest())
        try:
            from _operator import _compare_digest  # `hmac` would load OpenSSL
        except ImportError:  # not CPython
            from hmac import compare_digest as _compare_digest
        if not _compare_digest(mac, data[len(header):mac_end]):
            return None
        return payload

    def put(self, kind: str, key: str, value) -> None:
        """Store `value` (JSON data) under (kind, key); a value JSON cannot hold, or a folder
        that cannot be written, leaves the cache as it was. Written as ASCII: a name that is not
        UTF-8 (a lone surrogate in its text) is kept as its escape and read back the same."""
        import json

        try:
            payload = json.dumps(value, allow_nan=False, separators=(",", ":")).encode("ascii")
        except (TypeError, ValueError, RecursionError):
            return
        self.put_bytes(kind, key, payload)

    def put_bytes(self, kind: str, key: str, payload: bytes, digest: str | None = None) -> None:
        """Store bytes as they are (a report, which JSON would only escape) under (kind, key);
        `digest`: `content_key(payload)` when the caller has it (an entry named by its content)."""
        name = _entry_name(kind, key)
        header = _header(kind, key)
        mac = self._mac(header, bytes.fromhex(digest) if digest is not None else hasher(payload).digest())
        try:
            self._write(name, header + mac + b"\n", payload)  # the payload not copied: it may be a whole report
        except OSError:
            return
        if not self._evicted:
            self._evicted = True
            self.evict()

    def _mac(self, header: bytes, digest: bytes) -> bytes:
        """The entry's MAC (hex, ASCII): the secret's BLAKE2b of its header and its payload's digest."""
        return hasher(header + digest, key=self._secret).hexdigest().encode()

    def evict(self) -> None:
        """Remove entries unused for `max_age`, those beyond the newest `max_entries`, what an
        older policylint left (pickles, unsigned markers) and temporary files of dead runs.
        Only names this module makes are touched: the folder may be a user's own choice."""
        now = time.time()
        entries = []
        try:
            with os.scandir(self._fd if self._fd is not None else self.directory) as found:
                for entry in found:
                    try:
                        mtime = entry.stat(follow_symlinks=False).st_mtime
                    except OSError:
                        continue
                    if _is_entry_name(entry.name):
                        entries.append((mtime, entry.name))
                    elif _is_leftover(entry.name) or (_is_temporary(entry.name) and now - mtime > _TMP_AGE):
                        self._unlink(entry.name)
        except OSError:
            return
        entries.sort(reverse=True)
        for rank, (mtime, name) in enumerate(entries):
            if rank >= self.max_entries or now - mtime > self.max_age:
                self._unlink(name)

    # -- files ---------------------------------------------------------------------------
    def _open(self, name: str, flags: int, mode: int = 0o600) -> int:
        if self._fd is None:
            return os.open(os.path.join(self.directory, name), flags, mode)
        return os.open(name, flags, mode, dir_fd=self._fd)

    def _unlink(self, name: str) -> None:
        try:
            if self._fd is None:
                os.unlink(os.path.join(self.directory, name))
            else:
                os.unlink(name, dir_fd=self._fd)
        except OSError:
            pass

    def _read(self, name: str, limit: int) -> bytes | None:
        """The bytes of the file `name`: a regular file of the user's, not writable by group
        or others, with one link, of at most `limit` bytes, not a symlink; else None."""
        try:
            fd = self._open(name, READ_NOFOLLOW)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            if _POSIX and (st.st_uid != os.getuid() or st.st_mode & 0o022 or st.st_nlink != 1):
                return None
            chunks, left = [], st.st_size + 1  # one byte more: a file that grew is refused
            while left > 0:
                chunk = os.read(fd, left)
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            if left <= 0:
                return None
            if time.time() - st.st_mtime > _REFRESH and os.utime in os.supports_fd:
                try:
                    os.utime(fd)
                except OSError:
                    pass
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    def _write(self, name: str, *parts) -> None:
        """The parts (bytes-like), one after another, into a new file renamed to `name`."""
        for _ in range(100):
            tmp = f".{name}.{os.urandom(6).hex()}.tmp"
            try:
                fd = self._open(tmp, CREATE_EXCLUSIVE, 0o600)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(name)
        try:
            try:
                for data in parts:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            if self._fd is None:
                os.replace(os.path.join(self.directory, tmp), os.path.join(self.directory, name))
            else:
                os.replace(tmp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            self._unlink(tmp)
            raise

    def _read_secret(self) -> bytes:
        """The folder's signing key; made when missing, made anew when damaged or not the
        user's alone (every entry signed with the old one is then a miss)."""
        secret = self._read(SECRET, 64)
        if secret is not None and len(secret) == 32:
            return secret
        secret = os.urandom(32)
        self._write(SECRET, secret)
        return self._read(SECRET, 64) or secret  # a concurrent run's, when it renamed last


def _entry_name(kind: str, key: str) -> str:
    if not (kind.isascii() and kind.isalpha() and kind.islower() and len(key) == 64 and _HEX.issuperset(key)):
        raise ValueError(f"bad cache kind or key: {kind!r} {key!r}")
    return f"{kind}-{key}"


def _is_entry_name(name: str) -> bool:
    kind, _, key = name.partition("-")
    return kind.isascii() and kind.isalpha() and kind.islower() and len(key) == 64 and _HEX.issuperset(key)


def _is_leftover(name: str) -> bool:
    """A file policylint 0.x wrote: `ast-<tag>-<digest>.pickle` (and its `.tmp`), `checked-<32 hex>`."""
    if name.startswith("ast-") and name.endswith((".pickle", ".tmp")):
        return True
    return name.startswith("checked-") and len(name) == 40 and _HEX.issuperset(name[8:])


def _is_temporary(name: str) -> bool:
    made = name[1:].split(".")[0]
    return name.startswith(".") and name.endswith(".tmp") and (made == SECRET or _is_entry_name(made))


def _header(kind: str, key: str) -> bytes:
    return f"policylint-cache {FORMAT} {kind} {key}\n".encode()


_scan = None


def _loads(text: str):
    """JSON to Python through the C scanner alone (importing `json` costs 2 ms a run); no
    NaN or Infinity, nothing after the value."""
    global _scan
    if _scan is None:
        try:
            from _json import make_scanner
        except ImportError:  # not CPython
            import json

            _scan = lambda s, i: json.JSONDecoder(parse_constant=_refuse_constant).raw_decode(s, i)  # noqa: E731
        else:
            _scan = make_scanner(_ScanOptions())
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError("data after the value")
    return value


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number a cache entry holds")


class _ScanOptions:
    """What `json.JSONDecoder` gives the C scanner, with `NaN` and `Infinity` refused."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_refuse_constant)
    memo: dict = {}

