"""tasks(path): a Spec Kit task list (`tasks.md`) as tasks with ids, status, markers, paths and phases.

`every t in tasks` walks `tasks.items`. Fields of `Tasks`:

- `items`: every task in document order; `done`: the checked ones; `open`: the unchecked
  ones that are not cancelled.
- `phases`: the `##` headings that hold tasks or whose title starts with `Phase` (or the
  Japanese template's `フェーズ`): `title`, `number`, `line`, `items`.
- `path`: the file.

Each `Task` is located at its line and has:

- `id` (`T001`), `number` (1), `done`, `mark` (the character in the box, or empty).
- `cancelled`: the task will not be done. Its box holds `-` or `~` (`- [-] T005 …`), it is
  struck through from its start (`- [ ] ~~T005 Title~~`, `- [ ] T005 ~~Title~~ (moved to 004)`),
  or it says `(cancelled)`, `[canceled: …]` or `CANCELLED`. The word alone in prose
  ("handle cancelled orders") does not cancel a task. A cancelled task keeps its place in
  the numbering; its title is written without the strike marks.
- `position` (1 for the file's first task, 2 for the next, …); `previous_id`, the id of the
  task before it (null for the first); `expected_number`, that task's number plus one (1 for
  the first), and `expected_id`, it written as wide as the id's digits (`005`): together
  they say where numbering skips or goes back.
- `parallel`: marked `[P]`; `story`: the `[US1]` label, or null.
- `title`: the description without the box, id, markers and bold; `text`: the raw line.
- `paths`: the file paths it names: backticked paths, and bare words that end in a file
  extension (`src/models/user.py`, `package.json`) or a `/` (`docs/`). Framework paths are
  read whole: route groups and intercepts (`routes/(auth)/login/+page.svelte`,
  `app/@modal/(.)photo/[id]/page.tsx`), dynamic segments (`[id]`, `[...slug]`). Not URLs, not
  routes or absolute paths starting with `/`, not npm packages like `@types/node` (a scoped
  path that goes on to a file, `@acme/ui/src/index.ts`, is a path), not `Node.js`.
- `depends_on`: ids after "depends on", "after", "requires", "blocked by" or "needs";
  ranges such as `T001-T003` are expanded.
- `phase`, `phase_number`: the enclosing `##` heading and its number (`## Phase 3.2: …`
  gives 3.2, `## フェーズ1: …` gives 1; null without a number), or empty and null outside
  any `##` heading.

A task is a list item whose text starts with its id, in any of the forms both template
generations and real repositories write: `- [ ] T001 Title`, `- [x] T003 [P] [US1] Title`,
`- [X] **T001** [P] Title`, `- [x] **T002 [P]** Title`, markers in any order. A heading
`### T001: Title` (or `### T001 - Title`) is a task too; it counts as done only when its
heading carries a checked box or ✅, or when one of the first three non-blank lines under it
is a checked box, a ✅ or a "Status: Complete/Done" line, and none of those is an unchecked
box. Plain list items `- T001 Title` count only in files that use no boxes or task headings at
all, once per id. Text in code blocks and HTML comments never counts.
"""
from __future__ import annotations

import re
from bisect import bisect_right

from ..fastpath import gc_paused, new_object, new_tuple
from ..patterns import lazy
from ..signature import loader
from ..types import BOOL, NUMBER, PATH, STR, List, record
from ..values import LazyFields, Loc, PathValue, Record, new_lazy_record, new_loc, new_lstr, new_record
from .markdown import Blocks, load_blocks, parse_blocks

