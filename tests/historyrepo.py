"""A scripted git history of the sample repository (fixtures/speckit-demo), for the history and
board tests and the benchmark: `make_history(tmp_path)` returns the repository's root.

The first commit is the demo as it is; each later commit edits it as a team would, and with the
speckit pack the earned stages move (`EXPECTED_EARNED`, per commit, oldest first): 004's open
question answered, 005's missing section added, 003's tasks ticked in two steps, 001 moving
back (a task unticked), 002's checklist completed. Commits are made by casegit (fixed author,
dates a minute apart from 2026-01-01, none of the user's configuration), so the shas are
the same on every machine. `commits` past the scripted ones add commits that alternately edit the
README and untick / tick 001's T004 again.
"""
from __future__ import annotations

import shutil
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "speckit-demo"
LIFECYCLE = "speckit.spec"

_S1, _S2, _S3, _S4, _S5 = ("specs/001-password-reset", "specs/002-invoice-csv-export", "specs/003-team-invitations",
                           "specs/004-activity-feed", "specs/005-dark-mode")
_QUESTION = ("[NEEDS CLARIFICATION: every entry since the member's last visit, or only the 50 most recent?]",
             "every entry since the member's last visit")
_CRITERIA = ("\n## Success Criteria *(mandatory)*\n\n### Measurable Outcomes\n\n"
             "- **SC-001**: Nine in ten users who switch the system theme see the app follow within one second\n")

# (message, [(path, old text, new text) or (path, None, text to append)])
STEPS = [
    ("004: answer the open question on the feed's length", [(f"{_S4}/spec.md", *_QUESTION)]),
    ("005: add the success criteria", [(f"{_S5}/spec.md", None, _CRITERIA)]),
    ("003: T001-T004 done", [(f"{_S3}/tasks.md", f"- [ ] {t}", f"- [X] {t}") for t in ("T001", "T002", "T003",
                                                                                      "T004")]),
    ("003: every task done", [(f"{_S3}/tasks.md", f"- [ ] {t}", f"- [X] {t}") for t in ("T005", "T006", "T007")]),
    ("001: T004 reopened: the token hashing needs a review", [(f"{_S1}/tasks.md", "- [X] T004", "- [ ] T004")]),
    ("002: UX checklist reviewed", [(f"{_S2}/checklists/ux.md", "- [ ] CHK003", "- [x] CHK003"),
                                    (f"{_S2}/checklists/ux.md", "- [ ] CHK004", "- [x] CHK004")]),
]


def make_history(tmp_path: Path, commits: int | None = None) -> Path:
    """The demo as a git repository with the scripted history (at least 7 commits; `commits` for more)."""
    from policylint.casegit import build_history

    root = Path(tmp_path) / "speckit-history"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".policylint_cache", ".git"))
    history = []
    for message, edits in _steps(root, commits):
        files: dict = {}
        for path, old, new in edits:
            text = files.get(path)
            if text is None:
                text = (root / path).read_text(encoding="utf-8")
            if old is None:
                text += new
            else:
                assert old in text, (path, old)
                text = text.replace(old, new, 1)
            files[path] = text
            (root / path).write_text(text, encoding="utf-8")  # the next step edits what this one left
        history.append({"commit": message, "files": files})
    for path in {p for _, edits in _steps(root, commits) for p, _, _ in edits}:  # back to the start:
        shutil.copyfile(DEMO / path, root / path)  # build_history commits the demo first, then each step
    build_history(root, {"initial": "chore: import the speckit demo", "history": history}, root / "expected.yaml")
    return root


def _steps(root: Path, commits: int | None) -> list:
    steps = list(STEPS)
    extra = max(0, (commits or 0) - 1 - len(steps))
    for n in range(extra):
        if n % 2 == 0:
            steps.append((f"docs: README note {n // 2 + 1}", [("README.md", None, f"\nNote {n // 2 + 1}.\n")]))
        else:
            done = (n // 2) % 2 == 0  # STEPS left T004 open
            steps.append((f"001: T004 {'done' if done else 'reopened'} again",
                          [(f"{_S1}/tasks.md", "- [ ] T004", "- [X] T004") if done else
                           (f"{_S1}/tasks.md", "- [X] T004", "- [ ] T004")]))
    return steps
