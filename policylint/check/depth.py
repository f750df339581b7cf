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


def check(pack: ast.Pack) -> list:
    out: list = []
    top = _Scope(None)
    _declare(pack.items, top, out)
    for item in pack.items:
        if isinstance(item, ast.Gate):
            _gate(item, top, out)
        elif isinstance(item, ast.Lifecycle):
            _expression(item.domain, top, out)
            scope = _Scope(top, {item.name: 0})
            _declare(item.body, scope, out)
            for claim in item.claims:
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
    def's parameter or a lifecycle's subject); defs -> the levels of their body."""

    def __init__(self, parent: "_Scope | None", values: dict | None = None):
        self.parent, self.values, self.defs = parent, values or {}, {}

    def value(self, name: str) -> int:
        return self._lookup("values", name)

    def def_(self, name: str) -> int:
        return self._lookup("defs", name)

    def _lookup(self, table: str, name: str) -> int:
        """The levels of `name` in the nearest scope that declares it (0 when none does)."""
        scope = self
        while scope is not None:
            found = getattr(scope, table)
            if name in found:
                return found[name]
            scope = scope.parent
        return 0


def _declare(items, scope: _Scope, out: list) -> None:
    """In order, as the type pass: each declaration sees only what is declared before it."""
    for item in items:
        if isinstance(item, (ast.Param, ast.Let)):
            value = item.default if isinstance(item, ast.Param) else item.value
            scope.values.setdefault(item.name, _bounded(item, item.name, value, scope, out))
        elif isinstance(item, ast.Def):
            inner = _Scope(scope, {param: 0 for param in item.params})
            scope.defs.setdefault(item.name, _bounded(item, item.name, item.body, inner, out))


def _gate(gate: ast.Gate, scope: _Scope, out: list) -> None:
    for part in (gate.title, gate.when):
        if part is not None:
            _expression(part, scope, out)
    inner = _Scope(scope)
    for item in gate.body:
        if isinstance(item, ast.Let):
            inner.values.setdefault(item.name, _bounded(item, item.name, item.value, inner, out))
        elif isinstance(item, ast.Require):
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
