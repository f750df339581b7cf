"""`policylint fmt`: one canonical layout for policy files.

Like gofmt and black, there is one layout and no options. Formatting is idempotent, keeps
every comment, and never changes what a policy means: the output is parsed again and must
give the same AST as the input (spans aside) and format to itself, or the file is left
alone with an internal error (PL900). A file that does not parse is never formatted: the
usual syntax diagnostic is raised.

The layout:

- **Indentation**: 2 spaces per block. One statement per line; `{` ends the line that opens
  a block and `}` stands on its own line. An empty block is `{}`.
- **Blank lines**: one between top-level items, except within a run of the same one-line
  declaration (`use`, `param`, `def`, `let`), which keeps the author's blank lines; one
  around each stage. Elsewhere (between gates, lets, requires, claims) the author's blank
  lines are kept, at most one. None after `{`, before `}` or at the top of the file; the
  file ends with one newline.
- **Spaces**: one around binary operators and keywords, after commas and after a
  quantifier's `:`; none inside brackets and parentheses, before `(` of a call, after a
  unary `-`, around `.`.
- **Literals** are written exactly as in the source: strings (escapes and `{…}`
  interpolations untouched), regexes, numbers, percents, dates.
- **Parentheses** the author wrote around an operand are kept (`(a or b) and c`,
  `not (x matches /y/)`), even where precedence makes them optional: they are the
  author's reading aid. Removed are only those that can never matter: around a name,
  literal, list, call, field or index; doubled ones `((…))`; and those around a whole
  statement expression, argument, list item, index or quantifier body.
- **Line breaks** in an expression are the author's, at the places a long expression
  reads well: before a binary operator (`and`, `or`, `+`, `==`, `in`, …; a break after
  one moves before it), before `where`, after a quantifier's `:`, after the `=` of a
  `def`, `let` or `param`. A break anywhere else in an expression is removed. A statement
  that still runs past 100 columns is broken at those places too, the outermost first
  (the `=`, a quantifier's `:`, the operators of the outermost chain), each time at the
  last one that leaves the line within 100 columns, until every line fits or no such
  place is left; breaks that would leave as many lines too long are not made (a long
  string, regex, or list written on one line may exceed the width). A continuation line is
  indented 4 more than the line its expression starts on; a chain of operands
  (`a and b and c`, `x + y - z`) that itself begins a line keeps them aligned.
  A list or argument list written over several lines, or with a trailing comma, gets one
  item per line, indented 2, each with a trailing comma; otherwise it is joined on one line.
- **`else "message"`** follows the require on its line when the require is one line and
  the whole fits in 100 columns; otherwise it starts the next line, indented 2 more than
  `require` (so it never lines up with a continuation line, which is indented 4).
- **Gate header**: `gate name "Title" severity unwaivable when …`, options in that order;
  `when …` moves to the next line, indented 4, when the header would not fit in 100
  columns on one line.
- **Comments** are kept, their text unchanged (trailing spaces trimmed). A comment on a
  line of its own stays above the line holding the code that followed it, at that line's
  indentation (so `##` doc comments stay directly above their gate); the author's blank
  lines around it are kept, at most one. A comment after code stays at the end of the
  line that now holds that code, two spaces after it.
- A file with CRLF line ends keeps them.

One layout fmt refuses (PL900, file untouched): a `##` doc comment above a line holding two
gates documents both, which no one-gate-per-line layout can keep.

How: the printer walks Lark's concrete tree of the same grammar (every token kept, so
parentheses, commas, braces and the header are there as written), with the comments the
grammar ignores collected by a lexer callback and attached to the token before them on
their line (trailing) or the token after them (own line). The AST stays the judge of
meaning: `shape(parse_policy(before)) == shape(parse_policy(after))` on every run.
"""
from __future__ import annotations

import difflib
import threading
from functools import lru_cache

from .diagnostics import Diagnostic, Span
from .errors import PolicylintError
from .structs import field, struct

WIDTH = 100
INDENT = 2  # per block
CONTINUATION = 4  # a broken expression's next line
ELSE_INDENT = 2  # `else "…"` on a line of its own
WHEN_INDENT = 4  # `when …` on a line of its own (the gate body is at 2)
BRACKET_INDENT = 2  # items of a list or argument list written one per line

_DECLARATIONS = {"use", "param", "definition", "let", "override"}
_PRIMARY = {"name", "string", "number", "percent", "date", "regex", "true", "false", "null", "list", "field",
            "index", "call"}
