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

Source locations in this package (`parsers/requirement-blocks.js:21`) are files of the npm
package's compiled `dist/core/`; the package ships no TypeScript.

Known limits: schemas are looked up in the project (`openspec/schemas/`) and OpenSpec's
built-in `spec-driven`, never in the user's data folder (policylint reads nothing outside
the repository); a project schema's `generates` globs are matched without brace or
extglob expansion; symlinked change folders are read (OpenSpec skips them).
"""
from __future__ import annotations

from .change import load_openspec_change
from .document import load_openspec
from .yamlread import YamlError, read_yaml

__all__ = ["YamlError", "load_openspec", "load_openspec_change", "read_yaml"]
