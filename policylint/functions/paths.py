"""Functions over paths held as text, such as `git.changed_files[].path`.

- `glob_match(path, globs)`: whether the path matches a glob, or any glob of a list, with the
  meaning `glob(…)` gives them: `*` and `?` stay within one folder, `**` spans folders (zero or
  more: `src/**/*.py` matches `src/a.py`), `[abc]` and `[!abc]` are character classes, and the
  whole path must match. `glob_match(f.path, ["src/api/**", "src/routes/**"])`.
"""
from __future__ import annotations

from functools import lru_cache

from ..errors import EvaluationError
from ..signature import builtin
from ..types import ANY, BOOL, STR
from .collections import items_of


@builtin("glob_match", {"path": STR, "globs": ANY}, BOOL,
         "Whether the path matches the glob, or one of a list of globs (`**` spans folders).")
def glob_match(path, globs):
    from ..regex import found

    if path is None:
        return False
    text = str(path).replace("\\", "/")
    patterns = [globs] if isinstance(globs, str) else items_of(globs)
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise EvaluationError(f"`glob_match` needs globs as text, found {type(pattern).__name__}")
        if found(glob_to_regex(pattern), text):
            return True
    return False


@lru_cache(maxsize=256)
def glob_to_regex(glob: str) -> str:
    """An anchored RE2 pattern for a glob."""
    out, i, n = ["^"], 0, len(glob)
    while i < n:
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[" and _class_end(glob, i) > 0:
            end = _class_end(glob, i)
            inner = glob[i + 1:end]
            negate = inner[:1] in ("!", "^")
            body = (inner[1:] if negate else inner).replace("\\", "\\\\").replace("]", "\\]")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end + 1
        else:
            out.append("\\" + ch if not ch.isalnum() and ch not in "/_-" else ch)
            i += 1
    out.append("$")
    return "".join(out)


def _class_end(glob: str, start: int) -> int:
    """Index of the `]` closing the class that opens at `start` (a `]` first in it is literal), or -1."""
    i = start + 1
    if glob[i:i + 1] in ("!", "^"):
        i += 1
    if glob[i:i + 1] == "]":
        i += 1
    return glob.find("]", i)
