"""JavaScript's text rules, which OpenSpec's readers follow, and OpenSpec's patterns.

Lengths are counted as JavaScript counts them (UTF-16 code units) and white space is
JavaScript's `\\s`; each pattern says where the package has it under `dist/core/`.
"""
from __future__ import annotations

import re

from ...patterns import lazy

JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters on which Python's `\s`, `.` and case-insensitive matching differ from
# JavaScript's: Python's `\s` has \x1c-\x1f and \x85 and lacks \ufeff, its `.` matches
# \u2028 and \u2029, and its /i folds these four letters onto ASCII ones. A text without
# them is read with the plain patterns; one with them with exact (slower to build) ones.
_DIFFERS = "\x1c\x1d\x1e\x1f\x85\ufeff\u2028\u2029\u0130\u0131\u017f\u212a"  # the first four are ASCII

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


class Rx:
    """OpenSpec's patterns, compiled: `%S` is JavaScript's `\\s`, `%N` its `\\S`, `%C` the
    characters of `\\s` inside a class, `%D` its `.`; case-insensitive ones fold ASCII only.
    Each is compiled when first used, its program kept in the user's cache (patterns.lazy):
    compiling all 28 at import cost every run that reads OpenSpec ~1% of its instructions."""

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
            setattr(self, name, lazy(pattern, flags if insensitive else 0))


_PLAIN = Rx(False)
_EXACT: list = []


def rx_for(text: str) -> Rx:
    """The patterns that read `text` as JavaScript would."""
    if not any(c in text for c in (_DIFFERS[:4] if text.isascii() else _DIFFERS)):  # ten times a regex's speed
        return _PLAIN
    if not _EXACT:
        _EXACT.append(Rx(True))
    return _EXACT[0]


def js_trim(text: str) -> str:
    return text.strip(JS_SPACE)


def js_length(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript's `.length`."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def js_trim_end(text: str) -> str:
    return text.rstrip(JS_SPACE)


def indent_columns(line: str) -> int:
    """Columns of the line's indentation, a tab reaching the next multiple of 4."""
    column = 0
    for ch in line:
        if ch == " ":
            column += 1
        elif ch == "\t":
            column += 4 - column % 4
        else:
            break
    return column
