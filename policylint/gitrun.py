"""Running git on repositories we do not trust: every git command policylint runs goes here.

The repository under check and a pack's case folder are data (DESIGN.md, "Trust
boundaries"): nothing in them may make git run a program. `run_git`:

- finds git only in absolute PATH entries, so a `git` file in the repository (the working
  folder, in CI) never runs, and gives git the same PATH;
- passes a fixed argument list, never through a shell, with stdin closed and stdout a pipe
  (never a terminal, so no pager either way), after `--no-pager --no-replace-objects`;
- sets on the command line, which wins over every configuration file, each setting that
  names a program git would run: hooks (`core.hooksPath`), the file system monitor
  (`core.fsmonitor`), credential helpers, `core.sshCommand`;
- refuses every transport (`GIT_ALLOW_PROTOCOL` empty, which no `protocol.*.allow` of a
  repository can override): no fetch, so no lazy fetch of a partial clone, no remote helper;
- takes an environment from `environment()`: no `GIT_*` variable of ours (they could point
  git at another repository, or add configuration: `GIT_CONFIG_PARAMETERS`,
  `GIT_CONFIG_COUNT`), prompts and editors off, messages in English;
- stops git after `timeout` seconds or `limit` bytes of output.

Two more doors stay shut by the callers. External diff drivers and textconv are options of
the diff commands: every diff, log and show passes `--no-ext-diff --no-textconv`. Filters and
merge drivers are named in `.gitattributes` but defined only in configuration: the `git`
loader's commands never touch the work tree, and a case's history is built in a fresh
repository whose every configuration is ours (casegit).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading

TIMEOUT = 60  # seconds for one git command
OUTPUT_LIMIT = 128 * 1024 * 1024  # bytes of stdout; a history larger than this is refused
ERROR_LIMIT = 64 * 1024  # bytes of stderr kept (the rest is read and dropped)
_CHUNK = 64 * 1024

# Settings that would make git run a program, overridden for every command.
SAFE_CONFIG = (
    f"core.hooksPath={os.devnull}", "core.fsmonitor=false", "credential.helper=",
    "core.sshCommand=false", "gc.auto=0", "maintenance.auto=false",
)


class GitFailure(Exception):
    """git did not run to the end: it would not start, took too long or printed too much."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def find_git() -> str | None:
    """git's path, looked up in the absolute PATH entries only, or None."""
    path = _absolute_path()
    return shutil.which("git", path=path) if path else None


def environment(keep=(), **settings: str) -> dict:
    """The process environment without `GIT_*` (but `keep`), with prompts, editors and
    transports off and messages in English; `settings` added last."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_") or key in keep}
    env.update(PATH=_absolute_path(), GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="",
               GIT_EDITOR=":", GIT_SEQUENCE_EDITOR=":", GIT_PAGER="cat", PAGER="cat",
               GIT_ALLOW_PROTOCOL="", GIT_NO_LAZY_FETCH="1", LC_ALL="C", LANGUAGE="C")
    env.update(settings)
    return env


def run_git(executable: str, cwd: str, args, *, env: dict, config=(), timeout=None, limit=None) -> tuple:
    """(exit code, stdout, stderr) of `git -C cwd args`, both as bytes.

    `config` adds `-c` settings after SAFE_CONFIG (they cannot undo it: no caller passes
    those keys). Raises GitFailure when git cannot start, runs longer than `timeout` seconds
    (default TIMEOUT) or prints more than `limit` bytes (default OUTPUT_LIMIT)."""
    timeout = TIMEOUT if timeout is None else timeout
    limit = OUTPUT_LIMIT if limit is None else limit
    argv = _argv(executable, cwd, args, config)
    command = f"`git {args[0]}`"
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        raise GitFailure(f"cannot run git: {exc.strerror or exc}") from None
    out, err = bytearray(), bytearray()
    too_much = threading.Event()
    readers = [threading.Thread(target=_drain, args=(process.stdout, out, limit, too_much, process), daemon=True),
               threading.Thread(target=_drain, args=(process.stderr, err, ERROR_LIMIT, None, process), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise GitFailure(f"{command} took longer than {timeout} s; stopped") from None
    finally:
        for reader in readers:
            reader.join(timeout=5)
        process.stdout.close()
        process.stderr.close()
    if too_much.is_set():
        raise GitFailure(f"{command} printed more than {_size(limit)}; stopped")
    return code, bytes(out), bytes(err)


def _argv(executable: str, cwd, args, config) -> list:
    """The command line of every git we run: the safe settings first, then the caller's."""
    argv = [executable, "--no-pager", "--no-replace-objects", "-C", str(cwd)]
    for setting in (*SAFE_CONFIG, *config):
        argv += ["-c", setting]
    return argv + list(args)


