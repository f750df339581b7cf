"""The engine: subjects, claimed and earned stages, and one result per subject x gate.

A subject at stage S must pass the gates of every stage up to S. Its earned stage is the
last stage whose gates, and all before it, pass (warnings and info never block). Gates of
stages beyond the claim are evaluated only as far as the earned stage reaches, and are
reported as skipped: they are not required yet.
"""
from __future__ import annotations

import gc

from . import ops
from .compile import BudgetExceeded, Compiler, Env, Runtime, home_key, render_value
from .errors import ArtifactError, ArtifactMissing, EvaluationError
from .explain import Evidence, Explainer
from .gates import CLAIMS_TITLE, gate_docs, plan
from .structs import field, replace, struct
from .syntax import ast
from .values import PathValue, location_of

PASSING = ("pass", "skipped", "waived")


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
    kept: object = field(default=None, repr=False)  # results.Kept: kept entries' report pieces, not among results

    def exit_code(self, fail_on: str | None = None) -> int:
        if self.kept is not None and self.kept.fails(fail_on or self.fail_on):
            return 1
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
        if self.kept is not None:
            self.kept.count(out)
        return out


class Engine:
    """Every gate's verdict and every subject's earned stage; nothing about what is reported.

    `scope` (repository paths) limits which subjects are evaluated at all, for speed; the run
    records the subjects it passed over so configuration judges only what was evaluated.
    `blocks(result)` says whether a verdict keeps a subject from a stage: configure.py's
    (severities and waivers decide what is required); selection never enters here."""

    def __init__(self, repo, params: dict | None = None, scope: set | None = None,
                 budget: int | None = None, blocks=None, memory=None, keep_loads: bool = True):
        self.repo = repo
        self.keep_loads = keep_loads  # False: a subject's own files' loads are dropped once it is done
        self._let_go = 0
        self._claimed: dict = {}  # (claim text, lifecycle node id) -> the stage it names
        # results.ResultsCache: verdicts kept from an earlier run whose inputs are unchanged are
        # taken from it, and what is evaluated is recorded for the next (repo: a TrackingRepo)
        self.memory = memory
        self.runtime = Runtime(repo, budget)  # steps per gate and subject (compile.DEFAULT_BUDGET)
        self.params = params or {}  # pack name -> {param: value}
        self.scope = scope  # repository paths a change touched; None: every subject
        self.blocks = blocks or Result.blocking
        self.results: list = []
        self.subjects: list = []
        self.passed_over: list = []  # (lifecycle id, subject id) outside the scope
        self.globals: dict = {}  # pack key -> its global Env
        self._explainers: dict = {}
        self._plain_titles: dict = {}  # id(gate) -> its title's text, False when it interpolates
        self._blocks: dict = {}  # id(a block's body) -> _Block: worked out once a run
        self.plan = None

    def run(self, packs) -> Run:
        self.plan = plan(packs)
        if not self.keep_loads:  # what is already made stays: the young-object walks below skip it
            gc.freeze()
        for pack in _with_helpers(self.plan.running):
            self._compile(pack)
            self._global_env(pack)
        for pack in self.plan.running:
            explainer = self._explainer(pack)
            for planned in self.plan.gates_of(pack):
                if planned.gate.severity != "off":
                    env = self.globals[pack.key]
                    with self._entry(f"g\0{planned.id}") as entry:
                        if not entry.reused:
                            self.results.append(self._gate(planned.gate, planned.id, env, env, explainer, None, None))
            for item in pack.ast.items:
                if isinstance(item, ast.Lifecycle):
                    self._lifecycle(pack, item)
        if self.memory is not None:
            self.memory.store_entries(self.repo)  # stored now, not held until the report is made
        if not self.keep_loads:
            gc.unfreeze()  # a long-lived caller (the language server) collects it again later
        self.results.sort(key=Result.sort_key)
        self.subjects.sort(key=lambda s: (s.id, s.lifecycle))
        kept = self.memory.arrange(self.results, self.subjects) if self.memory is not None else None
        notices = sorted(self.repo.notices.values(), key=lambda n: n.sort_key())
        _bound_messages(self.results, notices)
        run = Run(str(self.repo.root), [p.name for p in packs], self.subjects, self.results, notices, list(packs),
                  scoped=self.scope is not None, passed_over=sorted(self.passed_over), kept=kept)
        if self.memory is not None:
            self.memory.run = run  # its report's pieces are kept from it
        return run

    # -- packs -----------------------------------------------------------------------------
    def _compile(self, pack) -> None:
        """Closures for each expression of the pack (`policylint test --mutate` skips this for a
        tree it compiled already, and compiles again only the gate it changes)."""
        Compiler(pack).compile_pack()

    def _global_env(self, pack) -> None:
        """The pack's global scope: its params (as configured) and lets, where its defs run."""
        env = Env(None, self.runtime)
        if self.memory is not None:
            env.vars = _GlobalValues(self.repo.frames)
        bind_value_loaders(env, self.repo)
        overrides = self.params.get(pack.name, {})
        for item in pack.ast.items:
            if isinstance(item, ast.Param):
                if item.name in overrides:
                    env.vars[item.name] = overrides[item.name]
                else:
                    env.lazy[item.name] = item.default.fn
            elif isinstance(item, ast.Let):
                env.lazy[item.name] = item.value.fn
        if self.memory is not None:  # what a global value reads, each evaluation that reads it rests on
            env.lazy = {name: self._shared_value(fn, env.vars, ("global", pack.key, name))
                        for name, fn in env.lazy.items()}
        self.globals[pack.key] = env
        self.runtime.homes[home_key(pack.key)] = env

    # -- the results cache -------------------------------------------------------------------
    def _entry(self, entry_id: str):
        """`with self._entry(id) as entry:` around one evaluation (a subject, a repository-wide
        gate): `entry.reused` when the cache gave its verdicts (added to the run), else what it
        reads is recorded and kept for the next run. Without a cache, a no-op."""
        return _Entry(self, entry_id)

    def _shared_value(self, fn, values, key: tuple):
        """`fn` (a global let, a param's default, a value loader), computed once a run as the
        repository's memo entry `key`: what it read is an input of each evaluation that reads
        its value (the first through the memo, the others through `values`, the pack's
        _GlobalValues), and of none that does not."""
        repo = self.repo
        values.marks[key[-1]] = ("key", key)
        return lambda env: repo.memo(key, lambda: fn(env))

    def _subjects_of(self, node: ast.Lifecycle, genv, listed: tuple):
        """The lifecycle's subjects, listed every run: a new one is evaluated, a deleted one's
        kept entry is not asked for. What the listing read is the run's (the printed report
        rests on it: `repo.frames[0]`), not each subject's: a subject the list names by its
        path alone (_named_by_id) is the same subject whatever else the list holds; one it
        gives more of (a record, a located line) rests on the listing (_lifecycle): `listed`,
        the mark of its memo entry."""
        if self.memory is None:
            return node.domain.fn(genv)
        return self.repo.memo(listed[1], lambda: node.domain.fn(genv))

    def _explainer(self, pack) -> Explainer:
        found = self._explainers.get(pack.key)
        if found is None:
            found = self._explainers[pack.key] = Explainer(pack.ast.source)
        return found

    # -- lifecycles ------------------------------------------------------------------------
    def _lifecycle(self, pack, node: ast.Lifecycle) -> None:
        lifecycle_id = f"{pack.name}.{node.name}"
        names = [s.name for s in node.stages]
        genv = self.globals[pack.key]
        parts = self.plan.parts[lifecycle_id]
        # worked out once for all its subjects: each part's scope (its global scope, the home
        # its defs run in, its lets), and each stage's gates (those not turned off), each with
        # its part's explainer and the lets of its part's block of the stage
        homes = [(part, self.globals[part.pack.key], home_key(part.pack.key, part.node), self._block(part.node.body).lets)
                 for part in parts]
        schedule = [(stage.name, [(part, planned, self._explainer(part.pack), self._block(part.stage(stage.name).body).lets)
                                  for part, planned in self.plan.stage_gates(lifecycle_id, stage.name)
                                  if planned.gate.severity != "off"])
                    for stage in node.stages]
        self.runtime.budget.reset()
        listed = ("key", ("subjects", lifecycle_id, id(node)))
        try:
            found = ops.items_of(self._subjects_of(node, genv, listed))
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
            named = _named_by_id(subject_value, sid)  # else its entry is told by its value's kind too
            entry_id = f"s\0{lifecycle_id}\0{sid}" + ("" if named else f"\0{type(subject_value).__name__}")
            with self._entry(entry_id) as entry:
                if not entry.reused:
                    if not named and self.memory is not None:  # more than its id: what the list gave
                        self.repo.frames[-1].add(listed)
                    self._subject(node, (homes, schedule), subject_value, sid, lifecycle_id, names)
            if not self.keep_loads and not entry.reused:  # a kept entry's subject loaded nothing
                self.repo.forget_under(sid)
                self._let_go += 1
                if self._let_go % 64 == 0:  # the let-go loads' cycles (records, lazy fields, scopes):
                    gc.collect(0)  # the run pauses the collector; only what is young is walked

    def _subject(self, node, prepared: tuple, subject_value, sid: str, lifecycle_id: str, names: list) -> None:
        homes, schedule = prepared  # _lifecycle's, for all its subjects
        envs = {}  # each part's scope for this subject: the subject, the part's lets, its defs' home
        for part, global_env, home, lets in homes:
            env = envs[id(part)] = Env(global_env, self.runtime, {node.name: subject_value}, lets)
            self.runtime.homes[home] = env
        self.runtime.stages = (names, node.aliases)  # what `furthest(…)` reads in this subject
        subject = Subject(sid, lifecycle_id, names)
        self.subjects.append(subject)
        required = self._claims(node, envs[id(homes[0][0])], subject, names, lifecycle_id)
        self._stages(node, schedule, envs, subject, required)

    def _claims(self, node, env, subject: Subject, names: list, lifecycle_id: str) -> int:
        """Index of the last required stage; reads the claim from the first source that has one.

        A source written `furthest(a, b, …)` reads each of its arguments as a claim and claims
        the stage furthest along among them (a declared stage, and the stage the files show);
        an argument that names no stage is reported and the others still count."""
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
        key = (text, id(node))  # the same few claims, read for every subject: matched once a run
        stage = self._claimed.get(key, _UNMATCHED)
        if stage is _UNMATCHED:
            stage = self._claimed[key] = match_stage(text, names, node.aliases)
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

    def _stages(self, node, schedule: list, envs: dict, subject: Subject, required: int) -> None:
        earned, blocked = -1, False
        for i, (stage, gates) in enumerate(schedule):
            stage_envs = {}  # each part's scope for this stage: its stage block's lets
            stage_results = []
            skipped = i > required and blocked
            if skipped:
                not_required = _not_required(subject, stage)
            for part, planned, explainer, stage_lets in gates:
                gate = planned.gate
                if skipped:
                    result = Result(planned.id, subject.id, stage, "skipped", gate.severity, "",
                                    not_required, lifecycle=subject.lifecycle, unwaivable=gate.unwaivable)
                    result.title = self._title(gate, envs[id(part)])
                else:
                    senv = stage_envs.get(id(part))
                    if senv is None:
                        senv = stage_envs[id(part)] = Env(envs[id(part)], self.runtime, None, stage_lets)
                    result = self._gate(gate, planned.id, senv, envs[id(part)], explainer, subject.id, stage)
                    result.lifecycle = subject.lifecycle
                stage_results.append(result)
            stage_ok = not any(self.blocks(r) for r in stage_results)
            if not blocked and not stage_ok:
                subject.lacks = [replace(r) for r in stage_results if self.blocks(r)]
            if not blocked and i > required:
                not_required = _not_required(subject, stage)
                for r in stage_results:  # evaluated only to find the earned stage
                    r.status, r.message, r.evidence, r.require = "skipped", not_required, [], ""
            if not blocked and stage_ok:
                earned = i
            elif not blocked:
                blocked = True
                subject.next_stage = stage
            self.results.extend(stage_results)
        subject.earned = node.stages[earned].name if earned >= 0 else None

    def _in_scope(self, subject_id: str) -> bool:
        if self.scope is None:
            return True
        prefix = subject_id.rstrip("/") + "/"
        return any(path == subject_id or path.startswith(prefix) for path in self.scope)

    # -- gates -----------------------------------------------------------------------------
    @staticmethod
    def _failed(result: Result, failed: list, env, explainer, gate_id, subject) -> None:
        """A gate's failure: what each failing require says, its evidence, the first fix."""
        result.status = "fail"
        result.message = "; ".join(why.text for _req, why in failed)
        evidence = []
        for _req, why in failed:  # what no file locates points at the subject itself
            evidence += why.evidence or ([Evidence(subject, None, why.text)] if subject else [])
        result.evidence = sorted(evidence, key=Evidence.sort_key)
        result.require = explainer.src(failed[0][0].expr)
        fixing = next((req for req, _why in failed if req.fix is not None), None)
        if fixing is not None:
            from .fix import edit_for

            result.fix = edit_for(fixing, env, gate_id)

    def _block(self, body: list) -> "_Block":
        found = self._blocks.get(id(body))
        if found is None or found.body is not body:
            found = self._blocks[id(body)] = _Block(body)
        return found

    def _title(self, gate: ast.Gate, env: Env) -> str:
        if gate.title is None:
            return gate.name
        plain = self._plain_titles.get(id(gate))
        if plain is None:  # a title written without `{…}` is its text: nothing to evaluate
            parts = gate.title.parts
            plain = self._plain_titles[id(gate)] = "".join(parts) if all(type(p) is str for p in parts) else False
        if plain is not False:
            return plain
        self.runtime.budget.reset()
        try:
            return gate.title.fn(env)
        except _STOPS:
            return gate.name

    def _gate(self, gate: ast.Gate, gate_id, env: Env, title_env: Env, explainer, subject, stage) -> Result:
        result = Result(gate_id, subject, stage, "pass", gate.severity, self._title(gate, title_env),
                        unwaivable=gate.unwaivable)
        block = self._block(gate.body)
        if block.let_nodes:  # their closures read afresh: `test --mutate` recompiles a gate in place
            genv = Env(env, self.runtime, None, {let.name: let.value.fn for let in block.let_nodes})
        else:  # nothing of its own to keep: it runs in its stage's scope
            genv = env
        budget = self.runtime.budget
        budget.reset()
        try:
            if gate.when is not None and not ops.truthy(gate.when.fn(genv)):
                result.status = "skipped"
                result.message = f"does not apply: `{explainer.src(gate.when)}` is false"
                return result
            failed = []  # (require, why): every require that fails, each on its own
            for req in block.requires:
                try:
                    if ops.truthy(req.expr.fn(genv)):
                        continue
                except _STOPS:
                    if failed:  # it could not be evaluated once an earlier require failed: quiet
                        continue
                    raise
                budget.reset()  # explaining re-walks what failed: a budget of its own
                failed.append((req, explainer.require(req, genv)))
                budget.reset()
            if failed:
                self._failed(result, failed, genv, explainer, gate_id, subject)
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


