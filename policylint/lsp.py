"""`policylint lsp`: a Language Server Protocol server over stdio (pygls), for editors.

Imported only by that command, so `check` never pays for pygls. It answers from the same
pipelines as the commands: a `.policy` buffer is parsed and checked as `validate` does
(through PackLoader, the buffer's text in place of the file), formatted as `fmt` does,
and any other file some subject reads is evaluated as `check FILE` would, the unsaved
buffer in place of the file on disk.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from . import __version__
from .cli import UsageError
from .config import find_root
from .errors import PolicylintError
from .check.types import Checker, Decl, Scope
from .packs import LoadedPack, PackLoader, display, imports_of
from .repo import Repo

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}
_PROBE = "zz__policylint_probe"  # a name nothing declares, put at the cursor to see what the checker sees there
DEBOUNCE = 0.1  # seconds a change waits: a later change within it replaces it, so typing is evaluated once
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+")  # a gate id, `pack.def`


class _BufferLoader(PackLoader):
    """A PackLoader that reads one policy file from the editor's buffer instead of the disk."""

    def __init__(self, path: Path, text: str):
        super().__init__(root=find_root(path.parent))
        self.buffer_path, self.text = path.resolve(), text.replace("\r\n", "\n")  # as _load_path names it

    def _tree(self, source_bytes, source, file_name, shown):
        if shown == display(self.buffer_path):
            source, source_bytes = self.text, self.text.encode("utf-8")
        return super()._tree(source_bytes, source, file_name, shown)

    def scope_at(self, line: int, character: int) -> "_ScopeFinder | None":
        """The buffer checked as `validate` checks it (its uses loaded as the loader loads them, a
        use that does not load left out), noting what the checker sees at (line, character);
        None when the buffer does not parse."""
        from .syntax import ast

        try:
            shown = display(self.buffer_path)
            tree, _key = self._tree(self.text.encode("utf-8"), self.text, self.buffer_path.name, shown)
        except PolicylintError:
            return None
        used = {False: [], True: []}
        for use in (u for u in tree.items if isinstance(u, ast.Use)):
            try:
                used[use.defs_only].append(self._use(use, self.buffer_path))
            except PolicylintError:
                continue
        pack = LoadedPack(tree.name, self.buffer_path, tree, used[False], "", used[True])
        finder = _ScopeFinder(tree, imports_of(pack), line, character)
        finder.run()
        return finder


class _ScopeFinder(Checker):
    """The checker, noting where it reads the name, call or field at one position (0-based line
    and character): the scope it resolves a name in there, and the type left of a field's dot.
    What a reader sees at a position is what the checker sees, imports and all."""

    def __init__(self, pack, imports, line: int, character: int):
        super().__init__(pack, imports)
        self.at = (line, character)
        self.top = None  # the pack's own scope (its params, lets and defs), below the imports
        self.scope = self.node = self.obj = None

    def _here(self, span) -> bool:
        if span is None or span.line - 1 != self.at[0] or (span.end_line or span.line) != span.line:
            return False
        return span.column - 1 <= self.at[1] <= (span.end_column or span.column) - 1

    def declare(self, items, scope: Scope) -> None:
        if self.top is None:
            self.top = scope
        super().declare(items, scope)

    def infer_Name(self, node, scope):
        if self._here(node.span):
            self.scope, self.node = scope, node
        return super().infer_Name(node, scope)

    def infer_Call(self, node, scope):
        if self._here(node.func_span):
            self.scope, self.node = scope, node
        return super().infer_Call(node, scope)

    def _field_of(self, obj, node):
        if self._here(node.name_span):  # for a list of records, the element's type comes last
            self.scope, self.node, self.obj = None, node, obj
        return super()._field_of(obj, node)

    def target(self):
        """The Decl the name or call here means, or None (a bound value, a built-in, nothing)."""
        from .syntax import ast

        if isinstance(self.node, ast.Name):
            found = self.scope.find(self.node.id)
        elif isinstance(self.node, ast.Call):
            found = self.scope.lookup_def(self.node.func)
        else:
            return None
        return found if isinstance(found, Decl) else None

    def visible(self) -> dict:
        """name -> Decl or type: what the scope here (else the pack's own) can name, innermost first,
        the imported defs by their plain names."""
        out, scope = {}, self.scope or self.top
        while scope is not None:
            for name, value in list(scope.vars.items()) + list(scope.decls.items()):
                if "." not in name:
                    out.setdefault(name, value)
            scope = scope.parent
        return out


