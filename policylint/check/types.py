"""Names, fields, calls and operand types: inferred for every expression before a run.

Unknown names, functions and fields are reported with "did you mean"; calls to built-in
functions and loaders are checked against their declared signatures.
"""
from __future__ import annotations

from ..diagnostics import Diagnostic, did_you_mean
from ..syntax import ast
from .. import types as T
from ..types import ANY, BOOL, DATE, NULL, NUMBER, PATH, REGEX, STR, List, ListType, RecordType

COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
ORDERED = {"<", "<=", ">", ">="}


def signatures() -> dict:
    """Every built-in function and loader signature, by name (imports their modules)."""
    from .. import functions, loaders

    table = {}
    for name in functions.FUNCTIONS:
        table[name] = functions.get(name).signature
    for name in loaders.LOADERS:
        table[name] = loaders.get(name).signature
    return table


class Scope:
    """Names a part of a pack can see. `vars` are bound values (a quantifier's element, a def's
    parameter, the subject); `decls` the params, lets and defs declared in this scope, each
    visible everywhere in it whatever the order (as in Rego and Cedar)."""

    def __init__(self, parent: "Scope | None" = None):
        self.parent = parent
        self.vars: dict = {}
        self.decls: dict = {}  # name -> Decl

    def find(self, name: str):
        """The innermost binding of `name`: a type (a bound value), a Decl, or None."""
        scope = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            if name in scope.decls:
                return scope.decls[name]
            scope = scope.parent
        return None

    def lookup_def(self, name: str):
        """The def a call names: the innermost def of that name (a let of the name does not hide it)."""
        scope = self
        while scope is not None:
            decl = scope.decls.get(name)
            if decl is not None and isinstance(decl.node, ast.Def):
                return decl
            scope = scope.parent
        return None

    def names(self) -> set:
        out, scope = set(), self
        while scope is not None:
            out |= set(scope.vars) | {n for n, d in scope.decls.items() if not isinstance(d.node, ast.Def)}
            scope = scope.parent
        return out

    def def_names(self) -> set:
        out, scope = set(), self
        while scope is not None:
            out |= {n for n, d in scope.decls.items() if isinstance(d.node, ast.Def)}
            scope = scope.parent
        return out


class Decl:
    """A param, let or def: its type inferred on first use, in the scope that declares it.
    Inferring one that is being inferred closes a cycle: reported as recursion."""

    def __init__(self, node, scope: Scope, checker: "Checker", imported: bool = False):
        self.node, self.scope, self.checker = node, scope, checker
        self.name = node.name
        self.type: T.Type | None = ANY if imported else None  # an imported def is checked in its own pack
        self.busy = False

    def result_type(self, span=None) -> T.Type:
        if self.type is not None:
            return self.type
        checker = self.checker
        if self.busy:
            checker.recursion(self, span)
            return ANY
        self.busy = True
        checker.defining.append(self)
        try:
            node = self.node
            if isinstance(node, ast.Def):
                inner = Scope(self.scope)
                for param in node.params:
                    inner.vars[param] = ANY
                found = checker.infer(node.body, inner)
            else:
                found = checker.infer(node.default if isinstance(node, ast.Param) else node.value, self.scope)
        finally:
            checker.defining.pop()
            self.busy = False
        if self.type is None:
            self.type = found
        return self.type


def check(pack: ast.Pack, imports=None) -> list:
    from . import Imports

    return Checker(pack, imports or Imports()).run()


