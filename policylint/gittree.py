"""One commit's files, read from git's objects: a Repo that never looks at the work tree.

`policylint board --history` evaluates the packs at each commit of the first-parent line
without checking anything out. `Objects` reads trees and blobs through one long-lived
`git cat-file --batch` (gitrun.ObjectReader), each object once however many commits hold it;
`Objects.commit_tree(sha, prefix)` is a commit's tree below the root, its folders read as they
are asked (`CommitTree`); `GitTreeRepo` answers every question a loader asks (`exists`,
`is_dir`, `read_bytes`, `read_text`, `open_binary`, `glob`, `listing`) from them.

The rules are the work tree reader's (repo.py):
- paths are confined to the root (`..` and absolute paths refused as there);
- a symlink (mode 120000; its blob is the target) is followed while it stays inside the root
  (a target that is absolute or leaves is "resolves outside the repository root"); `**` never
  descends into one; a glob does not match one that leads outside; a loop (a chain of more
  than 40 links) reads as the file system says it: too many levels of symbolic links;
- a submodule (mode 160000) is a folder with nothing in it;
- a file over MAX_FILE_BYTES is refused with the same message (its content is not kept);
- the root's `.git` never appears (a tree cannot hold one anyway).

The git facts (`git.head`, `git.commits`, `git.changed_files`…) answer for the commit: every
`HEAD` the git loader passes to git becomes the commit's sha. The branch is the branch checked
out now (the history is that branch's line); tags and branches are the repository's refs as
they are now.
"""
from __future__ import annotations

import errno
import io
import posixpath
from functools import cache, partial
from pathlib import Path

from . import gitrun
from .errors import ArtifactError
from .repo import MAX_FILE_BYTES, Entry, Repo, _glob_segments, _is_magic, _too_large, segment_matcher

_LINK_HOPS = 40  # as the kernel's limit: a longer chain (or a loop) is "too many levels of symbolic links"
_FILE, _LINK, _DIR = "file", "link", "dir"
_LOOP = "\0loop"  # ends the "real path" of a chain of links too long to follow


class CommitTree:
    """A commit's tree below the root, read as it is asked: a folder is its tree object's
    entries, `{name: (kind, object id)}` (Objects.tree, parsed once per object id for every
    commit that holds it), so a commit costs the folders a run looks at."""

    def __init__(self, sha: str, root_oid: str | None, objects: Objects):
        self.sha, self._root, self._objects = sha, root_oid, objects
        self._folders: dict = {}  # path -> its entries, or None when it is no folder
        self.targets: dict = {}  # link path -> its target (read on first use)

    def folder(self, path: str):
        """The entries of the folder at `path` (as written: a link is not followed), or None."""
        try:
            return self._folders[path]
        except KeyError:
            pass
        if path == ".":
            found = self._objects.tree(self._root) if self._root else {}
        else:
            parent, name = posixpath.split(path)
            above = self.folder(parent or ".")
            kind, oid = above.get(name, (None, None)) if above is not None else (None, None)
            found = None if kind != _DIR else self._objects.tree(oid) if oid else {}  # a submodule: empty
        self._folders[path] = found
        return found

    def entry(self, path: str):
        """(kind, object id) of the path as written, or None."""
        if path == ".":
            return _DIR, self._root
        parent, name = posixpath.split(path)
        above = self.folder(parent or ".")
        return above.get(name) if above is not None else None

    def kind(self, path: str):
        """_FILE, _LINK, _DIR or None, as written (a link not followed)."""
        found = self.entry(path)
        return found[0] if found is not None else None


_MODES = {b"40000": _DIR, b"040000": _DIR, b"160000": _DIR, b"120000": _LINK}