class _BufferRepo(Repo):
    """The repository as `check` reads it, but the editor's unsaved files in place of the disk's."""

    def __init__(self, root, buffers: dict):
        super().__init__(root)
        self.buffers = buffers  # repository path -> bytes

    def _read_file(self, full, norm: str) -> bytes:
        if norm in self.buffers:
            return self.buffers[norm]
        return super()._read_file(full, norm)


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, but a request whose params do not fit its method is answered with the
    JSON-RPC error (pygls only logs it), so the editor's request never waits forever."""

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            raise

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        """A change to a document the editor never opened is said in its log and dropped (pygls
        would fail on it, and show the failure as a server error)."""
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            self._server.window_log_message(types.LogMessageParams(
                types.MessageType.Warning, f"policylint: a change to {params.text_document.uri}, which is not open"))
            return
        yield from super().lsp_text_document__did_change(params)


def policy_diagnostics(path: Path, text: str) -> list:
    """What `validate` reports for this policy text (policylint Diagnostics)."""
    if not path.is_file():  # a new file the editor has not saved: checked from a copy, alone
        import tempfile

        from .structs import replace

        with tempfile.TemporaryDirectory() as folder:
            copy = (Path(folder) / path.name).resolve()
            copy.write_text(text, encoding="utf-8")
            found = policy_diagnostics(copy, text)
            return [replace(d, span=replace(d.span, path=str(path)))
                    if d.span is not None and d.span.path and Path(d.span.path).resolve() == copy else d
                    for d in found]
    try:
        _BufferLoader(path, text).load(str(path))
    except PolicylintError as exc:
        return list(exc.diagnostics)
    return []


def _range(span, path: Path) -> types.Range:
    """An LSP range (0-based) from a Span (1-based, end column exclusive); elsewhere: the first line."""
    if span is None or not span.path or Path(span.path).resolve() != path.resolve():
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    start = types.Position(span.line - 1, max(span.column - 1, 0))
    if span.end_line is not None and span.end_column is not None:
        return types.Range(start, types.Position(span.end_line - 1, max(span.end_column - 1, 0)))
    return types.Range(start, types.Position(start.line, start.character + 1))


def _client_range(document, where: types.Range) -> types.Range:
    """A range in characters (as spans count them) in the client's units (UTF-16 unless agreed)."""
    return document.position_codec.range_to_client_units(document.lines, where)


def _server_position(document, position: types.Position) -> types.Position:
    """A client position in characters, as the text's Python string counts them."""
    return document.position_codec.position_from_client_units(document.lines, position)


def _lsp_diagnostic(d, path: Path, uri: str, document) -> types.Diagnostic:
    where = _client_range(document, _range(d.span, path))
    own = d.span is not None and d.span.path and Path(d.span.path).resolve() == path.resolve()
    message = d.message if own or d.span is None else f"{d.span}: {d.message}"
    related = [types.DiagnosticRelatedInformation(types.Location(uri, where), f"help: {d.help}")] if d.help else None
    suggested = re.match(r"did you mean `([^`]+)`\?", d.help or "") if own else None
    return types.Diagnostic(range=where, message=message, severity=SEVERITY.get(d.severity, 1), code=d.code,
                            source="policylint", related_information=related,
                            data={"replace": suggested.group(1)} if suggested else None)


def artifact_diagnostics(path: Path, text: str) -> list:
    """The findings `check` reports for the subjects that hold `path`, with `text` as its content,
    whose evidence points into it: [(line or None, Result, evidence message)]."""
    from . import cli

    root = find_root(path.parent)
    rel = Path(os.path.relpath(path, root)).as_posix()
    if rel.startswith("../"):
        return []
    args = argparse.Namespace(command="lsp", root=str(root), pack=[], config=None, no_cache=False, base=None,
                              select=[], ignore=[], files=[str(path)], fail_on=None)
    try:
        run = cli._run(args, repo=_BufferRepo(root, {rel: text.encode("utf-8")}))
    except cli.NoPackApplies:  # no pack reads this repository: nothing to show
        return []
    found = []
    for result in run.results:
        if result.status not in ("fail", "error"):
            continue
        for evidence in result.evidence:
            if evidence.path == rel:
                found.append((evidence.line, result, evidence.message))
    return found


