"""The engine: subjects, claimed and earned stages, and one result per subject x gate.

A subject at stage S must pass the gates of every stage up to S. Its earned stage is the
last stage whose gates, and all before it, pass (warnings and info never block). Gates of
stages beyond the claim are evaluated only as far as the earned stage reaches, and are
reported as skipped: they are not required yet.
"""
from __future__ import annotations

from . import ops
from .compile import BudgetExceeded, Env, Runtime, bind_lets, compile_tree, render_value
from .errors import ArtifactError, ArtifactMissing, EvaluationError
from .explain import Evidence, Explainer
from .structs import field, replace, struct
from .syntax import ast
from .values import location_of

PASSING = ("pass", "skipped", "waived")
CLAIMS_TITLE = "The claimed stage is one of the lifecycle's stages"


@struct
class Result:
    gate: str
    subject: str | None
    stage: str | None
    status: str
    severity: str
    title: str
    message: str = ""
    evidence: list = field(default_factory=list)
    require: str = ""
    lifecycle: str | None = None
    unwaivable: bool = False
    waiver: object = None  # the config.Waiver that waived it
    fix: object = None  # the fix.Edit a failing require's `fix … to …` proposes

    def blocking(self) -> bool:
        return self.status in ("fail", "error") and self.severity == "error"

    def sort_key(self):
        """Repository-wide gates first, then subjects by id; a subject's gates stay in stage order."""
        return (self.subject is not None, self.subject or "")


@struct
class Subject:
    id: str
    lifecycle: str
    stages: list
    claimed: str | None = None
    claimed_at: str | None = None  # path:line the claim was read from
    earned: str | None = None
    next_stage: str | None = None
    lacks: list = field(default_factory=list)  # results that keep it from the next stage


@struct
class Run:
    root: str
    packs: list
    subjects: list
    results: list
    notices: list
    loaded_packs: list = field(default_factory=list, repr=False)
    _gate_docs: dict | None = field(default=None, repr=False)
    scoped: bool = False  # only some subjects were evaluated (`check FILE…`, `--base`)
    passed_over: list = field(default_factory=list)  # (lifecycle id, subject id) not evaluated

    fail_on: str = "error"

    def exit_code(self, fail_on: str | None = None) -> int:
        return 1 if any(self.fails(r, fail_on) for r in self.results) else 0

    def fails(self, result: Result, fail_on: str | None = None) -> bool:
        """Whether this result fails the run: it fails or errors at `fail_on` severity or above."""
        levels = ("error",) if (fail_on or self.fail_on) == "error" else ("error", "warning")
        return result.status in ("fail", "error") and result.severity in levels

    @property
    def gate_docs(self) -> dict:
        """gate id -> title, doc, pack, policy_path, line, stage, severity (read on first use)."""
        if self._gate_docs is None:
            self._gate_docs = gate_docs(self.loaded_packs, self.root)
        return self._gate_docs

    def summary(self) -> dict:
        out = {k: 0 for k in ("pass", "fail", "error", "waived", "skipped")}
        for r in self.results:
            out[r.status] += 1
        return out


@struct
class LifecycleGate:
    """A gate every lifecycle has without declaring it: its subjects can be listed
    (`<pack>.<lifecycle>.subjects`) and each subject's claim names one of its stages
    (`<pack>.<lifecycle>.claims`). Listed, explained, waived and re-graded like any gate."""
    name: str
    title: str
    doc: str
    span: object  # the lifecycle's (or its `claims`') place in the policy
    severity: str = "error"
    unwaivable: bool = False
    when: object = None


def lifecycle_gates(pack, node: ast.Lifecycle) -> list:
    """(gate id, LifecycleGate) for the gates a lifecycle has without declaring them."""
    prefix = f"{pack.name}.{node.name}"
    stages = ", ".join(s.name for s in node.stages)
    out = [(f"{prefix}.subjects", LifecycleGate(
        "subjects", f"The subjects of lifecycle `{node.name}` can be listed",
        f"Fails when the expression after `in` cannot be evaluated (an unreadable folder, a file that "
        f"does not parse): then no subject of `{node.name}` is checked at all.", node.span))]
    if node.claims:
        out.append((f"{prefix}.claims", LifecycleGate(
            "claims", CLAIMS_TITLE,
            f"Each subject's claimed stage is read from the first `claims` source that exists and is not "
            f"empty. Fails when that source cannot be read, or names no stage of `{node.name}` ({stages}, "
            f"or an alias of one): the subject is then held to its first stage only.",
            getattr(node.claims[0], "span", None) or node.span)))
    return out


