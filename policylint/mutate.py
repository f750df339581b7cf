"""`policylint test --mutate`: would the pack's cases notice a wrong gate, or a missing file?

Two sweeps over one pack and its case folders:

* Mutants. Each gate is changed in one small way — its `require` or `when` negated, a
  relational operator shifted (`<` to `<=`, `==` to `!=`, `in` to `not in`), one side of an
  `and`/`or` dropped, `every` turned into `some`, a `where` filter or a `not` dropped, an
  `if` collapsed to one branch — and the cases run against the changed pack (the parsed AST,
  changed in place and put back; nothing is written). A mutant is killed when some case's
  expected.yaml no longer holds; one that every case still accepts survives: no case shows
  that part of the gate matters. A survivor that truly cannot be told apart from the gate
  (an equivalent mutant) is listed in the pack README under `## Equivalent mutants`:

      - `speckit.draft.x: every → some in `every t in …`` — the list has at most one item

  (the text the report prints, then ` — ` and the reason); it is then not counted.

* Deletions. Each file of each case's repository is deleted in turn (in the case's scratch
  copy, then put back) and the unchanged pack runs again. A deletion is a *silent pass* when

  - a subject's earned stage goes up, or
  - a gate that failed or errored now passes, or is skipped because its `when` is false,
    and no gate about the same subject, or between the subject and the repository
    (repository-wide gates count as one subject), now fails where it passed or names the
    deleted file: the failure vanished instead of moving.

  Only the pack's own gates and subjects are judged; a pack it `use`s is judged in its own run.

  A missing file must fail the gate it is evidence for. A file the repository is complete
  without (one of many a glob collects, or one the workflow need not have) is listed in the
  pack README under `## Optional files` (`- `path/glob` — why`); its deletion is not judged.

Everything runs in-process, and only what can change is evaluated again. Each case is
checked out and run once; its loads are shared by every mutant (memoized per Repo, never
changed by evaluation). A mutant changes one gate, so a case first evaluates that gate alone
(on each subject, in the scopes the run gave it): when each result is what it was, so is the
whole run; otherwise the case runs again with every other gate's result taken from its run.
Only cases that evaluated the gate can notice it, those whose expected.yaml names it first.
For the deletions each case runs once more on a repository that records what each load and
each gate read: files (where a path leads and what is there), globs' and listings' matches,
`exists` answers. A deletion that changes none of those answers cannot change the run; one
that does re-runs the case with the loads and gate results that do not depend on them kept.
`mutate_pack(..., exhaustive=True)` runs everything in full: the reference the fast path is
tested against (tests/unit/test_mutate.py).
"""
from __future__ import annotations

import fnmatch
import os
import re
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .compile import Compiler
from .evaluate import Engine
from .recording import STATEFUL, RecordingRepo
from .repo import Repo
from .structs import field, replace, struct
from .syntax import ast

RELATIONAL = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "in": "not in",
              "not in": "in"}
QUANTIFIER = {"every": "some", "some": "every", "no": "some"}
SNIPPET_WIDTH = 60
RANKS = ("pass", "fail")


@struct
class Mutant:
    gate: str
    mutation: str  # e.g. "`<` → `<=`"
    snippet: str  # the policy text the mutation changes, on one line
    span: object  # diagnostics.Span of that text
    apply: object = field(default=None, repr=False)  # () -> undo
    node: object = field(default=None, repr=False)  # the ast.Gate it changes

    @property
    def key(self) -> str:
        """How the report names it, and how `## Equivalent mutants` lists it."""
        return f"{self.gate}: {self.mutation} in `{self.snippet}`"

    @property
    def where(self) -> str:
        return f"{self.span.path}:{self.span.line}:{self.span.column}"


@struct
class SilentPass:
    case: str
    deleted: str
    what: str  # e.g. "specs/001 earned draft → planned" or "speckit.x on specs/001: fail → pass"


