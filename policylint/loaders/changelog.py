"""changelog(path): a Keep a Changelog file as versions, their dates and their grouped entries.

Reads the format of https://keepachangelog.com/en/1.1.0/ :

    ## [Unreleased]
    ### Added
    - Something new.

    ## [1.1.0] - 2019-02-15
    ### Fixed
    - A bug.

    ## [1.0.0] - 2017-06-20 [YANKED]

    [unreleased]: https://github.com/o/r/compare/v1.1.0...HEAD
    [1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0

`every v in changelog` walks `changelog.versions`. Fields of `Changelog`:

- `versions`: every version heading, in document order (Keep a Changelog puts the newest
  first, Unreleased above them all).
- `unreleased`: the first `Unreleased` version, or null when there is none.
- `released`: the versions that are not `Unreleased`.
- `latest`: the first released version in document order (the newest, in a file that keeps
  the format's order; a yanked version counts), or null.
- `orphans`: group headings (`### Added` …) that are not under any version heading.
- `path`: the file.

A `ChangelogVersion` is located at its heading and has:

- `version`: the version as written, without brackets or link (`1.1.0`, `v2.0.0-rc.1`,
  `Unreleased`); `text` is the same, so a version compares as its string
  (`changelog.versions contains "1.1.0"`, `duplicates(changelog.versions)`).
- `title`: the whole heading as written, after the `#`s (`[1.0.0] - 2017-06-20 [YANKED]`),
  for policies that insist on the exact form.
- `date`: the ISO date (`YYYY-MM-DD`) after the version, or null: when there is none, when
  it is written another way (`August 11, 2016`), or when it is no real date (`2023-02-30`).
- `date_text`: what follows the version once the separator (`-`, `–`, `—`, `/`, `:`),
  brackets or parentheses around it and `[YANKED]` are removed, as written; empty when
  nothing follows. `date == null and date_text != ""` is a date in another format.
- `yanked`: the heading carries `[YANKED]` (any case).
- `unreleased`: the version is `Unreleased` (any case, with or without brackets).
- `url`: the version's link, from the heading (`## [1.0.0](https://…)`) or from a link
  reference definition (`[1.0.0]: https://…`, labels matched without case), or null.
- `groups`: the entries by group name: `groups.Added`, `groups.Changed`,
  `groups.Deprecated`, `groups.Removed`, `groups.Fixed`, `groups.Security` (each an empty
  list when the version has no such group), and any other group by its name as written,
  `groups["Updated"]` (null when absent). Two headings of the same name add up.
- `sections`: the group headings in order (`ChangelogGroup`: `name`, `text` the same,
  `known` one of the six names above spelled exactly so, `level`, `line`, `entries`).
- `entries`: every entry of the version in document order, grouped or not.
- `line`: the heading's line number.

A `ChangelogEntry` is a top-level list item under a version, located at its first line:
`text` (its first paragraph, lines joined with spaces, Markdown kept as written so links
and `#123` references stay readable), `body` (the whole item: every line, nested lists,
code and later paragraphs, indentation removed), `group` (the group's name, or empty for
an item written under the version before any group heading), `version`, `line`.

What is a version: a level-2 heading (`##`) whose first word, bracketed or not, linked or
not, is `Unreleased` or starts with a digit or `v` and a digit. A level-3 heading under a
version is a group; a level-2 heading named like one of the six groups (`## Fixed`) is read
as a group of the version above it (`level` says so). Deeper headings (`####`) belong to
their group. Any other level-1 or level-2 heading ends the version above it; group headings
after it are `orphans`. Text that is not a list item (a paragraph under a version or a
group) is not an entry.

Errors and data. The file must exist and hold at least one version heading: a file with
none (not a Keep a Changelog file, or an empty one) is an error, never an empty list. The
rest is data a policy checks, because real changelogs do all of it:

| what | how a policy sees it |
| --- | --- |
| a version without a date | `v.date == null and v.date_text == ""` |
| a date in another format | `v.date == null and v.date_text != ""` |
| a yanked version | `v.yanked` |
| a group outside any version | `changelog.orphans` |
| an unknown or misspelled group (`### Updated`, `### deprecated`) | `g.known` over `v.sections` |
| the same group twice in a version | `duplicates(v.sections)` |
| the same version twice | `duplicates(changelog.versions)` |
| a version without a link | `v.url == null` |
| no Unreleased section | `changelog.unreleased == null` |
"""
from __future__ import annotations

