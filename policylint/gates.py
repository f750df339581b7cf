"""Which gates a run's packs declare, and where each one judges: the one place that reads a
pack's structure for gates (its lifecycles, the extensions other packs make of them, the
overrides that re-grade or switch gates off), for the engine, configuration, `list`,
`explain` and the reports alike."""
from __future__ import annotations

from .structs import field, replace, struct
from .syntax import ast

CLAIMS_TITLE = "The claimed stage is one of the lifecycle's stages"
SEVERITY_RANK = {"off": -1, "info": 0, "warning": 1, "error": 2}


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

    @property
    def plain_title(self) -> str:
        return self.title


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


@struct
class Part:
    """One pack's part of a lifecycle: the lifecycle itself, or an `extend` of it."""
    pack: object  # packs.LoadedPack
    node: object  # ast.Lifecycle or ast.Extend

    def stage(self, name: str):
        return next((s for s in self.node.stages if s.name == name), None)


@struct
class Planned:
    """A gate as a run evaluates it: its id, the pack that declares it, and its severity after
    the packs' overrides (`off`: not evaluated)."""
    id: str
    pack: object
    gate: object  # ast.Gate, its severity the override's
    lifecycle: str | None = None
    stage: str | None = None


@struct
class Plan:
    """What a run evaluates, pack by pack in the order they run (a used pack before its user)."""
    running: list = field(default_factory=list)  # LoadedPacks whose gates run
    parts: dict = field(default_factory=dict)  # lifecycle id -> [Part] (the lifecycle's own first)
    overrides: dict = field(default_factory=dict)  # gate id -> (level, the Override node, its pack)
    _stage_gates: dict = field(default_factory=dict, repr=False)  # (lifecycle id, stage) -> stage_gates

    def gates_of(self, pack) -> list:
        """The repository-wide gates of a pack, overrides applied."""
        return [self._planned(f"{pack.name}.{item.name}", pack, item, None, None)
                for item in pack.ast.items if isinstance(item, ast.Gate)]

    def stage_gates(self, lifecycle_id: str, stage: str) -> list:
        """(Part, Planned) for a stage's gates: the lifecycle's own, then each extension's
        (worked out once a run: the engine asks for every subject)."""
        found = self._stage_gates.get((lifecycle_id, stage))
        if found is not None:
            return found
        out = []
        for part in self.parts.get(lifecycle_id, ()):
            block = part.stage(stage)
            for gate in block.body if block is not None else ():
                if isinstance(gate, ast.Gate):
                    out.append((part, self._planned(f"{part.pack.name}.{stage}.{gate.name}", part.pack, gate,
                                                    lifecycle_id, stage)))
        self._stage_gates[(lifecycle_id, stage)] = out
        return out

    def _planned(self, gid, pack, gate, lifecycle, stage) -> Planned:
        override = self.overrides.get(gid)
        if override is not None and override[0] != gate.severity:
            gate = replace(gate, severity=override[0])
        return Planned(gid, pack, gate, lifecycle, stage)


def plan(packs) -> Plan:
    """The plan of a run of `packs`: every pack they `use` (not `use defs from`) runs too, first."""
    out = Plan()
    seen: set = set()

    def visit(pack):
        if pack.key in seen:
            return
        seen.add(pack.key)
        for used in pack.uses:
            visit(used)
        out.running.append(pack)

    for pack in packs:
        visit(pack)
    for pack in out.running:
        for item in pack.ast.items:
            if isinstance(item, ast.Lifecycle):
                out.parts.setdefault(f"{pack.name}.{item.name}", []).insert(0, Part(pack, item))
            elif isinstance(item, ast.Extend):
                out.parts.setdefault(item.target, []).append(Part(pack, item))
            elif isinstance(item, ast.Override):
                out.overrides[item.gate] = (item.level, item, pack)
    return out


def declared_gates(packs, uses: bool = False, lifecycle: bool = True):
    """(gate id, pack, lifecycle id or None, stage or None, gate) for every gate of the packs
    (and, with `uses`, of the packs they use), each lifecycle's own gates included unless
    `lifecycle` is false; a gate an extension adds belongs to the pack that extends. The
    gate's severity is the overrides' (`off` for one switched off). These are the ids `list`
    shows and configuration may name."""
    run = plan(packs)
    shown = run.running if uses else list({p.key: p for p in packs}.values())
    for pack in shown:
        for planned in run.gates_of(pack):
            yield planned.id, pack, None, None, planned.gate
        for item in pack.ast.items:
            if isinstance(item, (ast.Lifecycle, ast.Extend)):
                lifecycle_id = f"{pack.name}.{item.name}" if isinstance(item, ast.Lifecycle) else item.target
                for stage in item.stages:
                    for gate in stage.body:
                        if isinstance(gate, ast.Gate):
                            gid = f"{pack.name}.{stage.name}.{gate.name}"
                            yield gid, pack, lifecycle_id, stage.name, run._planned(
                                gid, pack, gate, lifecycle_id, stage.name).gate
                if lifecycle and isinstance(item, ast.Lifecycle):
                    for gid, gate in lifecycle_gates(pack, item):
                        yield gid, pack, lifecycle_id, None, gate


def gate_docs(packs, root) -> dict:
    """Per gate id: title, doc comment, severity, and the policy line that declares it."""
    import os

    out: dict = {}

    def relative(pack) -> str | None:
        try:
            rel = os.path.relpath(pack.path, os.path.realpath(root))
        except ValueError:
            return None
        return None if rel.startswith("..") else rel.replace(os.sep, "/")

    readmes: dict = {}
    for gid, pack, _lifecycle, stage, gate in declared_gates(packs, uses=True):
        if pack.key not in readmes:
            readmes[pack.key] = readme_sections(pack.path.parent / "README.md")
        inside = relative(pack)
        out[gid] = {"title": gate.plain_title, "doc": readmes[pack.key].get(gid) or gate.doc, "pack": pack.name,
                    "pack_version": pack.ast.version,
                    "policy_path": inside or pack.display_path, "in_repo": inside is not None,
                    "line": gate.span.line, "stage": stage,
                    "severity": gate.severity, "unwaivable": gate.unwaivable}
    return out


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
