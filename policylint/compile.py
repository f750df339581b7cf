"""Checked AST -> Python closures. Each expression node gets `node.fn(env)`; each call is
bound to its definition here, so what a name means never depends on who calls it.

Closures are built once per run (milliseconds); the parsed and checked AST is what the
cache keeps, so a warm run never imports Lark.

A gate's cost is what it pays per element it walks, so the closures take shortcuts that
give the same values, errors and explanations (tests/cases/language/evaluation.yaml): a
binding rebound in one scope per walk, what does not change along a walk computed once
(`_hoist`), a def's result kept for its arguments within one evaluation (`_call_def`), and
a `matches` that decides which lines of a list count tried on all their text at once
(`_text_regex`, regex.line_candidates). The explainer re-walks a failed require element
by element (quantifier_elements); the budget counts the elements walked either way.
"""
from __future__ import annotations

from operator import attrgetter, itemgetter

from . import ops
from .errors import EvaluationError
from .regex import RegexValue, line_candidates
from .syntax import ast
from .values import Lazy, LazyFields, LStr, PathValue, Record

truthy = ops.truthy
_PLAIN = ops.PLAIN


class Env:
    """Variables of one scope; `let`s are computed on first use and kept."""

    __slots__ = ("vars", "lazy", "parent", "runtime")

    def __init__(self, parent: "Env | None", runtime=None, values: dict | None = None, lazy: dict | None = None):
        self.parent = parent
        self.vars = values if values is not None else {}
        self.lazy: dict = lazy if lazy is not None else {}  # read only when given: see evaluate._Block
        self.runtime = runtime if runtime is not None else parent.runtime

    def get(self, name: str):
        env = self
        while env is not None:
            values = env.vars
            if name in values:
                return values[name]
            lazy = env.lazy
            if lazy:
                fn = lazy.get(name)
                if fn is not None:
                    value = values[name] = fn(env)
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

    __slots__ = ("limit", "left", "memo")

    def __init__(self, limit: int = DEFAULT_BUDGET):
        self.limit = limit
        self.left = limit
        self.memo: dict = {}  # (def, arguments) -> (result, steps, arguments): see Compiler.compile_Call

    def reset(self) -> None:
        """A new evaluation: all its steps again, and no def result of another evaluation (so
        each one reads what it uses: `test --mutate` and the results cache record those reads)."""
        self.left = self.limit
        if self.memo:
            self.memo = {}

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
        self.loops: list = []  # the bindings around the expression compiled: _Loop, innermost last
        self._free: dict = {}  # id(node) -> the names it reads from around it

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
    #
    # Each closure is called once per element a quantifier or a filter walks, so the common
    # cases are written out: no helper calls where a type check decides, a quantifier's
    # variable rebound in one scope instead of a scope made per element (nothing keeps an
    # expression's scope after it returns: lets live in the scopes evaluate.py makes, and the
    # explainer walks with scopes of its own, quantifier_elements), and errors located by the
    # closure that catches them rather than by a wrapper around it.

    def expr(self, node):
        kind = type(node)
        method = _COMPILERS.get(kind)
        if method is None:  # each node class's method found once a process, not once a node
            method = _COMPILERS[kind] = getattr(Compiler, "compile_" + kind.__name__)
        fn = method(self, node)
        if self.loops and kind in _HOISTED:
            fn = self._hoist(node, fn)
        node.fn = fn
        return fn

    def _hoist(self, node, fn):
        """A call or a walk inside a quantifier or a filter that reads none of the variables
        bound there is computed once per walk (in the scope of the outermost binding it does
        not read), not once per element: `lower(title)` in `doc.headings where
        startswith(lower(it.text), lower(title))`. Expressions have no side effects, so the
        value is the same; it is computed when first needed, as before, so it fails where
        and when it failed."""
        free = self._free_names(node)
        level = len(self.loops)
        while level and not (self.loops[level - 1].names & free):
            level -= 1
        if level == len(self.loops):
            return fn
        key = _HoistKey()
        self.loops[level].hoisted[key] = fn
        return _hoisted(key, fn)

    def _free_names(self, node) -> frozenset:
        """The names an expression reads from the scopes around it."""
        found = self._free.get(id(node))
        if found is not None:
            return found
        if isinstance(node, ast.Name):
            found = frozenset((node.id,))
        elif isinstance(node, ast.Quantified):
            names, bound = set(), set()
            for var, domain in node.bindings:
                names |= self._free_names(domain) - bound
                bound.add(var)
            for part in (node.where, node.body):
                if part is not None:
                    names |= self._free_names(part) - bound
            found = frozenset(names)
        elif isinstance(node, ast.Where):
            found = self._free_names(node.domain) | (self._free_names(node.pred) - {node.var})
        else:
            names = set()
            for part in _children(node):
                names |= self._free_names(part)
            found = frozenset(names)
        self._free[id(node)] = found
        return found

    def _walking(self, names, compile_inside):
        """`compile_inside()` with `names` bound around it (a binding's scope): returns its
        result and the hoisted expressions that scope computes once per walk."""
        loop = _Loop(frozenset(names))
        self.loops.append(loop)
        try:
            return compile_inside(), loop.hoisted
        finally:
            self.loops.pop()

    def compile_Name(self, node: ast.Name):
        name = node.id

        def run(env):
            values = env.vars  # a quantifier's or a filter's element is in the innermost scope
            if name in values:
                return values[name]
            return env.get(name)

        return run

    def compile_Literal(self, node: ast.Literal):
        value = ops.Percent(node.value) if node.kind == "percent" else node.value
        return _constant(value)

    def compile_Template(self, node: ast.Template):
        return self._template(node)

    def _template(self, node: ast.Template, quote=None):
        """A string with `{…}` parts; an `else` message quotes each value through `quote` (clipped)."""
        parts = [(p if isinstance(p, str) else self.expr(p)) for p in node.parts]
        if len(parts) == 1 and isinstance(parts[0], str):
            return _constant(parts[0])
        if quote is not None:
            return lambda env: "".join(p if isinstance(p, str) else quote(render_value(p(env))) for p in parts)

        def run(env):
            return "".join(p if isinstance(p, str) else render_value(p(env)) for p in parts)

        return run

    def compile_Regex(self, node: ast.Regex):
        return _constant(RegexValue(node.pattern, node.flags))

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
        obj, name, at = self.expr(node.obj), node.name, node
        field = ops.field

        def read(value, env):
            """The field of `value`: a record's own field read in place, else through ops.field."""
            if type(value) is Record:
                fields = value.fields
                if type(fields) is dict:
                    if name in fields:
                        found = fields[name]
                        return value.get(name) if type(found) is Lazy else found
                elif type(fields) is LazyFields:
                    found = fields.get(name, _MISSING)
                    if found is not _MISSING:
                        return value.get(name) if type(found) is Lazy else found
                elif name in fields:
                    return value.get(name)
            elif type(value) is list:
                _spend(env, value)
            return field(value, name)

        if isinstance(node.obj, ast.Name):  # `l.text`: the variable looked up here, not by a call
            var = node.obj.id

            def run_named(env):
                try:
                    values = env.vars
                    return read(values[var] if var in values else env.get(var), env)
                except EvaluationError as exc:
                    raise _located(exc, at) from None

            return run_named

        def run(env):
            try:
                return read(obj(env), env)
            except EvaluationError as exc:
                raise _located(exc, at) from None

        return run

    def compile_Index(self, node: ast.Index):
        obj, key, at = self.expr(node.obj), self.expr(node.key), node
        index = ops.index

        def run(env):
            try:
                value, position = obj(env), key(env)
                if type(value) is list and type(position) is int:
                    return value[position] if -len(value) <= position < len(value) else None
                return index(value, position)
            except EvaluationError as exc:
                raise _located(exc, at) from None

        return run

    def compile_Call(self, node: ast.Call):
        target = self.resolve(node.func)
        args = [self.expr(a) for a in node.args]
        if target is None and node.func == "first" and len(node.args) == 1 and isinstance(node.args[0], ast.Where):
            return _locating(node.args[0].first, node)  # the filter stops at its first element
        if target is not None:
            node.calls_def = target[0]  # for _loops: whether a def's body walks anything
            return self._call_def(node, args, *target)
        return self._call_builtin(node, args)

    def _call_def(self, node: ast.Call, args: list, definition: ast.Def, home: str):
        """A def's body in a scope of its own: its params, then its home (lexical scope).

        Within one evaluation (a gate on a subject) a def that walks something keeps its
        result per arguments (`has_section(plan, "X")`, then `section(plan, "X")`): its body
        reads only its arguments, its home and the repository, none of which changes then.
        A result found again is charged the steps it took, as if computed again."""
        params, at = definition.params, node
        memoized = None  # whether the def walks anything, decided on the first call

        def call_def(env):
            nonlocal memoized
            try:
                runtime = env.runtime
                values = [a(env) for a in args]
                budget = runtime.budget
                _charge(budget, values)
                if memoized is None:
                    memoized = _loops(definition.body, set())
                key = _memo_key(definition, values) if memoized else None
                if key is None:
                    return definition.body.fn(Env(runtime.homes[home], runtime, dict(zip(params, values))))
                hit = budget.memo.get(key)
                if hit is not None:
                    budget.left -= hit[1]
                    if budget.left < 0:
                        budget.exceeded()
                    return hit[0]
                before = budget.left
                result = definition.body.fn(Env(runtime.homes[home], runtime, dict(zip(params, values))))
                budget.memo[key] = (result, before - budget.left, values)  # the values keep their ids taken
                return result
            except EvaluationError as exc:
                raise _located(exc, at) from None

        return call_def

    def _call_builtin(self, node: ast.Call, args: list):
        name, at = node.func, node
        short = name.rpartition(".")[2]
        fn = None  # the built-in, looked up on first call
        plain = False  # it takes only its arguments (no repository, no stages)

        def call(env):
            nonlocal fn, plain
            try:
                values = [a(env) for a in args]
                runtime = env.runtime
                _charge(runtime.budget, values)
                if fn is None:
                    fn = _builtin(name)
                    plain = not (fn.signature.needs_repo or fn.signature.needs_stages)
                if plain:
                    return fn(*values)
                if fn.signature.needs_repo:
                    if values and values[0] is None:  # never the file `None`: a path built from a missing value
                        raise EvaluationError(f"`{short}` was given null for `{fn.signature.params[0][0]}`, not a "
                                              "path (a path built from a missing value?)")
                    return fn(runtime.repo, *values)
                if runtime.stages is None:
                    raise EvaluationError(f"`{short}` reads a lifecycle's stages: call it inside a lifecycle")
                return fn(runtime.stages, *values)
            except EvaluationError as exc:
                raise _located(exc, at) from None

        # One or two arguments (`lower(x)`, `count(xs)`, `startswith(a, b)`): no list made,
        # once `call` has looked the built-in up and found it plain.
        if len(args) == 1:
            (arg,) = args

            def call_one(env):
                if not plain:
                    return call(env)
                try:
                    value = arg(env)
                    budget = env.runtime.budget
                    budget.left -= 1
                    kind = type(value)
                    if kind is list:
                        budget.left -= len(value)
                    elif kind is Record:
                        budget.left -= _walked(value)
                    if budget.left < 0:
                        budget.exceeded()
                    return fn(value)
                except EvaluationError as exc:
                    raise _located(exc, at) from None

            return call_one
        if len(args) == 2:
            first, second = args

            def call_two(env):
                if not plain:
                    return call(env)
                try:
                    a, b = first(env), second(env)
                    budget = env.runtime.budget
                    budget.left -= 1
                    kind = type(a)
                    if kind is list:
                        budget.left -= len(a)
                    elif kind is Record:
                        budget.left -= _walked(a)
                    kind = type(b)
                    if kind is list:
                        budget.left -= len(b)
                    elif kind is Record:
                        budget.left -= _walked(b)
                    if budget.left < 0:
                        budget.exceeded()
                    return fn(a, b)
                except EvaluationError as exc:
                    raise _located(exc, at) from None

            return call_two
        return call

    def compile_Unary(self, node: ast.Unary):
        operand = self.expr(node.operand)
        if node.op == "not":
            def run_not(env):
                value = operand(env)
                return value is False or (value is not True and not truthy(value))

            return run_not

        at = node

        def neg(env):
            value = operand(env)
            if value is None:
                return None
            try:
                return ops.arith("-", 0, value)
            except EvaluationError as exc:
                raise _located(exc, at) from None

        return neg

    def compile_Binary(self, node: ast.Binary):
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
        if op == "and":
            def run_and(env):
                value = left(env)
                if value is False or (value is not True and not truthy(value)):
                    return False
                value = right(env)
                return value if value is True or value is False else truthy(value)

            return run_and
        if op == "or":
            def run_or(env):
                value = left(env)
                if value is True or (value is not False and truthy(value)):
                    return True
                value = right(env)
                return value if value is True or value is False else truthy(value)

            return run_or
        if op in ("==", "!=", "matches"):
            return self._compare(op, left, right, node)
        return _locating(self._operator(op, left, right), node)

    def _compare(self, op: str, left, right, at):
        """`==`, `!=` and `matches`, the operators quantifier bodies use most, written out."""
        equal = ops.equal
        if op == "matches":
            matches = ops.matches

            def run_matches(env):
                try:
                    value, regex = left(env), right(env)
                    if type(regex) is RegexValue and isinstance(value, str):
                        return regex.test(value)
                    return matches(value, regex)
                except EvaluationError as exc:
                    raise _located(exc, at) from None

            return run_matches
        negate = op == "!="

        def run_equal(env):
            try:
                a = left(env)
                if type(a) is list:
                    _spend(env, a)
                b = right(env)
                if type(a) in _PLAIN and type(b) in _PLAIN:  # ops.equal's first case, without the call
                    return (a != b) if negate else (a == b)
                return (not equal(a, b)) if negate else equal(a, b)
            except EvaluationError as exc:
                raise _located(exc, at) from None

        return run_equal

    @staticmethod
    def _operator(op: str, left, right):
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
        return lambda env: ops.arith(op, _spend(env, left(env)), _spend(env, right(env)))

    def compile_Quantified(self, node: ast.Quantified):
        """Whether some combination of the bindings "counts": passes `where` and satisfies the
        body (`some`, `no`) or fails it (`every`). The bindings are walked as
        quantifier_elements walks them (the explainer's way), one scope per binding, rebound
        per element; the innermost binding may skip the lines a text search rules out
        (_text_regex)."""
        names = [var for var, _ in node.bindings]
        bindings = node.bindings

        def inside(level: int):
            """The domains from `level` on, then `where` and the body, each binding's scope
            around what follows it."""
            if level == len(bindings):
                return ([], self.expr(node.where) if node.where is not None else None,
                        self.expr(node.body) if node.body is not None else None)
            domain = self.expr(bindings[level][1])
            (rest, where, body), hoisted = self._walking({names[level]}, lambda: inside(level + 1))
            return [(domain, hoisted)] + rest, where, body

        levels, where, body = inside(0)
        domains = [domain for domain, _ in levels]
        hoists = [hoisted for _, hoisted in levels]
        kind = node.kind
        counts_when = kind != "every"  # the body's truth that makes an element count
        last = len(names) - 1
        # the regex a counting element's text must match, when the text is what decides
        decided_by = _text_regex(node.where, names[last], names) if node.where is not None else None
        if decided_by is None and node.where is None and body is not None and counts_when:
            decided_by = _text_regex(node.body, names[last], names)
        items_of = ops.items_of

        def counts(inner) -> bool:
            if where is not None:
                value = where(inner)
                if value is False or (value is not True and not truthy(value)):
                    return False
            if body is None:
                return True
            value = body(inner)
            return (value is True or (value is not False and truthy(value))) is counts_when

        def innermost(items, inner, outer, budget) -> bool:
            values, var = inner.vars, names[last]
            lines = _candidates(decided_by, items, outer) if decided_by is not None else None
            if lines is not None:  # only these can count; the others are walked all the same
                walked = -1
                for i in lines:
                    budget.left -= i - walked
                    if budget.left < 0:
                        budget.exceeded()
                    walked = i
                    values[var] = items[i]
                    if counts(inner):
                        return True
                budget.left -= len(items) - 1 - walked
                if budget.left < 0:
                    budget.exceeded()
                return False
            if where is None and body is not None:  # the common case, written out
                for item in items:
                    budget.left -= 1
                    if budget.left < 0:
                        budget.exceeded()
                    values[var] = item
                    value = body(inner)
                    if (value is True or (value is not False and truthy(value))) is counts_when:
                        return True
                return False
            for item in items:
                budget.left -= 1
                if budget.left < 0:
                    budget.exceeded()
                values[var] = item
                if counts(inner):
                    return True
            return False

        def walk(level: int, outer, budget) -> bool:
            items = items_of(domains[level](outer))
            inner = Env(outer, outer.runtime, {})
            inner.lazy = hoists[level]  # read only: see _hoisted
            if level == last:
                return innermost(items, inner, outer, budget)
            values, var = inner.vars, names[level]
            for item in items:
                budget.left -= 1
                if budget.left < 0:
                    budget.exceeded()
                values[var] = item
                if walk(level + 1, inner, budget):
                    return True
            return False

        if kind == "some":
            return lambda env: walk(0, env, env.runtime.budget)
        return lambda env: not walk(0, env, env.runtime.budget)

    def compile_Conditional(self, node: ast.Conditional):
        cond, then, other = self.expr(node.cond), self.expr(node.then), self.expr(node.other)
        return lambda env: then(env) if truthy(cond(env)) else other(env)

    def compile_Where(self, node: ast.Where):
        """`xs where p`; `node.first` is `first(xs where p)`: the first element that satisfies
        `p` or null, the elements after it not looked at (compile_Call takes it)."""
        domain, var = self.expr(node.domain), node.var
        pred, hoisted = self._walking({var}, lambda: self.expr(node.pred))
        decided_by = _text_regex(node.pred, var, [var])
        items_of = ops.items_of

        def walk(env, only_first: bool):
            items = items_of(domain(env))
            budget = env.runtime.budget
            budget.left -= len(items) if hasattr(items, "__len__") else 1
            if budget.left < 0:
                budget.exceeded()
            inner = Env(env, env.runtime, {})
            inner.lazy = hoisted  # read only: see _hoisted
            values = inner.vars
            out = []
            lines = _candidates(decided_by, items, env) if decided_by is not None else None
            for x in (items if lines is None else [items[i] for i in lines]):
                values[var] = x
                value = pred(inner)
                if value is True or (value is not False and truthy(value)):
                    if only_first:
                        return x
                    out.append(x)
            return None if only_first else out

        node.first = lambda env: walk(env, True)
        return lambda env: walk(env, False)


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