@struct
class PackReport:
    pack: str
    readme: str
    mutants: int = 0
    killed: int = 0
    equivalent: list = field(default_factory=list)  # Mutant
    survivors: list = field(default_factory=list)  # Mutant
    silent: list = field(default_factory=list)  # SilentPass
    unused_equivalents: list = field(default_factory=list)  # README lines that match no survivor
    deletions: int = 0

    @property
    def counted(self) -> int:
        return self.mutants - len(self.equivalent)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


# -- mutants ---------------------------------------------------------------------------------
def gates_of(tree: ast.Pack):
    """(gate id, gate) for every gate of the pack, in source order."""
    for item in tree.items:
        if isinstance(item, ast.Gate):
            yield f"{tree.name}.{item.name}", item
        elif isinstance(item, (ast.Lifecycle, ast.Extend)):
            for stage in item.stages:
                for gate in stage.body:
                    if isinstance(gate, ast.Gate):
                        yield f"{tree.name}.{stage.name}.{gate.name}", gate


def mutants_of(tree: ast.Pack) -> list:
    """Every mutant of every gate: of its `when`, its `require`s and its own `let`s."""
    text = _Source(tree.source)
    out = []
    for gate_id, gate in gates_of(tree):
        first = len(out)
        if gate.when is not None:
            out.append(_mutant(gate_id, "`when` → `when not`", text, gate.when,
                               _slot(gate, "when"), lambda n: ast.Unary(n.span, "not", n)))
            out.extend(_expr_mutants(gate_id, text, gate.when, _slot(gate, "when")))
        for item in gate.body:
            if isinstance(item, ast.Require):
                out.append(_mutant(gate_id, "`require` → `require not`", text, item.expr,
                                   _slot(item, "expr"), lambda n: ast.Unary(n.span, "not", n)))
                out.extend(_expr_mutants(gate_id, text, item.expr, _slot(item, "expr")))
            elif isinstance(item, ast.Let):
                out.extend(_expr_mutants(gate_id, text, item.value, _slot(item, "value")))
        for mutant in out[first:]:
            mutant.node = gate
    return out


def _slot(holder, name, index=None, part=None):
    """(get, set) of one place in the tree that holds an expression."""
    if index is None:
        return (lambda: getattr(holder, name)), (lambda v: setattr(holder, name, v))
    items = getattr(holder, name)
    if part is None:
        return (lambda: items[index]), (lambda v: items.__setitem__(index, v))

    def put(v):  # `more` holds (var, domain) pairs
        pair = list(items[index])
        pair[part] = v
        items[index] = tuple(pair)

    return (lambda: items[index][part]), put


def _mutant(gate_id, mutation, text, node, slot, make) -> Mutant:
    get, put = slot

    def apply():
        original = get()
        put(make(original))
        return lambda: put(original)

    return Mutant(gate_id, mutation, text.snippet(node.span), node.span, apply)