class Engine:
    """Every gate's verdict and every subject's earned stage; nothing about what is reported.

    `scope` (repository paths) limits which subjects are evaluated at all, for speed; the run
    records the subjects it passed over so configuration judges only what was evaluated.
    `blocks(result)` says whether a verdict keeps a subject from a stage: configure.py's
    (severities and waivers decide what is required); selection never enters here."""

    def __init__(self, repo, params: dict | None = None, scope: set | None = None,
                 budget: int | None = None, blocks=None):
        self.repo = repo
        self.runtime = Runtime(repo, budget)  # steps per gate and subject (compile.DEFAULT_BUDGET)
        self.params = params or {}  # pack name -> {param: value}
        self.scope = scope  # repository paths a change touched; None: every subject
        self.blocks = blocks or Result.blocking
        self.results: list = []
        self.subjects: list = []
        self.passed_over: list = []  # (lifecycle id, subject id) outside the scope
        self.globals: dict = {}

    def run(self, packs) -> Run:
        done: set = set()
        for pack in packs:
            self._run_pack(pack, done)
        self.results.sort(key=Result.sort_key)
        self.subjects.sort(key=lambda s: (s.id, s.lifecycle))
        notices = sorted(self.repo.notices.values(), key=lambda n: n.sort_key())
        _bound_messages(self.results, notices)
        return Run(str(self.repo.root), [p.name for p in packs], self.subjects, self.results, notices, list(packs),
                   scoped=self.scope is not None, passed_over=sorted(self.passed_over))

    # -- packs -----------------------------------------------------------------------------
    def _run_pack(self, pack, done: set) -> None:
        if pack.key in done:
            return
        done.add(pack.key)
        for used in pack.uses:
            self._run_pack(used, done)
        tree = pack.ast
        self._compile(tree)
        env = Env(None, "global", self.runtime)
        bind_value_loaders(env, self.repo)
        self.globals[pack.name] = env
        overrides = self.params.get(pack.name, {})
        for item in tree.items:
            if isinstance(item, ast.Param):
                if item.name in overrides:
                    env.vars[item.name] = overrides[item.name]
                else:
                    env.lazy[item.name] = item.default.fn
            elif isinstance(item, ast.Let):
                env.lazy[item.name] = item.value.fn
            elif isinstance(item, ast.Def):
                self.runtime.defs[item.name] = ("global", item.params, item.body.fn, env)
                self.runtime.defs[f"{pack.name}.{item.name}"] = ("global", item.params, item.body.fn, env)
        explainer = Explainer(tree.source)
        for item in tree.items:
            if isinstance(item, ast.Gate):
                gate_id = f"{pack.name}.{item.name}"
                self.results.append(self._gate(item, gate_id, env, env, explainer, None, None))
            elif isinstance(item, ast.Lifecycle):
                self._lifecycle(pack, item, env, explainer)

    def _compile(self, tree) -> None:
        """Closures for each expression of the pack (`policylint test --mutate` skips this for a
        tree it compiled already, and compiles again only the gate it changes)."""
        compile_tree(tree)

    # -- lifecycles ------------------------------------------------------------------------
    def _lifecycle(self, pack, node: ast.Lifecycle, genv: Env, explainer: Explainer) -> None:
        lifecycle_id = f"{pack.name}.{node.name}"
        stages = node.stages
        names = [s.name for s in stages]
        self.runtime.budget.reset()
        try:
            found = ops.items_of(node.domain.fn(genv))
        except _STOPS as exc:
            self.results.append(Result(f"{lifecycle_id}.subjects", None, None, "error", "error",
                                       f"The subjects of lifecycle `{node.name}` can be listed", _error_text(exc),
                                       _error_evidence(exc), lifecycle=lifecycle_id))
            return
        for subject_value in found:
            sid = str(ops.text_of(subject_value))
            if not self._in_scope(sid):
                self.passed_over.append((lifecycle_id, sid))
                continue
            env = Env(genv, "subject", self.runtime, {node.name: subject_value})
            for item in node.body:
                if isinstance(item, ast.Let):
                    env.lazy[item.name] = item.value.fn
                elif isinstance(item, ast.Def):
                    self.runtime.defs[item.name] = ("subject", item.params, item.body.fn, None)
            subject = Subject(sid, lifecycle_id, names)
            self.subjects.append(subject)
            required = self._claims(node, env, subject, names, lifecycle_id)
            self._stages(pack, node, env, subject, required, explainer)

    def _claims(self, node, env, subject: Subject, names: list, lifecycle_id: str) -> int:
        """Index of the last required stage; reads the claim from the first source that has one.

        A source written `furthest(a, b, …)` reads each of its arguments as a claim and claims
        the stage furthest along among them (a declared stage, and the stage the files show);
        an argument that names no stage is reported and the others still count."""
        from .functions.stages import STAGES_KEY

        env.vars[STAGES_KEY] = (names, node.aliases)  # what `furthest(…)` reads in this subject
        for expr in node.claims:
            parts = expr.args if isinstance(expr, ast.Call) and expr.func == "furthest" else [expr]
            said = [self._claim(part, node, env, subject, names, lifecycle_id) for part in parts]
            read = [s for s in said if s]
            if False in said and not read:
                return 0
            if read:
                stage, loc = max(read, key=lambda one: names.index(one[0]))
                subject.claimed, subject.claimed_at = stage, (str(loc) if loc else None)
                return names.index(stage)
        return 0  # claims nothing: it exists, so it is at least at the first stage

    def _claim(self, expr, node, env, subject: Subject, names: list, lifecycle_id: str):
        """(stage, location) one source claims; None when it says nothing; False when it cannot
        be read or names no stage (reported)."""
        self.runtime.budget.reset()
        try:
            value = expr.fn(env)
        except ArtifactMissing:
            return None
        except _STOPS as exc:
            self.results.append(Result(f"{lifecycle_id}.claims", subject.id, None, "error", "error",
                                       CLAIMS_TITLE, _error_text(exc),
                                       _error_evidence(exc), lifecycle=lifecycle_id))
            return False
        text = render_value(value).strip() if value is not None else ""
        if not text:
            return None
        loc = location_of(value)
        stage = match_stage(text, names, node.aliases)
        if stage is None:
            from .diagnostics import did_you_mean

            subject.claimed_at = str(loc) if loc else None
            said = [f"{s.name} ({', '.join(s.aliases)})" if s.aliases else s.name for s in node.stages]
            close = did_you_mean(_first_line(text)[:ops.MAX_QUOTE].lower(),
                                 names + [a.lower() for s in node.stages for a in s.aliases])
            hint = "; ".join(x for x in (close, f"stages: {', '.join(said)}") if x)
            claim = ops.clip(_first_line(text))
            evidence = [Evidence(loc.path, loc.line, f"claims `{claim}`")] if loc else []
            self.results.append(Result(f"{lifecycle_id}.claims", subject.id, None, "error", "error",
                                       CLAIMS_TITLE,
                                       f"unknown stage `{claim}`" + (f"; {hint}" if hint else ""),
                                       evidence, lifecycle=lifecycle_id))
            return False
        return stage, loc

    def _stages(self, pack, node, env, subject: Subject, required: int, explainer) -> None:
        earned, blocked = -1, False
        for i, stage in enumerate(node.stages):
            senv = Env(env, "stage", self.runtime)
            bind_lets(senv, stage.body)
            gates = [g for g in stage.body if isinstance(g, ast.Gate)]
            stage_results = []
            for gate in gates:
                gate_id = f"{pack.name}.{stage.name}.{gate.name}"
                if i > required and blocked:
                    result = Result(gate_id, subject.id, stage.name, "skipped", gate.severity, "",
                                    _not_required(subject, stage.name), lifecycle=subject.lifecycle,
                                    unwaivable=gate.unwaivable)
                    result.title = self._title(gate, env)
                else:
                    result = self._gate(gate, gate_id, senv, env, explainer, subject.id, stage.name)
                    result.lifecycle = subject.lifecycle
                stage_results.append(result)
            stage_ok = not any(self.blocks(r) for r in stage_results)
            if not blocked and not stage_ok:
                subject.lacks = [replace(r) for r in stage_results if self.blocks(r)]
            if not blocked and i > required:
                for r in stage_results:  # evaluated only to find the earned stage
                    r.status, r.message, r.evidence, r.require = "skipped", _not_required(subject, stage.name), [], ""
            if not blocked and stage_ok:
                earned = i
            elif not blocked:
                blocked = True
                subject.next_stage = stage.name
            self.results.extend(stage_results)
        subject.earned = node.stages[earned].name if earned >= 0 else None

    def _in_scope(self, subject_id: str) -> bool:
        if self.scope is None:
            return True
        prefix = subject_id.rstrip("/") + "/"
        return any(path == subject_id or path.startswith(prefix) for path in self.scope)

    # -- gates -----------------------------------------------------------------------------
    def _title(self, gate: ast.Gate, env: Env) -> str:
        if gate.title is None:
            return gate.name
        self.runtime.budget.reset()
        try:
            return gate.title.fn(env)
        except _STOPS:
            return gate.name

    def _gate(self, gate: ast.Gate, gate_id, env: Env, title_env: Env, explainer, subject, stage) -> Result:
        result = Result(gate_id, subject, stage, "pass", gate.severity, self._title(gate, title_env),
                        unwaivable=gate.unwaivable)
        genv = Env(env, "gate", self.runtime)
        bind_lets(genv, gate.body)
        budget = self.runtime.budget
        budget.reset()
        try:
            if gate.when is not None and not ops.truthy(gate.when.fn(genv)):
                result.status = "skipped"
                result.message = f"does not apply: `{explainer.src(gate.when)}` is false"
                return result
            for req in gate.body:
                if not isinstance(req, ast.Require):
                    continue
                if ops.truthy(req.expr.fn(genv)):
                    continue
                budget.reset()  # explaining re-walks what failed: a budget of its own
                why = explainer.require(req, genv)
                result.status = "fail"
                result.message = why.text
                evidence = why.evidence
                if not evidence and subject:  # nothing located: point at the subject itself
                    evidence = [Evidence(subject, None, why.text)]
                result.evidence = sorted(evidence, key=Evidence.sort_key)
                result.require = explainer.src(req.expr)
                if req.fix is not None:
                    from .fix import edit_for

                    result.fix = edit_for(req, genv, gate_id)
                return result
        except ArtifactMissing as exc:
            result.status = "fail"
            result.message = f"`{exc.path}` is missing"
            result.evidence = [Evidence(exc.path, exc.line, exc.message)]
        except ArtifactError as exc:
            result.status = "error"
            result.message = _error_text(exc)
            result.evidence = _error_evidence(exc)
        except EvaluationError as exc:
            result.status = "error"
            at = exc.span or gate.span  # the expression that failed, else the gate
            result.message = f"{exc.message} (policy {at.path}:{at.line}:{at.column})"
        except (BudgetExceeded, RecursionError) as exc:
            result.status = "error"
            result.message = f"{_error_text(exc, gate_id)} (policy {gate.span.path}:{gate.span.line})"
            result.evidence = []
        return result