def _symbols(tree) -> list:
    from .syntax import ast

    def where(node):
        line = node.span.line - 1
        end = getattr(node, "end", None)
        full = types.Range(types.Position(line, 0), types.Position((end.line - 1) if end else line, 10_000))
        return full, types.Range(types.Position(line, max(node.span.column - 1, 0)),
                                 types.Position(line, max(node.span.column - 1, 0) + 1))

    def symbol(node):
        if isinstance(node, ast.Gate):
            kind, name, children = types.SymbolKind.Event, node.name, []
        elif isinstance(node, ast.Stage):
            kind, name, children = types.SymbolKind.Namespace, node.name, node.body
        elif isinstance(node, ast.Lifecycle):
            kind, name, children = types.SymbolKind.Class, node.name, node.body
        elif isinstance(node, ast.Extend):
            kind, name, children = types.SymbolKind.Class, f"{node.pack}.{node.lifecycle}", node.body
        else:
            return None
        full, selection = where(node)
        kids = [s for s in map(symbol, children) if s is not None]
        if kids:  # a symbol's range holds its children's
            last = max(k.range.end.line for k in kids)
            full = types.Range(full.start, types.Position(max(full.end.line, last), 10_000))
        detail = node.plain_title if isinstance(node, ast.Gate) else None
        return types.DocumentSymbol(name=name, kind=kind, range=full, selection_range=selection, detail=detail,
                                    children=kids or None)

    items = [s for s in map(symbol, tree.items) if s is not None]
    if not tree.name:
        return items
    end = max([s.range.end.line for s in items] + [0])
    top = types.Range(types.Position(0, 0), types.Position(end, 10_000))
    return [types.DocumentSymbol(name=tree.name, kind=types.SymbolKind.Package, range=top,
                                 selection_range=types.Range(types.Position(0, 0), types.Position(0, 1)),
                                 detail=tree.title or None, children=items or None)]


def _keywords() -> list:
    grammar = (Path(__file__).parent / "syntax" / "policy.lark").read_text(encoding="utf-8")
    return sorted(set(re.findall(r'"([a-z_]+)"', grammar)))


def _probed(path: Path, text: str, line: int, column: int):
    """The scope finder at the cursor, the partial name there replaced by a name nothing declares:
    what may be written there (None: the text does not parse so)."""
    lines = text.split("\n")
    if line >= len(lines):
        return None
    before, after = lines[line][:column], lines[line][column:]
    start = column - len(re.search(r"[A-Za-z0-9_]*$", before).group(0))
    lines[line] = before[:start] + _PROBE + after[len(re.match(r"[A-Za-z0-9_]*", after).group(0)):]
    return _BufferLoader(path, "\n".join(lines)).scope_at(line, start)


def _fields(obj):
    """name -> (type, doc) of the fields of a checker type (None: it has no fields)."""
    from .types import PATH, PATH_FIELDS, RecordType

    if isinstance(obj, RecordType):
        return obj.fields
    return PATH_FIELDS if obj == PATH else None


def _word_at(text: str, line: int, column: int, word=_WORD):
    """The name under the cursor, as a regex match on its line (None: no name there)."""
    lines = text.split("\n")
    if line >= len(lines):
        return None
    for m in word.finditer(lines[line]):
        if m.start() <= column <= m.end():
            return m
    return None


def _gate_id_at(path: Path, text: str, line: int, column: int, tree=None) -> str | None:
    """The gate id the cursor is on: the name of a gate the policy (`tree`) declares on that line,
    its id made whole, or a dotted id (`override`, configuration, waivers) whose first part names
    a pack the repository can reach (built-in, installed, configured, or the policy's own uses)."""
    from .syntax import ast

    m = _word_at(text, line, column)
    if tree is not None and m is not None:
        found = [(tree.name, g) for g in tree.items if isinstance(g, ast.Gate)]
        for item in tree.items:
            for stage in item.stages if isinstance(item, (ast.Lifecycle, ast.Extend)) else []:
                found += [(f"{tree.name}.{stage.name}", g) for g in stage.body if isinstance(g, ast.Gate)]
        for prefix, gate in found:
            if gate.span.line - 1 == line and gate.name == m.group(0):
                return f"{prefix}.{gate.name}"
    dotted = _word_at(text, line, column, _DOTTED)
    if dotted is None:
        return None
    from .config import load_config
    from .packs import available_packs

    packs = set(available_packs())
    if tree is not None:
        packs |= {tree.name} | {Path(u.target).stem for u in tree.items if isinstance(u, ast.Use)}
    try:
        packs |= {Path(spec.partition("==")[0]).stem for spec in load_config(find_root(path.parent)).packs}
    except (PolicylintError, UsageError):
        pass
    return dotted.group(0) if dotted.group(0).split(".")[0] in packs else None


