"""Building many objects fast: the measures the loaders, the pack cache and the command share.

A loader or the pack cache makes thousands of small objects in a few milliseconds and keeps
them all, and a run of the command keeps what it builds until it exits. So:

- `gc_paused()`: no garbage collection meanwhile. Such work makes no cycles, and collecting
  while the heap grows re-walks what is kept: a third of a loader's time, for nothing;
  `made_paused(make)` is one call so, straight when the collector is off already.
- `exit_now(code)`: the process ends without taking apart what the run built. The interpreter's
  shutdown collects (walking a pack's compiled gates and a run's records cost a short run a sixth
  of its CPU, ~30 ms of 190) and then frees every object one by one; the atexit handlers and
  the flushing of the standard streams are all a run needs of it.
- `new_object(cls)`, `new_str(cls, value)`, `new_tuple(cls, items)`: an instance made without
  running its class's `__init__` (or a `str`/`tuple` subclass's own `__new__`), its fields then
  set directly. About three times faster than the constructors' keyword-argument and
  NamedTuple round trips; `values.new_loc`, `new_lstr` and `new_record` use them for the
  values loaders return, and a hot loop may use them inline.
- `named("package.module:name")`: what a table of loaders, functions or formats names, imported
  when first asked for, without `importlib`.

Imports nothing but `gc` (and `os`, `sys`, loaded with the interpreter): the command pauses
collection before it has imported anything else.
"""
from __future__ import annotations

import gc
import os
import sys

new_object = object.__new__
new_str = str.__new__
new_tuple = tuple.__new__


class gc_paused:
    """`with gc_paused():` — the garbage collector off inside, back on after if it was on."""

    __slots__ = ("collecting",)

    def __enter__(self) -> None:
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        if self.collecting:
            gc.enable()


def made_paused(make):
    """`make()` under `gc_paused()`; called straight when the collector is off already (as it is
    all a run long), where entering the pause would cost more than it saves."""
    if not gc.isenabled():
        return make()
    with gc_paused():
        return make()


def exit_now(code: int) -> None:
    """End the process as `sys.exit(code)` would once the atexit handlers have run and the
    standard streams are flushed, without the shutdown's collections and frees. Returns (for
    an ordinary exit, with the run frozen out of the collector's sight) only on an interpreter
    whose atexit cannot be run ahead."""
    import atexit

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None:
        gc.freeze()
        return
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (`| head`) or a stream closed: nothing more to say
            pass
    os._exit(code if type(code) is int and 0 <= code <= 255 else 1)


def named(spec: str):
    """The object `"package.module:name"` names, its module imported on first use: what
    `getattr(importlib.import_module(module), name)` gives, without importing `importlib` (and
    `warnings` with it: ~1.7M instructions of `check FILE`) for the tables of loaders, functions
    and formats."""
    module, name = spec.split(":")
    found = sys.modules.get(module)
    if found is None:
        __import__(module)
        found = sys.modules[module]
    return getattr(found, name)
