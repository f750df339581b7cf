"""The file system as OpenSpec walks it (utils/spec-discovery.js), through the repository's
folder listings (`Repo.listing`, each folder listed once per run).
"""
from __future__ import annotations

import posixpath

from ...errors import ArtifactError


def stat_kind(repo, relpath: str):
    """'file', 'dir', or None (missing, or outside the repository), following links.

    Read from the parent folder's listing: an entry that is no link is what it says, and
    only a link is resolved (and must stay inside the repository)."""
    parent, name = posixpath.split(relpath)
    if name in ("", ".", ".."):
        parent, name = None, None
    if name is not None:
        try:
            entry = repo.listing(parent or ".").get(name)
        except OSError:
            return None
        if entry is None:
            return None
        if not entry.is_link:
            return "file" if entry.is_file else "dir" if entry.is_dir else None
    try:  # asked of the repository, not the file system: a past commit's tree answers too (history.py)
        if repo.is_dir(relpath):
            return "dir"
        return "file" if repo.exists(relpath) else None
    except (ArtifactError, OSError):
        return None


def join(*parts) -> str:
    """The parts joined with `/`, empty ones and `.` left out (`.` when none is left)."""
    kept = [p for p in parts if p and p != "."]
    return "/".join(kept) if kept else "."


def any_file_under(repo, relpath: str) -> bool:
    """hasAnyFileUnder (../utils/spec-discovery.js:150): raises OSError other than a missing folder."""
    try:
        entries = repo.listing(relpath).values()
    except FileNotFoundError:
        return False
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_file or e.is_link:
            return True
        if e.is_dir and any_file_under(repo, join(relpath, e.name)):
            return True
    return False


def discover_specs(repo, root: str) -> list:
    """discoverSpecFiles (../utils/spec-discovery.js:31): (capability id, spec.md path), by id."""
    found = []

    def walk(rel, segments):
        try:
            entries = repo.listing(rel).values()
        except FileNotFoundError:
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            if e.is_dir:
                walk(join(rel, e.name), segments + [e.name])
            elif e.name == "spec.md" and segments:
                if e.is_file or (e.is_link and stat_kind(repo, join(rel, e.name)) == "file"):
                    found.append(("/".join(segments), join(rel, e.name)))

    walk(root, [])
    return sorted(found)


def find_notes(repo, root: str) -> list:
    """Candidates of findUnreadDeltaFiles (../utils/spec-discovery.js:90): .md files other than spec.md."""
    found = []

    def walk(rel):
        try:
            entries = repo.listing(rel).values()
        except (FileNotFoundError, NotADirectoryError):
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            path = join(rel, e.name)
            if e.is_dir:
                walk(path)
                continue
            if not (e.is_file or e.is_link) or e.name == "spec.md" or not e.name.lower().endswith(".md"):
                continue
            if e.is_link and stat_kind(repo, path) != "file":
                continue
            found.append(path)

    walk(root)
    return sorted(found)