_BINARY = {"or_", "and_", "compare", "arith", "in_", "not_in", "contains", "contains_all", "contains_any", "matches"}
_CHAINS = {"or_", "and_", "arith"}  # left-associative: `a + b - c` is one chain of operands
_OPTION_ORDER = {"severity": 0, "unwaivable": 1, "when": 2}

_lock = threading.Lock()
_comment_sink: list = []


# ---- the public API --------------------------------------------------------------------------
def format_source(source: str, path: str) -> str:
    """The canonical layout of a policy file; PolicylintError when it does not parse."""
    from .syntax.parse import parse_policy

    crlf = source.split("\n", 1)[0].endswith("\r")
    text = source.replace("\r\n", "\n")
    before = parse_policy(text, path)  # the syntax diagnostic, if any: never format what does not parse
    try:
        result = _format(text)
    except PolicylintError as exc:  # parentheses nested too deep: the error, placed in this file
        from .structs import replace

        raise PolicylintError([replace(d, span=replace(d.span, path=path)) for d in exc.diagnostics]) from None
    except _Refusal as exc:
        raise PolicylintError(Diagnostic("PL900", f"cannot format `{path}`: {exc.message}",
                                         Span(path, exc.line, 1))) from None
    try:
        after = parse_policy(result, path)
    except PolicylintError as exc:
        raise _internal(path, f"the formatted text does not parse ({exc.diagnostics[0].headline()})") from None
    if shape(before) != shape(after):
        raise _internal(path, "formatting would change the policy's meaning")
    if _format(result) != result:
        raise _internal(path, "formatting is not stable on this file")
    return result.replace("\n", "\r\n") if crlf else result


def shape(node):
    """An AST as nested tuples without spans, source text or path: what two layouts must share."""
    from .structs import fields, is_struct

    if isinstance(node, (list, tuple)):
        return tuple(shape(n) for n in node)
    if isinstance(node, Span):
        return None
    if is_struct(node):
        return (type(node).__name__,) + tuple(
            (f.name, shape(getattr(node, f.name))) for f in fields(node)
            if f.name not in ("path", "source") and not isinstance(getattr(node, f.name), Span))
    return node


