"""Functions over a lifecycle's stages, in the order the lifecycle declares them.

- `furthest(a, b, …)`: the stage furthest along among those the texts name (`Draft (Rev. 3)`
  names `draft`: a claim is read by its first word, a stage's aliases too), or null when none
  names a stage. With one argument it reads that text as a stage: `furthest(status_line)`.
  A claim that must keep up with the files writes `claims furthest(declared, shown)`.

They read the stages of the lifecycle whose subject is being evaluated (the engine sets them
on the runtime for each subject), so they are called inside a lifecycle only.
"""
from __future__ import annotations

from ..signature import builtin
from ..types import ANY, STR

@builtin("furthest", {"texts": ANY}, STR,
         "The stage furthest along that the texts name (read as a claim is), or null.",
         variadic=True, stages=True)
def furthest(stages, *texts):
    names, aliases = stages
    found = [_stage_named(str(t), names, aliases) for t in texts if t is not None and str(t).strip()]
    found = [name for name in found if name is not None]
    return max(found, key=names.index) if found else None


_NAMED: dict = {}  # (text, stage names, aliases) -> the stage the text names: each subject asks again
_MISSING = object()


def _stage_named(text: str, names: list, aliases: dict):
    """evaluate.match_stage, kept per text for the run (a short text: a claim, a Status line)."""
    from ..evaluate import match_stage

    if len(text) > 200:
        return match_stage(text, names, aliases)
    key = (text, tuple(names), tuple(aliases.items()) if aliases else ())
    found = _NAMED.get(key, _MISSING)
    if found is _MISSING:
        if len(_NAMED) >= 4096:
            _NAMED.clear()
        found = _NAMED[key] = match_stage(text, names, aliases)
    return found