TASK = record("Task", "A task of a Spec Kit task list.", {
    "id": (STR, "the task id, `T001`"),
    "number": (NUMBER, "the id's number, 1 for `T001`"),
    "done": (BOOL, "its box is checked (`x` or `X`)"),
    "cancelled": (BOOL, "cancelled: a `[-]` or `[~]` box, struck through (`~~…~~`) or marked `(cancelled)`"),
    "mark": (STR, "the character in its box, or empty"),
    "parallel": (BOOL, "marked `[P]`"),
    "story": (STR, "its user story label (`US1`), or null"),
    "title": (STR, "the description, without id, markers and bold"),
    "text": (STR, "the whole line as written"),
    "paths": (List(STR), "file paths the task names"),
    "depends_on": (List(STR), "ids of the tasks it waits for"),
    "phase": (STR, "title of the enclosing `##` heading, or empty"),
    "phase_number": (NUMBER, "the phase's number (`3.2` for Phase 3.2), or null"),
    "position": (NUMBER, "1 for the first task in the file, 2 for the next, …"),
    "previous_id": (STR, "id of the task before it in the file, or null for the first"),
    "expected_number": (NUMBER, "the previous task's number plus one, or 1 for the first"),
    "expected_id": (STR, "expected_number as wide as the id's digits: `005`"),
    "line": (NUMBER, "line number"),
})
PHASE = record("Phase", "A `##` section of a task list.", {
    "title": (STR, "the heading's title"),
    "number": (NUMBER, "the number after `Phase`, or null"),
    "line": (NUMBER, "line number of the heading"),
    "items": (List(TASK), "the tasks in it"),
})
TASKS = record("Tasks", "A Spec Kit task list; walking it walks its items.", {
    "items": (List(TASK), "every task, in document order"),
    "done": (List(TASK), "the checked tasks"),
    "open": (List(TASK), "the unchecked tasks that are not cancelled"),
    "phases": (List(PHASE), "the `##` sections"),
    "path": (PATH, "the file"),
}, iterates="items")


@loader("tasks", args={"path": STR}, returns=TASKS,
        doc="A Spec Kit task list: each task's id, status, [P] and [US] markers, title, paths and phase.")
def load_tasks(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("tasks", relpath), lambda: tasks_from_blocks(load_blocks(repo, relpath)))


def parse_tasks(text: str, relpath: str) -> Record:
    """The `Tasks` record of `text`, as if read from `relpath` (pure; no file access)."""
    return tasks_from_blocks(parse_blocks(text, relpath))


# -- one task's text ---------------------------------------------------------------------

# What may precede the title, in any order: bold marks, the id, `[P]`, `[US1]`, and a
# separator right after the id (`T001: Title`, `T001 - Title`).
_HEAD_TOKEN = lazy(
    r"[ \t]*(?:(?P<bold>\*\*|__)|(?P<strike>~~)|\[(?P<parallel>P)\]|\[(?P<story>US\d+)\]"
    r"|(?P<id>T(?P<number>\d{1,18})[a-z]?)(?![\w-])|(?P<separator>[:.–—-])(?=\s|$))")
_BOLD_OUTSIDE_CODE = lazy(r"(`[^`]*`)|\*\*")
_TRAILING_MARKER = lazy(r"\s*\[(?:(P)|(US\d+))\]\s*$")
_HEADING_BOX = lazy(r"^\[[ xX]\]\s*")
_TASK_ID = lazy(r"\bT(\d+)([a-z]?)\b")
_ID_DIGITS = lazy(r"T(\d+)")
_ID_OR_RANGE = r"T\d+[a-z]?(?:\s*(?:[-–]|to|through)\s*T\d+)?"
_DEPENDENCY = lazy(
    r"\b(?:depends?\s+(?:up)?on|dependent\s+on|after|requires?|blocked\s+by|needs?)\s*:?\s*"
    rf"({_ID_OR_RANGE}(?:\s*(?:,|and|&|/|\+)\s*{_ID_OR_RANGE})*)", re.I)
_DEPENDENCY_WORDS = ("depend", "after", "requir", "blocked", "need")  # one is in each of its words
_ID_RANGE = lazy(r"T(\d{1,18})(?!\d)([a-z]?)(?:\s*(?:[-–]|to|through)\s*T(\d{1,18})(?![a-z\d]))?", re.I)
MAX_RANGE = 500  # `T001-T999` in prose should not become a thousand dependencies


