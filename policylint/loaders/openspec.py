"""openspec(path), openspec_change(path): OpenSpec documents and changes, read the way `openspec validate` reads them.

OpenSpec (npm `@fission-ai/openspec`, version 1.13) keeps its specs in
`openspec/specs/<capability-path>/spec.md` and each proposed change in
`openspec/changes/<id>/` (proposal.md, design.md, tasks.md and delta specs under `specs/`).
This view reproduces the readers of OpenSpec 1.13 line for line, so that a pack can state
OpenSpec's validation rules and get the same verdicts as `openspec validate --all`; every
record is located at its file and line, which OpenSpec's own report mostly leaves out.

OpenSpec reads Markdown with its own line rules, not CommonMark: a heading is a line that
*starts* with `#`…`######` and white space (no indented headings, no setext headings, and
headings inside HTML comments count); a code fence is any line whose first non-blank
characters are three backticks or tildes, at any indentation, closed by a line holding only
a run of the same character at least as long. The `markdown` loader follows CommonMark
instead, and the two disagree on exactly those lines, which would flip verdicts; so this
view applies OpenSpec's rules to the file's text (read once, through the repository, like
every loader) instead of reusing `markdown`'s headings and code blocks. Lengths are counted
as JavaScript counts them (UTF-16 code units) and white space is JavaScript's `\\s`.

## `openspec(path)` -> OpenSpecDoc: one Markdown file

Every reading OpenSpec has of a file is here; each field is computed only when used.

The main-spec reading (`parsers/markdown-parser.js`, `parsers/spec-structure.js`):

- `path`; `capability`: for `…/specs/<capability-path>/spec.md`, the capability path
  (`runtime`, `cli/testing`), else empty; `target`: for a delta spec
  (`openspec/changes/<id>/specs/<capability-path>/spec.md`), the main spec it applies to
  (`openspec/specs/<capability-path>/spec.md`) when that exists, else null (a delta that
  creates its capability, or any other file).
- `headings`: every heading in document order (`OpenSpecHeading`: `text`/`title` trimmed as
  written, `level`, `line`, `content` — the text under it down to the next heading of the
  same or a higher level, trimmed — `length` of that content, and `children`).
- `purpose`: the content of the first heading titled `Purpose` (any level, any case),
  located at that heading; empty when there is none or it is empty.
- `purpose_prose`: the Purpose without its fenced lines, trimmed, located at its first
  line; `purpose_length`: the length of `purpose`.
- `requirements_heading`: the first heading titled `Requirements`, or null;
  `requirements`: its child headings as OpenSpec's spec parser reads them
  (`OpenSpecSpecRequirement`: `text`/`title`, `statement` — the requirement text, or the
  title when the body has none — `statement_length`, `line`, `scenarios` — the child
  headings with a non-empty body — and `scenario_count`).
- `requirement_blocks`: the `### Requirement:` blocks inside the first `## Requirements`
  section (`OpenSpecRequirement`, below), as archive and the body checks read them.
- `requirement_headers`: every `### Requirement: <name>` line outside code fences
  (`OpenSpecHeader`: `text`/`name`, `line`, `section` — the title of the `## ` section it
  is under, or null above the first — `strict`: it also has the space after `###` that
  the structure check asks for, `inside`: it lies in the first `## Requirements` section).
- `subheadings`: every other `### ` heading line (`OpenSpecHeader`, `text` its title).

The delta reading (`parsers/requirement-blocks.js`, `parseDeltaSpec`):

- `delta_sections`: the titles of the `## ADDED|MODIFIED|REMOVED|RENAMED Requirements`
  sections, each occurrence, located at its line (matched as OpenSpec does: trimmed title,
  any case, one space).
- `added`, `modified`: their `### Requirement:` blocks; `removed`: the names listed under
  REMOVED (a `### Requirement:` header or a bullet holding one); `renamed_from`,
  `renamed_to`: the names of the paired FROM:/TO: lines. All are `OpenSpecRequirement`:
  `text`/`name` (the name as OpenSpec normalizes it: a closing `#` run dropped, trimmed),
  `op` (`ADDED`, `MODIFIED`, `REMOVED`, `RENAMED FROM`, `RENAMED TO`), `folded` (lower
  case, white space collapsed), `line`, `body` (the requirement text: the non-blank lines
  up to the first heading, fenced lines and `**Key**:` metadata lines left out unless only
  metadata is there; empty when none), `scenario_count` and `empty_scenario_count`
  (`#### ` headings whose body has / has no text), `scenario_names` (every `#### `
  heading, `Scenario:` and a closing `#` run dropped) and `lineage` (the name, then the
  names it had before this file's RENAMED pairs, newest first).
- `renamed`: the FROM:/TO: pairs (`OpenSpecRename`: `text`/`from`, `to`, `from_folded`,
  `line` of FROM, `to_line`); `rename_lines`: every FROM: and TO: line, in order
  (`OpenSpecRenameLine`: `text`/`name`, `side`, `paired` — a FROM: followed by its TO:
  with no other FROM: between — and `missing`, the side an unpaired line lacks).
- `archive_refusal`: for a delta spec, why `openspec archive` would refuse to apply it to
  its main spec as that spec stands now (a case- or spacing-variant name, a MODIFIED or
  RENAMED requirement it does not have, a structurally invalid target, …), located at
  the delta line concerned; null when archive would apply it, or for any other file. This
  is archive's merge run dry (`core/specs-apply.js` `buildUpdatedSpec`), stopping where it
  stops: at the first refusal.

The task reading (`utils/task-progress.js`, `validation/task-checkboxes.js`):

- `tasks`: the lines OpenSpec counts as tasks: a list item (`-`, `*`, `+`, `1.`, `1)`) with
  a one-character box (`[ ]`, `[x]`, `[~]`, `[]`), anywhere in the file, fences included
  (`OpenSpecTask`: `text` the description, `done` — the box holds `x` or `X` — `mark`,
  `line`).
- `first_list_item`: the first list item outside fences, HTML comments, front matter
  and indented code, located at its line, or null.

## `openspec_change(path)` -> OpenSpecChange: a change folder

- `path`, `name`.
- `nested`: when the folder holds no change of its own but wraps change folders
  (`changes/<area>/<name>/`, which OpenSpec does not read), their ids; else empty.
- `deltas`: the delta specs (`specs/**/spec.md`, dot folders skipped, linked folders not
  followed), as `OpenSpecDoc`, by capability path.
- `root_spec`: `specs/spec.md` is a file (a delta with no capability folder).
- `notes`: the other `.md` files under `specs/` (any case), which archive never reads.
- `metadata`: `.openspec.yaml` as data (strings located at their line), or null when it
  is absent or not valid YAML; read as YAML 1.2, as OpenSpec does (`yes` is a string,
  dates stay text, repeated keys are invalid).
- `markers`: the boolean markers (`skip_specs`, `retire_capabilities`) the metadata sets
  to `true` and OpenSpec honors (the metadata is valid and names a schema that loads),
  each located at its key; `metadata_problem`: why the `skip_specs` marker cannot be
  honored (the file is unreadable; or it sets the key and is not valid YAML, not valid
  change metadata, or names a schema that does not load), located at the key, or null.
- `specs_has_files`: some file (not a dot file) exists under `specs/`.
- `schema`: the workflow schema the change resolves to (`.openspec.yaml`, else
  `openspec/config.yaml`, else `spec-driven`), or null when that schema cannot be loaded.
- `task_files`: the task files the schema tracks (`tasks.md` for `spec-driven`), or
  `tasks.md` when none is tracked, as `OpenSpecDoc`; `tasks_tracked`: the schema names
  task files and they could all be read; `tasks`: every task line of those files.
- `task_numbering`: the change uses OpenSpec's own `spec-driven` schema, whose numbered
  task groups (`## 1.`) OpenSpec checks; `numbered_tasks`: the tasks inside a numbered
  group whose description starts with an id such as `1.2` (`OpenSpecNumberedTask`:
  `text`/`id`, `group`, `id_group`, `path`, `line`), in file order.

Source locations in this module (`parsers/requirement-blocks.js:21`) are files of the npm
package's compiled `dist/core/`; the package ships no TypeScript.

Known limits: schemas are looked up in the project (`openspec/schemas/`) and OpenSpec's
built-in `spec-driven`, never in the user's data folder (policylint reads nothing outside
the repository); a project schema's `generates` globs are matched without brace or
extglob expansion; symlinked change folders are read (OpenSpec skips them).
"""
from __future__ import annotations

import os
import posixpath
import re
from bisect import bisect_left, bisect_right
from functools import partial

from ..errors import ArtifactError, ArtifactMissing
from ..fastpath import gc_paused
from ..signature import loader
from ..types import ANY, BOOL, NUMBER, PATH, STR, List, record
from ..values import Lazy, Loc, LStr, PathValue, Record

# -- record types ----------------------------------------------------------------------------

