"""How long the markdown loader takes on 2,000 spec.md files, or on a repository's specs.

Run:  python benchmarks/bench_markdown.py [--files 2000] [--runs 5] [--corpus] [--markdown-it]
      python benchmarks/bench_markdown.py --repo DIR [--runs 5]

Writes N spec.md files to a temporary repository: filled-in Spec Kit specs of about 5 kB
(the size DESIGN.md measured, 2,000 files = 9.9 MB), or with --corpus copies of the real
spec.md files in ../shared/corpus. With --repo it reads every specs/*/spec.md, plan.md and
tasks.md of DIR instead (the 2,000-spec repository benchmarks/bench_scale.py builds). Then
times, best of --runs, keeping every result alive as a run does (each loaded file is
memoized until the end), and gives each as MB/s of the files' UTF-8:

- the block scan alone (`scan_blocks`: what is a heading, a fence, a table, a checkbox);
- `parse_markdown`, with Python's cyclic GC left on, then turned off for the whole run (the
  records hold no cycles, and a collector that re-walks millions of live records costs more
  than the parse). A record's fields (a located record for every line, heading, checkbox,
  table cell and link) are made when a gate first reads them: this is what a gate that
  reads none of them pays;
- `parse_markdown` and every field of every record read once (GC off): the whole typed view,
  what a run that reads everything pays (the walk's own cost, timed on the made view, taken
  off);
- `markdown(path)` through a Repo (GC off): read, decode and parse each file once.

With --markdown-it it also times markdown-it-py's parse of the same files, for scale.
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policylint.loaders.markdown import load_markdown, parse_markdown, scan_blocks  # noqa: E402
from policylint.repo import Repo  # noqa: E402
from policylint.values import Record  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
WORDS = ("account", "invoice", "export", "session", "report", "team", "invite", "theme", "search", "audit")


def spec_text(i: int) -> str:
    """A filled-in spec in the shape of Spec Kit's template, about 5 kB."""
    topic = f"{WORDS[i % len(WORDS)]} {WORDS[(i // 10) % len(WORDS)]}"
    parts = [
        f"# Feature Specification: {topic.title()} {i}\n",
        f"**Feature Branch**: `{i:03d}-{topic.replace(' ', '-')}`  ",
        "**Created**: 2025-10-20  ",
        "**Status**: Draft  ",
        f'**Input**: User description: "Let users manage the {topic} from their profile"\n',
        "## User Scenarios & Testing *(mandatory)*\n",
        "<!--\n  IMPORTANT: User stories should be PRIORITIZED as user journeys ordered by importance.\n-->\n",
    ]
    for story in range(1, 5):
        parts += [
            f"### User Story {story} - Manage the {topic} (Priority: P{story})\n",
            f"A signed-in user opens the {topic} page and changes what they need; the change is kept.\n",
            f"**Why this priority**: without it the {topic} cannot be used at all.\n",
            "**Independent Test**: can be tested alone by changing a setting and reloading the page.\n",
            "**Acceptance Scenarios**:\n",
            f"1. **Given** a signed-in user, **When** they open the {topic} page, **Then** they see their settings",
            "2. **Given** a changed setting, **When** the page reloads, **Then** the change is still there\n",
        ]
    parts += ["### Edge Cases\n", f"- What happens when the {topic} is empty?",
              "- How does the system handle two tabs changing the same setting?\n",
              "## Requirements *(mandatory)*\n", "### Functional Requirements\n"]
    parts += [f"- **FR-{k:03d}**: System MUST let users change setting {k} of the {topic}"
              + (" [NEEDS CLARIFICATION: which roles?]" if k == 4 and i % 3 == 0 else "") for k in range(1, 15)]
    parts += ["\n### Key Entities\n", f"- **{topic.title()}**: what the user manages, owned by one account",
              "- **Setting**: a name and a value\n", "## Success Criteria *(mandatory)*\n",
              "### Measurable Outcomes\n"]
    parts += [f"- **SC-{k:03d}**: {80 + k}% of users finish the change in under {k + 1} minutes" for k in range(1, 5)]
    parts += ["\n## Review Checklist\n", "| Check | Status |", "|-------|--------|",
              "| No implementation details | pass |", "| Requirements testable | pass |\n"]
    parts += [f"- [{'x' if k % 2 else ' '}] CHK{k:03d} Requirement {k} is unambiguous" for k in range(1, 7)]
    parts += ["\n## Assumptions\n", "- Users are signed in.", "- The existing profile page hosts the settings.\n",
              "```text\nOut of scope: bulk changes through the API.\n```\n"]
    return "\n".join(parts) + "\n"