def gate_docs(packs, root) -> dict:
    """Per gate id: title, doc comment, severity, and the policy line that declares it."""
    import os

    out: dict = {}
    seen: set = set()

    def relative(pack) -> str | None:
        try:
            rel = os.path.relpath(pack.path, os.path.realpath(root))
        except ValueError:
            return None
        return None if rel.startswith("..") else rel.replace(os.sep, "/")

    def visit(pack):
        if pack.key in seen:
            return
        seen.add(pack.key)
        for used in pack.uses:
            visit(used)
        inside = relative(pack)
        where = inside or pack.display_path
        readme = readme_sections(pack.path.parent / "README.md")
        for item in pack.ast.items:
            gates = []
            if isinstance(item, ast.Gate):
                gates = [(f"{pack.name}.{item.name}", None, item)]
            elif isinstance(item, ast.Lifecycle):
                gates = [(f"{pack.name}.{s.name}.{g.name}", s.name, g) for s in item.stages
                         for g in s.body if isinstance(g, ast.Gate)]
                gates += [(gid, None, g) for gid, g in lifecycle_gates(pack, item)]
            for gid, stage, gate in gates:
                title = gate_title(gate)
                out[gid] = {"title": title, "doc": readme.get(gid) or gate.doc, "pack": pack.name,
                            "pack_version": pack.ast.version,
                            "policy_path": where, "in_repo": inside is not None, "line": gate.span.line,
                            "stage": stage,
                            "severity": gate.severity, "unwaivable": gate.unwaivable}

    for pack in packs:
        visit(pack)
    return out


