"""Evaluation depth: an expression, counted with the lets and defs it uses, nests at most
MAX_NESTING levels.

The parser bounds how deep one expression is written; this pass bounds how deep it runs,
because evaluating a name runs its `let` and calling a `def` runs its body, each one Python
frame deeper. 500 chained lets parse fine and would exhaust Python's stack when checked.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic
from ..structs import fields
from ..syntax import ast
from ..syntax.parse import MAX_NESTING

_HELP = "each let or def counts the levels of its own expression; compute less in one chain"
_REPORTED = 10 ** 9  # the levels of what was reported too deep: what uses it is not reported again


def check(pack: ast.Pack, imports=None) -> list:
    out: list = []
    top = _Scope(None)
    _declare(pack.items, top, out)
    for item in pack.items:
        if isinstance(item, ast.Gate):
            _gate(item, top, out)
        elif isinstance(item, (ast.Lifecycle, ast.Extend)):
            if isinstance(item, ast.Lifecycle):
                _expression(item.domain, top, out)
            scope = _Scope(top, {item.name if isinstance(item, ast.Lifecycle) else item.lifecycle: 0})
            _declare(item.body, scope, out)
            for claim in getattr(item, "claims", ()):
                _expression(claim, scope, out)
            for stage in item.stages:
                stage_scope = _Scope(scope)
                _declare(stage.body, stage_scope, out)
                for gate in stage.body:
                    if isinstance(gate, ast.Gate):
                        _gate(gate, stage_scope, out)
    return out


class _Scope:
    """Names -> how many levels evaluating them takes (0 for a value bound by a quantifier, a
    def's parameter or a lifecycle's subject); a declared let, param or def counts the levels
    of its expression, worked out on first use (declarations are visible in any order)."""

    def __init__(self, parent: "_Scope | None", values: dict | None = None):
        self.parent, self.values, self.decls = parent, values or {}, {}

    def value(self, name: str) -> int:
        scope = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            decl = scope.decls.get(name)
            if decl is not None and not isinstance(decl.node, ast.Def):
                return decl.levels()
            scope = scope.parent
        return 0

    def def_(self, name: str) -> int:
        scope = self
        while scope is not None:
            decl = scope.decls.get(name)
            if decl is not None and isinstance(decl.node, ast.Def):
                return decl.levels()
            scope = scope.parent
        return 0


class _Decl:
    def __init__(self, node, scope: _Scope, out: list):
        self.node, self.scope, self.out = node, scope, out
        self.found: int | None = None

    def levels(self) -> int:
        """The levels of the declaration's expression; a recursive one (PL218, reported by the
        type pass) counts 0 where it closes its cycle."""
        if self.found is None:
            self.found = 0  # in progress: a cycle counts nothing more
            node = self.node
            if isinstance(node, ast.Def):
                inner, expr = _Scope(self.scope, {param: 0 for param in node.params}), node.body
            else:
                inner, expr = self.scope, (node.default if isinstance(node, ast.Param) else node.value)
            self.found = _bounded(node, node.name, expr, inner, self.out)
        return self.found


def _declare(items, scope: _Scope, out: list) -> None:
    for item in items:
        if isinstance(item, (ast.Param, ast.Let, ast.Def)):
            scope.decls.setdefault(item.name, _Decl(item, scope, out))
    for item in items:
        if isinstance(item, (ast.Param, ast.Let, ast.Def)):
            decl = scope.decls[item.name]
            (decl if decl.node is item else _Decl(item, scope, out)).levels()


def _gate(gate: ast.Gate, scope: _Scope, out: list) -> None:
    for part in (gate.title, gate.when):
        if part is not None:
            _expression(part, scope, out)
    inner = _Scope(scope)
    _declare([item for item in gate.body if isinstance(item, ast.Let)], inner, out)
    for item in gate.body:
        if isinstance(item, ast.Require):
            _expression(item.expr, inner, out)
            if item.message is not None:
                _expression(item.message, _Scope(inner, _bound_names(item.expr)), out)
            if item.fix is not None:
                _expression(item.fix.target, inner, out)
                _expression(item.fix.replacement, inner, out)


def _bound_names(expr) -> dict:
    """A quantified require's message sees the quantifier's variables."""
    return {var: 0 for var, _ in expr.bindings} if isinstance(expr, ast.Quantified) else {}


def _bounded(decl, name: str, expr, scope: _Scope, out: list) -> int:
    """The levels of a declaration's expression; the first declaration of a chain that is too
    deep is reported, at the declaration, and the chain's later links are not."""
    levels = _levels(expr, scope)
    if MAX_NESTING < levels < _REPORTED:
        out.append(Diagnostic("PL215", f"`{name}` nests more than {MAX_NESTING} levels deep, counting the "
                                       "lets and defs it uses", decl.span, _HELP))
    return _REPORTED if levels > MAX_NESTING else levels


def _expression(expr, scope: _Scope, out: list) -> None:
    if MAX_NESTING < _levels(expr, scope) < _REPORTED:
        out.append(Diagnostic("PL215", f"this expression nests more than {MAX_NESTING} levels deep, "
                                       "counting the lets and defs it uses", expr.span, _HELP))


def _levels(node, scope: _Scope) -> int:
    """1 + the deepest child; a name adds its let's levels, a call its def's. The parser keeps
    each expression at most MAX_NESTING levels deep, so this recursion is bounded too."""
    if isinstance(node, ast.Name):
        return 1 + scope.value(node.id)
    if isinstance(node, ast.Quantified):
        inner = _Scope(scope)
        deepest = 0
        for var, domain in node.bindings:
            deepest = max(deepest, _levels(domain, inner))
            inner.values[var] = 0
        for part in (node.where, node.body):
            if part is not None:
                deepest = max(deepest, _levels(part, inner))
        return 1 + deepest
    if isinstance(node, ast.Where):
        return 1 + max(_levels(node.domain, scope), _levels(node.pred, _Scope(scope, {node.var: 0})))
    deepest = max((_levels(child, scope) for child in _children(node)), default=0)
    if isinstance(node, ast.Call):
        deepest = max(deepest, scope.def_(node.func) or scope.def_(node.func.rpartition(".")[2]))
    return 1 + deepest


def _children(node) -> list:
    found = []
    for f in fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, ast.Node):
                found.append(item)
    return found
