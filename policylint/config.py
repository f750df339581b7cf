"""Configuration: `[tool.policylint]` in pyproject.toml, or `.policylint.yaml` (or `.yml`) at the root.

Validated against schemas/config.schema.json; a problem names the file, the key (and its
line) and what was expected, and stops the run (exit 2).
"""
from __future__ import annotations

import os
import re

from .diagnostics import Diagnostic, Span, did_you_mean
from .errors import PolicylintError
from .structs import field, struct

YAML_NAME = ".policylint.yaml"
YAML_NAMES = (YAML_NAME, ".policylint.yml")  # read alike, as pre-commit reads either
BASELINE_NAME = ".policylint-baseline.json"  # the baseline file when the configuration names none
SCHEMA = os.path.join(os.path.dirname(__file__), "schemas", "config.schema.json")
# Paths here are strings joined by os.path (a root given as a Path works as well): pathlib would
# bring urllib.parse and ipaddress into every run (~18M instructions of check FILE's start-up).


@struct
class Waiver:
    gate: str
    reason: str
    subject: str | None = None
    approved_by: str | None = None
    expires: datetime.date | None = None
    path: str = ""
    line: int | None = None
    used: bool = False  # it waived a failing gate in this run
    expired: bool = False
    refused: bool = False  # it named an unwaivable gate

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@struct
class Config:
    path: str | None = None  # as shown to users
    packs: list = field(default_factory=list)
    params: dict = field(default_factory=dict)
    severity: dict = field(default_factory=dict)
    select: list = field(default_factory=list)
    ignore: list = field(default_factory=list)
    fail_on: str | None = None
    budget: int | None = None  # evaluation steps per gate and subject (compile.DEFAULT_BUDGET)
    baseline: str | None = None
    waivers: list = field(default_factory=list)
    lines: dict = field(default_factory=dict)  # JSON pointer -> line
    digest: str = ""  # of the file as read, and its name: the results cache's key holds it (a waiver
    # or a severity decides which stage a subject earns, a waiver's place what a verdict says)

    def line_of(self, pointer: str) -> int | None:
        while pointer:
            if pointer in self.lines:
                return self.lines[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return None


def load_config(root, explicit: str | None = None) -> Config:
    """The configuration that applies to `root` (an empty one when there is none).

    Nothing outside the root, configuration included: a configuration file found at the
    root must lie inside it (a symlink out is refused unread), and every path a
    configuration names (`packs`, `baseline`) stays inside the root, whichever file it
    came from. `--config FILE` may name a file anywhere (the user typed it), but one in a
    folder of the repository is repository content and must resolve inside the root too."""
    config = _find_config(root, explicit)
    _refuse_paths_outside(config, root)
    return config


def find_root(start):
    """The repository a run from `start` checks: the nearest folder, `start` or above, that holds
    `.policylint.yaml`/`.yml`, a pyproject.toml with `[tool.policylint]`, or a `.git` entry (the
    git top level, found without running git); `start` itself when none does. As ruff finds its
    configuration: run from any subfolder, the answer is the same. An absolute path, of the
    kind `start` is (a str for a str, a Path for a Path, as os.path answers)."""
    top = os.path.abspath(start)
    found = top
    folder = top
    while True:
        if any(os.path.lexists(os.path.join(folder, name)) for name in YAML_NAMES + (".git",)) \
                or _has_tool_section(os.path.join(folder, "pyproject.toml")):
            found = folder
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return found if isinstance(start, str) else type(start)(found)


def _has_tool_section(pyproject: str) -> bool:
    """A regular pyproject.toml (no symlink followed) that has a `[tool.policylint]` table."""
    import stat

    try:
        if not stat.S_ISREG(os.lstat(pyproject).st_mode):
            return False
        from .repo import read_regular

        return "[tool.policylint" in read_regular(pyproject).decode("utf-8", errors="replace")
    except OSError:
        return False


def _find_config(root, explicit: str | None) -> Config:
    from .fsutil import inside

    if explicit:
        path = explicit
        if inside(os.path.dirname(os.path.abspath(explicit)), root):
            _refuse_unless_inside(path, root)
        if not os.path.isfile(path):
            raise PolicylintError(Diagnostic("PL300", f"config file `{explicit}` not found"))
        return _load_quotable(path, os.path.basename(path) != "pyproject.toml")
    yaml_paths, pyproject = [os.path.join(root, name) for name in YAML_NAMES], os.path.join(root, "pyproject.toml")
    for found in (*yaml_paths, pyproject):
        _refuse_unless_inside(found, root)
    # Present is enough: a FIFO or a folder named like the configuration is refused when read
    # (PL300), never skipped as if there were no configuration.
    present = [path for path in yaml_paths if os.path.lexists(path)]
    if os.path.lexists(pyproject) and "[tool.policylint" in _read_text(pyproject):
        present.append(pyproject)
    if len(present) > 1:
        shown = [f"`{_show(path)}`" + (" [tool.policylint]" if path is pyproject else "") for path in present]
        raise PolicylintError(Diagnostic("PL300", f"configuration in {'both ' if len(shown) == 2 else ''}{' and '.join(shown)}", None,
                                         "keep one of them"))
    if present:
        return _load_quotable(present[0], present[0] is not pyproject)
    return Config()


def _load_quotable(path: str, is_yaml: bool) -> Config:
    """`_load`, the file confined first: its diagnostics may quote it."""
    from .diagnostics import QUOTABLE

    QUOTABLE.add(_show(path))
    return _load(path, is_yaml)


def _refuse_unless_inside(path: str, root) -> None:
    """A configuration file that leads out of the root (a symlink) is refused, never opened."""
    from .fsutil import inside

    if os.path.lexists(path) and not inside(path, root):
        raise PolicylintError(Diagnostic(
            "PL310", f"configuration file `{_show(path)}` leads outside the repository root (a symlink); it was not read",
            None, "configuration in a repository must be a file inside it"))


def _refuse_paths_outside(config: Config, root) -> None:
    """`packs` paths and `baseline` resolve inside the root (symlinks followed), or the run stops."""
    from .fsutil import inside
    from .packs import looks_like_path

    problems = []
    for i, spec in enumerate(config.packs):
        path = str(spec).partition("==")[0].strip()
        if looks_like_path(path) and not _pack_inside(path, root):
            problems.append(_outside(config, f"/packs/{i}", f"`packs` entry `{spec}`",
                                     "name a built-in or installed pack, or a pack inside the repository; "
                                     "a pack elsewhere is given with --pack on the command line"))
    if config.baseline and not inside(os.path.join(root, config.baseline), root):
        problems.append(_outside(config, "/baseline", f"`baseline` `{config.baseline}`",
                                 "name a file inside the repository; --baseline FILE on the command line "
                                 "may name any file"))
    if problems:
        raise PolicylintError(problems)


def _pack_inside(spec: str, root) -> bool:
    """The pack path, and the pack file it stands for (a folder's `<name>.policy`), lie inside."""
    from .fsutil import inside
    from .packs import resolve_file

    if not inside(os.path.join(root, spec), root):
        return False
    try:
        return inside(resolve_file(spec, root), root)
    except PolicylintError:  # no pack there: loading it says so
        return True


def _outside(config: Config, pointer: str, what: str, help_text: str) -> Diagnostic:
    return Diagnostic("PL310", f"{what} is outside the repository root",
                      Span(config.path, config.line_of(pointer) or 1, 1), help_text)


def _show(path: str) -> str:
    from .packs import display

    return display(path)


def _read_text(path: str) -> str:
    """A configuration file's text: a regular file within the size limit, else PL300."""
    from .repo import read_regular

    try:
        return read_regular(os.path.realpath(path)).decode("utf-8", errors="replace")  # confined already
    except OSError as exc:
        raise PolicylintError(Diagnostic("PL300", f"cannot read `{_show(path)}`: {exc.strerror}")) from None


def _load(path: str, is_yaml: bool) -> Config:
    shown = _show(path)
    text = _read_text(path)
    if is_yaml:
        data, lines = _read_yaml(text, shown)
    else:
        data, lines = _read_pyproject(text, shown)
    data = _plain_dates(data if data is not None else {})
    from .cache import hasher

    digest = hasher(f"{shown}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    config = Config(path=shown, lines=lines, digest=digest)
    _validate(data, config)
    config.packs = list(data.get("packs", []))
    config.params = dict(data.get("params", {}))
    config.severity = dict(data.get("severity", {}))
    config.select = list(data.get("select", []))
    config.ignore = list(data.get("ignore", []))
    config.fail_on = data.get("fail_on")
    config.budget = data.get("budget")
    config.baseline = data.get("baseline")
    for i, item in enumerate(data.get("waivers", [])):
        expires = _date(item["expires"]) if item.get("expires") else None
        config.waivers.append(Waiver(item["gate"], item["reason"], item.get("subject"), item.get("approved_by"),
                                     expires, shown, config.line_of(f"/waivers/{i}")))
    return config


def _error(config: Config, pointer: str, message: str, help_text: str | None = None) -> PolicylintError:
    line = config.line_of(pointer) or 1
    return PolicylintError(Diagnostic("PL300", message, Span(config.path, line, 1), help_text))


def _validate(data, config: Config) -> None:
    import json  # only when there is a configuration to validate

    import jsonschema

    if not isinstance(data, dict):
        raise _error(config, "", "the configuration must be a mapping of keys to values")
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        diagnostics = []
        for err in errors:
            diagnostics.extend(_explain(err, config).diagnostics)
        raise PolicylintError(diagnostics)
    for i, item in enumerate(data.get("waivers", [])):
        if item.get("expires"):
            try:
                _date(item["expires"])
            except ValueError:
                raise _error(config, f"/waivers/{i}/expires", f"`waivers[{i}].expires`: `{item['expires']}` is not a date",
                             "write it as YYYY-MM-DD") from None


def _explain(err, config: Config) -> PolicylintError:
    path = list(err.absolute_path)
    pointer = "/" + "/".join(str(p) for p in path) if path else ""
    key = _key_name(path)
    where = f"`{key}`: " if key else ""
    kind = err.validator
    if kind == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        inner = pointer + "/" + name
        return _error(config, inner, f"unknown key `{_key_name(path + [name])}`",
                      did_you_mean(name, err.schema.get("properties", {}), "known keys"))
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        return _error(config, pointer, f"{where}missing `{missing[0] if missing else '?'}`",
                      "a waiver needs `gate` and `reason`" if "waivers" in pointer else None)
    if kind == "enum":
        return _error(config, pointer, f"{where}`{err.instance}` is not one of {', '.join(map(str, err.validator_value))}")
    if kind == "type":
        expected = {"array": "a list", "object": "a mapping", "string": "a string"}.get(err.validator_value, err.validator_value)
        return _error(config, pointer, f"{where}expected {expected}, found {_kind(err.instance)}")
    if kind == "pattern":
        return _error(config, pointer, f"{where}`{err.instance}` is not a date", "write it as YYYY-MM-DD")
    if kind == "minLength":
        return _error(config, pointer, f"{where}must not be empty")
    return _error(config, pointer, f"{where}{err.message}")


def _key_name(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a mapping", type(None): "nothing"}.get(type(value), type(value).__name__)


def _date(text: str):
    """A waiver's expiry as a date (datetime is imported only by a configuration that has one)."""
    import datetime

    return datetime.date.fromisoformat(text)


def _plain_dates(value):
    from .ops import is_date

    if is_date(value):
        return value.isoformat()[:10]
    if isinstance(value, dict):
        return {k: _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    return value


# -- reading, with the line of every key ---------------------------------------------------
def _read_yaml(text: str, shown: str):
    """The data and the line of every key, read by the one YAML reader (loaders.data: its
    limits, an alias bomb included, and its messages)."""
    from .loaders.data import parse_yaml

    return _plain_with_lines(_read(parse_yaml, text, shown, required=False))


def _read_pyproject(text: str, shown: str):
    """`[tool.policylint]` and the line of every key in it, read by the one TOML reader
    (loaders.data: located by a scan without backtracking regexes, nesting limited)."""
    from .loaders.data import parse_toml

    tool = _read(parse_toml, text, shown).get("tool")
    return _plain_with_lines(tool.get("policylint", {}) if isinstance(tool, dict) else {})


def _read(parse, text: str, shown: str, **options):
    from .errors import ArtifactError

    try:
        return parse(text, shown, **options)
    except ArtifactError as exc:
        raise PolicylintError(Diagnostic("PL300", exc.message, Span(shown, exc.line or 1,
                                                                    getattr(exc, "column", None) or 1))) from None


def _plain_with_lines(value, pointer: str = "", lines: dict | None = None):
    """(plain data, JSON pointer -> line) from located data: the line of a key, a list item,
    or where a mapping or list starts. The readers' depth limit bounds the recursion."""
    lines = {} if lines is None else lines
    loc = getattr(value, "loc", None)
    if loc is not None and loc.line:
        lines.setdefault(pointer, loc.line)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            child = f"{pointer}/{key}"
            key_loc = value.loc_of(key) if hasattr(value, "loc_of") else None
            if key_loc is not None and key_loc.line:
                lines[child] = key_loc.line
            out[key] = _plain_with_lines(item, child, lines)[0]
        return out, lines
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            child = f"{pointer}/{index}"
            item_loc = value.loc_of(index) if hasattr(value, "loc_of") else None
            if item_loc is not None and item_loc.line:
                lines.setdefault(child, item_loc.line)
            out.append(_plain_with_lines(item, child, lines)[0])
        return out, lines
    return (str(value) if isinstance(value, str) else value), lines
