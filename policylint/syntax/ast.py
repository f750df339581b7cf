"""The AST: plain data classes (policylint.structs), each node with its source span.

Plain data, so a parsed pack is cached as JSON (syntax/serial.py) and loaded without Lark.
"""
from __future__ import annotations

from ..structs import field, struct
# `Any` in annotations is never evaluated (they are strings): no `typing` import at start-up

from ..diagnostics import Span


@struct(eq=False)
class Node:
    span: Span


# ---- expressions -------------------------------------------------------------------------
@struct(eq=False)
class Name(Node):
    id: str


@struct(eq=False)
class Literal(Node):
    """A constant: str, float, bool, None, datetime.date; `kind` says which literal."""

    value: Any
    kind: str  # string number percent date bool null


@struct(eq=False)
class Template(Node):
    """A string with `{expr}` parts; `parts` alternates str and Expr."""

    parts: list

    @property
    def plain(self) -> str:
        """The text as written, `{…}` for what it interpolates (a title in a listing)."""
        return "".join(p if isinstance(p, str) else "{…}" for p in self.parts)


@struct(eq=False)
class Regex(Node):
    pattern: str
    flags: str


@struct(eq=False)
class ListLit(Node):
    items: list


@struct(eq=False)
class Field(Node):
    obj: Any
    name: str
    name_span: Span


@struct(eq=False)
class Index(Node):
    obj: Any
    key: Any


@struct(eq=False)
class Call(Node):
    func: str  # a name, or `pack.name` for a def imported with `use`
    args: list
    func_span: Span


@struct(eq=False)
class Unary(Node):
    op: str  # not, -
    operand: Any


@struct(eq=False)
class Binary(Node):
    op: str  # and or == != < <= > >= in "not in" contains "contains all" "contains any" matches + - * /
    left: Any
    right: Any
    op_span: Span


@struct(eq=False)
class Quantified(Node):
    """`every a in xs, b in a.ys where p: q`; `more` holds the nested (var, domain) pairs."""

    kind: str  # every some no
    var: str
    domain: Any
    where: Any | None
    body: Any | None  # None: `some x in xs` (there is one), `no x in xs` (each is a finding)
    more: list = field(default_factory=list)

    @property
    def bindings(self) -> list:
        return [(self.var, self.domain)] + list(self.more)


@struct(eq=False)
class One(Node):
    """A quantifier's `h = expr` binding: the value as the one element, no element when null."""

    value: Any


@struct(eq=False)
class Conditional(Node):
    cond: Any
    then: Any
    other: Any


@struct(eq=False)
class Where(Node):
    """`xs where p`: the elements for which p holds; p names the element `it` (or, for a
    quantifier's binding `o in xs where p`, the binding's own name)."""

    domain: Any
    pred: Any
    var: str = "it"


# ---- declarations ------------------------------------------------------------------------
@struct(eq=False)
class Let(Node):
    name: str
    value: Any


@struct(eq=False)
class Param(Node):
    name: str
    default: Any


@struct(eq=False)
class Def(Node):
    name: str
    params: list
    body: Any


@struct(eq=False)
class Use(Node):
    target: str
    is_path: bool
    defs_only: bool = False  # `use defs from "x"`: its defs, not its gates


class _Staged:
    """A block whose body holds stages (a lifecycle, an extension of one)."""

    @property
    def stages(self) -> list:
        return [item for item in self.body if isinstance(item, Stage)]


@struct(eq=False)
class Extend(_Staged, Node):
    """`extend speckit.spec { … }`: gates added to the stages of a used pack's lifecycle."""

    pack: str
    lifecycle: str
    body: list  # Let, Def, Stage in order

    @property
    def target(self) -> str:
        return f"{self.pack}.{self.lifecycle}"


@struct(eq=False)
class Override(Node):
    """`override speckit.review.no-todo warning` (or `off`): a used pack's gate re-graded."""

    gate: str
    level: str  # error warning info off


@struct(eq=False)
class Fix(Node):
    """`fix TEXT to NEW`: the located text a failing require may rewrite, and its replacement."""
    target: Any
    replacement: Any


@struct(eq=False)
class Require(Node):
    expr: Any
    message: Template | None
    fix: Fix | None = None


@struct(eq=False)
class Gate(Node):
    name: str
    title: Template | None
    severity: str
    unwaivable: bool
    when: Any | None
    body: list  # Let and Require in order
    doc: str = ""
    stage: str | None = None
    end: Span | None = None  # where the declaration ends (its `}`)

    @property
    def plain_title(self) -> str:
        """The title as the policy writes it, `{…}` for what it interpolates; else the name."""
        return self.name if self.title is None else self.title.plain


@struct(eq=False)
class Stage(Node):
    name: str
    body: list  # Let and Gate in order
    aliases: list = field(default_factory=list)  # `stage integrated as "L2"`: what a claim may also say


def stage_key(text: str) -> str:
    """How a claim, a stage name and an alias compare: lower case, punctuation and spaces as
    single hyphens (`**Checklist Validated**` and `checklist-validated` are one key)."""
    cleaned = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in text.lower()).strip()
    return "-".join(cleaned.replace("_", " ").split())


@struct(eq=False)
class Lifecycle(_Staged, Node):
    name: str
    domain: Any
    claims: list
    body: list  # Let, Def, Stage in order

    @property
    def aliases(self) -> dict:
        """What a claim may say besides a stage's name (`stage integrated as "L2"`) -> the stage."""
        return {alias: stage.name for stage in self.stages for alias in stage.aliases}


@struct(eq=False)
class Pack(Node):
    name: str
    title: str
    version: str | None
    items: list
    path: str
    source: str = field(default="", repr=False)
    detect: str | None = None  # a glob: the pack applies by default where it matches


# ---- spans made when first read ------------------------------------------------------------
class _Positioned:
    """A node's span (or another of its Span fields) as an attribute. A tree the pack cache loads
    (serial.py) holds the field as `(positions, number, path)` (span_at), and the Span is made
    on its first read: a run reads a few hundred of a pack's ~1,500 spans (where an expression
    may fail), and making the others cost `check FILE` ~4M instructions. A parsed tree holds
    Spans; either way the field is where the class's other fields are, in the instance's dict."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        try:
            value = obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if type(value) is tuple:
            value = obj.__dict__[self.name] = span_at(*value)
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value


def span_at(positions: list, number: int, path: str) -> Span:
    """The Span of `path` that is the `number`th in `positions` (line, column, end line and end
    column, four numbers a span)."""
    line, column, end_line, end_column = positions[4 * number:4 * number + 4]
    span = object.__new__(Span)  # frozen: filled through its __dict__, as unpickling did
    span.__dict__.update(path=path, line=line, column=column, end_line=end_line, end_column=end_column)
    return span


# the Span fields a cached tree leaves unmade: node -> its fields (set after @struct read the annotations)
POSITIONED = {Node: ("span",), Field: ("name_span",), Call: ("func_span",), Binary: ("op_span",)}
for _cls, _names in POSITIONED.items():
    for _name in _names:
        setattr(_cls, _name, _Positioned(_name))