def _explain(gid: str, path: Path) -> str | None:
    """What `policylint explain GATE` prints, run from the file's repository (cmd_explain itself,
    its output captured); a gate of the policy file itself is found through `--pack FILE`."""
    import contextlib
    import io

    from . import cli

    root = str(find_root(path.parent))
    tries = [["explain", gid, "--root", root]]
    if path.suffix == ".policy" and path.is_file():
        tries.append(["explain", gid, "--root", root, "--pack", str(path)])
    for argv in tries:
        out = io.StringIO()
        try:
            args = cli.build_parser("explain").parse_args(argv)
            with contextlib.redirect_stdout(out):
                cli.cmd_explain(args)
        except (cli.UsageError, PolicylintError, SystemExit):
            continue
        return out.getvalue().rstrip()
    return None


def _meant(finder) -> list:
    """The declarations the name or call at the cursor means: one, or each used pack's def of an
    ambiguous name (the checker refuses calling it, PL222), or none (a bound value, a built-in)."""
    decl = finder.target() if finder is not None else None
    if decl is None:
        return []
    if decl.scope.parent is None and len(finder.imports.defs.get(decl.name, ())) > 1:
        return list(finder.imports.defs[decl.name])
    return [decl.node]


def _file_of(span, path: Path, text: str) -> tuple:
    """(file, its text) a declaration's span is in: the buffer's, or another pack's file on disk."""
    where = Path(span.path).resolve()
    if where == path.resolve():
        return path, text
    try:
        return where, where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return where, ""


def _declared(nodes: list, path: Path, text: str) -> str:
    """Each declaration's first line and where it is, as hover shows them."""
    shown = []
    for node in nodes:
        _file, source = _file_of(node.span, path, text)
        lines = source.replace("\r\n", "\n").split("\n")
        first = lines[node.span.line - 1].strip() if node.span.line <= len(lines) else node.name
        shown.append(f"```\n{first}\n```\n\n{node.span.path}:{node.span.line}")
    return "\n\n---\n\n".join(shown)


def _declarations(items) -> list:
    """Every let, param and def of a pack, at any depth, in source order."""
    from .syntax import ast

    out = []
    for node in items:
        if isinstance(node, (ast.Let, ast.Param, ast.Def)):
            out.append(node)
        body = getattr(node, "body", None)
        if isinstance(body, list):
            out += _declarations(body)
    return out


def _findings(path: Path, text: str) -> tuple:
    """(diagnostics or artifact findings, what to say in the editor's log or None): the work behind
    one publishDiagnostics, run in the worker thread; never raises."""
    try:
        if path.suffix == ".policy":
            return policy_diagnostics(path, text), None
        return artifact_diagnostics(path, text), None
    except (PolicylintError, UsageError) as exc:  # the repository's configuration or packs are wrong: say why
        why = "\n".join(d.headline() for d in exc.diagnostics) if isinstance(exc, PolicylintError) else str(exc)
        return [], f"policylint: {why}"
    except Exception as exc:  # a bug in policylint: say it in the editor, keep serving
        return [], f"policylint: internal error on {path}: {exc!r}"


