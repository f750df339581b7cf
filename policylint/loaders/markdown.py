"""markdown(path): a Markdown file as headings, a section tree, checkboxes, tables, links and code.

Every record is located at its file and line, and every string that comes from one line
is located too, so a failing gate points at `spec.md:42` without being asked.

Fields of `Markdown`:

- `path`: the file, relative to the repository root.
- `text`: the whole text, newlines normalized to `\\n`.
- `lines`: every line, as `Line` records (`text`, `number` from 1, `in_code` inside a
  fenced or indented code block, `in_comment` inside an HTML comment block).
- `headings`: every heading in document order (`#` to `######` and `===`/`---` underlined).
- `sections`: the top-level headings; each `Heading` has `children`, so this is the tree.
- `checkboxes`: task-list items `- [ ] text` / `1. [x] text` at any depth (`text`,
  `checked`, `mark` the character in the box, `line`, `section` the heading above it).
- `tables`: GitHub pipe tables (`header` cells, `rows`, `line` of the header row,
  `section`). Each row is a record keyed by the header names (`row["Test File"]`),
  plus `cells` and `line`; every cell is located at its line and column.
- `links`: inline `[text](target)`, reference `[text][ref]` and `<https://…>` links
  (`text`, `target`, `line`). Images and bare URLs are not links here.
- `code_blocks`: fenced and indented code (`lang` from the info string, `text`, `line`
  of the opening fence or first line).
- `front_matter`: the YAML front matter between `---` lines at the top of the file, or
  null when there is none; read as the `yaml` loader reads YAML (every string located,
  the same limits). Invalid YAML is an error located at its line.
- `meta`: the `**Key**: value` / `**Key:** value` label lines outside code, as a map from
  the key as written to the trimmed value; the first occurrence of a key wins.

A `Heading` has `text` (its title, inline markup removed: `User Scenarios & Testing
*(mandatory)*` reads `User Scenarios & Testing (mandatory)`), `title` (the same), `level`,
`line`, `body` (the text under it down to the next heading of the same or a higher level,
subsections included), `lines`, `children`, and the `checkboxes` and `tables` in its body.

Structure follows CommonMark and GitHub's table and task-list extensions, the way
GitHub renders the file: nothing inside code blocks, HTML comments or HTML blocks counts,
and an unclosed fence runs to the end of the file. Known simplifications: content inside
`>` block quotes is read as plain text, and a checkbox's `text` is its first line only.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import partial
from itertools import accumulate, chain, compress, count
from operator import add, or_

from .files import LINE, line_records
from ..fastpath import made_paused, new_object, new_str, new_tuple
from ..patterns import lazy
from ..signature import loader
from ..types import ANY, BOOL, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record, new_lazy, new_loc, new_lstr, new_record

# -- record types ------------------------------------------------------------------------

CHECKBOX = record("Checkbox", "A task-list item: `- [ ] text` or `- [x] text`.", {
    "text": (STR, "the item's text after the box (its first line)"),
    "checked": (BOOL, "the box holds `x` or `X`"),
    "mark": (STR, "the character in the box"),
    "line": (NUMBER, "line number"),
    "section": (STR, "title of the nearest heading above, or empty"),
})
ROW = record("Row", "A table row; `row[\"Header\"]` reads a cell by its column's header.", {
    "cells": (List(STR), "the cells in column order"),
    "line": (NUMBER, "line number"),
})
TABLE = record("Table", "A pipe table.", {
    "header": (List(STR), "the header cells, inline markup removed"),
    "rows": (List(ROW), "the body rows"),
    "line": (NUMBER, "line number of the header row"),
    "section": (STR, "title of the nearest heading above, or empty"),
})
LINK = record("Link", "A link.", {
    "text": (STR, "the link text, inline markup removed"),
    "target": (STR, "where it points, as written"),
    "line": (NUMBER, "line number"),
})
CODE_BLOCK = record("CodeBlock", "A fenced or indented code block.", {
    "lang": (STR, "first word of the fence's info string, or empty"),
    "text": (STR, "the code, without the fences"),
    "line": (NUMBER, "line number of the opening fence (or first line)"),
})
HEADING = record("Heading", "A heading and the section it opens.", {
    "text": (STR, "the title, inline markup removed"),
    "title": (STR, "the title (same as text)"),
    "level": (NUMBER, "1 for `#` … 6 for `######`"),
    "line": (NUMBER, "line number"),
    "body": (STR, "text under the heading, subsections included (located at the heading)"),
    "lines": (List(LINE), "the lines of the body"),
    "checkboxes": (List(CHECKBOX), "checkboxes in the body, subsections included"),
    "tables": (List(TABLE), "tables in the body, subsections included"),
})
HEADING.fields["children"] = (List(HEADING), "the subsections, one level down")
MARKDOWN = record("Markdown", "A Markdown file.", {
    "path": (PATH, "the file"),
    "text": (STR, "the whole text"),
    "lines": (List(LINE), "every line"),
    "headings": (List(HEADING), "every heading, in document order"),
    "sections": (List(HEADING), "the top-level headings (the roots of the section tree)"),
    "checkboxes": (List(CHECKBOX), "every task-list checkbox"),
    "tables": (List(TABLE), "every pipe table"),
    "links": (List(LINK), "every link"),
    "code_blocks": (List(CODE_BLOCK), "every code block"),
    "front_matter": (ANY, "the YAML front matter, or null"),
    "meta": (ANY, "`**Key**: value` label lines, key -> value"),
})


@loader("markdown", args={"path": STR}, returns=MARKDOWN,
        doc="A Markdown file: headings and sections, checkboxes, tables, links, code, front matter.")
def load_markdown(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("markdown", relpath), lambda: markdown_record(load_blocks(repo, relpath)))


# -- block scanner -----------------------------------------------------------------------
#
# One pass over the lines with a small CommonMark state: the open list items (by the
# column their content starts at), the open paragraph, and whether the line is inside a
# fence, an HTML block or a table. That is all it takes to tell a heading from a `#` in a
# code block, at about a microsecond a line; markdown-it-py takes some forty.

_ATX = lazy(r"(#{1,6})(?:[ \t](.*))?$")
_FENCE_OPEN = lazy(r"(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = lazy(r"(`{3,}|~{3,})[ \t]*$")
_THEMATIC_BREAK = lazy(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BREAK_CHARS = frozenset("-*_ \t")
_SETEXT = lazy(r"(?:=+|-+)[ \t]*$")
_ORDERED_MARKER = lazy(r"(\d{1,9})[.)]")
_CHECKBOX = lazy(r"\[([ xX])\][ \t]")
# `- [ ] text` at the margin, no pipe in the line, its text (group 2) plain: no block opens it
# (the characters of _BLOCK_START). `\s*` skips what str.lstrip() strips.
_MARGIN_CHECKBOX = lazy(r"[-*+] \[([ xX])\][ \t]\s*(?![\s#`~<>*_+=0-9-])([^|]*)\Z")
_UNESCAPED_PIPE = lazy(r"(?<!\\)\|")
_DELIMITER_CELL = lazy(r":?-+:?$")
MAX_ITEMS_PER_LINE = 32  # `- - - … x` deeper than this is text: a hostile line stays linear
_BLOCK_START = frozenset("#`~<>-*_+=0123456789")  # first characters that may start a block
_BULLETS = frozenset("-*+")
_DIGITS = frozenset("0123456789")

_HTML_BLOCK_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|"
    "noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|"
    "thead|title|tr|track|ul")
_ATTRIBUTE = r"""(?:\s+[a-zA-Z_:][a-zA-Z0-9:._-]*(?:\s*=\s*(?:[^"'=<>`\x00-\x20]+|'[^']*'|"[^"]*"))?)"""
# CommonMark's seven kinds of HTML block: (start, end, may interrupt a paragraph).
# An end of None means the block ends before the next blank line.
_HTML_BLOCKS = (
    (lazy(r"<(?:script|pre|style|textarea)(?=\s|>|$)", re.I),
     lazy(r"</(?:script|pre|style|textarea)>", re.I), True),
    (lazy(r"<!--"), lazy(r"-->"), True),
    (lazy(r"<\?"), lazy(r"\?>"), True),
    (lazy(r"<![A-Za-z]"), lazy(r">"), True),
    (lazy(r"<!\[CDATA\["), lazy(r"\]\]>"), True),
    (lazy(r"</?(?:" + _HTML_BLOCK_TAGS + r")(?=\s|/?>|$)", re.I), None, True),
    (lazy(r"(?:<[A-Za-z][A-Za-z0-9-]*" + _ATTRIBUTE + r"*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$"),
     None, False),
)
_COMMENT_BLOCK = 1  # index of `<!--` in _HTML_BLOCKS


def _indent(line: str, stripped: str) -> int:
    """Columns of leading whitespace, tabs stopping at multiples of 4."""
    width = len(line) - len(stripped)
    if "\t" in line[:width]:
        return len(line[:width].expandtabs(4))
    return width


def _html_block(text: str, in_paragraph: bool):
    """The (end, is_comment) of the HTML block `text` opens, or None."""
    for kind, (start, end, interrupts) in enumerate(_HTML_BLOCKS):
        if start.match(text):
            if in_paragraph and not interrupts:
                return None
            return end, kind == _COMMENT_BLOCK
    return None


def _starts_block(text: str) -> bool:
    """True when `text` opens a block that ends a paragraph or a table from outside:
    a heading, a fence, a quote, an HTML block that may interrupt, a rule, a list item."""
    c = text[0]
    if c not in _BLOCK_START:
        return False
    if c == "#":
        return _ATX.match(text) is not None
    if c in "`~":
        return _fence_open(text) is not None
    if c == ">":
        return True
    if c == "<":
        return _html_block(text, True) is not None
    if c in "-*_" and _is_thematic_break(text):
        return True
    return _list_item(text, 0) is not None


def _parent_base(stack: list) -> int:
    """Content column of the container that holds the innermost list item."""
    return stack[-2] if len(stack) > 1 else 0


def _continues_lazily(lines, i, text, indent, stack) -> bool:
    """True when line `i`, left of the open list item's content, goes on with its paragraph.

    It does unless it starts a block; a list marker starts one only while it is less
    than 4 columns right of the list's own container (as markdown-it decides).
    """
    c = text[0]
    if c in _BLOCK_START:
        if c in "-*_" and _is_thematic_break(text):
            return False
        if c in _BULLETS or c in _DIGITS:
            if _list_item(text, indent) is not None:
                return indent >= _parent_base(stack) + 4
        elif _starts_block(text):
            return False
    return not ("|" in text and i + 1 < len(lines) and _table_starts(lines, i, text, stack[-1]))


def _emphasis(text: str, k: int) -> bool:
    """True when text[k:] opens with `*x`, `**x`, `_x` or `__x` (x not a space, `-`, `*` or
    `_`): emphasis, never a list item or a rule."""
    c = text[k]
    x = text[k + 1:k + 2]
    if x == c:
        x = text[k + 2:k + 3]
    return x != "" and x not in _BREAK_CHARS


def _checkbox_run(lines, i, box, checkboxes) -> int:
    """Record the checkbox `box` that opens line `i` at the margin (`- [ ] text`), and those of
    the lines like it right after (a task list's every line); the index after the last."""
    n = len(lines)
    match = _MARGIN_CHECKBOX.match
    while True:
        checkboxes.append((i, box.group(1), box.start(2) + 1))
        i += 1
        if i == n:
            return i
        box = match(lines[i])
        if box is None:
            return i


def _is_thematic_break(text: str) -> bool:
    """`---`, `***` or `___`, spaces allowed; the first test rejects `- item` and `**bold**`."""
    return len(text) >= 3 and text[1] in _BREAK_CHARS and text[2] in _BREAK_CHARS \
        and _THEMATIC_BREAK.match(text) is not None


def _marker(text: str) -> str:
    """The list marker `text` opens with (`.`/`)` for ordered items), or an empty string."""
    item = _list_item(text, 0)
    return item[3] if item else ""


def _atx_title(text: str | None) -> str:
    """The title without the optional closing `#`s (which need a space before them)."""
    title = (text or "").strip()
    bare = title.rstrip("#")
    if not bare:
        return ""
    if bare != title and bare[-1] in " \t":
        return bare.rstrip()
    return title


def _setext_title(lines, first, underline, column) -> str:
    """The title of the paragraph from line `first` (its text from `column`) to the underline."""
    return " ".join([lines[first][column:].strip()] + [lines[k].strip() for k in range(first + 1, underline)])


def _list_item(text: str, column: int):
    """(where the item's text starts in `text`, its content column relative to `text`,
    the ordered list's number or None, the marker: `-` `*` `+` `.` `)`) when `text`,
    found at `column`, opens a list item; else None."""
    c = text[0]
    if c in "-*+":
        width, number = 1, None
    elif c.isdigit():
        m = _ORDERED_MARKER.match(text)
        if m is None:
            return None
        width, number = m.end(), int(m.group(1))
    else:
        return None
    marker = text[width - 1]
    rest = text[width:]
    if not rest:
        return width, width + 1, number, marker
    if rest[0] != " " and rest[0] != "\t":
        return None
    content = rest.lstrip(" \t")
    gap = len(rest) - len(content)
    if "\t" in rest[:gap]:  # a tab reaches the next multiple of 4, counted from the line start
        start = column + width
        gap = len((" " * start + rest[:gap]).expandtabs(4)) - start
    if not content:
        return len(text), width + 1, number, marker
    if gap >= 5:  # the text is indented code inside the item: the item starts one space in
        return width + 1, width + 1, number, marker
    return len(text) - len(content), width + gap, number, marker


def _fence_open(text: str):
    m = _FENCE_OPEN.match(text)
    if m is None or (m.group(1)[0] == "`" and "`" in m.group(2)):
        return None
    return m


def _delimiter_columns(text: str) -> int:
    """Number of columns of a GFM table delimiter row (`|---|:-:|`), 0 if it is not one."""
    if len(text) < 2 or text[0] not in "|-:" or (text[0] == "-" and text[1] in " \t"):
        return 0
    if text.strip(" \t|-:"):
        return 0
    parts = text.rstrip().split("|")
    count = 0
    for k, part in enumerate(parts):
        part = part.strip()
        if not part:
            if k == 0 or k == len(parts) - 1:
                continue
            return 0
        if not _DELIMITER_CELL.match(part):
            return 0
        count += 1
    return count


def _split_row(line: str, offset: int = 0, limit: int | None = None):
    """The cells of a table row as (text, column from 1), `\\|` unescaped; the first `limit`
    only when given (a row of a million pipes under a two-column header is split twice).

    `offset` is how many characters of the full line precede `line`.
    """
    body = line.strip()
    offset += len(line) - len(line.lstrip()) + 1
    splits = -1 if limit is None else limit + 1  # + 1: an outer pipe before the first cell
    parts = _UNESCAPED_PIPE.split(body, max(splits, 0)) if "\\" in body else body.split("|", splits)
    last = len(parts) - 1
    cells = []
    position = 0
    for k, part in enumerate(parts):
        if part or 0 < k < last:  # an empty first or last part is the row's outer pipe
            lead = len(part) - len(part.lstrip())
            cells.append((part.strip().replace("\\|", "|"), offset + position + lead))
        position += len(part) + 1
    return cells if limit is None else cells[:limit]


class _Scan:
    """What the block pass found, as line indexes (0-based)."""

    __slots__ = ("in_code", "in_comment", "hidden", "headings", "checkboxes", "tables",
                 "code_blocks", "front_matter_end")

    def __init__(self, n: int):
        self.in_code = [False] * n
        self.in_comment = [False] * n
        self.hidden = [False] * n  # code, comments, HTML blocks, front matter
        self.headings = []  # (index, level, title as written, index of its last line)
        self.checkboxes = []  # (index, mark, column of the text: the rest of the line, trailing spaces cut)
        self.tables = []  # (header index, header text, [row indexes])
        self.code_blocks = []  # (index, lang, [content lines], index of the first content line)
        self.front_matter_end = -1  # index of the closing `---`, -1 when none


def _front_matter_end(lines: list) -> int:
    if not lines or lines[0].rstrip() != "---":
        return -1
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return i
    return -1


def scan_blocks(lines: list) -> _Scan:
    """The block structure of `lines` (CommonMark with GitHub tables and task items)."""
    n = len(lines)
    scan = _Scan(n)
    headings, checkboxes = scan.headings, scan.checkboxes

    fm_end = scan.front_matter_end = _front_matter_end(lines)
    for k in range(fm_end + 1):
        scan.hidden[k] = True

    stack = []  # content column of each open list item, innermost last
    markers = []  # and its marker: `-`, `*`, `+`, or `.`/`)` for an ordered list
    para = -1  # index of the open paragraph's first line, -1 when none
    para_depth = 0  # len(stack) when it opened
    para_column = 0  # where its first line's text starts (after any list marker)
    para_quote = False  # a block quote: read as text, never a setext heading

    empty_item = -1  # index of a list item line with no text yet
    i = fm_end + 1
    while i < n:
        line = lines[i]
        text = line.lstrip(" \t")
        if not text:
            if empty_item == i - 1 and empty_item >= 0:
                stack.pop()  # an item may not start with a blank line: it stays empty
                markers.pop()
            para = -1
            i += 1
            continue
        c = text[0]
        if "|" not in text and len(text) == len(line):  # at the margin, and no table row
            # The commonest lines, decided as the general path below decides them: text (or
            # `**bold**`) goes on with the open paragraph, or closes every open list item and
            # opens one; a heading closes them; `- text` (`- [ ] text`) opens an item.
            if c not in _BLOCK_START or (c in "*_" and _emphasis(text, 0)):
                if para < 0:
                    if stack:
                        stack, markers = [], []
                    para, para_depth, para_column, para_quote = i, 0, 0, False
                i += 1  # (else the paragraph goes on)
                continue
            if c in _BULLETS and text[1:2] == " ":
                second = text[2:3]
                if second == "[":
                    box = _MARGIN_CHECKBOX.match(text)
                    if box:
                        i = _checkbox_run(lines, i, box, checkboxes)
                        line = lines[i - 1]  # the last of them leaves its item (and paragraph) open
                        column = checkboxes[-1][2] - 1
                        if len(stack) == 1 and stack[0] == 2:
                            markers[0] = line[0]
                        else:
                            stack, markers = [2], [line[0]]
                        if column < len(line):
                            para, para_depth, para_column, para_quote = i - 1, 1, column, False
                        else:
                            para = -1
                        continue
                    if _CHECKBOX.match(text, 2):
                        second = ""  # a checkbox, not this way
                if second and (second not in _BLOCK_START or (second in "*_" and _emphasis(text, 2))) \
                        and second != " " and second != "\t":
                    if len(stack) == 1 and stack[0] == 2:
                        markers[0] = c
                    else:
                        stack, markers = [2], [c]
                    para, para_depth, para_column, para_quote = i, 1, 2, False
                    i += 1
                    continue
            elif c == "#":
                m = _ATX.match(text)
                if m:
                    if stack:
                        stack, markers = [], []
                    headings.append((i, len(m.group(1)), _atx_title(m.group(2)), i))
                    para = -1
                    i += 1
                    continue
        elif para >= 0 and c not in _BLOCK_START and "|" not in text:
            i += 1  # paragraph text goes on, lazily or not, whatever its indentation
            continue
        indent = len(line) - len(text)
        if indent and "\t" in line[:indent]:
            indent = len(line[:indent].expandtabs(4))

        if stack and indent < stack[-1]:
            if para >= 0 and not (c in _BULLETS and text[1:2] in " \t" and indent < _parent_base(stack) + 4) \
                    and _continues_lazily(lines, i, text, indent, stack):
                i += 1
                continue
            while stack and indent < stack[-1]:
                stack.pop()
                sibling = markers.pop()  # the list it belonged to may go on with this line
            if para >= 0 and para_depth != len(stack):
                para = -1
        else:
            sibling = ""
        base = stack[-1] if stack else 0

        if indent - base >= 4:
            if para < 0:
                i = _indented_code(lines, i, base, scan)
            else:
                i += 1
            continue

        opened = 0  # list items opened on this line: `- - - x` nests three deep
        while True:  # dispatch on the first character; a list marker loops to its content
            if "|" in text and i + 1 < n and _table_starts(lines, i, text, base) \
                    and not (sibling and _marker(text) == sibling):  # tables come first, but not in a list
                i = _table(lines, i, text, base, scan)
                para = -1
                break
            if c in _BULLETS or c in _DIGITS:
                second = text[1:2]
                if c == "-" and para >= 0 and second in "- \t" and _SETEXT.match(text) \
                        and not para_quote and para_depth == len(stack):
                    headings.append((para, 2, _setext_title(lines, para, i, para_column), i))
                    para = -1
                    i += 1
                    break
                if c != "+" and second in _BREAK_CHARS and text[2:3] in _BREAK_CHARS \
                        and _THEMATIC_BREAK.match(text):
                    para = -1
                    i += 1
                    break
                if second == " " and c in _BULLETS and text[2:3] not in " \t":
                    item = (2, 2, None, c)  # `- text`, by far the commonest item
                elif c in _DIGITS or second in " \t":
                    item = _list_item(text, indent)
                else:
                    item = None
                if item and opened < MAX_ITEMS_PER_LINE \
                        and (para < 0 or (item[0] < len(text) and item[2] in (None, 1))):
                    opened += 1
                    indent += item[1]
                    stack.append(indent)
                    markers.append(item[3])
                    sibling = ""
                    base = indent
                    para = -1
                    text = text[item[0]:]
                    if not text:
                        empty_item = i
                        i += 1
                        break
                    c = text[0]
                    if c == " " or c == "\t":  # five spaces or more after the marker: indented code
                        i = _indented_code(lines, i, base, scan, text)
                        break
                    if c == "[":
                        box = _CHECKBOX.match(text)
                        if box:
                            text = text[box.end():].lstrip()
                            checkboxes.append((i, box.group(1), len(line) - len(text) + 1))
                            if not text:
                                i += 1
                                break
                            c = text[0]
                    continue
            elif c not in _BLOCK_START:
                pass
            elif c == "#":
                m = _ATX.match(text)
                if m:
                    headings.append((i, len(m.group(1)), _atx_title(m.group(2)), i))
                    para = -1
                    i += 1
                    break
            elif c == "`" or c == "~":
                m = _fence_open(text)
                if m:
                    i = _fence(lines, i, m, base, indent - base, scan)
                    para = -1
                    break
            elif c == "<":
                block = _html_block(text, para >= 0)
                if block:
                    i = _skip_html(lines, i, text, block, base, scan)
                    para = -1
                    break
            elif c == ">":
                if para < 0 or not para_quote:
                    para, para_depth, para_quote = i, len(stack), True
                i += 1
                break
            elif c == "=":
                if para >= 0 and _SETEXT.match(text) and not para_quote and para_depth == len(stack):
                    headings.append((para, 1, _setext_title(lines, para, i, para_column), i))
                    para = -1
                    i += 1
                    break
            elif _is_thematic_break(text):  # `_ _ _`
                para = -1
                i += 1
                break
            if para < 0:
                para, para_depth, para_column, para_quote = i, len(stack), len(line) - len(text), False
            i += 1
            break
    return scan


def _indented_code(lines, i, base, scan, first_text=None) -> int:
    """Mark an indented code block from line `i`; return the index after it.

    `first_text` is the code on line `i` when a list marker precedes it there.
    """
    n = len(lines)
    last = i
    j = i + 1
    while j < n:
        text = lines[j].lstrip(" \t")
        if text:
            if _indent(lines[j], text) - base < 4:
                break
            last = j
        j += 1
    for k in range(i, last + 1):
        scan.in_code[k] = scan.hidden[k] = True
    cut = base + 4
    code = [_dedent(lines[k], cut) for k in range(i, last + 1)]
    if first_text is not None:
        code[0] = first_text[4:] if first_text.startswith("    ") else first_text.lstrip()
    scan.code_blocks.append((i, "", code, i))
    return last + 1


def _dedent(line: str, columns: int) -> str:
    """`line` without up to `columns` columns of indentation; a tab cut in two leaves spaces."""
    column = k = 0
    while k < len(line) and column < columns:
        if line[k] == " ":
            column += 1
        elif line[k] == "\t":
            tab_stop = column // 4 * 4 + 4
            if tab_stop > columns:
                return " " * (tab_stop - columns) + line[k + 1:]
            column = tab_stop
        else:
            break
        k += 1
    return line[k:]


def _fence(lines, i, m, base, fence_indent, scan) -> int:
    """Mark a fenced code block opened at line `i`; return the index after it.

    The fence ends at a closing fence of the same character, at least as long, or where
    its list item ends (a line left of the item's content), or at the end of the file.
    """
    n = len(lines)
    marker = m.group(1)
    info = m.group(2).strip()
    content = []
    j = i + 1
    end = n
    while j < n:
        line = lines[j]
        text = line.lstrip(" \t")
        if text:
            indent = _indent(line, text)
            if indent < base:
                end = j
                break
            if indent - base < 4 and text[0] == marker[0]:
                close = _FENCE_CLOSE.match(text)
                if close and close.group(1)[0] == marker[0] and len(close.group(1)) >= len(marker):
                    end = j + 1
                    break
        content.append(_dedent(line, base + fence_indent))
        j += 1
    for k in range(i, end):
        scan.in_code[k] = scan.hidden[k] = True
    scan.code_blocks.append((i, info.split()[0] if info else "", content, i + 1))
    return end


def _skip_html(lines, i, text, block, base, scan) -> int:
    """Hide an HTML block opened at line `i`; return the index after it."""
    end_pattern, is_comment = block
    n = len(lines)
    j = i
    while j < n:
        line = lines[j]
        stripped = line.lstrip(" \t")
        if j > i:
            if not stripped:
                if end_pattern is None:
                    break
            elif _indent(line, stripped) < base:
                break
        scan.hidden[j] = True
        if is_comment:
            scan.in_comment[j] = True
        j += 1
        if end_pattern is not None and end_pattern.search(stripped if j - 1 > i else text):
            break
    return j


def _table_starts(lines, i, text, base) -> bool:
    nxt = lines[i + 1]
    nxt_text = nxt.lstrip(" \t")
    if not nxt_text:
        return False
    nxt_indent = _indent(nxt, nxt_text)
    if nxt_indent < base or nxt_indent - base >= 4:
        return False
    columns = _delimiter_columns(nxt_text)
    return columns > 0 and len(_split_row(text)) == columns


def _table(lines, i, header, base, scan) -> int:
    """Record the table whose header is line `i`; return the index after its last row."""
    n = len(lines)
    rows = []
    j = i + 2
    while j < n:
        line = lines[j]
        text = line.lstrip(" \t")
        if not text:
            break
        indent = _indent(line, text)
        if indent < base or indent - base >= 4 or _starts_block(text):
            break
        rows.append(j)
        j += 1
    scan.tables.append((i, header, rows))
    return j


# -- inline text -------------------------------------------------------------------------

_INLINE = lazy(
    r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)"
    r"|<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*" + _ATTRIBUTE + r"*\s*/?>"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|!?\[(?P<label>[^\[\]]{0,1000})\]\([^()]{0,2000}\)"
    r"|(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)")
_INLINE_CHARS = frozenset("`\\[*_<")


def _inline_piece(m: re.Match) -> str:
    if m.group("ticks"):
        code = m.group("code")
        if len(code) > 2 and code[0] == " " and code[-1] == " " and code.strip():
            code = code[1:-1]
        return code
    if m.group("escaped") is not None:
        return m.group("escaped")
    if m.group("label") is not None:
        return plain_text(m.group("label"))
    return ""


# The same headings and table headers come back in every spec (the templates'): their plain
# text is worked out once. Short texts only, and at most this many, forgotten all at once.
_PLAIN = {}
MAX_PLAIN_KEPT = 4096
MAX_PLAIN_KEY = 200


def plain_text(text: str) -> str:
    """Inline Markdown as the reader sees it: emphasis, code marks, escapes, links and HTML removed."""
    plain = _PLAIN.get(text)  # (looked up first: finding no markup takes longer)
    if plain is None:
        plain = text.strip() if _INLINE_CHARS.isdisjoint(text) else _INLINE.sub(_inline_piece, text).strip()
        if len(text) <= MAX_PLAIN_KEY:
            if len(_PLAIN) >= MAX_PLAIN_KEPT:
                _PLAIN.clear()
            _PLAIN[str(text)] = plain
    return plain


_CODE_SPAN = lazy(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
# Bounded repeats keep a hostile line linear: no match attempt scans more than a few
# thousand characters. Link text has no brackets and a target no parentheses.
_LINK = lazy(
    r"\[(?P<text>[^\[\]]{0,1000})\]"
    r"(?:\(\s{0,100}(?:<(?P<angled>[^<>\n]{0,2000})>|(?P<target>[^()\s]{0,2000}))"
    r"(?:\s{1,100}(?:\"[^\"]{0,1000}\"|'[^']{0,1000}'|\([^()]{0,1000}\)))?\s{0,100}\)"
    r"|\[(?P<ref>[^\[\]]{0,1000})\])"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]{0,2000})>")
# one literal search each: a regex alternation of them scans the text several times slower
_LINK_MARKS = (lazy(r"\]\("), lazy(r"\]\["), lazy(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:"))
_DEFINITION_MARK = lazy(r"\]:")
_LINK_DEFINITION = lazy(r" {0,3}\[([^\]]+)\]:[ \t]*<?([^\s>]+)>?")
# A `**Key**: value` line, matched at the text's start, and after each newline: a search for a
# newline runs at C speed, where a `^` of multiline mode is tried at every character.
_META_LINE = lazy(r" {0,3}\*\*([^*\n]+?)(?:\*\*[ \t]*:|:\*\*)[ \t]*(.*)")
_META_NEXT_LINE = lazy(r"\n {0,3}\*\*([^*\n]+?)(?:\*\*[ \t]*:|:\*\*)[ \t]*(.*)")

# Whole-text searches for a literal find the few lines worth a closer look far faster
# than a Python loop over every line.


def _lines_with(pattern, text, starts, hidden) -> list:
    """Indexes of the visible lines where `pattern` matches, in order, once each."""
    found = []
    last = -1
    for m in pattern.finditer(text):
        i = bisect_right(starts, m.end() - 1) - 1
        if i != last and not hidden[i]:
            found.append(i)
            last = i
    return found


def _links(lines, text, starts, hidden, path) -> list:
    definitions = {}
    for i in _lines_with(_DEFINITION_MARK, text, starts, hidden):
        m = _LINK_DEFINITION.match(lines[i])
        if m:
            definitions.setdefault(m.group(1).strip().lower(), m.group(2))
    links = []
    for i in sorted(set().union(*(_lines_with(mark, text, starts, hidden) for mark in _LINK_MARKS))):
        line = lines[i]
        if _LINK_DEFINITION.match(line):
            continue
        if "`" in line:  # no links inside code spans: blank those out
            line = _CODE_SPAN.sub(lambda m: " " * len(m.group()), line)
        for m in _LINK.finditer(line):
            start = m.start()
            if start and line[start - 1] in "!\\":  # an image, or an escaped bracket
                continue
            if m.group("auto"):
                label = target = m.group("auto")
            else:
                label = m.group("text")
                target = m.group("angled") if m.group("angled") is not None else m.group("target")
                if target is None:
                    target = definitions.get((m.group("ref") or label).strip().lower())
                    if target is None:
                        continue
                label = plain_text(label)
            loc = new_loc(path, i + 1, start + 1)
            links.append(new_record("Link", loc, {"text": new_lstr(label, loc), "target": new_lstr(target, loc),
                                                  "line": i + 1}))
    return links



def _meta(text, hidden, path) -> dict:
    """`**Key**: value` lines: the label opens the line (up to 3 spaces in), outside code."""
    meta = {}
    first = _META_LINE.match(text)
    i = start = 0  # the line of the last match, and where it starts
    for m in chain((first,) if first else (), _META_NEXT_LINE.finditer(text)):
        if m is not first:
            i += text.count("\n", start, m.start() + 1)
            start = m.start() + 1
        if not hidden[i]:
            key = m.group(1).strip()
            if key not in meta:
                meta[key] = new_lstr(m.group(2).strip(), new_loc(path, i + 1, m.start(2) - start + 1))
    return meta


# -- front matter ------------------------------------------------------------------------

def _front_matter(lines, end, path):
    """The YAML between the `---` lines, read as the `yaml` loader reads YAML (every value
    located, the same limits); None when there is none."""
    if end < 0:
        return None
    from .data import parse_yaml  # lazily: only files with front matter pay for YAML

    return parse_yaml("\n".join(lines[1:end]), path, first_line=2, what="front matter", required=False)


# -- records -----------------------------------------------------------------------------
#
# A file is split into lines and scanned once (`Blocks`); its records are made from that when a
# gate first reads them: a gate that reads the headings of a spec pays nothing for its lines,
# and the tasks loader reads the scan without records at all. A long spec has thousands of
# lines, each a record with a located text: they are made the fast way (policylint/fastpath.py),
# the lines' inline.


def parse_markdown(text: str, relpath: str) -> Record:
    """The `Markdown` record of `text`, as if read from `relpath` (pure; no file access)."""
    return markdown_record(parse_blocks(text, relpath))


def parse_blocks(text: str, relpath: str) -> Blocks:
    """The lines and block structure of `text`, as if read from `relpath` (pure; no file access)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return made_paused(partial(Blocks, text, relpath))


def load_blocks(repo, relpath: str) -> Blocks:
    """The `Blocks` of a repository file, read and scanned once per run (`relpath` normalized)."""
    return repo.memo(("markdown blocks", relpath), lambda: parse_blocks(repo.read_text(relpath), relpath))


def markdown_record(blocks: Blocks) -> Record:
    """The `Markdown` record: its path and text, and the rest made from `blocks` when first read."""
    path = blocks.path
    file_loc = new_loc(path, None)
    tree = _HeadingTree(blocks)
    return new_record("Markdown", file_loc, {
        "path": PathValue(path, file_loc),
        "text": new_lstr(blocks.text, file_loc),
        "lines": new_lazy(blocks.line_records, pure=True),
        "headings": new_lazy(tree.headings, pure=True),
        "sections": new_lazy(tree.sections, pure=True),
        "checkboxes": new_lazy(blocks.checkboxes, pure=True),
        "tables": new_lazy(blocks.tables, pure=True),
        "links": new_lazy(blocks.links, pure=True),
        "code_blocks": new_lazy(blocks.code_blocks, pure=True),
        "front_matter": new_lazy(blocks.front_matter) if blocks.scan.front_matter_end >= 0 else None,
        "meta": new_lazy(blocks.meta, pure=True),
    })


class Blocks:
    """A Markdown file's lines and block structure (`scan`), and the records made of them:
    each made once, when first asked (by `_make_<name>`), and shared: a heading's checkboxes
    are the file's. Nothing kept here holds the Blocks (the heading records do: `_HeadingTree`
    keeps them): a cycle would outlive the run, which pauses the cyclic collector.

    The `lines` loader reads a file through its Blocks too (`file_lines`), so a file read both
    ways is split and made into Line records once; it never asks for `scan`, which is made
    when first read."""

    __slots__ = ("path", "text", "lines", "scan", "_made")

    def __init__(self, text: str, path: str):
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        self.path, self.text, self.lines = path, text, lines
        self._made = {}

    def __getattr__(self, name: str):
        """`scan` on first read (an unset slot comes here; once set, reading it costs nothing)."""
        if name != "scan":
            raise AttributeError(name)
        scan = self.scan = made_paused(partial(scan_blocks, self.lines))
        return scan

    def _once(self, name: str):
        made = self._made.get(name, _UNMADE)
        if made is _UNMADE:
            made = self._made[name] = made_paused(getattr(self, "_make_" + name))
        return made

    def starts(self) -> list:
        """The offset in `text` of each line, then of the end (+1 for each newline)."""
        return self._once("starts")

    def titles(self) -> list:
        """Each heading's title, inline markup removed, located at its line."""
        return self._once("titles")

    def section_ends(self) -> list:
        """For each heading, the index of the line where its section ends."""
        return self._once("section_ends")

    def line_records(self) -> list:
        return self._once("line_records")

    def plain_lines(self) -> list:
        """Every line, neither in code nor in a comment: the `lines` loader's records."""
        return self._once("plain_lines")

    def file_lines(self) -> list:
        """What the `lines` loader gives: the plain lines, none for a lone newline (which ends
        no line there, where Markdown reads an empty one)."""
        return self._once("file_lines")

    def _make_file_lines(self) -> list:
        return [] if self.text == "\n" else self.plain_lines()

    def checkboxes(self) -> list:
        return self._once("checkboxes")

    def tables(self) -> list:
        return self._once("tables")

    def code_blocks(self) -> list:
        return self._once("code_blocks")

    def links(self) -> list:
        return self._once("links")

    def meta(self) -> dict:
        return self._once("meta")

    def front_matter(self):
        return _front_matter(self.lines, self.scan.front_matter_end, self.path)

    def section_of(self, index: int) -> str:
        """The title of the nearest heading at or above line `index`, or empty."""
        k = bisect_right(self._once("heading_lines"), index) - 1
        return self.titles()[k] if k >= 0 else ""

    # -- what each is made of

    def _make_starts(self) -> list:
        lines = self.lines
        starts = [0]
        starts.extend(map(add, accumulate(map(len, lines)), range(1, len(lines) + 1)))
        return starts

    def _make_titles(self) -> list:
        path = self.path
        titles = []
        for h in self.scan.headings:
            title = new_str(LStr, plain_text(h[2]))
            title.loc = new_tuple(Loc, (path, h[0] + 1, None))
            titles.append(title)
        return titles

    def _make_heading_lines(self) -> list:
        return [h[0] for h in self.scan.headings]

    def _make_section_ends(self) -> list:
        found = self.scan.headings
        ends = [len(self.lines)] * len(found)
        open_sections = []  # indexes into `found`, outermost first
        for k, (_, level, _, _) in enumerate(found):
            while open_sections and found[open_sections[-1]][1] >= level:
                ends[open_sections.pop()] = found[k][0]
            open_sections.append(k)
        return ends

    def _make_plain_lines(self) -> list:
        if "line_records" in self._made:  # Markdown's, those in code or a comment made again without
            return self._reflagged(self._made["line_records"], False)
        return line_records(self.path, self.lines)

    def _make_line_records(self) -> list:
        """The plain lines when made already (the same list when no line is in code or a
        comment), those in code or a comment made again with their flags; else made here."""
        made = self._made.get("plain_lines")
        if made is not None:
            return self._reflagged(made, True)
        scan = self.scan
        if any(scan.in_code) or any(scan.in_comment):
            return line_records(self.path, self.lines, scan.in_code, scan.in_comment)
        return self.plain_lines()  # what the lines loader reads too

    def _reflagged(self, records: list, flags: bool) -> list:
        """`records`, those of the lines in code or a comment made again with their flags (with
        False when not `flags`), their located text shared; the same list when there are none."""
        in_code, in_comment = self.scan.in_code, self.scan.in_comment
        flagged = list(compress(count(), map(or_, in_code, in_comment)))
        if not flagged:
            return records
        records = records.copy()
        for i in flagged:
            line = records[i]
            fields = line.fields.copy()
            fields["in_code"], fields["in_comment"] = (in_code[i], in_comment[i]) if flags else (False, False)
            records[i] = new_record("Line", line.loc, fields)
        return records

    def _make_checkboxes(self) -> list:
        path, lines = self.path, self.lines
        heading_lines, titles = self._once("heading_lines"), self.titles()
        checkboxes = []
        for i, mark, column in self.scan.checkboxes:
            loc = new_loc(path, i + 1)
            k = bisect_right(heading_lines, i) - 1
            checkboxes.append(new_record("Checkbox", loc, {
                "text": new_lstr(lines[i][column - 1:].rstrip(), new_loc(path, i + 1, column)), "checked": mark != " ",
                "mark": new_lstr(mark, loc), "line": i + 1, "section": titles[k] if k >= 0 else ""}))
        return checkboxes

    def _make_tables(self) -> list:
        return [_table_record(self.lines, i, header, rows, self.path, self.section_of(i))
                for i, header, rows in self.scan.tables]

    def _make_code_blocks(self) -> list:
        path = self.path
        code_blocks = []
        for i, lang, content, first in self.scan.code_blocks:
            loc = new_loc(path, i + 1)
            code_blocks.append(new_record("CodeBlock", loc, {
                "lang": new_lstr(lang, loc), "text": new_lstr("\n".join(content), new_loc(path, first + 1)),
                "line": i + 1}))
        return code_blocks

    def _make_links(self) -> list:
        return _links(self.lines, self.text, self.starts(), self.scan.hidden, self.path)

    def _make_meta(self) -> dict:
        return _meta(self.text, self.scan.hidden, self.path)

    def heading_records(self):
        """Heading records, their bodies, lines, checkboxes and tables made when first read
        (an empty one is made at once); and the roots of the section tree. Made anew on each call.
        Made the fast way (policylint/fastpath.py), their lazy fields' too: a spec's headings
        are made for each of the three files a gate reads them from."""
        path, lines, found, titles, ends = self.path, self.lines, self.scan.headings, self.titles(), self.section_ends()
        box_lines = self._once("box_lines") if self.scan.checkboxes else []
        table_lines = self._once("table_lines") if self.scan.tables else []
        _slice = Blocks._slice
        records = []
        sections = []
        parents = []  # (level, record) from the root down to the latest heading
        for k, (index, level, _, last) in enumerate(found):
            title = titles[k]
            start, end = last + 1, ends[k]
            number = index + 1
            body = new_lazy(partial(_joined_lines, lines, start, end, path, number), pure=True)
            if start < end:
                body_lines = new_lazy(partial(_slice, self, "line_records", start, end), pure=True)
            else:
                body_lines = []
            boxes = tables = None
            if box_lines:
                first, after = bisect_left(box_lines, start + 1), bisect_left(box_lines, end + 1)
                if first < after:
                    boxes = new_lazy(partial(_slice, self, "checkboxes", first, after), pure=True)
            if table_lines:
                first, after = bisect_left(table_lines, start + 1), bisect_left(table_lines, end + 1)
                if first < after:
                    tables = new_lazy(partial(_slice, self, "tables", first, after), pure=True)
            rec = new_object(Record)
            rec.type, rec.loc = "Heading", new_tuple(Loc, (path, number, None))
            rec.fields = {"text": title, "title": title, "level": level, "line": number, "body": body,
                          "lines": body_lines, "children": [], "checkboxes": boxes or [], "tables": tables or []}
            records.append(rec)
            while parents and parents[-1][0] >= level:
                parents.pop()
            (parents[-1][1].fields["children"] if parents else sections).append(rec)
            parents.append((level, rec))
        return records, sections

    def _slice(self, name: str, start: int, end: int) -> list:
        """Those of the line records, the checkboxes or the tables (`name`) from `start` to `end`."""
        return self._once(name)[start:end]

    def _make_box_lines(self) -> list:
        return [box[0] + 1 for box in self.scan.checkboxes]

    def _make_table_lines(self) -> list:
        return [table[0] + 1 for table in self.scan.tables]


def _joined_lines(lines: list, start: int, end: int, path: str, line: int) -> LStr:
    """Lines `start` to `end` as the text holds them (newlines between them), located at `line`."""
    return new_lstr("\n".join(lines[start:end]), new_loc(path, line))


_UNMADE = object()


class _HeadingTree:
    """A Markdown record's headings and sections, made once when first read and kept here, not
    in the Blocks their lazy fields hold (see Blocks)."""

    __slots__ = ("blocks", "made")

    def __init__(self, blocks: Blocks):
        self.blocks, self.made = blocks, None

    def headings(self) -> list:
        return self._made()[0]

    def sections(self) -> list:
        return self._made()[1]

    def _made(self):
        if self.made is None:
            self.made = made_paused(self.blocks.heading_records)
        return self.made


# A short row is filled up to the header's width with empty cells, so `row["Owner"]` reads ""
# and not null; past this many filled-in cells in one table (a header of a million columns
# over a million short rows would make 10^12) rows keep only the cells they write.
MAX_TABLE_PADDING = 1_000_000


def _table_record(lines, header_index, header_text, row_indexes, path, section) -> Record:
    number = header_index + 1
    offset = len(lines[header_index]) - len(header_text)
    header = [new_lstr(plain_text(cell), new_loc(path, number, column))
              for cell, column in _split_row(header_text, offset)]
    names, seen = [], set()
    for name in header:  # a column is reachable by name unless unnamed or named twice
        names.append(str(name) if name and name not in seen else None)
        seen.add(str(name))
    width = len(header)
    rows = []
    padding = MAX_TABLE_PADDING  # cells a short row is filled up with, for the whole table
    for j in row_indexes:
        number = j + 1
        cells = [new_lstr(cell, new_loc(path, number, column)) for cell, column in _split_row(lines[j], 0, width)]
        if len(cells) < width and width - len(cells) <= padding:
            padding -= width - len(cells)
            empty = new_lstr("", new_loc(path, number))
            cells.extend([empty] * (width - len(cells)))
        fields = {name: cell for name, cell in zip(names, cells) if name is not None}
        fields["cells"] = cells  # `cells` and `line` win over columns of the same name
        fields["line"] = number
        rows.append(new_record("Row", new_loc(path, number), fields))
    return new_record("Table", new_loc(path, header_index + 1), {
        "header": header, "rows": rows, "line": header_index + 1, "section": section})
