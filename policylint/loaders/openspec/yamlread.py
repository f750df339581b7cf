"""YAML as OpenSpec reads it (the `yaml` package: YAML 1.2 core schema, unique keys)."""
from __future__ import annotations

from ...errors import ArtifactError
from ...patterns import lazy
from ...values import new_loc, new_lstr


class YamlError(Exception):
    pass


_PLAIN_KEY = lazy(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+([A-Za-z0-9_][A-Za-z0-9_./+-]*))?[ \t]*"
                     r"(?:[ \t]#.*)?\Z")


def read_yaml(text: str, path: str):
    """The YAML document as Python data (strings located), read as YAML 1.2's core schema;
    raises YamlError where the `yaml` package would throw. Files of `key: word` lines are
    read here without PyYAML; anything else by the one YAML reader (data.parse_yaml), with
    its limits."""
    from ..yamlcore import core_scalar

    data = {}
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        m = _PLAIN_KEY.match(line)
        if m is None or m.group(1) in data:
            return _read_yaml_full(text, path)
        value = core_scalar(m.group(2) or "")
        data[m.group(1)] = new_lstr(value, new_loc(path, number)) if isinstance(value, str) else value
    return data or None


def _read_yaml_full(text: str, path: str):
    from ..data import DuplicateKeyError, parse_yaml

    try:
        return parse_yaml(text, path, core=True, required=False)
    except DuplicateKeyError as exc:
        raise YamlError(f"Map keys must be unique: {exc.message}") from None  # the `yaml` package's words
    except ArtifactError as exc:
        raise YamlError(exc.message) from None
