"""Checked AST -> Python closures. Each expression node gets `node.fn(env)`; each call is
bound to its definition here, so what a name means never depends on who calls it.

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

    __slots__ = ("vars", "lazy", "parent", "runtime")

    def __init__(self, parent: "Env | None", runtime=None, values: dict | None = None):
        self.parent = parent
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
        return Env(self, self.runtime, values)


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
    """What closures reach at run time: the repository, the budget, and where each def's body
    runs (`homes`: a pack's global scope, or a lifecycle's current subject)."""

    def __init__(self, repo, budget: int | None = None):
        self.repo = repo
        self.homes: dict = {}  # home key (compile.home_key) -> Env
        self.stages = None  # (stage names, aliases) of the lifecycle whose subject is evaluated
        self.budget = Budget(budget or DEFAULT_BUDGET)


def bind_lets(env: Env, items) -> None:
    for item in items:
        if isinstance(item, ast.Let):
            env.lazy[item.name] = item.value.fn


def home_key(pack_key: str, block=None) -> str:
    """The key of the scope a def's body runs in: its pack's, or its lifecycle's (extension's)."""
    if block is None:
        return pack_key
    if isinstance(block, ast.Extend):
        return f"{pack_key}/extend {block.target}"
    return f"{pack_key}/{block.name}"


def visible_defs(pack) -> dict:
    """name -> [(ast.Def, home key)] a pack's `use`s bring in, unqualified and as `pack.name`
    (several for an unqualified name two packs define: the checker refuses calling it)."""
    out: dict = {}
    for used in list(pack.uses) + list(getattr(pack, "helpers", ())):
        for item in used.ast.items:
            if isinstance(item, ast.Def):
                for name in (item.name, f"{used.name}.{item.name}"):
                    found = out.setdefault(name, [])
                    if all(d is not item for d, _ in found):
                        found.append((item, used.key))
    return out


class Compiler:
    """Attaches `node.fn(env)` to every expression of a pack. Each call is bound here, once,
    to the def its name means where it is written (lexical scope: the innermost lifecycle or
    extension, then the pack, then the packs it uses), or else to a built-in."""

    def __init__(self, pack=None):
        self.pack = pack
        imported = {name: found[0] for name, found in visible_defs(pack).items()} if pack is not None else {}
        self.scopes: list = [imported]  # innermost last: name -> (ast.Def, home key)

    # -- declarations ------------------------------------------------------------------------
    def compile_pack(self) -> None:
        tree = self.pack.ast
        self._enter(tree.items, home_key(self.pack.key))
        try:
            for item in tree.items:
                self.declaration(item)
        finally:
            self.scopes.pop()

    def _enter(self, items, home: str) -> None:
        self.scopes.append({item.name: (item, home) for item in items if isinstance(item, ast.Def)})

    def declaration(self, node) -> None:
        """Closures for a declaration and everything in it (a gate alone: `test --mutate`)."""
        if isinstance(node, list):
            for item in node:
                self.declaration(item)
        elif isinstance(node, (ast.Lifecycle, ast.Extend)):
            if isinstance(node, ast.Lifecycle):
                self.expr(node.domain)
            self._enter(node.body, home_key(self.pack.key if self.pack is not None else "", node))
            try:
                for claim in getattr(node, "claims", ()):
                    self.expr(claim)
                self.declaration(node.body)
            finally:
                self.scopes.pop()
        elif isinstance(node, ast.Stage):
            self.declaration(node.body)
        elif isinstance(node, ast.Gate):
            for part in (node.title, node.when):
                if part is not None:
                    self.expr(part)
            self.declaration(node.body)
        elif isinstance(node, ast.Require):
            self.expr(node.expr)
            if node.message is not None:
                node.message.fn = self._template(node.message, quote=ops.clip)
            if node.fix is not None:
                self.expr(node.fix.target)
                self.expr(node.fix.replacement)
        elif isinstance(node, ast.Let):
            self.expr(node.value)
        elif isinstance(node, ast.Param):
            self.expr(node.default)
        elif isinstance(node, ast.Def):
            self.expr(node.body)

    def recompile(self, target) -> None:
        """Closures again for one gate of the pack (a mutant of it), in the scopes around it."""
        def visit(items):
            for item in items:
                if item is target:
                    self.declaration(item)
                elif isinstance(item, (ast.Lifecycle, ast.Extend)):
                    self._enter(item.body, home_key(self.pack.key, item))
                    try:
                        visit(item.body)
                    finally:
                        self.scopes.pop()
                elif isinstance(item, ast.Stage):
                    visit(item.body)

        tree = self.pack.ast
        self._enter(tree.items, home_key(self.pack.key))
        try:
            visit(tree.items)
        finally:
            self.scopes.pop()

    def resolve(self, name: str):
        """(ast.Def, home key) a call of `name` means here, or None for a built-in."""
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, node):
        fn = getattr(self, "compile_" + type(node).__name__)(node)
        node.fn = fn
        return fn

    def compile_Name(self, node: ast.Name):
        name = node.id
        return lambda env: env.get(name)

    def compile_Literal(self, node: ast.Literal):
        value = ops.Percent(node.value) if node.kind == "percent" else node.value
        return lambda env: value

    def compile_Template(self, node: ast.Template):
        return self._template(node)

    def _template(self, node: ast.Template, quote=None):
        """A string with `{…}` parts; an `else` message quotes each value through `quote` (clipped)."""
        parts = [(p if isinstance(p, str) else self.expr(p)) for p in node.parts]
        if len(parts) == 1 and isinstance(parts[0], str):
            text = parts[0]
            return lambda env: text
        if quote is not None:
            return lambda env: "".join(p if isinstance(p, str) else quote(render_value(p(env))) for p in parts)

        def run(env):
            return "".join(p if isinstance(p, str) else render_value(p(env)) for p in parts)

        return run

    def compile_Regex(self, node: ast.Regex):
        from .regex import RegexValue

        value = RegexValue(node.pattern, node.flags)
        return lambda env: value

    def compile_ListLit(self, node: ast.ListLit):
        items = [self.expr(i) for i in node.items]
        return lambda env: [f(env) for f in items]

    def compile_One(self, node: ast.One):
        value = self.expr(node.value)

        def run(env):
            found = value(env)
            return [] if found is None else [found]

        return run

    def compile_Field(self, node: ast.Field):
        obj, name, span = self.expr(node.obj), node.name, node.span

        def run(env):
            try:
                return ops.field(_spend(env, obj(env)), name)
            except EvaluationError as exc:
                raise _located(exc, span) from None

        return run

    def compile_Index(self, node: ast.Index):
        obj, key, span = self.expr(node.obj), self.expr(node.key), node.span

        def run(env):
            try:
                return ops.index(obj(env), key(env))
            except EvaluationError as exc:
                raise _located(exc, span) from None

        return run

    def compile_Call(self, node: ast.Call):
        args = [self.expr(a) for a in node.args]
        name = node.func
        short = name.rpartition(".")[2]
        target = self.resolve(name)
        if target is not None:
            definition, home = target
            params = definition.params

            def call_def(env):
                runtime = env.runtime
                values = [a(env) for a in args]
                _charge(runtime.budget, values)
                return definition.body.fn(Env(runtime.homes[home], runtime, dict(zip(params, values))))

            return _locating(call_def, node.span)
        resolved = []  # the built-in, looked up on first call

        def call(env):
            runtime = env.runtime
            values = [a(env) for a in args]
            _charge(runtime.budget, values)
            if not resolved:
                resolved.append(_builtin(name))
            fn = resolved[0]
            if fn.signature.needs_repo:
                if values and values[0] is None:  # never the file `None`: a path built from a missing value
                    raise EvaluationError(f"`{short}` was given null for `{fn.signature.params[0][0]}`, not a path "
                                          "(a path built from a missing value?)")
                return fn(runtime.repo, *values)
            if fn.signature.needs_stages:
                if runtime.stages is None:
                    raise EvaluationError(f"`{short}` reads a lifecycle's stages: call it inside a lifecycle")
                return fn(runtime.stages, *values)
            return fn(*values)

        return _locating(call, node.span)

    def compile_Unary(self, node: ast.Unary):
        operand = self.expr(node.operand)
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

    def compile_Binary(self, node: ast.Binary):
        fn = self._operator(node)
        if node.op in ("and", "or"):
            return fn
        return _locating(fn, node.span)

    def _operator(self, node: ast.Binary):
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
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

    def compile_Quantified(self, node: ast.Quantified):
        for _, domain in node.bindings:
            self.expr(domain)
        if node.where is not None:
            self.expr(node.where)
        kind = node.kind

        def elements(env):
            for _, inner in quantifier_elements(node, env):
                yield inner

        if node.body is None:  # `some x in xs`: there is one; `no x in xs`: there is none
            if kind == "some":
                return lambda env: any(True for _ in elements(env))
            return lambda env: not any(True for _ in elements(env))
        body = self.expr(node.body)
        if kind == "every":
            return lambda env: all(ops.truthy(body(e)) for e in elements(env))
        if kind == "some":
            return lambda env: any(ops.truthy(body(e)) for e in elements(env))
        return lambda env: not any(ops.truthy(body(e)) for e in elements(env))

    def compile_Conditional(self, node: ast.Conditional):
        cond, then, other = self.expr(node.cond), self.expr(node.then), self.expr(node.other)
        return lambda env: then(env) if ops.truthy(cond(env)) else other(env)

    def compile_Where(self, node: ast.Where):
        domain, pred, var = self.expr(node.domain), self.expr(node.pred), node.var

        def run(env):
            items = ops.items_of(domain(env))
            budget = env.runtime.budget
            budget.left -= len(items) if hasattr(items, "__len__") else 1
            if budget.left < 0:
                budget.exceeded()
            return [x for x in items if ops.truthy(pred(env.child({var: x})))]

        return run


def render_value(value) -> str:
    """How a value reads inside a message: text bare, numbers plain, lists comma-joined."""
    value = ops.text_of(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        return ", ".join(render_value(v) for v in value)
    return ops.show(value)


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


def _charge(budget, values) -> None:
    """A call is a step, and a function walks (or sorts) a list it is given: as many steps."""
    budget.left -= 1
    for value in values:
        if type(value) is list:
            budget.left -= len(value)
        elif type(value) is Record:
            budget.left -= _walked(value)
    if budget.left < 0:
        budget.exceeded()


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


