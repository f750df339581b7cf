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

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from . import __version__
from .cli import UsageError
from .config import find_root
from .errors import PolicylintError
from .packs import PackLoader, display
from .repo import Repo

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}
_PROBE = "zz__policylint_probe"  # a field no record has: the checker names the type left of the dot
DEBOUNCE = 0.1  # seconds a change waits: a later change within it replaces it, so typing is evaluated once
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class _BufferLoader(PackLoader):
    """A PackLoader that reads one policy file from the editor's buffer instead of the disk."""

    def __init__(self, path: Path, text: str):
        super().__init__(root=find_root(path.parent))
        self.buffer_path, self.text = path.resolve(), text.replace("\r\n", "\n")  # as _load_path names it

    def _tree(self, source_bytes, source, file_name, shown):
        if shown == display(self.buffer_path):
            source, source_bytes = self.text, self.text.encode("utf-8")
        return super()._tree(source_bytes, source, file_name, shown)


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


def _fields_left_of_dot(path: Path, text: str, line: int, column: int):
    """The fields of the value left of the `.` before the cursor, as the checker types it:
    the partial name is replaced by a field no type has, and PL201 names the type."""
    from .types import PATH_FIELDS, RECORDS

    lines = text.split("\n")
    before = lines[line][:column]
    m = re.search(r"[A-Za-z_)\]][A-Za-z0-9_]*\.([A-Za-z0-9_]*)$", before)
    if not m:
        return None
    after = lines[line][column:]
    rest = after[len(re.match(r"[A-Za-z0-9_]*", after).group(0)):]
    lines[line] = before[:m.start(1)] + _PROBE + rest
    for d in policy_diagnostics(path, "\n".join(lines)):
        if d.code == "PL201" and f"`{_PROBE}`" in d.message:
            name = d.message.rsplit(" on ", 1)[-1]
            if name == "Path":
                return PATH_FIELDS
            record = RECORDS.get(name)
            return record.fields if record is not None else None
    return None


def _word_at(text: str, line: int, column: int):
    """The name under the cursor, as a regex match on its line (None: no name there)."""
    lines = text.split("\n")
    if line >= len(lines):
        return None
    for m in _WORD.finditer(lines[line]):
        if m.start() <= column <= m.end():
            return m
    return None


def _explain_gate(path: Path, text: str, line: int, word: str) -> str | None:
    """What `policylint explain` prints for the gate declared on `line` as `word`, if it knows it."""
    import contextlib
    import io

    from . import cli
    from .syntax import ast
    from .syntax.parse import parse_policy

    if path.suffix != ".policy":
        return None
    try:
        tree = parse_policy(text.replace("\r\n", "\n"), display(path))
    except PolicylintError:
        return None
    ids = [f"{tree.name}.{g.name}" for g in tree.items if isinstance(g, ast.Gate) and g.span.line - 1 == line]
    for item in tree.items:
        for stage in getattr(item, "stages", []) if isinstance(item, (ast.Lifecycle, ast.Extend)) else []:
            ids += [f"{tree.name}.{stage.name}.{g.name}" for g in stage.body
                    if isinstance(g, ast.Gate) and g.span.line - 1 == line]
    for gid in ids:
        if gid.rsplit(".", 1)[-1] != word:
            continue
        out = io.StringIO()
        try:
            args = cli.build_parser("explain").parse_args(["explain", gid, "--root", str(find_root(path.parent))])
            with contextlib.redirect_stdout(out):
                cli.cmd_explain(args)
        except (cli.UsageError, PolicylintError, SystemExit):
            return None
        return out.getvalue().rstrip()
    return None


def _def_source(path: Path, text: str, word: str) -> str | None:
    """Where the def `word` the policy calls is declared, with its declaring line: the pack's
    own first, then those of the packs it `use`s (read as the loader finds them)."""
    from .packs import resolve
    from .syntax import ast
    from .syntax.parse import parse_policy

    try:
        tree = parse_policy(text.replace("\r\n", "\n"), display(path))
    except PolicylintError:
        return None
    sources = [(display(path), text, tree.items)]
    for use in (u for u in tree.items if isinstance(u, ast.Use)):
        try:
            target = resolve(use.target, path.parent)
            source = target.read_text(encoding="utf-8")
            sources.append((display(target), source, parse_policy(source.replace("\r\n", "\n"), display(target)).items))
        except (PolicylintError, OSError):
            continue
    for shown, source, items in sources:
        for node in _declarations(items):
            if isinstance(node, ast.Def) and node.name == word:
                declared = source.replace("\r\n", "\n").split("\n")[node.span.line - 1].strip()
                return f"```\n{declared}\n```\n\n{shown}:{node.span.line}"
    return None


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