HEADING = record("OpenSpecHeading", "A heading as OpenSpec's spec parser reads it.", {
    "text": (STR, "the title, trimmed, as written"),
    "title": (STR, "the title (same as text)"),
    "level": (NUMBER, "1 for `#` … 6 for `######`"),
    "line": (NUMBER, "line number"),
    "content": (STR, "the text under it down to the next heading of the same or a higher level, trimmed"),
    "length": (NUMBER, "length of the content in UTF-16 code units, as JavaScript counts"),
})
HEADING.fields["children"] = (List(HEADING), "the headings nested directly under it")
SPEC_REQUIREMENT = record("OpenSpecSpecRequirement", "A child of `## Requirements` as OpenSpec's spec parser reads it.", {
    "text": (STR, "the heading's title"),
    "title": (STR, "the heading's title (same as text)"),
    "statement": (STR, "the requirement text: the body's text, or the title when the body has none"),
    "statement_length": (NUMBER, "length of the statement in UTF-16 code units"),
    "line": (NUMBER, "line number of the heading"),
    "scenarios": (List(HEADING), "the child headings whose body has text"),
    "scenario_count": (NUMBER, "how many scenarios"),
})
REQUIREMENT = record("OpenSpecRequirement", "A `### Requirement:` entry as OpenSpec's delta reader reads it.", {
    "text": (STR, "the requirement's name, normalized (a closing `#` run dropped, trimmed)"),
    "name": (STR, "the name (same as text)"),
    "op": (STR, "ADDED, MODIFIED, REMOVED, RENAMED FROM, RENAMED TO, or REQUIREMENTS for a main spec's block"),
    "folded": (STR, "the name in lower case with white space collapsed"),
    "line": (NUMBER, "line number of its header (or bullet, or FROM:/TO: line)"),
    "body": (STR, "the requirement text before the first heading, or empty"),
    "scenario_count": (NUMBER, "`#### ` headings whose body has text"),
    "empty_scenario_count": (NUMBER, "`#### ` headings with no body"),
    "scenario_names": (List(STR), "the names of every `#### ` heading"),
    "lineage": (List(STR), "the name, then its former names through this file's RENAMED pairs"),
})
RENAME = record("OpenSpecRename", "A RENAMED FROM:/TO: pair.", {
    "text": (STR, "the old name (same as from)"),
    "from": (STR, "the old name, located at the FROM: line"),
    "to": (STR, "the new name, located at the TO: line"),
    "from_folded": (STR, "the old name folded (lower case, white space collapsed)"),
    "line": (NUMBER, "line of FROM:"),
    "to_line": (NUMBER, "line of TO:"),
})
RENAME_LINE = record("OpenSpecRenameLine", "A FROM: or TO: line of a RENAMED section.", {
    "text": (STR, "the name it gives"),
    "name": (STR, "the name (same as text)"),
    "side": (STR, "FROM or TO"),
    "paired": (BOOL, "it formed a pair: a FROM: followed by its TO: with no other FROM: between"),
    "missing": (STR, "the side it lacks when unpaired (TO or FROM), else empty"),
    "line": (NUMBER, "line number"),
})
HEADER = record("OpenSpecHeader", "A `### ` heading line and the `## ` section it is under.", {
    "text": (STR, "the requirement's name, or the heading's title"),
    "name": (STR, "same as text"),
    "line": (NUMBER, "line number"),
    "section": (STR, "title of the `## ` section above it, or null"),
    "strict": (BOOL, "written `### Requirement:` with white space after `###`"),
    "inside": (BOOL, "inside the first `## Requirements` section"),
})
TASK = record("OpenSpecTask", "A task line as OpenSpec counts it.", {
    "text": (STR, "the description after the box"),
    "done": (BOOL, "the box holds `x` or `X`"),
    "mark": (STR, "the character in the box, or empty"),
    "line": (NUMBER, "line number"),
    "path": (PATH, "the file"),
})
NUMBERED_TASK = record("OpenSpecNumberedTask", "A task with an id inside a numbered `## N.` group.", {
    "text": (STR, "the task id, `1.2`"),
    "id": (STR, "the task id (same as text)"),
    "group": (STR, "the number of the `## N.` group it is under, as written"),
    "id_group": (STR, "the id's leading number, as written"),
    "path": (PATH, "the file"),
    "line": (NUMBER, "line number"),
})
DOC = record("OpenSpecDoc", "An OpenSpec Markdown file, as OpenSpec's readers see it.", {
    "path": (PATH, "the file"),
    "capability": (STR, "the capability path for `…/specs/<capability>/spec.md`, else empty"),
    "target": (PATH, "for a delta spec, the main spec it applies to when that exists; else null"),
    "headings": (List(HEADING), "every heading, in document order"),
    "purpose": (STR, "the first `Purpose` heading's content, or empty"),
    "purpose_prose": (STR, "the Purpose without fenced lines, located at its first line"),
    "purpose_length": (NUMBER, "length of the Purpose in UTF-16 code units"),
    "requirements_heading": (HEADING, "the first `Requirements` heading, or null"),
    "requirements": (List(SPEC_REQUIREMENT), "the `Requirements` heading's children"),
    "requirement_blocks": (List(REQUIREMENT), "`### Requirement:` blocks in the first `## Requirements` section"),
    "requirement_headers": (List(HEADER), "every `### Requirement:` line outside fences"),
    "subheadings": (List(HEADER), "every other `### ` heading line outside fences"),
    "delta_sections": (List(STR), "titles of the delta sections, each located"),
    "added": (List(REQUIREMENT), "the ADDED requirements"),
    "modified": (List(REQUIREMENT), "the MODIFIED requirements"),
    "removed": (List(REQUIREMENT), "the REMOVED names"),
    "renamed": (List(RENAME), "the RENAMED pairs"),
    "renamed_from": (List(REQUIREMENT), "the FROM names of the pairs"),
    "renamed_to": (List(REQUIREMENT), "the TO names of the pairs"),
    "rename_lines": (List(RENAME_LINE), "every FROM:/TO: line, paired or not"),
    "archive_refusal": (STR, "why archive would refuse this delta now (located), or null"),
    "tasks": (List(TASK), "the task lines OpenSpec counts"),
    "first_list_item": (STR, "the first list item outside fences and comments (located), or null"),
})
CHANGE = record("OpenSpecChange", "An OpenSpec change folder.", {
    "path": (PATH, "the folder"),
    "name": (STR, "the change id"),
    "nested": (List(STR), "ids of change folders this folder wraps (it is then no change itself)"),
    "deltas": (List(DOC), "the delta specs, `specs/**/spec.md`"),
    "root_spec": (PATH, "`specs/spec.md` when it is a file (a delta with no capability folder), else null"),
    "notes": (List(PATH), "other `.md` files under `specs/`"),
    "metadata": (ANY, "`.openspec.yaml` as data, or null"),
    "markers": (List(STR), "the honored boolean markers set to true, located"),
    "metadata_problem": (STR, "why a set `skip_specs` marker is not honored (located), or null"),
    "specs_has_files": (BOOL, "a file exists under `specs/`"),
    "schema": (STR, "the workflow schema, or null when it cannot be loaded"),
    "task_files": (List(DOC), "the task files OpenSpec reads for this change"),
    "tasks_tracked": (BOOL, "the schema tracks task files and all could be read"),
    "task_numbering": (BOOL, "OpenSpec checks numbered task groups (built-in spec-driven schema)"),
    "tasks": (List(TASK), "every task line of the task files"),
    "numbered_tasks": (List(NUMBERED_TASK), "tasks with an id inside a numbered group, in file order"),
})


@loader("openspec", args={"path": STR}, returns=DOC,
        doc="An OpenSpec Markdown file as `openspec validate` reads it: requirements, scenarios, deltas, tasks.")
def load_openspec(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("openspec", relpath), lambda: _document(repo, relpath).record)


@loader("openspec_change", args={"path": STR}, returns=CHANGE,
        doc="An OpenSpec change folder: its delta specs, metadata markers and task files.")
def load_openspec_change(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("openspec_change", relpath), lambda: _change(repo, relpath))


def _no_gc(fn):
    """Run `fn` with the garbage collector paused (`repo.gc_paused`): parsing builds many
    objects and no cycles."""
    def run(*args):
        with gc_paused():
            return fn(*args)
    run.__name__ = fn.__name__
    return run


# -- JavaScript's text rules -----------------------------------------------------------------

_JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters on which Python's `\s`, `.` and case-insensitive matching differ from
# JavaScript's: Python's `\s` has \x1c-\x1f and \x85 and lacks \ufeff, its `.` matches
# \u2028 and \u2029, and its /i folds these four letters onto ASCII ones. A text without
# them is read with the plain patterns; one with them with exact (slower to build) ones.
_DIFFERS = re.compile("[\x1c-\x1f\x85\ufeff\u2028\u2029\u0130\u0131\u017f\u212a]")

