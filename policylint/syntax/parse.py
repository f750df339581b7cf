"""Policy source -> AST (Lark LALR, grammar in policy.lark).

Lark is imported only here, and only when a pack is not already in the compiled cache.
"""
from __future__ import annotations

import datetime
import re
from functools import lru_cache
from pathlib import Path

from ..diagnostics import Diagnostic, Span
from ..errors import PolicylintError
from . import ast

GRAMMAR_PATH = Path(__file__).with_name("policy.lark")
MAX_NESTING = 100  # levels; every walker of a tree (builder, checker, evaluator, fmt, the cache) recurses per level
ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "{": "{", "}": "}"}


@lru_cache(maxsize=1)
def parser():
    import lark

    return lark.Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                     start=["start", "expr_start"], propagate_positions=True, maybe_placeholders=True,
                     cache=False)


def parse_policy(source: str, path: str) -> ast.Pack:
    """Parse a whole policy file; syntax errors raise PolicylintError with a labelled diagnostic."""
    from lark.exceptions import UnexpectedInput, VisitError

    try:
        tree = parser().parse(source, start="start")
    except UnexpectedInput as exc:
        from .errors import syntax_diagnostic

        raise PolicylintError(syntax_diagnostic(exc, source, path)) from None
    refuse_deep_nesting(tree, path)
    try:
        pack = _Builder(path, source).transform(tree)
    except VisitError as exc:  # unwrap: our own diagnostics travel inside orig_exc
        if isinstance(exc.orig_exc, PolicylintError):
            raise exc.orig_exc from None
        raise
    _attach_docs(pack, source)
    return pack


def refuse_deep_nesting(tree, path: str, line: int = 0, column: int = 0) -> None:
    """PL105 at the first node nested deeper than MAX_NESTING, found without recursion: the
    tree builder, the checker and the evaluator all recurse once (or more) per level.
    `line`/`column` place an interpolation's tree inside its string."""
    from lark import Tree

    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            at_line, at_column = _start_of(node)
            at_line, at_column = (line, column + at_column - 1) if line else (at_line, at_column)
            raise PolicylintError(Diagnostic("PL105", f"nested more than {MAX_NESTING} levels deep",
                                             Span(path, at_line, at_column, at_line, at_column + 1),
                                             "name the inner parts with `let` or `def`"))
        stack.extend((child, depth + 1) for child in reversed(node.children) if isinstance(child, Tree))


def _start_of(node) -> tuple:
    """(line, column) of a tree's first token, found without recursion (a tree parsed with
    `keep_all_tokens`, as fmt's, has no positions of its own)."""
    from lark import Token

    meta = node.meta
    if not meta.empty:
        return meta.line, meta.column
    while node is not None and not isinstance(node, Token):
        node = next((child for child in node.children if child is not None), None)
    return (node.line, node.column) if node is not None else (1, 1)


def _attach_docs(pack: ast.Pack, source: str) -> None:
    """A gate's doc is the run of `##` comment lines right above it."""
    lines = source.split("\n")

    def walk(items):
        for item in items:
            if isinstance(item, ast.Gate):
                doc, n = [], item.span.line - 2
                while n >= 0 and lines[n].strip().startswith("##"):
                    doc.append(lines[n].strip()[2:].removeprefix(" "))
                    n -= 1
                item.doc = "\n".join(reversed(doc))
            elif isinstance(item, (ast.Stage, ast.Lifecycle, ast.Extend)):
                walk(item.body)

    walk(pack.items)


def _span(path, meta) -> Span:
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(path, tok) -> Span:
    return Span(path, tok.line, tok.column, tok.end_line, tok.end_column)


