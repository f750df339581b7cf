"""Control characters from repository content, made visible.

A report quotes files, folder names and messages a stranger's pull request controls. Written
raw, an escape sequence in a `.status` file retitles or clears the reader's terminal, and a
newline in a folder name forges a report line (or, in the `github` format, a workflow
command). Every format therefore writes C0 and C1 controls, DEL, Unicode line and paragraph
separators and bidirectional overrides as escapes (`\\x1b`, `\\n`, `\\u202e`): what the
reporter itself writes (its own newlines, its colours) is the only control in its output.
"""
from __future__ import annotations

import re

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
CONTROL = re.compile(f"[{_CONTROLS}]")  # every one but tab and newline, for formats that encode newlines
CONTROL_OR_NEWLINE = re.compile(f"[\n{_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def shown(match) -> str:
    """The escape a matched control character is written as."""
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    n = ord(char)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text) -> str:
    """`text` on one line, every control character in it written as its escape."""
    return CONTROL_OR_NEWLINE.sub(shown, str(text))
