"""dependencies(path), new_dependencies(path): the third-party packages a manifest declares, and the ones a branch added.

```
gate new-packages "New dependencies are approved" {
  require every f in (git.changed_files where it.path matches /(^|\\/)package\\.json$/ and it.status != "D"),
                d in new_dependencies(f.path):
      d.name in yaml("approved-packages.yaml").names
    else "new dependency `{d.name}` ({d.section}) is not approved"
}
```

- `dependencies(path)`: every dependency the manifest declares, in file order, each located
  at its line.
- `new_dependencies(path)`: the dependencies of the manifest as it is now (the working tree)
  whose name the same manifest did not have at the merge-base with `--base` (read with
  `git show <merge-base>:<path>`; for a file the branch renamed or copied, the file it came
  from, as `git.changed_files` names it). A manifest the merge-base does not have adds all
  its dependencies. Names are compared by `key` (below) across all sections of the manifest,
  so moving a package from `devDependencies` to `dependencies`, or changing its version, adds
  nothing; a package both added and declared twice is listed at each of its lines. Needs
  `--base`, as `git.changed_files` does.

The format is told by the file's name:

| file | ecosystem | what is read (`section`) |
| --- | --- | --- |
| `package.json` | npm | `dependencies`, `devDependencies`, `peerDependencies`, `optionalDependencies` (name → version range) |
| `pyproject.toml` | pypi | PEP 621 `project.dependencies` and `project.optional-dependencies.<extra>`; PEP 735 `dependency-groups.<group>` (an `{include-group = …}` entry names no package); `build-system.requires`; Poetry `tool.poetry.dependencies`, `tool.poetry.dev-dependencies` and `tool.poetry.group.<group>.dependencies` (not `python`); uv's `tool.uv.dev-dependencies`; PDM's `tool.pdm.dev-dependencies.<group>` |
| any other `*.txt` or `*.in` (`requirements.txt`, `requirements-dev.txt`, `requirements/base.in`) | pypi | pip requirement lines (`requirements`): a PEP 508 requirement per line; comments, blank lines and option lines (`-r other.txt`, `-c`, `-e …`, `--index-url …`) are skipped, a trailing `\\` continues the line, trailing options (`--hash=…`) are dropped; a URL or path line names its project with `#egg=name`, else the URL or path itself is its `name` and `key` |
| `go.mod` | go | `require` lines and `require ( … )` blocks (`require`); `// indirect` sets `indirect` |
| `Cargo.toml` | cargo | `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` (and their `_` spellings), the same under `[target.'cfg(…)'.…]` (`target.cfg(…).dependencies`), and `[workspace.dependencies]` |

Fields of each `Dependency`:

- `name`: the package as written (`stripe`, `Django`, `github.com/stripe/stripe-go/v76`);
  for a Cargo dependency renamed with `package = "…"`, the crate it really is.
- `key`: the name as its registry compares names: PyPI's normalized form (PEP 503: lower
  case, runs of `-`, `_` and `.` as one `-`, so `Zope.Interface` is `zope-interface`), lower
  case for npm, lower case with `_` as `-` for crates, a Go module path as written.
- `spec`: the version requirement as written (`^14.2.0`, `>=4.2,<5; python_version<"3.12"`,
  `v1.9.1`), or for a package taken from elsewhere its source (`git https://…`,
  `path ../core`, a URL); empty when there is none.
- `section`: where it is declared, as in the table above (`devDependencies`,
  `project.optional-dependencies.test`, `tool.poetry.group.dev.dependencies`,
  `target.cfg(windows).dependencies`, `requirements`, `require`).
- `ecosystem`: `npm`, `pypi`, `go` or `cargo`.
- `indirect`: go.mod's `// indirect` mark (a module the build needs only through another);
  false in the other formats.
- `local`: the package comes from inside the repository rather than a registry: an npm
  range `file:`, `link:`, `portal:` or `workspace:`; a Poetry or Cargo `path = …`; a
  requirements line or PEP 508 URL that is a relative path (`./libs/x`, `file:../x`); a Go
  module that a `replace … => ../dir` directive points at a folder.
- `manifest`: the manifest's path; `line`: the dependency's line in it (the line of its key,
  of its string in a TOML array, or of its requirement line); `text`: the same as `name`.

In a multi-line TOML array each string is located at its own line (found after the array's
key; a string written with escapes is located at the key).

Errors (the gate is an error, at the file and line): a file whose name is none of the above;
JSON or TOML that does not parse (the `json` and `toml` loaders' messages); a package.json
that is not an object, a section that is not an object, a version that is not a string; a
pyproject.toml or Cargo.toml section of the wrong type; a string that is not a PEP 508
requirement; a requirements line that is not a requirement, an option, a path or a URL; a
go.mod `require` without a version, or a block never closed. For `new_dependencies`: no
`--base`, and every other error of `git.changed_files` (they are reported against `git`);
a manifest at the merge-base that does not parse (its path and line, the message saying
`at the merge-base <sha>`).
"""
from __future__ import annotations

