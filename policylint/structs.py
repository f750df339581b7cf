"""Small data classes for the start-up path, in place of `dataclasses`.

`import dataclasses` pulls in `inspect`, `dis` and `tokenize` (about 8 ms), and making each
of the ~40 classes a warm run needs costs more: a third of policylint's own start-up for
a tool that must answer in well under 100 ms. `@struct` gives what this code base uses of
`@dataclass` — an `__init__` from the annotations (defaults, `field(default_factory=…)`,
fields inherited from a struct base class), `__repr__`, `__eq__` (unless `eq=False`),
`frozen=True` with `__hash__` — and `fields`, `replace` and `is_struct` beside it.
The pack cache stores ASTs as plain JSON (policylint/syntax/serial.py), never pickled.
"""
from __future__ import annotations

MISSING = object()


class Field:
    __slots__ = ("name", "default", "default_factory", "repr")

    def __init__(self, name, default=MISSING, default_factory=MISSING, repr=True):
        self.name, self.default, self.default_factory, self.repr = name, default, default_factory, repr

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default=MISSING, default_factory=MISSING, repr=True) -> Field:
    return Field(None, default, default_factory, repr)


def struct(cls=None, /, *, frozen: bool = False, eq: bool = True):
    """Make `cls` a data class from its annotations (as `@dataclass` would)."""
    def wrap(cls):
        known = {f.name: f for f in getattr(cls, "__struct_fields__", ())}
        for name in cls.__dict__.get("__annotations__", {}):
            value = cls.__dict__.get(name, MISSING)
            if isinstance(value, Field):
                known[name] = Field(name, value.default, value.default_factory, value.repr)
                if value.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, value.default)
            else:
                known.pop(name, None)  # a redeclared field moves to the end, as in dataclasses
                known[name] = Field(name, value)
        own = tuple(known.values())
        cls.__struct_fields__ = own
        cls.__init__ = _lazy_init(cls, own, frozen)
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = _struct_repr
        if eq and "__eq__" not in cls.__dict__:
            cls.__eq__ = _struct_eq
            cls.__hash__ = _struct_hash if frozen else None
        if frozen:
            cls.__setattr__ = _frozen_setattr
            cls.__delattr__ = _frozen_delattr
        return cls

    return wrap if cls is None else wrap(cls)


_COMPILE_AFTER = 256  # instances a class makes through the generic `__init__` before it gets its own


def _lazy_init(cls, own: tuple, frozen: bool):
    """An `__init__` that binds its arguments itself for a class's first `_COMPILE_AFTER`
    instances, then writes the class's own (`_make_init`) and puts it in its place. Writing one
    costs a `compile` (~250 µs): a run imports ~50 struct classes and makes instances of ~20,
    most of them a handful of times, where binding by hand costs ~2 µs more an instance; a
    class made thousands of times (a big repository's results) soon gets its own."""
    put = object.__setattr__ if frozen else setattr
    made, plan, index = 0, (), {}

    def __init__(self, *args, **kwargs):
        nonlocal made, plan, index
        made += 1
        if made > _COMPILE_AFTER:
            init = _make_init(cls, own, frozen)
            if cls.__dict__.get("__init__") is __init__:
                cls.__init__ = init
            return init(self, *args, **kwargs)
        if made == 1:  # here, not when the class is made: most classes a run imports make no instance
            plan = tuple((f.name, f.default, f.default_factory) for f in own)
            index = {f.name: i for i, f in enumerate(own)}
        given = len(args)
        if given > len(plan) or kwargs:
            _check_arguments(cls, plan, index, given, kwargs)
        values = list(args)
        missing = []
        for name, default, factory in plan[given:]:
            value = kwargs.get(name, default)
            if value is MISSING and factory is MISSING:
                missing.append(name)
            values.append(value)
        if missing:
            raise TypeError(f"{cls.__qualname__}.__init__() missing {len(missing)} required positional argument"
                            f"{'s' if len(missing) > 1 else ''}: {_listed(missing)}")
        for (name, _default, factory), value in zip(plan, values):
            put(self, name, factory() if value is MISSING and factory is not MISSING else value)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _check_arguments(cls, plan: tuple, index: dict, given: int, kwargs: dict) -> None:
    """The TypeError Python raises for the arguments the written `__init__` would refuse."""
    where = f"{cls.__qualname__}.__init__()"
    if given > len(plan):
        least = 1 + sum(1 for _name, default, factory in plan if default is MISSING and factory is MISSING)
        takes = f"from {least} to {len(plan) + 1}" if least <= len(plan) else str(least)
        raise TypeError(f"{where} takes {takes} positional argument{'s' if plan else ''} but {given + 1} were given")
    for name in kwargs:
        at = index.get(name)
        if at is None:
            raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
        if at < given:
            raise TypeError(f"{where} got multiple values for argument {name!r}")


def _listed(names: list) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def _make_init(cls, own: tuple, frozen: bool):
    namespace = {"MISSING": MISSING}
    params, body = [], []
    for f in own:
        if f.default is not MISSING:
            namespace[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
            value = f.name
        elif f.default_factory is not MISSING:
            namespace[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            value = f"_f_{f.name}() if {f.name} is MISSING else {f.name}"
        else:
            params.append(f.name)
            value = f.name
        body.append(f"  _set(self, {f.name!r}, {value})" if frozen else f"  self.{f.name} = {value}")
    if frozen:
        namespace["_set"] = object.__setattr__
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "  pass") + "\n"
    exec(source, namespace)  # noqa: S102 — source built from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


# A struct's repr, == and hash, one function each for every class, reading the fields of the
# instance's class: made per class, they cost each of the ~50 classes a run imports closures.
def _struct_repr(self) -> str:
    inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in type(self).__struct_fields__ if f.repr)
    return f"{type(self).__qualname__}({inner})"


def _struct_eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    return all(getattr(self, f.name) == getattr(other, f.name) for f in type(self).__struct_fields__)


def _struct_hash(self):
    return hash(tuple(getattr(self, f.name) for f in type(self).__struct_fields__))


class FrozenInstanceError(AttributeError):
    pass


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def fields(obj) -> tuple:
    return type(obj).__struct_fields__ if not isinstance(obj, type) else obj.__struct_fields__


def is_struct(obj) -> bool:
    return hasattr(type(obj), "__struct_fields__") and not isinstance(obj, type)


def replace(obj, **changes):
    """A copy of `obj` with `changes` (a frozen one too)."""
    values = {f.name: getattr(obj, f.name) for f in fields(obj)}
    values.update(changes)
    return type(obj)(**values)