class _Refusal(Exception):
    """A layout fmt cannot reproduce without changing what the policy means."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _internal(path: str, why: str) -> PolicylintError:
    return PolicylintError(Diagnostic("PL900", f"cannot format `{path}`: {why}; the file is left unchanged",
                                      Span(path, 1, 1), "this is a bug in policylint fmt: please report it "
                                                        "with the file"))


# ---- files: what `policylint fmt` and `fmt --check` do -------------------------------------------
def run(files: list, check: bool, out, err) -> int:
    """Format `files` in place (only those that change, atomically), or with `check` print a
    unified diff of each file that would change. 0 all done / nothing to change, 1 with
    `check` when a file would change, 2 when a file could not be read or parsed."""
    changed = unchanged = failed = 0
    for path in files:
        try:
            old = _read(path)
            new = format_source(old, path)
        except PolicylintError as exc:
            failed += 1
            for diag in exc.diagnostics:
                err.write(diag.render(_source_or_none(path)) + "\n\n")
            err.write(f"error: cannot format {path}\n")
            continue
        if new == old:
            unchanged += 1
            continue
        changed += 1
        if check:
            out.write(unified_diff(old, new, path))
            out.write(f"would reformat {path}\n")
        else:
            try:
                _write_atomic(path, new)
            except OSError as exc:
                failed, changed = failed + 1, changed - 1
                err.write(f"error: cannot write {path}: {exc.strerror}\n")
                continue
            out.write(f"reformatted {path}\n")
    out.write(_summary(changed, unchanged, failed, check) + "\n")
    if failed:
        return 2
    return 1 if check and changed else 0


def _summary(changed: int, unchanged: int, failed: int, check: bool) -> str:
    def n(count, what):
        return f"{count} file{'s' if count != 1 else ''} {what}"

    parts = []
    if changed:
        parts.append(n(changed, "would be reformatted" if check else "reformatted"))
    if unchanged or not (changed or failed):
        parts.append(n(unchanged, "would be left unchanged" if check else "left unchanged"))
    if failed:
        parts.append(n(failed, "could not be formatted"))
    return ", ".join(parts)


def unified_diff(old: str, new: str, path: str) -> str:
    lines = []
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     f"{path}\t(original)", f"{path}\t(formatted)"):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def _read(path: str) -> str:
    from .repo import read_regular

    try:
        data = read_regular(path)
    except OSError as exc:
        raise PolicylintError(Diagnostic("PL200", f"cannot read `{path}`: {exc.strerror}")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise PolicylintError(Diagnostic("PL200", f"`{path}` is not UTF-8 text; fmt leaves it alone",
                                         Span(path, line, 1))) from None


def _source_or_none(path: str):
    from .repo import read_regular

    try:
        return read_regular(path).decode("utf-8", errors="replace").replace("\r\n", "\n")
    except OSError:
        return None


def _write_atomic(path: str, text: str) -> None:
    """Write beside the file, then rename over it: a reader never sees half a policy, and a
    policy file that is a symlink is refused, never written through."""
    from .fsutil import write_text

    write_text(path, text, newline="")


# ---- parsing: the concrete tree and the comments ---------------------------------------------
@lru_cache(maxsize=1)
def _cst_parser():
    """The policy grammar keeping every token (parentheses, commas, braces), and calling back
    on each comment the grammar otherwise ignores."""
    import lark

    from .syntax.parse import GRAMMAR_PATH

    return lark.Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="contextual", start="start",
                     maybe_placeholders=True, keep_all_tokens=True, cache=False,
                     lexer_callbacks={"COMMENT": _comment_sink.append})


@struct
class _Comment:
    text: str
    line: int
    blank: int = 0  # 1 when the author left a blank line above it


def _parse(text: str):
    from .syntax.parse import refuse_deep_nesting

    with _lock:
        _comment_sink.clear()
        tree = _cst_parser().parse(text)
        comments = [_Comment(str(c).rstrip(), c.line) for c in _comment_sink]
        _comment_sink.clear()
    refuse_deep_nesting(tree, "")  # parentheses too: the layout recurses into each pair
    return tree, comments


def _is_tok(node) -> bool:
    from lark import Token

    return isinstance(node, Token)


def _first(node):
    if _is_tok(node):
        return node
    for child in node.children:
        if child is not None:
            found = _first(child)
            if found is not None:
                return found
    return None


def _last(node):
    if _is_tok(node):
        return node
    for child in reversed(node.children):
        if child is not None:
            found = _last(child)
            if found is not None:
                return found
    return None


def _broken(a, b) -> bool:
    """Did the author put a line break between node `a` and node `b`?"""
    return _first(b).line > _last(a).end_line


class _Notes:
    """Comments and blank lines, attached to the tokens of the concrete tree by position."""

    def __init__(self, tree, comments: list):
        tokens = list(_tokens(tree))
        self.lead: dict = {}  # token start -> own-line comments above it
        self.trail: dict = {}  # token start -> comments after it on its line
        self.blank: dict = {}  # token start -> 1 when a blank line precedes it (after any comment)
        events = sorted([(t.line, t.column, 1, t) for t in tokens] + [(c.line, 0, 0, c) for c in comments],
                        key=lambda e: (e[0], -e[2], e[1]))  # a comment ends its line: after its tokens
        prev_line, prev_tok, pending = 0, None, []
        for line, _, is_tok, item in events:
            if is_tok:
                self.lead[item.start_pos] = pending
                pending = []
                self.blank[item.start_pos] = int(line - prev_line > 1)
                prev_line, prev_tok = item.end_line, item
            elif prev_tok is not None and prev_tok.end_line == line:
                self.trail.setdefault(prev_tok.start_pos, []).append(item)
            else:
                item.blank = int(line - prev_line > 1)
                pending.append(item)
                prev_line = line
        self.eof = pending
        self._keep_docs(tree, comments)

    def _keep_docs(self, tree, comments: list) -> None:
        """A gate's doc is the run of `##` lines right above the line of its name (see
        syntax/parse.py), whatever starts that line (`stage s { gate a …`): the run is moved
        to the end of the `gate` keyword's comments, so it is printed right above the gate,
        and `docs` remembers it so that no other `##` comment joins it there."""
        self.docs: dict = {}
        own = {c.line: c for owner in self.lead.values() for c in owner}
        owner_of = {id(c): owner for owner in self.lead.values() for c in owner}
        for gate in tree.iter_subtrees_topdown():
            if gate.data != "gate":
                continue
            keyword, name = gate.children[0], gate.children[1]
            run, n = [], name.line - 1
            while n in own and own[n].text.lstrip().startswith("##"):
                if id(own[n]) not in owner_of:
                    raise _Refusal(name.line, "the `##` doc comment above this line documents two gates, and "
                                              "a layout with one gate per line cannot keep that; give each gate "
                                              "its own line and doc comment")
                run.insert(0, own[n])
                n -= 1
            target = self.lead.setdefault(keyword.start_pos, [])
            if run and [id(c) for c in target[-len(run):]] != [id(c) for c in run]:
                for c in run:
                    owner_of[id(c)].remove(c)
                    target.append(c)
                self.blank[keyword.start_pos] = 0
            for c in run:
                owner_of.pop(id(c))
            self.docs[keyword.start_pos] = run

    def preserved_blank(self, node) -> int:
        """The author's blank line before a statement (above its comments), at most one."""
        tok = _first(node)
        lead = self.lead.get(tok.start_pos)
        return lead[0].blank if lead else self.blank.get(tok.start_pos, 0)