_PATTERNS = {  # name: (pattern, case-insensitive), and where the package has it under dist/core/
    "FENCE_OPEN": (r"%S*(`{3,}|~{3,})", False),  # parsers/code-fence.js:11
    "FENCE_CLOSE": (r"%S*(`{3,}|~{3,})%S*\Z", False),  # parsers/code-fence.js:21
    "HEADER_LINE": (r"#{1,6}%S", False),  # parsers/requirement-text.js:18
    "METADATA_LINE": (r"\*\*[^*]+\*\*:", False),  # parsers/requirement-text.js:16
    "SCENARIO_HEADER": (r"####%S+", False),  # parsers/requirement-text.js:27
    "SCENARIO_END": (r"#{1,4}%S", False),  # parsers/requirement-text.js:29
    "CLOSING_RUN": (r"[ \t]+#+[ \t]*\Z", False),  # parsers/requirement-blocks.js:7
    "SCENARIO_PREFIX": (r"Scenario:%S*", True),  # parsers/requirement-blocks.js:483
    "SPACES": (r"%S+", False),  # parsers/requirement-blocks.js:18
    "HEADING": (r"(#{1,6})%S+(%D+)\Z", False),  # parsers/markdown-parser.js:67
    "HEADING_STOP": (r"(#{1,6})%S", False),  # parsers/markdown-parser.js:96
    "SECTION": (r"##%S+(%D+)\Z", False),  # parsers/requirement-blocks.js:172, 204
    "TOP_LEVEL": (r"##%S", False),  # parsers/requirement-blocks.js:45, 252; parsers/spec-structure.js:4
    "REQUIREMENT": (r"###%S*Requirement:%S*(%D+)%S*\Z", True),  # parsers/requirement-blocks.js:21
    "STRICT_REQUIREMENT": (r"###%S+Requirement:%S*(%D+)%S*\Z", True),  # parsers/spec-structure.js:6
    "REQUIREMENTS_SECTION": (r"##%S+Requirements%S*\Z", True),  # parsers/requirement-blocks.js:29; parsers/spec-structure.js:3
    "H3": (r"###%S+(%D+?)%S*\Z", False),  # parsers/requirement-blocks.js:256
    "REMOVED_BULLET": (r"%S*[-*+]%S*`?###%S*Requirement:%S*(%D+?)`?%S*\Z", False),  # parsers/requirement-blocks.js:318
    "FROM": (r"%S*[-*+]?%S*FROM:%S*`?###%S*Requirement:%S*(%D+?)`?%S*\Z", False),  # parsers/requirement-blocks.js:362
    "TO": (r"%S*[-*+]?%S*TO:%S*`?###%S*Requirement:%S*(%D+?)`?%S*\Z", False),  # parsers/requirement-blocks.js:363
    "TASK_LINE": (r"%S*(?:[-*+]|[0-9]{1,9}[.)])%S*\[(?:%S*([^\]%C]?)%S*\](?![(\[])|%S+\])%S*(%D*)", False),  # ../utils/task-progress.js:53
    "LIST_ITEM": (r"%S*(?:[-*+]|[0-9]{1,9}[.)])%S+%N", False),  # validation/task-checkboxes.js:20
    "CHECKBOX_FENCE": (r" {0,3}(`{3,}|~{3,})(%D*)", False),  # validation/task-checkboxes.js:62
    "FRONT_MATTER": (r"-{3}%S*\Z", False),  # validation/task-checkboxes.js:68
    "LEVEL_TWO": (r" {0,3}##(?!#)(?:[ \t]+|[ \t]*\r?\Z)", False),  # validation/task-numbering.js:2
    "NUMBERED_GROUP": (r" {0,3}##[ \t]+([0-9]+)\.(?:[ \t]|\r?\Z)", False),  # validation/task-numbering.js:3
    "TASK_ID": (r"([0-9]+(?:\.[0-9]+)+(?:[A-Za-z]+)?)(?=%S|\Z)", False),  # validation/task-numbering.js:4
    "DELTA_HEADER": (r"##%S+(?:ADDED|MODIFIED|REMOVED|RENAMED)%S+Requirements%S*\Z", True),  # parsers/spec-structure.js:5
}


class _Rx:
    """OpenSpec's patterns, compiled: `%S` is JavaScript's `\\s`, `%N` its `\\S`, `%C` the
    characters of `\\s` inside a class, `%D` its `.`; case-insensitive ones fold ASCII only."""

    def __init__(self, exact: bool):
        if exact:
            chars = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
            parts = {"%S": f"[{chars}]", "%N": f"[^{chars}]", "%C": chars, "%D": r"[^\n\r\u2028\u2029]"}
            flags = re.I | re.A
        else:
            parts = {"%S": r"\s", "%N": r"\S", "%C": r"\s", "%D": "."}
            flags = re.I
        for name, (pattern, insensitive) in _PATTERNS.items():
            for token, value in parts.items():
                pattern = pattern.replace(token, value)
            setattr(self, name, re.compile(pattern, flags if insensitive else 0))


_PLAIN = _Rx(False)
_EXACT: list = []


def rx_for(text: str) -> _Rx:
    """The patterns that read `text` as JavaScript would."""
    if _DIFFERS.search(text) is None:
        return _PLAIN
    if not _EXACT:
        _EXACT.append(_Rx(True))
    return _EXACT[0]


def js_trim(text: str) -> str:
    return text.strip(_JS_SPACE)


