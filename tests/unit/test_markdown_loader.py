"""The markdown loader: the corpus against markdown-it-py, the Repo side, hostile input.

Its cases are folders under tests/cases/loaders/markdown/, run by tests/test_cases.py in the
format tests/caserunner.py describes.
"""
from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from conftest import CORPUS, assert_no_reference_cycle
from policylint.errors import ArtifactError, ArtifactMissing
from policylint.loaders.markdown import MARKDOWN, load_markdown, parse_markdown
from policylint.repo import Repo
from policylint.types import ListType, RecordType
from policylint.values import Lazy, LStr

CASES = Path(__file__).parents[1] / "cases" / "loaders" / "markdown"


# -- the corpus, against markdown-it-py -----------------------------------------------------

def corpus_files() -> list:
    if not CORPUS.is_dir():
        return []
    return sorted(p for folder in ("speckit", "openspec") for p in (CORPUS / folder).rglob("*.md"))


def corpus_id(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def markdown_it_view(text: str):
    """Headings, checkboxes, tables and code blocks as markdown-it-py sees them."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"tasklists": True}).enable("table")
    lines = text.split("\n")
    # Front matter is not CommonMark: markdown-it would read `---` as a rule and the YAML
    # above the closing `---` as a setext heading. Blank it out, lines kept.
    if lines[0].rstrip() == "---":
        end = next((k for k in range(1, len(lines)) if lines[k].rstrip() in ("---", "...")), None)
        if end is not None:
            lines[:end + 1] = [""] * (end + 1)
    tokens = md.parse("\n".join(lines))
    headings, checkboxes, tables, code = [], [], [], []
    for k, token in enumerate(tokens):
        if token.type == "heading_open":
            # The title as text: markdown-it drops inline HTML (comments included), turns
            # line breaks into spaces; spaces are normalized on both sides.
            words = "".join(child.content if child.type in ("text", "code_inline") else " "
                            for child in tokens[k + 1].children
                            if child.type in ("text", "code_inline", "softbreak", "hardbreak"))
            headings.append((int(token.tag[1]), token.map[0] + 1, " ".join(words.split())))
        elif token.type == "list_item_open" and token.meta and "checked" in token.meta:
            checkboxes.append((token.map[0] + 1, token.meta["checked"]))  # GFM task items, since 4.3
        elif token.type == "table_open":
            header, rows = [], 0
            for j in range(k, len(tokens)):
                if tokens[j].type == "table_close":
                    break
                if tokens[j].type == "th_open":
                    header.append(tokens[j + 1].content)
                if tokens[j].type == "tr_open" and tokens[j].map[0] > token.map[0]:
                    rows += 1
            tables.append((token.map[0] + 1, header, rows))
        elif token.type in ("fence", "code_block"):
            code.append((token.map[0] + 1, token.info.split()[0] if token.info.strip() else "",
                         token.content.rstrip("\n")))
    return headings, checkboxes, tables, code


def our_view(text: str):
    doc = parse_markdown(text, "x.md")
    return ([(h["level"], h["line"], " ".join(h["text"].split())) for h in doc["headings"]],
            [(c["line"], c["checked"]) for c in doc["checkboxes"]],
            [(t["line"], [str(cell) for cell in t["header"]], len(t["rows"])) for t in doc["tables"]],
            [(c["line"], str(c["lang"]), str(c["text"]).rstrip("\n")) for c in doc["code_blocks"]])


def read_corpus(path: Path) -> str:
    """As Repo reads it: invalid UTF-8 replaced (one spec.md is cp1252)."""
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
@pytest.mark.parametrize("path", corpus_files(), ids=[corpus_id(p) for p in corpus_files()])
def test_corpus_file_reads_as_markdown_it_reads_it(path):
    pytest.importorskip("markdown_it", minversion="4.3")  # task-list items since 4.3
    text = read_corpus(path)
    ours, theirs = our_view(text), markdown_it_view(text)
    for name, mine, reference in zip(("headings", "checkboxes", "tables", "code blocks"), ours, theirs):
        assert mine == reference, f"{corpus_id(path)}: {name} differ"


# Documents assembled at random from lines that stress the block rules. Block quotes are
# left out: their content is read as plain text (a documented simplification).
FRAGMENTS = [
    "# Title", "## Sub *(mandatory)*", "### Deep `code` **bold**", "#NoSpace", "####### seven",
    "   # three spaces", "    # four spaces", "## Closing ##", "# ", "#", "Title", "Some paragraph text",
    "===", "---", "-", "--", "- - -", "***", "___", "* * *", "- item", "* item", "+ item", "1. item",
    "2. item", "1) item", "- [ ] open task", "- [x] done task", "* [X] Done", "+ [ ] plus", "1. [ ] ordered",
    "3. [x] three", "  - [ ] nested", "    - [ ] nested4", "      - [x] nested6", "- [ ]", "- [x]foo",
    "-  [ ] two spaces", "  continuation", "    indented code", "\tTabbed", "- \tTab item", "", "", "",
    "```", "```python", "~~~", "~~~~", "````", "  ```", "    ```", "``` ```", "<!--", "-->",
    "<!-- inline -->", "text <!-- x", "<div>", "</div>", "<details>", "<span>", "<custom-tag>",
    "| a | b |", "|---|---|", "| 1 | 2 |", "a | b", "--|--", "| x |", "|:-:|--:|", "| c \\| d | e |",
    "- # heading in item", "- ```", "  code in item", "- | a | b |", "  |---|---|", "**Status**: Draft",
    "1.", "*", "10. ten", "- - [ ] double", "<script>", "</script>", "<?php", "?>", "<![CDATA[", "]]>",
    "``` info `tick`", "~~~ info `ok`", "   ~~~~~", " 1. [ ] one", "1.     five spaces", "-\t[ ] tab",
    "\t- [ ] tab indent", "  \t## tab heading", "  ===", "   ---", "    ---", "Foo  ", "# Foo #",
]


def test_random_documents_read_as_markdown_it_reads_them():
    pytest.importorskip("markdown_it", minversion="4.3")
    generator = random.Random(20250101)
    for _ in range(1500):
        text = "\n".join(generator.choice(FRAGMENTS) for _ in range(generator.randint(2, 14))) + "\n"
        if text.startswith("---\n") and "\n---\n" in text[3:]:
            continue  # front matter, compared on its own
        assert our_view(text) == markdown_it_view(text), text


# -- details the cases do not show ---------------------------------------------------------

def test_crlf_and_lone_cr_read_as_lf():
    text = "# Title\r\n\r\n- [x] done\r\n- [ ] open\rmore\r\n"
    doc = parse_markdown(text, "crlf.md")
    assert [h["text"] for h in doc["headings"]] == ["Title"]
    assert [(c["line"], c["checked"], c["text"]) for c in doc["checkboxes"]] == [(3, True, "done"), (4, False, "open")]
    assert doc["text"] == "# Title\n\n- [x] done\n- [ ] open\nmore\n"
    assert [line["text"] for line in doc["lines"]] == ["# Title", "", "- [x] done", "- [ ] open", "more"]


def test_a_final_newline_ends_the_last_line():
    assert [line["number"] for line in parse_markdown("a\nb\n", "x.md")["lines"]] == [1, 2]
    assert [line["number"] for line in parse_markdown("a\nb", "x.md")["lines"]] == [1, 2]
    assert parse_markdown("", "x.md")["lines"] == []


def test_every_string_from_a_line_is_located():
    doc = parse_markdown("# A\n\n- [ ] b\n\n| h |\n|---|\n| c |\n\n[l](t.md)\n**K**: v\n", "d/x.md")
    strings = [doc["headings"][0]["text"], doc["headings"][0]["body"], doc["checkboxes"][0]["text"],
               doc["checkboxes"][0]["section"], doc["tables"][0]["header"][0], doc["tables"][0]["rows"][0]["h"],
               doc["links"][0]["target"], doc["meta"]["K"], doc["lines"][2]["text"]]
    assert all(isinstance(s, LStr) and s.loc.path == "d/x.md" and s.loc.line for s in strings)
    assert doc["path"] == "d/x.md" and doc["path"].loc.line is None


def test_fields_are_made_when_read_and_shared():
    """A field is made when first read; a heading's checkboxes and lines are the document's."""
    doc = parse_markdown("# A\n\n- [ ] b\n\n## B\n\n- [x] c\n", "x.md")
    assert all(type(doc.fields[name]) is Lazy for name in ("lines", "headings", "checkboxes", "tables", "meta"))
    a, b = doc["headings"]
    assert doc["sections"] == [a] and a["children"] == [b]
    assert a["checkboxes"][0] is doc["checkboxes"][0] and b["checkboxes"] == doc["checkboxes"][1:]
    assert b["lines"][0] is doc["lines"][5] and a["body"] == "\n- [ ] b\n\n## B\n\n- [x] c"


def test_a_document_holds_no_reference_cycle():
    assert_no_reference_cycle(lambda: parse_markdown(
        "---\na: 1\n---\n# A\n\n- [ ] b\n\n| h |\n|---|\n| c |\n\n## B\n[l](t.md)\n**K**: v\n```py\nx\n```\n", "x.md"))


def test_front_matter_is_only_at_the_top_and_must_be_closed():
    assert parse_markdown("---\na: 1\n---\n# T\n", "x.md")["front_matter"] == {"a": 1}
    assert parse_markdown("---\n---\n", "x.md")["front_matter"] is None  # empty
    unclosed = parse_markdown("---\n# a: 1\n", "x.md")  # a thematic break, then a heading
    assert unclosed["front_matter"] is None and [h["text"] for h in unclosed["headings"]] == ["a: 1"]
    assert parse_markdown("\n---\na: 1\n---\n", "x.md")["front_matter"] is None


def test_front_matter_refuses_a_billion_laughs():
    bomb = ["---", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 9):
        bomb.append(f"{chr(97 + k)}: &{chr(97 + k)} [" + ", ".join([f"*{chr(96 + k)}"] * 10) + "]")
    bomb.append("---")
    with pytest.raises(ArtifactError, match="aliases expand to more than"):
        parse_markdown("\n".join(bomb) + "\n", "bomb.md")["front_matter"]


def test_front_matter_is_not_python_objects():
    with pytest.raises(ArtifactError, match="refused: the YAML tag `!!python/object/apply:os.system`"):
        parse_markdown("---\nx: !!python/object/apply:os.system ['true']\n---\n", "evil.md")["front_matter"]


def test_the_loader_reads_through_the_repo_once(tmp_path):
    (tmp_path / "specs" / "001-a").mkdir(parents=True)
    (tmp_path / "specs" / "001-a" / "spec.md").write_text("# Spec\n\n**Status**: Draft\n", encoding="utf-8")
    repo = Repo(tmp_path)
    doc = load_markdown(repo, "specs/001-a/spec.md")
    assert doc.type == "Markdown" and doc["meta"]["Status"] == "Draft"
    assert doc["headings"][0].loc == ("specs/001-a/spec.md", 1, None)
    assert load_markdown(repo, "specs/./001-a/spec.md") is doc


# A file read by both markdown() and lines() is made into Line records once: whichever is read
# first, each gives what it gives read alone (its own code and comment flags), located alike.
SHARED_LINES = {
    "plain.md": "# Spec\n\ntext\n",
    "code.md": "# Plan\n\n```text\nsrc/\n```\n<!-- a\nnote -->\nafter\n",
    "newline.md": "\n",
    "empty.md": "",
}


def _line_view(records) -> list:
    return [(r.loc, dict(r.fields), r["text"].loc) for r in records]


@pytest.mark.parametrize("name", sorted(SHARED_LINES))
@pytest.mark.parametrize("markdown_first", [True, False])
def test_markdown_and_lines_read_the_same_file_as_each_alone(tmp_path, name, markdown_first):
    from policylint.loaders.files import lines

    (tmp_path / name).write_text(SHARED_LINES[name], encoding="utf-8")
    alone_md = _line_view(load_markdown(Repo(tmp_path), name)["lines"])
    alone_lines = _line_view(lines(Repo(tmp_path), name))
    repo = Repo(tmp_path)
    if markdown_first:
        both_md, both_lines = load_markdown(repo, name)["lines"], lines(repo, name)
    else:
        both_lines = lines(repo, name)
        both_md = load_markdown(repo, name)["lines"]
    assert _line_view(both_md) == alone_md and _line_view(both_lines) == alone_lines
    assert lines(repo, name) is both_lines
    if name == "newline.md":  # one empty line to Markdown, none to lines()
        assert len(alone_md) == 1 and alone_lines == []
    if name == "code.md":  # the text of a line in code is the same object for both
        assert [line["in_code"] for line in both_md][2:5] == [True] * 3
        assert both_md[3]["text"] is both_lines[3]["text"] and both_md[0] is both_lines[0]


def test_a_missing_file_or_a_path_outside_the_root_is_an_artifact_error(tmp_path):
    repo = Repo(tmp_path)
    with pytest.raises(ArtifactMissing):
        load_markdown(repo, "nope.md")
    with pytest.raises(ArtifactError):
        load_markdown(repo, "../outside.md")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_a_cp1252_spec_loads_with_a_notice(tmp_path):
    source = next((CORPUS / "speckit" / "oriva-platform" / "specs").glob("004-*/spec.md"))
    (tmp_path / "spec.md").write_bytes(source.read_bytes())
    repo = Repo(tmp_path)
    doc = load_markdown(repo, "spec.md")
    assert doc["headings"][0]["text"] == "Feature Specification: Platform Events & Notifications System"
    assert len(doc["headings"]) == len(parse_markdown(read_corpus(source), "spec.md")["headings"])
    assert [notice.code for notice in repo.notices.values()] == ["PL403"]


def test_the_signature_and_record_types_are_declared():
    signature = load_markdown.signature
    assert signature.name == "markdown" and signature.needs_repo and signature.returns == MARKDOWN
    assert [name for name, _ in signature.params] == ["path"]
    heading = MARKDOWN.field_type("headings").elem
    assert isinstance(heading, RecordType) and heading.field_type("children").elem == heading
    assert set(heading.fields) == {"text", "title", "level", "line", "body", "lines", "children",
                                   "checkboxes", "tables"}
    row = MARKDOWN.field_type("tables").elem.field_type("rows").elem
    assert set(row.fields) == {"cells", "line"}
    assert isinstance(MARKDOWN.field_type("lines"), ListType)
    doc = parse_markdown("# a\n", "x.md")
    assert set(doc.fields) == set(MARKDOWN.fields)


# -- hostile input: these must finish (the benchmark, not a timed test, holds the numbers) --

def test_a_five_megabyte_file():
    spec = (CASES / "speckit-spec-template" / "input.md").read_text(encoding="utf-8")
    extra = "\n| Test File | Status |\n|---|---|\n| `a.py` | pass |\n\n- [ ] CHK001 item\n\n```\n# code\n```\n"
    copies = 5_000_000 // len(spec + extra) + 1
    doc = parse_markdown((spec + extra) * copies, "big.md")
    one = parse_markdown(spec + extra, "one.md")
    assert len(doc["headings"]) == copies * len(one["headings"]) and len(doc["sections"]) == copies
    assert len(doc["checkboxes"]) == len(doc["tables"]) == len(doc["code_blocks"]) == copies
    assert sum(line["in_comment"] for line in doc["lines"]) == copies * sum(l["in_comment"] for l in one["lines"])


def test_deeply_nested_lists():
    text = "".join("  " * depth + "- [ ] level\n" for depth in range(2000))
    doc = parse_markdown(text, "deep.md")
    assert len(doc["checkboxes"]) == 2000


def test_many_list_markers_on_one_line_stay_linear():
    started = time.perf_counter()
    doc = parse_markdown("- " * 50_000 + "[ ] x\n", "markers.md")
    assert doc["checkboxes"] == [] and time.perf_counter() - started < 30  # quadratic would take minutes


def test_an_unclosed_fence_hides_the_rest():
    doc = parse_markdown("# Before\n```\n" + "# not a heading\n- [ ] not a box\n" * 50_000, "open.md")
    assert [h["text"] for h in doc["headings"]] == ["Before"] and doc["checkboxes"] == []
    assert all(line["in_code"] for line in doc["lines"][1:])


@pytest.mark.parametrize("line", [
    "a" * 100_000, "#" * 100_000, "# a" + " " * 100_000 + "b", "- [ ] " + "x" * 100_000, "[" * 100_000 + "](x)",
    "[a](" * 25_000, '[a](b "' * 15_000, "|" * 100_000, "- " * 50_000 + "x", "<" * 100_000, "**" * 50_000,
    "<a" + " b" * 50_000 + " !", "# " + "*_" * 50_000, "`" * 100_000, ">" * 100_000,
], ids=lambda line: repr(line[:12]))
def test_lines_of_a_hundred_thousand_characters(line):
    doc = parse_markdown(line + "\n" + line + "\n", "long.md")
    assert len(doc["lines"]) == 2


def test_a_table_a_hundred_thousand_cells_wide():
    text = "| a " * 100_000 + "|\n" + "|---" * 100_000 + "|\n" + "| x " * 100_000 + "|\n"
    table = parse_markdown(text, "wide.md")["tables"][0]
    assert len(table["header"]) == 100_000 and len(table["rows"][0]["cells"]) == 100_000