import datetime
import re

from ..errors import ArtifactError
from ..fastpath import gc_paused
from ..patterns import lazy
from ..signature import loader
from ..types import BOOL, DATE, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, Record
from .markdown import load_markdown, parse_markdown

KNOWN_GROUPS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
_KNOWN_LOWER = {name.lower(): name for name in KNOWN_GROUPS}

ENTRY = record("ChangelogEntry", "A change: a list item under a version.", {
    "text": (STR, "its first paragraph, lines joined with spaces, Markdown as written"),
    "body": (STR, "the whole item, every line, indentation removed"),
    "group": (STR, "the name of its group heading, or empty when it has none"),
    "version": (STR, "the version it belongs to, or empty for an orphan group's entry"),
    "line": (NUMBER, "line number of its first line"),
})
GROUP = record("ChangelogGroup", "A group heading (`### Added`) and its entries.", {
    "name": (STR, "the heading's title, inline markup removed"),
    "text": (STR, "the same as name"),
    "known": (BOOL, "one of Added, Changed, Deprecated, Removed, Fixed, Security, spelled exactly so"),
    "level": (NUMBER, "3 for `###` (2 for a group written as `##`)"),
    "line": (NUMBER, "line number of the heading"),
    "entries": (List(ENTRY), "its list items"),
})
GROUPS = record("ChangelogGroups", "A version's entries by group name; other groups by name: `groups[\"Updated\"]`.", {
    name: (List(ENTRY), f"entries under `### {name}` (empty when there is none)") for name in KNOWN_GROUPS
})
VERSION = record("ChangelogVersion", "A version heading and its changes.", {
    "version": (STR, "the version as written, without brackets: `1.1.0`, `Unreleased`"),
    "text": (STR, "the same as version"),
    "title": (STR, "the heading as written, after the `#`s"),
    "date": (DATE, "the YYYY-MM-DD date after the version, or null"),
    "date_text": (STR, "what follows the version (separator, brackets and [YANKED] removed), or empty"),
    "yanked": (BOOL, "the heading says [YANKED]"),
    "unreleased": (BOOL, "this is the Unreleased section"),
    "url": (STR, "its link (inline or a reference definition), or null"),
    "groups": (GROUPS, "entries by group name: groups.Added, groups[\"Updated\"]"),
    "sections": (List(GROUP), "the group headings, in order"),
    "entries": (List(ENTRY), "every entry, in document order"),
    "line": (NUMBER, "line number of the heading"),
})
CHANGELOG = record("Changelog", "A Keep a Changelog file; walking it walks its versions.", {
    "versions": (List(VERSION), "every version heading, in document order"),
    "unreleased": (VERSION, "the Unreleased section, or null"),
    "released": (List(VERSION), "the versions that are not Unreleased"),
    "latest": (VERSION, "the first released version in document order, or null"),
    "orphans": (List(GROUP), "group headings outside any version"),
    "path": (PATH, "the file"),
}, iterates="versions")


@loader("changelog", args={"path": STR}, returns=CHANGELOG,
        doc="A Keep a Changelog file: versions with dates, the Unreleased section, entries by group.")
def load_changelog(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("changelog", relpath), lambda: changelog_from_markdown(load_markdown(repo, relpath)))


def parse_changelog(text: str, relpath: str) -> Record:
    """The `Changelog` record of `text`, as if read from `relpath` (pure; no file access)."""
    return changelog_from_markdown(parse_markdown(text, relpath))


# -- a version heading -------------------------------------------------------------------

# The first word: `[1.0.0]`, `[1.0.0](url)`, `[1.0.0][ref]`, or a bare `1.0.0` / `v1.0.0`.
_HEAD = lazy(
    r"\[(?P<bracketed>[^\[\]]{1,200})\]"
    r"(?:\((?P<url>[^()\s]{0,2000})(?:\s+(?:\"[^\"]*\"|'[^']*'))?\)|\[(?P<ref>[^\[\]]{0,200})\])?"
    r"|(?P<bare>[^\s\[\]()]{1,200})")
_VERSION_LIKE = lazy(r"v?\d|unreleased$", re.I)
_YANKED = lazy(r"\[\s*yanked\s*\]", re.I)
_SEPARATORS = " \t-–—/:|,"
_ISO_DATE = lazy(r"\d{4}-\d{2}-\d{2}")
_CLOSING_HASHES = lazy(r"(?:^|[ \t]+)#+[ \t]*$")
_LINK_DEFINITION = lazy(r" {0,3}\[([^\]]{1,999})\]:[ \t]*<?([^\s>]+)>?")