def _make_builder():
    from lark import Transformer, v_args

    @v_args(meta=True)
    class Builder(Transformer):
        def __init__(self, path, source):
            super().__init__()
            self.path = path
            self.source = source

        def sp(self, meta):
            return _span(self.path, meta)

        # -- top level ------------------------------------------------------------------
        def start(self, meta, children):
            header = None
            if children and isinstance(children[0], tuple) and children[0][0] == "header":
                header = children.pop(0)
            name = header[1] if header else Path(self.path).stem
            title = header[2] if header else ""
            version = header[3] if header else None
            detect = header[4] if header else None
            span = self.sp(meta) if not meta.empty else Span(self.path, 1, 1)
            return ast.Pack(span, name, title, version, children, self.path, self.source, detect)

        def header(self, meta, children):
            name, title, version, detect = children
            return ("header", str(name), _unquote(title, self.path),
                    _unquote(version, self.path) if version is not None else None,
                    _unquote(detect, self.path) if detect is not None else None)

        def use(self, meta, children):
            defs_only, target = children
            if target.type == "STRING":
                return ast.Use(self.sp(meta), _unquote(target, self.path), True, defs_only is not None)
            return ast.Use(self.sp(meta), str(target), False, defs_only is not None)

        def defs_only(self, meta, children):
            return True

        def extend(self, meta, children):
            pack, lifecycle, *body = children  # its span: `extend pack.lifecycle`, what errors point at
            head = Span(self.path, meta.line, meta.column, lifecycle.end_line, lifecycle.end_column)
            return ast.Extend(head, str(pack), str(lifecycle), body)

        def override(self, meta, children):
            gate, level = children
            return ast.Override(self.sp(meta), gate, str(level))

        def gate_ref(self, meta, children):
            return ".".join(str(part) for part in children)

        def override_level(self, meta, children):
            return str(children[0])

        def param(self, meta, children):
            name, default = children
            return ast.Param(self.sp(meta), str(name), default)

        def let(self, meta, children):
            name, value = children
            return ast.Let(self.sp(meta), str(name), value)

        def definition(self, meta, children):
            name, *rest = children
            body = rest[-1]
            params = [str(p) for p in rest[:-1] if p is not None]
            return ast.Def(self.sp(meta), str(name), params, body)

        def lifecycle(self, meta, children):
            name, domain, *body = children
            claims = [c for c in body if isinstance(c, tuple)]
            exprs = [e for c in claims for e in c[1]]
            items = [c for c in body if not isinstance(c, tuple)]
            return ast.Lifecycle(self.sp(meta), str(name), domain, exprs, items)

        def claims(self, meta, children):
            return ("claims", children)

        def stage(self, meta, children):
            name, aliases, *body = children
            return ast.Stage(_tok_span(self.path, name), str(name), body, aliases or [])

        def stage_aliases(self, meta, children):
            return [_unquote(tok, self.path) for tok in children]

        def gate(self, meta, children):
            name, title, *rest = children
            severity, unwaivable, when, body = "error", False, None, []
            for item in rest:
                if isinstance(item, tuple):
                    kind, value = item
                    if kind == "severity":
                        severity = value
                    elif kind == "unwaivable":
                        unwaivable = True
                    else:
                        when = value
                else:
                    body.append(item)
            title_t = self._template(title) if title is not None else None
            end = Span(self.path, meta.end_line, meta.end_column - 1, meta.end_line, meta.end_column)
            return ast.Gate(_tok_span(self.path, name), str(name), title_t, severity, unwaivable, when, body,
                            end=end)

        def severity(self, meta, children):
            return ("severity", str(children[0]))

        def unwaivable(self, meta, children):
            return ("unwaivable", True)

        def when(self, meta, children):
            return ("when", children[0])

        def require(self, meta, children):
            expr, message, fix = children
            return ast.Require(self.sp(meta), expr, message, fix)

        def fix(self, meta, children):
            target, replacement = children
            return ast.Fix(self.sp(meta), target, replacement)

        def message(self, meta, children):
            """`else "first part, " "second part"`: one template, the strings' parts in order."""
            templates = [self._template(tok) for tok in children]
            parts: list = []
            for template in templates:
                for part in template.parts:
                    if isinstance(part, str) and parts and isinstance(parts[-1], str):
                        parts[-1] += part
                    elif part != "" or not parts:
                        parts.append(part)
            return ast.Template(templates[0].span if len(templates) == 1 else self.sp(meta), parts)

        # -- expressions --------------------------------------------------------------------
        def quantified(self, meta, children):
            kind, *bindings, body = children  # body None: `some x in xs`, `no x in xs`
            *outer, (last_var, last_domain, where) = bindings
            # an outer binding's filter becomes its domain: `o in xs where p(o)` walks `xs where p`
            pairs = [(var, ast.Where(domain.span, domain, pred, var) if pred is not None else domain)
                     for var, domain, pred in outer] + [(last_var, last_domain)]
            (var, domain), more = pairs[0], pairs[1:]
            return ast.Quantified(self.sp(meta), kind, var, domain, where, body, more)

        def binding(self, meta, children):
            return (str(children[0]), children[1], children[2])

        def one_binding(self, meta, children):
            return (str(children[0]), ast.One(children[1].span, children[1]), children[2])

        def quantifier(self, meta, children):
            return str(children[0])

        def where(self, meta, children):
            return ast.Where(self.sp(meta), children[0], children[1])

        def conditional(self, meta, children):
            return ast.Conditional(self.sp(meta), children[0], children[1], children[2])

        def _binary(self, meta, op, left, right, op_tok=None):
            op_span = _tok_span(self.path, op_tok) if op_tok is not None else self.sp(meta)
            return ast.Binary(self.sp(meta), op, left, right, op_span)

        def or_(self, meta, c):
            return self._binary(meta, "or", c[0], c[1])

        def and_(self, meta, c):
            return self._binary(meta, "and", c[0], c[1])

        def not_(self, meta, c):
            return ast.Unary(self.sp(meta), "not", c[0])

        def neg(self, meta, c):
            return ast.Unary(self.sp(meta), "-", c[0])

        def compare(self, meta, c):
            return self._binary(meta, str(c[1]), c[0], c[2], c[1])

        def arith(self, meta, c):
            return self._binary(meta, str(c[1]), c[0], c[2], c[1])

        def in_(self, meta, c):
            return self._binary(meta, "in", c[0], c[1])

        def not_in(self, meta, c):
            return self._binary(meta, "not in", c[0], c[1])

        def contains(self, meta, c):
            return self._binary(meta, "contains", c[0], c[1])

        def contains_all(self, meta, c):
            return self._binary(meta, "contains all", c[0], c[1])

        def contains_any(self, meta, c):
            return self._binary(meta, "contains any", c[0], c[1])

        def matches(self, meta, c):
            return self._binary(meta, "matches", c[0], c[1])

        def field(self, meta, c):
            obj, name = c
            return ast.Field(self.sp(meta), obj, str(name), _tok_span(self.path, name))

        def index(self, meta, c):
            return ast.Index(self.sp(meta), c[0], c[1])

        def call(self, meta, c):
            func, *args = c
            args = [a for a in args if a is not None]
            if isinstance(func, ast.Name):
                return ast.Call(self.sp(meta), func.id, args, func.span)
            if isinstance(func, ast.Field) and isinstance(func.obj, ast.Name):
                return ast.Call(self.sp(meta), f"{func.obj.id}.{func.name}", args, func.span)
            raise PolicylintError(Diagnostic("PL213", "only a function or a pack's def can be called", func.span,
                                             "write `name(args)` or `pack.name(args)`"))

        def name(self, meta, c):
            return ast.Name(self.sp(meta), str(c[0]))

        def string(self, meta, c):
            return self._template(c[0])

        def number(self, meta, c):
            return ast.Literal(self.sp(meta), _number(str(c[0])), "number")

        def percent(self, meta, c):
            return ast.Literal(self.sp(meta), _number(str(c[0])[:-1]), "percent")

        def date(self, meta, c):
            try:
                value = datetime.date.fromisoformat(str(c[0]))
            except ValueError:
                raise PolicylintError(Diagnostic("PL100", f"`{c[0]}` is not a valid date", self.sp(meta),
                                                 "dates are written YYYY-MM-DD")) from None
            return ast.Literal(self.sp(meta), value, "date")

        def regex(self, meta, c):
            text = str(c[0])
            end = text.rindex("/")
            return ast.Regex(self.sp(meta), text[1:end].replace("\\/", "/"), text[end + 1:])

        def true(self, meta, c):
            return ast.Literal(self.sp(meta), True, "bool")

        def false(self, meta, c):
            return ast.Literal(self.sp(meta), False, "bool")

        def null(self, meta, c):
            return ast.Literal(self.sp(meta), None, "null")

        def list(self, meta, c):
            return ast.ListLit(self.sp(meta), [x for x in c if x is not None])

        # -- strings ------------------------------------------------------------------------
        def _template(self, tok) -> ast.Template:
            return parse_template(tok, self.path)

    return Builder


