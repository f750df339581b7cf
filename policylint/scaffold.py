"""`policylint new pack NAME`: a pack folder with one documented gate and two cases that pass."""
from __future__ import annotations

from pathlib import Path

POLICY = '''pack {name} "{name}: the workflow rules this pack enforces" version "0.1.0" detect "docs/*.md"

## Every document under docs/ starts with a `# Title` heading, so the docs index can list it.
## Passing: docs/guide.md begins with `# Guide`. Failing: docs/notes.md begins with plain text.
gate docs-have-titles "Every document under docs/ has a title" {{
  require every f in glob("docs/*.md"): count(markdown(f).headings where it.level == 1) > 0
    else "{{f}} has no `# Title` heading"
}}
'''

README = '''# `{name}`

What this pack enforces, and for whom. Run it with `policylint check --pack ./{name}`;
test it with `policylint test ./{name}`.

## Gates

### `{name}.docs-have-titles` — every document under docs/ has a title (error)

- **What**: every `docs/*.md` has a level-1 heading.
- **Why**: the docs index lists documents by their title.
- **Passing**: `docs/guide.md` starts with `# Guide`.
- **Failing**: `docs/notes.md` starts with plain text →
  `docs/notes.md: docs/notes.md has no `# Title` heading`.
'''

CASES = {
    "titled-docs": (
        {"docs/guide.md": "# Guide\n\nHow to use the service.\n"},
        "note: every document has a title\nresults:\n  .:\n    {name}.docs-have-titles: pass\nexit_code: 0\n",
    ),
    "untitled-doc": (
        {"docs/guide.md": "# Guide\n\nHow to use the service.\n", "docs/notes.md": "Some notes without a title.\n"},
        "note: docs/notes.md has no title, so the gate fails and points at it\nresults:\n  .:\n"
        "    {name}.docs-have-titles:\n      status: fail\n      evidence:\n"
        "        - 'docs/notes.md: docs/notes.md has no `# Title` heading'\nexit_code: 1\n",
    ),
}


def write_pack(folder: Path, name: str) -> list:
    """Create the pack; returns the files written, in order."""
    written = []

    from .fsutil import write_text

    def put(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text)
        written.append(path)

    put(folder / f"{name}.policy", POLICY.format(name=name))
    put(folder / "README.md", README.format(name=name))
    for case, (files, expected) in CASES.items():
        for rel, text in files.items():
            put(folder / "tests" / case / "repo" / rel, text)
        put(folder / "tests" / case / "expected.yaml", expected.format(name=name))
    return written
