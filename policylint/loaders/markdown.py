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
  null when there is none. Invalid YAML is an error located at its line.
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

import gc
import re
from bisect import bisect_left, bisect_right
from itertools import accumulate

from ..errors import ArtifactError
from ..signature import loader
from ..types import ANY, BOOL, NUMBER, PATH, STR, List, record
from ..values import Loc, LStr, PathValue, Record

# -- record types ------------------------------------------------------------------------

LINE = record("Line", "One line of a text file.", {
    "text": (STR, "the line without its newline"),
    "number": (NUMBER, "line number, from 1"),
    "in_code": (BOOL, "inside a fenced or indented code block"),
    "in_comment": (BOOL, "inside an HTML comment block (`<!-- … -->`)"),
})
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
    "body": (STR, "text under the heading, subsections included"),
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
    return repo.memo(("markdown", relpath), lambda: parse_markdown(repo.read_text(relpath), relpath))


# -- block scanner -----------------------------------------------------------------------
#
# One pass over the lines with a small CommonMark state: the open list items (by the
# column their content starts at), the open paragraph, and whether the line is inside a
# fence, an HTML block or a table. That is all it takes to tell a heading from a `#` in a
# code block, and it runs at a few hundred nanoseconds a line.

_ATX = re.compile(r"(#{1,6})(?:[ \t](.*))?$")
_ATX_CLOSING = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,})[ \t]*$")
_THEMATIC_BREAK = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BREAK_CHARS = frozenset("-*_ \t")
_SETEXT = re.compile(r"(?:=+|-+)[ \t]*$")
_ORDERED_MARKER = re.compile(r"(\d{1,9})[.)]")
_CHECKBOX = re.compile(r"\[([ xX])\][ \t]")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_DELIMITER_CELL = re.compile(r":?-+:?$")
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
    (re.compile(r"<(?:script|pre|style|textarea)(?=\s|>|$)", re.I),
     re.compile(r"</(?:script|pre|style|textarea)>", re.I), True),
    (re.compile(r"<!--"), re.compile(r"-->"), True),
    (re.compile(r"<\?"), re.compile(r"\?>"), True),
    (re.compile(r"<![A-Za-z]"), re.compile(r">"), True),
    (re.compile(r"<!\[CDATA\["), re.compile(r"\]\]>"), True),
    (re.compile(r"</?(?:" + _HTML_BLOCK_TAGS + r")(?=\s|/?>|$)", re.I), None, True),
    (re.compile(r"(?:<[A-Za-z][A-Za-z0-9-]*" + _ATTRIBUTE + r"*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$"),
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


def _interrupts_paragraph(text: str, lazy: bool) -> bool:
    """True when `text` starts a block that ends an open paragraph.

    `lazy` lines sit left of the paragraph's list item, where any list marker starts a
    new item; inside the item only a non-empty bullet or `1.` item may interrupt.
    """
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
    item = _list_item(text)
    if item is None:
        return False
    return lazy or (item[0] < len(text) and item[2] in (None, 1))


def _is_thematic_break(text: str) -> bool:
    """`---`, `***` or `___`, spaces allowed; the first test rejects `- item` and `**bold**`."""
    return len(text) >= 3 and text[1] in _BREAK_CHARS and text[2] in _BREAK_CHARS \
        and _THEMATIC_BREAK.match(text) is not None


def _setext_title(lines, first, underline, first_text) -> str:
    return " ".join([first_text] + [lines[k].strip() for k in range(first + 1, underline)])


def _list_item(text: str):
    """(where the item's text starts in `text`, its content column relative to `text`,
    the ordered list's number or None) for a list marker line, else None."""
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
    rest = text[width:]
    if not rest:
        return width, width + 1, number
    if rest[0] != " " and rest[0] != "\t":
        return None
    content = rest.lstrip(" \t")
    gap = len(rest) - len(content)
    if "\t" in rest[:gap]:
        gap = len(rest[:gap].expandtabs(4))
    if not content:
        return len(text), width + 1, number
    if gap >= 5:  # the text is indented code inside the item: the item starts one space in
        return width + 1, width + 1, number
    return len(text) - len(content), width + gap, number


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


def _split_row(line: str, offset: int = 0):
    """The cells of a table row as (text, column from 1), `\\|` unescaped.

    `offset` is how many characters of the full line precede `line`.
    """
    body = line.strip()
    offset += len(line) - len(line.lstrip())
    bounds = []
    pos = 0
    for m in _UNESCAPED_PIPE.finditer(body):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(body)))
    if bounds[0][0] == bounds[0][1]:
        bounds.pop(0)
    if bounds and bounds[-1][0] == bounds[-1][1]:
        bounds.pop()
    cells = []
    for start, end in bounds:
        raw = body[start:end]
        lead = len(raw) - len(raw.lstrip())
        cells.append((raw.strip().replace("\\|", "|"), offset + start + lead + 1))
    return cells