class Checker:
    def __init__(self, pack: ast.Pack, imports):
        self.pack = pack
        self.sigs = signatures()
        self.out: list = []
        self.imports = imports  # what `use` brings in (check.Imports)
        self.defining: list = []  # the Decls whose types are being inferred, outermost first
        self.cycles: set = set()  # the recursive cycles reported, each as the set of its names

    def error(self, code, message, span, help_text=None):
        self.out.append(Diagnostic(code, message, span, help_text))

    # -- declarations ------------------------------------------------------------------------
    def run(self) -> list:
        root = Scope()
        for name, sig in self.sigs.items():
            if sig.value:
                root.vars[name] = sig.returns
        for name, nodes in self.imports.defs.items():
            root.decls[name] = Decl(nodes[0], Scope(), self, imported=True)
        top = Scope(root)
        self.declare(self.pack.items, top)
        for item in self.pack.items:
            if isinstance(item, ast.Lifecycle):
                self.lifecycle(item, top)
            elif isinstance(item, ast.Extend):
                self.extend(item, top)
            elif isinstance(item, ast.Override):
                self.override(item)
            elif isinstance(item, ast.Gate):
                self.gate(item, top, top)
        return self.out

    def declare(self, items, scope: Scope) -> None:
        """Params, lets and defs: all visible in the scope in any order; each is inferred once
        (its errors reported once), a cycle among them reported as recursion."""
        for item in items:
            if isinstance(item, (ast.Param, ast.Let, ast.Def)):
                scope.decls.setdefault(item.name, Decl(item, scope, self))
        for item in items:
            if isinstance(item, (ast.Param, ast.Let, ast.Def)):
                decl = scope.decls[item.name]
                if decl.node is item:
                    decl.result_type(item.span)
                else:  # a duplicate (PL210): its own expression is still checked
                    Decl(item, scope, self).result_type(item.span)

    def recursion(self, decl: Decl, span) -> None:
        """PL218 for the cycle that reaching `decl` again closes (`f → g → f`), once per cycle."""
        names = [d.name for d in self.defining[self.defining.index(decl):]] + [decl.name]
        if frozenset(names) in self.cycles:
            return
        self.cycles.add(frozenset(names))
        kinds = {type(d.node) for d in self.defining[self.defining.index(decl):]}
        what = "a def" if kinds == {ast.Def} else "a def, let or param"
        self.error("PL218", f"`{names[0]}` is recursive: {' → '.join(names)}", span or decl.node.span,
                   f"{what} cannot use itself, directly or through others; the language has no recursion")

    def lifecycle(self, node: ast.Lifecycle, top: Scope) -> None:
        domain = self.infer(node.domain, top)
        if T.element_type(domain) is None:
            self.error("PL211", f"a lifecycle's subjects must be a list, found {domain}", node.domain.span,
                       'find them with `dirs("specs/*")` or `glob("…")`')
        scope = Scope(top)
        scope.vars[node.name] = PATH
        self.declare(node.body, scope)
        for expr in node.claims:
            self.infer(expr, scope)
        self.stages(node.stages, scope, top)

    def stages(self, stages, scope: Scope, top: Scope) -> None:
        for stage in stages:
            stage_scope = Scope(scope)
            self.declare(stage.body, stage_scope)
            for item in stage.body:
                if isinstance(item, ast.Gate):
                    self.gate(item, stage_scope, top)

    def extend(self, node: ast.Extend, top: Scope) -> None:
        """An extension: its lifecycle must be one of a used pack's, its stages that lifecycle's."""
        base = self.imports.lifecycles.get(node.target)
        if base is None:
            if node.pack in self.imports.helpers:
                self.error("PL219", f"cannot extend `{node.target}`: `use defs from` brings in only defs", node.span,
                           f'write `use "{self.imports.helpers[node.pack]}"` to run its lifecycles and extend them')
            else:
                known = sorted(self.imports.lifecycles)
                self.error("PL219", f"no lifecycle `{node.target}` in the packs this pack uses", node.span,
                           did_you_mean(node.target, known, "lifecycles") if known else
                           f'extend a lifecycle of a used pack: `use "{node.pack}"` first')
        names = [s.name for s in base.stages] if base is not None else []
        for stage in node.stages:
            if base is not None and stage.name not in names:
                self.error("PL219", f"lifecycle `{node.target}` has no stage `{stage.name}`", stage.span,
                           did_you_mean(stage.name, names, "stages") or f"its stages: {', '.join(names)}")
            if stage.aliases:
                self.error("PL219", f"an extension cannot give stage `{stage.name}` aliases", stage.span,
                           f"the stages and what a claim may say are `{node.target}`'s own")
        scope = Scope(top)
        scope.vars[node.lifecycle] = PATH
        self.declare(node.body, scope)
        self.stages(node.stages, scope, top)

    def override(self, node: ast.Override) -> None:
        from ..gates import SEVERITY_RANK

        gate = self.imports.gates.get(node.gate)
        if gate is not None:
            if gate.unwaivable and SEVERITY_RANK[node.level] < SEVERITY_RANK[gate.severity]:
                self.error("PL220", f"`{node.gate}` is unwaivable: it cannot be made `{node.level}`", node.span,
                           "an unwaivable gate may be made stricter, never weaker or off")
            return
        own = node.gate.partition(".")[0] == self.pack.name
        self.error("PL220", f"no gate `{node.gate}` in the packs this pack uses", node.span,
                   "a pack's own gates take their severity where they are declared" if own else
                   did_you_mean(node.gate, sorted(self.imports.gates), "gates"))

    def gate(self, node: ast.Gate, scope: Scope, top: Scope) -> None:
        if node.title is not None:
            self.infer(node.title, top)
        if node.when is not None:
            self.infer(node.when, scope)
        inner = Scope(scope)
        self.declare([item for item in node.body if isinstance(item, ast.Let)], inner)
        for item in node.body:
            if isinstance(item, ast.Require):
                message_scope = self.require_scope(item.expr, inner)
                self.infer(item.expr, inner)
                if item.message is not None:
                    self.infer(item.message, message_scope)
                if item.fix is not None:  # the gate's names (not a quantifier's)
                    self.infer(item.fix.target, inner)
                    self.infer(item.fix.replacement, inner)

    def require_scope(self, expr, scope: Scope) -> Scope:
        """A quantified require's message sees the quantifier's variables."""
        if isinstance(expr, ast.Quantified):
            inner = Scope(scope)
            for var, domain in expr.bindings:
                inner.vars[var] = T.element_type(self.quiet(domain, inner)) or ANY
            return inner
        return scope

    def quiet(self, node, scope):
        saved = self.out
        self.out = []
        try:
            return self.infer(node, scope)
        finally:
            self.out = saved

    # -- expressions ---------------------------------------------------------------------------
    def infer(self, node, scope: Scope) -> T.Type:
        method = getattr(self, "infer_" + type(node).__name__)
        return method(node, scope)

    def infer_Name(self, node: ast.Name, scope):
        found = scope.find(node.id)
        if isinstance(found, Decl) and isinstance(found.node, ast.Def) or found is None and node.id in self.sigs \
                and not self.sigs[node.id].value:
            self.error("PL204", f"`{node.id}` is a function; call it", node.span, f"write `{node.id}(…)`")
            return ANY
        if isinstance(found, Decl):
            return found.result_type(node.span)
        if found is not None:
            return found
        self.error("PL204", f"unknown name `{node.id}`", node.span,
                   did_you_mean(node.id, scope.names(), "names in scope"))
        return ANY

    def infer_Literal(self, node: ast.Literal, scope):
        return {"string": STR, "number": NUMBER, "percent": NUMBER, "date": DATE, "bool": BOOL,
                "null": NULL}[node.kind]

    def infer_Template(self, node: ast.Template, scope):
        for part in node.parts:
            if not isinstance(part, str):
                self.infer(part, scope)
        return STR

    def infer_Regex(self, node: ast.Regex, scope):
        from ..regex import RegexError, compile_regex

        try:
            compile_regex(node.pattern, node.flags)
        except RegexError as exc:
            problem, _, fragment = str(exc).partition(": ")  # RE2 says "invalid escape sequence: \1"
            self.error("PL209", f"invalid regex: {problem}" + (f" `{fragment}`" if fragment else ""), node.span,
                       "regexes use RE2 syntax (no backreferences or lookaround)")
        return REGEX

    def infer_ListLit(self, node: ast.ListLit, scope):
        types = {self.infer(item, scope) for item in node.items}
        return List(types.pop() if len(types) == 1 else ANY)

    def infer_Field(self, node: ast.Field, scope):
        return self._field_of(self.infer(node.obj, scope), node)

    def _field_of(self, obj, node: ast.Field):
        if obj in (ANY, NULL):
            return ANY
        if isinstance(obj, ListType) and (isinstance(obj.elem, RecordType) or obj.elem in (PATH, ANY)):
            inner = self._field_of(obj.elem, node)  # `branches.name`: the field of each element
            return ANY if inner == ANY else T.List(inner)
        if isinstance(obj, RecordType):
            found = obj.field_type(node.name)
            if found is None:
                self.error("PL201", f"unknown field `{node.name}` on {obj.name}", node.name_span,
                           did_you_mean(node.name, obj.fields, "fields"))
                return ANY
            return found
        if obj == PATH:
            if node.name in T.PATH_FIELDS:
                return T.PATH_FIELDS[node.name][0]
            self.error("PL201", f"unknown field `{node.name}` on Path", node.name_span,
                       did_you_mean(node.name, T.PATH_FIELDS, "fields"))
            return ANY
        hint = None
        if isinstance(obj, ListType):
            hint = f"it is a list; use a quantifier: `every x in …: x.{node.name}`"
        self.error("PL201", f"unknown field `{node.name}` on {obj}", node.name_span, hint)
        return ANY

    def infer_Index(self, node: ast.Index, scope):
        obj = self.infer(node.obj, scope)
        key = self.infer(node.key, scope)
        if isinstance(obj, ListType):
            if key not in (NUMBER, ANY):
                self.error("PL212", f"a list is indexed by a number, found {key}", node.key.span)
            return obj.elem
        if obj in (STR, PATH):
            return STR
        if obj in (NUMBER, BOOL, DATE, REGEX):
            self.error("PL212", f"cannot index a {obj}", node.span)
        return ANY

    def infer_Call(self, node: ast.Call, scope):
        arg_types = [self.infer(arg, scope) for arg in node.args]
        name = node.func
        info = scope.lookup_def(name)
        if info is not None and len(self.imports.defs.get(name, ())) > 1 and info.scope.parent is None:
            owners = ", ".join(f"`{owner}.{name}`" for owner in self.imports.owners[name])
            self.error("PL222", f"`{name}` is a def of more than one used pack", node.func_span,
                       f"name the one meant: {owners}")
            return ANY
        if info is not None:
            want = len(info.node.params)
            if want != len(node.args):
                self.error("PL203", f"`{name}` takes {_count(want, 'argument')}, found {len(node.args)}",
                           node.func_span, f"`def {name}({', '.join(info.node.params)})` at line {info.node.span.line}")
            return info.result_type(node.func_span)
        sig = self.sigs.get(name)
        if sig is None:
            hint = did_you_mean(name, set(self.sigs) | scope.def_names())
            self.error("PL205", f"unknown function `{name}`", node.func_span,
                       hint or "the functions and loaders are listed in docs/loaders.md (`policylint inspect` shows a loader's view)")
            return ANY
        low, high = sig.min_args, sig.max_args
        if len(node.args) < low or (high is not None and len(node.args) > high):
            expected = _count(low, "argument") if low == high else (
                f"at least {low}" if high is None else f"{low} to {high} arguments")
            self.error("PL203", f"`{name}` takes {expected}, found {len(node.args)}", node.func_span,
                       f"usage: {sig.usage()}")
            return sig.returns
        for i, (arg, actual) in enumerate(zip(node.args, arg_types)):
            pname, ptype = sig.params[min(i, len(sig.params) - 1)]
            if not T.assignable(actual, ptype):
                self.error("PL202", f"`{name}` expects {ptype} for `{pname}`, found {actual}", arg.span,
                           f"usage: {sig.usage()}")
        returns = sig.returns
        if name in ("min", "max", "first", "last") and arg_types:
            returns = T.element_type(arg_types[0]) or ANY
        elif name in ("unique", "duplicates", "sorted") and arg_types:
            returns = List(T.element_type(arg_types[0]) or ANY)
        return returns

    def infer_Unary(self, node: ast.Unary, scope):
        operand = self.infer(node.operand, scope)
        if node.op == "-":
            self.expect_number(operand, node.operand.span, "`-`")
            return NUMBER
        return BOOL

    def infer_Binary(self, node: ast.Binary, scope):
        left = self.infer(node.left, scope)
        right = self.infer(node.right, scope)
        op = node.op
        if op in ("and", "or"):
            return BOOL
        if op in COMPARISONS:
            if op in ORDERED and not _comparable(left, right):
                hint = "read the text as a number with `number(…)`" if {left, right} == {STR, NUMBER} else None
                self.error("PL212", f"cannot order {left} against {right} with `{op}`", node.op_span, hint)
            return BOOL
        if op in ("in", "not in"):
            if T.element_type(right) is None and right not in (STR, PATH) and not isinstance(right, RecordType):
                self.error("PL212", f"`{op}` needs a list or a string on its right, found {right}", node.right.span)
            return BOOL
        if op == "contains":
            if T.element_type(left) is None and not isinstance(left, RecordType):
                self.error("PL212", f"`contains` needs a list or a string on its left, found {left}", node.left.span)
            return BOOL
        if op in ("contains all", "contains any"):
            if T.element_type(left) is None:
                self.error("PL212", f"`{op}` needs a list or a string on its left, found {left}", node.left.span)
            if not isinstance(right, ListType) and right != ANY:
                self.error("PL212", f"`{op}` needs a list on its right, found {right}", node.right.span,
                           f'write `… {op} ["a", "b"]`')
            return BOOL
        if op == "matches":
            if right not in (REGEX, STR, ANY):
                self.error("PL212", f"`matches` needs a regex on its right, found {right}", node.right.span,
                           "write `x matches /pattern/`")
            if not T.assignable(left, STR) and left not in (NULL,):
                self.error("PL212", f"`matches` needs text on its left, found {left}", node.left.span,
                           "to test every element use `some x in xs: x matches /…/`")
            return BOOL
        # arithmetic
        if op == "/" and left in (STR, PATH):
            if not T.assignable(right, STR):
                self.error("PL212", f"a path is joined with text, found {right}", node.right.span)
            return PATH
        if op == "+" and left == STR and right == STR:
            return STR
        if op == "+" and isinstance(left, ListType) and isinstance(right, ListType):
            return List(left.elem if left == right else ANY)
        if left == ANY or right == ANY:
            return ANY
        self.expect_number(left, node.left.span, f"`{op}`")
        self.expect_number(right, node.right.span, f"`{op}`")
        return NUMBER

    def expect_number(self, found, span, what):
        if found not in (NUMBER, ANY, NULL):
            self.error("PL212", f"{what} needs a number, found {found}", span)

    def infer_Quantified(self, node: ast.Quantified, scope):
        inner = Scope(scope)
        for var, domain_node in node.bindings:
            domain = self.infer(domain_node, inner)
            elem = T.element_type(domain)
            if elem is None:
                self.error("PL211", f"`{node.kind} … in` needs a list, found {domain}", domain_node.span)
                elem = ANY
            inner.vars[var] = elem
        if node.where is not None:
            self.infer(node.where, inner)
        if node.body is not None:
            self.infer(node.body, inner)
        elif node.kind == "every":
            self.error("PL221", f"`every {node.var} in …` needs a condition", node.span,
                       f"write `every {node.var} in …: condition`; `no {node.var} in …` makes each element a finding")
        return BOOL

    def infer_One(self, node: ast.One, scope):
        value = self.infer(node.value, scope)
        return ANY if value == NULL else List(value)

    def infer_Conditional(self, node: ast.Conditional, scope):
        self.infer(node.cond, scope)
        then, other = self.infer(node.then, scope), self.infer(node.other, scope)
        if then == other or other == NULL:
            return then
        return other if then == NULL else ANY

    def infer_Where(self, node: ast.Where, scope):
        domain = self.infer(node.domain, scope)
        elem = T.element_type(domain)
        if elem is None:
            self.error("PL211", f"`where` needs a list, found {domain}", node.domain.span)
            elem = ANY
        inner = Scope(scope)
        inner.vars[node.var] = elem
        self.infer(node.pred, inner)
        return List(elem)


def _comparable(a, b) -> bool:
    if ANY in (a, b) or NULL in (a, b):
        return True
    numeric = {NUMBER}
    texty = {STR, PATH}
    if a in numeric and b in numeric or a in texty and b in texty:
        return True
    if DATE in (a, b) and ({a, b} <= {DATE, STR}):
        return True
    return False


def _count(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")