def js_length(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript's `.length`."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- located values --------------------------------------------------------------------------

_new_str = str.__new__
_new_object = object.__new__


_new_tuple = tuple.__new__


def _lstr(value: str, path: str, line: int | None) -> LStr:
    located = _new_str(LStr, value)
    located.loc = _new_tuple(Loc, (path, line, None))
    return located


def _rec(type_name: str, path: str, line: int | None, fields: dict) -> Record:
    rec = _new_object(Record)
    rec.type, rec.loc, rec.fields = type_name, _new_tuple(Loc, (path, line, None)), fields
    return rec


# -- code fences (parsers/code-fence.js:10-48) ---------------------------------------------



def fence_mask(rx: _Rx, lines: list, text: str | None = None) -> list:
    """True for each line inside a fenced block, its fences included (buildCodeFenceMask)."""
    if text is None:
        text = "\n".join(lines)
    mask = [False] * len(lines)
    if "```" not in text and "~~~" not in text:
        return mask
    active = None
    for i, line in enumerate(lines):
        if active is None:
            if "`" in line or "~" in line:
                m = rx.FENCE_OPEN.match(line)
                if m:
                    run = m.group(1)
                    active = (run[0], len(run))
                    mask[i] = True
            continue
        mask[i] = True
        m = rx.FENCE_CLOSE.match(line)
        if m and m.group(1)[0] == active[0] and len(m.group(1)) >= active[1]:
            active = None
    return mask


# -- requirement text (parsers/requirement-text.js) ------------------------------------------



def requirement_body(rx: _Rx, body_lines: list, mask: list | None = None) -> str:
    """extractRequirementBody (parsers/requirement-text.js:62)."""
    mask = mask if mask is not None else fence_mask(rx, body_lines)
    captured, metadata = [], []
    for line, fenced in zip(body_lines, mask):
        if fenced:
            continue
        if line[:1] == "#" and rx.HEADER_LINE.match(line):
            break
        trimmed = js_trim(line)
        if not trimmed:
            continue
        if trimmed[:2] == "**" and rx.METADATA_LINE.match(trimmed):
            metadata.append(trimmed)
            continue
        captured.append(trimmed)
    return "\n".join(captured) if captured else "\n".join(metadata)


def scenario_bodies(rx: _Rx, body_lines: list, mask: list | None = None) -> list:
    """readScenarioBodies (parsers/requirement-text.js:113): the body of each `#### ` heading."""
    mask = mask if mask is not None else fence_mask(rx, body_lines)
    bodies = []
    n = len(body_lines)
    for i, line in enumerate(body_lines):
        if mask[i] or line[:4] != "####" or not rx.SCENARIO_HEADER.match(line):
            continue
        end = i + 1
        while end < n and (mask[end] or not rx.SCENARIO_END.match(body_lines[end])):
            end += 1
        bodies.append("\n".join(body_lines[i + 1:end]))
    return bodies


# -- requirement names (parsers/requirement-blocks.js) ---------------------------------------



def normalize_name(rx: _Rx, name: str) -> str:
    """normalizeRequirementName (parsers/requirement-blocks.js:2)."""
    return js_trim(rx.CLOSING_RUN.sub("", name, count=1))


def fold_name(rx: _Rx, name: str) -> str:
    """foldRequirementName (parsers/requirement-blocks.js:17)."""
    return rx.SPACES.sub(" ", normalize_name(rx, name).lower())


def scenario_name(rx: _Rx, line: str) -> str:
    """scenarioNameAt (parsers/requirement-blocks.js:473)."""
    name = rx.SCENARIO_HEADER.sub("", line, count=1)
    name = rx.CLOSING_RUN.sub("", name, count=1)
    name = rx.SCENARIO_PREFIX.sub("", name, count=1) if rx.SCENARIO_PREFIX.match(name) else name
    return js_trim(name)


class _Block:
    """A `### Requirement:` block: its header line index, name and the lines of its raw text."""

    __slots__ = ("rx", "fenced", "index", "name", "lines", "_mask", "_body", "_bodies", "_names")

    def __init__(self, rx: _Rx, index: int, name: str, lines: list, fenced: bool = True):
        self.rx = rx
        self.fenced = fenced  # False when the file has no fence at all
        self.index = index
        self.name = name
        raw = "\n".join(lines).rstrip(_JS_SPACE)  # raw is trimEnd()ed (parsers/requirement-blocks.js:289)
        self.lines = raw.split("\n")
        self._mask = self._body = self._bodies = self._names = None

    @property
    def mask(self) -> list:
        """The fences of the block; its first line, a header, opens none, so the body's mask
        (which OpenSpec builds on the lines after the header) is this one less its first entry."""
        if self._mask is None:
            self._mask = fence_mask(self.rx, self.lines) if self.fenced else [False] * len(self.lines)
        return self._mask

    @property
    def raw(self) -> str:
        return "\n".join(self.lines)

    @property
    def body(self) -> str:
        if self._body is None:
            self._body = requirement_body(self.rx, self.lines[1:], self.mask[1:])
        return self._body

    @property
    def bodies(self) -> list:
        if self._bodies is None:
            self._bodies = scenario_bodies(self.rx, self.lines[1:], self.mask[1:])
        return self._bodies

    def scenario_headers(self) -> list:
        """(line offset in the block, name) of every `#### ` heading (parseScenarioBlocks)."""
        if self._names is None:
            rx, mask = self.rx, self.mask
            self._names = [(k, scenario_name(rx, line)) for k, line in enumerate(self.lines)
                           if not mask[k] and line[:4] == "####" and rx.SCENARIO_HEADER.match(line)]
        return self._names

    @property
    def scenario_names(self) -> list:
        return [name for _, name in self.scenario_headers()]


# -- one document ----------------------------------------------------------------------------

_DELTA_TITLES = {"added requirements": "ADDED", "modified requirements": "MODIFIED",
                 "removed requirements": "REMOVED", "renamed requirements": "RENAMED"}
_DELTA_PATH = re.compile(r"(?:(.*?)/)?changes/([^/]+)/specs/(.+)/spec\.md\Z")
_SPEC_PATH = re.compile(r"(?:.*?/)?specs/(.+)/spec\.md\Z")


class _Doc:
    """One file's text and lines, and OpenSpec's readings of it, each computed once."""

    def __init__(self, repo, path: str, text: str):
        self.repo = repo
        self.path = path
        self.text = text
        self.lines = text.split("\n")
        self.rx = rx_for(text)
        self.fenced = "```" in text or "~~~" in text
        self._mask = self._tree = self._plan = self._req_range = None
        self._readings: dict = {}
        self.record = self._build()

    # -- shared --------------------------------------------------------------------------
    @property
    def mask(self) -> list:
        if self._mask is None:
            self._mask = fence_mask(self.rx, self.lines, self.text)
        return self._mask

    @property
    def hash_lines(self) -> list:
        """(index, line) of every line outside fences that starts with `#`: all of OpenSpec's
        headings, sections and requirement headers are among them."""
        found = self._readings.get("hash_lines")
        if found is None:
            if self.fenced:
                mask = self.mask
                found = [(i, line) for i, line in enumerate(self.lines) if line[:1] == "#" and not mask[i]]
            else:
                found = [(i, line) for i, line in enumerate(self.lines) if line[:1] == "#"]
            self._readings["hash_lines"] = found
        return found

    def at(self, value: str, index: int | None) -> LStr:
        return _lstr(value, self.path, None if index is None else index + 1)

    def _build(self) -> Record:
        path = self.path
        capability, self.target = "", None
        m = _DELTA_PATH.match(path)
        if m:
            capability = m.group(3)
            root = m.group(1)
            self.target = posixpath.join(root, "specs", capability, "spec.md") if root else \
                posixpath.join("specs", capability, "spec.md")
        else:
            m = _SPEC_PATH.match(path)
            if m:
                capability = m.group(1)
        fields = {
            "path": PathValue(path, Loc(path)),
            "capability": capability,
            "target": Lazy(self.existing_target) if self.target is not None else None,
            "archive_refusal": Lazy(self.archive_refusal) if self.target is not None else None,
        }
        for name in ("headings", "purpose", "purpose_prose", "purpose_length", "requirements_heading",
                     "requirements", "requirement_blocks", "requirement_headers", "subheadings",
                     "delta_sections", "added", "modified", "removed", "renamed", "renamed_from",
                     "renamed_to", "rename_lines", "tasks", "first_list_item"):
            fields[name] = Lazy(partial(self.field, name))
        return _rec("OpenSpecDoc", path, None, fields)

    @_no_gc
    def field(self, name: str):
        if name == "tasks":
            return self.task_records()
        if name == "first_list_item":
            return self.first_list_item()
        if name in ("headings", "purpose", "purpose_prose", "purpose_length", "requirements_heading",
                    "requirements"):
            reading = self.spec_reading
        elif name in ("requirement_blocks", "requirement_headers", "subheadings"):
            reading = self.structure
        else:
            reading = self.delta_records
        fields = self._readings.get(reading.__name__)
        if fields is None:
            fields = self._readings[reading.__name__] = reading()
        value = fields[name]
        if type(value) is Lazy:
            value = fields[name] = value.compute()
        return value

    # -- the spec parser (markdown-parser.js) ----------------------------------------------
    def tree(self):
        """(headings, roots): each heading as [index, level, title, end, children, content]."""
        rx = self.rx
        if self._tree is not None:
            return self._tree
        lines = self.lines
        stops = []  # (index, level) of every line that ends a heading's content
        heads = []  # (index, level, title)
        for i, line in self.hash_lines:
            m = rx.HEADING_STOP.match(line)
            if m is None:
                continue
            stops.append((i, len(m.group(1))))
            h = rx.HEADING.match(line)
            if h:
                heads.append((i, len(h.group(1)), js_trim(h.group(2))))
        nodes, roots, stack = [], [], []
        k = 0
        for index, level, title in heads:
            while k < len(stops) and stops[k][0] <= index:
                k += 1
            end = len(lines)
            for j in range(k, len(stops)):
                if stops[j][1] <= level:
                    end = stops[j][0]
                    break
            node = [index, level, title, end, [], None]
            nodes.append(node)
            while stack and stack[-1][1] >= level:
                stack.pop()
            (stack[-1][4] if stack else roots).append(node)
            stack.append(node)
        self._tree = (nodes, roots)
        return self._tree

    def content(self, node) -> str:
        """The heading's content, trimmed (getContentUntilNextHeader, parsers/markdown-parser.js:92)."""
        if node[5] is None:
            node[5] = js_trim("\n".join(self.lines[node[0] + 1:node[3]]))
        return node[5]

    def heading_record(self, node, cache: dict) -> Record:
        rec = cache.get(id(node))
        if rec is None:
            index, level, title, _, children, _ = node
            line = index + 1
            located = self.at(title, index)
            rec = _rec("OpenSpecHeading", self.path, line, {
                "text": located, "title": located, "level": level, "line": line,
                "content": Lazy(lambda: self.at(self.content(node), index)),
                "length": Lazy(lambda: js_length(self.content(node))),
                "children": Lazy(lambda: [self.heading_record(child, cache) for child in children])})
            cache[id(node)] = rec
        return rec

    def spec_reading(self) -> dict:
        rx = self.rx
        nodes, _ = self.tree()
        cache: dict = {}
        purpose_node = next((n for n in nodes if n[2].lower() == "purpose"), None)
        requirements_node = next((n for n in nodes if n[2].lower() == "requirements"), None)
        if purpose_node is not None:
            text = self.content(purpose_node)
            purpose = self.at(text, purpose_node[0])
            prose_lines = text.split("\n")
            prose_mask = fence_mask(rx, prose_lines, text)
            prose = js_trim("\n".join(l for l, fenced in zip(prose_lines, prose_mask) if not fenced))
            purpose_prose = self.at(prose, self._first_prose_line(purpose_node))
        else:
            purpose = purpose_prose = self.at("", None)
        requirements = []
        if requirements_node is not None:
            for child in requirements_node[4]:
                index, title = child[0], child[2]
                body_lines = self.content(child).split("\n")
                statement = requirement_body(rx, body_lines, None if self.fenced else [False] * len(body_lines)) \
                    or js_trim(title)
                scenarios = [self.heading_record(g, cache) for g in child[4] if self.content(g)]
                requirements.append(_rec("OpenSpecSpecRequirement", self.path, index + 1, {
                    "text": self.at(title, index), "title": self.at(title, index),
                    "statement": self.at(statement, index), "statement_length": js_length(statement),
                    "line": index + 1, "scenarios": scenarios, "scenario_count": len(scenarios)}))
        return {"headings": Lazy(lambda: [self.heading_record(node, cache) for node in nodes]),
                "purpose": purpose, "purpose_prose": purpose_prose,
                "purpose_length": js_length(str(purpose)),
                "requirements_heading": self.heading_record(requirements_node, cache)
                if requirements_node is not None else None,
                "requirements": requirements}

    def _first_prose_line(self, node) -> int:
        """Index of the Purpose's first non-blank line outside fences (where the prose starts)."""
        index = node[0]
        if not self.content(node):
            return index
        mask = self.mask
        for i in range(index + 1, len(self.lines)):
            if not mask[i] and js_trim(self.lines[i]):
                return i
        return index

    # -- the structure scan and the Requirements section ----------------------------------
    def requirements_range(self):
        """(header index, end index) of the first `## Requirements` section, or None."""
        rx = self.rx
        if self._req_range is None:
            hashes = self.hash_lines
            start = next((i for i, line in hashes if line[:2] == "##" and rx.REQUIREMENTS_SECTION.match(line)), None)
            if start is None:
                self._req_range = (None,)
            else:
                end = next((i for i, line in hashes if i > start and line[:2] == "##" and rx.TOP_LEVEL.match(line)),
                           len(self.lines))
                self._req_range = (start, end)
        return self._req_range if self._req_range[0] is not None else None

    def main_blocks(self) -> list:
        """extractRequirementsSection(content).bodyBlocks (parsers/requirement-blocks.js:25)."""
        blocks = self._readings.get("main_blocks")
        if blocks is None:
            span = self.requirements_range()
            blocks = self._readings["main_blocks"] = self._blocks(span[0] + 1, span[1]) if span else []
        return blocks

    def _blocks(self, start: int, end: int) -> list:
        """`### Requirement:` blocks in lines [start, end): each runs to the next requirement
        header or `## ` line (parseRequirementBlocksFromSection, parsers/requirement-blocks.js:247)."""
        rx, lines = self.rx, self.lines
        headers, stops = self.boundaries()
        first = bisect_left(headers, start)
        blocks = []
        for k in range(first, len(headers)):
            header = headers[k]
            if header >= end:
                break
            nxt = headers[k + 1] if k + 1 < len(headers) else len(lines)
            stop = stops[bisect_right(stops, header)] if bisect_right(stops, header) < len(stops) else len(lines)
            block_end = min(nxt, stop, end)
            name = normalize_name(rx, rx.REQUIREMENT.match(lines[header]).group(1))
            blocks.append(_Block(rx, header, name, lines[header:block_end], self.fenced))
        return blocks

    def boundaries(self):
        """Indexes of the `### Requirement:` lines, and of the `## ` lines, outside fences."""
        found = self._readings.get("boundaries")
        if found is None:
            rx = self.rx
            headers, stops = [], []
            for i, line in self.hash_lines:
                if line[:2] != "##":
                    continue
                if line[:3] == "###" and rx.REQUIREMENT.match(line):
                    headers.append(i)
                elif rx.TOP_LEVEL.match(line):
                    stops.append(i)
            found = self._readings["boundaries"] = (headers, stops)
        return found

    def sections(self) -> list:
        """Every `## ` section: (title, header index, body start, body end) (splitTopLevelSections)."""
        rx = self.rx
        lines = self.lines
        found = []
        for i, line in self.hash_lines:
            if line[:2] == "##":
                m = rx.SECTION.match(line)
                if m:
                    found.append((js_trim(m.group(1)), i))
        return [(title, i, i + 1, found[k + 1][1] if k + 1 < len(found) else len(lines))
                for k, (title, i) in enumerate(found)]

    def structure(self) -> dict:
        rx = self.rx
        span = self.requirements_range()
        headers, subheadings = [], []
        section = None
        for i, line in self.hash_lines:
            if line[:2] != "##":
                continue
            m = rx.SECTION.match(line)
            if m:
                section = self.at(js_trim(m.group(1)), i)
                continue
            r = rx.REQUIREMENT.match(line)
            if r:
                name = self.at(normalize_name(rx, r.group(1)), i)
                strict = rx.STRICT_REQUIREMENT.match(line)
                headers.append(_rec("OpenSpecHeader", self.path, i + 1, {
                    "text": name, "name": name, "line": i + 1, "section": section,
                    "strict": strict is not None,
                    "inside": span is not None and span[0] < i < span[1]}))
                continue
            h = rx.H3.match(line)
            if h:
                title = self.at(js_trim(h.group(1)), i)
                subheadings.append(_rec("OpenSpecHeader", self.path, i + 1, {
                    "text": title, "name": title, "line": i + 1, "section": section,
                    "strict": False, "inside": span is not None and span[0] < i < span[1]}))
        blocks = Lazy(lambda: [self.requirement_record(b, "REQUIREMENTS", None) for b in self.main_blocks()])
        return {"requirement_blocks": blocks, "requirement_headers": headers, "subheadings": subheadings}

    def requirement_record(self, block: _Block, op: str, lineage) -> Record:
        rx, index = self.rx, block.index
        name = self.at(block.name, index)

        def counts():
            bodies = block.bodies
            with_text = sum(1 for b in bodies if js_trim(b))
            return with_text, len(bodies) - with_text

        return _rec("OpenSpecRequirement", self.path, index + 1, {
            "text": name, "name": name, "op": op, "line": index + 1,
            "folded": Lazy(lambda: fold_name(rx, block.name)),
            "body": Lazy(lambda: self.at(block.body, index)),
            "scenario_count": Lazy(lambda: counts()[0]),
            "empty_scenario_count": Lazy(lambda: counts()[1]),
            "scenario_names": Lazy(lambda: [self.at(n, index + k) for k, n in block.scenario_headers()]),
            "lineage": [self.at(x, index) for x in lineage] if lineage else [name]})

    def name_record(self, name: str, index: int, op: str) -> Record:
        rx = self.rx
        located = self.at(name, index)
        return _rec("OpenSpecRequirement", self.path, index + 1, {
            "text": located, "name": located, "op": op, "folded": fold_name(rx, name), "line": index + 1,
            "body": self.at("", index), "scenario_count": 0, "empty_scenario_count": 0,
            "scenario_names": [], "lineage": [located]})

    # -- the delta reader (parseDeltaSpec, parsers/requirement-blocks.js:102) ----------------------
    def plan(self) -> dict:
        rx = self.rx
        if self._plan is not None:
            return self._plan
        lines, mask = self.lines, self.mask
        added, modified, removed, pairs, unpaired, present, rename_lines = [], [], [], [], [], [], []
        for title, header, start, end in self.sections():
            op = _DELTA_TITLES.get(title.lower())
            if op is None:
                continue
            present.append((op, self.at(title, header)))
            if op == "ADDED":
                added.extend(self._blocks(start, end))
            elif op == "MODIFIED":
                modified.extend(self._blocks(start, end))
            elif op == "REMOVED":
                for i in range(start, end):  # parseRemovedNames (parsers/requirement-blocks.js:300)
                    if mask[i]:
                        continue
                    m = rx.REQUIREMENT.match(lines[i]) or rx.REMOVED_BULLET.match(lines[i])
                    if m:
                        removed.append((normalize_name(rx, m.group(1)), i))
            else:
                pending = None  # parseRenamedPairs (parsers/requirement-blocks.js:346)
                for i in range(start, end):
                    if mask[i]:
                        continue
                    f = rx.FROM.match(lines[i])
                    t = None if f else rx.TO.match(lines[i])
                    if f or t:
                        rename_lines.append(("FROM" if f else "TO", normalize_name(rx, (f or t).group(1)), i))
                    if f:
                        if pending:
                            unpaired.append(("FROM", pending[0], pending[1]))
                        pending = (normalize_name(rx, f.group(1)), i)
                    elif t:
                        to = normalize_name(rx, t.group(1))
                        if not pending:
                            unpaired.append(("TO", to, i))
                            continue
                        pairs.append((pending[0], pending[1], to, i))
                        pending = None
                if pending:
                    unpaired.append(("FROM", pending[0], pending[1]))
        unpaired.sort(key=lambda u: u[2])
        self._plan = {"added": added, "modified": modified, "removed": removed, "renamed": pairs,
                      "unpaired": unpaired, "present": present, "rename_lines": rename_lines}
        return self._plan

    def delta_records(self) -> dict:
        rx = self.rx
        plan = self.plan()
        renamed_from = {}  # to -> from, the last pair winning (validation/validator.js:611)
        for frm, _, to, _ in plan["renamed"]:
            renamed_from[to] = frm

        def lineage(name):
            out, key = [], name
            while key is not None and key not in out:
                out.append(key)
                key = renamed_from.get(key)
            return out

        records = {
            "delta_sections": [title for _, title in plan["present"]],
            "added": [self.requirement_record(b, "ADDED", None) for b in plan["added"]],
            "modified": [self.requirement_record(b, "MODIFIED", lineage(b.name)) for b in plan["modified"]],
            "removed": [self.name_record(name, i, "REMOVED") for name, i in plan["removed"]],
            "renamed_from": [self.name_record(frm, i, "RENAMED FROM") for frm, i, _, _ in plan["renamed"]],
            "renamed_to": [self.name_record(to, j, "RENAMED TO") for _, _, to, j in plan["renamed"]],
        }
        records["renamed"] = [
            _rec("OpenSpecRename", self.path, i + 1, {
                "text": self.at(frm, i), "from": self.at(frm, i), "to": self.at(to, j),
                "from_folded": fold_name(rx, frm), "line": i + 1, "to_line": j + 1})
            for frm, i, to, j in plan["renamed"]]
        unpaired = {i for _, _, i in plan["unpaired"]}
        records["rename_lines"] = [
            _rec("OpenSpecRenameLine", self.path, i + 1, {
                "text": self.at(name, i), "name": self.at(name, i), "side": side, "paired": i not in unpaired,
                "missing": ("TO" if side == "FROM" else "FROM") if i in unpaired else "", "line": i + 1})
            for side, name, i in sorted(plan["rename_lines"], key=lambda x: x[2])]
        return records

    # -- tasks (../utils/task-progress.js:53, validation/task-checkboxes.js:115) -------------------------------
    def task_matches(self) -> list:
        rx = self.rx
        out = []
        if "[" not in self.text:
            return out
        for i, line in enumerate(self.lines):
            if "[" in line:
                m = rx.TASK_LINE.match(line)
                if m:
                    out.append((i, m.group(1) or "", js_trim(m.group(2))))
        return out

    def task_records(self) -> list:
        path = PathValue(self.path, Loc(self.path))
        return [_rec("OpenSpecTask", self.path, i + 1, {
            "text": self.at(description, i), "done": mark.lower() == "x", "mark": self.at(mark, i),
            "line": i + 1, "path": path}) for i, mark, description in self.task_matches()]

    def first_list_item(self):
        rx = self.rx
        lines = self.lines
        index = 0
        if lines and rx.FRONT_MATTER.match(js_trim_end(lines[0].lstrip("\ufeff"))):
            index = next((k + 1 for k in range(1, len(lines)) if rx.FRONT_MATTER.match(js_trim_end(lines[k]))), 0)
        fence = None
        in_comment = False
        for i in range(index, len(lines)):
            line = lines[i]
            if in_comment:
                if "-->" in line:
                    in_comment = False
                continue
            m = rx.CHECKBOX_FENCE.match(line)
            if m:
                run = m.group(1)
                if fence is None:
                    fence = (run[0], len(run))
                elif run[0] == fence[0] and len(run) >= fence[1] and not js_trim(m.group(2)):
                    fence = None
                continue
            if fence is not None:
                continue
            stripped = line.lstrip(_JS_SPACE)
            if stripped.startswith("<!--"):
                if "-->" not in line[line.index("<!--") + 4:]:
                    in_comment = True
                continue
            if rx.LIST_ITEM.match(line) and _indent_columns(line) < 4:
                return self.at(line, i)
        return None

    def numbered_tasks(self) -> list:
        """(index, id, group) of tasks inside numbered groups (findTaskNumberingIssues, validation/task-numbering.js:10)."""
        rx = self.rx
        lines = self.lines
        if not any(line.lstrip(" ")[:2] == "##" and rx.NUMBERED_GROUP.match(line) for line in lines):
            return []
        out = []
        group = None
        for i, line in enumerate(lines):
            if rx.LEVEL_TWO.match(line):
                g = rx.NUMBERED_GROUP.match(line)
                group = g.group(1) if g else None
            if group is None or "[" not in line:
                continue
            m = rx.TASK_LINE.match(line)
            if not m:
                continue
            t = rx.TASK_ID.match(js_trim(m.group(2)))
            if t:
                out.append((i, t.group(1), group))
        return out

    # -- archive's merge, run dry (specs-apply.js:109 buildUpdatedSpec) ---------------------
    def existing_target(self):
        """The main spec a delta applies to, when it exists (a folder there is read, and fails)."""
        if _stat_kind(self.repo, self.target) is None:
            return None
        return PathValue(self.target, Loc(self.target))

    @_no_gc
    def archive_refusal(self):
        target = self.target
        try:
            if _stat_kind(self.repo, target) is None:
                base = None
            else:
                base = _document(self.repo, target)
        except ArtifactError:
            return None  # archive meets a filesystem error, which the dry run does not report
        message, index = _merge_refusal(self, base)
        if message is None:
            return None
        return self.at(message, index)


def js_trim_end(text: str) -> str:
    return text.rstrip(_JS_SPACE)


def _indent_columns(line: str) -> int:
    column = 0
    for ch in line:
        if ch == " ":
            column += 1
        elif ch == "\t":
            column += 4 - column % 4
        else:
            break
    return column


@_no_gc
def _document(repo, relpath: str) -> _Doc:
    """The parsed file, once per run (shared by `openspec(path)` and the change view)."""
    return repo.memo(("openspec-doc", relpath), lambda: _Doc(repo, relpath, repo.read_text(relpath)))


# -- the structure check on a main spec (parsers/spec-structure.js:7) --------------------------------



def structure_issues(doc: _Doc) -> list:
    """(line index, message) of what findMainSpecStructureIssues reports."""
    cached = doc._readings.get("structure_issues")
    if cached is None:
        cached = doc._readings["structure_issues"] = _structure_issues(doc)
    return cached


def _structure_issues(doc: _Doc) -> list:
    rx = doc.rx
    issues = []
    span = doc.requirements_range()
    seen = {}
    for i, line in doc.hash_lines:
        if line[:2] != "##":
            continue
        if rx.DELTA_HEADER.match(line):
            issues.append((i, f'delta header "{js_trim(line)}" in a main spec'))
            continue
        m = rx.STRICT_REQUIREMENT.match(line)
        if not m:
            continue
        if span is None or not span[0] < i < span[1]:
            issues.append((i, f'requirement header "{js_trim(line)}" outside ## Requirements'))
            continue
        name = normalize_name(rx, m.group(1))
        if name in seen:
            issues.append((i, f'requirement header "{js_trim(line)}" duplicates line {seen[name] + 1}'))
        else:
            seen[name] = i
    return issues


def _merge_refusal(delta: _Doc, base: _Doc | None):
    """(message, line index in the delta) of the first refusal of buildUpdatedSpec, or (None, None)."""
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


# -- the file system, as OpenSpec walks it -----------------------------------------------------

class _Entry:
    __slots__ = ("name", "is_dir", "is_file", "is_link")

    def __init__(self, entry):
        self.name = entry.name
        self.is_link = entry.is_symlink()
        self.is_dir = entry.is_dir(follow_symlinks=False)
        self.is_file = entry.is_file(follow_symlinks=False)


def _listdir(repo, relpath: str) -> list:
    """The entries of a folder, or raises OSError (FileNotFoundError, NotADirectoryError, …);
    listed once per run."""
    return list(_listing(repo, relpath).values())


def _listing(repo, relpath: str) -> dict:
    key = ("openspec-listing", relpath)
    memo = repo._memo  # the run's memo; OSErrors are kept too, unlike repo.memo
    hit = memo.get(key)
    if hit is None:
        try:
            full = _real_dir(repo, relpath)
            with os.scandir(full) as it:
                hit = ("ok", {e.name: _Entry(e) for e in it}, full)
        except OSError as exc:
            hit = ("err", exc)
        memo[key] = hit
    if hit[0] == "err":
        raise hit[1]
    return hit[1]


def _real_dir(repo, relpath: str) -> str:
    """The folder's real path: its parent's (when listed) joined with its name if it is no
    link, else resolved through the repository (which refuses a path leaving the root)."""
    parent, name = posixpath.split(relpath)
    if name not in ("", ".", "..") and ".." not in relpath.split("/"):
        try:
            entries = _listing(repo, parent or ".")
        except OSError:
            entries = None
        if entries is not None:
            entry = entries.get(name)
            if entry is None:
                raise FileNotFoundError(relpath)
            if entry.is_dir and not entry.is_link:
                return os.path.join(repo._memo[("openspec-listing", parent or ".")][2], name)
    try:
        return str(repo.resolve(relpath))
    except ArtifactError as exc:
        raise PermissionError(exc.message) from None


def _stat_kind(repo, relpath: str):
    """'file', 'dir', or None (missing, or outside the repository), following links.

    Read from the parent folder's listing: an entry that is no link is what it says, and
    only a link is resolved (and must stay inside the repository)."""
    parent, name = posixpath.split(relpath)
    if name in ("", ".", ".."):
        parent, name = None, None
    if name is not None:
        try:
            entry = _listing(repo, parent or ".").get(name)
        except OSError:
            return None
        if entry is None:
            return None
        if not entry.is_link:
            return "file" if entry.is_file else "dir" if entry.is_dir else None
    try:
        full = repo.resolve(relpath)
    except ArtifactError:
        return None
    if os.path.isfile(full):
        return "file"
    if os.path.isdir(full):
        return "dir"
    return None


def _join(*parts) -> str:
    kept = [p for p in parts if p and p != "."]
    return "/".join(kept) if kept else "."


def _any_file_under(repo, relpath: str) -> bool:
    """hasAnyFileUnder (../utils/spec-discovery.js:150): raises OSError other than a missing folder."""
    try:
        entries = _listdir(repo, relpath)
    except FileNotFoundError:
        return False
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_file or e.is_link:
            return True
        if e.is_dir and _any_file_under(repo, _join(relpath, e.name)):
            return True
    return False


def _discover_specs(repo, root: str) -> list:
    """discoverSpecFiles (../utils/spec-discovery.js:31): (capability id, spec.md path), by id."""
    found = []

    def walk(rel, segments):
        try:
            entries = _listdir(repo, rel)
        except FileNotFoundError:
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            if e.is_dir:
                walk(_join(rel, e.name), segments + [e.name])
            elif e.name == "spec.md" and segments:
                if e.is_file or (e.is_link and _stat_kind(repo, _join(rel, e.name)) == "file"):
                    found.append(("/".join(segments), _join(rel, e.name)))

    walk(root, [])
    return sorted(found)


def _notes(repo, root: str) -> list:
    """Candidates of findUnreadDeltaFiles (../utils/spec-discovery.js:90): .md files other than spec.md."""
    found = []

    def walk(rel):
        try:
            entries = _listdir(repo, rel)
        except (FileNotFoundError, NotADirectoryError):
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            path = _join(rel, e.name)
            if e.is_dir:
                walk(path)
                continue
            if not (e.is_file or e.is_link) or e.name == "spec.md" or not e.name.lower().endswith(".md"):
                continue
            if e.is_link and _stat_kind(repo, path) != "file":
                continue
            found.append(path)

    walk(root)
    return sorted(found)


# -- YAML as OpenSpec reads it (the `yaml` package: YAML 1.2 core schema, unique keys) ---------

class _YamlError(Exception):
    pass


_PLAIN_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+([A-Za-z0-9_][A-Za-z0-9_./+-]*))?[ \t]*"
                        r"(?:[ \t]#.*)?\Z")