def _located(exc: EvaluationError, at) -> EvaluationError:
    """The error, pointing at the expression `at` (its node) that failed: the innermost one that
    knows it (an operator, a field, an index or a call), so a gate's error names the part of the
    gate. The node's span is read here, on failure: a tree from the pack cache makes a span when
    it is first read (ast._Positioned), and most expressions never fail."""
    if exc.span is None:
        exc.span = at.span
    return exc


def _locating(fn, at):
    """`fn`, its EvaluationErrors located at the node `at` (unless an inner expression located them)."""
    def run(env):
        try:
            return fn(env)
        except EvaluationError as exc:
            raise _located(exc, at) from None

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


class _Loop:
    """A binding's scope while it is compiled: its variable, and what is computed once per
    walk in it (hoist key -> closure), which each walk's scope takes as its `lazy`."""

    __slots__ = ("names", "hoisted")

    def __init__(self, names: frozenset):
        self.names = names
        self.hoisted: dict = {}


class _HoistKey:
    """A hoisted expression's place in a walk's scope: no name, so no name can find it."""

    __slots__ = ()


_COMPILERS: dict = {}  # node class -> Compiler.compile_<class>
_HOISTED = (ast.Call, ast.Where, ast.Quantified)  # worth computing once: more than a look-up


def _hoisted(key, fn):
    """`fn`, computed once per walk of the binding it was hoisted out of: in that walk's scope
    (found up the chain, holding `key` in its `lazy`), kept in its `vars`. Evaluated in
    a scope no walk of that binding made (the explainer's), it is computed there."""
    def run(env):
        scope = env
        while scope is not None:
            values = scope.vars
            if key in values:
                return values[key]
            if key in scope.lazy:
                value = values[key] = fn(scope)
                return value
            scope = scope.parent
        return fn(env)

    return run