class Objects:
    """Trees and blobs by object id through one `git cat-file --batch` (started on first use),
    each read once however many commits hold it (blobs up to 256 MB in all are kept)."""

    def __init__(self, start_reader):
        self._start = start_reader
        self._reader = None
        self._blobs: dict = {}
        self._trees: dict = {}
        self._kept = 0

    def _read(self, oid: str, what: str):
        if self._reader is None:
            self._reader = self._start()
        found = self._reader.read(oid)
        if found is None:
            raise gitrun.GitFailure(f"git has no object {oid[:12]} (a partial clone? policylint fetches nothing)")
        if found[0] != what:
            raise gitrun.GitFailure(f"object {oid[:12]} is a {found[0]}, not a {what}")
        return found

    def blob(self, oid: str) -> tuple:
        """(size, bytes) of a blob; the bytes None when it is larger than the reader keeps."""
        hit = self._blobs.get(oid)
        if hit is None:
            _, size, data = self._read(oid, "blob")
            hit = (size, data)
            if data is not None and self._kept + size <= 256 * 1024 * 1024:  # past that, read again
                self._blobs[oid] = hit
                self._kept += size
        return hit

    def tree(self, oid: str) -> dict:
        """A tree object's entries: name -> (kind, object id; None for a submodule)."""
        hit = self._trees.get(oid)
        if hit is None:
            _, _, data = self._read(oid, "tree")
            if data is None:
                raise gitrun.GitFailure(f"tree {oid[:12]} is too large to read")
            hit = self._trees[oid] = _parse_tree(data, len(oid) // 2)
        return hit

    def commit_tree(self, sha: str, prefix: str = "") -> CommitTree:
        """The tree of commit `sha` below `prefix` (the root's path in the repository, `a/b/`)."""
        _, _, data = self._read(sha, "commit")
        first = data.split(b"\n", 1)[0].split() if data else []
        if len(first) != 2 or first[0] != b"tree":
            raise gitrun.GitFailure(f"cannot read commit {sha[:12]}")
        oid = first[1].decode("ascii")
        for part in [p for p in prefix.split("/") if p]:  # down to the root's folder, if the commit has it
            kind, oid = self.tree(oid).get(part, (None, None))
            if kind != _DIR or oid is None:
                oid = None
                break
        return CommitTree(sha, oid, self)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _parse_tree(data: bytes, oid_bytes: int) -> dict:
    """`<mode> <name>\\0<oid bytes>` entries: name -> (kind, hex oid; None for a submodule)."""
    out = {}
    i, end = 0, len(data)
    while i < end:
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        mode = data[i:space]
        kind = _MODES.get(mode, _FILE)
        oid = data[nul + 1:nul + 1 + oid_bytes].hex()
        out[data[space + 1:nul].decode("utf-8", "surrogateescape")] = (kind, None if mode == b"160000" else oid)
        i = nul + 1 + oid_bytes
    return out


class GitTreeRepo(Repo):
    """The Repo of one commit (see the module docstring): `root` is the work tree's root (where
    git runs), `tree` the commit's CommitTree (Objects.commit_tree), `git_facts` a function
    of this repo that builds the `git` record for the commit (git_facts_at)."""

    def __init__(self, root, base=None, *, tree: CommitTree | None = None, git_facts=None):
        super().__init__(root, base)
        self.tree, self._git_facts = tree, git_facts
        self._real: dict = {}  # path as written -> its real path in the tree, or an ArtifactError

    # -- paths ---------------------------------------------------------------------------
    def real(self, norm: str) -> str:
        """The path with every symlink on the way followed, inside the tree; ArtifactError
        when that leaves the root."""
        hit = self._real.get(norm)
        if hit is None:
            try:
                hit = self._follow(norm)
            except ArtifactError as exc:
                hit = exc
            self._real[norm] = hit
        if isinstance(hit, ArtifactError):
            raise hit
        return hit

    def _follow(self, norm: str) -> str:
        if norm == ".":
            return "."
        done: list = []
        todo = norm.split("/")
        hops = 0
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not done:
                    raise ArtifactError(norm, "path resolves outside the repository root (symlink)")
                done.pop()
                continue
            path = "/".join(done + [part])
            if self.tree.kind(path) != _LINK:
                done.append(part)
                continue
            hops += 1
            if hops > _LINK_HOPS:
                return "/".join(done + [part] + todo) + _LOOP  # a path no tree holds: missing
            target = self._target(path)
            if target.startswith("/"):
                raise ArtifactError(norm, "path resolves outside the repository root (symlink)")
            todo = target.split("/") + todo
        return "/".join(done) or "."

    def _target(self, link: str) -> str:
        tree = self.tree
        target = tree.targets.get(link)
        if target is None:
            try:
                data = tree._objects.blob(tree.entry(link)[1])[1] or b""
            except gitrun.GitFailure as exc:
                raise ArtifactError(link, exc.message) from None
            target = tree.targets[link] = data.decode("utf-8", "surrogateescape")
        return target

    def _kind_of(self, relpath: str):
        """(real path, _FILE/_DIR/None) of a path, symlinks followed; ArtifactError outside."""
        real = self.real(self.normalize(relpath))
        return real, self.tree.kind(real)

    def _absent(self, real: str, shown: str) -> OSError:
        """What the file system says of a path that is not there: not a folder when a file
        stands on the way (`a.md/x`), else not found."""
        if real.endswith(_LOOP):
            return OSError(errno.ELOOP, "Too many levels of symbolic links", shown)
        parts = real.split("/")
        for i in range(1, len(parts)):
            if self.tree.kind("/".join(parts[:i])) in (_FILE, _LINK):
                return NotADirectoryError(errno.ENOTDIR, "Not a directory", shown)
        return FileNotFoundError(errno.ENOENT, "No such file or directory", shown)

    def resolve(self, relpath: str) -> Path:
        """Where the path leads, as a path under the root. Nothing here opens it: it names a
        file of the commit, not of the work tree."""
        real, _ = self._kind_of(relpath)
        return self.real_root if real == "." else Path(self.real_root, real)

    def exists(self, relpath: str) -> bool:
        try:
            return self._kind_of(relpath)[1] is not None
        except ArtifactError:
            return False

    def is_dir(self, relpath: str) -> bool:
        try:
            return self._kind_of(relpath)[1] == _DIR
        except ArtifactError:
            return False

    # -- reading -------------------------------------------------------------------------
    def _read_file(self, full, norm: str) -> bytes:
        real, kind = self._kind_of(norm)
        if kind is None:
            raise self._absent(real, norm)
        if kind == _DIR:
            raise IsADirectoryError(errno.EISDIR, "is a folder", norm)
        try:
            size, data = self.tree._objects.blob(self.tree.entry(real)[1])
        except gitrun.GitFailure as exc:
            raise ArtifactError(norm, exc.message) from None
        if data is None or size > MAX_FILE_BYTES:
            raise _too_large(size, MAX_FILE_BYTES)
        return data

    def open_binary(self, relpath: str):
        return io.BytesIO(self.read_bytes(relpath))

    # -- listing -------------------------------------------------------------------------
    def glob(self, pattern: str, dirs_only: bool = False) -> list:
        segments = _glob_segments(self, str(pattern))
        key = ("glob", "/".join(segments), dirs_only)
        if key in self._memo:
            return self._memo[key]
        out = sorted(set(_TreeGlob(self, segments, dirs_only).matches()))
        self._memo[key] = out
        return out

    def _list_folder(self, relpath: str) -> tuple:
        return self._entries(relpath), relpath

    def _entries(self, relpath: str) -> dict:
        try:
            real = self.real(self.normalize(relpath))
        except ArtifactError as exc:
            raise PermissionError(exc.message) from None
        kind = self.tree.kind(real)
        if kind is None:
            raise self._absent(real, relpath)
        if kind != _DIR:
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", relpath)
        out = {}
        for name, (kind, _) in self.tree.folder(real).items():
            out[name] = _entry(name, kind == _LINK, kind == _DIR, kind == _FILE)
        return out

    # -- git facts -----------------------------------------------------------------------
    def memo(self, key, compute):
        if key == ("git",) and self._git_facts is not None:
            compute = partial(self._git_facts, self)
        return super().memo(key, compute)


def _entry(name: str, is_link: bool, is_dir: bool, is_file: bool) -> Entry:
    """A listing's Entry (repo.py) made from the tree, not from os.scandir."""
    entry = Entry.__new__(Entry)
    entry.name, entry.is_link, entry.is_dir, entry.is_file = name, is_link, is_dir, is_file
    return entry


class _TreeGlob:
    """repo._GlobWalk's matches, over a commit's tree: `**` descends into no symlink; other
    segments follow a symlink to a folder inside the root; a match leading outside is left out."""

    def __init__(self, repo: GitTreeRepo, segments: list, dirs_only: bool):
        self.repo, self.tree, self.segments, self.dirs_only = repo, repo.tree, segments, dirs_only
        self.matchers = [segment_matcher(s) if _is_magic(s) else None for s in segments]

    def _kind(self, rel: str):
        """What the path leads to (links followed), None when missing or outside."""
        try:
            return self.tree.kind(self.repo.real(rel))
        except ArtifactError:
            return None

    def matches(self):
        for rel in self._walk("", 0):
            kind = self._kind(rel)
            if kind is None or (self.dirs_only and kind != _DIR):
                continue
            yield rel

    def _names(self, rel: str) -> dict:
        """The entries (name -> kind as written) of the folder the path leads to."""
        try:
            real = self.repo.real(rel or ".")
        except ArtifactError:
            return {}
        return self.tree.folder(real) or {}

    def _walk(self, rel: str, i: int):
        segment, last = self.segments[i], i == len(self.segments) - 1
        if segment == "**":
            for sub_rel in [rel] + list(self._folders_below(rel)):
                if last:
                    if sub_rel:
                        yield sub_rel
                else:
                    yield from self._walk(sub_rel, i + 1)
            return
        match = self.matchers[i]
        entries = self._names(rel)
        if match is None:
            names = [segment] if segment in entries else []
        else:
            names = [name for name in entries if match(name)]
        for name in names:
            child = f"{rel}/{name}" if rel else name
            kind = self._kind(child)
            if last:
                if kind is not None:
                    yield child
            elif kind == _DIR:
                yield from self._walk(child, i + 1)

    def _folders_below(self, rel: str):
        for name, (kind, _) in self._names(rel).items():
            if kind == _DIR:  # as written: a link is never descended into by `**`
                child = f"{rel}/{name}" if rel else name
                yield child
                yield from self._folders_below(child)


def git_facts_at(sha: str):
    """A function of a repo giving the `git` record as of commit `sha`: the git loader's, with
    each `HEAD` it passes to git read as `sha` (the branch is still asked of HEAD: the branch
    checked out, whose line the history follows)."""
    def build(repo):
        from .loaders.git import _load

        return _load(repo, _runner_at()(repo.real_root, sha))

    return build


@cache
def _runner_at():
    """The git loader's runner, told a commit: every HEAD it would pass names that commit."""
    from .loaders.git import _Git

    class RunnerAt(_Git):
        def __init__(self, root, sha: str):
            super().__init__(root)
            self.sha = sha

        def run(self, *args: str, ok=(0,)) -> tuple:
            if args and args[0] != "symbolic-ref":
                args = tuple(_at(arg, self.sha) for arg in args)
            return super().run(*args, ok=ok)

    return RunnerAt


def _at(arg: str, sha: str) -> str:
    """A git argument with HEAD read as `sha` (`HEAD`, `HEAD^{commit}`, `base..HEAD`, `--merged=HEAD`)."""
    if arg == "HEAD" or arg.startswith("HEAD^"):
        return sha + arg[4:]
    if arg.endswith("..HEAD"):
        return arg[:-4] + sha
    if arg == "--merged=HEAD":
        return "--merged=" + sha
    return arg


def tracking_tree_repo(root, tree: CommitTree, git_facts=None):
    """A GitTreeRepo that records what each evaluation reads (recording.TrackingRepo's frames
    and `inputs`), so history.py can tell which subjects' verdicts carry over to the next commit."""
    repo = _tracking_tree_repo_class()(root, None)
    repo.tree, repo._git_facts = tree, git_facts
    return repo


@cache
def _tracking_tree_repo_class():
    from .recording import TrackingRepo

    class TrackingTreeRepo(TrackingRepo, GitTreeRepo):
        def _read_file(self, full, norm: str) -> bytes:
            self.frames[-1].add(("read", norm))  # TrackingRepo's would stat the work tree
            return GitTreeRepo._read_file(self, full, norm)

    return TrackingTreeRepo


def answer(repo: GitTreeRepo, what):
    """What the commit's tree answers to a recorded observation (recording.py's kinds), as data
    to compare with another commit's answer; None for one no tree can answer (not carried over)."""
    kind = what[0]
    if kind in ("path", "read"):
        try:
            real = repo.real(repo.normalize(what[1]))
        except ArtifactError as exc:
            return ("outside", exc.message)
        return (real, repo.tree.entry(real))
    if kind == "glob":
        return tuple(sorted(set(_TreeGlob(repo, list(what[1]), what[2]).matches())))
    if kind == "list":
        try:
            entries = GitTreeRepo._entries(repo, what[1])
        except OSError as exc:
            return type(exc).__name__
        return tuple(sorted((e.name, e.is_link, e.is_dir, e.is_file) for e in entries.values()))
    if kind == "git":
        return ("git", repo.tree.sha)  # git's facts are the commit's own
    if kind == "today":  # every commit is judged as of today
        from .functions.dates import current_date

        return ("today", str(current_date()))
    return None