def read_yaml(text: str, path: str):
    """The YAML document as Python data (strings located), read as YAML 1.2's core schema;
    raises _YamlError where the `yaml` package would throw. Files of `key: word` lines are
    read here without PyYAML; anything else by the one YAML reader (data.parse_yaml), with
    its limits."""
    from .yamlcore import core_scalar

    data = {}
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        m = _PLAIN_KEY.match(line)
        if m is None or m.group(1) in data:
            return _read_yaml_full(text, path)
        value = core_scalar(m.group(2) or "")
        data[m.group(1)] = _lstr(value, path, number) if isinstance(value, str) else value
    return data or None


def _read_yaml_full(text: str, path: str):
    from .data import DuplicateKeyError, parse_yaml

    try:
        return parse_yaml(text, path, core=True, required=False)
    except DuplicateKeyError as exc:
        raise _YamlError(f"Map keys must be unique: {exc.message}") from None  # the `yaml` package's words
    except ArtifactError as exc:
        raise _YamlError(exc.message) from None


# -- schemas (core/artifact-graph/resolver.js) -------------------------------------------------

_BUILTIN = "builtin:spec-driven"
# schemas/spec-driven/schema.yaml of the package: the artifacts and what apply tracks.
_SPEC_DRIVEN = {"artifacts": [{"id": "proposal", "generates": "proposal.md"},
                              {"id": "specs", "generates": "specs/**/*.md"},
                              {"id": "design", "generates": "design.md"},
                              {"id": "tasks", "generates": "tasks.md"}],
                "apply": {"tracks": "tasks.md"}}
