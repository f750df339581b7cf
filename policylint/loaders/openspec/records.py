"""The record types of the `openspec` and `openspec_change` views (described in the package's docstring)."""
from __future__ import annotations

from ...types import ANY, BOOL, NUMBER, PATH, STR, List, record

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
