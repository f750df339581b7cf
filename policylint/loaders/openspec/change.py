"""`openspec_change(path)`: an OpenSpec change folder as `openspec validate` reads it: its
delta specs, notes, metadata, nested changes (utils/nested-change.js) and task files
(validation/validator.js collectTaskFileIssues).
"""
from __future__ import annotations

import posixpath

from ...errors import ArtifactError, ArtifactMissing
from ...fastpath import gc_paused
from ...signature import loader
from ...types import STR
from ...values import Lazy, Loc, PathValue, Record, new_loc, new_lstr, new_record
from .discovery import any_file_under, discover_specs, find_notes, join, stat_kind
from .document import document, load_openspec
from .metadata import Metadata, change_metadata, schema_for_change
from .records import CHANGE
from .schemas import BUILTIN, Project, SchemaError, without_yaml_suffix


@loader("openspec_change", args={"path": STR}, returns=CHANGE,
        doc="An OpenSpec change folder: its delta specs, metadata markers and task files.")
def load_openspec_change(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("openspec_change", relpath), lambda: _change(repo, relpath))


_CHANGE_ROOT_FILES = (".openspec.yaml", "proposal.md", "tasks.md", "design.md")


def _project_for(repo, change: str) -> Project:
    """The OpenSpec folder a change belongs to: `openspec/` for `openspec/changes/<id>` and for
    an archived `openspec/changes/archive/<id>` (../commands/validate.js:546 passes the root for those)."""
    changes = posixpath.dirname(change)
    if posixpath.basename(changes) == "archive" and posixpath.basename(posixpath.dirname(changes)) == "changes":
        changes = posixpath.dirname(changes)
    openspec_dir = posixpath.dirname(changes) or "."
    return repo.memo(("openspec-project", openspec_dir), lambda: Project(repo, openspec_dir))


def _outputs(repo, change: str, generates: str) -> list:
    """resolveArtifactOutputs (artifact-graph/outputs.js:92): the files an artifact's path or glob names."""
    pattern = generates.replace("\\", "/")
    if any(ch in pattern for ch in "*?["):
        try:
            matches = repo.glob(join(change, pattern))
        except ArtifactError:
            return []
        prefix = len(change) + 1 if change != "." else 0
        return sorted(p for p in matches if stat_kind(repo, p) == "file"
                      and not any(part.startswith(".") for part in p[prefix:].split("/")))
    path = posixpath.normpath(join(change, pattern))
    return [path] if stat_kind(repo, path) == "file" else []


def _looks_like_change(repo, project, rel: str) -> bool:
    """looksLikeChange (../utils/nested-change.js:62)."""
    if any(stat_kind(repo, join(rel, name)) == "file" for name in _CHANGE_ROOT_FILES):
        return True
    try:
        if any_file_under(repo, join(rel, "specs")):
            return True
    except OSError:
        pass
    try:
        schema = project.resolve(schema_for_change(repo, project, rel, Metadata(repo, project, rel)))
    except SchemaError:
        return False
    return any(_outputs(repo, rel, a["generates"]) for a in schema["artifacts"])


def _nested(repo, project, change: str, name: str) -> list:
    """findNestedChangesIn (../utils/nested-change.js:136)."""
    if name == "archive" or name.startswith("."):
        return []
    if _looks_like_change(repo, project, change):
        return []
    try:
        entries = repo.listing(change).values()
    except OSError:
        entries = []
    if any(not e.name.startswith(".") and not e.is_dir for e in entries):
        return []
    found = []

    def collect(rel, prefix, depth):
        if depth > 3:
            return
        try:
            children = [e.name for e in repo.listing(rel).values() if e.is_dir and not e.name.startswith(".")]
        except OSError:
            return
        for child in children:
            path, ident = join(rel, child), f"{prefix}/{child}"
            if _looks_like_change(repo, project, path):
                found.append(ident)
                continue
            collect(path, ident, depth + 1)

    collect(change, name, 1)
    return sorted(found)


