"""`@struct`'s `__init__`: the generic one a class starts with (no `compile`) behaves as the one
it writes once the class has made `_COMPILE_AFTER` instances: the same fields, defaults,
factories and errors."""
from __future__ import annotations

import pytest

from policylint import structs
from policylint.structs import MISSING, field, struct


def _classes():
    @struct
    class Plain:
        a: int
        b: str

    @struct
    class Defaults:
        a: int
        b: str = "x"
        c: list = field(default_factory=list)

    @struct(frozen=True)
    class Frozen:
        a: int
        b: tuple = ()

    @struct
    class Child(Defaults):
        d: int = 4

    @struct
    class Empty:
        pass

    return {c.__name__: c for c in (Plain, Defaults, Frozen, Child, Empty)}


CALLS = [
    ("Plain", (1, "b"), {}), ("Plain", (1,), {"b": "c"}), ("Plain", (), {"b": "c", "a": 2}), ("Plain", (1,), {}),
    ("Plain", (), {}), ("Plain", (1, 2, 3), {}), ("Plain", (1,), {"a": 2}), ("Plain", (1, 2), {"z": 1}),
    ("Defaults", (1,), {}), ("Defaults", (1, "y", [2]), {}), ("Defaults", (1,), {"c": MISSING}),
    ("Defaults", (1, "b", MISSING), {}), ("Defaults", (), {"b": 1}), ("Defaults", (1, 2, 3, 4), {}),
    ("Frozen", (1,), {}), ("Frozen", (), {"a": 1, "b": (2,)}), ("Frozen", (1, 2, 3), {}),
    ("Child", (1,), {"d": 5}), ("Child", (1, "b", [], 5, 6), {}), ("Empty", (), {}), ("Empty", (1,), {}),
]


def _outcome(cls, args, kwargs):
    try:
        obj = cls(*args, **kwargs)
    except TypeError as exc:
        return "TypeError", str(exc)
    return repr(obj), [type(getattr(obj, f.name)) for f in structs.fields(obj)], list(vars(obj))


@pytest.mark.parametrize("name, args, kwargs", CALLS)
def test_generic_init_is_the_written_init(name, args, kwargs, monkeypatch):
    generic = _outcome(_classes()[name], args, kwargs)
    monkeypatch.setattr(structs, "_COMPILE_AFTER", 0)  # every class writes its own at its first instance
    written = _outcome(_classes()[name], args, kwargs)
    assert generic == written


def test_a_class_made_often_gets_its_own_init(monkeypatch):
    monkeypatch.setattr(structs, "_COMPILE_AFTER", 3)
    cls = _classes()["Defaults"]
    generic = cls.__init__
    made = [cls(i) for i in range(5)]
    assert cls.__init__ is not generic and cls.__init__.__code__.co_filename == "<string>"
    assert [m.a for m in made] == list(range(5)) and made[0].c is not made[1].c


def test_a_factory_runs_for_each_instance():
    cls = _classes()["Defaults"]
    first, second = cls(1), cls(2)
    assert first.c == [] and first.c is not second.c


def test_frozen_stays_frozen():
    obj = _classes()["Frozen"](1)
    with pytest.raises(structs.FrozenInstanceError):
        obj.a = 2
    assert hash(obj) == hash(_classes()["Frozen"](1))


def test_repr_eq_and_hash_read_the_instance_class_fields():
    @struct
    class Base:
        a: int
        hidden: int = field(default=0, repr=False)

    @struct(frozen=True)
    class Child(Base):
        b: int = 2

    assert repr(Base(1, 5)) == "test_repr_eq_and_hash_read_the_instance_class_fields.<locals>.Base(a=1)"
    assert repr(Child(1)).endswith("Child(a=1, b=2)")
    assert Base(1) == Base(1) and Base(1) != Base(1, 5) and Base(1) != Child(1)
    assert Child(1) == Child(1) and Child(1) != Child(1, 0, 3) and hash(Child(1)) == hash(Child(1))
    assert Base.__hash__ is None
