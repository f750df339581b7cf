"""approvals(path): an approvals file: which sensitive changes a named person reviewed and approved, and when.

The file is YAML (read as the `yaml` loader reads it), in this format:

```yaml
approvals:
  - category: schema                          # optional: what kind of change it approves
    paths: ["db/migrations/0042_*.sql"]       # globs of the paths it covers
    by: Maria Lopez <maria@example.com>       # who approved: a person
    date: 2026-01-12                          # when (YYYY-MM-DD)
    note: rollback plan reviewed in PR #311   # optional
  - category: dependency
    dependencies: [stripe]                    # names of the new dependencies it covers
    by: Dan Okafor
    date: 2026-01-12
```

Every entry has `by` (who approved, as text) and `date`, and covers something: `paths` (globs
of repository paths, `**` for any folders, `*` and `?` within a name) or `dependencies`
(package names), or both; one text is read as a list of one. `category` and `note` are
optional; keys starting with `x-` are the team's own and are ignored. What the entry means
(which categories a pack knows, whether `by` names a person) is for the pack to judge: this
loader reads the shape.

What the file gets wrong is not an error but a list of `problems`, each located at its line
(a missing or unknown key, with "did you mean"; a value of the wrong kind; a date that is not
`YYYY-MM-DD`; an entry that covers nothing), and the entry it concerns has `valid` false. A
file that is not YAML at all is an error.

Fields of `Approvals`: `entries` (every entry in file order; `every a in approvals(p)` walks
them), `problems` (`message`, `line`, each located), `path`. Each `Approval` is located at its
first line and has `category` (or null), `paths`, `dependencies` (each at its line), `by`,
`date`, `note` (or null), `valid` (the entry has no problem), `line` and `text` (the same as
`by`).
"""
from __future__ import annotations

from ..signature import loader
from ..types import BOOL, DATE, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record
from .workitems import PROBLEM, Shape, read_shaped_yaml

APPROVAL = record("Approval", "One entry of an approvals file.", {
    "category": (STR, "the kind of change it approves, or null"),
    "paths": (List(STR), "globs of the paths it covers, each at its line"),
    "dependencies": (List(STR), "names of the dependencies it covers, each at its line"),
    "by": (STR, "who approved it"),
    "date": (DATE, "when"),
    "note": (STR, "a note, or null"),
    "valid": (BOOL, "the entry has no problem"),
    "line": (NUMBER, "its first line"),
    "text": (STR, "the same as by"),
})
APPROVALS = record("Approvals", "An approvals file; walking it walks its entries.", {
    "entries": (List(APPROVAL), "every entry, in file order"),
    "problems": (List(PROBLEM), "what is wrong with the file's shape, each at its line"),
    "path": (PATH, "the file"),
}, iterates="entries")

ENTRY_KEYS = {"by": True, "date": True, "category": False, "paths": False, "dependencies": False, "note": False}


@loader("approvals", {"path": STR}, APPROVALS,
        "An approvals file: entries (category, paths, dependencies, by, date) and shape problems.")
def load_approvals(repo, path):
    return read_shaped_yaml(repo, path, "approvals", build_approvals)


def parse_approvals(text: str, path: str) -> Record:
    """The Approvals record of YAML `text`, as if read from `path` (pure)."""
    from .data import parse_yaml

    return build_approvals(parse_yaml(text, path), path)


def build_approvals(document, path: str) -> Record:
    shape = Shape(path)
    entries = []
    for number, (data, line) in enumerate(shape.mapping_list(document, "approvals", "approval"), 1):
        what = f"approval {number}"
        before = len(shape.problems)
        shape.keys(data, ENTRY_KEYS, what)
        by = shape.text(data, "by", what)
        paths = shape.names(data, "paths", what)
        dependencies = shape.names(data, "dependencies", what)
        if not paths and not dependencies:
            shape.problem(line, f"{what} covers nothing: give the `paths` or the `dependencies` it approves")
        entry = Record("Approval", Loc(path, line), category=shape.text(data, "category", what), paths=paths,
                       dependencies=dependencies, by=by, date=shape.day(data, "date", what),
                       note=shape.text(data, "note", what), valid=False, line=line,
                       text=by if by is not None else LStr("", Loc(path, line)))
        entry.fields["valid"] = len(shape.problems) == before
        entries.append(entry)
    shape.problems.sort(key=lambda p: p["line"] or 0)
    return Record("Approvals", Loc(path, 1), entries=entries, problems=shape.problems,
                  path=PathValue(path, Loc(path)))
