"""A change's `.openspec.yaml` as OpenSpec reads it (utils/change-metadata.js,
core/change-metadata/schema.js): its data, the markers OpenSpec honors, and the schema the
change resolves to.
"""
from __future__ import annotations

import re

from ...errors import ArtifactError
from ...patterns import lazy
from ...values import new_loc, new_lstr
from .discovery import join, stat_kind
from .jstext import rx_for
from .schemas import Project, SchemaError
from .yamlread import YamlError, read_yaml

_KEBAB = lazy(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_DATE = lazy(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _metadata_issue(data):
    """The first issue of ChangeMetadataSchema.safeParse, as (path, message), or None."""
    if not isinstance(data, dict):
        return "", f"Invalid input: expected object, received {_kind(data)}"
    schema = data.get("schema")
    if not isinstance(schema, str):
        return "schema", f"Invalid input: expected string, received {'undefined' if 'schema' not in data else _kind(schema)}"
    if not schema:
        return "schema", "schema is required"
    checks = (("created", lambda v: isinstance(v, str), "string"),
              ("goal", lambda v: isinstance(v, str), "string"))
    for key, ok, expected in checks:
        if key in data and not ok(data[key]):
            return key, f"Invalid input: expected {expected}, received {_kind(data[key])}"
    if "created" in data and not _DATE.match(data["created"]):
        return "created", "created must be YYYY-MM-DD format"
    if "goal" in data and not data["goal"]:
        return "goal", "Too small: expected string to have >=1 characters"
    if "affected_areas" in data:
        areas = data["affected_areas"]
        if not isinstance(areas, list):
            return "affected_areas", f"Invalid input: expected array, received {_kind(areas)}"
        for k, area in enumerate(areas):
            if not isinstance(area, str) or not area:
                return f"affected_areas.{k}", "Invalid input: expected a non-empty string"
    if "initiative" in data:
        initiative = data["initiative"]
        if not isinstance(initiative, dict):
            return "initiative", f"Invalid input: expected object, received {_kind(initiative)}"
        for key in ("store", "id"):
            value = initiative.get(key)
            if not isinstance(value, str) or not _KEBAB.match(value):
                return f"initiative.{key}", "must be kebab-case with lowercase letters, numbers, and single hyphen separators"
        extra = [k for k in initiative if k not in ("store", "id")]
        if extra:
            return "initiative", f'Unrecognized key: "{extra[0]}"'
    for key in ("skip_specs", "retire_capabilities"):
        if key in data and not isinstance(data[key], bool):
            return key, f"Invalid input: expected boolean, received {_kind(data[key])}"
    return None


class Metadata:
    """`.openspec.yaml` of one change: the data, the markers OpenSpec honors, and problems."""

    def __init__(self, repo, project: Project, change: str):
        self.path = join(change, ".openspec.yaml")
        self.data = None
        self.markers = []
        self.problem = None  # why a set skip_specs is not honored (LStr)
        self.valid = True  # readChangeMetadata would not throw
        self.schema = None  # its schema name when valid
        kind = stat_kind(repo, self.path)
        if kind is None:
            return
        if kind == "dir":
            self.valid = False
            self.problem = new_lstr("the metadata file cannot be read (it is a folder)", new_loc(self.path, None))
            return
        try:
            raw = repo.read_text(self.path)
        except ArtifactError as exc:
            self.valid = False
            self.problem = new_lstr(f"the metadata file cannot be read ({exc.message})", new_loc(self.path, None))
            return
        key_line = _marker_line(raw, "skip_specs")
        try:
            data = read_yaml(raw, self.path)
        except YamlError:
            self.valid = False
            if key_line is not None:
                self.problem = new_lstr("the file is not valid YAML", new_loc(self.path, key_line))
            return
        self.data = data
        issue = _metadata_issue(data)
        if issue is not None:
            self.valid = False
            mentioned = isinstance(data, dict) and "skip_specs" in data and data["skip_specs"] is not False
            if mentioned:
                where, message = issue
                self.problem = new_lstr(f"{where}: {message}" if where else message, new_loc(self.path, key_line))
            return
        schema = str(data["schema"])
        if schema not in project.list_schemas():
            self.valid = False
        else:
            self.schema = schema
        for key in ("skip_specs", "retire_capabilities"):
            if data.get(key) is not True:
                continue
            line = _marker_line(raw, key)
            if schema not in project.list_schemas():
                reason = f"schema: unknown schema '{schema}'"
            else:
                try:
                    project.resolve(schema)
                    reason = None
                except SchemaError as exc:
                    reason = str(exc)
            if reason is None:
                self.markers.append(new_lstr(key, new_loc(self.path, line)))
            elif key == "skip_specs":
                self.problem = new_lstr(reason, new_loc(self.path, line))


def _marker_line(raw: str, key: str):
    """Line of the `key:` that readBooleanMarker's pattern finds (../utils/change-metadata.js:217)."""
    space = rx_for(raw).SPACES.pattern.rstrip("+")
    m = re.search(r"^" + space + r"*(['\"]?)" + key + r"\1" + space + "*:", raw, re.M)
    return raw.count("\n", 0, m.end() - 1) + 1 if m else None


def schema_for_change(repo, project: Project, change: str, metadata: Metadata | None = None) -> str:
    """resolveSchemaForChange (../utils/change-metadata.js:117): raises SchemaError when metadata is invalid."""
    metadata = metadata or change_metadata(repo, project, change)
    if not metadata.valid:
        raise SchemaError("invalid change metadata")
    if metadata.schema:
        return metadata.schema
    return project.config_schema() or "spec-driven"


def change_metadata(repo, project, change) -> Metadata:
    """The change's `.openspec.yaml`, read once per run."""
    return repo.memo(("openspec-metadata", change), lambda: Metadata(repo, project, change))