import posixpath
import re

from ..errors import ArtifactError
from ..patterns import lazy
from ..signature import loader
from ..types import BOOL, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record

DEPENDENCY = record("Dependency", "A package a manifest depends on, located at its line.", {
    "name": (STR, "the package's name as written (a renamed crate: the crate it is)"),
    "key": (STR, "the name as the registry compares names (PEP 503 for PyPI, lower case for npm, …)"),
    "spec": (STR, "the version requirement (or source) as written, or empty"),
    "section": (STR, "where it is declared: `devDependencies`, `project.dependencies`, `require`, …"),
    "ecosystem": (STR, "npm, pypi, go or cargo"),
    "indirect": (BOOL, "go.mod: marked `// indirect`"),
    "local": (BOOL, "comes from a path inside the repository (file:, workspace:, path = …)"),
    "manifest": (PATH, "the manifest's path"),
    "line": (NUMBER, "its line in the manifest"),
    "text": (STR, "the same as name"),
})

NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
CARGO_SECTIONS = ("dependencies", "dev-dependencies", "dev_dependencies", "build-dependencies", "build_dependencies")
MANIFESTS = "package.json, pyproject.toml, requirements*.txt (or any *.txt or *.in), go.mod or Cargo.toml"
_NPM_LOCAL = ("file:", "link:", "portal:", "workspace:")
_PEP508_NAME = lazy(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(.*)$", re.S)
_PEP503 = lazy(r"[-_.]+")
_URL_OR_PATH = lazy(r"^(?:\.{1,2}[\\/]|\.$|/|~|[A-Za-z][A-Za-z0-9+.-]*://|file:)")
_EGG = lazy(r"#(?:.*&)?egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_TRAILING_OPTION = lazy(r"\s+--?[A-Za-z]")
_COMMENT = lazy(r"(?:^|\s)#.*$")
_GO_BLOCK = lazy(r"^\s*(require|replace|exclude|retract|tool|godebug|ignore)\s*\(\s*$")
_GO_INDIRECT = lazy(r"^\s*indirect\b")


# -- the loaders -----------------------------------------------------------------------------

@loader("dependencies", {"path": STR}, List(DEPENDENCY),
        "The dependencies a manifest declares (package.json, pyproject.toml, requirements*.txt, go.mod, "
        "Cargo.toml), each at its line.")
def load_dependencies(repo, path):
    norm = repo.normalize(path)

    def compute():
        from .data import decode

        kind = manifest_kind(norm)
        return parse_manifest(decode(repo.read_bytes(norm), norm), norm, kind)

    return repo.memo(("dependencies", norm), compute)


@loader("new_dependencies", {"path": STR}, List(DEPENDENCY),
        "The dependencies the manifest has now that it did not have at the merge-base with --base.")
def load_new_dependencies(repo, path):
    norm = repo.normalize(path)
    return repo.memo(("new_dependencies", norm), lambda: _added(repo, norm))


def _added(repo, norm: str) -> list:
    from .git import _Facts, _Git

    facts = _Facts(repo, _Git(repo.real_root), repo.base)
    merge_base = str(facts.merge_base("new_dependencies"))
    kind = manifest_kind(norm)
    old_path = norm
    for changed in facts.changed_files():
        if str(changed["path"]) == norm and changed["old_path"] is not None:
            old_path = str(changed["old_path"])
    current = load_dependencies(repo, norm)
    old_text = _at_revision(facts.git, merge_base, old_path)
    if old_text is None:
        return list(current)
    try:
        before = parse_manifest(old_text, old_path, kind)
    except ArtifactError as exc:
        raise ArtifactError(exc.path, f"at the merge-base {merge_base[:7]}: {exc.message}", exc.line) from None
    known = {str(dep["key"]) for dep in before}
    return [dep for dep in current if str(dep["key"]) not in known]


def _at_revision(git, sha: str, path: str):
    """The file's text at commit `sha`, or None when the commit does not have it."""
    code, out, err = git.run("show", "--no-textconv", "--no-color", f"{sha}:./{path}", ok=(0, 128))
    if code == 0:
        return out.replace("\r\n", "\n")
    if "does not exist in" in err or "exists on disk, but not in" in err:
        return None
    from .git import _failure

    raise ArtifactError("git", _failure("show", err))


# -- formats ------------------------------------------------------------------------------------

def manifest_kind(path: str) -> str:
    """npm, pyproject, requirements, go or cargo, from the file's name."""
    name = posixpath.basename(path)
    if name == "package.json":
        return "npm"
    if name == "pyproject.toml":
        return "pyproject"
    if name == "go.mod":
        return "go"
    if name == "Cargo.toml":
        return "cargo"
    if name.endswith((".txt", ".in")):
        return "requirements"
    raise ArtifactError(path, f"`{name}` is not a dependency manifest: expected {MANIFESTS}")


def parse_manifest(text: str, path: str, kind: str | None = None) -> list:
    """The Dependency records of `text`, read as the manifest `path` (pure), in file order."""
    kind = kind or manifest_kind(path)
    parse = {"npm": _npm, "pyproject": _pyproject, "requirements": _requirements, "go": _go, "cargo": _cargo}[kind]
    found = parse(text.replace("\r\n", "\n"), path)
    found.sort(key=lambda dep: dep["line"] or 0)
    return found


def key_of(name: str, ecosystem: str) -> str:
    if ecosystem == "pypi":
        return _PEP503.sub("-", name).lower()
    if ecosystem == "cargo":
        return name.lower().replace("_", "-")
    if ecosystem == "npm":
        return name.lower()
    return name


def _dep(path: str, line: int, name: str, spec: str, section: str, ecosystem: str,
         indirect: bool = False, local: bool = False, key: str | None = None) -> Record:
    loc = Loc(path, line)
    located = LStr(name, loc)
    key = key if key is not None else key_of(name, ecosystem)
    return Record("Dependency", loc, name=located, key=LStr(key, loc), spec=LStr(spec, loc),
                  section=LStr(section, loc), ecosystem=LStr(ecosystem, loc), indirect=indirect, local=local,
                  manifest=PathValue(path, Loc(path)), line=line, text=located)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "a " + type(value).__name__


def _line_of(container, key, default: int = 1) -> int:
    loc = container.loc_of(key) if hasattr(container, "loc_of") else getattr(container, "loc", None)
    return loc.line if loc is not None and loc.line else default


# -- package.json ---------------------------------------------------------------------------------

def _npm(text: str, path: str) -> list:
    from .data import parse_json

    data = parse_json(text, path)
    if not isinstance(data, dict):
        raise ArtifactError(path, f"package.json must hold a JSON object, found {_kind(data)}", 1)
    out = []
    for section in NPM_SECTIONS:
        if section not in data:
            continue
        table = data[section]
        if not isinstance(table, dict):
            raise ArtifactError(path, f"`{section}` must be an object of package names and version ranges, "
                                      f"found {_kind(table)}", _line_of(data, section))
        for name, spec in table.items():
            line = _line_of(table, name)
            if not isinstance(spec, str):
                raise ArtifactError(path, f"`{section}.{name}`: the version range must be a string, "
                                          f"found {_kind(spec)}", line)
            out.append(_dep(path, line, name, spec, section, "npm", local=spec.startswith(_NPM_LOCAL)))
    return out


# -- pyproject.toml --------------------------------------------------------------------------------

def _pyproject(text: str, path: str) -> list:
    from .data import parse_toml

    data = parse_toml(text, path)
    lines = text.split("\n")
    out: list = []
    project = _table(data, "project", path, "project")
    if project is not None:
        _pep508_array(out, project, "dependencies", "project.dependencies", path, lines)
        extras = _table(project, "optional-dependencies", path, "project.optional-dependencies")
        for extra in extras or {}:
            _pep508_array(out, extras, extra, f"project.optional-dependencies.{extra}", path, lines)
    groups = _table(data, "dependency-groups", path, "dependency-groups")
    for group in groups or {}:
        _pep508_array(out, groups, group, f"dependency-groups.{group}", path, lines, includes=True)
    build = _table(data, "build-system", path, "build-system")
    if build is not None:
        _pep508_array(out, build, "requires", "build-system.requires", path, lines)
    tool = _table(data, "tool", path, "tool")
    uv = _table(tool, "uv", path, "tool.uv") if tool is not None else None
    if uv is not None:
        _pep508_array(out, uv, "dev-dependencies", "tool.uv.dev-dependencies", path, lines)
    pdm = _table(tool, "pdm", path, "tool.pdm") if tool is not None else None
    pdm_groups = _table(pdm, "dev-dependencies", path, "tool.pdm.dev-dependencies") if pdm is not None else None
    for group in pdm_groups or {}:
        _pep508_array(out, pdm_groups, group, f"tool.pdm.dev-dependencies.{group}", path, lines)
    poetry = _table(tool, "poetry", path, "tool.poetry") if tool is not None else None
    if poetry is not None:
        for key in ("dependencies", "dev-dependencies"):
            _poetry_table(out, poetry, key, f"tool.poetry.{key}", path)
        poetry_groups = _table(poetry, "group", path, "tool.poetry.group")
        for group in poetry_groups or {}:
            inner = _table(poetry_groups, group, path, f"tool.poetry.group.{group}")
            if inner is not None:
                _poetry_table(out, inner, "dependencies", f"tool.poetry.group.{group}.dependencies", path)
    return out


def _table(parent, key: str, path: str, name: str):
    """parent[key] when it is a table, None when it is absent; any other value is an error."""
    if parent is None or key not in parent:
        return None
    value = parent[key]
    if not isinstance(value, dict):
        raise ArtifactError(path, f"`{name}` must be a table, found {_kind(value)}", _line_of(parent, key))
    return value


def _pep508_array(out: list, parent, key: str, section: str, path: str, lines: list, includes: bool = False) -> None:
    if key not in parent:
        return
    items = parent[key]
    key_line = _line_of(parent, key)
    if not isinstance(items, list):
        raise ArtifactError(path, f"`{section}` must be an array of requirement strings, found {_kind(items)}",
                            key_line)
    after = key_line
    for item in items:
        if includes and isinstance(item, dict) and "include-group" in item:
            continue  # PEP 735: another group's packages, listed under that group
        if not isinstance(item, str):
            raise ArtifactError(path, f"`{section}`: every entry must be a requirement string, found {_kind(item)}",
                                key_line)
        line = _string_line(lines, after, item) or key_line
        after = line
        name, spec = _pep508(item, path, line)
        out.append(_dep(path, line, name, spec, section, "pypi", local=_is_local_url(spec)))


def _string_line(lines: list, start: int, value: str):
    """The first line from `start` (1-based) that holds `value` as a quoted TOML string."""
    needles = (f'"{value}"', f"'{value}'")
    for number in range(start, len(lines) + 1):
        if any(needle in lines[number - 1] for needle in needles):
            return number
    return None


def _pep508(requirement: str, path: str, line: int) -> tuple:
    """(name, the rest) of a PEP 508 requirement string."""
    m = _PEP508_NAME.match(requirement)
    if m is None:
        raise ArtifactError(path, f"`{requirement.strip()}` is not a PEP 508 requirement: it must start with a "
                                  "project name, as in `requests>=2.31`", line)
    return m.group(1), m.group(2).strip()


def _is_local_url(spec: str) -> bool:
    """A PEP 508 `name @ url` whose url is a relative path or a file: URL."""
    m = re.match(r"^(?:\[[^\]]*\])?\s*@\s*(\S+)", spec)
    return m is not None and (m.group(1).startswith(("file:", "./", "../")))


def _poetry_table(out: list, parent, key: str, section: str, path: str) -> None:
    table = _table(parent, key, path, section)
    for name, value in (table or {}).items():
        if name == "python":
            continue  # the interpreter, not a package
        line = _line_of(table, name)
        spec, local = _source_spec(value, path, f"{section}.{name}", line, version_key="version")
        out.append(_dep(path, line, name, spec, section, "pypi", local=local))


def _source_spec(value, path: str, where: str, line: int, version_key: str) -> tuple:
    """(spec, local) of a Poetry or Cargo dependency value: a string, a table or (Poetry) a list of tables."""
    if isinstance(value, str):
        return value, False
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        specs = [_source_spec(v, path, where, line, version_key) for v in value]
        return "; ".join(s for s, _ in specs), any(local for _, local in specs)
    if isinstance(value, dict):
        for source in ("git", "path", "url"):
            if source in value and isinstance(value[source], str):
                return f"{source} {value[source]}", source == "path"
        version = value.get(version_key)
        if isinstance(version, str):
            return version, False
        return "", False
    raise ArtifactError(path, f"`{where}` must be a version string or a table, found {_kind(value)}", line)


# -- requirements.txt -------------------------------------------------------------------------------

def _requirements(text: str, path: str) -> list:
    out = []
    pending, start = "", 0
    for number, raw in enumerate(text.split("\n"), 1):
        if not pending:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not _COMMENT.search(stripped):
            pending += stripped[:-1] + " "
            continue
        logical, pending = pending + raw, ""
        dep = _requirement_line(logical, path, start)
        if dep is not None:
            out.append(dep)
    if pending:
        dep = _requirement_line(pending, path, start)
        if dep is not None:
            out.append(dep)
    return out


def _requirement_line(line: str, path: str, number: int):
    text = _COMMENT.sub("", line).strip()
    if not text or text.startswith("-"):
        return None  # blank, a comment, or an option: -r, -c, -e, --index-url, …
    option = _TRAILING_OPTION.search(text)
    if option is not None:
        text = text[:option.start()].strip()  # --hash=…, --config-settings …
    if _URL_OR_PATH.match(text):
        egg = _EGG.search(text)
        local = not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) or text.startswith("file:")
        if egg is None:  # no project name: the URL or path stands for it
            return _dep(path, number, text, text, "requirements", "pypi", local=local, key=text)
        return _dep(path, number, egg.group(1), text, "requirements", "pypi", local=local)
    m = _PEP508_NAME.match(text)
    if m is None:
        raise ArtifactError(path, f"`{text}` is not a requirement: a line names a project (`requests>=2.31`), "
                                  "an option (`-r base.txt`), a path or a URL", number)
    spec = m.group(2).strip()
    return _dep(path, number, m.group(1), spec, "requirements", "pypi", local=_is_local_url(spec))


# -- go.mod ---------------------------------------------------------------------------------------

def _go(text: str, path: str) -> list:
    out = []
    local_modules = set()
    block, block_line = None, 0
    for number, raw in enumerate(text.split("\n"), 1):
        code, _, comment = raw.partition("//")
        tokens = code.split()
        if block is not None:
            if tokens == [")"]:
                block = None
            elif tokens:
                _go_statement(out, local_modules, block, tokens, comment, raw, path, number)
            continue
        if not tokens:
            continue
        opened = _GO_BLOCK.match(code)
        if opened:
            block, block_line = opened.group(1), number
            continue
        if tokens[0] in ("require", "replace"):
            _go_statement(out, local_modules, tokens[0], tokens[1:], comment, raw, path, number)
    if block is not None:
        raise ArtifactError(path, f"the `{block} (` block is never closed with `)`", block_line)
    for dep in out:
        if str(dep["name"]) in local_modules:
            dep.fields["local"] = True
    return out


def _go_statement(out: list, local_modules: set, verb: str, tokens: list, comment: str, raw: str,
                  path: str, number: int) -> None:
    if verb == "replace":
        if "=>" in tokens:
            arrow = tokens.index("=>")
            target = tokens[arrow + 1:]
            if tokens[:1] and len(target) == 1 and target[0].startswith(("./", "../", "/")):
                local_modules.add(tokens[0].strip('"'))
        return
    if verb != "require":
        return
    if len(tokens) != 2:
        raise ArtifactError(path, f"a requirement needs a module path and a version: `{raw.strip()}`", number)
    module, version = (token.strip('"') for token in tokens)
    out.append(_dep(path, number, module, version, "require", "go",
                    indirect=_GO_INDIRECT.match(comment) is not None))


# -- Cargo.toml -------------------------------------------------------------------------------------

def _cargo(text: str, path: str) -> list:
    from .data import parse_toml

    data = parse_toml(text, path)
    out: list = []
    for key in CARGO_SECTIONS:
        _cargo_table(out, data, key, key.replace("_", "-"), path)
    targets = _table(data, "target", path, "target")
    for cfg in targets or {}:
        target = _table(targets, cfg, path, f"target.{cfg}")
        for key in CARGO_SECTIONS:
            _cargo_table(out, target, key, f"target.{cfg}.{key.replace('_', '-')}", path)
    workspace = _table(data, "workspace", path, "workspace")
    if workspace is not None:
        _cargo_table(out, workspace, "dependencies", "workspace.dependencies", path)
    return out


def _cargo_table(out: list, parent, key: str, section: str, path: str) -> None:
    table = _table(parent, key, path, section)
    for name, value in (table or {}).items():
        line = _line_of(table, name)
        spec, local = _source_spec(value, path, f"{section}.{name}", line, version_key="version")
        crate = value.get("package") if isinstance(value, dict) and isinstance(value.get("package"), str) else name
        out.append(_dep(path, line, str(crate), spec, section, "cargo", local=local))