def _tokens(node):
    if _is_tok(node):
        yield node
        return
    for child in node.children:
        if child is not None:
            yield from _tokens(child)


# ---- the output: lines of text holding the tokens whose comments they carry ------------------
@struct
class _Line:
    indent: int
    blank: int = 0  # blank lines above the line and its comments
    stmt: bool = False  # begins a statement: the author's blank lines between its comments stay
    close: bool = False  # a closing brace: no blank line between its comments and it
    comment_indent: int | None = None
    parts: list = field(default_factory=list)
    toks: list = field(default_factory=list)
    eof: bool = False


class _Out:
    def __init__(self):
        self.lines: list = []

    def line(self, indent: int, **kw) -> None:
        self.lines.append(_Line(indent, **kw))

    @property
    def cur(self) -> _Line:
        return self.lines[-1]

    def text(self, s: str) -> None:
        self.cur.parts.append(s)

    def tok(self, token) -> None:
        self.cur.toks.append(token)
        self.cur.parts.append(str(token))

    def ghost(self, token) -> None:
        """A token left out of the output (a redundant parenthesis, a trailing comma): its
        comments still belong on this line."""
        self.cur.toks.append(token)

    def at_line_start(self) -> bool:
        return not self.cur.parts

    def width(self) -> int:
        return self.cur.indent + sum(len(p) for p in self.cur.parts)


# ---- the printer -----------------------------------------------------------------------------
@struct
class _Place:
    """A place a line may break that the printer passed over: the token it breaks at, the
    output line and column it is at, and how deep in the expression (0: the statement's)."""
    key: tuple
    line: int
    column: int
    depth: int


_BLOCKS = {"gate", "lifecycle", "stage", "extend"}  # statements whose own statements fit themselves


def _format(text: str) -> str:
    tree, comments = _parse(text)
    printer = _Printer(_Notes(tree, comments))
    printer.file(tree)
    return printer.render()