def declared_gates(packs, uses: bool = False, lifecycle: bool = True):
    """(gate id, pack, lifecycle id or None, stage or None, gate) for every gate of the packs
    (and, with `uses`, of the packs they use), each lifecycle's own gates included unless
    `lifecycle` is false. These are the ids `list` shows and configuration may name."""
    seen: set = set()

    def visit(pack):
        if pack.key in seen:
            return
        seen.add(pack.key)
        if uses:
            for used in pack.uses:
                yield from visit(used)
        for item in pack.ast.items:
            if isinstance(item, ast.Gate):
                yield f"{pack.name}.{item.name}", pack, None, None, item
            elif isinstance(item, ast.Lifecycle):
                lifecycle_id = f"{pack.name}.{item.name}"
                for stage in item.stages:
                    for gate in stage.body:
                        if isinstance(gate, ast.Gate):
                            yield f"{pack.name}.{stage.name}.{gate.name}", pack, lifecycle_id, stage.name, gate
                if lifecycle:
                    for gid, gate in lifecycle_gates(pack, item):
                        yield gid, pack, lifecycle_id, None, gate

    for pack in packs:
        yield from visit(pack)


def gate_title(gate) -> str:
    """A gate's title as the policy writes it (`{…}` for what it interpolates)."""
    if isinstance(gate.title, str):
        return gate.title
    return "".join(p if isinstance(p, str) else "{…}" for p in gate.title.parts) if gate.title else gate.name