class _Head:
    """The id and markers at the start of a task's text, and where its title begins."""

    __slots__ = ("id", "number", "parallel", "story", "struck", "title_start")

    def __init__(self):
        self.id = None
        self.number = None
        self.parallel = False
        self.story = None
        self.struck = False  # `~~` opens before the title: `~~T005 Title~~`, `T005 ~~Title~~`
        self.title_start = 0


# The commonest head, `T001 [P] [US1]`, read at once: these tokens as _HEAD_TOKEN reads them,
# in this order; when another token follows, the head is read token by token instead.
_PLAIN_HEAD = lazy(r"(T(\d{1,18})[a-z]?)(?![\w-])(?:[ \t]*\[(P)\])?(?:[ \t]*\[(US\d+)\])?")


def _read_head(text: str):
    """The `_Head` of `text`, or None when no task id opens it."""
    head = _Head()
    m = _PLAIN_HEAD.match(text)
    if m is not None and _HEAD_TOKEN.match(text, m.end()) is None:
        head.id, head.number, head.parallel, head.story = m.group(1), int(m.group(2)), m.group(3) is not None, m.group(4)
        head.title_start = m.end()
        return head
    pos = 0
    while True:
        m = _HEAD_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        if m.group("id"):
            if head.id is not None:
                break  # a second id belongs to the title ("T001 T002 …" is not two markers)
            head.id, head.number = m.group("id"), int(m.group("number"))
        elif m.group("separator") and head.id is None:
            return None
        elif m.group("parallel"):
            head.parallel = True
        elif m.group("story"):
            head.story = m.group("story")
        elif m.group("strike"):
            head.struck = True
        pos = m.end()
    if head.id is None:
        return None
    head.title_start = pos
    return head


# A cancelled task: its box holds `-` or `~`, it is struck through from its start (`~~T005 …~~`,
# `T005 ~~…~~`), or it says so: `(cancelled)`, `[canceled: …]`, `CANCELLED`.
CANCELLED_MARKS = ("-", "~")
_CANCELLED_NOTE = lazy(r"[(\[]\s*(?i:cancell?ed)\b|\bCANCELL?ED\b")


def _title(text: str, head: _Head) -> str:
    """The title after the head, bold marks removed; trailing `[P]`/`[US1]` are read into `head`."""
    title = text[head.title_start:]
    if "**" in title:
        title = _BOLD_OUTSIDE_CODE.sub(_code_span_or_nothing, title)
    title = title.strip()
    while title.endswith("]"):  # (what _TRAILING_MARKER needs: the title is stripped)
        m = _TRAILING_MARKER.search(title)
        if m is None:
            break
        if m.group(1):
            head.parallel = True
        elif head.story is None:
            head.story = m.group(2)
        title = title[:m.start()]  # (ends in no white space: the marker's `\s*` took it)
    return title.rstrip(":").strip()


def _code_span_or_nothing(m) -> str:
    return m.group(1) or ""


def _cancelled_note(title: str) -> bool:
    """Whether the title says the task is cancelled (`(cancelled)`, `CANCELLED`, …). Its letters
    have no other case than ASCII's, so a title whose lowercase lacks `cancel` cannot match."""
    return "cancel" in title.lower() and _CANCELLED_NOTE.search(title) is not None


# -- paths a task names ------------------------------------------------------------------