_BUILDER = None


def _Builder(path, source):  # noqa: N802 - builds the class lazily, then instantiates it
    global _BUILDER
    if _BUILDER is None:
        _BUILDER = _make_builder()
    return _BUILDER(path, source)


def _number(text: str):
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _unquote(tok, path) -> str:
    return parse_template(tok, path).plain


def parse_template(tok, path: str) -> ast.Template:
    """Split a string token into text and `{expr}` parts; `{{` and `}}` are literal braces."""
    raw = str(tok)[1:-1]
    base_col = tok.column + 1  # column of the first character inside the quotes
    parts: list = []
    buf: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            buf.append(ESCAPES.get(raw[i + 1], "\\" + raw[i + 1]))
            i += 2
        elif ch == "{" and raw.startswith("{{", i):
            buf.append("{")
            i += 2
        elif ch == "}" and raw.startswith("}}", i):
            buf.append("}")
            i += 2
        elif ch == "{" and _REPEAT.match(raw, i):  # `\\d{3}`, `{2,5}`: a regex's repeat, not an expression
            repeat = _REPEAT.match(raw, i).group()
            buf.append(repeat)
            i += len(repeat)
        elif ch == "{":
            end = _interpolation_end(raw, i)
            span = Span(path, tok.line, base_col + i, tok.line, base_col + i + 1)
            if end < 0:
                raise PolicylintError(Diagnostic("PL103", "unclosed `{` in string", span,
                                                 "write `{{` for a literal brace"))
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(_parse_interpolation(raw[i + 1:end], path, tok.line, base_col + i + 1))
            i = end + 1
        else:
            buf.append(ch)
            i += 1
    if buf or not parts:
        parts.append("".join(buf))
    return ast.Template(_tok_span(path, tok), parts)