def readme_sections(path) -> dict:
    """Gate id -> its documentation: the README section whose heading starts with the id in backticks."""
    import re

    from .repo import read_regular

    try:
        text = read_regular(path).decode("utf-8", errors="replace")
    except OSError:  # no README, or none a run can read (a FIFO, a device, too large): no docs
        return {}
    from .loaders.markdown import parse_markdown

    out = {}
    for heading in parse_markdown(text, "README.md")["headings"]:
        match = re.match(r"^([a-z0-9_.-]+\.[a-z0-9_-]+)\b", str(heading["text"]))
        if match and str(heading["text"]).count(".") >= 1:
            out.setdefault(match.group(1), str(heading["body"]).strip())
    return out


def bind_value_loaders(env: Env, repo) -> None:
    """Loaders used as names (`git`) are computed on first use, once per run."""
    from . import loaders

    for name in loaders.VALUE_LOADERS:
        env.lazy[name] = lambda _env, name=name: loaders.get(name)(repo)


def match_stage(text: str, names: list, aliases: dict | None = None) -> str | None:
    """`Draft`, `draft - comprehensive revision`, `Checklist Validated` -> a stage name; a stage's
    aliases (`stage integrated as "L2"`) are read the same way."""
    normal = ast.stage_key(_first_line(text))
    spoken = {name: name for name in names}
    spoken.update({ast.stage_key(alias): name for alias, name in (aliases or {}).items()})
    for said in sorted(spoken, key=len, reverse=True):
        if said and (normal == said or normal.startswith(said + "-")):
            return spoken[said]
    return None


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()


def _bound_messages(results: list, notices: list) -> None:
    """No message or evidence line longer than ops.MAX_MESSAGE, whichever value it quotes."""
    for result in results:
        result.message = ops.clip(result.message, ops.MAX_MESSAGE)
        for evidence in result.evidence:
            evidence.message = ops.clip(evidence.message, ops.MAX_MESSAGE)
    for notice in notices:
        notice.message = ops.clip(notice.message, ops.MAX_MESSAGE)


def _not_required(subject: Subject, stage: str) -> str:
    claim = f"claims `{subject.claimed}`" if subject.claimed else "claims no stage"
    return f"not required yet: applies from stage `{stage}`; {subject.id} {claim}"


# What stops one evaluation (a gate, a lifecycle's subjects, a claim, a title) and not the run.
# RecursionError: the checker bounds each pack's nesting (PL105, PL215), but a chain of defs
# through several `use`d packs can still nest deeper than Python's stack.
_STOPS = (ArtifactError, EvaluationError, BudgetExceeded, RecursionError)


def _error_text(exc, what: str | None = None) -> str:
    if isinstance(exc, RecursionError):
        return (f"evaluation nested too deeply{f' in `{what}`' if what else ''}: a chain of defs, lets or "
                "`use`d packs deeper than the stack allows; name fewer steps")
    if isinstance(exc, ArtifactError):
        return f"cannot use `{exc.path}`: {exc.message}"
    if isinstance(exc, BudgetExceeded):
        return (f"evaluation budget exceeded: {f'`{what}` took ' if what else ''}more than {exc.limit:,} steps "
                f"(a quantifier nested over large inputs?); `budget` in the configuration allows more")
    return getattr(exc, "message", str(exc))


def _error_evidence(exc) -> list:
    if isinstance(exc, ArtifactError):
        return [Evidence(exc.path, exc.line, exc.message)]
    return []
