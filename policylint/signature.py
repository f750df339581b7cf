"""Typed signatures for built-in functions and loaders, declared beside their code.

As in OPA's builtins table, the checker types a call from its signature without running
it; the evaluator calls the function with plain Python values.
"""
from __future__ import annotations

from .structs import field, struct

from .types import Type


@struct
class Signature:
    name: str
    params: list  # [(name, Type)]
    returns: Type
    doc: str = ""
    needs_repo: bool = False  # loaders get the Repo as their first argument
    optional: int = 0  # how many trailing params may be left out
    variadic: bool = False  # the last param repeats
    value: bool = False  # a loader without arguments, used as a name: `git.branch`
    needs_stages: bool = False  # gets its lifecycle's (stage names, aliases) first (functions/stages.py)
    fields_doc: dict = field(default_factory=dict)

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional - (1 if self.variadic else 0)

    @property
    def max_args(self) -> int | None:
        return None if self.variadic else len(self.params)

    def usage(self) -> str:
        parts = []
        for i, (pname, ptype) in enumerate(self.params):
            text = f"{pname}: {ptype}"
            if self.variadic and i == len(self.params) - 1:
                text += ", …"
            elif i >= len(self.params) - self.optional:
                text += "?"
            parts.append(text)
        return f"{self.name}({', '.join(parts)}) -> {self.returns}"


def builtin(name: str, args: dict, returns: Type, doc: str = "", *, repo: bool = False,
            optional: int = 0, variadic: bool = False, value: bool = False, stages: bool = False):
    """Attach a signature to a function; `repo=True` marks a loader, `value=True` one used as a
    name, `stages=True` one that reads the stages of the lifecycle it is called in."""

    def wrap(fn):
        fn.signature = Signature(name, list(args.items()), returns, doc or (fn.__doc__ or "").strip(),
                                 repo, optional, variadic, value=value, needs_stages=stages)
        return fn

    return wrap


def loader(name: str, args: dict, returns: Type, doc: str = "", **kw):
    return builtin(name, args, returns, doc, repo=True, **kw)