_EXTENSIONS = frozenset("""
    py pyi ipynb ts tsx js jsx mjs cjs vue svelte md mdx rst txt json jsonc jsonl yaml yml toml ini cfg
    conf lock sql sh bash zsh ps1 go rs java kt kts swift m mm rb php c h cc cpp hpp cs fs scala dart lua
    r ex exs erl hs clj html htm css scss sass less xml xsd svg png jpg jpeg gif webp ico pdf csv tsv
    graphql gql proto tf hcl gradle properties plist xcconfig storyboard xib csproj sln sqlite db env
    dockerfile mod sum
""".split())
# A backticked span, or a word (a run of neither white space nor backticks) that holds a `/` or
# a `.`, as a scan of spans and words finds them: a word starts after white space, a backtick
# or the text's start (the look-behind skips the rest of a word in one step each).
_SPAN_OR_PATH_WORD = lazy(r"`([^`]+)`|(?<![^\s`])[^\s`./]*[./][^\s`]*")
_INLINE_LINK = lazy(r"\[[^\]]*\]\(([^)\s]+)[^)]*\)")
_WORD_CHARACTER = lazy(r"\w")
_NOT_IN_PATHS = lazy(r"[,{}=<>()|\\]")
# Route groups and intercepts at the start of a segment are part of a path: SvelteKit's
# `routes/(auth)/login/+page.svelte`, Next.js's `app/@modal/(.)photo/[id]/page.tsx`, `(..)(..)`.
_ROUTE_GROUP = lazy(r"(?:^|(?<=/))(?:\([^()/\s]*\))+")
_DOTFILE = lazy(r"\.[a-z0-9][\w.-]*$")
_FRAMEWORK_NAME = lazy(r"[A-Z][a-z]+\.js$")  # Node.js, Next.js: names, not files
_LEADING_PUNCTUATION = "([{<\"'*"
_TRAILING_PUNCTUATION = ".,;:!?)]}>\"'*"


def _has_extension(name: str) -> bool:
    stem, dot, ext = name.rpartition(".")
    return bool(dot) and ext.lower() in _EXTENSIONS and _WORD_CHARACTER.search(stem) is not None


def _is_path(token: str, backticked: bool) -> bool:
    if not token or "://" in token or token[0] in "/~$#-" or _NOT_IN_PATHS.search(_ROUTE_GROUP.sub("", token)):
        return False
    if token[0] == "@":  # a package (`@types/node`), unless it goes on to a file: `@scope/ui/src/index.ts`
        return token.count("/") >= 2 and _has_extension(token.rsplit("/", 1)[1])
    if "/" in token:
        if backticked:
            return _WORD_CHARACTER.search(token) is not None
        return token.endswith("/") or _has_extension(token.rsplit("/", 1)[1])
    if _has_extension(token):
        return backticked or not _FRAMEWORK_NAME.match(token)
    return bool(_DOTFILE.match(token)) and token[1:].lower() not in _EXTENSIONS


def task_paths(text: str) -> list:
    """The file paths named in a task's text, in order, once each."""
    found = []
    if "](" in text:
        text = _INLINE_LINK.sub(r" \1 ", text)
    for m in _SPAN_OR_PATH_WORD.finditer(text):
        if m.group(1) is not None:
            span = m.group(1).strip()
            if " " not in span and _is_path(span, backticked=True):
                found.append(span)
        else:
            word = m.group() if _ROUTE_GROUP.match(m.group()) else m.group().lstrip(_LEADING_PUNCTUATION)
            word = word.rstrip(_TRAILING_PUNCTUATION)
            if _is_path(word, backticked=False):
                found.append(word)
    return list(dict.fromkeys(found))


def task_dependencies(text: str, own_id: str) -> list:
    """Ids after "depends on", "after", … with ranges expanded, in order, once each."""
    if text.isascii():  # one of these words is in every match (in ASCII, their letters have no other case)
        lowered = text.lower()
        if not any(word in lowered for word in _DEPENDENCY_WORDS):
            return []
    ids = []
    for m in _DEPENDENCY.finditer(text):
        for r in _ID_RANGE.finditer(m.group(1)):
            first, suffix, last = r.group(1), r.group(2), r.group(3)
            if last is None or suffix:
                ids.append(f"T{first}{suffix}")
                continue
            low, high = int(first), int(last)
            if high < low or high - low > MAX_RANGE:
                ids.extend((f"T{first}", f"T{last}"))
                continue
            width = len(first)
            ids.extend(f"T{k:0{width}d}" for k in range(low, high + 1))
    return [task_id for task_id in dict.fromkeys(ids) if task_id != own_id]


# -- the list ----------------------------------------------------------------------------

