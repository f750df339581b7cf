"""Building many objects fast: the two measures the loaders, the pack cache and the command share.

A loader or the pack cache makes thousands of small objects in a few milliseconds and keeps
them all, and a run of the command keeps what it builds until it exits. So:

- `gc_paused()`: no garbage collection meanwhile. Such work makes no cycles, and collecting
  while the heap grows re-walks what is kept: a third of a loader's time, for nothing.
- `frozen_for_exit()`: what a run built is moved out of the collector's sight just before the
  process ends; the interpreter collects while it shuts down, and walking a pack's compiled
  gates and a run's records there costs a short run a sixth of its CPU (~30 ms of 190).
- `new_object(cls)`, `new_str(cls, value)`, `new_tuple(cls, items)`: an instance made without
  running its class's `__init__` (or a `str`/`tuple` subclass's own `__new__`), its fields then
  set directly. About three times faster than the constructors' keyword-argument and
  NamedTuple round trips; `values.new_loc`, `new_lstr` and `new_record` use them for the
  values loaders return, and a hot loop may use them inline.

Imports nothing but `gc`: the command pauses collection before it has imported anything else.
"""
from __future__ import annotations

import gc

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


def frozen_for_exit() -> None:
    """Every object now alive left out of later collections (`gc.freeze`): for a process about
    to exit, whose shutdown collections would otherwise walk them all, for nothing."""
    gc.freeze()
