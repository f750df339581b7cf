"""Files and folders: `exists`, `glob`, `dirs`, `text`, `lines`.

- `exists(path)` -> Bool: the file or folder is there (inside the root).
- `glob(pattern)` -> List[Path]: files and folders matching a glob (`*`, `?`, `[0-9]`, `**`), sorted;
  given a list of globs, those matching any of them, once each: `glob(["docs/openapi/*.yaml",
  "openapi/changes/*/specs/**/*.yaml"])`.
- `dirs(pattern)` -> List[Path]: only the folders matching the glob (or any of a list), sorted.
- `text(path)` -> Str: the whole file, located at its first line; a missing file fails the gate.
- `lines(path)` -> List[Line]: each line with `text` and `number`.

Text is decoded by its byte-order mark (UTF-8, UTF-16 or UTF-32), else read as UTF-8; bytes
that cannot be decoded become U+FFFD (a file with no UTF-8 in it at all is read as
Windows-1252) and a `note[PL403]` names the first such line. CRLF and CR newlines become LF.
"""
from __future__ import annotations

from itertools import count, repeat

from ..fastpath import new_object, new_str, new_tuple
from ..signature import loader
from ..errors import EvaluationError
from ..types import ANY, BOOL, PATH, STR, List, record, NUMBER
from ..values import Loc, LStr, PathValue, Record

LINE = record("Line", "One line of a text file.", {
    "text": (STR, "the line without its newline"),
    "number": (NUMBER, "1-based line number"),
    "in_code": (BOOL, "inside a fenced or indented code block (Markdown only)"),
    "in_comment": (BOOL, "inside an HTML comment block `<!-- … -->` (Markdown only)"),
})


@loader("exists", {"path": STR}, BOOL, "True when the file or folder exists inside the repository.")
def exists(repo, path):
    return repo.exists(path)


def _paths(repo, pattern, dirs_only):
    if isinstance(pattern, (list, tuple)):
        for one in pattern:
            if not isinstance(one, str):
                raise EvaluationError(f"a glob is text, found {type(one).__name__} in the list")
        found = sorted({p for one in pattern for p in repo.glob(one, dirs_only=dirs_only)})
    elif isinstance(pattern, str):
        found = repo.glob(pattern, dirs_only=dirs_only)
    else:
        raise EvaluationError(f"a glob is text or a list of text, found {type(pattern).__name__}")
    return [PathValue(p, Loc(p)) for p in found]


@loader("glob", {"pattern": ANY}, List(PATH), "Files and folders matching a glob pattern (or any of a list), sorted.")
def glob(repo, pattern):
    return _paths(repo, pattern, False)


@loader("dirs", {"pattern": ANY}, List(PATH), "Folders matching a glob pattern (or any of a list), sorted.")
def dirs(repo, pattern):
    return _paths(repo, pattern, True)


@loader("text", {"path": STR}, STR, "The file's text (by its byte-order mark, else UTF-8; newlines normalized).")
def text(repo, path):
    norm = repo.normalize(path)
    return LStr(repo.read_text(norm), Loc(norm, 1))


def line_records(path: str, texts: list, in_code=None, in_comment=None) -> list:
    """A Line record for each text, numbered from 1 (`in_code`/`in_comment`: a flag per line,
    Markdown's; False without). Built field by field (fastpath): a file's lines are made by
    the ten thousand, and the constructors' round trips cost three times as much."""
    out = []
    append = out.append
    for number, line_text, code, comment in zip(count(1), texts, in_code or repeat(False), in_comment or repeat(False)):
        loc = new_tuple(Loc, (path, number, None))
        located = new_str(LStr, line_text)
        located.loc = loc
        rec = new_object(Record)
        rec.type = "Line"
        rec.loc = loc
        rec.fields = {"text": located, "number": number, "in_code": code, "in_comment": comment}
        append(rec)
    return out


@loader("lines", {"path": STR}, List(LINE), "Each line of the file with its number.")
def lines(repo, path):
    from .markdown import load_blocks  # split as Markdown's lines are: a file read both ways is split once

    return load_blocks(repo, repo.normalize(path)).file_lines()
