"""Control characters from repository content, made visible.

A report quotes files, folder names and messages a stranger's pull request controls. Written
raw, an escape sequence in a `.status` file retitles or clears the reader's terminal, and a
newline in a folder name forges a report line (or, in the `github` format, a workflow
command). Every format therefore writes C0 and C1 controls, DEL, Unicode line and paragraph
separators and bidirectional overrides as escapes (`\\x1b`, `\\n`, `\\u202e`): what the
reporter itself writes (its own newlines, its colours) is the only control in its output.

Translation tables, built on first use, rather than a regular expression: compiling a
character class with the surrogate range costs 2 ms of every run's start-up.
"""
from __future__ import annotations

from functools import lru_cache

_RANGES = ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029), (0x202A, 0x202E), (0x2066, 0x2069),
           (0xD800, 0xDFFF))  # tab and newline are not among them: `escaped` keeps both
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape_of(n: int) -> str:
    return _NAMED.get(chr(n)) or (f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}")


@lru_cache(maxsize=2)
def _table(with_newline: bool) -> dict:
    table = {n: _escape_of(n) for low, high in _RANGES for n in range(low, high + 1)}
    if with_newline:
        table[0x0A] = _escape_of(0x0A)
    return table


def escaped(text) -> str:
    """`text` with every control character but tab and newline written as its escape (for
    formats that write a newline their own way)."""
    text = str(text)
    return text if text.isprintable() else text.translate(_table(False))


def visible(text) -> str:
    """`text` on one line, every control character in it (newlines too) written as its escape."""
    text = str(text)
    return text if text.isprintable() else text.translate(_table(True))
