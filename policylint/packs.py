"""Finding, loading and caching packs.

A pack is a folder holding `<name>.policy` (built-in in `rules/`, a path, or a Python
package registered under the `policylint.packs` entry point). Parsed and checked packs
are cached by content hash, so a warm run neither imports Lark nor re-checks.
"""
from __future__ import annotations

import os
import sys
from codecs import utf_8_decode
from functools import lru_cache

from . import __version__
from .cache import hasher, user_cache
from .diagnostics import QUOTABLE, Diagnostic, Span, did_you_mean
from .errors import PolicylintError
from .fsutil import CLOEXEC
from .patterns import lazy
from .structs import field, struct

ENTRY_POINT_GROUP = "policylint.packs"
# The functions a run calls on its way (available_packs, PackLoader, display) work on str paths:
# pathlib brings urllib.parse and ipaddress, ~18M instructions of check FILE's start-up. Those
# that answer a Path to other commands (builtin_rules_dir, builtin_packs, resolve, LoadedPack.path)
# import it when asked.


@lru_cache(maxsize=None)
def _rules_folder() -> str:
    """`policylint/rules` in a wheel; the repository's `rules/` in a source checkout."""
    here = os.path.dirname(os.path.realpath(__file__))
    inside = os.path.join(here, "rules")
    return inside if os.path.isdir(inside) else os.path.join(os.path.dirname(here), "rules")


def builtin_rules_dir() -> Path:
    """`policylint/rules` in a wheel; the repository's `rules/` in a source checkout."""
    from pathlib import Path

    return Path(_rules_folder())


def _builtin_files() -> dict:
    """Built-in pack name -> its `.policy` file (a str path)."""
    root = _rules_folder()
    try:
        names = sorted(os.listdir(root))  # plain names and os.path: a run lists them on every start
    except OSError:
        return {}
    files = {name: os.path.join(root, name, f"{name}.policy") for name in names}
    return {name: path for name, path in files.items() if os.path.isfile(path)}


def builtin_packs() -> dict:
    """Built-in pack name -> its `.policy` file (a Path)."""
    from pathlib import Path

    return {name: Path(path) for name, path in _builtin_files().items()}


def installed_packs() -> dict:
    """Packs of installed distributions: entry point `name = package`, whose folder holds
    `<name>.policy` (a Path). The package is located, never imported: a pack is data, not code."""
    from pathlib import Path

    return {name: Path(path) for name, path in _installed_files().items()}


def _installed_files() -> dict:
    """`installed_packs`, the files as str paths."""
    out = {}
    for name, value in _entry_points():
        from importlib.util import find_spec  # here: most runs find no entry point, and skip its import

        try:
            spec = find_spec(value.split(":")[0].strip())
        except (ImportError, ValueError):
            spec = None
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        for folder in locations:
            path = os.path.join(folder, f"{name}.policy")
            if os.path.isfile(path):
                out.setdefault(name, path)
    return out


def available_packs() -> dict:
    """Every pack a name can reach, as `resolve` reaches it: built-in first, then installed
    (an installed pack named like a built-in one is shadowed, so it is not listed twice); the
    files as str paths."""
    builtin = _builtin_files()
    return {**builtin, **{name: path for name, path in _installed_files().items() if name not in builtin}}


def _entry_points() -> list:
    """(name, value) of the `policylint.packs` entry points of the distributions on sys.path,
    the first distribution of a name winning, as importlib.metadata finds them; read from
    each `entry_points.txt` directly, since importing importlib.metadata alone costs a warm
    run about 50 ms and detection asks on every run."""
    seen, out, group = set(), [], ENTRY_POINT_GROUP.encode()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except (OSError, TypeError):
            continue
        # the standard library's hundreds of names left out before sorting
        for folder in sorted([name for name in names if name.endswith((".dist-info", ".egg-info"))]):
            dist = folder.rpartition(".")[0].split("-")[0].lower().replace("_", "-").replace(".", "-")
            if dist in seen:
                continue
            seen.add(dist)
            data = _read_head(os.path.join(entry or ".", folder, "entry_points.txt"))
            if data is None:
                continue
            if group in data:  # most distributions declare none: their files are neither decoded nor parsed
                try:
                    out.extend(_group(data.decode("utf-8"), ENTRY_POINT_GROUP))
                except UnicodeDecodeError:
                    continue
    return out


