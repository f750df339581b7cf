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

Everything runs in-process: each case is checked out once, its repository's reads are
shared by every mutant (loads are memoized per Repo and never changed by evaluation).
"""
from __future__ import annotations

import fnmatch
import os
import re
from contextlib import ExitStack
from pathlib import Path

from .structs import field, struct
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
        elif isinstance(item, ast.Lifecycle):
            for stage in item.stages:
                for gate in stage.body:
                    if isinstance(gate, ast.Gate):
                        yield f"{tree.name}.{stage.name}.{gate.name}", gate


def mutants_of(tree: ast.Pack) -> list:
    """Every mutant of every gate: of its `when`, its `require`s and its own `let`s."""
    text = _Source(tree.source)
    out = []
    for gate_id, gate in gates_of(tree):
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
        new = QUANTIFIER[node.kind]
        add(f"`{node.kind}` → `{new}`", lambda n, new=new: _replace(n, kind=new))
        if node.where is not None:
            add("`where` dropped", lambda n: _replace(n, where=None))
        out.extend(_expr_mutants(gate_id, text, node.domain, _slot(node, "domain")))
        for i, (_, domain) in enumerate(node.more):
            out.extend(_expr_mutants(gate_id, text, domain, _slot(node, "more", i, 1)))
        if node.where is not None:
            out.extend(_expr_mutants(gate_id, text, node.where, _slot(node, "where")))
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
    from .structs import replace

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
class _Checkouts:
    """Each case of a pack checked out once, with a Repo whose loads every mutant shares."""

    def __init__(self, cases, stack: ExitStack):
        from .packtest import checkout
        from .repo import Repo

        self.cases = cases
        self.roots = {}
        self.repos = {}
        for case in cases:
            root, base = stack.enter_context(checkout(case))
            self.roots[case.id] = (root, base)
            self.repos[case.id] = Repo(root, base=base)

    def run(self, case, pack, fresh: bool = False):
        from .evaluate import Engine
        from .repo import Repo

        root, base = self.roots[case.id]
        repo = Repo(root, base=base) if fresh else self.repos[case.id]
        return Engine(repo, params=case.expected.get("params") or {}).run([pack])


def _holds(case, run) -> bool:
    from .packtest import run_case

    return run_case(case, run=run).ok


def mutate_pack(pack_dir: Path, cases: list, use_cache: bool = True, progress=None) -> PackReport:
    """Both sweeps over one pack; `progress(text)` hears what is going on."""
    from .packs import PackLoader, display

    pack = PackLoader(use_cache=use_cache).load(str(pack_dir / f"{pack_dir.name}.policy"))
    readme = pack_dir / "README.md"
    report = PackReport(pack.name, display(readme))
    equivalents = readme_list(readme, "Equivalent mutants")
    optional = list(readme_list(readme, "Optional files"))
    with ExitStack() as stack:
        checkouts = _Checkouts(cases, stack)
        for case in cases:
            if not _holds(case, checkouts.run(case, pack)):
                raise RuntimeError(f"case {case.id} fails on the pack as written: run `policylint test` first")
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
            killer = _kill(mutant, order, checkouts, pack)
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
            report.silent.extend(_deletions(case, checkouts, pack, optional, report))
    return report


def _kill(mutant: Mutant, cases, checkouts, pack):
    """The first case that notices the mutant, or None."""
    undo = mutant.apply()
    try:
        for case in cases:
            try:
                run = checkouts.run(case, pack)
            except Exception:  # noqa: BLE001 — a mutant that crashes the run is noticed
                return case
            if not _holds(case, run):
                return case
        return None
    finally:
        undo()


# -- deletions ---------------------------------------------------------------------------------
def _files(root: Path) -> list:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not (folder == str(root) and d == ".git"))
        for name in sorted(files):
            out.append(Path(folder, name).relative_to(root).as_posix())
    return out


def _deletions(case, checkouts, pack, optional: list, report: PackReport) -> list:
    root, _ = checkouts.roots[case.id]
    before = checkouts.run(case, pack, fresh=True)
    found = []
    for rel in _files(root):
        path = root / rel
        if path.is_symlink():
            target = os.readlink(path)
            path.unlink()
            restore = lambda path=path, target=target: os.symlink(target, path)  # noqa: E731
        else:
            data, mode = path.read_bytes(), path.stat().st_mode
            path.unlink()

            def restore(path=path, data=data, mode=mode):
                path.write_bytes(data)
                os.chmod(path, mode)
        try:
            after = checkouts.run(case, pack, fresh=True)
        finally:
            restore()
        report.deletions += 1
        is_optional = any(fnmatch.fnmatchcase(rel, pattern) for pattern in optional)
        found.extend(SilentPass(case.id, rel, what)
                     for what in silent_passes(before, after, rel, pack.name, is_optional))
    return found


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
    import sys

    from .packtest import discover

    out = out or sys.stdout
    print("\nmutation (each gate changed in one small way, each case file deleted in turn):", file=out)
    failing = []
    for pack_dir in pack_dirs:
        cases = [c for c in discover(pack_dir) if not keyword or keyword in c.name]
        report = mutate_pack(pack_dir, cases, use_cache)
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