class _Block:
    """A block's `let`s (name -> closure: each scope made for a lifecycle's or a stage's block
    takes this dict as its `lazy`, read only) and its requires, found once a run instead of
    once per subject."""

    __slots__ = ("body", "let_nodes", "lets", "requires")

    def __init__(self, body: list):
        self.body = body
        self.let_nodes = [item for item in body if isinstance(item, ast.Let)]
        self.lets = {item.name: item.value.fn for item in self.let_nodes}
        self.requires = [item for item in body if isinstance(item, ast.Require)]


class _Entry:
    """One evaluation under the results cache (see Engine._entry)."""

    __slots__ = ("engine", "id", "reused", "start", "subjects")

    def __init__(self, engine, entry_id: str):
        self.engine, self.id, self.reused = engine, entry_id, False

    def __enter__(self):
        engine = self.engine
        if engine.memory is None:
            return self
        piece = engine.memory.shown(self.id)  # its report's piece, standing for its verdicts until Run.kept
        if piece is not None:
            if piece.subject is not None:
                engine.subjects.append(piece.subject)
            engine.results.append(piece.results)
            return self._kept(piece.notices)
        kept = engine.memory.reused(self.id)
        if kept is not None:
            from .results import restore

            try:
                subject, results, notices = restore(kept)
            except (ValueError, TypeError, KeyError):
                engine.memory.fresh.pop(self.id, None)  # a damaged entry: evaluated afresh
            else:
                if subject is not None:
                    engine.subjects.append(subject)
                engine.results.extend(results)
                engine.memory.made[self.id] = (subject, results, notices)
                return self._kept(notices)
        self.start, self.subjects = len(engine.results), len(engine.subjects)
        engine.repo.frames.append(set())
        return self

    def _kept(self, notices):
        """An entry the cache gave: its loads' notices, and its files as if read (waiver comments
        are sought there)."""
        engine = self.engine
        for path, line, code, message in notices:
            engine.repo.notices[(path, line, code)] = _notice(path, line, code, message)
        read, marked = engine.memory.read_by(self.id)
        engine.repo.paths_read.update(read)
        engine.repo.unmarked.update(p for p in read if p not in marked)
        self.reused = True
        return self

    def __exit__(self, kind, value, traceback) -> None:
        engine = self.engine
        if engine.memory is None or self.reused:
            return
        reads = engine.repo.frames.pop()
        if kind is not None:
            return
        from .results import notices_of, stored

        inputs = engine.repo.inputs(reads)
        subject = engine.subjects[self.subjects] if len(engine.subjects) > self.subjects else None
        made = (subject, engine.results[self.start:], notices_of(inputs))
        payload = None if engine.memory.payload_later else stored(*made)
        engine.memory.record(self.id, inputs, payload, made)