class ObjectReader:
    """`git cat-file --batch`, kept running: the objects a caller asks for, one at a time, as
    many as it likes for the cost of one process (reading the blobs of a commit's tree without
    checking it out). The same doors are shut as in `run_git` (same command line and
    environment, no shell, stderr drained and bounded); names are object ids only (hex), so
    nothing the caller passes is read as an option or a second request; each answer must
    come within `timeout` seconds, or git is stopped and GitFailure raised (the reader is then
    closed); an object over `limit` bytes is not kept (see `read`)."""

    def __init__(self, executable: str, cwd, *, env: dict, config=(), timeout=None, limit=None):
        self.timeout = TIMEOUT if timeout is None else timeout
        self.limit = OUTPUT_LIMIT if limit is None else limit
        try:
            self.process = subprocess.Popen(_argv(executable, cwd, ("cat-file", "--batch"), config),
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=env)
        except OSError as exc:
            raise GitFailure(f"cannot run git: {exc.strerror or exc}") from None
        self.errors = bytearray()
        self._deadline = None  # monotonic time by which the answer being read must be in
        self._closed = threading.Event()
        threading.Thread(target=_drain, args=(self.process.stderr, self.errors, ERROR_LIMIT, None, self.process),
                         daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def read(self, name: str):
        """(type, size, content bytes) of the object `name` (a hex object id), the content None
        when it is larger than `limit` (read through and dropped: the reader goes on); None
        when the repository has no such object."""
        if not name or len(name) > 64 or not all(c in "0123456789abcdef" for c in name):
            raise ValueError(f"not an object id: {name!r}")
        if self._closed.is_set():
            raise GitFailure("`git cat-file` was stopped")
        import time

        self._deadline = time.monotonic() + self.timeout
        try:
            stdin, stdout = self.process.stdin, self.process.stdout
            stdin.write(name.encode() + b"\n")
            stdin.flush()
            header = stdout.readline(256)
            if not header.endswith(b"\n"):
                raise OSError("no answer")
            fields = header.split()
            if len(fields) == 2 and fields[1] == b"missing":
                return None
            if len(fields) != 3 or not fields[2].isdigit():
                raise GitFailure(f"`git cat-file` answered `{header[:80].decode('utf-8', 'replace').strip()}`")
            kind, size = fields[1].decode("ascii", "replace"), int(fields[2])
            if size > self.limit:
                left = size + 1
                while left > 0:
                    chunk = stdout.read(min(left, _CHUNK))
                    if not chunk:
                        raise OSError("short answer")
                    left -= len(chunk)
                return kind, size, None
            data = stdout.read(size + 1)
            if len(data) != size + 1:
                raise OSError("short answer")
            return kind, size, data[:size]
        except (OSError, ValueError) as exc:
            stopped = self._closed.is_set()
            self.close()
            if stopped:
                raise GitFailure(f"`git cat-file` took longer than {self.timeout} s; stopped") from None
            raise GitFailure(f"`git cat-file` stopped: {exc}") from None
        except GitFailure:
            self.close()
            raise
        finally:
            self._deadline = None

    def close(self) -> None:
        """Stop git (it ends on its own once its input closes) and let its pipes go."""
        if self.process.poll() is None:
            self._closed.set()
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._closed.set()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _watch(self) -> None:
        """Stop git when an answer is late (checked every tenth of a second while one is awaited)."""
        import time

        while not self._closed.wait(0.1 if self._deadline is not None else 0.5):
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                self._closed.set()
                self.process.kill()
                return


def _drain(stream, sink: bytearray, limit: int, too_much, process) -> None:
    """Read `stream` to its end into `sink`, up to `limit` bytes. Past the limit: for stdout
    (`too_much` given) stop git, for stderr keep reading and drop the rest."""
    try:
        while chunk := stream.read1(_CHUNK):
            room = limit - len(sink)
            if len(chunk) > room:
                if too_much is not None:
                    too_much.set()
                    process.kill()
                    return
                chunk = chunk[:max(room, 0)]
            sink += chunk
    except (OSError, ValueError):  # the pipe was closed under us: git was stopped
        return


def _absolute_path() -> str:
    return os.pathsep.join(entry for entry in os.get_exec_path() if os.path.isabs(entry))


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