def _expr_mutants(gate_id, text, node, slot) -> list:
    """Mutants of `node` (which sits in `slot`) and of everything under it."""
    out = []

    def add(mutation, make, at=node):
        out.append(_mutant(gate_id, mutation, text, at, slot, make))

    if isinstance(node, ast.Binary):
        if node.op in RELATIONAL:
            new = RELATIONAL[node.op]
            add(f"`{node.op}` → `{new}`", lambda n, new=new: ast.Binary(n.span, new, n.left, n.right, n.op_span))
        if node.op in ("and", "or"):
            add(f"`A {node.op} B` → `A`", lambda n: n.left)
            add(f"`A {node.op} B` → `B`", lambda n: n.right)
        out.extend(_expr_mutants(gate_id, text, node.left, _slot(node, "left")))
        out.extend(_expr_mutants(gate_id, text, node.right, _slot(node, "right")))
    elif isinstance(node, ast.Unary):
        if node.op == "not":
            add("`not` dropped", lambda n: n.operand)
        out.extend(_expr_mutants(gate_id, text, node.operand, _slot(node, "operand")))
    elif isinstance(node, ast.Quantified):
        new = QUANTIFIER[node.kind] if node.body is not None else ("no" if node.kind == "some" else "some")
        add(f"`{node.kind}` → `{new}`", lambda n, new=new: _replace(n, kind=new))
        if node.where is not None:
            add("`where` dropped", lambda n: _replace(n, where=None))
        out.extend(_expr_mutants(gate_id, text, node.domain, _slot(node, "domain")))
        for i, (_, domain) in enumerate(node.more):
            out.extend(_expr_mutants(gate_id, text, domain, _slot(node, "more", i, 1)))
        if node.where is not None:
            out.extend(_expr_mutants(gate_id, text, node.where, _slot(node, "where")))
        if node.body is not None:
            out.extend(_expr_mutants(gate_id, text, node.body, _slot(node, "body")))
    elif isinstance(node, ast.Where):
        add("`where` dropped", lambda n: n.domain)
        out.extend(_expr_mutants(gate_id, text, node.domain, _slot(node, "domain")))
        out.extend(_expr_mutants(gate_id, text, node.pred, _slot(node, "pred")))
    elif isinstance(node, ast.Conditional):
        add("`if` → its `then`", lambda n: n.then)
        add("`if` → its `else`", lambda n: n.other)
        for name in ("cond", "then", "other"):
            out.extend(_expr_mutants(gate_id, text, getattr(node, name), _slot(node, name)))
    elif isinstance(node, ast.Call):
        for i, arg in enumerate(node.args):
            out.extend(_expr_mutants(gate_id, text, arg, _slot(node, "args", i)))
    elif isinstance(node, ast.ListLit):
        for i, item in enumerate(node.items):
            out.extend(_expr_mutants(gate_id, text, item, _slot(node, "items", i)))
    elif isinstance(node, (ast.Field, ast.Index)):
        out.extend(_expr_mutants(gate_id, text, node.obj, _slot(node, "obj")))
        if isinstance(node, ast.Index):
            out.extend(_expr_mutants(gate_id, text, node.key, _slot(node, "key")))
    return out


def _replace(node, **changes):
    return replace(node, **changes)


class _Source:
    def __init__(self, source: str):
        self.lines = source.split("\n")

    def snippet(self, span) -> str:
        """The text a span covers, its whitespace collapsed, cut to SNIPPET_WIDTH."""
        last = span.end_line or span.line
        chunk = self.lines[span.line - 1:last]
        if not chunk:
            return ""
        if span.end_column and len(chunk) >= 1:
            chunk[-1] = chunk[-1][:span.end_column - 1]
        chunk[0] = chunk[0][span.column - 1:]
        text = " ".join(" ".join(chunk).split())
        return text if len(text) <= SNIPPET_WIDTH else text[:SNIPPET_WIDTH - 1] + "…"


# -- the README's declarations -----------------------------------------------------------------
def readme_list(readme: Path, heading: str) -> dict:
    """`- `key` — reason` bullets under `## heading` (key -> reason); {} when there is none."""
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out, inside, fenced = {}, False, False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        if line.startswith("#"):
            inside = line.lstrip("#").strip().lower() == heading.lower()
            continue
        match = re.match(r"^\s*[-*]\s+`(.+?)`\s*(?:—|--|-)\s*(.*)$", line) if inside else None
        if match:
            out[match.group(1)] = match.group(2).strip()
    return out


