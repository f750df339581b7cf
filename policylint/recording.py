"""A Repo that records what a run reads, and tells which of it a change to the work tree alters.

`policylint test --mutate` deletes each file of a case in turn. A deletion can change a run
only through what the run asked of the work tree, so the run is recorded once: each load (a
memo entry) depends on what it read and on the entries it used, each gate (a frame the engine
opens around it) likewise, and `frames[0]` holds what was read outside any gate. After a
deletion, `changed(path)` names the observations the file system now answers differently;
the loads and gates that depend on none of them are still good.

What a run can observe of the work tree, each asked again after a deletion:
  ("path", p)   where p leads (its real path) and what is there: read_bytes, read_text,
                open_binary, exists, is_dir and resolve all answer from it
  ("glob", segments, dirs_only)   a glob's matches
  ("list", p)   a folder's entries (Repo.listing, kept in the memo)
  EVERYTHING    a memo entry made some other way: any deletion may change it
Git facts come from git's objects, never the work tree (the git loader reads no file of it),
and today's date from the clock, so no deletion changes them.

Lazy fields of loaded records are traced to the entries that hold them and forced by
`finish`, so that no entry kept for a later run computes anything then. The mutation sweeps
use RecordingRepo; `check` uses TrackingRepo (below) only for its results cache: without it,
the plain Repo pays nothing.
"""
from __future__ import annotations

import datetime
import functools
import os
import posixpath
import stat
import types

from .cache import hasher  # packs.py has imported it already
from .errors import ArtifactError
from .repo import Repo, _glob_segments
from .values import Lazy, LStr, PathValue, Record

EVERYTHING = ("everything",)
STATEFUL = ("stateful",)  # in a closure: it depends on an entry that is more than data (see `finish`)
_MEMO_KINDS = ("bytes", "text", "glob", "listing")  # the keys Repo itself stores: data by construction
_FACTS = ("git", "today")  # memo entries no file read shows: an input of their own


class _Memo(dict):
    """The recording repository's memo: reading an entry depends on what it was made from."""

    __slots__ = ("repo",)

    def __init__(self, repo):
        super().__init__()
        self.repo = repo

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        self.repo._used(key)
        return value

    def get(self, key, default=None):
        return self[key] if dict.__contains__(self, key) else default

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        self.repo._stored(key, value)


class _Traced:
    """A lazy field's computation, recorded: what it reads, the memo entries holding it
    depend on, and so does whoever reads the field first."""

    __slots__ = ("repo", "compute", "keys")

    def __init__(self, repo, compute, key):
        self.repo, self.compute, self.keys = repo, compute, {key}

    def __call__(self):
        repo = self.repo
        if not repo.recording:
            return self.compute()
        repo.frames.append(set())
        try:
            value = self.compute()
        finally:
            reads = repo.frames.pop()
            for key in self.keys:
                repo.depends[key] |= reads
            repo.frames[-1] |= reads
        for key in self.keys:
            repo._trace(value, key)
        return value


