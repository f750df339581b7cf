"""Static checks, run before anything is evaluated; each pass is one module.

`check_pack` returns every diagnostic it finds (not just the first), sorted by position.
"""
from __future__ import annotations

from . import depth, stages, types as typing_pass


def check_pack(pack, imported_defs: dict | None = None) -> list:
    """All diagnostics for a parsed pack; `imported_defs` are defs brought in by `use`."""
    diagnostics = stages.check(pack) + typing_pass.check(pack, imported_defs or {}) + depth.check(pack)
    diagnostics.sort(key=lambda d: (d.span.line, d.span.column, d.code) if d.span else (0, 0, d.code))
    return diagnostics
