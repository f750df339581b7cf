"""Static types of the policy language, shared by the checker, loaders and functions.

Types are small immutable descriptions; the checker infers them for every expression so
that unknown fields and wrong arguments are reported before anything runs.
"""
from __future__ import annotations

from .structs import field, struct


@struct(frozen=True)
class Type:
    name: str

    def __str__(self) -> str:
        return self.name


@struct(frozen=True)
class ListType(Type):
    elem: Type = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"List[{self.elem}]"


@struct(frozen=True, eq=False)
class RecordType(Type):
    """A loader's view: named fields, each with a type and a one-line doc.

    ``iterates`` names a list field that quantifiers and ``count`` walk when they are
    given the record itself (so ``every t in tasks`` walks ``tasks.items``).
    """

    doc: str = ""
    fields: dict = field(default_factory=dict)  # name -> (Type | str, doc)
    iterates: str | None = None

    def field_type(self, name: str) -> Type | None:
        entry = self.fields.get(name)
        if entry is None:
            return None
        ftype = entry[0]
        if isinstance(ftype, str):  # forward reference, resolved on use
            return RECORDS[ftype]
        return ftype

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordType) and other.name == self.name


ANY = Type("Any")
STR = Type("Str")
PATH = Type("Path")  # a repository-relative path; a Str everywhere a Str is expected
NUMBER = Type("Number")
BOOL = Type("Bool")
DATE = Type("Date")
REGEX = Type("Regex")
NULL = Type("Null")

RECORDS: dict[str, RecordType] = {}


def List(elem: Type) -> ListType:  # noqa: N802 - reads like a type constructor
    return ListType("List", elem)


def record(name: str, doc: str, fields: dict, iterates: str | None = None) -> RecordType:
    """Declare a record type once; loaders and the checker look it up by name."""
    rtype = RecordType(name, doc, fields, iterates)
    RECORDS[name] = rtype
    return rtype


def element_type(t: Type) -> Type | None:
    """What a quantifier binds when walking ``t``; None when ``t`` cannot be walked."""
    if t == ANY:
        return ANY
    if isinstance(t, ListType):
        return t.elem
    if isinstance(t, RecordType) and t.iterates:
        return element_type(t.field_type(t.iterates))
    if t in (STR, PATH):
        return STR  # characters; rarely useful, but `"x" in s` needs Str
    return None


def assignable(actual: Type, expected: Type) -> bool:
    """True when a value of ``actual`` may stand where ``expected`` is required."""
    if ANY in (actual, expected) or actual == expected:
        return True
    if actual == NULL:
        return True
    if expected == STR and actual in (PATH, REGEX):
        return actual == PATH
    if expected == PATH and actual == STR:
        return True
    if isinstance(expected, ListType):
        if isinstance(actual, ListType):
            return assignable(actual.elem, expected.elem)
        if isinstance(actual, RecordType) and actual.iterates:
            return assignable(actual.field_type(actual.iterates), expected)
        return False
    if expected == STR and isinstance(actual, RecordType):
        return "text" in actual.fields  # a record with text compares as its text
    return False


# The path of a file or folder, with a few derived fields.
PATH_FIELDS = {
    "name": (STR, "last component, `specs/001-login` -> `001-login`"),
    "stem": (STR, "name without its last suffix"),
    "suffix": (STR, "last suffix with its dot, or empty"),
    "parent": (PATH, "the folder that holds it"),
}
