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
    def __init__(self, parent: "Scope | None" = None):
        self.parent = parent
        self.vars: dict = {}
        self.defs: dict = {}
        self.later: dict = {}  # name -> a param, let or def of this scope not declared yet

    def lookup_later(self, name):
        """The declaration `name` will have, further down this scope or one around it."""
        scope = self
        while scope is not None:
            if name in scope.later:
                return scope.later[name]
            scope = scope.parent
        return None

    def def_nodes(self) -> dict:
        """Every def this scope can name, declared or not yet, innermost first."""
        out, scope = {}, self
        while scope is not None:
            for name, info in scope.defs.items():
                out.setdefault(name, info.node)
            for name, node in scope.later.items():
                if isinstance(node, ast.Def):
                    out.setdefault(name, node)
            scope = scope.parent
        return out

    def lookup(self, name):
        scope = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        return None

    def lookup_def(self, name):
        scope = self
        while scope is not None:
            if name in scope.defs:
                return scope.defs[name]
            scope = scope.parent
        return None

    def names(self) -> set:
        out, scope = set(), self
        while scope is not None:
            out |= set(scope.vars)
            scope = scope.parent
        return out

    def def_names(self) -> set:
        out, scope = set(), self
        while scope is not None:
            out |= set(scope.defs)
            scope = scope.parent
        return out


class DefInfo:
    def __init__(self, node: ast.Def, scope: Scope, checker: "Checker", imported: bool = False):
        self.node, self.scope, self.checker = node, scope, checker
        self.returns: T.Type | None = ANY if imported else None  # checked in its own pack

    def result_type(self) -> T.Type:
        if self.returns is None:
            self.returns = ANY  # a def cannot see itself, but guard against loops anyway
            inner = Scope(self.scope)
            for param in self.node.params:
                inner.vars[param] = ANY
            self.checker.defining.append(self.node.name)
            try:
                self.returns = self.checker.infer(self.node.body, inner)
            finally:
                self.checker.defining.pop()
        return self.returns


def check(pack: ast.Pack, imported_defs: dict) -> list:
    return Checker(pack, imported_defs).run()