def corpus_texts() -> list:
    files = sorted(p for folder in ("speckit", "openspec") for p in (CORPUS / folder).rglob("spec.md"))
    if not files:
        sys.exit(f"no spec.md under {CORPUS}")
    return [p.read_bytes() for p in files]


def repo_files(root: Path) -> list:
    """The spec.md, plan.md and tasks.md of every spec folder of `root`, as repository paths."""
    files = sorted(str(p.relative_to(root)) for name in ("spec.md", "plan.md", "tasks.md")
                   for p in (root / "specs").glob(f"*/{name}"))
    if not files:
        sys.exit(f"no specs/*/spec.md, plan.md or tasks.md under {root}")
    return files


def read_all(values) -> int:
    """Read every field of every record under `values`, each once; how many values were seen."""
    todo, seen = list(values), set()
    while todo:
        value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Record):
            todo.extend(value.get(name) for name in value.fields)
        elif isinstance(value, (list, tuple)):
            todo.extend(value)
        elif isinstance(value, dict):
            todo.extend(value.values())
    return len(seen)


def best_of(runs: int, work, collect: bool = True) -> float:
    """Best time of `work()`, its result kept alive while timed (freeing it is not timed)."""
    times = []
    for _ in range(runs):
        gc.collect()
        if not collect:
            gc.disable()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
        gc.enable()
        del result
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", action="store_true", help="copies of the corpus's spec.md files")
    parser.add_argument("--markdown-it", action="store_true", help="also time markdown-it-py, for scale")
    parser.add_argument("--repo", type=Path, help="read the specs/*/{spec,plan,tasks}.md of this repository")
    args = parser.parse_args()

    sources = corpus_texts() if args.corpus else None
    with tempfile.TemporaryDirectory() as tmp:
        if args.repo:
            root, paths = args.repo.resolve(), repo_files(args.repo.resolve())
            what = f"{len(paths)} spec.md, plan.md and tasks.md of {args.repo}"
        else:
            root = Path(tmp)
            paths = []
            for i in range(args.files):
                path = f"specs/{i + 1:04d}-feature/spec.md"
                (root / path).parent.mkdir(parents=True)
                data = sources[i % len(sources)] if sources else spec_text(i).encode("utf-8")
                (root / path).write_bytes(data)
                paths.append(path)
            what = f"{args.files} spec.md ({'corpus copies' if sources else 'generated'})"
        texts = [Repo(root).read_text(path) for path in paths]
        lines = [text.split("\n") for text in texts]
        size = sum(len(text.encode("utf-8")) for text in texts)

        def parse_all():
            return [parse_markdown(text, path) for text, path in zip(texts, paths)]

        def parse_and_read_all():
            docs = parse_all()
            read_all(docs)
            return docs

        scan = best_of(args.runs, lambda: [scan_blocks(file_lines) for file_lines in lines])
        parse_gc = best_of(args.runs, parse_all)
        parse = best_of(args.runs, parse_all, collect=False)
        made = [parse_and_read_all()]
        walk = best_of(args.runs, lambda: read_all(made[0]), collect=False)  # the walk alone: nothing left to make
        made.clear()
        everything = best_of(args.runs, parse_and_read_all, collect=False) - walk
        load = best_of(args.runs, lambda: [load_markdown(repo, path) for repo in [Repo(root)] for path in paths],
                       collect=False)

        def row(label: str, seconds: float) -> str:
            return f"{label:40s} {seconds:6.3f} s  {size / 1e6 / seconds:6.1f} MB/s"

        print(f"files: {what}, {size / 1e6:.1f} MB, {sum(map(len, lines)):,} lines; best of {args.runs}")
        print(row("block scan (scan_blocks):", scan))
        print(row("parse_markdown, cyclic GC on:", parse_gc))
        print(row("parse_markdown, cyclic GC off:", parse))
        print(row("parse_markdown + every field read:", everything))
        print(row("markdown(path) via Repo, read + parse:", load))
        if args.markdown_it:
            from markdown_it import MarkdownIt

            md = MarkdownIt("commonmark").enable("table")
            sample = texts[: max(1, len(texts) // 10)]
            reference = best_of(1, lambda: [md.parse(text) for text in sample]) * len(texts) / len(sample)
            print(f"markdown-it-py parse, for scale:       {reference:6.3f} s (timed on a tenth, scaled)")


if __name__ == "__main__":
    main()