# -- running cases -----------------------------------------------------------------------------
class _Engine(Engine):
    """The engine with what the sweeps need: gate results it may take from an earlier run of
    the same case instead of evaluating (`reuse`: gate key -> raw result), a view of each gate
    it does evaluate (`watch(key, args, raw result, reads)`), and, with `isolate`, every gate
    evaluated on its own: the `let`s earlier gates computed and the loads that hold the
    repository are forgotten first, and the repository records what the gate read (a
    `RecordingRepo`), so a gate's reads are all of what its result depends on. A gate key is (id of the gate's node, subject, nth time)."""

    def __init__(self, repo, params: dict, reuse: dict | None = None, watch=None, isolate: bool = False,
                 compiled: bool = False):
        super().__init__(repo, params=params)
        self.reuse = reuse or {}
        self.watch = watch
        self.isolate = isolate
        self.compiled = compiled  # the trees are compiled (and a mutated gate recompiled) already
        self._times: dict = {}

    def _compile(self, pack) -> None:
        if not self.compiled:
            super()._compile(pack)

    def _gate(self, gate, gate_id, env, title_env, explainer, subject, stage):
        base = (id(gate), subject)
        nth = self._times[base] = self._times.get(base, -1) + 1
        key = base + (nth,)
        hit = self.reuse.get(key)
        if hit is not None:
            return _copy_result(hit)
        args = (gate, gate_id, env, title_env, explainer, subject, stage)
        reads = None
        if self.isolate:
            _forget_lets(env, self.globals.values())
            self.repo.forget_volatile()
            self.repo.frames.append(set())
            try:
                result = super()._gate(*args)
            finally:
                reads = self.repo.frames.pop()
        else:
            result = super()._gate(*args)
        if self.watch is not None:
            self.watch(key, args, _copy_result(result), reads)
        return result

    def _claims(self, *args):
        if not self.isolate:
            return super()._claims(*args)
        self.repo.frames.append(set())  # recorded, but no gate's: a claim decides which gates
        try:                            # run (again on every run), never what one gives
            return super()._claims(*args)
        finally:
            self.repo.frames.pop()


def _copy_result(result):
    """A result as `_gate` returned it, safe from what the run does to it next (severities,
    `not required yet`, messages clipped in place)."""
    return replace(result, evidence=[replace(e) for e in result.evidence])


def _outcome(result) -> tuple:
    """What of a gate's result can change a run: equal outcomes, equal runs."""
    return (result.status, result.severity, result.title, result.message, result.require,
            [(e.path, e.line, e.message) for e in result.evidence])


def _forget_lets(env, global_envs) -> None:
    """Drop the values `let`s got in `env`, the scopes around it and the packs' global scopes:
    they are computed again on first use, by the gate that uses them."""
    envs = list(global_envs)
    while env is not None:
        envs.append(env)
        env = env.parent
    for scope in envs:
        for name in scope.lazy:
            scope.vars.pop(name, None)


class _Case:
    """One case checked out, its run on the pack as written, and each gate evaluation of it:
    what a mutant of a gate needs to be judged by evaluating that gate alone. Unless
    `exhaustive`, the case is first recorded (`_Recorded`), and its run takes its loads from
    the recording: the work tree is the same, and nothing is loaded twice."""

    def __init__(self, case, root: Path, base, pack, exhaustive: bool = False):
        self.case, self.root, self.base, self.pack = case, root, base, pack
        self.params = case.expected.get("params") or {}
        self.repo = Repo(root, base=base)  # its loads are shared by every mutant
        self.recorded = None
        if not exhaustive:
            try:
                self.recorded = _Recorded(root, base, self.params, pack)
            except Exception:  # noqa: BLE001 — a case the recording cannot follow is swept the slow way
                self.recorded = None
            else:
                self.repo._memo = dict(self.recorded.repo.final)
                self.repo.notices = dict(self.recorded.repo.notices)
        self.calls: dict = {}  # id(gate node) -> [(args, raw result)]
        self.raw: dict = {}  # gate key -> raw result
        self.isolated = not exhaustive  # a gate may be evaluated again alone
        self.engine = _Engine(self.repo, self.params, watch=self._watch)
        self.run = self.engine.run([pack])
        if self.recorded is not None:
            self.recorded.keep(self.raw)
        self.named = {gate for gates in (case.expected.get("results") or {}).values() for gate in (gates or {})}

    def _watch(self, key, args, raw, _reads) -> None:
        self.calls.setdefault(key[0], []).append((args, raw))
        self.raw[key] = raw

    def full_run(self, reuse: dict):
        return _Engine(self.repo, self.params, reuse=reuse, compiled=True).run([self.pack])

    def notices(self, gate) -> bool:
        """Whether the case fails with `gate` as it is now (a mutant). Its results are
        evaluated first: when each is what it was, so is the whole run."""
        calls = self.calls.get(id(gate))
        if not calls:
            return False  # never evaluated (no subject reaches it): the run cannot change
        try:
            if self.isolated and all(_outcome(Engine._gate(self.engine, *args)) == _outcome(raw)
                                     for args, raw in calls):
                return False
            run = self.full_run({key: raw for key, raw in self.raw.items() if key[0] != id(gate)})
        except Exception:  # noqa: BLE001 — a mutant that crashes the run is noticed
            return True
        return not _holds(self.case, run)