class RecordingRepo(Repo):
    """A Repo that records what is read (see the module docstring). A caller opens a frame
    (`frames.append(set())`) around what it wants the reads of, and pops it."""

    def __init__(self, root, base):
        super().__init__(root, base)
        self._memo = _Memo(self)
        self.recording = True
        self.frames = [set()]
        self.depends: dict = {}  # memo key -> observations and ("key", k) it was made from
        self.observed: set = set()
        self.volatile: set = set()  # entries that hold the repository, or were made with one that does
        self._computing: list = []  # the keys Repo.memo is computing, innermost last

    # -- what is read
    def _see(self, what) -> None:
        self.frames[-1].add(what)
        self.observed.add(what)

    def _see_path(self, relpath) -> None:
        try:
            self._see(("path", self.normalize(relpath)))
        except ArtifactError:
            pass  # refused before the file system is asked: no deletion changes that

    def _used(self, key) -> None:
        if self.recording:
            self.frames[-1].add(("key", key))

    def _stored(self, key, value) -> None:
        if not self.recording:
            return
        reads, kind = self._depend(key)
        if kind not in _MEMO_KINDS and (not _plain(value, self.real_root, lazies=False) or any(
                what[0] == "key" and what[1] in self.volatile for what in reads)):
            self.volatile.add(key)
        self._trace(value, key)

    def _depend(self, key) -> tuple:
        """(what a memo entry being stored was made from, its kind): recorded as its
        dependencies, and the entry as a read of the frame that made it."""
        reads = set(self.frames[-1])
        kind = key[0] if isinstance(key, tuple) and key else None
        if kind == "listing":  # Repo.listing keeps a folder's entries in the memo
            self._see(("list", key[1]))
            reads = {("list", key[1])}
        elif kind not in _MEMO_KINDS and not (self._computing and self._computing[-1] == key):
            self._see(EVERYTHING)
            reads.add(EVERYTHING)
        self.depends[key] = reads
        self.frames[-1].add(("key", key))
        return reads, kind

    def forget_volatile(self) -> None:
        """Drop the entries that hold the repository (a loader's object whose methods fill
        caches as they are asked) and those made with them: made again by the next gate
        that needs them, every read their answers rest on is that gate's."""
        for key in self.volatile:
            dict.pop(self._memo, key, None)

    def _trace(self, value, key) -> None:
        """Every unread lazy field in `value` traced to `key`. What `_walk` visits, in one loop
        of its own (it runs on every load and every lazy field read): the common types
        decided by their exact type first. A file's lines are made by the ten thousand and
        hold none (loaders/files.line_records): not walked into; a record whose fields are
        made when read (values.LazyFields) holds only what it has made."""
        todo, seen = [value], set()
        pop, extend, saw = todo.pop, todo.extend, seen.add
        while todo:
            item = pop()
            kind = type(item)
            if kind is Record:  # the most common, a line the commonest of them: asked first
                if item.type == "Line" or id(item) in seen:
                    continue
                saw(id(item))
                extend(item.fields.values())
                continue
            if kind in _SCALARS or item is None:
                continue
            if kind is Lazy:
                if item.pure:  # reads nothing more: nothing to record when it is computed
                    continue
                compute = item.compute
                if type(compute) is _Traced:
                    compute.keys.add(key)
                else:
                    item.compute = _Traced(self, compute, key)
                continue
            if id(item) in seen:
                continue
            saw(id(item))
            if kind is list or kind is dict:
                extend(item if kind is list else item.values())
            elif isinstance(item, (str, bytes, int, float)):
                continue
            elif isinstance(item, (list, tuple, set, frozenset)):
                extend(item)
            elif isinstance(item, dict):
                extend(item.values())

    def _framed(self, call, relpath):
        """`call(relpath)` in a frame of its own: a memo entry it stores depends on the path."""
        self.frames.append(set())
        try:
            self._see_path(relpath)
            return call(relpath)
        finally:
            reads = self.frames.pop()
            self.frames[-1] |= reads

    # -- the Repo's ways in
    def resolve(self, relpath):
        if self.recording:
            self._see_path(relpath)
        return super().resolve(relpath)

    def read_bytes(self, relpath):
        if not self.recording:
            return super().read_bytes(relpath)
        return self._framed(super().read_bytes, relpath)

    def read_text(self, relpath):
        if not self.recording:
            return super().read_text(relpath)
        return self._framed(super().read_text, relpath)

    def open_binary(self, relpath):
        if self.recording:
            self._see_path(relpath)
        return super().open_binary(relpath)

    def glob(self, pattern, dirs_only: bool = False):
        if not self.recording:
            return super().glob(pattern, dirs_only)
        self.frames.append(set())
        try:
            self._see(("glob", tuple(_glob_segments(self, str(pattern))), dirs_only))
            return super().glob(pattern, dirs_only)
        finally:
            reads = self.frames.pop()
            self.frames[-1] |= reads

    def memo(self, key, compute):
        if not self.recording:
            return super().memo(key, compute)
        self.frames.append(set())
        self._computing.append(key)
        try:
            return super().memo(key, compute)
        finally:
            self._computing.pop()
            reads = self.frames.pop()
            self.frames[-1] |= reads

    # -- after the run
    def finish(self) -> None:
        """Force the lazy fields no gate read (what they read is recorded like the rest),
        then stop recording: the entries are data now, and each one's dependencies known."""
        self.frames.append(set())  # forced reads are no gate's and not the run's
        done: set = set()
        while True:
            todo = [key for key in self._memo if key not in done]
            if not todo:
                break
            for key in todo:
                done.add(key)
                _force(dict.__getitem__(self._memo, key))
        self.frames.pop()
        self.recording = False
        self.final = dict(self._memo.items())
        self.stateful = self.volatile | {key for key, value in self.final.items() if not _plain(value, self.real_root)}
        self.closures = {key: self.closure({("key", key)}) for key in self.final}
        self.answers = {what: self._answer(what) for what in self.observed}
        self.links = _has_links(self.real_root)

    def closure(self, reads: set, gate: bool = False) -> frozenset:
        """The observations `reads` depends on, through the memo entries it used; STATEFUL
        among them when one of those entries holds more than data: what it answers may rest
        on reads no frame of its own saw. Not so for a gate's reads (`gate`) and an entry the
        gate made afresh (`forget_volatile`): all of those were the gate's."""
        return frozenset(self._behind(reads, self.stateful - self.volatile if gate else self.stateful))

    def _behind(self, reads, tainted=frozenset()) -> set:
        """The observations `reads` rests on through the memo entries it used (and STATEFUL when
        one of those is `tainted`)."""
        out, todo, keys = set(), list(reads), set()
        while todo:
            what = todo.pop()
            if what[0] == "key":
                if what[1] not in keys:
                    keys.add(what[1])
                    todo.extend(self.depends.get(what[1], ()))
                    if what[1] in tainted:
                        out.add(STATEFUL)
            else:
                out.add(what)
        return out

    def changed(self, deleted: str) -> set:
        """The observations the file system answers differently now that `deleted` (a file or
        a symlink, repository-relative) is gone. Without symlinks in the tree only what names
        it can change: its path, its folder's listing, a glob that matched it; with them every
        observation is asked again."""
        if self.links:
            return {what for what, answer in self.answers.items() if self._answer(what) != answer}
        folder, below = posixpath.dirname(deleted) or ".", deleted + "/"
        out = set()
        for what, answer in self.answers.items():
            kind = what[0]
            if (kind == EVERYTHING[0] or (kind == "path" and (what[1] == deleted or what[1].startswith(below)))
                    or (kind == "list" and what[1] == folder)
                    or (kind == "glob" and isinstance(answer, list) and deleted in answer)):
                out.add(what)
        return out

    def _answer(self, what):
        """What the file system says to an observation now."""
        kind = what[0]
        if kind == "path":
            real = os.path.realpath(os.path.join(self.real_root, what[1]))
            return real, _kind_of(real)
        if kind == "glob":
            try:
                return Repo(self.real_root).glob("/".join(what[1]), what[2])
            except ArtifactError as exc:
                return "error", exc.message
        if kind == "list":
            real = os.path.realpath(os.path.join(self.real_root, what[1]))
            try:
                with os.scandir(real) as listing:
                    entries = sorted((e.name, e.is_symlink(), e.is_dir(follow_symlinks=False),
                                      e.is_file(follow_symlinks=False)) for e in listing)
            except OSError as exc:
                entries = type(exc).__name__
            return real, entries
        return object()  # EVERYTHING: never the same


