"""workitems(path): a milestones file: milestones, their work items, and the dependency graph between items.

The file is YAML (read as the `yaml` loader reads it), in this format:

```yaml
milestones:
  - id: M1
    title: Checkout v2
    status: open               # open (the default) or complete
    due: 2026-03-31            # optional
    items:
      - id: PAY-101
        title: Charge cards through Stripe
        status: in-progress    # todo, in-progress or done
        priority: high         # critical, high or normal
        created: 2026-01-05
        depends_on: [PAY-100]  # optional: ids of items in any milestone
        owner: maria           # optional
```

A milestone has `id`, `title` and `items` (a list, possibly empty), and may have `status`,
`due`, `owner`, `notes` and `link`. An item has `id`, `title`, `status`, `priority` and
`created` (a `YYYY-MM-DD` date), and may have `depends_on` (a list of ids, or one id),
`owner`, `notes` and `link`. Keys starting with `x-` are the team's own and are ignored. Ids
are strings (a number is read as its text). Statuses and priorities are read without regard
to case, and with `_` or a space for `-`: `In Progress` is `in-progress`.

What the file gets wrong is not an error but a list of `problems`, each located at its line,
so one gate can report them all while the other gates work with what could be read (a value
that is wrong reads as null): a missing or unknown key (with "did you mean"), a value of the
wrong kind, a status, priority or date that is not one of the allowed ones, an id given
twice (at the second, naming the first's line). A file that is not YAML at all is an error.

Fields of `WorkItems`:

- `items`: every item, in file order (`every i in workitems(p)` walks them); `milestones`:
  each milestone with its own `items`.
- `by_id`: the items by id, for looking up a dependency: `w.by_id["PAY-100"].status`
  (an id that is no item's is not there: test `d in w.by_id` first).
- `cycles`: each set of items that depend on each other in a circle (a strongly connected
  part of the graph, or an item that depends on itself), located at its first member: `members`
  (in file order), `path` (one circle through the first member, ending where it starts:
  `PAY-3, PAY-5, PAY-3`) and `text` (`PAY-3 -> PAY-5 -> PAY-3`). Ids that are no item's are
  left out of the graph.
- `problems`: what is wrong with the file's shape: `message`, `line`, each located.
- `path`: the file.

Each `WorkItem` is located at its `- id:` line and has `id`, `title`, `status`, `priority`,
`rank` (1 for critical, 2 high, 3 normal: a smaller rank goes first), `created`,
`depends_on` (each id located at its own line), `milestone` (its milestone's id), `owner`,
`line`, `text` (the id), and `cycle`: the shortest circle of dependencies through the item
(`[PAY-3, PAY-5, PAY-3]`, each id located at its item's line), empty when it is on none. In a
group of more than 200 items that depend on each other, finding each member's own shortest
circle would take too long: every member gets the circle through the group's first member.
"""
from __future__ import annotations

import datetime
import difflib

from ..signature import loader
from ..types import ANY, DATE, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record

PROBLEM = record("FileProblem", "Something wrong with a file's shape, located at its line.", {
    "message": (STR, "what is wrong and what would fix it"),
    "line": (NUMBER, "the line, or null"),
})
WORK_ITEM = record("WorkItem", "A work item of a milestone.", {
    "id": (STR, "its id: `PAY-101`"),
    "title": (STR, "its title"),
    "status": (STR, "todo, in-progress or done (null when the file says something else)"),
    "priority": (STR, "critical, high or normal (null when the file says something else)"),
    "rank": (NUMBER, "1 for critical, 2 for high, 3 for normal; null without a priority"),
    "created": (DATE, "the day it was created"),
    "depends_on": (List(STR), "ids of the items it waits for, each at its line"),
    "milestone": (STR, "the id of its milestone"),
    "owner": (STR, "who owns it, or null"),
    "line": (NUMBER, "line of its `- id:`"),
    "text": (STR, "the same as id"),
    "cycle": (List(STR), "the shortest circle of dependencies through it (`[A, B, A]`), or empty"),
})
MILESTONE = record("Milestone", "A milestone and its items.", {
    "id": (STR, "its id"),
    "title": (STR, "its title"),
    "status": (STR, "open or complete (open when not given; null when the file says something else)"),
    "due": (DATE, "its due date, or null"),
    "items": (List(WORK_ITEM), "its items, in file order"),
    "line": (NUMBER, "line of its `- id:`"),
    "text": (STR, "the same as id"),
})
CYCLE = record("DependencyCycle", "Items that depend on each other in a circle.", {
    "members": (List(STR), "the ids, in file order, each at its item's line"),
    "path": (List(STR), "one circle through the first member, ending where it starts"),
    "line": (NUMBER, "line of the first member"),
    "text": (STR, "the circle as `A -> B -> A`"),
})
WORK_ITEMS = record("WorkItems", "A milestones file; walking it walks its items.", {
    "milestones": (List(MILESTONE), "the milestones, in file order"),
    "items": (List(WORK_ITEM), "every item of every milestone, in file order"),
    "by_id": (ANY, "the items by id: `w.by_id[\"PAY-100\"]`"),
    "cycles": (List(CYCLE), "each circle of dependencies"),
    "problems": (List(PROBLEM), "what is wrong with the file's shape, each at its line"),
    "path": (PATH, "the file"),
}, iterates="items")