def build() -> LanguageServer:
    from concurrent.futures import ThreadPoolExecutor

    server = LanguageServer("policylint", __version__, protocol_cls=_Protocol)
    # Evaluations run one at a time in a thread of their own, so the editor's requests are answered
    # meanwhile; `current` holds the version of each open document whose diagnostics are wanted:
    # an evaluation of an older version (or of a closed document) is skipped, or not published.
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policylint-evaluate")
    current: dict = {}

    def path_of(uri: str) -> Path:
        return Path(to_fs_path(uri))

    def readable(ls: LanguageServer, uri: str):
        """The document the editor has open, else the file on disk as pygls reads it; None when it
        is neither (a request about it is answered with nothing, not with a traceback)."""
        document = ls.workspace.get_text_document(uri)
        try:
            document.source
        except (OSError, UnicodeDecodeError):
            return None
        return document

    def policy_document(ls: LanguageServer, uri: str):
        """(document, path) of a `.policy` file that can be read; None for any other file."""
        path = path_of(uri)
        document = readable(ls, uri) if path.suffix == ".policy" else None
        return None if document is None else (document, path)

    async def publish(ls: LanguageServer, uri: str, version) -> None:
        text, path = ls.workspace.get_text_document(uri).source, path_of(uri)

        def job():
            return _findings(path, text) if current.get(uri) == version else None

        done = await asyncio.get_running_loop().run_in_executor(worker, job)
        if done is None or current.get(uri) != version:  # superseded: the newer one publishes
            return
        found, logged = done
        if logged:
            ls.window_log_message(types.LogMessageParams(types.MessageType.Error, logged))
        document = ls.workspace.get_text_document(uri)  # at `version` still: placed in its text
        if path.suffix == ".policy":
            shown = [_lsp_diagnostic(d, path, uri, document) for d in found]
        else:
            shown = [types.Diagnostic(
                range=types.Range(types.Position((line or 1) - 1, 0), types.Position((line or 1) - 1, 10_000)),
                message=message, severity=SEVERITY.get(result.severity, types.DiagnosticSeverity.Error),
                code=result.gate, source="policylint",
                data={"title": result.title, "explain": f"policylint explain {result.gate}"})
                for line, result, message in found]
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=shown,
                                                                            version=version))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams):
        uri = params.text_document.uri
        current[uri] = params.text_document.version
        await publish(ls, uri, current[uri])

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams):
        uri, version = params.text_document.uri, params.text_document.version
        current[uri] = version
        await asyncio.sleep(DEBOUNCE)
        if current.get(uri) == version:  # else a later change publishes
            await publish(ls, uri, version)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams):
        """What was saved may be a pack, the configuration or a file other subjects read: every open
        document is evaluated again (one after another, in the worker)."""
        await asyncio.gather(*(publish(ls, uri, version) for uri, version in list(current.items())))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams):
        current.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: LanguageServer, params: types.DocumentFormattingParams):
        from .fmt import format_source

        found = policy_document(ls, params.text_document.uri)
        if found is None:
            return None
        document, path = found
        try:
            result = format_source(document.source, display(path))
        except PolicylintError:  # what does not parse is not formatted; its diagnostics say why
            return None
        if result == document.source:
            return []
        lines = document.source.split("\n")
        end = types.Position(len(lines) - 1, len(lines[-1]))
        return [types.TextEdit(_client_range(document, types.Range(types.Position(0, 0), end)), result)]

    def markdown(value: str) -> types.Hover:
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams):
        from .check.types import signatures
        from .syntax import ast

        document = readable(ls, params.text_document.uri)
        if document is None:
            return None
        path, text = path_of(params.text_document.uri), document.source
        position = _server_position(document, params.position)
        line, character = position.line, position.character
        finder = _BufferLoader(path, text).scope_at(line, character) if path.suffix == ".policy" else None
        if finder is None or finder.node is None:  # not in an expression: on a gate's id, if anything
            gid = _gate_id_at(path, text, line, character, finder.pack if finder is not None else None)
            explained = _explain(gid, path) if gid else None
            if explained:
                return markdown(f"```text\n{explained}\n```")
        m = _word_at(text, line, character)
        if path.suffix != ".policy" or m is None:
            return None
        if finder is not None and finder.obj is not None:  # a field
            found = (_fields(finder.obj) or {}).get(finder.node.name)
            return markdown(f"```\n{finder.node.name}: {found[0]}\n```\n\n{found[1]}".rstrip()) if found else None
        nodes = _meant(finder)
        if nodes:
            return markdown(_declared(nodes, path, text))
        name = finder.node.func if isinstance(finder and finder.node, ast.Call) else m.group(0)
        signature = signatures().get(name)
        if signature is None:
            return None
        return markdown(f"```\n{signature.usage()}\n```\n\n{signature.doc}".rstrip())

    def location(ls: LanguageServer, uri: str, path: Path, text: str, node) -> types.Location:
        """Where a declaration or gate starts, in the client's units of its own file."""
        where, _source = _file_of(node.span, path, text)
        target = uri if where == path.resolve() else where.as_uri()
        start = types.Position(node.span.line - 1, max(node.span.column - 1, 0))
        return types.Location(target, _client_range(ls.workspace.get_text_document(target), types.Range(start, start)))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LanguageServer, params: types.DefinitionParams):
        from .packs import resolve
        from .syntax import ast

        uri = params.text_document.uri
        found = policy_document(ls, uri)
        if found is None:
            return None
        document, path = found
        text = document.source
        position = _server_position(document, params.position)
        line, character = position.line, position.character
        m = _word_at(text, line, character)
        if m is None:
            return None
        finder = _BufferLoader(path, text).scope_at(line, character)
        if finder is None:
            return None
        for use in (u for u in finder.pack.items if isinstance(u, ast.Use) and u.span.line - 1 == line):
            try:  # the pack a `use` names, as the loader finds it
                target = resolve(use.target, path.parent)
            except PolicylintError:
                return None
            return types.Location(Path(target).resolve().as_uri(), types.Range(types.Position(0, 0),
                                                                               types.Position(0, 0)))
        dotted = _word_at(text, line, character, _DOTTED)
        named = dotted and (finder.imports.gates.get(dotted.group(0)) or finder.imports.lifecycles.get(dotted.group(0)))
        if named is not None:  # `override pack.stage.gate`, `extend pack.lifecycle`: in the used pack
            return location(ls, uri, path, text, named)
        nodes = _meant(finder)
        if not nodes:  # on a declaration's own name: itself
            nodes = [n for n in _declarations(finder.pack.items) if n.span.line - 1 == line and n.name == m.group(0)]
        found = [location(ls, uri, path, text, n) for n in nodes]
        return found[0] if len(found) == 1 else found or None

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
    def code_action(ls: LanguageServer, params: types.CodeActionParams):
        uri = params.text_document.uri
        actions = []
        for d in params.context.diagnostics:
            replace = d.data.get("replace") if isinstance(d.data, dict) else None
            if replace:
                actions.append(types.CodeAction(
                    title=f"Replace with `{replace}`", kind=types.CodeActionKind.QuickFix, diagnostics=[d],
                    is_preferred=True, edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(d.range, replace)]})))
        return actions

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
    def completion(ls: LanguageServer, params: types.CompletionParams):
        from .check.types import signatures
        from .syntax import ast

        found = policy_document(ls, params.text_document.uri)
        if found is None:
            return None
        document, path = found
        text = document.source
        position = _server_position(document, params.position)
        line, character = position.line, position.character
        finder = _probed(path, text, line, character)
        lines = text.split("\n")
        qualifier = re.search(r"([A-Za-z_][A-Za-z0-9_-]*)\.[A-Za-z0-9_]*$", lines[line][:character]) \
            if line < len(lines) else None
        if qualifier is not None:  # after a dot: a used pack's defs, or the fields of the value left of it
            prefix = qualifier.group(1) + "."
            defs = {name[len(prefix):]: nodes[0] for name, nodes in sorted(finder.imports.defs.items())
                    if name.startswith(prefix)} if finder is not None else {}
            if defs:
                items = [types.CompletionItem(label=name, kind=types.CompletionItemKind.Function,
                                              detail=_declared([node], path, text).split("\n")[1])
                         for name, node in defs.items()]
            else:
                fields = _fields(finder.obj) if finder is not None else None
                items = [types.CompletionItem(label=name, kind=types.CompletionItemKind.Field,
                                              detail=str(ftype), documentation=doc)
                         for name, (ftype, doc) in sorted((fields or {}).items())]
            return types.CompletionList(is_incomplete=False, items=items)
        if finder is None:  # no name may be written here: what the pack declares at its top
            finder = _BufferLoader(path, text).scope_at(-1, 0)
        sigs = signatures()
        items = {k: types.CompletionItem(label=k, kind=types.CompletionItemKind.Keyword) for k in _keywords()}
        items.update((name, types.CompletionItem(label=name, kind=types.CompletionItemKind.Function,
                                                 detail=sig.usage(), documentation=sig.doc or None))
                     for name, sig in sorted(sigs.items()))
        for name, value in (finder.visible() if finder is not None else {}).items():
            if isinstance(value, Decl):
                is_def = isinstance(value.node, ast.Def)
                items[name] = types.CompletionItem(
                    label=name, kind=types.CompletionItemKind.Function if is_def else types.CompletionItemKind.Variable,
                    detail=_declared([value.node], path, text).split("\n")[1])
            elif name not in sigs:  # a bound value: a quantifier's element, a def's parameter, the subject
                items[name] = types.CompletionItem(label=name, kind=types.CompletionItemKind.Variable,
                                                   detail=str(value))
        return types.CompletionList(is_incomplete=False, items=list(items.values()))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: LanguageServer, params: types.DocumentSymbolParams):
        from .syntax.parse import parse_policy

        found = policy_document(ls, params.text_document.uri)
        if found is None:
            return None
        document, path = found
        try:
            tree = parse_policy(document.source.replace("\r\n", "\n"), display(path))
        except PolicylintError:
            return []
        return _symbols(tree)

    return server


def serve() -> int:
    build().start_io()
    return 0