def _change(repo, change: str) -> Record:
    with gc_paused():  # many objects, no cycles
        kind = stat_kind(repo, change)
        if kind is None:
            raise ArtifactMissing(change, "change folder not found")
        if kind != "dir":
            raise ArtifactError(change, "is a file, expected a change folder")
        name = posixpath.basename(change)
        project = _project_for(repo, change)
        specs = join(change, "specs")
        fields = {"path": PathValue(change, Loc(change)), "name": new_lstr(name, new_loc(change, None))}

        def lazy(fn):
            return Lazy(fn)

        def deltas():
            try:
                found = discover_specs(repo, specs)
            except NotADirectoryError:
                found = []
            except OSError as exc:
                raise ArtifactError(specs, f"cannot read: {exc.strerror or exc}") from None
            return [load_openspec(repo, path) for _, path in found]

        def root_spec():
            path = join(specs, "spec.md")
            return PathValue(path, Loc(path)) if stat_kind(repo, path) == "file" else None

        def notes():
            try:
                return [PathValue(p, Loc(p)) for p in find_notes(repo, specs)]
            except OSError as exc:
                raise ArtifactError(specs, f"cannot read: {exc.strerror or exc}") from None

        def specs_has_files():
            try:
                return any_file_under(repo, specs)
            except OSError:
                return True  # validation/validator.js:433-435: an unreadable specs/ fails closed

        def tasks_state():
            return repo.memo(("openspec-tasks", change), lambda: _tasks_state(repo, project, change))

        fields.update({
            "nested": lazy(lambda: [new_lstr(n, new_loc(change, None)) for n in _nested(repo, project, change, name)]),
            "deltas": lazy(deltas),
            "root_spec": lazy(root_spec),
            "notes": lazy(notes),
            "metadata": lazy(lambda: change_metadata(repo, project, change).data),
            "markers": lazy(lambda: list(change_metadata(repo, project, change).markers)),
            "metadata_problem": lazy(lambda: change_metadata(repo, project, change).problem),
            "specs_has_files": lazy(specs_has_files),
            "schema": lazy(lambda: tasks_state()["schema"]),
            "task_files": lazy(lambda: tasks_state()["task_files"]),
            "tasks_tracked": lazy(lambda: tasks_state()["tasks_tracked"]),
            "task_numbering": lazy(lambda: tasks_state()["task_numbering"]),
            "tasks": lazy(lambda: tasks_state()["tasks"]),
            "numbered_tasks": lazy(lambda: tasks_state()["numbered_tasks"]),
        })
        return new_record("OpenSpecChange", new_loc(change, None), fields)


def _tasks_state(repo, project: Project, change: str) -> dict:
    """collectTaskFileIssues (validation/validator.js:470): which task files OpenSpec reads, and how."""
    with gc_paused():
        schema_name = None
        tracked = []
        try:
            schema_name = schema_for_change(repo, project, change)
            schema = project.resolve(schema_name)
            tracks = (schema.get("apply") or {}).get("tracks")
            if tracks is not None:
                artifact = next((a for a in schema["artifacts"] if a.get("generates") == tracks), None)
            else:
                artifact = next((a for a in schema["artifacts"] if a.get("id") == "tasks"), None)
            generates = artifact.get("generates") if artifact else None
            tracked = _outputs(repo, change, generates) if generates else []
        except SchemaError:
            tracked = []
        numbering = False
        try:
            name = without_yaml_suffix(schema_name if schema_name is not None else schema_for_change(repo, project, change))
            numbering = name == "spec-driven" and project.schema_dir("spec-driven") == BUILTIN
        except SchemaError:
            numbering = False
        files = tracked or [join(change, "tasks.md")]
        docs, unreadable = [], 0
        for path in files:
            kind = stat_kind(repo, path)
            if kind is None:
                continue
            try:
                docs.append(document(repo, path))
            except ArtifactError:
                unreadable += 1
        docs.sort(key=lambda d: d.path)
        try:
            loaded = project.resolve(schema_name) if schema_name else None
        except SchemaError:
            loaded = None
        tasks, numbered = [], []
        for doc in docs:
            tasks.extend(doc.record.get("tasks"))
            numbered.extend(doc.numbered_task_records())
        return {"schema": new_lstr(without_yaml_suffix(schema_name), new_loc(change, None)) if loaded is not None else None,
                "task_files": [d.record for d in docs], "tasks_tracked": bool(tracked) and unreadable == 0,
                "task_numbering": numbering, "tasks": tasks, "numbered_tasks": numbered}