_TRANSIENT = re.compile(r"\.fork-staging-|.*\.fork-backup-|\.init-staging-|.*\.init-backup-")


class _SchemaError(Exception):
    pass


class _Project:
    """What OpenSpec resolves once per project: its schemas and its config's schema name."""

    def __init__(self, repo, openspec_dir: str):
        self.repo = repo
        self.dir = openspec_dir
        self.schemas_dir = _join(openspec_dir, "schemas")
        self._listed = None
        self._resolved: dict = {}
        self._config = False

    def list_schemas(self) -> set:
        if self._listed is None:
            names = {"spec-driven"}
            try:
                for e in _listdir(self.repo, self.schemas_dir):
                    if _TRANSIENT.match(e.name):
                        continue
                    path = _join(self.schemas_dir, e.name)
                    if (e.is_dir or (e.is_link and _stat_kind(self.repo, path) == "dir")) and \
                            _stat_kind(self.repo, _join(path, "schema.yaml")) is not None:
                        names.add(e.name)
            except OSError:
                pass
            self._listed = names
        return self._listed

    def schema_dir(self, name: str):
        if not name or name in (".", "..") or "/" in name or "\\" in name or re.match(r"[A-Za-z]:", name):
            return None
        local = _join(self.schemas_dir, name)
        if _stat_kind(self.repo, _join(local, "schema.yaml")) is not None:
            return local
        return _BUILTIN if name == "spec-driven" else None

    def resolve(self, name: str) -> dict:
        """resolveSchema: the schema's artifacts and apply block, or raises _SchemaError."""
        name = re.sub(r"\.ya?ml\Z", "", name)
        if name not in self._resolved:
            self._resolved[name] = self._load(name)
        value = self._resolved[name]
        if isinstance(value, _SchemaError):
            raise value
        return value

    def _load(self, name: str):
        where = self.schema_dir(name)
        if where is None:
            return _SchemaError(f"Schema '{name}' not found")
        if where == _BUILTIN:
            return _SPEC_DRIVEN
        try:
            data = read_yaml(self.repo.read_text(_join(where, "schema.yaml")), _join(where, "schema.yaml"))
        except (ArtifactError, _YamlError) as exc:
            return _SchemaError(f"Failed to parse schema '{name}': {exc}")
        problem = _schema_problem(data)
        return _SchemaError(f"Invalid schema '{name}': {problem}") if problem else data

    def config_schema(self):
        """The `schema:` of openspec/config.yaml (or .yml), or None (readProjectConfig)."""
        if self._config is False:
            self._config = None
            for name in ("config.yaml", "config.yml"):
                path = _join(self.dir, name)
                if _stat_kind(self.repo, path) is None:
                    continue
                try:
                    raw = read_yaml(self.repo.read_text(path), path)
                except (ArtifactError, _YamlError):
                    break
                if isinstance(raw, dict) and isinstance(raw.get("schema"), str) and raw["schema"]:
                    self._config = str(raw["schema"])
                break
        return self._config