def _read_head(path, size: int = -1) -> bytes | None:
    """The first `size` bytes of a file (all of it when -1), as `open(path, "rb").read(size)`
    reads them, or None when it cannot be read: through `os.open` and `os.read`, without a file
    object and its buffer (a run reads a dozen of these: pack headers, entry_points.txt)."""
    try:
        fd = os.open(path, os.O_RDONLY | CLOEXEC | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):
        return None
    try:
        chunks, left = [], size
        while left:
            chunk = os.read(fd, left if left > 0 else 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            left = max(left - len(chunk), 0) if left > 0 else left
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _group(text: str, group: str) -> list:
    """(name, value) pairs of one `[group]` section of an entry_points.txt (an INI file)."""
    out, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
        elif inside and "=" in line:
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


def looks_like_path(spec: str) -> bool:
    """`./team`, `rules/x.policy`: a path, not a pack name."""
    return "/" in spec or "\\" in spec or spec.endswith(".policy") or spec.startswith(".")


def resolve(spec: str, base=None, span: Span | None = None, within: tuple = ()) -> Path:
    """The `.policy` file a pack name or path stands for (a Path). With `within` (the folders a
    `use` may reach), a path must lead into one of them, symlinks followed: one that leaves is
    refused before anything there is looked at, and so is a pack file that leaves."""
    from pathlib import Path

    return Path(resolve_file(spec, base, span, within))


def resolve_file(spec: str, base=None, span: Span | None = None, within: tuple = ()) -> str:
    """`resolve`, the file as a str path (the way a run loads its packs)."""
    if looks_like_path(spec):
        path = os.path.join(base, spec) if base is not None and not os.path.isabs(spec) else os.fspath(spec)
        _confine(path, spec, within, span)
        if os.path.isdir(path):
            folder_name = os.path.basename(os.path.realpath(path))
            named = os.path.join(path, f"{folder_name}.policy")
            if os.path.isfile(named):
                return _confine(named, spec, within, span)
            found = sorted(name for name in os.listdir(path) if name.endswith(".policy"))  # as Path.glob("*.policy")
            if len(found) == 1:
                return _confine(os.path.join(path, found[0]), spec, within, span)
            raise PolicylintError(Diagnostic("PL208", f"no pack in `{spec}`: expected `{folder_name}.policy` there", span))
        if os.path.isfile(path):
            return path
        raise PolicylintError(Diagnostic("PL208", f"pack `{spec}` not found", span, "no such file or folder"))
    builtin = _builtin_files()
    if spec in builtin:
        return builtin[spec]
    installed = _installed_files()
    if spec in installed:
        return installed[spec]
    known = sorted(set(builtin) | set(installed))
    raise PolicylintError(Diagnostic("PL208", f"unknown pack `{spec}`", span, did_you_mean(spec, known, "known packs")))


def _confine(path: str, spec: str, within: tuple, span: Span | None) -> str:
    from .fsutil import inside

    if within and not any(inside(path, folder) for folder in within):
        raise PolicylintError(Diagnostic("PL216", f"`use` path `{spec}` is outside the repository root and the pack's folder",
                                         span, "a pack uses built-in or installed packs by name, and by path only "
                                               "packs inside the repository or inside its own folder"))
    return path


@struct
class LoadedPack:
    name: str
    file: str  # the `.policy` file, as the loader found it (`path` is the same as a Path)
    ast: object
    uses: list = field(default_factory=list)  # `use "x"`: packs whose gates run with this one's
    key: str = ""
    helpers: list = field(default_factory=list)  # `use defs from "x"`: packs whose defs it calls

    @property
    def path(self) -> Path:
        from pathlib import Path

        return Path(self.file)

    @property
    def display_path(self) -> str:
        return display(self.file)


_STRING = r'"((?:[^"\\\n]|\\.)*)"'
_HEADER = lazy(r'(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*pack[ \t]+[A-Za-z_][\w-]*[ \t]+' + _STRING
               + r'(?:\s+version[ \t]+' + _STRING + r')?(?:\s+detect[ \t]+' + _STRING + r')?[ \t]*(?:#[^\n]*)?\n')


def detect_glob(path) -> tuple:
    """(True, glob or None) read from the `pack` header's text, or (False, None) when the header
    is not written plainly; lets a run pick the built-in packs a repository has without
    loading (unpickling) every one of them."""
    data = _read_head(path, 8192)  # bytes: a text file costs ten of these reads ~0.4 ms more
    try:
        head = utf_8_decode(data, "strict", False)[0]  # a character cut at the end left out
    except (TypeError, UnicodeDecodeError):  # None: not read
        return False, None
    match = _HEADER.match(head.replace("\r\n", "\n"))
    if match is None:
        return False, None
    glob = match.group(3)
    return True, (glob.replace('\\"', '"').replace("\\\\", "\\") if glob is not None else None)


def policy_files(paths: list) -> tuple:
    """(files, missing): the paths that are files, and every `*.policy` under the folders given
    (hidden folders skipped); paths that are neither are returned as missing."""
    from pathlib import Path

    files, missing = [], []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*.policy"))
                         if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts[:-1]))
        elif p.is_file():
            files.append(given)
        else:
            missing.append(given)
    return list(dict.fromkeys(files)), missing


