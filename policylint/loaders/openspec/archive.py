"""Archive's merge run dry (`dist/core/specs-apply.js` buildUpdatedSpec): why `openspec
archive` would refuse to apply a delta spec to its main spec as that spec stands now.
"""
from __future__ import annotations

from .jstext import js_trim, rx_for
from .parsers import fold_name, structure_issues


def merge_refusal(delta, base):
    """(message, line index in the delta) of the first refusal of buildUpdatedSpec, or (None, None):
    `delta` and `base` are Documents (document.py), `base` None when there is no main spec."""
    plan = delta.plan()
    spec = delta.record.fields["capability"]
    rx = delta.rx if base is None or base.rx is delta.rx else rx_for("\ufeff")  # names from both files
    if plan["unpaired"]:
        side, name, i = plan["unpaired"][0]
        return (f'{spec} validation failed - RENAMED entry on line {i + 1} has no matching '
                f'{"TO" if side == "FROM" else "FROM"}: for header "### Requirement: {name}"', i)
    added = {}
    for b in plan["added"]:
        if b.name in added:
            return f'{spec} validation failed - duplicate requirement in ADDED for header "### Requirement: {b.name}"', b.index
        added[b.name] = b
    modified = {}
    for b in plan["modified"]:
        if b.name in modified:
            return f'{spec} validation failed - duplicate requirement in MODIFIED for header "### Requirement: {b.name}"', b.index
        modified[b.name] = b
    removed = {}
    for name, i in plan["removed"]:
        if name in removed:
            return f'{spec} validation failed - duplicate requirement in REMOVED for header "### Requirement: {name}"', i
        removed[name] = i
    froms, tos = set(), set()
    for frm, i, to, j in plan["renamed"]:
        if frm in froms:
            return f'{spec} validation failed - duplicate FROM in RENAMED for header "### Requirement: {frm}"', i
        if to in tos:
            return f'{spec} validation failed - duplicate TO in RENAMED for header "### Requirement: {to}"', j
        froms.add(frm)
        tos.add(to)
    for frm, i, to, j in plan["renamed"]:
        if any(fold_name(rx, r) == fold_name(rx, frm) for r in removed):
            return (f'{spec} validation failed - requirement present in multiple sections (RENAMED and REMOVED) '
                    f'for header "### Requirement: {frm}"', i)
        if frm in modified:
            return (f'{spec} validation failed - when a rename exists, MODIFIED must reference the NEW header '
                    f'"### Requirement: {to}"', i)
        if to in added:
            return f'{spec} validation failed - RENAMED TO header collides with ADDED for "### Requirement: {to}"', j
    for name, b in modified.items():
        other = "REMOVED" if name in removed else "ADDED" if name in added else None
        if other:
            return (f'{spec} validation failed - requirement present in multiple sections (MODIFIED and {other}) '
                    f'for header "### Requirement: {name}"', b.index)
    for name, b in added.items():
        if name in removed:
            return (f'{spec} validation failed - requirement present in multiple sections (ADDED and REMOVED) '
                    f'for header "### Requirement: {name}"', b.index)
    if not (plan["added"] or plan["modified"] or plan["removed"] or plan["renamed"]):
        return None, None  # validate already reports a delta with no entries
    if base is None:  # a new spec: archive builds it from a skeleton with no requirements
        if plan["modified"] or plan["renamed"]:
            first = plan["modified"][0].index if plan["modified"] else plan["renamed"][0][1]
            return (f"{spec}: target spec does not exist; only ADDED requirements are allowed for new specs. "
                    "MODIFIED and RENAMED operations require an existing spec.", first)
        blocks = {}
        is_new = True
    else:
        issues = structure_issues(base)
        if issues:
            details = "; ".join(f"line {i + 1}: {text}" for i, text in issues)
            return f"{spec}: target spec is structurally invalid and cannot be updated until fixed: {details}", None
        blocks = {}
        for b in base.main_blocks():
            blocks[b.name] = b
        is_new = False
    for frm, i, to, j in plan["renamed"]:
        if frm not in blocks:
            if to in blocks:
                near = next((k for k in blocks if k != to and fold_name(rx, k) == fold_name(rx, frm)), None)
                if near is not None:
                    return (f'{spec} RENAMED failed for header "### Requirement: {frm}" - source not found, but '
                            f'"### Requirement: {blocks[near].name}" exists; fix the header to match it exactly', i)
                continue
            return f'{spec} RENAMED failed for header "### Requirement: {frm}" - source not found', i
        if to in blocks:
            return f'{spec} RENAMED failed for header "### Requirement: {to}" - target already exists', j
        near = next((k for k in blocks if k != frm and fold_name(rx, k) == fold_name(rx, to)), None)
        if near is not None:
            return (f'{spec} RENAMED failed for header "### Requirement: {to}" - "### Requirement: '
                    f'{blocks[near].name}" already exists and differs only in case or spacing; choose a distinct name', j)
        block = blocks.pop(frm)
        blocks[to] = block
    for name, i in plan["removed"]:
        if name not in blocks:
            if not is_new:
                near = next((k for k in blocks if fold_name(rx, k) == fold_name(rx, name)), None)
                if near is not None:
                    return (f'{spec} REMOVED failed for header "### Requirement: {name}" - not found, but '
                            f'"### Requirement: {blocks[near].name}" exists; fix the header to match it exactly', i)
            continue
        del blocks[name]
    for b in plan["modified"]:
        current = blocks.get(b.name)
        if current is None:
            return f'{spec} MODIFIED failed for header "### Requirement: {b.name}" - not found', b.index
        missing = multiset_missing(current.scenario_names, b.scenario_names)
        if missing:
            return (f'{spec} MODIFIED failed for header "### Requirement: {b.name}" - current spec contains '
                    f'scenario(s) not present in the modified block: {", ".join(chr(34) + n + chr(34) for n in missing)}',
                    b.index)
        blocks[b.name] = b
    for b in plan["added"]:
        existing = blocks.get(b.name)
        if existing is not None:
            if js_trim(existing.raw) == js_trim(b.raw):
                continue
            return f'{spec} ADDED failed for header "### Requirement: {b.name}" - already exists', b.index
        near = next((k for k in blocks if fold_name(rx, k) == fold_name(rx, b.name)), None)
        if near is not None:
            return (f'{spec} ADDED failed for header "### Requirement: {b.name}" - "### Requirement: '
                    f'{blocks[near].name}" already exists and differs only in case or spacing', b.index)
        blocks[b.name] = b
    return None, None


def multiset_missing(current: list, incoming: list) -> list:
    """The names of `current` not matched in `incoming`, each match used once (diffScenarioNames,
    parsers/requirement-blocks.js:396)."""
    remaining: dict = {}
    for name in incoming:
        remaining[name] = remaining.get(name, 0) + 1
    out = []
    for name in current:
        if remaining.get(name, 0) > 0:
            remaining[name] -= 1
        else:
            out.append(name)
    return out