_SPAN_FIELDS = frozenset(name for names in ast.POSITIONED.values() for name in names)


def _children(node):
    """The expressions directly inside an expression node."""
    if isinstance(node, ast.Template):
        return [p for p in node.parts if isinstance(p, ast.Node)]
    out = []
    for f in type(node).__struct_fields__:
        if f.name in _SPAN_FIELDS:  # positions, not expressions (and made when first read)
            continue
        value = getattr(node, f.name)
        if isinstance(value, ast.Node):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(v for v in value if isinstance(v, ast.Node))
    return out


_MISSING = object()


def _constant(value):
    return lambda env: value


def _memo_key(definition, values):
    """The key of a def's result for these arguments, or None when one cannot be kept: text,
    numbers and the like by value (and a located string by its location too, which the result
    may carry), records, lists and regexes by identity (the memo keeps them, so no other
    value takes their id meanwhile)."""
    key = [definition]
    for value in values:
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            key.append((kind, value))
        elif kind is LStr or kind is PathValue:
            key.append((kind, value, value.loc))
        elif kind is Record or kind is list or kind is dict or kind is RegexValue:
            key.append(id(value))
        else:
            return None
    return tuple(key)


def _loops(node, seen: set) -> bool:
    """Whether evaluating `node` walks a list (a quantifier, a filter, or a def that does):
    what makes a def's result worth keeping."""
    if isinstance(node, (ast.Quantified, ast.Where)):
        return True
    if isinstance(node, (list, tuple)):
        return any(_loops(item, seen) for item in node)
    if not isinstance(node, ast.Node):
        return False
    definition = getattr(node, "calls_def", None)
    if definition is not None and id(definition) not in seen:
        seen.add(id(definition))
        if _loops(definition.body, seen):
            return True
    return any(_loops(getattr(node, f.name), seen) for f in type(node).__struct_fields__
               if f.name not in _SPAN_FIELDS)