def _as_posix(path) -> str:
    """`Path(path).as_posix()`, without pathlib for a POSIX path already in its normal form (a
    relpath, a realpath), which pathlib would leave as it is."""
    text = os.fspath(path)
    if os.sep == "/" and text and os.path.normpath(text) == text and not text.startswith("//"):
        return text
    from pathlib import Path

    return Path(path).as_posix()


_DISPLAYED: dict = {}  # (path, current directory) -> as shown: a run asks again for every gate of a pack


def display(path) -> str:
    """A policy path as users see it: relative to the current directory when inside it."""
    key = (path, os.getcwd())
    shown = _DISPLAYED.get(key)
    if shown is None:
        try:
            relative = os.path.relpath(path)
            shown = _as_posix(relative) if not relative.startswith("..") else _as_posix(path)
        except ValueError:
            shown = _as_posix(path)
        if len(_DISPLAYED) >= 4096:
            _DISPLAYED.clear()
        _DISPLAYED[key] = shown
    return shown


@lru_cache(maxsize=None)
def _code_digest() -> bytes:
    """What a cached pack depends on besides its source: policylint's version, the grammar,
    the AST and its serial form, and the checker. Each file is known by its size and
    modification time, as Python knows a module's source for its bytecode cache: reading and
    hashing them all cost every run ~2M instructions, for a key that changes only when they do."""
    here = os.path.dirname(os.path.abspath(__file__))
    checker = sorted(f"check/{name}" for name in os.listdir(os.path.join(here, "check")) if name.endswith(".py"))
    digest = hasher(__version__.encode())
    for name in ("syntax/policy.lark", "syntax/ast.py", "syntax/parse.py", "syntax/serial.py", "structs.py", *checker):
        st = os.stat(os.path.join(here, name))
        digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.digest()


def checked_key(tree_key: str, uses: list, helpers: list = ()) -> str:
    """The key of "this pack checks" (and of what it runs): its tree's key and the keys of the
    packs it uses, for their gates or for their defs only."""
    used = " ".join(u.key for u in uses) + " defs " + " ".join(u.key for u in helpers)
    return hasher(f"checked {tree_key} {used}".encode()).hexdigest()