_REPEAT = re.compile(r"\{(\d+(,\d*)?|,\d+)\}")


def _interpolation_end(raw: str, start: int) -> int:
    """Index of the `}` that closes the `{` at `start`, past any string inside it
    (`"{join(names, ", ")}"`); -1 when there is none."""
    i = start + 1
    while i < len(raw):
        ch = raw[i]
        if ch == '"':
            i += 1
            while i < len(raw) and raw[i] != '"':
                i += 2 if raw[i] == "\\" else 1
        elif ch == "}":
            return i
        i += 1
    return -1


def _parse_interpolation(text: str, path: str, line: int, column: int):
    from lark.exceptions import UnexpectedInput

    span = Span(path, line, column, line, column + max(1, len(text)))
    if not text.strip():
        raise PolicylintError(Diagnostic("PL103", "empty `{}` in string", span, "write `{{}}` for literal braces"))
    try:
        tree = parser().parse(text, start="expr_start")
    except UnexpectedInput as exc:
        col = column + (getattr(exc, "column", 1) or 1) - 1
        raise PolicylintError(Diagnostic("PL103", f"cannot read `{{{text}}}` as an expression",
                                         Span(path, line, col, line, col + 1),
                                         "write `{{` for a literal brace")) from None
    refuse_deep_nesting(tree, path, line, column)
    node = _Builder(path, "").transform(tree)
    return _shift(node, line, column - 1)


def _shift(node, line: int, col_offset: int):
    """Move spans of an interpolated expression from its own text into the policy file."""
    from ..structs import fields, is_struct, replace

    if isinstance(node, list):
        return [_shift(n, line, col_offset) for n in node]
    if not is_struct(node) or isinstance(node, Span):
        return node
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Span):
            setattr(node, f.name, replace(value, line=line, column=value.column + col_offset, end_line=line,
                                          end_column=(value.end_column or value.column) + col_offset))
        elif is_struct(value) or isinstance(value, list):
            setattr(node, f.name, _shift(value, line, col_offset))
    return node

