"""Workflow schemas as OpenSpec resolves them (`dist/core/artifact-graph/`: resolver.js,
types.js, schema.js): the project's and the built-in `spec-driven`.
"""
from __future__ import annotations

from ...errors import ArtifactError
from ...patterns import lazy
from .discovery import join, stat_kind
from .yamlread import YamlError, read_yaml

BUILTIN = "builtin:spec-driven"
# schemas/spec-driven/schema.yaml of the package: the artifacts and what apply tracks.
_SPEC_DRIVEN = {"artifacts": [{"id": "proposal", "generates": "proposal.md"},
                              {"id": "specs", "generates": "specs/**/*.md"},
                              {"id": "design", "generates": "design.md"},
                              {"id": "tasks", "generates": "tasks.md"}],
                "apply": {"tracks": "tasks.md"}}
_TRANSIENT = lazy(r"\.fork-staging-|.*\.fork-backup-|\.init-staging-|.*\.init-backup-")
_DRIVE = lazy(r"[A-Za-z]:")  # a Windows drive, which no schema name or relative path starts with
_SEPARATORS = lazy(r"[\\/]+")
_YAML_SUFFIX = lazy(r"\.ya?ml\Z")


def without_yaml_suffix(name: str) -> str:
    """A schema's name as OpenSpec reads it: `.yaml` or `.yml` at the end left out."""
    return _YAML_SUFFIX.sub("", name)


class SchemaError(Exception):
    pass


class Project:
    """What OpenSpec resolves once per project: its schemas and its config's schema name."""

    def __init__(self, repo, openspec_dir: str):
        self.repo = repo
        self.dir = openspec_dir
        self.schemas_dir = join(openspec_dir, "schemas")
        self._listed = None
        self._resolved: dict = {}
        self._config = False

    def list_schemas(self) -> set:
        if self._listed is None:
            names = {"spec-driven"}
            try:
                for e in self.repo.listing(self.schemas_dir).values():
                    if _TRANSIENT.match(e.name):
                        continue
                    path = join(self.schemas_dir, e.name)
                    if (e.is_dir or (e.is_link and stat_kind(self.repo, path) == "dir")) and \
                            stat_kind(self.repo, join(path, "schema.yaml")) is not None:
                        names.add(e.name)
            except OSError:
                pass
            self._listed = names
        return self._listed

    def schema_dir(self, name: str):
        if not name or name in (".", "..") or "/" in name or "\\" in name or _DRIVE.match(name):
            return None
        local = join(self.schemas_dir, name)
        if stat_kind(self.repo, join(local, "schema.yaml")) is not None:
            return local
        return BUILTIN if name == "spec-driven" else None

    def resolve(self, name: str) -> dict:
        """resolveSchema: the schema's artifacts and apply block, or raises SchemaError."""
        name = without_yaml_suffix(name)
        if name not in self._resolved:
            self._resolved[name] = self._load(name)
        value = self._resolved[name]
        if isinstance(value, SchemaError):
            raise value
        return value

    def _load(self, name: str):
        where = self.schema_dir(name)
        if where is None:
            return SchemaError(f"Schema '{name}' not found")
        if where == BUILTIN:
            return _SPEC_DRIVEN
        try:
            data = read_yaml(self.repo.read_text(join(where, "schema.yaml")), join(where, "schema.yaml"))
        except (ArtifactError, YamlError) as exc:
            return SchemaError(f"Failed to parse schema '{name}': {exc}")
        problem = _schema_problem(data)
        return SchemaError(f"Invalid schema '{name}': {problem}") if problem else data

    def config_schema(self):
        """The `schema:` of openspec/config.yaml (or .yml), or None (readProjectConfig)."""
        if self._config is False:
            self._config = None
            for name in ("config.yaml", "config.yml"):
                path = join(self.dir, name)
                if stat_kind(self.repo, path) is None:
                    continue
                try:
                    text = self.repo.read_text(path)
                    if _names_only_spec_driven(text):
                        self._config = "spec-driven"
                        break
                    raw = read_yaml(text, path)
                except (ArtifactError, YamlError):
                    break
                if isinstance(raw, dict) and isinstance(raw.get("schema"), str) and raw["schema"]:
                    self._config = str(raw["schema"])
                break
        return self._config


