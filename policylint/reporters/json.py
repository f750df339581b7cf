"""The versioned JSON report that other tools read.

Schema (version 1): {"policylint", "schema", "root", "packs", "subjects", "results",
"summary", "notices"}; paths relative to the root with `/`; sorted, so the same
repository always gives the same bytes.
"""
from __future__ import annotations

import json

from .. import JSON_SCHEMA_VERSION, __version__


def evidence(ev) -> dict:
    return {"path": ev.path, "line": ev.line, "message": ev.message}


def waiver(w) -> dict | None:
    if w is None:
        return None
    return {"reason": w.reason, "approved_by": w.approved_by,
            "expires": w.expires.isoformat() if w.expires else None, "source": w.where() or None}


def to_dict(run, root_as_given: str) -> dict:
    return {
        "policylint": __version__,
        "schema": JSON_SCHEMA_VERSION,
        "root": root_as_given,
        "packs": run.packs,
        "subjects": [{"id": s.id, "lifecycle": s.lifecycle, "claimed": s.claimed, "earned": s.earned,
                      "claimed_at": s.claimed_at, "next": s.next_stage} for s in run.subjects],
        "results": [{"gate": r.gate, "subject": r.subject, "stage": r.stage, "status": r.status,
                     "severity": r.severity, "title": r.title, "message": r.message,
                     "evidence": [evidence(e) for e in r.evidence],
                     **({"waiver": waiver(r.waiver)} if r.waiver is not None else {})} for r in run.results],
        "summary": run.summary(),
        "notices": [{"path": n.path, "line": n.line, "code": n.code, "message": n.message} for n in run.notices],
    }


def render(run, out, options) -> None:
    json.dump(to_dict(run, options.root_as_given), out, indent=2, ensure_ascii=False)
    out.write("\n")
