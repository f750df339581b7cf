"""Duplicate declarations: stages, gates, params, lets and defs must be unique in scope."""
from __future__ import annotations

from ..diagnostics import Diagnostic
from ..syntax import ast


def check(pack: ast.Pack) -> list:
    out: list = []
    top_gates: dict = {}
    extended: dict = {}
    overridden: dict = {}
    stage_seen: dict = {}  # across lifecycles: a gate's id is pack.stage.gate
    gate_ids: dict = {}
    _unique(out, [i for i in pack.items if isinstance(i, (ast.Param, ast.Let, ast.Def))], "PL210", "definition")
    for item in pack.items:
        if isinstance(item, ast.Gate):
            _first(out, top_gates, item.name, item.span, "PL207", "gate")
        elif isinstance(item, ast.Override):
            _first(out, overridden, item.gate, item.span, "PL220", "override of")
        elif isinstance(item, (ast.Lifecycle, ast.Extend)):
            if isinstance(item, ast.Extend):
                _first(out, extended, item.target, item.span, "PL219", "extension of")
            _unique(out, [i for i in item.body if isinstance(i, (ast.Let, ast.Def))], "PL210", "definition")
            seen = stage_seen if isinstance(item, ast.Lifecycle) else {}
            for stage in item.stages:
                _first(out, seen, stage.name, stage.span, "PL206", "stage")
                for alias in stage.aliases:
                    _first(out, seen, ast.stage_key(alias), stage.span, "PL206", "stage alias")
                gates: dict = {}
                for gate in stage.body:
                    if isinstance(gate, ast.Gate):
                        _first(out, gates, gate.name, gate.span, "PL207", "gate", f" in stage `{stage.name}`")
                        if gates[gate.name] is gate.span:  # an extension's stage repeats a lifecycle's
                            _first(out, gate_ids, f"{stage.name}.{gate.name}", gate.span, "PL207", "gate id",
                                   " in this pack")
                    elif isinstance(gate, ast.Let):
                        _first(out, gates, f"let {gate.name}", gate.span, "PL210", "definition")
    return out


def _unique(out, items, code, what):
    seen: dict = {}
    for item in items:
        _first(out, seen, item.name, item.span, code, what)


def _first(out, seen: dict, name: str, span, code: str, what: str, where: str = "") -> None:
    if name in seen:
        first = seen[name]
        out.append(Diagnostic(code, f"duplicate {what} `{name}`{where}", span,
                              f"`{name}` is already declared at line {first.line}"))
    else:
        seen[name] = span