class _Scan:
    """What the block pass found, as line indexes (0-based)."""

    __slots__ = ("in_code", "in_comment", "hidden", "headings", "checkboxes", "tables",
                 "code_blocks", "front_matter_end")

    def __init__(self, n: int):
        self.in_code = [False] * n
        self.in_comment = [False] * n
        self.hidden = [False] * n  # code, comments, HTML blocks, front matter
        self.headings = []  # (index, level, title as written, index of its last line)
        self.checkboxes = []  # (index, mark, text, column of text)
        self.tables = []  # (header index, header text, [row indexes])
        self.code_blocks = []  # (index, lang, [content lines])
        self.front_matter_end = -1  # index of the closing `---`, -1 when none


def _front_matter_end(lines: list) -> int:
    if not lines or lines[0].rstrip() != "---":
        return -1
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return i
    return -1


def scan_blocks(lines: list) -> _Scan:
    """One pass of CommonMark block structure over `lines` (shared with the tasks loader)."""
    n = len(lines)
    scan = _Scan(n)
    in_code, hidden = scan.in_code, scan.hidden
    headings, checkboxes = scan.headings, scan.checkboxes

    fm_end = scan.front_matter_end = _front_matter_end(lines)
    for k in range(fm_end + 1):
        hidden[k] = True

    stack = []  # content column of each open list item, innermost last
    para = -1  # index of the open paragraph's first line, -1 when none
    para_depth = 0  # len(stack) when it opened
    para_text = ""  # its first line's text (after any list marker)
    para_quote = False  # a block quote: read as text, never a setext heading

    i = fm_end + 1
    while i < n:
        line = lines[i]
        text = line.lstrip(" \t")
        if not text:
            para = -1
            i += 1
            continue
        c = text[0]
        if para >= 0 and c not in _BLOCK_START and "|" not in text:
            i += 1  # paragraph text goes on, lazily or not, whatever its indentation
            continue
        indent = len(line) - len(text)
        if indent and "\t" in line[:indent]:
            indent = len(line[:indent].expandtabs(4))

        if stack and indent < stack[-1]:
            if para >= 0 and not (c in _BULLETS and text[1:2] in " \t") and not _interrupts_paragraph(text, True):
                i += 1  # lazy continuation of the paragraph
                continue
            while stack and indent < stack[-1]:
                stack.pop()
            if para >= 0 and para_depth != len(stack):
                para = -1
        base = stack[-1] if stack else 0

        if indent - base >= 4:
            if para < 0:
                i = _indented_code(lines, i, base, scan)
            else:
                i += 1
            continue

        while True:  # dispatch on the first character; a list marker loops to its content
            if c in _BULLETS or c in _DIGITS:
                second = text[1:2]
                if c == "-" and para >= 0 and second in "- \t" and _SETEXT.match(text) \
                        and not para_quote and para_depth == len(stack):
                    headings.append((para, 2, _setext_title(lines, para, i, para_text), i))
                    para = -1
                    i += 1
                    break
                if c != "+" and second in _BREAK_CHARS and text[2:3] in _BREAK_CHARS \
                        and _THEMATIC_BREAK.match(text):
                    para = -1
                    i += 1
                    break
                item = _list_item(text) if c in _DIGITS or second in " \t" else None
                if item and (para < 0 or (item[0] < len(text) and item[2] in (None, 1))):
                    indent += item[1]
                    stack.append(indent)
                    base = indent
                    para = -1
                    text = text[item[0]:]
                    if not text:
                        i += 1
                        break
                    c = text[0]
                    if c == "[":
                        box = _CHECKBOX.match(text)
                        if box:
                            after = text[box.end():].lstrip()
                            checkboxes.append((i, box.group(1), after.rstrip(), len(line) - len(after) + 1))
                    continue
            elif c not in _BLOCK_START:
                pass
            elif c == "#":
                m = _ATX.match(text)
                if m:
                    title = _ATX_CLOSING.sub("", m.group(2).strip()) if m.group(2) else ""
                    headings.append((i, len(m.group(1)), title, i))
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
                    headings.append((para, 1, _setext_title(lines, para, i, para_text), i))
                    para = -1
                    i += 1
                    break
            elif _is_thematic_break(text):  # `_ _ _`
                para = -1
                i += 1
                break
            if "|" in text and i + 1 < n and _table_starts(lines, i, text, base):
                i = _table(lines, i, text, base, scan)
                para = -1
                break
            if para < 0:
                para, para_depth, para_text, para_quote = i, len(stack), text.strip(), False
            i += 1
            break
    return scan


