"""pack_schema_errors(value, pack, schema): validate data against a JSON Schema that a pack ships.

`schema_errors(value, schema)` reads its schema from the repository being checked. A pack
that defines the format of the files it reads (a test-results report, an audit log) ships
the schema in its own folder instead, beside its `.policy` file, where a repository path
cannot reach: `pack_schema_errors` reads it from there.

- `pack` names a built-in or installed pack (`"changeflow"`), never a path: a policy can
  read schemas only from packs installed with policylint, never from anywhere on disk.
- `schema` is a path inside that pack's folder (`"schemas/test-results.schema.json"`); it
  may not leave the folder (`..`, an absolute path, a symlink out).

It returns what `schema_errors` returns, with the same rules (see `schema_errors` above):
one `SchemaError` per problem, located at the offending line of the data file, an empty
list when the value is valid; `$ref`s may point at other schema files in the same pack
folder. A schema that is missing, unreadable or not a valid JSON Schema is the pack's bug,
not the repository's: the gate is an `error` that names the file as `<pack>:<path>`, for
example `changeflow:schemas/test-results.schema.json`, and says what is wrong with it (not
found in the pack's folder, not JSON, not a valid schema, a `$ref` it cannot resolve).

    let results = json("tests/results/CH-001.json")
    require every e in pack_schema_errors(results, "changeflow", "schemas/test-results.schema.json"): false
      else "{e.path}: {e.message}"
"""
from __future__ import annotations

import posixpath

from ..errors import ArtifactError
from ..signature import loader
from ..types import ANY, STR, List
from .data import SCHEMA_ERROR


def pack_folder(pack: str):
    """The folder of the built-in or installed pack `pack`; an ArtifactError when there is none."""
    from pathlib import Path

    from ..packs import builtin_packs, installed_packs, looks_like_path

    name = str(pack)
    if not name or looks_like_path(name):
        raise ArtifactError(name, "`pack` must name a built-in or installed pack (such as `changeflow`), not a path")
    found = builtin_packs().get(name)
    if found is None:
        found = installed_packs().get(name)
    if found is None:
        known = sorted(set(builtin_packs()) | set(installed_packs()))
        raise ArtifactError(name, f"unknown pack `{name}`; known packs: {', '.join(known)}")
    return Path(found).parent


def _shown(pack: str, norm: str) -> str:
    return f"{pack}:{norm}"


def _inside(pack: str, schema: str) -> str:
    """`schema` as a path inside the pack's folder; an ArtifactError when it would leave it."""
    rel = str(schema).replace("\\", "/")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise ArtifactError(_shown(pack, rel), f"absolute paths are not allowed; use a path inside the folder of "
                                               f"pack `{pack}`")
    norm = posixpath.normpath(rel) if rel else "."
    if norm in (".", "..") or norm.startswith("../"):
        raise ArtifactError(_shown(pack, rel), f"the path leaves the folder of pack `{pack}`")
    return norm


@loader("pack_schema_errors", {"value": ANY, "pack": STR, "schema": STR}, List(SCHEMA_ERROR),
        "Where `value` breaks the JSON Schema file `schema` shipped in the folder of pack `pack`.")
def pack_schema_errors(repo, value, pack, schema):
    from ..errors import ArtifactMissing
    from ..repo import Repo
    from .data import _validator, validate

    pack = str(pack)
    norm = _inside(pack, schema)
    shown = _shown(pack, norm)

    def compute():
        folder = pack_folder(pack)
        try:
            return _validator(Repo(folder), norm)
        except ArtifactMissing:
            raise ArtifactError(shown, f"file not found in the folder of pack `{pack}`") from None
        except ArtifactError as exc:
            message = exc.message.replace("the repository root", f"the folder of pack `{pack}`")
            raise ArtifactError(shown, message, exc.line) from None

    validator = repo.memo(("pack_schema", pack, norm), compute)
    try:
        return validate(value, validator, shown)
    except ArtifactError as exc:  # a `$ref` the pack's schema cannot resolve
        raise ArtifactError(exc.path, exc.message.replace("in the repository", f"in the folder of pack `{pack}`"),
                            exc.line) from None