def _holds(case, run) -> bool:
    from .packtest import run_case

    return run_case(case, run=run).ok


def _case_fails(case, run):
    """The labelled error for a case that does not hold on the pack as written."""
    from .diagnostics import Diagnostic, Span
    from .errors import PolicylintError
    from .packtest import run_case

    first = run_case(case, run=run).mismatches[0].split("\n")[0]
    return PolicylintError(Diagnostic(
        "PL308", f"case `{case.id}` does not hold on the pack as written ({first}), so nothing can be "
                 "mutated against it: `policylint test` shows why; a case that passes there and fails "
                 "here gives a different result each run (the date, the environment)",
        Span(str(case.folder / "expected.yaml"), 1, 1)))


def mutate_pack(pack_dir: Path, cases: list, use_cache: bool = True, progress=None,
                exhaustive: bool = False) -> PackReport:
    """Both sweeps over one pack; `progress(text)` hears what is going on. `exhaustive` runs
    every case in full for every mutant and every deletion, as the sweeps are defined: the
    slow reference the fast path is tested against."""
    from .packs import PackLoader, display
    from .packtest import checkout

    pack = PackLoader(use_cache=use_cache).load(str(pack_dir / f"{pack_dir.name}.policy"))
    readme = pack_dir / "README.md"
    report = PackReport(pack.name, display(readme))
    equivalents = readme_list(readme, "Equivalent mutants")
    optional = list(readme_list(readme, "Optional files"))
    with ExitStack() as stack:
        states = {}
        for case in cases:
            root, base = stack.enter_context(checkout(case))
            state = states[case.id] = _Case(case, root, base, pack, exhaustive)
            if not _holds(case, state.run):
                raise _case_fails(case, state.run)
        mutants = mutants_of(pack.ast)
        report.mutants = len(mutants)
        order = list(cases)
        seen = set()
        for mutant in mutants:
            key = mutant.key
            n = 2
            while key in seen:  # the same text twice in one gate
                key, n = f"{mutant.key} #{n}", n + 1
            seen.add(key)
            killer = _kill(mutant, order, states, pack, exhaustive)
            if killer is not None:
                report.killed += 1
                order.remove(killer)
                order.insert(0, killer)  # a case that kills one mutant often kills the next
            elif key in equivalents:
                report.equivalent.append(mutant)
            else:
                report.survivors.append(mutant)
        named = {m.key for m in report.equivalent}
        report.unused_equivalents = [k for k in equivalents if k not in named]
        for case in cases:
            report.silent.extend(_deletions(states[case.id], optional, report))
    return report


def _kill(mutant: Mutant, order: list, states: dict, pack, exhaustive: bool = False):
    """The first case that notices the mutant, or None. Only cases that evaluated the gate
    can notice it; those whose expected.yaml names the gate, and where it passed or failed
    (rather than being skipped), are tried first."""
    gate = mutant.node
    undo = mutant.apply()
    try:
        try:
            Compiler(pack).recompile(gate)
        except Exception:  # noqa: BLE001 — a mutant that cannot even be built crashes every run
            return order[0] if order else None
        if exhaustive:
            for case in order:
                state = states[case.id]
                try:
                    run = _Engine(state.repo, state.params).run([state.pack])
                except Exception:  # noqa: BLE001 — a mutant that crashes the run is noticed
                    return case
                if not _holds(case, run):
                    return case
            return None
        for case in sorted((c for c in order if id(gate) in states[c.id].calls),
                           key=lambda c: _likely(mutant, states[c.id])):
            if states[case.id].notices(gate):
                return case
        return None
    finally:
        undo()
        Compiler(pack).recompile(gate)


