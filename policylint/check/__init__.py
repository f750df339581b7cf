"""Static checks, run before anything is evaluated; each pass is one module.

`check_pack` returns every diagnostic it finds (not just the first), sorted by position.
"""
from __future__ import annotations

from ..structs import field, struct
from . import depth, stages, types as typing_pass


@struct
class Imports:
    """What a pack's `use`s bring in, as the checker sees it (packs.imports_of builds it)."""

    defs: dict = field(default_factory=dict)  # name or `pack.name` -> [ast.Def, …] (several: ambiguous)
    owners: dict = field(default_factory=dict)  # unqualified name -> the packs that define it
    lifecycles: dict = field(default_factory=dict)  # `pack.lifecycle` -> ast.Lifecycle of a running use
    gates: dict = field(default_factory=dict)  # gate id -> gate, of the running uses (an `override` names one)
    helpers: dict = field(default_factory=dict)  # pack name -> how `use defs from` names it


def check_pack(pack, imports: Imports | None = None) -> list:
    """All diagnostics for a parsed pack."""
    imports = imports or Imports()
    diagnostics = stages.check(pack) + typing_pass.check(pack, imports) + depth.check(pack, imports)
    diagnostics.sort(key=lambda d: (d.span.line, d.span.column, d.code) if d.span else (0, 0, d.code))
    return diagnostics
