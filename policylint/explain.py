"""Why a `require` failed: the values that decided it, and where they came from.

Runs only on failure, re-using the compiled closures of the sub-expressions (loads are
memoized, so this costs almost nothing). Like pytest's assertion rewriting, it shows the
values of the operands; for a quantifier it lists every offending element at its line.
"""
from __future__ import annotations

from . import ops
from .compile import explained_elements, render_value
from .errors import ArtifactError, EvaluationError
from .structs import field, struct
from .syntax import ast
from .values import Loc, location_of

MAX_EVIDENCE = 200
MAX_SOURCE = 200  # characters of an expression's text a message quotes


@struct
class Evidence:
    path: str
    line: int | None
    message: str

    def sort_key(self):
        return (self.path, self.line or 0, self.message)


@struct
class Why:
    text: str
    evidence: list = field(default_factory=list)


class Explainer:
    def __init__(self, source: str):
        self.lines = source.split("\n")

    def src(self, node) -> str:
        """The policy text of an expression, its lines joined into one (so a message reads the
        same however the gate is laid out, `policylint fmt` or not), clipped when very long."""
        span = node.span
        if not 0 < span.line <= len(self.lines):
            return ""
        last = min(span.end_line or span.line, len(self.lines))
        parts = self.lines[span.line - 1:last]
        if span.end_column and (span.end_line or span.line) == last:
            parts[-1] = parts[-1][:span.end_column - 1]
        parts[0] = parts[0][span.column - 1:]
        text = " ".join(p.strip() for p in parts if p.strip())
        return text if len(text) <= MAX_SOURCE else text[:MAX_SOURCE].rstrip() + " …"

    # -- entry ---------------------------------------------------------------------------
    def require(self, req: ast.Require, env) -> Why:
        """Summary and evidence for a failed require; the `else` message overrides the text."""
        if isinstance(req.expr, ast.Quantified):
            return self.quantified(req.expr, env, True, req.message)
        why = self.explain(req.expr, env, True)
        if req.message is not None:  # the author's words, at each place the values came from
            custom = req.message.fn(env)
            places = list(dict.fromkeys((e.path, e.line) for e in why.evidence))
            if not places:
                loc = self.locate(req.expr, env)
                places = [(loc.path, loc.line)] if loc is not None else []
            why.evidence = [Evidence(path, line, custom) for path, line in places]
            why.text = f"{custom} ({why.text})" if why.text else custom
        return why

    def explain(self, node, env, want: bool) -> Why:
        method = getattr(self, "x_" + type(node).__name__, None)
        if method is not None:
            return method(node, env, want)
        return self.plain(node, env, want)

    # -- generic ---------------------------------------------------------------------------
    def plain(self, node, env, want: bool) -> Why:
        value = node.fn(env)
        text = f"`{self.src(node)}` is {ops.show(value)}"
        return Why(text, self.at(node, env, text))

    def at(self, node, env, message: str) -> list:
        loc = self.locate(node, env)
        return [Evidence(loc.path, loc.line, message)] if loc is not None else []

    def locate(self, node, env) -> Loc | None:
        """Where a value came from: its own location, else its record's or its file's."""
        try:
            value = node.fn(env)
        except (ArtifactError, EvaluationError):
            value = None
        loc = location_of(value)
        if loc is not None:
            return loc
        if isinstance(value, list):  # a list of located things lives in their file
            for item in value:
                inner = location_of(item)
                if inner is not None:
                    return Loc(inner.path, None)
        if isinstance(node, (ast.Field, ast.Index)):
            try:  # a mapping that knows the line of each key (yaml, json, toml)
                container = node.obj.fn(env)
                key = node.name if isinstance(node, ast.Field) else node.key.fn(env)
                at = container.loc_of(key) if hasattr(container, "loc_of") else None
            except (ArtifactError, EvaluationError, KeyError, IndexError, TypeError):
                at = None
            return at if at is not None else self.locate(node.obj, env)
        if isinstance(node, ast.Binary):
            return self.locate(node.left, env) or self.locate(node.right, env)
        if isinstance(node, ast.Call) and node.args:
            try:
                first = node.args[0].fn(env)
            except (ArtifactError, EvaluationError):
                return None
            from . import loaders

            if isinstance(first, str) and node.func in loaders.LOADERS:  # `text("README.md")`: that file
                loc = location_of(first)
                return Loc(loc.path if loc else str(first), None)
            return self.locate(node.args[0], env)  # `trim(l.text)`, `entries_of("execute")`: where the argument is
        return None

    # -- operators -------------------------------------------------------------------------
    def x_Conditional(self, node: ast.Conditional, env, want):
        """The branch the condition chose, explained; the other was never evaluated."""
        return self.explain(node.then if ops.truthy(node.cond.fn(env)) else node.other, env, want)

    def x_Unary(self, node: ast.Unary, env, want):
        if node.op == "not":
            return self.explain(node.operand, env, not want)
        return self.plain(node, env, want)

    def x_Binary(self, node: ast.Binary, env, want):
        op = node.op
        if op in ("and", "or"):
            if want == (op == "and"):
                # a failed `and` / a holding `or`: the run stopped at the first side that decided
                # it, so only that side is explained (the other may not even be evaluable:
                # `x == null or x.size > 3`)
                for side in (node.left, node.right):
                    if ops.truthy(side.fn(env)) != want:
                        return self.explain(side, env, want)
                return self.plain(node, env, want)
            parts = [self.explain(side, env, want) for side in (node.left, node.right)]
            if op == "or":
                return Why("neither holds: " + "; ".join(p.text for p in parts), [e for p in parts for e in p.evidence])
            return Why("; ".join(p.text for p in parts), [e for p in parts for e in p.evidence])
        left = node.left.fn(env)
        right = node.right.fn(env)
        lsrc = self.src(node.left)
        if op in ("contains all", "contains any") and want:
            wanted = ops.items_of(right)
            if op == "contains all":
                missing = ops.missing_from(left, right)
                text = f"`{lsrc}` lacks {', '.join(ops.show(m) for m in missing)}"
            else:
                text = f"`{lsrc}` has none of {ops.show(wanted)}"
            return Why(text, self.at(node.left, env, text))
        if op in ("in", "not in", "contains", "contains all", "contains any"):
            verb = {"in": "is not in", "not in": "is in", "contains": "does not contain"}.get(op, f"fails `{op}`")
            if not want:
                verb = {"in": "is in", "not in": "is not in", "contains": "contains"}.get(op, f"passes `{op}`")
            if op in ("in", "not in"):
                text = f"{ops.show(left)} {verb} `{self.src(node.right)}`"
            else:
                text = f"`{lsrc}` {verb} {ops.show(right)}"
            return Why(text, self.at(node.left, env, text))
        if op == "matches":
            verb = "does not match" if want else "matches"
            text = f"`{lsrc}` is {ops.show(left)}, which {verb} {right}"
            return Why(text, self.at(node.left, env, text))
        if op in ("==", "!=", "<", "<=", ">", ">="):
            expected = op if want else {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
            rtext = ops.show(right)
            plain_string = isinstance(node.right, ast.Template) and all(isinstance(p, str) for p in node.right.parts)
            if not isinstance(node.right, ast.Literal) and not plain_string:
                rtext = f"{rtext} (`{self.src(node.right)}`)"
            text = f"`{lsrc}` is {ops.show(left)}, expected {expected} {rtext}"
            return Why(text, self.at(node.left, env, text))
        return self.plain(node, env, want)

    def x_Quantified(self, node: ast.Quantified, env, want):
        return self.quantified(node, env, want, None)

    def quantified(self, node: ast.Quantified, env, want: bool, message) -> Why:
        """Offending elements: failing ones for `every`, matching ones for `no` (or `not some`)."""
        kind = node.kind
        if not want:
            kind = {"every": "not-every", "some": "no", "no": "some"}[kind]
        elements, total = explained_elements(node, env, holding_only=kind == "no")
        body = node.body
        body_src = self.src(body) if body is not None else None
        domain_src = self.src(node.bindings[-1][1])
        noun = "element" if total == 1 else "elements"
        if kind == "some":
            text = (f"none of {total} {noun} of `{self.src(node.domain)}` satisfies `{body_src}`" if body is not None
                    else f"`{domain_src}` has no element" + (" that passes `where`" if node.where is not None else ""))
            if message is not None:
                try:  # the message may only name outer values: no element satisfied the body
                    text = message.fn(env)
                except (ArtifactError, EvaluationError):
                    pass
            return Why(text, self.at(node.domain, env, text))
        if kind == "not-every":
            return Why(f"all {total} {noun} satisfy `{body_src}`", [])
        offending_truth = kind == "no"
        offenders = [(item, inner) for item, inner in elements
                     if (body is None or ops.truthy(body.fn(inner))) == offending_truth]
        evidence = []
        innermost_domain = node.bindings[-1][1]
        for item, inner in offenders[:MAX_EVIDENCE]:
            if message is not None:
                text = message.fn(inner)
            elif body is None:  # each element is the finding
                text = render_value(item) if _short(item) else f"an element of `{domain_src}`"
            else:
                detail = self.explain(body, inner, not offending_truth).text
                text = f"{render_value(item)}: {detail}" if _short(item) else detail
            loc = location_of(item) or (self.locate(body, inner) if body is not None else None) \
                or self.locate(innermost_domain, inner)
            if loc is not None:
                evidence.append(Evidence(loc.path, loc.line, text))
        if len(offenders) > MAX_EVIDENCE and evidence:
            evidence.append(Evidence(evidence[-1].path, None, f"… and {len(offenders) - MAX_EVIDENCE} more"))
        if body is None:
            text = f"{len(offenders)} {'element' if len(offenders) == 1 else 'elements'} of `{domain_src}`"
        elif kind == "no":
            text = f"{len(offenders)} of {total} {noun} match `{body_src}`"
        else:
            text = f"{len(offenders)} of {total} {noun} fail `{body_src}`"
        return Why(text, evidence)


def _short(value) -> bool:
    text = render_value(value)
    return len(text) <= 60 and "\n" not in text