def _text_regex(node, var: str, bound: list, in_def: bool = False):
    """The regex node R when `node` holds only if `var.text matches R`, tested first (so
    an element whose text does not match is decided before anything else is evaluated):
    `var.text matches R and …`, or a def whose body starts so (`is_open_question(l)`).
    R is a regex literal, or a name none of `bound` (the quantifier's own variables) is;
    in a def's body only a literal (a name there means the def's scope)."""
    while isinstance(node, ast.Binary) and node.op == "and":
        node = node.left
    if isinstance(node, ast.Binary) and node.op == "matches":
        text, regex = node.left, node.right
        if not (isinstance(text, ast.Field) and text.name == "text" and isinstance(text.obj, ast.Name)
                and text.obj.id == var):
            return None
        if isinstance(regex, ast.Regex) or (isinstance(regex, ast.Name) and regex.id not in bound and not in_def):
            return regex
        return None
    definition = getattr(node, "calls_def", None) if isinstance(node, ast.Call) else None
    if definition is None or not all(isinstance(a, ast.Name) for a in node.args):
        return None  # an argument that is no name may fail before the body is reached
    for param, arg in zip(definition.params, node.args):
        if arg.id == var:
            found = _text_regex(definition.body, param, definition.params, in_def=True)
            if found is not None:
                return found
    return None


