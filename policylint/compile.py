"""Checked AST -> Python closures. Each expression node gets `node.fn(env)`.

Closures are built once per run (milliseconds); the parsed and checked AST is what the
cache keeps, so a warm run never imports Lark.
"""
from __future__ import annotations

from . import ops
from .errors import EvaluationError
from .syntax import ast
from .values import Record


class Env:
    """Variables of one scope; `let`s are computed on first use and kept."""

    __slots__ = ("vars", "lazy", "parent", "kind", "runtime")

    def __init__(self, parent: "Env | None", kind: str = "local", runtime=None, values: dict | None = None):
        self.parent = parent
        self.kind = kind
        self.vars = values if values is not None else {}
        self.lazy: dict = {}
        self.runtime = runtime if runtime is not None else parent.runtime

    def get(self, name: str):
        env = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            fn = env.lazy.get(name)
            if fn is not None:
                value = fn(env)
                env.vars[name] = value
                return value
            env = env.parent
        raise EvaluationError(f"unknown name `{name}`")

    def child(self, values: dict) -> "Env":
        return Env(self, "local", self.runtime, values)

    def enclosing(self, kind: str) -> "Env":
        env = self
        while env is not None and env.kind != kind:
            env = env.parent
        return env or self


DEFAULT_BUDGET = 10_000_000