def _indented_code(lines, i, base, scan) -> int:
    """Mark an indented code block from line `i`; return the index after it."""
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
    scan.code_blocks.append((i, "", [_dedent(lines[k], cut) for k in range(i, last + 1)]))
    return last + 1


def _dedent(line: str, columns: int) -> str:
    text = line.lstrip(" ")
    return line[min(columns, len(line) - len(text)):]


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
    scan.code_blocks.append((i, info.split()[0] if info else "", content))
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
        if indent < base or indent - base >= 4 or _interrupts_paragraph(text, lazy=True):
            break
        rows.append(j)
        j += 1
    scan.tables.append((i, header, rows))
    return j


# -- inline text -------------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<ticks>`+)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|!?\[(?P<label>[^\]]*)\]\([^)]*\)"
    r"|(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)")
_INLINE_CHARS = frozenset("`\\[*_")


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


def plain_text(text: str) -> str:
    """Inline Markdown as the reader sees it: emphasis, backticks, escapes and links removed."""
    if _INLINE_CHARS.isdisjoint(text):
        return text.strip()
    return _INLINE.sub(_inline_piece, text).strip()


_CODE_SPAN = re.compile(r"(`+).+?(?<!`)\1(?!`)")
_LINK = re.compile(
    r"(?<![!\]\\])\[(?P<text>[^\]]*)\]"
    r"(?:\(\s*(?:<(?P<angled>[^>]*)>|(?P<target>[^)\s]*))(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
    r"|\[(?P<ref>[^\]]*)\])"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
_LINK_DEFINITION = re.compile(r" {0,3}\[([^\]]+)\]:\s*<?([^\s>]+)>?")
_META = re.compile(r" {0,3}\*\*([^*]+?)(?:\*\*[ \t]*:|:\*\*)[ \t]*(.*)$")


def _links(lines, hidden, path) -> list:
    definitions = {}
    candidates = []
    for i, line in enumerate(lines):
        if hidden[i] or ("[" not in line and "<" not in line):
            continue
        m = _LINK_DEFINITION.match(line)
        if m:
            definitions.setdefault(m.group(1).strip().lower(), m.group(2))
            continue
        candidates.append(i)
    links = []
    for i in candidates:
        line = lines[i]
        if "`" in line:  # links do not work inside code spans: blank those out
            line = _CODE_SPAN.sub(lambda m: " " * len(m.group()), line)
        for m in _LINK.finditer(line):
            if m.group("auto"):
                text = target = m.group("auto")
            else:
                text = m.group("text")
                target = m.group("angled") if m.group("angled") is not None else m.group("target")
                if target is None:
                    target = definitions.get((m.group("ref") or text).strip().lower())
                    if target is None:
                        continue
                text = plain_text(text)
            loc = Loc(path, i + 1, m.start() + 1)
            links.append(Record("Link", loc, text=LStr(text, loc), target=LStr(target, loc), line=i + 1))
    return links


def _meta(lines, hidden, path) -> dict:
    meta = {}
    for i, line in enumerate(lines):
        if "**" not in line or hidden[i]:
            continue
        m = _META.match(line)
        if m and m.group(1).strip() not in meta:
            key = m.group(1).strip()
            meta[key] = LStr(m.group(2).strip(), Loc(path, i + 1, m.start(2) + 1))
    return meta


# -- front matter ------------------------------------------------------------------------

MAX_YAML_NODES = 100_000  # expanded through aliases; a "billion laughs" stops here


def _front_matter(lines, end, path):
    """The YAML between the `---` lines, parsed safely; None when there is none."""
    if end < 0:
        return None
    import yaml  # lazily: only files with front matter pay for it

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    source = "\n".join(lines[1:end])
    yaml_loader = loader_class(source)
    try:
        node = yaml_loader.get_single_node()
        if node is None:
            return None
        if "&" in source and _expanded_size(node, {}) > MAX_YAML_NODES:
            raise ArtifactError(path, f"front matter expands to more than {MAX_YAML_NODES} YAML nodes", 2)
        return yaml_loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ArtifactError(path, f"invalid front matter: {problem}",
                            mark.line + 2 if mark is not None else 2) from None
    finally:
        yaml_loader.dispose()


def _expanded_size(node, sizes: dict) -> int:
    """How many nodes `node` stands for once aliases are expanded (memoized per node)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    sizes[key] = 1  # a cycle counts once; SafeLoader refuses to build it anyway
    total = 1
    if isinstance(node.value, list):
        for item in node.value:
            if isinstance(item, tuple):
                total += _expanded_size(item[0], sizes) + _expanded_size(item[1], sizes)
            else:
                total += _expanded_size(item, sizes)
            if total > MAX_YAML_NODES:
                break
    sizes[key] = total
    return total


# -- records -----------------------------------------------------------------------------
#
# A long spec has thousands of lines, each a record with a located text, so these three
# build values without the keyword-argument and NamedTuple round trips (about 3x faster).

_new_tuple = tuple.__new__
_new_str = str.__new__
_new_object = object.__new__


def _loc(path: str, line: int | None, column: int | None = None) -> Loc:
    return _new_tuple(Loc, (path, line, column))


def _located(value: str, loc: Loc) -> LStr:
    located = _new_str(LStr, value)
    located.loc = loc
    return located


def _record(type_name: str, loc: Loc, fields: dict) -> Record:
    rec = _new_object(Record)
    rec.type, rec.loc, rec.fields = type_name, loc, fields
    return rec


def parse_markdown(text: str, relpath: str) -> Record:
    """The `Markdown` record of `text`, as if read from `relpath` (pure; no file access)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of acyclic objects: collecting meanwhile only costs
    try:
        return _parse(text, relpath)
    finally:
        if collecting:
            gc.enable()


def _parse(text: str, path: str) -> Record:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    scan = scan_blocks(lines)
    in_code, in_comment = scan.in_code, scan.in_comment

    line_records = []
    append = line_records.append
    for i, line_text in enumerate(lines):
        loc = _new_tuple(Loc, (path, i + 1, None))
        located = _new_str(LStr, line_text)
        located.loc = loc
        rec = _new_object(Record)
        rec.type, rec.loc = "Line", loc
        rec.fields = {"text": located, "number": i + 1, "in_code": in_code[i], "in_comment": in_comment[i]}
        append(rec)

    heading_lines = [h[0] for h in scan.headings]
    titles = [_located(plain_text(h[2]), _loc(path, h[0] + 1)) for h in scan.headings]

    def section_of(index: int) -> str:
        k = bisect_right(heading_lines, index) - 1
        return titles[k] if k >= 0 else ""

    checkboxes = []
    for i, mark, box_text, column in scan.checkboxes:
        loc = _loc(path, i + 1)
        checkboxes.append(_record("Checkbox", loc, {
            "text": _located(box_text, _loc(path, i + 1, column)), "checked": mark != " ",
            "mark": _located(mark, loc), "line": i + 1, "section": section_of(i)}))

    tables = [_table_record(lines, i, header, rows, path, section_of(i)) for i, header, rows in scan.tables]

    code_blocks = []
    for i, lang, content in scan.code_blocks:
        loc = _loc(path, i + 1)
        first = i + 1 if lang == "" and not in_code[i - 1:i] else i + 2  # fenced code starts after its fence
        code_blocks.append(_record("CodeBlock", loc, {
            "lang": _located(lang, loc), "text": _located("\n".join(content), _loc(path, first)),
            "line": i + 1}))

    headings, sections = _heading_records(text, lines, scan, titles, line_records, checkboxes, tables, path)
    file_loc = _loc(path, None)
    return _record("Markdown", file_loc, {
        "path": PathValue(path, file_loc),
        "text": _located(text, file_loc),
        "lines": line_records,
        "headings": headings,
        "sections": sections,
        "checkboxes": checkboxes,
        "tables": tables,
        "links": _links(lines, scan.hidden, path),
        "code_blocks": code_blocks,
        "front_matter": _front_matter(lines, scan.front_matter_end, path),
        "meta": _meta(lines, scan.hidden, path),
    })


def _table_record(lines, header_index, header_text, row_indexes, path, section) -> Record:
    number = header_index + 1
    offset = len(lines[header_index]) - len(header_text)
    header = [_located(plain_text(cell), _loc(path, number, column))
              for cell, column in _split_row(header_text, offset)]
    names = []
    for name in header:  # a column is reachable by name unless unnamed or named twice
        names.append(str(name) if name and name not in names else None)
    width = len(header)
    rows = []
    for j in row_indexes:
        number = j + 1
        cells = [_located(cell, _loc(path, number, column)) for cell, column in _split_row(lines[j])[:width]]
        while len(cells) < width:
            cells.append(_located("", _loc(path, number)))
        fields = {name: cell for name, cell in zip(names, cells) if name is not None}
        fields["cells"] = cells  # `cells` and `line` win over columns of the same name
        fields["line"] = number
        rows.append(_record("Row", _loc(path, number), fields))
    return _record("Table", _loc(path, header_index + 1), {
        "header": header, "rows": rows, "line": header_index + 1, "section": section})


def _heading_records(text, lines, scan, titles, line_records, checkboxes, tables, path):
    """Heading records with their bodies, and the roots of the section tree."""
    found = scan.headings
    starts = [0]  # offset in `text` of each line, and of the end
    starts.extend(accumulate(len(line) + 1 for line in lines))
    ends = [len(lines)] * len(found)  # index where each section ends
    open_sections = []  # indexes into `found`, outermost first
    for k, (_, level, _, _) in enumerate(found):
        while open_sections and found[open_sections[-1]][1] >= level:
            ends[open_sections.pop()] = found[k][0]
        open_sections.append(k)

    box_lines = [box["line"] for box in checkboxes]
    table_lines = [table["line"] for table in tables]
    records = []
    sections = []
    parents = []  # (level, record) from the root down to the latest heading
    for k, (index, level, _, last) in enumerate(found):
        start, end = last + 1, ends[k]
        title = titles[k]
        boxes = checkboxes[bisect_left(box_lines, start + 1):bisect_left(box_lines, end + 1)]
        inner_tables = tables[bisect_left(table_lines, start + 1):bisect_left(table_lines, end + 1)]
        rec = _record("Heading", _loc(path, index + 1), {
            "text": title, "title": title, "level": level, "line": index + 1,
            "body": _located(text[starts[start]:max(starts[start], starts[end] - 1)], _loc(path, start + 1)),
            "lines": line_records[start:end], "children": [],
            "checkboxes": boxes, "tables": inner_tables})
        records.append(rec)
        while parents and parents[-1][0] >= level:
            parents.pop()
        (parents[-1][1]["children"] if parents else sections).append(rec)
        parents.append((level, rec))
    return records, sections