FEW = 8  # elements below which searching their texts at once does not pay


def _candidates(regex_node, items, env):
    """Indexes of the `items` (records with a `text`) whose text the regex may match, or None
    to walk them all (few items, a regex or a text the search cannot take, or a value that
    fails: walking them fails the same way, at its place)."""
    if type(items) is not list or len(items) < FEW:
        return None
    try:
        regex = regex_node.fn(env)
        kept = _TEXTS.get(id(items))
        if kept is not None and kept[0] is items:
            texts = kept[1]
        else:
            texts = _texts_of(items)
            if len(_TEXTS) >= MAX_TEXTS_KEPT:
                _TEXTS.clear()
            _TEXTS[id(items)] = (items, texts)
        if texts is None:
            return None
    except Exception:  # noqa: BLE001 — a record without a text: walking the elements fails where it belongs
        return None
    return line_candidates(regex, texts)


# A document's lines are searched by several gates in a row (spec.md's by six): their texts
# are gathered once per list, found again by the list's identity (kept alive here, so no
# other list takes its id; lists of lines are not changed once loaded); at most this many
# kept, forgotten all at once.
_TEXTS: dict = {}
MAX_TEXTS_KEPT = 16


def _texts_of(items: list):
    """The `text` of each record, or None when one is no record or its text no string."""
    if set(map(type, items)) != _RECORD:
        return None
    texts = list(map(_text_field, map(_fields, items)))
    if not set(map(type, texts)) <= _TEXT:
        texts = [item.get("text") for item in items]  # computed on first read (values.Lazy)
        if not all(isinstance(text, str) for text in texts):
            return None
    return texts