class _GlobalValues(dict):
    """A pack's global values under the results cache: reading one computed from the repository
    (Engine._shared_value) uses its memo entry, as reading a load does, so the evaluation that
    reads it rests on what it read. `marks`: name -> that entry's mark."""

    __slots__ = ("frames", "marks")

    def __init__(self, frames: list):
        super().__init__()
        self.frames, self.marks = frames, {}

    def __getitem__(self, name):
        mark = self.marks.get(name)
        if mark is not None:
            self.frames[-1].add(mark)
        return dict.__getitem__(self, name)


def _named_by_id(value, sid: str) -> bool:
    """Whether a subject's value is its id and nothing more: a path located at itself (`dirs`,
    `glob`, `parents`), as opposed to a record or a line located in a file."""
    return type(value) is PathValue and value.loc == (sid, None, None)


_UNMATCHED = object()


def _notice(path, line, code, message):
    from .repo import Notice

    return Notice(path, line, code, message)


def _with_helpers(packs) -> list:
    """The packs and those they `use defs from`, each before the packs that need its defs."""
    out, seen = [], set()

    def visit(pack):
        if pack.key in seen:
            return
        seen.add(pack.key)
        for used in list(pack.uses) + list(getattr(pack, "helpers", ())):
            visit(used)
        out.append(pack)

    for pack in packs:
        visit(pack)
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