def _raw_title(line_text: str) -> str:
    """The heading's title as written: ATX marks and closing `#`s removed (setext: the line)."""
    text = line_text.strip()
    if text.startswith("#"):
        text = text.lstrip("#")
        text = _CLOSING_HASHES.sub("", text)
    return text.strip()


def _parse_version_title(title: str):
    """(version, link, link label, rest) when `title` opens with a version, else None."""
    m = _HEAD.match(title)
    if m is None:
        return None
    if m.group("bracketed") is not None:
        version = m.group("bracketed").strip()
        url, label = m.group("url"), m.group("ref") or version
    else:
        version = m.group("bare").rstrip(":,;")
        url, label = None, version
    if not _VERSION_LIKE.match(version):
        return None
    return version, url, label, title[m.end():]


def _date_part(rest: str):
    """(yanked, date_text, date) from what follows the version on its heading."""
    yanked = _YANKED.search(rest) is not None
    text = _YANKED.sub(" ", rest).strip(_SEPARATORS)
    if len(text) >= 2 and (text[0], text[-1]) in (("(", ")"), ("[", "]")):
        text = text[1:-1].strip()
    date = None
    if _ISO_DATE.fullmatch(text):
        try:
            date = datetime.date.fromisoformat(text)
        except ValueError:
            date = None
    return yanked, text, date


# -- entries -----------------------------------------------------------------------------