ITEM_STATUSES = ("todo", "in-progress", "done")
MAX_CIRCLE_SEARCH = 200  # members of one cycle group beyond which they all share the first member's circle
MILESTONE_STATUSES = ("open", "complete")
PRIORITIES = ("critical", "high", "normal")
ITEM_KEYS = {"id": True, "title": True, "status": True, "priority": True, "created": True,
             "depends_on": False, "owner": False, "notes": False, "link": False}
MILESTONE_KEYS = {"id": True, "title": True, "items": True, "status": False, "due": False,
                  "owner": False, "notes": False, "link": False}


@loader("workitems", {"path": STR}, WORK_ITEMS,
        "A milestones file: milestones, work items (status, priority, created, depends_on), "
        "dependency cycles and shape problems.")
def load_workitems(repo, path):
    return read_shaped_yaml(repo, path, "workitems", build_workitems)


def parse_workitems(text: str, path: str) -> Record:
    """The WorkItems record of YAML `text`, as if read from `path` (pure)."""
    from .data import parse_yaml

    return build_workitems(parse_yaml(text, path), path)


def read_shaped_yaml(repo, path, kind: str, build) -> Record:
    """A YAML file read once and turned into a record by `build(data, path)` (this loader's and
    the approvals loader's way: the file's shape problems become part of the record)."""
    norm = repo.normalize(path)

    def compute():
        from .data import decode, parse_yaml

        return build(parse_yaml(decode(repo.read_bytes(norm), norm), norm, repo.notice), norm)

    return repo.memo((kind, norm), compute)


# -- checking a shape: shared with the approvals loader ----------------------------------------