class PackLoader:
    """Loads packs and everything they `use`, once each, parse -> check, through the cache."""

    def __init__(self, use_cache: bool = True, root=None):
        self.cache = user_cache(root) if use_cache else None  # None: parse and check every time
        self.loaded: dict = {}
        self._stack: list = []
        self.root = os.fspath(root) if root is not None else os.getcwd()  # a `use` path may lead here

    def load(self, spec: str, base=None, span: Span | None = None, within: tuple = ()) -> LoadedPack:
        """A pack by name or path; `name==1.2.0` also checks the version the pack states."""
        spec, _, pinned = spec.partition("==")
        pack = self._load_path(os.path.realpath(resolve_file(spec.strip(), base, span, within)), span)
        if pinned and (pack.ast.version or "") != pinned.strip():
            raise PolicylintError(Diagnostic("PL208",
                                             f"pack `{pack.name}` is version {pack.ast.version or '(none)'}, "
                                             f"but version {pinned.strip()} is pinned", span,
                                             f"the pack is {pack.display_path}"))
        return pack

    def load_found(self, path) -> LoadedPack:
        """A pack `available_packs` listed, by the path it found (its name is not looked up again)."""
        return self._load_path(os.path.realpath(path), None)

    def _load_path(self, path: str, span: Span | None) -> LoadedPack:
        """The pack in the file at `path`, a real path (a str: the key of `loaded`)."""
        if path in self.loaded:
            return self.loaded[path]
        if path in self._stack:
            chain = " -> ".join(os.path.splitext(os.path.basename(p))[0] for p in self._stack + [path])
            raise PolicylintError(Diagnostic("PL214", f"packs use each other in a cycle: {chain}", span))
        self._stack.append(path)
        QUOTABLE.add(display(path))  # resolved and confined above: its diagnostics may quote it
        try:
            pack = self._load(path)
        finally:
            self._stack.pop()
        self.loaded[path] = pack
        return pack

    def _use(self, use, naming) -> LoadedPack:
        """What a `use` names: by name a built-in or installed pack; by path a pack inside the
        root or inside the folder of the pack that names it (a built-in pack may use its siblings)."""
        if not use.is_path:
            return self.load(use.target, None, use.span)
        from .fsutil import inside

        rules = _rules_folder()
        folder = os.path.dirname(os.fspath(naming))
        areas = (self.root, folder) + ((rules,) if inside(naming, rules) else ())
        return self.load(use.target, folder, use.span, within=areas)

    def _load(self, path: str) -> LoadedPack:
        shown = display(path)
        from .repo import read_regular

        try:
            source_bytes = read_regular(path)  # a FIFO or a device in a repository never hangs the run
        except OSError as exc:
            raise PolicylintError(Diagnostic("PL200", f"cannot read `{shown}`: {exc.strerror}")) from None
        source = source_bytes.decode("utf-8", errors="replace").replace("\r\n", "\n")
        tree, tree_key = self._tree(source_bytes, source, os.path.basename(path), shown)
        from .syntax import ast

        uses = [self._use(u, path) for u in tree.items if isinstance(u, ast.Use) and not u.defs_only]
        helpers = [self._use(u, path) for u in tree.items if isinstance(u, ast.Use) and u.defs_only]
        key = checked_key(tree_key, uses, helpers)
        pack = LoadedPack(tree.name, path, tree, uses, key, helpers)
        if self.cache is None or self.cache.get("checked", key) is not True:
            from .check import check_pack

            diagnostics = check_pack(tree, imports_of(pack))
            if diagnostics:
                raise PolicylintError(diagnostics)
            if self.cache is not None:
                self.cache.put("checked", key, True)
        return pack

    def _tree(self, source_bytes: bytes, source: str, file_name: str, shown: str) -> tuple:
        """(AST, its cache key): from the cache when an entry verifies, else parsed and stored.
        The key is the content (the source, its file name, which names a pack without a header,
        and the code that parses) and never the path, so a pack read from any folder is one
        entry; the path goes into the spans as the tree is loaded."""
        key = hasher(_code_digest() + file_name.encode() + b"\0" + source_bytes).hexdigest()
        if self.cache is not None:
            from .syntax import serial

            plain = self.cache.get("ast", key)
            tree = serial.load(plain, shown) if plain is not None else None
            if tree is not None:
                return tree, key
        from .syntax.parse import parse_policy

        tree = parse_policy(source, shown)
        if self.cache is not None:
            from .syntax import serial

            try:
                self.cache.put("ast", key, serial.dump(tree, shown))
            except (serial.NotPlain, RecursionError):  # left uncached: parsed again next time
                pass
        return tree, key


def imports_of(pack: LoadedPack):
    """What the checker needs of the packs `pack` uses: their defs, the lifecycles it may
    extend and the gates it may override (of the packs whose gates run with it)."""
    from .check import Imports
    from .compile import visible_defs
    from .gates import declared_gates
    from .syntax import ast

    running = {u.name for u in pack.uses}
    written = [u.target for u in pack.ast.items if isinstance(u, ast.Use) and u.defs_only]
    imports = Imports(helpers={u.name: target for u, target in zip(pack.helpers, written) if u.name not in running})
    for name, found in visible_defs(pack).items():
        imports.defs[name] = [node for node, _home in found]
        if "." not in name:
            imports.owners[name] = [next(u.name for u in pack.uses + pack.helpers if u.key == home)
                                    for _node, home in found]
    for used in pack.uses:
        for item in used.ast.items:
            if isinstance(item, ast.Lifecycle):
                imports.lifecycles[f"{used.name}.{item.name}"] = item
    imports.gates = {gid: gate for gid, _pack, _lifecycle, _stage, gate in declared_gates(pack.uses, uses=True)}
    return imports