class BudgetExceeded(Exception):
    """An evaluation took more steps than its budget: the gate is an error, the run goes on."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"more than {limit:,} steps")


class Budget:
    """Steps one evaluation (a gate on a subject, a lifecycle's subjects, a claim) may take.

    A step is an element a quantifier or a filter walks, a call, or an element an operator
    or a built-in walks (`in` on a list, a function given a list): the work a gate does
    grows with them, so nested quantifiers over large inputs run out of steps instead of
    running for hours. Counting down keeps the check to one subtraction and one comparison."""

    __slots__ = ("limit", "left")

    def __init__(self, limit: int = DEFAULT_BUDGET):
        self.limit = limit
        self.left = limit

    def reset(self) -> None:
        self.left = self.limit

    def exceeded(self):
        raise BudgetExceeded(self.limit)


class Runtime:
    """What closures reach at run time: the repository, the compiled defs and the budget."""

    def __init__(self, repo, budget: int | None = None):
        self.repo = repo
        self.defs: dict = {}  # name -> (scope kind, params, body fn, home env or None)
        self.budget = Budget(budget or DEFAULT_BUDGET)


def bind_lets(env: Env, items) -> None:
    for item in items:
        if isinstance(item, ast.Let):
            env.lazy[item.name] = item.value.fn


def compile_tree(node) -> None:
    """Attach `.fn` to every expression node under `node` (declarations included)."""
    if isinstance(node, list):
        for item in node:
            compile_tree(item)
        return
    if isinstance(node, (ast.Pack,)):
        compile_tree(node.items)
    elif isinstance(node, ast.Lifecycle):
        compile_expr(node.domain)
        for c in node.claims:
            compile_expr(c)
        compile_tree(node.body)
    elif isinstance(node, ast.Stage):
        compile_tree(node.body)
    elif isinstance(node, ast.Gate):
        for part in (node.title, node.when):
            if part is not None:
                compile_expr(part)
        compile_tree(node.body)
    elif isinstance(node, ast.Require):
        compile_expr(node.expr)
        if node.message is not None:
            node.message.fn = _template(node.message, quote=ops.clip)
        if node.fix is not None:
            compile_expr(node.fix.target)
            compile_expr(node.fix.replacement)
    elif isinstance(node, ast.Let):
        compile_expr(node.value)
    elif isinstance(node, ast.Param):
        compile_expr(node.default)
    elif isinstance(node, ast.Def):
        compile_expr(node.body)


def compile_expr(node):
    fn = _COMPILERS[type(node).__name__](node)
    node.fn = fn
    return fn


def _name(node: ast.Name):
    name = node.id
    return lambda env: env.get(name)


def _literal(node: ast.Literal):
    value = ops.Percent(node.value) if node.kind == "percent" else node.value
    return lambda env: value


def render_value(value) -> str:
    """How a value reads inside a message: text bare, numbers plain, lists comma-joined."""
    value = ops.text_of(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        return ", ".join(render_value(v) for v in value)
    return ops.show(value)


def _template(node: ast.Template, quote=None):
    """A string with `{…}` parts; an `else` message quotes each value through `quote` (clipped)."""
    parts = [(p if isinstance(p, str) else compile_expr(p)) for p in node.parts]
    if len(parts) == 1 and isinstance(parts[0], str):
        text = parts[0]
        return lambda env: text
    if quote is not None:
        return lambda env: "".join(p if isinstance(p, str) else quote(render_value(p(env))) for p in parts)

    def run(env):
        return "".join(p if isinstance(p, str) else render_value(p(env)) for p in parts)

    return run


def _regex(node: ast.Regex):
    from .regex import RegexValue

    value = RegexValue(node.pattern, node.flags)
    return lambda env: value


def _list(node: ast.ListLit):
    items = [compile_expr(i) for i in node.items]
    return lambda env: [f(env) for f in items]


def _spend(env, value):
    """Charge the budget for walking `value` when it is a list (a field of each element, `in`)."""
    if type(value) is list:
        budget = env.runtime.budget
        budget.left -= len(value)
        if budget.left < 0:
            budget.exceeded()
    return value


def _located(exc: EvaluationError, span) -> EvaluationError:
    """The error, pointing at the expression that failed: the innermost one that knows it (an
    operator, a field, an index or a call), so a gate's error names the part of the gate."""
    if exc.span is None:
        exc.span = span
    return exc


def _locating(fn, span):
    """`fn`, its EvaluationErrors located at `span` (unless an inner expression located them)."""
    def run(env):
        try:
            return fn(env)
        except EvaluationError as exc:
            raise _located(exc, span) from None

    return run


def _field(node: ast.Field):
    obj, name, span = compile_expr(node.obj), node.name, node.span

    def run(env):
        try:
            return ops.field(_spend(env, obj(env)), name)
        except EvaluationError as exc:
            raise _located(exc, span) from None

    return run


def _index(node: ast.Index):
    obj, key, span = compile_expr(node.obj), compile_expr(node.key), node.span

    def run(env):
        try:
            return ops.index(obj(env), key(env))
        except EvaluationError as exc:
            raise _located(exc, span) from None

    return run


def _call(node: ast.Call):
    args = [compile_expr(a) for a in node.args]
    name = node.func
    short = name.rpartition(".")[2]
    resolved = []  # the built-in, looked up on first call

    def call(env):
        runtime = env.runtime
        entry = runtime.defs.get(name) or runtime.defs.get(short)
        values = [a(env) for a in args]
        budget = runtime.budget
        budget.left -= 1
        for value in values:  # a function walks (or sorts) a list it is given: as many steps
            if type(value) is list:
                budget.left -= len(value)
            elif type(value) is Record:
                budget.left -= _walked(value)
        if budget.left < 0:
            budget.exceeded()
        if entry is not None:
            kind, params, body, home = entry
            parent = home if home is not None else env.enclosing(kind)
            return body(Env(parent, "local", runtime, dict(zip(params, values))))
        if not resolved:
            resolved.append(_builtin(name))
        fn = resolved[0]
        if fn.signature.needs_repo:
            if values and values[0] is None:  # never the file `None`: a path built from a missing value
                raise EvaluationError(f"`{short}` was given null for `{fn.signature.params[0][0]}`, not a path "
                                      "(a path built from a missing value?)")
            return fn(runtime.repo, *values)
        if fn.signature.needs_stages:
            return fn(_lifecycle_stages(env, short), *values)
        return fn(*values)

    return _locating(call, node.span)


def _lifecycle_stages(env, name: str):
    """The (stage names, aliases) of the lifecycle whose subject `env` is in."""
    from .functions.stages import STAGES_KEY

    subject = env.enclosing("subject")
    if subject.kind != "subject" or STAGES_KEY not in subject.vars:
        raise EvaluationError(f"`{name}` reads a lifecycle's stages: call it inside a lifecycle")
    return subject.vars[STAGES_KEY]


def _walked(record) -> int:
    """How many elements a function given this record walks: its items when it iterates."""
    items = ops.items_of(record)
    return len(items) if items is not record and hasattr(items, "__len__") else 0


def _builtin(name):
    from . import functions, loaders

    if name in loaders.LOADERS:
        return loaders.get(name)
    if name in functions.FUNCTIONS:
        return functions.get(name)
    raise EvaluationError(f"unknown function `{name}`")


def _unary(node: ast.Unary):
    operand = compile_expr(node.operand)
    if node.op == "not":
        return lambda env: not ops.truthy(operand(env))

    span = node.span

    def neg(env):
        value = operand(env)
        if value is None:
            return None
        try:
            return ops.arith("-", 0, value)
        except EvaluationError as exc:
            raise _located(exc, span) from None

    return neg


def _binary(node: ast.Binary):
    fn = _operator(node)
    if node.op in ("and", "or"):
        return fn
    return _locating(fn, node.span)


def _operator(node: ast.Binary):
    left, right, op = compile_expr(node.left), compile_expr(node.right), node.op
    if op == "and":
        return lambda env: ops.truthy(left(env)) and ops.truthy(right(env))
    if op == "or":
        return lambda env: ops.truthy(left(env)) or ops.truthy(right(env))
    if op == "==":
        return lambda env: ops.equal(_spend(env, left(env)), right(env))
    if op == "!=":
        return lambda env: not ops.equal(_spend(env, left(env)), right(env))
    if op in ("<", "<=", ">", ">="):
        return lambda env: ops.order(op, left(env), right(env))
    if op == "in":
        return lambda env: ops.contains(_spend(env, right(env)), left(env))
    if op == "not in":
        return lambda env: not ops.contains(_spend(env, right(env)), left(env))
    if op == "contains":
        return lambda env: ops.contains(_spend(env, left(env)), right(env))
    if op == "contains all":
        return lambda env: not ops.missing_from(_spend(env, left(env)), _spend(env, right(env)))
    if op == "contains any":
        return lambda env: any(ops.contains(_spend(env, left(env)), w) for w in ops.items_of(right(env)))
    if op == "matches":
        return lambda env: ops.matches(left(env), right(env))
    return lambda env: ops.arith(op, _spend(env, left(env)), _spend(env, right(env)))


def quantifier_elements(node: ast.Quantified, env):
    """(innermost element, its env) for every combination of the bindings that passes `where`."""

    budget = env.runtime.budget

    def walk(bindings, outer):
        (var, domain), rest = bindings[0], bindings[1:]
        for item in ops.items_of(domain.fn(outer)):
            budget.left -= 1
            if budget.left < 0:
                budget.exceeded()
            inner = outer.child({var: item})
            if rest:
                yield from walk(rest, inner)
            elif node.where is None or ops.truthy(node.where.fn(inner)):
                yield item, inner

    return walk(node.bindings, env)


def _quantified(node: ast.Quantified):
    for _, domain in node.bindings:
        compile_expr(domain)
    if node.where is not None:
        compile_expr(node.where)
    body, kind = compile_expr(node.body), node.kind

    def elements(env):
        for _, inner in quantifier_elements(node, env):
            yield inner

    if kind == "every":
        return lambda env: all(ops.truthy(body(e)) for e in elements(env))
    if kind == "some":
        return lambda env: any(ops.truthy(body(e)) for e in elements(env))
    return lambda env: not any(ops.truthy(body(e)) for e in elements(env))


def _conditional(node: ast.Conditional):
    cond, then, other = compile_expr(node.cond), compile_expr(node.then), compile_expr(node.other)
    return lambda env: then(env) if ops.truthy(cond(env)) else other(env)


def _where(node: ast.Where):
    domain, pred, var = compile_expr(node.domain), compile_expr(node.pred), node.var

    def run(env):
        items = ops.items_of(domain(env))
        budget = env.runtime.budget
        budget.left -= len(items) if hasattr(items, "__len__") else 1
        if budget.left < 0:
            budget.exceeded()
        return [x for x in items if ops.truthy(pred(env.child({var: x})))]

    return run


_COMPILERS = {
    "Name": _name, "Literal": _literal, "Template": _template, "Regex": _regex, "ListLit": _list,
    "Field": _field, "Index": _index, "Call": _call, "Unary": _unary, "Binary": _binary,
    "Quantified": _quantified, "Where": _where, "Conditional": _conditional,
}