class Shape:
    """Reads located YAML data, collecting what is wrong as FileProblem records."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list = []

    def problem(self, line, message: str) -> None:
        self.problems.append(Record("FileProblem", Loc(self.path, line), message=LStr(message, Loc(self.path, line)),
                                    line=line))

    @staticmethod
    def line_of(container, key=None, default=1):
        loc = None
        if key is not None and hasattr(container, "loc_of"):
            loc = container.loc_of(key)
        if loc is None:
            loc = getattr(container, "loc", None)
        return loc.line if loc is not None and loc.line else default

    def keys(self, mapping, allowed: dict, what: str) -> None:
        """Every required key is there; every other key is known (or starts with `x-`)."""
        line = self.line_of(mapping)
        for key, required in allowed.items():
            if required and key not in mapping:
                self.problem(line, f"{what} has no `{key}`")
        for key in mapping:
            text = str(key)
            if text in allowed or text.startswith("x-"):
                continue
            close = difflib.get_close_matches(text, list(allowed), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f" (keys: {', '.join(allowed)}; or `x-…` for your own)"
            self.problem(self.line_of(mapping, key), f"{what} has an unknown key `{text}`{hint}")

    def text(self, mapping, key: str, what: str, required: bool = True):
        """A non-blank string (a number read as its text), located; None when absent or wrong."""
        if key not in mapping or mapping[key] is None:
            return None
        value = mapping[key]
        line = self.line_of(mapping, key)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(line, f"{what}: `{key}` must be text, found {_kind(value)}")
            return None
        text = str(value).strip()
        if not text:
            self.problem(line, f"{what}: `{key}` is empty")
            return None
        return LStr(text, getattr(value, "loc", None) or Loc(self.path, line))

    def choice(self, mapping, key: str, choices: tuple, what: str):
        """One of `choices` (case, `_` and spaces forgiven), located; None when absent or wrong."""
        value = self.text(mapping, key, what)
        if value is None:
            return None
        norm = "-".join(str(value).lower().replace("_", " ").replace("-", " ").split())
        if norm in choices:
            return LStr(norm, value.loc)
        self.problem(self.line_of(mapping, key), f"{what}: `{key}` is `{value}`, not one of {', '.join(choices)}")
        return None

    def day(self, mapping, key: str, what: str):
        """A date (`2026-01-05`, a YAML date or a quoted one); None when absent or wrong."""
        if key not in mapping or mapping[key] is None:
            return None
        value = mapping[key]
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(self.line_of(mapping, key), f"{what}: `{key}` must be a date written YYYY-MM-DD, "
                                                 f"found `{value}`")
        return None

    def names(self, mapping, key: str, what: str) -> list:
        """A list of non-blank texts (one text is a list of one), each located; [] when absent."""
        if key not in mapping or mapping[key] is None:
            return []
        value = mapping[key]
        line = self.line_of(mapping, key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value, locs = [value], [getattr(value, "loc", None)]
        elif isinstance(value, list):
            locs = [value.loc_of(i) if hasattr(value, "loc_of") else None for i in range(len(value))]
        else:
            self.problem(line, f"{what}: `{key}` must be a list, found {_kind(value)}")
            return []
        out = []
        for item, loc in zip(value, locs):
            item_line = loc.line if loc is not None and loc.line else line
            if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip():
                self.problem(item_line, f"{what}: every entry of `{key}` must be a non-empty text, "
                                        f"found {_kind(item) if str(item).strip() else 'an empty one'}")
                continue
            out.append(LStr(str(item).strip(), getattr(item, "loc", None) or Loc(self.path, item_line)))
        return out

    def mapping_list(self, document, key: str, what: str) -> list:
        """The list under `key` of a top-level mapping, each element checked to be a mapping."""
        if not isinstance(document, dict):
            self.problem(1, f"the file must be a mapping with `{key}`, found {_kind(document)}")
            return []
        for extra in document:
            if str(extra) != key and not str(extra).startswith("x-"):
                close = difflib.get_close_matches(str(extra), [key], n=1)
                hint = f"; did you mean `{close[0]}`?" if close else f" (expected `{key}`)"
                self.problem(self.line_of(document, extra), f"unknown top-level key `{extra}`{hint}")
        if key not in document:
            self.problem(1, f"the file has no `{key}` list")
            return []
        value = document[key]
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(self.line_of(document, key), f"`{key}` must be a list, found {_kind(value)}")
            return []
        out = []
        for index, element in enumerate(value):
            line = self.line_of(value, index)
            if not isinstance(element, dict):
                self.problem(line, f"{what} {index + 1} must be a mapping, found {_kind(element)}")
                continue
            out.append((element, line))
        return out


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    if isinstance(value, datetime.date):
        return "a date"
    return type(value).__name__


# -- the record ----------------------------------------------------------------------------------

def build_workitems(document, path: str) -> Record:
    shape = Shape(path)
    milestones, items, by_id, first_line = [], [], {}, {}
    milestone_lines: dict = {}
    for number, (data, line) in enumerate(shape.mapping_list(document, "milestones", "milestone"), 1):
        ms_id = shape.text(data, "id", f"milestone {number}")
        what = f"milestone `{ms_id}`" if ms_id else f"milestone {number}"
        shape.keys(data, MILESTONE_KEYS, what)
        if ms_id is not None:
            if str(ms_id) in milestone_lines:
                shape.problem(line, f"milestone id `{ms_id}` is used twice (first at line {milestone_lines[ms_id]})")
            milestone_lines.setdefault(str(ms_id), line)
        status = (shape.choice(data, "status", MILESTONE_STATUSES, what) if data.get("status") is not None
                  else LStr("open", Loc(path, line)))
        own = []
        raw_items = data.get("items")
        if "items" in data and raw_items is not None and not isinstance(raw_items, list):
            shape.problem(shape.line_of(data, "items"), f"{what}: `items` must be a list, found {_kind(raw_items)}")
            raw_items = []
        for index, item_data in enumerate(raw_items or []):
            item_line = shape.line_of(raw_items, index)
            if not isinstance(item_data, dict):
                shape.problem(item_line, f"{what}: item {index + 1} must be a mapping, found {_kind(item_data)}")
                continue
            item = _item(shape, item_data, item_line, ms_id, f"{what}, item {index + 1}", path)
            own.append(item)
            items.append(item)
            item_id = item["id"]
            if item_id is None:
                continue
            if str(item_id) in first_line:
                shape.problem(item_line, f"item id `{item_id}` is used twice (first at line {first_line[str(item_id)]})")
                continue
            first_line[str(item_id)] = item_line
            by_id[str(item_id)] = item
        loc = Loc(path, line)
        milestones.append(Record("Milestone", loc, id=ms_id, title=shape.text(data, "title", what), status=status,
                                 due=shape.day(data, "due", what), items=own, line=line,
                                 text=ms_id if ms_id is not None else LStr("", loc)))
    cycles = _cycles(items, by_id, path)
    shape.problems.sort(key=lambda p: p["line"] or 0)
    return Record("WorkItems", Loc(path, 1), milestones=milestones, items=items, by_id=by_id, cycles=cycles,
                  problems=shape.problems, path=PathValue(path, Loc(path)))


def _item(shape: Shape, data, line: int, milestone, fallback: str, path: str) -> Record:
    item_id = shape.text(data, "id", fallback)
    what = f"item `{item_id}`" if item_id else fallback
    shape.keys(data, ITEM_KEYS, what)
    priority = shape.choice(data, "priority", PRIORITIES, what)
    loc = Loc(path, line)
    return Record("WorkItem", loc, id=item_id, title=shape.text(data, "title", what),
                  status=shape.choice(data, "status", ITEM_STATUSES, what), priority=priority,
                  rank=PRIORITIES.index(str(priority)) + 1 if priority is not None else None,
                  created=shape.day(data, "created", what), depends_on=shape.names(data, "depends_on", what),
                  milestone=milestone, owner=shape.text(data, "owner", what), line=line,
                  text=item_id if item_id is not None else LStr("", loc), cycle=[])


# -- cycles ------------------------------------------------------------------------------------------

def _cycles(items: list, by_id: dict, path: str) -> list:
    """The DependencyCycle records of the graph item -> the items it depends on; sets each item's `cycle`."""
    order = {item_id: n for n, item_id in enumerate(by_id)}
    edges = {item_id: [str(d) for d in item["depends_on"] if str(d) in by_id] for item_id, item in by_id.items()}
    out = []
    for component in _strongly_connected(list(by_id), edges):
        members = sorted(component, key=order.__getitem__)
        if len(members) == 1 and members[0] not in edges[members[0]]:
            continue
        inside = set(members)
        circle = _located(_shortest_circle(members[0], edges, inside), by_id)
        for member in members:
            by_id[member].fields["cycle"] = (
                circle if member == members[0] or len(members) > MAX_CIRCLE_SEARCH
                else _located(_shortest_circle(member, edges, inside), by_id))
        first = by_id[members[0]]
        loc = first.loc
        out.append(Record("DependencyCycle", loc, members=_located(members, by_id), path=circle,
                          line=first["line"], text=LStr(" -> ".join(circle), loc)))
    out.sort(key=lambda c: c["line"])
    return out


def _located(ids: list, by_id: dict) -> list:
    return [LStr(i, by_id[i].loc) for i in ids]


def _shortest_circle(start: str, edges: dict, inside: set) -> list:
    """[start, …, start]: the fewest steps from `start` back to itself within `inside` (BFS)."""
    previous = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in edges[node]:
                if target not in inside:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path)) + [start]
                if target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    return [start, start]  # not reached: every member of a component lies on a circle


def _strongly_connected(nodes: list, edges: dict) -> list:
    """Tarjan's algorithm, without recursion (a long chain of items must not exhaust the stack)."""
    index, low, on_stack = {}, {}, set()
    stack, out = [], []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            descended = False
            for position in range(next_edge, len(targets)):
                target = targets[position]
                if target not in index:
                    work.append((node, position + 1))
                    work.append((target, 0))
                    descended = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if descended:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