def _likely(mutant: Mutant, state: _Case) -> tuple:
    """Sort key: cases that name the gate, then cases where it passed or failed, first."""
    decided = any(raw.status in RANKS for _, raw in state.calls[id(mutant.node)])
    return (mutant.gate not in state.named, not decided)


# -- deletions ---------------------------------------------------------------------------------
def _files(root: Path) -> list:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not (folder == str(root) and d == ".git"))
        for name in sorted(files):
            out.append(Path(folder, name).relative_to(root).as_posix())
    return out


@contextmanager
def _deleted(path: Path):
    """The file (or symlink) gone for the duration, then put back as it was."""
    if path.is_symlink():
        target = os.readlink(path)
        path.unlink()
        try:
            yield
        finally:
            os.symlink(target, path)
        return
    data, mode = path.read_bytes(), path.stat().st_mode
    path.unlink()
    try:
        yield
    finally:
        path.write_bytes(data)
        os.chmod(path, mode)


def _deletions(state: _Case, optional: list, report: PackReport) -> list:
    """Each file of the case deleted in turn. A deletion changes nothing the run looked at
    (no file it read, no answer `exists` gave, no glob's or listing's matches) cannot change
    the run: it is counted and not run again. Otherwise the case runs again with the loads
    and gate results that do not depend on what changed taken from the recorded run."""
    recorded = state.recorded
    if recorded is None:
        return _deletions_exhaustive(state, optional, report)
    found = []
    for rel in _files(state.root):
        report.deletions += 1
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in optional):
            continue  # not judged
        with _deleted(state.root / rel):
            changed = recorded.repo.changed(rel)
            if not changed:
                continue
            after = recorded.run_without(changed)
        found.extend(SilentPass(state.case.id, rel, what)
                     for what in silent_passes(state.run, after, rel, state.pack.name))
    return found


def _deletions_exhaustive(state: _Case, optional: list, report: PackReport) -> list:
    found = []
    for rel in _files(state.root):
        report.deletions += 1
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in optional):
            continue
        with _deleted(state.root / rel):
            after = Engine(Repo(state.root, base=state.base), params=state.params).run([state.pack])
        found.extend(SilentPass(state.case.id, rel, what)
                     for what in silent_passes(state.run, after, rel, state.pack.name))
    return found


class _Recorded:
    """A case run with every gate isolated on a recording repository: what each gate and
    each load read, so a deletion re-runs only what depends on the deleted file."""

    def __init__(self, root: Path, base, params: dict, pack):
        self.root, self.base, self.params, self.pack = root, base, params, pack
        repo = self.repo = RecordingRepo(root, base)
        self.pending = {}  # gate key -> (raw result, reads)

        def watch(key, _args, raw, reads):
            self.pending[key] = (raw, reads)

        _Engine(repo, params, watch=watch, isolate=True).run([pack])
        repo.finish()
        self.gates = {}

    def keep(self, raw: dict) -> None:
        """The gate results a later run may reuse: those of the run as written (`raw`), where
        evaluated alone the gate gave the same; each with everything it depends on."""
        outside = self.repo.closure(self.repo.frames[0])  # domains: every subject's gates depend on them
        for key, (alone, reads) in self.pending.items():
            was = raw.get(key)
            if was is not None and _outcome(was) == _outcome(alone):
                self.gates[key] = (was, self.repo.closure(reads, gate=True) | outside)
        self.pending = {}

    def run_without(self, changed: set):
        """The case's run again, `changed` being what the work tree now answers differently."""
        changed = changed | {STATEFUL}  # what depends on an entry that is more than data is redone
        repo = Repo(self.root, base=self.base)
        repo._memo = {key: value for key, value in self.repo.final.items()
                      if self.repo.closures[key].isdisjoint(changed)}
        reuse = {key: raw for key, (raw, depends) in self.gates.items() if depends.isdisjoint(changed)}
        return _Engine(repo, self.params, reuse=reuse, compiled=True).run([self.pack])