def _has_links(root) -> bool:
    """Whether the work tree (its `.git` aside, which no deletion touches) holds a symlink."""
    for folder, dirs, files in os.walk(root):
        if folder == str(root):
            dirs[:] = [d for d in dirs if d != ".git"]
        if any(os.path.islink(os.path.join(folder, name)) for name in dirs + files):
            return True
    return False


def _kind_of(real: str):
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return type(exc).__name__
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else stat.S_IFMT(mode)


_SCALARS = frozenset({str, LStr, PathValue, int, bool, float, bytes})
_DATA = (str, bytes, int, float, type(None), datetime.date, datetime.time, datetime.timedelta, type,
         types.ModuleType, types.BuiltinFunctionType)


def _plain(value, root, lazies: bool = True) -> bool:
    """Whether `value` can never read the work tree again: no object in it (through
    containers, attributes, closures, bound methods, partials, lazy fields) holds a Repo of
    `root` (a pack's schema holds one of the pack's folder: that is no work tree); with
    `lazies` false, what an unread lazy field would compute is not looked into.
    A loader's object that does (an OpenSpec document or project) may fill caches later,
    with what it reads then and whoever asks: such an entry is not kept for a later run."""
    todo, seen = [value], set()
    while todo:
        item = todo.pop()
        if isinstance(item, _DATA) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Repo):
            if item.real_root == root:
                return False
            continue
        if isinstance(item, Record):
            todo.extend(item.fields.values())
            continue
        if isinstance(item, (Lazy, _Traced)):
            if lazies:
                todo.append(item.compute)
            continue
        if isinstance(item, types.FunctionType):
            for cell in item.__closure__ or ():
                try:
                    todo.append(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
            continue
        if isinstance(item, types.MethodType):
            todo.extend((item.__self__, item.__func__))
            continue
        if isinstance(item, functools.partial):
            todo.extend((item.func, *item.args, *item.keywords.values()))
            continue
        if isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)
        elif isinstance(item, BaseException):
            todo.extend(item.args)
        todo.extend(getattr(item, "__dict__", {}).values())
        for klass in type(item).__mro__:
            slots = klass.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                todo.append(getattr(item, name, None))
    return True


def _force(value) -> None:
    """Read every lazy field under `value` (one that fails stays lazy: asked again, it fails
    again, for it depends on nothing that changed — else its entry is not kept)."""
    for _ in _walk(value, _forced_fields):
        pass


def _forced_fields(record):
    for name, field_value in list(record.fields.items()):
        if type(field_value) is Lazy:
            try:
                field_value = record.get(name)
            except Exception:  # noqa: BLE001 — a field that is an error stays one
                continue
        yield field_value