def _relative_path_ok(value) -> bool:
    if not isinstance(value, str) or not value:
        return False
    segments = re.split(r"[\\/]+", value)
    return not (value.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", value) or ".." in segments or "\0" in value)


def _schema_problem(data) -> str | None:
    """SchemaYamlSchema and parseSchema's checks (artifact-graph/types.js, schema.js), or None."""
    if not isinstance(data, dict):
        return "not a mapping"
    if not isinstance(data.get("name"), str) or not data["name"]:
        return "name: Schema name is required"
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version <= 0:
        return "version: Version must be a positive integer"
    if "description" in data and not isinstance(data["description"], str):
        return "description: expected string"
    artifacts = data.get("artifacts")
    if not isinstance(artifacts, list) or not artifacts or len(artifacts) > 1000:
        return "artifacts: At least one artifact required"
    ids = []
    for k, a in enumerate(artifacts):
        if not isinstance(a, dict) or not isinstance(a.get("id"), str) or not a["id"]:
            return f"artifacts.{k}.id: Artifact ID is required"
        if not _relative_path_ok(a.get("generates")) or not _relative_path_ok(a.get("template")):
            return f"artifacts.{k}: generates and template must be relative paths"
        if not isinstance(a.get("description"), str):
            return f"artifacts.{k}.description: expected string"
        if "instruction" in a and not isinstance(a["instruction"], str):
            return f"artifacts.{k}.instruction: expected string"
        requires = a.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            return f"artifacts.{k}.requires: expected array of strings"
        ids.append(a["id"])
    if len(set(ids)) != len(ids):
        return "Duplicate artifact ID"
    for a in artifacts:
        if any(r not in ids for r in a.get("requires", [])):
            return f"Invalid dependency reference in artifact '{a['id']}'"
    apply = data.get("apply")
    if apply is not None:
        if not isinstance(apply, dict):
            return "apply: expected object"
        requires = apply.get("requires")
        if not isinstance(requires, list) or not requires or not all(isinstance(r, str) for r in requires):
            return "apply.requires: At least one required artifact"
        tracks = apply.get("tracks")
        if tracks is not None and not _relative_path_ok(tracks):
            return "apply.tracks must be a relative path"
        if "instruction" in apply and not isinstance(apply["instruction"], str):
            return "apply.instruction: expected string"
        if any(r not in ids for r in requires):
            return "Invalid apply.requires reference"
    graph = {a["id"]: a.get("requires", []) for a in artifacts}
    state: dict = {}

    def cyclic(node) -> bool:
        state[node] = 1
        for dep in graph.get(node, []):
            if state.get(dep) == 1 or (dep not in state and cyclic(dep)):
                return True
        state[node] = 2
        return False

    if any(node not in state and cyclic(node) for node in graph):
        return "Cyclic dependency"
    return None


# -- change metadata (utils/change-metadata.js, core/change-metadata/schema.js) ----------------

_KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _metadata_issue(data):
    """The first issue of ChangeMetadataSchema.safeParse, as (path, message), or None."""
    if not isinstance(data, dict):
        return "", f"Invalid input: expected object, received {_kind(data)}"
    schema = data.get("schema")
    if not isinstance(schema, str):
        return "schema", f"Invalid input: expected string, received {'undefined' if 'schema' not in data else _kind(schema)}"
    if not schema:
        return "schema", "schema is required"
    checks = (("created", lambda v: isinstance(v, str), "string"),
              ("goal", lambda v: isinstance(v, str), "string"))
    for key, ok, expected in checks:
        if key in data and not ok(data[key]):
            return key, f"Invalid input: expected {expected}, received {_kind(data[key])}"
    if "created" in data and not _DATE.match(data["created"]):
        return "created", "created must be YYYY-MM-DD format"
    if "goal" in data and not data["goal"]:
        return "goal", "Too small: expected string to have >=1 characters"
    if "affected_areas" in data:
        areas = data["affected_areas"]
        if not isinstance(areas, list):
            return "affected_areas", f"Invalid input: expected array, received {_kind(areas)}"
        for k, area in enumerate(areas):
            if not isinstance(area, str) or not area:
                return f"affected_areas.{k}", "Invalid input: expected a non-empty string"
    if "initiative" in data:
        initiative = data["initiative"]
        if not isinstance(initiative, dict):
            return "initiative", f"Invalid input: expected object, received {_kind(initiative)}"
        for key in ("store", "id"):
            value = initiative.get(key)
            if not isinstance(value, str) or not _KEBAB.match(value):
                return f"initiative.{key}", "must be kebab-case with lowercase letters, numbers, and single hyphen separators"
        extra = [k for k in initiative if k not in ("store", "id")]
        if extra:
            return "initiative", f'Unrecognized key: "{extra[0]}"'
    for key in ("skip_specs", "retire_capabilities"):
        if key in data and not isinstance(data[key], bool):
            return key, f"Invalid input: expected boolean, received {_kind(data[key])}"
    return None


class _Metadata:
    """`.openspec.yaml` of one change: the data, the markers OpenSpec honors, and problems."""

    def __init__(self, repo, project: _Project, change: str):
        self.path = _join(change, ".openspec.yaml")
        self.data = None
        self.markers = []
        self.problem = None  # why a set skip_specs is not honored (LStr)
        self.valid = True  # readChangeMetadata would not throw
        self.schema = None  # its schema name when valid
        kind = _stat_kind(repo, self.path)
        if kind is None:
            return
        if kind == "dir":
            self.valid = False
            self.problem = _lstr("the metadata file cannot be read (it is a folder)", self.path, None)
            return
        try:
            raw = repo.read_text(self.path)
        except ArtifactError as exc:
            self.valid = False
            self.problem = _lstr(f"the metadata file cannot be read ({exc.message})", self.path, None)
            return
        key_line = _marker_line(raw, "skip_specs")
        try:
            data = read_yaml(raw, self.path)
        except _YamlError:
            self.valid = False
            if key_line is not None:
                self.problem = _lstr("the file is not valid YAML", self.path, key_line)
            return
        self.data = data
        issue = _metadata_issue(data)
        if issue is not None:
            self.valid = False
            mentioned = isinstance(data, dict) and "skip_specs" in data and data["skip_specs"] is not False
            if mentioned:
                where, message = issue
                self.problem = _lstr(f"{where}: {message}" if where else message, self.path, key_line)
            return
        schema = str(data["schema"])
        if schema not in project.list_schemas():
            self.valid = False
        else:
            self.schema = schema
        for key in ("skip_specs", "retire_capabilities"):
            if data.get(key) is not True:
                continue
            line = _marker_line(raw, key)
            if schema not in project.list_schemas():
                reason = f"schema: unknown schema '{schema}'"
            else:
                try:
                    project.resolve(schema)
                    reason = None
                except _SchemaError as exc:
                    reason = str(exc)
            if reason is None:
                self.markers.append(_lstr(key, self.path, line))
            elif key == "skip_specs":
                self.problem = _lstr(reason, self.path, line)


def _marker_line(raw: str, key: str):
    """Line of the `key:` that readBooleanMarker's pattern finds (../utils/change-metadata.js:217)."""
    space = rx_for(raw).SPACES.pattern.rstrip("+")
    m = re.search(r"^" + space + r"*(['\"]?)" + key + r"\1" + space + "*:", raw, re.M)
    return raw.count("\n", 0, m.end() - 1) + 1 if m else None


# -- a change ----------------------------------------------------------------------------------

_CHANGE_ROOT_FILES = (".openspec.yaml", "proposal.md", "tasks.md", "design.md")


def _project_for(repo, change: str) -> _Project:
    """The OpenSpec folder a change belongs to: `openspec/` for `openspec/changes/<id>` and for
    an archived `openspec/changes/archive/<id>` (../commands/validate.js:546 passes the root for those)."""
    changes = posixpath.dirname(change)
    if posixpath.basename(changes) == "archive" and posixpath.basename(posixpath.dirname(changes)) == "changes":
        changes = posixpath.dirname(changes)
    openspec_dir = posixpath.dirname(changes) or "."
    return repo.memo(("openspec-project", openspec_dir), lambda: _Project(repo, openspec_dir))


def _schema_name(repo, project: _Project, change: str, metadata: _Metadata | None = None) -> str:
    """resolveSchemaForChange (../utils/change-metadata.js:117): raises _SchemaError when metadata is invalid."""
    metadata = metadata or _metadata(repo, project, change)
    if not metadata.valid:
        raise _SchemaError("invalid change metadata")
    if metadata.schema:
        return metadata.schema
    return project.config_schema() or "spec-driven"


def _metadata(repo, project, change) -> _Metadata:
    return repo.memo(("openspec-metadata", change), lambda: _Metadata(repo, project, change))


def _outputs(repo, change: str, generates: str) -> list:
    """resolveArtifactOutputs (artifact-graph/outputs.js:92): the files an artifact's path or glob names."""
    pattern = generates.replace("\\", "/")
    if any(ch in pattern for ch in "*?["):
        try:
            matches = repo.glob(_join(change, pattern))
        except ArtifactError:
            return []
        prefix = len(change) + 1 if change != "." else 0
        return sorted(p for p in matches if _stat_kind(repo, p) == "file"
                      and not any(part.startswith(".") for part in p[prefix:].split("/")))
    path = posixpath.normpath(_join(change, pattern))
    return [path] if _stat_kind(repo, path) == "file" else []


def _looks_like_change(repo, project, rel: str) -> bool:
    """looksLikeChange (../utils/nested-change.js:62)."""
    if any(_stat_kind(repo, _join(rel, name)) == "file" for name in _CHANGE_ROOT_FILES):
        return True
    try:
        if _any_file_under(repo, _join(rel, "specs")):
            return True
    except OSError:
        pass
    try:
        schema = project.resolve(_schema_name(repo, project, rel, _Metadata(repo, project, rel)))
    except _SchemaError:
        return False
    return any(_outputs(repo, rel, a["generates"]) for a in schema["artifacts"])


def _nested(repo, project, change: str, name: str) -> list:
    """findNestedChangesIn (../utils/nested-change.js:136)."""
    if name == "archive" or name.startswith("."):
        return []
    if _looks_like_change(repo, project, change):
        return []
    try:
        entries = _listdir(repo, change)
    except OSError:
        entries = []
    if any(not e.name.startswith(".") and not e.is_dir for e in entries):
        return []
    found = []

    def collect(rel, prefix, depth):
        if depth > 3:
            return
        try:
            children = [e.name for e in _listdir(repo, rel) if e.is_dir and not e.name.startswith(".")]
        except OSError:
            return
        for child in children:
            path, ident = _join(rel, child), f"{prefix}/{child}"
            if _looks_like_change(repo, project, path):
                found.append(ident)
                continue
            collect(path, ident, depth + 1)

    collect(change, name, 1)
    return sorted(found)


@_no_gc
def _change(repo, change: str) -> Record:
    kind = _stat_kind(repo, change)
    if kind is None:
        raise ArtifactMissing(change, "change folder not found")
    if kind != "dir":
        raise ArtifactError(change, "is a file, expected a change folder")
    name = posixpath.basename(change)
    project = _project_for(repo, change)
    specs = _join(change, "specs")
    fields = {"path": PathValue(change, Loc(change)), "name": _lstr(name, change, None)}

    def lazy(fn):
        return Lazy(fn)

    def deltas():
        try:
            found = _discover_specs(repo, specs)
        except NotADirectoryError:
            found = []
        except OSError as exc:
            raise ArtifactError(specs, f"cannot read: {exc.strerror or exc}") from None
        return [load_openspec(repo, path) for _, path in found]

    def root_spec():
        path = _join(specs, "spec.md")
        return PathValue(path, Loc(path)) if _stat_kind(repo, path) == "file" else None

    def notes():
        try:
            return [PathValue(p, Loc(p)) for p in _notes(repo, specs)]
        except OSError as exc:
            raise ArtifactError(specs, f"cannot read: {exc.strerror or exc}") from None

    def specs_has_files():
        try:
            return _any_file_under(repo, specs)
        except OSError:
            return True  # validation/validator.js:433-435: an unreadable specs/ fails closed

    def tasks_state():
        return repo.memo(("openspec-tasks", change), lambda: _tasks_state(repo, project, change))

    fields.update({
        "nested": lazy(lambda: [_lstr(n, change, None) for n in _nested(repo, project, change, name)]),
        "deltas": lazy(deltas),
        "root_spec": lazy(root_spec),
        "notes": lazy(notes),
        "metadata": lazy(lambda: _metadata(repo, project, change).data),
        "markers": lazy(lambda: list(_metadata(repo, project, change).markers)),
        "metadata_problem": lazy(lambda: _metadata(repo, project, change).problem),
        "specs_has_files": lazy(specs_has_files),
        "schema": lazy(lambda: tasks_state()["schema"]),
        "task_files": lazy(lambda: tasks_state()["task_files"]),
        "tasks_tracked": lazy(lambda: tasks_state()["tasks_tracked"]),
        "task_numbering": lazy(lambda: tasks_state()["task_numbering"]),
        "tasks": lazy(lambda: tasks_state()["tasks"]),
        "numbered_tasks": lazy(lambda: tasks_state()["numbered_tasks"]),
    })
    return _rec("OpenSpecChange", change, None, fields)


@_no_gc
def _tasks_state(repo, project: _Project, change: str) -> dict:
    """collectTaskFileIssues (validation/validator.js:470): which task files OpenSpec reads, and how."""
    schema_name = None
    tracked = []
    try:
        schema_name = _schema_name(repo, project, change)
        schema = project.resolve(schema_name)
        tracks = (schema.get("apply") or {}).get("tracks")
        if tracks is not None:
            artifact = next((a for a in schema["artifacts"] if a.get("generates") == tracks), None)
        else:
            artifact = next((a for a in schema["artifacts"] if a.get("id") == "tasks"), None)
        generates = artifact.get("generates") if artifact else None
        tracked = _outputs(repo, change, generates) if generates else []
    except _SchemaError:
        tracked = []
    numbering = False
    try:
        name = re.sub(r"\.ya?ml\Z", "", schema_name if schema_name is not None else _schema_name(repo, project, change))
        numbering = name == "spec-driven" and project.schema_dir("spec-driven") == _BUILTIN
    except _SchemaError:
        numbering = False
    files = tracked or [_join(change, "tasks.md")]
    docs, unreadable = [], 0
    for path in files:
        kind = _stat_kind(repo, path)
        if kind is None:
            continue
        try:
            docs.append(_document(repo, path))
        except ArtifactError:
            unreadable += 1
    docs.sort(key=lambda d: d.path)
    try:
        loaded = project.resolve(schema_name) if schema_name else None
    except _SchemaError:
        loaded = None
    tasks, numbered = [], []
    for doc in docs:
        tasks.extend(doc.record.get("tasks"))
        doc_path = PathValue(doc.path, Loc(doc.path))
        for i, ident, group in doc.numbered_tasks():
            located = doc.at(ident, i)
            numbered.append(_rec("OpenSpecNumberedTask", doc.path, i + 1, {
                "text": located, "id": located, "group": doc.at(group, i),
                "id_group": doc.at(ident.split(".")[0], i), "path": doc_path, "line": i + 1}))
    return {"schema": _lstr(re.sub(r"\.ya?ml\Z", "", schema_name), change, None) if loaded is not None else None,
            "task_files": [d.record for d in docs], "tasks_tracked": bool(tracked) and unreadable == 0,
            "task_numbering": numbering, "tasks": tasks, "numbered_tasks": numbered}