class _Printer:
    def __init__(self, notes: _Notes):
        self.notes = notes
        self.out = _Out()
        self.forced: set = set()  # tokens (start positions) a break goes at, to keep within WIDTH
        self.places: list = []  # _Place: where the statement being printed could break
        self.depth = 0
        self.bracketed = 0  # inside how many argument lists and list literals

    # -- statements ----------------------------------------------------------------------------
    def file(self, tree) -> None:
        prev = None
        for item in tree.children:
            if item is None:
                continue
            if prev is None:
                blank = 0
            elif prev.data == item.data and item.data in _DECLARATIONS:
                blank = self.notes.preserved_blank(item)
            else:
                blank = 1
            self.statement(item, 0, blank)
            prev = item
        if self.notes.eof:
            self.out.line(0, blank=min(1, self.notes.eof[0].blank) if prev is not None else 0, eof=True)

    def statement(self, node, indent: int, blank: int) -> None:
        """Print one statement; while one of its lines runs past WIDTH, break it at one more of
        the places a break reads well (see `_fit`) and print it again. Breaks that leave as
        many lines too long as before (a long string or regex) are not kept."""
        start = len(self.out.lines)
        added: list = []
        before = None
        while True:
            self._print(node, indent, blank)
            if node.data in _BLOCKS:
                return
            if before is None:
                before = len(self._too_long(start))
            key = self._fit(start)
            if key is None:
                break
            added.append(key)
            self.forced.add(key)
            del self.out.lines[start:]
        if added and len(self._too_long(start)) >= before:
            self.forced.difference_update(added)
            del self.out.lines[start:]
            self._print(node, indent, blank)

    def _print(self, node, indent: int, blank: int) -> None:
        self.places = []
        self.out.line(indent, blank=blank, stmt=True)
        method = getattr(self, "s_" + node.data, None)
        if method is None:
            self.words(node)
        else:
            method(node, indent)

    def _too_long(self, start: int) -> list:
        lines = self.out.lines
        return [i for i in range(start, len(lines)) if lines[i].indent + sum(map(len, lines[i].parts)) > WIDTH]

    def _fit(self, start: int):
        """The place of one more break, on the first line from `start` that runs past WIDTH
        and has one: the outermost there, and of those the last that leaves the line within
        WIDTH (else the first). None when every line fits or no place is left."""
        for over in self._too_long(start):
            here = [p for p in self.places if p.line == over]
            if here:
                top = min(p.depth for p in here)
                outermost = [p for p in here if p.depth == top]
                fitting = [p for p in outermost if p.column <= WIDTH]
                return (fitting[-1] if fitting else outermost[0]).key
        return None

    def _breaks(self, at, before, after) -> bool:
        """Does a line break go at token `at`, between nodes `before` and `after`: the author's,
        or one chosen to keep within WIDTH? When not, the place is noted for `_fit`."""
        if _broken(before, after) or at.start_pos in self.forced:
            return True
        if not self.bracketed:  # inside `f(…)` or `[…]` the items break, one a line, as the author wrote
            self.places.append(_Place(at.start_pos, len(self.out.lines) - 1, self.out.width(), self.depth))
        return False

    def _value(self, eq, value, indent: int) -> None:
        """` = value`, the value on the next line (indented 4) after a break at the `=`."""
        self.out.text(" ")
        self.out.tok(eq)
        if self._breaks(eq, eq, value):
            self.out.line(indent + CONTINUATION)
        else:
            self.out.text(" ")
        self.expr(value, slot=True)

    def block(self, open_tok, items: list, close_tok, indent: int, kind: str) -> None:
        """` {` + one statement per line at indent + 2 + `}`; `{}` when there is nothing inside."""
        out = self.out
        out.text(" ")
        out.tok(open_tok)
        if not items and not self.notes.lead.get(close_tok.start_pos):
            out.tok(close_tok)
            return
        prev = None
        for item in items:
            if prev is None:
                blank = 0
            elif kind == "lifecycle" and "stage" in (prev.data, item.data):
                blank = 1
            else:
                blank = self.notes.preserved_blank(item)
            self.statement(item, indent + INDENT, blank)
            prev = item
        lead = self.notes.lead.get(close_tok.start_pos)
        out.line(indent, blank=lead[0].blank if lead and prev is not None else 0, stmt=True, close=True,
                 comment_indent=indent + INDENT)
        out.tok(close_tok)

    def words(self, node) -> None:
        """Tokens and expressions separated by one space (the header, and any rule the
        printer does not know: the AST comparison still guards its meaning)."""
        first = True
        for child in node.children:
            if child is None:
                continue
            if not first:
                self.out.text(" ")
            first = False
            if _is_tok(child):
                self.out.tok(child)
            else:
                self.expr(child, slot=True)

    def s_header(self, node, indent) -> None:
        self.words(node)

    def s_use(self, node, indent) -> None:
        self.tokens(node)

    def s_override(self, node, indent) -> None:
        self.tokens(node)

    def tokens(self, node) -> None:
        """A statement of tokens only, one space between them, none around the dots of a gate id."""
        previous = None
        for tok in _tokens(node):
            if previous is not None and str(tok) != "." and str(previous) != ".":
                self.out.text(" ")
            self.out.tok(tok)
            previous = tok

    def s_param(self, node, indent) -> None:
        keyword, name, eq, value = node.children
        self.out.tok(keyword)
        self.out.text(" ")
        self.out.tok(name)
        self._value(eq, value, indent)

    s_let = s_param

    def s_definition(self, node, indent) -> None:
        out = self.out
        children = [c for c in node.children if c is not None]
        out.tok(children[0])
        out.text(" ")
        out.tok(children[1])
        i = 2
        while str(children[i]) != ")":
            out.tok(children[i])
            if str(children[i]) == ",":
                out.text(" ")
            i += 1
        out.tok(children[i])  # )
        self._value(children[i + 1], children[i + 2], indent)

    def s_claims(self, node, indent) -> None:
        keyword, *rest = [c for c in node.children if c is not None]
        self.out.tok(keyword)
        self.out.text(" ")
        self.sequence(rest)

    def sequence(self, items: list) -> None:
        """`a, b, c` on one line."""
        for item in items:
            if _is_tok(item):  # ,
                self.out.tok(item)
                self.out.text(" ")
            else:
                self.expr(item, slot=True)

    def s_lifecycle(self, node, indent) -> None:
        children = [c for c in node.children if c is not None]
        keyword, name, in_tok, domain, open_tok = children[:5]
        out = self.out
        out.tok(keyword)
        out.text(" ")
        out.tok(name)
        out.text(" ")
        out.tok(in_tok)
        out.text(" ")
        self.expr(domain, slot=True)
        self.block(open_tok, children[5:-1], children[-1], indent, "lifecycle")

    def s_extend(self, node, indent) -> None:
        children = [c for c in node.children if c is not None]
        keyword, pack, dot, name, open_tok = children[:5]
        out = self.out
        out.tok(keyword)
        out.text(" ")
        for tok in (pack, dot, name):
            out.tok(tok)
        self.block(open_tok, children[5:-1], children[-1], indent, "lifecycle")

    def s_stage(self, node, indent) -> None:
        children = [c for c in node.children if c is not None]
        keyword, name = children[:2]
        self.out.tok(keyword)
        self.out.text(" ")
        self.out.tok(name)
        rest = children[2:]
        if not _is_tok(rest[0]):  # `as "L2", "Level 2"`
            for tok in rest[0].children:
                self.out.text("" if str(tok) == "," else " ")
                self.out.tok(tok)
            rest = rest[1:]
        self.block(rest[0], rest[1:-1], rest[-1], indent, "stage")

    def s_gate(self, node, indent) -> None:
        children = [c for c in node.children if c is not None]
        brace = next(i for i, c in enumerate(children) if _is_tok(c) and str(c) == "{")
        head, items, close_tok = children[:brace], children[brace + 1:-1], children[-1]
        out = self.out
        out.tok(head[0])  # gate
        out.text(" ")
        out.tok(head[1])  # name
        rest = head[2:]
        if rest and _is_tok(rest[0]):  # the title
            out.text(" ")
            out.tok(rest[0])
            rest = rest[1:]
        closing = " {}" if not items and not self.notes.lead.get(close_tok.start_pos) else " {"
        for option in sorted(rest, key=lambda o: _OPTION_ORDER.get(o.data, 3)):
            if option.data != "when":
                out.text(" ")
                self.words(option)
                continue
            keyword, condition = option.children
            flat = self.flat(condition)
            if flat is not None and out.width() + len(" when ") + len(flat) + len(closing) <= WIDTH:
                out.text(" ")
            else:
                out.line(indent + WHEN_INDENT)
            out.tok(keyword)
            out.text(" ")
            self.expr(condition, slot=True)
        self.block(children[brace], items, close_tok, indent, "gate")

    def s_require(self, node, indent) -> None:
        keyword, expr, *rest = node.children
        out = self.out
        lines = len(out.lines)
        out.tok(keyword)
        out.text(" ")
        self.expr(expr, slot=True)
        fix = next((c for c in rest if c is not None and not _is_tok(c) and c.data == "fix"), None)
        rest = [c for c in rest if c is not fix]
        else_tok, message = (rest + [None, None])[:2]
        if else_tok is not None:
            self.s_else(else_tok, message, lines, indent)
        if fix is not None:  # `fix TEXT to NEW` on a line of its own, under `else`
            fix_tok, target, to_tok, replacement = fix.children
            out.line(indent + ELSE_INDENT)
            out.tok(fix_tok)
            out.text(" ")
            self.expr(target, slot=True)
            out.text(" ")
            out.tok(to_tok)
            out.text(" ")
            self.expr(replacement, slot=True)

    def s_else(self, else_tok, message, lines: int, indent) -> None:
        out = self.out
        strings = message.children
        if len(strings) == 1 and len(out.lines) == lines and \
                out.width() + len(" else ") + len(str(strings[0])) <= WIDTH:
            out.text(" ")
        else:
            out.line(indent + ELSE_INDENT)
        out.tok(else_tok)
        out.text(" ")
        out.tok(strings[0])
        for string in strings[1:]:  # one string a line, under the first
            out.line(indent + ELSE_INDENT + len("else "))
            out.tok(string)

    # -- expressions ----------------------------------------------------------------------------
    def flat(self, node) -> str | None:
        """The expression's text when it stays on one line, else None."""
        saved, places, self.out = self.out, self.places, _Out()
        try:
            self.out.line(0)
            self.expr(node, slot=True)
            return "".join(self.out.cur.parts) if len(self.out.lines) == 1 else None
        finally:
            self.out, self.places = saved, places

    def expr(self, node, slot: bool = False) -> None:
        """Write an expression; `slot` says it stands alone (a statement's expression, an
        argument, an item, an index, a quantifier's body), where parentheses never matter."""
        if _is_tok(node):
            self.out.tok(node)
            return
        self.depth += 1
        try:
            self._expr(node, slot)
        finally:
            self.depth -= 1

    def _expr(self, node, slot: bool) -> None:
        kind = node.data
        if kind == "atom":
            self.parens(node, slot)
        elif kind in _BINARY:
            self.chain(node)
        elif kind == "not_":
            self.out.tok(node.children[0])
            self.out.text(" ")
            self.expr(node.children[1])
        elif kind == "neg":
            self.out.tok(node.children[0])
            self.expr(node.children[1])
        elif kind == "field":
            obj, dot, name = node.children
            self.expr(obj)
            self.out.tok(dot)
            self.out.tok(name)
        elif kind == "index":
            obj, open_tok, key, close_tok = node.children
            self.expr(obj)
            self.out.tok(open_tok)
            self.expr(key, slot=True)
            self.out.tok(close_tok)
        elif kind == "call":
            children = [c for c in node.children if c is not None]
            self.expr(children[0])
            self.brackets(children[1], children[2:-1], children[-1])
        elif kind == "list":
            children = [c for c in node.children if c is not None]
            self.brackets(children[0], children[1:-1], children[-1])
        elif kind == "where":
            self.where(node)
        elif kind == "quantified":
            self.quantified(node)
        elif kind == "conditional":
            if_tok, cond, then_tok, then, else_tok, other = node.children
            for i, part in enumerate((if_tok, cond, then_tok, then, else_tok, other)):
                if i:
                    self.out.text(" ")
                if _is_tok(part):
                    self.out.tok(part)
                else:
                    self.expr(part, slot=i in (3, 5))
        elif len(node.children) == 1 and _is_tok(node.children[0]):  # name, string, number, regex …
            self.out.tok(node.children[0])
        else:
            self.words(node)

    def parens(self, node, slot: bool) -> None:
        outer = [node.children[0]], [node.children[2]]
        inner = node.children[1]
        while not _is_tok(inner) and inner.data == "atom":  # ((x)) -> (x)
            outer[0].append(inner.children[0])
            outer[1].insert(0, inner.children[2])
            inner = inner.children[1]
        keep = not slot and not (not _is_tok(inner) and inner.data in _PRIMARY)
        opens, closes = outer
        if keep:
            self.out.tok(opens[0])
            opens = opens[1:]
        for tok in opens:
            self.out.ghost(tok)
        self.expr(inner, slot=True)
        if keep:
            closes, last = closes[:-1], closes[-1]
        for tok in closes:
            self.out.ghost(tok)
        if keep:
            self.out.tok(last)

    def chain(self, node) -> None:
        """`a and b or c`, `x + y - z`, `n >= 1`: a binary operator, or a run of left-associative
        ones of one precedence; the author's break before (or after) an operator is kept, as a
        break before it."""
        operands, ops = [], []

        def same_level(n) -> bool:
            return (not _is_tok(n) and n.data == node.data and node.data in _CHAINS
                    and (node.data != "arith" or n.children[1].type == node.children[1].type))

        def flatten(n):
            if same_level(n):
                flatten(n.children[0])
                ops.append(n.children[1:-1])
                operands.append(n.children[-1])
            else:
                operands.append(n)

        flatten(node.children[0])
        ops.append(node.children[1:-1])
        operands.append(node.children[-1])
        out = self.out
        cont = out.cur.indent if out.at_line_start() else out.cur.indent + CONTINUATION
        self.expr(operands[0])
        for op, prev, nxt in zip(ops, operands, operands[1:]):
            if self._breaks(op[0], prev, nxt):
                out.line(cont)
            else:
                out.text(" ")
            for i, tok in enumerate(op):  # `not in`, `contains all`: more than one word
                if i:
                    out.text(" ")
                out.tok(tok)
            out.text(" ")
            self.expr(nxt)

    def where(self, node) -> None:
        domain, keyword, pred = node.children
        cont = self.out.cur.indent + CONTINUATION
        self.expr(domain)
        if self._breaks(keyword, domain, pred):
            self.out.line(cont)
        else:
            self.out.text(" ")
        self.out.tok(keyword)
        self.out.text(" ")
        self.expr(pred)

    def quantified(self, node) -> None:
        children = [c for c in node.children if c is not None]
        if not _is_tok(children[-1]) and children[-1].data in ("binding", "one_binding"):
            children += [None, None]  # `no x in xs`: no condition
        quantifier, head, colon, body = children[0], children[1:-2], children[-2], children[-1]
        out = self.out
        cont = out.cur.indent + CONTINUATION
        condition = None
        last = [c for c in head[-1].children if c is not None]
        if len(last) == 5:  # the last binding's `where` is the quantifier's condition
            where_tok, condition = last[3], last[4]
        self.words(quantifier)
        out.text(" ")
        for item in head:
            if _is_tok(item):  # , between bindings
                out.tok(item)
                out.text(" ")
                continue
            name, in_tok, domain, *own_where = [c for c in item.children if c is not None]
            out.tok(name)
            out.text(" ")
            out.tok(in_tok)
            out.text(" ")
            self.expr(domain)
            if own_where and item is not head[-1]:  # an outer binding's own filter
                out.text(" ")
                out.tok(own_where[0])
                out.text(" ")
                self.expr(own_where[1])
        before_colon = last[2]
        if condition is not None:
            if self._breaks(where_tok, last[2], condition):
                out.line(cont)
            else:
                out.text(" ")
            out.tok(where_tok)
            out.text(" ")
            self.expr(condition)
            before_colon = condition
        if colon is None:
            return
        out.tok(colon)
        if self._breaks(colon, before_colon, body):
            out.line(cont)
        else:
            out.text(" ")
        self.expr(body, slot=True)

    def brackets(self, open_tok, inner: list, close_tok) -> None:
        """`[a, b]` / `f(a, b)`; one item per line when the author wrote it over several lines
        or with a trailing comma."""
        self.bracketed += 1
        try:
            self._brackets(open_tok, inner, close_tok)
        finally:
            self.bracketed -= 1

    def _brackets(self, open_tok, inner: list, close_tok) -> None:
        out = self.out
        items = [c for c in inner if not (_is_tok(c) and str(c) == ",")]
        seq = [open_tok] + inner + [close_tok]
        trailing = bool(items) and _is_tok(inner[-1])
        exploded = bool(items) and (trailing or any(_broken(a, b) for a, b in zip(seq, seq[1:])))
        out.tok(open_tok)
        if not exploded:
            for child in inner:
                if _is_tok(child):
                    out.tok(child)
                    out.text(" ")
                else:
                    self.expr(child, slot=True)
            out.tok(close_tok)
            return
        base = out.cur.indent
        for i, child in enumerate(inner):
            if _is_tok(child):
                out.tok(child)
                continue
            out.line(base + BRACKET_INDENT)
            self.expr(child, slot=True)
            if i + 1 >= len(inner) or not _is_tok(inner[i + 1]):
                out.text(",")
        out.line(base, comment_indent=base + BRACKET_INDENT)
        out.tok(close_tok)

    # -- text ------------------------------------------------------------------------------------
    def render(self) -> str:
        notes = self.notes
        lines: list = []

        def blank(n):
            if n and lines and lines[-1] != "":
                lines.append("")

        for line in self.out.lines:
            if line.eof:
                for i, c in enumerate(notes.eof):
                    blank(line.blank if i == 0 else c.blank)
                    lines.append(c.text)
                continue
            at = " " * (line.comment_indent if line.comment_indent is not None else line.indent)
            first = line.toks[0].start_pos if line.toks else None
            own = notes.lead.get(first) or [] if line.stmt else []
            doc = notes.docs.get(first, []) if line.stmt else []
            own = own[:len(own) - len(doc)]
            moved = [c for tok in line.toks if not (line.stmt and tok.start_pos == first)
                     for c in notes.lead.get(tok.start_pos) or []]
            # (comment, blank lines above it): the statement's own comments keep the author's blank
            # lines; comments moved up from inside the line come after them, then the gate's doc
            above = [(c, c.blank) for c in own] + [(c, 0) for c in moved]
            if doc:
                after_other_doc = bool(above) and above[-1][0].text.startswith("##")
                above += [(doc[0], 1 if after_other_doc else doc[0].blank)] + [(c, 0) for c in doc[1:]]
            blank(line.blank)
            for i, (c, n) in enumerate(above):
                blank(n if i else 0)
                lines.append(at + c.text)
            if above and not line.close:
                last_is_doc_like = first in notes.docs and not doc and above[-1][0].text.startswith("##")
                blank(1 if last_is_doc_like else notes.blank.get(first, 0) if own and not moved and not doc else 0)
            trailing = [c.text for tok in line.toks for c in notes.trail.get(tok.start_pos, [])]
            text = " " * line.indent + "".join(line.parts)
            lines.append("  ".join([text] + trailing) if trailing else text)
        return "\n".join(lines) + "\n" if lines else ""