def silent_passes(before, after, deleted: str, pack: str, optional: bool = False) -> list:
    """What got better about `pack`'s own gates and subjects when `deleted` went missing
    (see the module docstring); a pack it `use`s is judged in its own run."""
    if optional:
        return []
    mine = pack + "."
    out = []
    earned_after = {(s.lifecycle, s.id): s for s in after.subjects}
    for subject in before.subjects:
        now = earned_after.get((subject.lifecycle, subject.id))
        if now is None or not subject.lifecycle.startswith(mine):
            continue
        rank = subject.stages.index
        was = rank(subject.earned) if subject.earned else -1
        is_ = rank(now.earned) if now.earned else -1
        if is_ > was:
            out.append(f"{subject.id} earned {subject.earned or 'no stage'} → {now.earned}")
    bad = ("fail", "error")
    was = {(r.subject, r.gate): r for r in before.results}
    results = {(r.subject, r.gate): r for r in after.results}
    worse = {r.subject for r in after.results if r.status in bad
             and (_names(r, deleted) or not ((r.subject, r.gate) in was and was[(r.subject, r.gate)].status in bad))}
    for r in before.results:
        if r.status not in bad or not r.gate.startswith(mine):
            continue
        now = results.get((r.subject, r.gate))
        if now is None or r.subject in worse or (worse and (r.subject is None or None in worse)):
            continue  # the failure moved: to the same subject, or between it and the repository
        if now.status == "pass" or (now.status == "skipped" and now.message.startswith("does not apply")):
            on = f" on {r.subject}" if r.subject else ""
            out.append(f"{r.gate}{on}: {r.status} → {now.status}")
    return out


def _names(result, path: str) -> bool:
    """The result says the file is missing (its message or evidence names it)."""
    return path in result.message or any(e.path == path or path in e.message for e in result.evidence)


# -- the report --------------------------------------------------------------------------------
def render(report: PackReport) -> list:
    lines = [f"{report.pack}: {report.killed} of {report.counted} mutants killed ({report.score:.1f}%)"
             + (f", {len(report.equivalent)} equivalent" if report.equivalent else "")
             + f"; {report.deletions} deletions, {len(report.silent)} silent pass"
             + ("" if len(report.silent) == 1 else "es")]
    for mutant in report.survivors:
        lines.append(f"  survivor  {mutant.where}: {mutant.key}")
    for key in report.unused_equivalents:
        lines.append(f"  stale     {report.readme}: `## Equivalent mutants` lists `{key}`, which is killed or gone")
    for sp in report.silent:
        lines.append(f"  silent    {sp.case}: deleting {sp.deleted}: {sp.what}")
    return lines


def run_mutation(pack_dirs: list, threshold: float, keyword: str | None = None, use_cache: bool = True,
                 out=None) -> int:
    """`policylint test --mutate`: both sweeps over every pack, one report each; 1 when a pack
    kills fewer than `threshold` percent of its mutants, or a deletion passes silently."""
    import gc
    import sys

    from .packtest import discover

    out = out or sys.stdout
    print("\nmutation (each gate changed in one small way, each case file deleted in turn):", file=out)
    failing = []
    for pack_dir in pack_dirs:
        cases = [c for c in discover(pack_dir) if not keyword or keyword in c.name]
        report = mutate_pack(pack_dir, cases, use_cache)
        gc.collect()  # the pack's case runs are garbage now; `policylint` runs with collection off
        for line in render(report):
            print(line, file=out)
        if report.score < threshold or report.silent:
            failing.append(report.pack)
    print(file=out)
    if failing:
        print(f"{len(failing)} pack{'s' if len(failing) != 1 else ''} below {threshold:g}% of mutants killed "
              f"or with a silent pass: {', '.join(failing)}", file=out)
        return 1
    print(f"every pack kills at least {threshold:g}% of its mutants; no deletion passes silently", file=out)
    return 0