def _walk(value, fields_of):
    """Every container and lazy field under `value`, once each (scalars skipped); a record's
    children are what `fields_of(record)` gives."""
    todo, seen = [value], set()
    while todo:
        item = todo.pop()
        if isinstance(item, (str, bytes, int, float)) or item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, Record):
            todo.extend(fields_of(item))
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())


class TrackingRepo(RecordingRepo):
    """The recording repository `check` uses for its results cache (policylint/results.py):
    what each subject's evaluation read, through the loads it used, with the git facts
    (`("git",)`, which no file read shows), today's date when it asked for it (`("today",)`),
    and the notices its loads made
    (`("notice", path, line, code, message)`) among them. Lighter than the mutation sweeps'
    recorder: no entry is kept for a later run in memory, so nothing is forced or judged
    volatile; what an entry's lazy fields read later still counts for it (traced)."""

    keep_stats = True  # the results cache answers each path from what the run saw of it

    def __init__(self, root, base):
        super().__init__(root, base)
        self.digests: dict = {}  # path -> (size, mtime_ns, content digest) as the run read it
        self.globbed: dict = {}  # ("glob", segments, dirs_only) -> its answer as results.py keeps it
        self.listed: dict = {}  # folder -> Repo.listing's memo entry as first made (forget_under drops that)

    def glob(self, pattern, dirs_only: bool = False):
        """The glob's matches, and (the first time a run) its answer as the results cache keeps
        it: the folders deciding it looked at before the walk, then what the walk found."""
        what = ("glob", tuple(_glob_segments(self, str(pattern))), dirs_only)
        if what in self.globbed or not self.recording:
            return super().glob(pattern, dirs_only)
        from .results import glob_answer, glob_folders

        folders = glob_folders(self.real_root, what[1])
        if folders is not None and folders[1] is not None:  # their listings made after that look, not before
            vouching = folders[1][1]
            for rel, _mtime, _inode in vouching if isinstance(vouching[0], list) else [vouching]:
                self._listings.pop("" if rel == "." else rel, None)
        try:
            matches = super().glob(pattern, dirs_only)
        except ArtifactError as exc:
            self.globbed[what] = [["error", exc.message], None]
            raise
        self.globbed[what] = glob_answer(what[1], folders, matches)
        return matches

    def _read_file(self, full, norm: str) -> bytes:
        """The bytes, and their digest with the size and mtime from before the read: what a
        verdict rests on is what was read, even if the file changes while the run goes on."""
        self.frames[-1].add(("read", norm))  # read, not only looked at: inline waivers are sought in it
        data, before = self._read_checked(full)  # its size and mtime as the open file said before the read
        self.digests[norm] = (before.st_size, before.st_mtime_ns, hasher(data).hexdigest())
        return data

    def _stored(self, key, value) -> None:
        _reads, kind = self._depend(key)
        if kind not in _MEMO_KINDS:
            self._trace(value, key)
        elif kind == "listing":
            self.listed.setdefault(key[1], value)

    # What a run asks again (a load another gate made, a file read already) costs one mark in
    # the reading frame, as the recorder's frame around it would have given it, not a frame.
    def _see(self, what) -> None:
        self.frames[-1].add(what)  # no `observed`: nothing here asks the observations again

    def memo(self, key, compute):
        if self.recording and dict.__contains__(self._memo, key):
            hit = dict.__getitem__(self._memo, key)
            self.frames[-1].add(("key", key))
            self._fact(key)
            if hit[0] == "err":
                raise hit[1]
            return hit[1]
        try:
            return super().memo(key, compute)
        finally:
            self._fact(key)

    def _fact(self, key) -> None:
        """A memo entry no file read shows (git's objects and refs, the clock): an input of its own."""
        if isinstance(key, tuple) and key and key[0] in _FACTS:
            self.depends.setdefault(key, set()).add((key[0],))
            self.frames[-1].add((key[0],))

    def read_text(self, relpath):
        kept = self._read_kept(("text", relpath))
        return super().read_text(relpath) if kept is None else kept

    def read_bytes(self, relpath):
        kept = self._read_kept(("bytes", relpath))
        return super().read_bytes(relpath) if kept is None else kept

    def _read_kept(self, key):
        """A file's bytes or text read already this run (None when not): marked as read."""
        if not self.recording or not dict.__contains__(self._memo, key):
            return None
        frame = self.frames[-1]
        frame.add(("path", self.normalize(key[1])))
        frame.add(("key", key))
        return dict.__getitem__(self._memo, key)

    def notice(self, path, line, code, message) -> None:
        super().notice(path, line, code, message)
        self.frames[-1].add(("notice", path, line, code, message))

    def inputs(self, reads) -> set:
        """What `reads` rests on: the observations (and notices) behind the loads it used."""
        return self._behind(reads)