_RECORD = {Record}
_TEXT = {str, LStr}
_fields = attrgetter("fields")
_text_field = itemgetter("text")


def _builtin(name):
    from . import functions, loaders

    if name in loaders.LOADERS:
        return loaders.get(name)
    if name in functions.FUNCTIONS:
        return functions.get(name)
    raise EvaluationError(f"unknown function `{name}`")


def explained_elements(node: ast.Quantified, env, holding_only: bool) -> tuple:
    """(the elements quantifier_elements gives, how many pass `where`) for the explainer; with
    `holding_only`, elements whose body cannot hold may be left out. A single binding over
    lines walks only those a text search does not rule out (the evaluator's pushdown:
    _text_regex), when they fail `where` or, with `holding_only`, the body; what it leaves out
    is decided by the regex before anything else is evaluated, so nothing it would have said
    or failed is lost. Each element is charged to the budget, as before."""
    if len(node.bindings) == 1:
        var, domain = node.bindings[0]
        if node.where is not None:
            regex = _text_regex(node.where, var, [var])
        else:
            regex = _text_regex(node.body, var, [var]) if holding_only and node.body is not None else None
        if regex is not None:
            items = ops.items_of(domain.fn(env))
            lines = _candidates(regex, items, env)
            if lines is not None:
                _spend(env, items)  # each element a step, as quantifier_elements charges them
                elements = []
                for i in lines:
                    inner = env.child({var: items[i]})
                    if node.where is None or ops.truthy(node.where.fn(inner)):
                        elements.append((items[i], inner))
                return elements, (len(elements) if node.where is not None else len(items))
    elements = list(quantifier_elements(node, env))
    return elements, len(elements)


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