class Checker:
    def __init__(self, pack: ast.Pack, imported_defs: dict):
        self.pack = pack
        self.sigs = signatures()
        self.out: list = []
        self.imported = imported_defs  # name -> ast.Def from used packs
        self.defining: list = []  # the defs whose bodies are being checked, outermost first
        self.cycles: set = set()  # the recursive cycles reported, each as the set of its defs

    def error(self, code, message, span, help_text=None):
        self.out.append(Diagnostic(code, message, span, help_text))

    # -- declarations ------------------------------------------------------------------------
    def run(self) -> list:
        root = Scope()
        for name, sig in self.sigs.items():
            if sig.value:
                root.vars[name] = sig.returns
        for name, node in self.imported.items():
            root.defs[name] = DefInfo(node, Scope(), self, imported=True)
        top = Scope(root)
        self.declare(self.pack.items, top)
        for item in self.pack.items:
            if isinstance(item, ast.Lifecycle):
                self.lifecycle(item, top)
            elif isinstance(item, ast.Gate):
                self.gate(item, top, top)
        return self.out

    def declare(self, items, scope: Scope) -> None:
        """Params, lets and defs in order: each may use only what is declared before it (what is
        declared later is known, so that using it says so instead of "unknown")."""
        for item in items:
            if isinstance(item, (ast.Param, ast.Let, ast.Def)):
                scope.later.setdefault(item.name, item)
        for item in items:
            if scope.later.get(getattr(item, "name", None)) is item:
                del scope.later[item.name]
            if isinstance(item, (ast.Param, ast.Let)):
                value = item.default if isinstance(item, ast.Param) else item.value
                scope.vars.setdefault(item.name, self.infer(value, scope))
            elif isinstance(item, ast.Def):
                info = DefInfo(item, Scope(scope), self)
                info.result_type()
                scope.defs.setdefault(item.name, info)

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
        for stage in node.stages:
            stage_scope = Scope(scope)
            self.declare(stage.body, stage_scope)
            for item in stage.body:
                if isinstance(item, ast.Gate):
                    self.gate(item, stage_scope, top)

    def gate(self, node: ast.Gate, scope: Scope, top: Scope) -> None:
        if node.title is not None:
            self.infer(node.title, top)
        if node.when is not None:
            self.infer(node.when, scope)
        inner = Scope(scope)
        for item in node.body:
            if isinstance(item, ast.Let):
                inner.vars.setdefault(item.name, self.infer(item.value, inner))
            elif isinstance(item, ast.Require):
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
        found = scope.lookup(node.id)
        if found is not None:
            return found
        if (node.id in self.sigs and not self.sigs[node.id].value) or scope.lookup_def(node.id):
            self.error("PL204", f"`{node.id}` is a function; call it", node.span, f"write `{node.id}(…)`")
            return ANY
        later = scope.lookup_later(node.id)
        if isinstance(later, (ast.Param, ast.Let)):
            self._before_declaration(node.id, later, node.span)
            return ANY
        self.error("PL204", f"unknown name `{node.id}`", node.span,
                   did_you_mean(node.id, scope.names(), "names in scope"))
        return ANY

    def _before_declaration(self, name: str, decl, span) -> None:
        kind = "def" if isinstance(decl, ast.Def) else "let" if isinstance(decl, ast.Let) else "param"
        self.error("PL217", f"`{name}` is used before its declaration at line {decl.span.line}", span,
                   f"a {kind} can be used only below its declaration: move `{kind} {name}` above this line")

    def _recursion(self, name: str, scope) -> list | None:
        """The cycle (`f → g → f`) that calling `name` from the def being checked closes, if any:
        defs cannot call themselves, directly or through other defs."""
        if not self.defining:
            return None
        if name in self.defining:
            return self.defining[self.defining.index(name):] + [name]
        current, nodes = self.defining[-1], scope.def_nodes()
        paths, seen = [[current, name]], {name}
        while paths:  # breadth first: the shortest cycle
            path = paths.pop(0)
            node = nodes.get(path[-1])
            for called in _calls(node.body) if node is not None else ():
                if called == current:
                    return path + [called]
                if called in nodes and called not in seen:
                    seen.add(called)
                    paths.append(path + [called])
        return None

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
        info = scope.lookup_def(name) or scope.lookup_def(name.rpartition(".")[2] if "." in name else "")
        if info is not None:
            want = len(info.node.params)
            if want != len(node.args):
                self.error("PL203", f"`{name}` takes {_count(want, 'argument')}, found {len(node.args)}",
                           node.func_span, f"`def {name}({', '.join(info.node.params)})` at line {info.node.span.line}")
            return info.result_type()
        sig = self.sigs.get(name)
        cycle = self._recursion(name, scope) if sig is None else None
        if cycle is not None and frozenset(cycle) in self.cycles:
            return ANY  # one cycle, one error: at the first def of it
        if cycle is not None:
            self.cycles.add(frozenset(cycle))
            self.error("PL218", f"`{cycle[0]}` is recursive: {' → '.join(cycle)}", node.func_span,
                       "a def cannot call itself, directly or through other defs; the language has no recursion")
            return ANY
        later = scope.lookup_later(name) if sig is None else None
        if isinstance(later, ast.Def):
            self._before_declaration(name, later, node.func_span)
            return ANY
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
        self.infer(node.body, inner)
        return BOOL

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


def _calls(node) -> set:
    """The names every call in an expression makes (the parser bounds its depth)."""
    from ..structs import fields

    found = {node.func} if isinstance(node, ast.Call) else set()
    for f in fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, ast.Node):
                found |= _calls(item)
            elif isinstance(item, tuple):  # a quantifier's bindings: (name, domain)
                found |= set().union(*(_calls(x) for x in item if isinstance(x, ast.Node)))
    return found


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