_SCHEMA_SPEC_DRIVEN = lazy(r"schema:[ \t]+spec-driven(?:[ \t]+#[^\n]*)?[ \t]*(?:\n|\Z)")


def _names_only_spec_driven(text: str) -> bool:
    """Whether a config can name no schema but `spec-driven`: "schema" appears in it only as
    `schema: spec-driven` lines at the margin, and no escape could spell it otherwise. Valid
    YAML then names spec-driven or nothing, invalid YAML nothing, and no schema named means
    spec-driven (schema_for_change): the answer is the same without reading the YAML, which
    costs most of a small run (its reader's import)."""
    if "\\" in text:
        return False
    start = text.find("schema")
    while start >= 0:
        if (start and text[start - 1] != "\n") or not _SCHEMA_SPEC_DRIVEN.match(text, start):
            return False
        start = text.find("schema", start + 6)
    return True


def _relative_path_ok(value) -> bool:
    if not isinstance(value, str) or not value:
        return False
    segments = _SEPARATORS.split(value)
    return not (value.startswith(("/", "\\")) or _DRIVE.match(value) or ".." in segments or "\0" in value)


def _schema_problem(data) -> str | None:
    """SchemaYamlSchema and parseSchema's checks (artifact-graph/types.js, schema.js), or None."""
    if not isinstance(data, dict):
        return "not a mapping"
    if not isinstance(data.get("name"), str) or not data["name"]:
        return "name: Schema name is required"
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version <= 0:
        return "version: Version must be a positive integer"
    if "description" in data and not isinstance(data["description"], str):
        return "description: expected string"
    artifacts = data.get("artifacts")
    if not isinstance(artifacts, list) or not artifacts or len(artifacts) > 1000:
        return "artifacts: At least one artifact required"
    ids = []
    for k, a in enumerate(artifacts):
        if not isinstance(a, dict) or not isinstance(a.get("id"), str) or not a["id"]:
            return f"artifacts.{k}.id: Artifact ID is required"
        if not _relative_path_ok(a.get("generates")) or not _relative_path_ok(a.get("template")):
            return f"artifacts.{k}: generates and template must be relative paths"
        if not isinstance(a.get("description"), str):
            return f"artifacts.{k}.description: expected string"
        if "instruction" in a and not isinstance(a["instruction"], str):
            return f"artifacts.{k}.instruction: expected string"
        requires = a.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            return f"artifacts.{k}.requires: expected array of strings"
        ids.append(a["id"])
    if len(set(ids)) != len(ids):
        return "Duplicate artifact ID"
    for a in artifacts:
        if any(r not in ids for r in a.get("requires", [])):
            return f"Invalid dependency reference in artifact '{a['id']}'"
    apply = data.get("apply")
    if apply is not None:
        if not isinstance(apply, dict):
            return "apply: expected object"
        requires = apply.get("requires")
        if not isinstance(requires, list) or not requires or not all(isinstance(r, str) for r in requires):
            return "apply.requires: At least one required artifact"
        tracks = apply.get("tracks")
        if tracks is not None and not _relative_path_ok(tracks):
            return "apply.tracks must be a relative path"
        if "instruction" in apply and not isinstance(apply["instruction"], str):
            return "apply.instruction: expected string"
        if any(r not in ids for r in requires):
            return "Invalid apply.requires reference"
    graph = {a["id"]: a.get("requires", []) for a in artifacts}
    state: dict = {}

    def cyclic(node) -> bool:
        state[node] = 1
        for dep in graph.get(node, []):
            if state.get(dep) == 1 or (dep not in state and cyclic(dep)):
                return True
        state[node] = 2
        return False

    if any(node not in state and cyclic(node) for node in graph):
        return "Cyclic dependency"
    return None