_ITEM = lazy(r"([-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_FENCE = lazy(r"(`{3,}|~{3,})")
_THEMATIC_BREAK = lazy(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")


class _Item:
    __slots__ = ("line", "column", "content", "lines", "blank", "paragraph")

    def __init__(self, line: int, column: int, content: int, first: str):
        self.line = line  # 1-based line number
        self.column = column  # 1-based column of the text
        self.content = content  # column (0-based) where the item's content starts
        self.lines = [first]
        self.blank = False  # a blank line since the last text
        self.paragraph = bool(first)  # a paragraph is open: an unindented line may continue it


def _entries(lines: list, start: int, end: int, heading_lines: set) -> list:
    """The top-level list items among `lines[start:end]`, as `_Item`s."""
    items = []
    current = None
    for line in lines[start:end]:
        fields = line.fields  # Line records are plain: skip the lazy-field lookups of Record.get
        if fields["in_comment"]:
            continue
        raw = str(fields["text"])
        expanded = raw.expandtabs(4) if "\t" in raw else raw
        stripped = expanded.lstrip(" ")
        indent = len(expanded) - len(stripped)
        if not stripped:
            if current is not None:
                current.blank = True
                current.paragraph = False
                current.lines.append("")
            continue
        in_code = fields["in_code"]
        if fields["number"] in heading_lines or (not in_code and _THEMATIC_BREAK.match(stripped)):
            current = None
            continue
        if in_code:
            if current is not None and indent >= current.content:
                current.lines.append(expanded[current.content:])
                current.paragraph = False
            else:
                current = None
            continue
        if indent < 4 and (current is None or indent < current.content):
            m = _ITEM.match(stripped)
            if m is not None:
                marker, gap = len(m.group(1)), m.end() - len(m.group(1))
                text = stripped[m.end():].rstrip()
                # CommonMark: the content starts after the spaces that follow the marker, or
                # one space after it when there are five or more (indented code) or no text.
                content = indent + marker + (gap if text and gap <= 4 else 1)
                current = _Item(fields["number"], indent + m.end() + 1, content, text)
                items.append(current)
                continue
        if current is not None and (indent >= current.content or current.paragraph) \
                and not _LINK_DEFINITION.match(raw):
            current.lines.append(expanded[min(indent, current.content):].rstrip())
            current.blank = False
            current.paragraph = True
            continue
        current = None  # a paragraph or a definition outside the list ends the item
    return items


def _entry_text(item: _Item) -> tuple:
    """(first paragraph joined with spaces, the whole item)."""
    body = list(item.lines)
    while body and not body[-1].strip():
        body.pop()
    first = []
    for k, text in enumerate(body):
        stripped = text.strip()
        if not stripped or (k and (_ITEM.match(stripped) or _FENCE.match(stripped))):
            break
        first.append(stripped)
    return " ".join(first), "\n".join(body)


def _entry_records(items: list, path: str, group: str, version: str) -> list:
    out = []
    for item in items:
        text, body = _entry_text(item)
        loc = Loc(path, item.line)
        out.append(Record("ChangelogEntry", loc, text=LStr(text, Loc(path, item.line, item.column)),
                          body=LStr(body, loc), group=group, version=version, line=item.line))
    return out


# -- the file ----------------------------------------------------------------------------

def changelog_from_markdown(doc: Record) -> Record:
    """The `Changelog` record of a parsed Markdown file."""
    with gc_paused():
        return _changelog(doc)


def _definitions(lines: list) -> dict:
    """Link reference definitions outside code: lowercased label -> URL (the first wins)."""
    found = {}
    for line in lines:
        fields = line.fields
        text = fields["text"]
        if "]:" not in text or fields["in_code"] or fields["in_comment"]:
            continue
        m = _LINK_DEFINITION.match(text)
        if m:
            found.setdefault(" ".join(m.group(1).split()).lower(), m.group(2))
    return found


def _changelog(doc: Record) -> Record:
    path = str(doc["path"])
    lines = doc["lines"]
    headings = doc["headings"]
    heading_lines = {h["line"] for h in headings}
    definitions = None  # read on the first version that needs them
    # Where each heading's own text ends: at the next heading of level 3 or higher.
    ends = [len(lines)] * len(headings)
    following = len(lines)
    for k in range(len(headings) - 1, -1, -1):
        ends[k] = following
        if headings[k]["level"] <= 3:
            following = headings[k]["line"] - 1

    versions, orphans = [], []
    current = None  # the fields of the version being read

    def group(heading, k) -> Record:
        name = str(heading["text"])
        version = current["version"] if current is not None else ""
        entries = _entry_records(_entries(lines, heading["line"], ends[k], heading_lines), path,
                                 LStr(name, heading["text"].loc), version)
        return Record("ChangelogGroup", heading.loc, name=heading["text"], text=heading["text"],
                      known=name in KNOWN_GROUPS, level=heading["level"], line=heading["line"],
                      entries=entries)

    for k, heading in enumerate(headings):
        level = heading["level"]
        if level >= 4:
            continue  # part of the group or version text above it
        number = heading["line"]
        if level <= 2:
            title = _raw_title(str(lines[number - 1]["text"]))
            parsed = _parse_version_title(title) if level == 2 else None
            if parsed is not None:
                version, url, label, rest = parsed
                yanked, date_text, date = _date_part(rest)
                loc = Loc(path, number)
                if url is None:
                    if definitions is None:
                        definitions = _definitions(lines)
                    url = definitions.get(" ".join(label.split()).lower())
                version_text = LStr(version, loc)
                current = {
                    "version": version_text, "text": version_text, "title": LStr(title, loc),
                    "date": date, "date_text": LStr(date_text, loc), "yanked": yanked,
                    "unreleased": version.lower() == "unreleased",
                    "url": LStr(url, loc) if url is not None else None,
                    "sections": [],
                    "entries": _entry_records(_entries(lines, number, ends[k], heading_lines), path,
                                              LStr("", loc), version_text),
                    "line": number,
                }
                versions.append(current)
                continue
            if not (level == 2 and str(heading["text"]).lower() in _KNOWN_LOWER):
                current = None  # `# Changelog`, `## Contributors`: not a version
                continue
        rec = group(heading, k)
        (current["sections"] if current is not None else orphans).append(rec)

    if not versions:
        raise ArtifactError(path, "no version headings: a Keep a Changelog file has `## [Unreleased]` "
                                  "or `## [1.0.0] - 2024-05-01` headings")

    records = []
    for fields in versions:
        by_name = {name: [] for name in KNOWN_GROUPS}
        entries = list(fields["entries"])
        for section in fields["sections"]:
            by_name.setdefault(str(section["name"]), []).extend(section["entries"])
            entries.extend(section["entries"])
        entries.sort(key=lambda entry: entry["line"])
        loc = Loc(path, fields["line"])
        fields["groups"] = Record("ChangelogGroups", loc, **by_name)
        fields["entries"] = entries
        records.append(Record("ChangelogVersion", loc, **{name: fields[name] for name in VERSION.fields}))

    released = [v for v in records if not v["unreleased"]]
    return Record("Changelog", Loc(path), versions=records,
                  unreleased=next((v for v in records if v["unreleased"]), None),
                  released=released, latest=released[0] if released else None,
                  orphans=orphans, path=doc["path"])