def build() -> LanguageServer:
    server = LanguageServer("policylint", __version__, protocol_cls=_Protocol)

    def path_of(uri: str) -> Path:
        return Path(to_fs_path(uri))

    def publish(ls: LanguageServer, uri: str) -> None:
        document = ls.workspace.get_text_document(uri)
        path = path_of(uri)
        try:
            if path.suffix == ".policy":
                found = [_lsp_diagnostic(d, path, uri, document) for d in policy_diagnostics(path, document.source)]
            else:
                found = []
                for line, result, message in artifact_diagnostics(path, document.source):
                    row = (line or 1) - 1
                    found.append(types.Diagnostic(
                        range=types.Range(types.Position(row, 0), types.Position(row, 10_000)), message=message,
                        severity=SEVERITY.get(result.severity, types.DiagnosticSeverity.Error), code=result.gate,
                        source="policylint", data={"title": result.title,
                                                   "explain": f"policylint explain {result.gate}"}))
        except (PolicylintError, UsageError) as exc:  # the repository's configuration or packs are wrong: say why
            why = "\n".join(d.headline() for d in exc.diagnostics) if isinstance(exc, PolicylintError) else str(exc)
            ls.window_log_message(types.LogMessageParams(types.MessageType.Error, f"policylint: {why}"))
            found = []
        except Exception as exc:  # a bug in policylint: say it in the editor, keep serving
            ls.window_log_message(types.LogMessageParams(types.MessageType.Error,
                                                         f"policylint: internal error on {path}: {exc!r}"))
            found = []
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=found,
                                                                            version=document.version))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams):
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams):
        uri, version = params.text_document.uri, params.text_document.version
        await asyncio.sleep(DEBOUNCE)
        if ls.workspace.get_text_document(uri).version == version:  # else a later change publishes
            publish(ls, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams):
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams):
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: LanguageServer, params: types.DocumentFormattingParams):
        from .fmt import format_source

        document = ls.workspace.get_text_document(params.text_document.uri)
        path = path_of(params.text_document.uri)
        if path.suffix != ".policy":
            return None
        try:
            result = format_source(document.source, display(path))
        except PolicylintError:  # what does not parse is not formatted; its diagnostics say why
            return None
        if result == document.source:
            return []
        lines = document.source.split("\n")
        end = types.Position(len(lines) - 1, len(lines[-1]))
        return [types.TextEdit(_client_range(document, types.Range(types.Position(0, 0), end)), result)]

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams):
        from .check.types import signatures

        document = ls.workspace.get_text_document(params.text_document.uri)
        position = _server_position(document, params.position)
        line = position.line
        m = _word_at(document.source, line, position.character)
        if m is None:
            return None
        explained = _explain_gate(path_of(params.text_document.uri), document.source, line, m.group(0))
        if explained:
            return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                            value=f"```text\n{explained}\n```"))
        if m.start() > 0 and document.source.split("\n")[line][m.start() - 1] == ".":  # a field
            fields = _fields_left_of_dot(path_of(params.text_document.uri), document.source, line, m.start()) or {}
            if m.group(0) not in fields:
                return None
            ftype, doc = fields[m.group(0)]
            text = f"```\n{m.group(0)}: {ftype}\n```\n\n{doc}".rstrip()
        else:
            signature = signatures().get(m.group(0))
            if signature is not None:
                text = f"```\n{signature.usage()}\n```\n\n{signature.doc}".rstrip()
            else:
                text = _def_source(path_of(params.text_document.uri), document.source, m.group(0))
                if text is None:
                    return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LanguageServer, params: types.DefinitionParams):
        from .syntax.parse import parse_policy

        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        path = path_of(uri)
        position = _server_position(document, params.position)
        m = _word_at(document.source, position.line, position.character)
        if path.suffix != ".policy" or m is None:
            return None
        try:
            tree = parse_policy(document.source.replace("\r\n", "\n"), display(path))
        except PolicylintError:
            return None
        from .packs import resolve
        from .syntax import ast

        for use in (u for u in tree.items if isinstance(u, ast.Use) and u.span.line - 1 == position.line):
            try:  # the pack a `use` names, as the loader finds it
                target = resolve(use.target, path.parent)
            except PolicylintError:
                return None
            return types.Location(Path(target).resolve().as_uri(), types.Range(types.Position(0, 0),
                                                                               types.Position(0, 0)))
        found = [n for n in _declarations(tree.items) if n.name == m.group(0)]
        before = [n for n in found if n.span.line - 1 <= position.line]
        if not found:
            return None
        node = (before or found)[-1]  # the nearest declaration above, as the reader would look
        start = types.Position(node.span.line - 1, max(node.span.column - 1, 0))
        return types.Location(uri, _client_range(document, types.Range(start, start)))

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

        document = ls.workspace.get_text_document(params.text_document.uri)
        path = path_of(params.text_document.uri)
        position = _server_position(document, params.position)
        fields = _fields_left_of_dot(path, document.source, position.line, position.character)
        if fields is not None:
            items = [types.CompletionItem(label=name, kind=types.CompletionItemKind.Field,
                                          detail=str(ftype), documentation=doc)
                     for name, (ftype, doc) in sorted(fields.items())]
            return types.CompletionList(is_incomplete=False, items=items)
        from .syntax import ast
        from .syntax.parse import parse_policy

        items = [types.CompletionItem(label=k, kind=types.CompletionItemKind.Keyword) for k in _keywords()]
        try:  # the lets, params and defs the pack declares (none while the text does not parse)
            declared = _declarations(parse_policy(document.source.replace("\r\n", "\n"), display(path)).items)
        except PolicylintError:
            declared = []
        items += [types.CompletionItem(label=name, kind=kind) for name, kind in dict.fromkeys(
            (n.name, types.CompletionItemKind.Function if isinstance(n, ast.Def) else types.CompletionItemKind.Variable)
            for n in declared)]
        items += [types.CompletionItem(label=name, kind=types.CompletionItemKind.Function, detail=sig.usage(),
                                       documentation=sig.doc or None)
                  for name, sig in sorted(signatures().items())]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: LanguageServer, params: types.DocumentSymbolParams):
        from .syntax.parse import parse_policy

        document = ls.workspace.get_text_document(params.text_document.uri)
        path = path_of(params.text_document.uri)
        if path.suffix != ".policy":
            return None
        try:
            tree = parse_policy(document.source.replace("\r\n", "\n"), display(path))
        except PolicylintError:
            return []
        return _symbols(tree)

    return server


def serve() -> int:
    build().start_io()
    return 0