_PHASE_NUMBER = lazy(r"(?:phase\s+|フェーズ\s*)(\d{1,18}(?:\.\d+)?)\b", re.I)
_PHASE_WORDS = ("phase", "フェーズ")  # the template's word, and the Japanese translation's  # 18 digits: int() never refuses it
_STATUS_DONE = lazy(r"\bstatus\W{0,6}(?:✅|complete[d]?\b|done\b|finished\b)", re.I)
_BOX = lazy(r"\[([ xX])\]")
_UNCHECKED = lazy(r"\[ \]")
_CHECKED = lazy(r"\[[xX]\]")
_PLAIN_ITEM = lazy(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)")
_CANCELLED_BOX = lazy(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[([-~])\][ \t]+(.*)")
_NOT_A_TITLE = tuple("→-–—,;&/")
STATUS_LINES = 3  # how far under a task heading its status may be written


def _phase_number(title: str):
    m = _PHASE_NUMBER.match(title)
    if m is None:
        return None
    value = m.group(1)
    return float(value) if "." in value else int(value)


def _heading_done(lines: list, raw_line: str):
    """(done, mark) for a task written as a heading (see the module doc); `lines` are the lines under it."""
    box = _BOX.search(raw_line)
    if box:
        return box.group(1) != " ", box.group(1)
    if "✅" in raw_line:
        return True, ""
    first_lines = [text for text in lines if text.strip()][:STATUS_LINES]
    if any(_UNCHECKED.search(text) for text in first_lines):
        return False, ""
    if any(_CHECKED.search(text) or "✅" in text or _STATUS_DONE.search(text) for text in first_lines):
        return True, ""
    return False, ""


# A checkbox's text that opens with a task id: a task, without reading the rest of its head.
_OPENING_ID = lazy(r"[ \t]*T\d{1,18}[a-z]?(?![\w-])")


def tasks_from_blocks(blocks: Blocks) -> Record:
    """The `Tasks` record of a scanned Markdown file."""
    with gc_paused():
        return _TaskList(blocks).record()


def _done(items: list) -> list:
    return [task for task in items if task.get("done")]


def _open(items: list) -> list:
    return [task for task in items if not task.get("done") and not task.get("cancelled")]


class _TaskList:
    """The tasks of one file: where each is and whether it is done, found in one pass over the
    file's structure; the rest of a task (its title, markers, paths, dependencies, phase and
    numbering) is read from its line when a gate first asks (values.LazyFields): a gate that
    reads `t.done` of a hundred thousand tasks pays for nothing else."""

    def __init__(self, blocks: Blocks):
        self.path = blocks.path
        self.lines = lines = blocks.lines
        scan = blocks.scan
        # Each task as (line index, mark, column of the text after the box or None, done, that
        # text); a checkbox's as the scan's (line index, mark, column): the rest it reads off the line.
        found = [box for box in scan.checkboxes
                 if _OPENING_ID.match(lines[box[0]], box[2] - 1) or _read_head(lines[box[0]][box[2] - 1:].rstrip())]
        boxes = len(found)  # in line order, as the scan found them

        in_code, in_comment = scan.in_code, scan.in_comment
        if "[-]" in blocks.text or "[~]" in blocks.text:
            for i, text in enumerate(lines):  # `- [-] T005 …`, `- [~] T005 …`: cancelled, boxes Markdown does not count
                if ("[-]" in text or "[~]" in text) and not (in_code[i] or in_comment[i]):
                    m = _CANCELLED_BOX.match(text)
                    if m and _read_head(m.group(2)):
                        found.append((i, m.group(1), m.start(2) + 1, False, m.group(2)))

        task_headings = set()
        titles = blocks.titles()
        for k, (i, _, _, last) in enumerate(scan.headings):
            text = _HEADING_BOX.sub("", titles[k]).replace("✅", "").rstrip()
            if _read_head(text):
                done, mark = _heading_done(lines[last + 1:blocks.section_ends()[k]], lines[i])
                found.append((i, mark, None, done, text))
                task_headings.add(i)

        if not found:  # plain `- T001 Title` items, in files that write no boxes
            seen = set()
            for i, text in enumerate(lines):
                if in_code[i] or in_comment[i]:
                    continue
                m = _PLAIN_ITEM.match(text)
                head = _read_head(m.group(1)) if m else None
                if head is None or head.id in seen:
                    continue
                rest = m.group(1)[head.title_start:].lstrip()
                if not rest or rest.startswith(_NOT_A_TITLE) or _TASK_ID.match(rest):
                    continue  # "- T001 → T002" is a dependency note, not a task
                seen.add(head.id)
                found.append((i, "", m.start(1) + 1, False, m.group(1)))

        if len(found) > boxes:
            found.sort(key=lambda task: task[0])
        self.found = found
        sections = [(i, titles[k]) for k, (i, level, _, _) in enumerate(scan.headings)
                    if level == 2 and i not in task_headings]
        self.section_lines = [i for i, _ in sections]
        self.section_titles = [title for _, title in sections]
        self.section_numbers = [_phase_number(title) for title in self.section_titles]
        self.heads = {}  # task index -> the fields its head gives, once read (`_head`)

    def record(self) -> Record:
        """The `Tasks` record: its fields too are made when first read (values.LazyFields), so
        the results cache, which traces the lazy fields of what a load returns, walks nothing."""
        return new_lazy_record("Tasks", new_loc(self.path, None), _Whole(self), None)

    def items(self) -> list:
        """Every task's record, holding nothing but where its fields are made from (made as
        values.new_lazy_record makes one, written out: there may be a hundred thousand)."""
        path = self.path
        items = []
        append = items.append
        with gc_paused():
            for k, task in enumerate(self.found):  # made the fast way (policylint/fastpath.py): there may be many
                fields = new_object(LazyFields)
                fields.source, fields.key, fields.kept = self, k, None
                rec = new_object(Record)
                rec.type, rec.loc, rec.fields = "Task", new_tuple(Loc, (path, task[0] + 1, None)), fields
                append(rec)
        return items

    def phases(self, items: list) -> list:
        members = [[] for _ in self.section_lines]
        for task, found in zip(items, self.found):
            k = bisect_right(self.section_lines, found[0]) - 1
            if k >= 0:
                members[k].append(task)
        path = self.path
        return [new_record("Phase", new_loc(path, i + 1), {"title": title, "number": number, "line": i + 1,
                                                           "items": tasks})
                for i, title, number, tasks in zip(self.section_lines, self.section_titles, self.section_numbers,
                                                   members)
                if tasks or title.lower().startswith(_PHASE_WORDS)]

    # -- a task's fields, as they are read (`makers`, at the end). Nothing here holds a task:
    # the records hold this (a cycle would outlive the run, which pauses the collector).

    def _loc(self, k: int) -> Loc:
        return new_loc(self.path, self.found[k][0] + 1)

    def _body(self, k: int) -> str:
        """The text after the task's box."""
        found = self.found[k]
        return self.lines[found[0]][found[2] - 1:].rstrip() if len(found) == 3 else found[4]

    def _head(self, k: int) -> dict:
        """The fields its head and title give, made together and kept here: the next task's
        `previous_id` is this one's `id`."""
        made = self.heads.get(k)
        if made is not None:
            return made
        i, mark, column = self.found[k][:3]
        body = self._body(k)
        head = _read_head(body)
        loc = self._loc(k)
        title = _title(body, head)
        struck = head.struck or title.startswith("~~")
        if struck:
            title = title.replace("~~", "").strip()
        title_column = column + body.index(title) if column is not None and title in body else None
        made = self.heads[k] = {
            "id": new_lstr(head.id, loc), "number": head.number,
            "cancelled": struck or mark in CANCELLED_MARKS or _cancelled_note(title),
            "parallel": head.parallel, "story": new_lstr(head.story, loc) if head.story else None,
            "title": new_lstr(title, new_loc(self.path, i + 1, title_column))}
        return made

    def _headed(self, fields: LazyFields, k: int) -> dict:
        """The fields its head gives, kept in the task's own fields: a task's id, number, story,
        markers and title are read by gate after gate."""
        made = self._head(k)
        if fields.kept is None:
            fields.kept = made.copy()
        else:
            fields.kept.update(made)
        return made

    def _paths(self, fields: LazyFields, k: int):
        loc = self._loc(k)
        return fields.keep("paths", [new_lstr(p, loc) for p in task_paths(self._body(k))])

    def _depends_on(self, fields: LazyFields, k: int):
        loc = self._loc(k)
        return fields.keep("depends_on", [new_lstr(d, loc) for d in task_dependencies(self._body(k),
                                                                                      self._head(k)["id"])])

    def _phase(self, k: int):
        """The index of the `##` section the task is in, or -1."""
        return bisect_right(self.section_lines, self.found[k][0]) - 1

    def _expected_number(self, k: int) -> int:
        return self._head(k - 1)["number"] + 1 if k else 1

    def _expected_id(self, fields: LazyFields, k: int):
        width = len(_ID_DIGITS.match(self._head(k)["id"]).group(1))
        return fields.keep("expected_id", new_lstr(f"{self._expected_number(k):0{width}d}", self._loc(k)))

    # How each of a task's fields is made (values.LazyFields): TASK's fields, in the order
    # `inspect` has always shown them.
    makers = {
        "id": lambda tasks, fields, k: tasks._headed(fields, k)["id"],
        "number": lambda tasks, fields, k: tasks._headed(fields, k)["number"],
        "done": lambda tasks, fields, k: found[1] != " " if len(found := tasks.found[k]) == 3 else found[3],  # hot
        "cancelled": lambda tasks, fields, k: tasks._headed(fields, k)["cancelled"],
        "mark": lambda tasks, fields, k: fields.keep("mark", new_lstr(tasks.found[k][1], tasks._loc(k))),
        "parallel": lambda tasks, fields, k: tasks._headed(fields, k)["parallel"],
        "story": lambda tasks, fields, k: tasks._headed(fields, k)["story"],
        "title": lambda tasks, fields, k: tasks._headed(fields, k)["title"],
        "text": lambda tasks, fields, k: fields.keep("text", new_lstr(tasks.lines[tasks.found[k][0]], tasks._loc(k))),
        "paths": lambda tasks, fields, k: tasks._paths(fields, k),
        "depends_on": lambda tasks, fields, k: tasks._depends_on(fields, k),
        "line": lambda tasks, fields, k: tasks.found[k][0] + 1,
        "position": lambda tasks, fields, k: k + 1,
        "previous_id": lambda tasks, fields, k: tasks._head(k - 1)["id"] if k else None,
        "expected_number": lambda tasks, fields, k: tasks._expected_number(k),
        "expected_id": lambda tasks, fields, k: tasks._expected_id(fields, k),
        "phase": lambda tasks, fields, k: tasks.section_titles[p] if (p := tasks._phase(k)) >= 0 else "",
        "phase_number": lambda tasks, fields, k: tasks.section_numbers[p] if (p := tasks._phase(k)) >= 0 else None,
    }


class _Whole:
    """Where the `Tasks` record's fields are made from (values.LazyFields): the task list."""

    __slots__ = ("tasks",)

    def __init__(self, tasks: _TaskList):
        self.tasks = tasks

    makers = {
        "items": lambda whole, fields, _: fields.keep("items", whole.tasks.items()),
        "done": lambda whole, fields, _: fields.keep("done", _done(fields.get("items"))),
        "open": lambda whole, fields, _: fields.keep("open", _open(fields.get("items"))),
        "phases": lambda whole, fields, _: fields.keep("phases", whole.tasks.phases(fields.get("items"))),
        "path": lambda whole, fields, _: fields.keep("path", PathValue(whole.tasks.path,
                                                                       new_loc(whole.tasks.path, None))),
    }
