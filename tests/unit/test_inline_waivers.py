"""Inline waivers: comments beside a finding waive it, with their reason, in every format."""
from __future__ import annotations

import json

import pytest

from conftest import check as _check, make_repo
from policylint.inline_waivers import scan

POLICY = """pack demo "Demo" version "1.0"
lifecycle item in dirs("items/*") {
  claims text(item / ".status")
  stage one {
    gate no-todo "no TODO in notes" { require no l in lines(item / "notes.md"): l.text matches /TODO/ else "todo: {l.text}" }
    gate safe "no UNSAFE in notes" unwaivable { require no l in lines(item / "notes.md"): l.text matches /UNSAFE/ else "unsafe: {l.text}" }
  }
  stage two { gate has-done "a done file" { require exists(item / "done") } }
}
gate config-ok "config has an owner" { require yaml("config.yaml").owner != null else "no owner" }
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = make_repo(tmp_path / "repo", {
        ".policylint.yaml": "packs: [./demo.policy]\n", "demo.policy": POLICY,
        "items/a/.status": "two\n", "items/a/done": "",
        "config.yaml": "name: x\n",
    })
    monkeypatch.chdir(root)
    return root


# -- reading the comments ------------------------------------------------------------------------
@pytest.mark.parametrize("path, text, expected", [
    ("a.md", "<!-- policylint: waive demo.one.no-todo -- agreed with QA -->\nTODO\n",
     [("demo.one.no-todo", "agreed with QA", 1)]),
    ("a.md", "TODO <!--policylint:waive demo.one.*, demo.two -- later-->\n",
     [("demo.one.*", "later", 1), ("demo.two", "later", 1)]),
    ("c.yaml", "key: 1  # policylint: waive demo.config-ok -- owner is the org\n",
     [("demo.config-ok", "owner is the org", 1)]),
    ("c.toml", "# policylint: waive demo.config-ok -- a -- b\nx = 1\n", [("demo.config-ok", "a -- b", 1)]),
    ("a.md", "```\n<!-- policylint: waive demo.x -- an example in code -->\n```\n", []),
    ("a.md", "write `<!-- policylint: waive demo.x -- reason -->` above it\n", []),
])
def test_comments_are_read_per_syntax(path, text, expected):
    found = scan(text, path)
    assert [(w.gate, w.reason, w.line) for w in found.waivers] == expected
    assert not found.problems


def test_a_comment_covers_its_line_the_next_and_in_the_leading_block_the_whole_file():
    found = scan("<!-- policylint: waive g -- r -->\n# Title\n<!-- policylint: waive h -- s -->\ntext\n", "a.md")
    first, second = found.waivers
    assert first.lines == {("a.md", 1), ("a.md", 2), ("a.md", None)}
    assert second.lines == {("a.md", 3), ("a.md", 4)}


@pytest.mark.parametrize("path, text, message", [
    ("a.md", "<!-- policylint: waive demo.one.no-todo -->\n",
     "waiver comment for `demo.one.no-todo` gives no reason, so it waives nothing: "
     "write `<!-- policylint: waive GATE-ID -- reason -->`"),
    ("a.md", "<!-- policylint: waive demo.one.no-todo --   -->\n",
     "waiver comment for `demo.one.no-todo` gives no reason, so it waives nothing: "
     "write `<!-- policylint: waive GATE-ID -- reason -->`"),
    ("c.yaml", "# policylint: waive -- because\n",
     "waiver comment names no gate, so it waives nothing: write `# policylint: waive GATE-ID -- reason`"),
])
def test_a_comment_without_reason_or_gate_is_a_problem(path, text, message):
    found = scan(text, path)
    assert not found.waivers
    assert [(p.path, p.line, p.message) for p in found.problems] == [(path, 1, message)]


# -- end to end ------------------------------------------------------------------------------------
def test_markdown_waiver_on_the_line_before_waives_with_its_reason_in_every_format(repo, capsys):
    make_repo(repo, {"items/a/notes.md": "# Notes\n<!-- policylint: waive demo.one.no-todo -- tracked in JIRA-12 -->\nTODO: x\n"})
    code, out, _ = _check(capsys)
    assert code == 1  # config-ok still fails
    assert "items/a  claims two (items/a/.status:1) · earned two  ✓\n" in out  # the waiver counts for the stage
    assert "  WAIVED demo.one.no-todo  no TODO in notes\n" in out
    assert "         waived: tracked in JIRA-12 (items/a/notes.md:2)\n" in out
    _, out, _ = _check(capsys, "-f", "json")
    result = next(r for r in json.loads(out)["results"] if r["gate"] == "demo.one.no-todo")
    assert result["status"] == "waived"
    assert result["waiver"] == {"reason": "tracked in JIRA-12", "approved_by": None, "expires": None,
                                "source": "items/a/notes.md:2"}
    _, out, _ = _check(capsys, "-f", "sarif")
    sarif = json.loads(out)["runs"][0]["results"]
    waived = next(r for r in sarif if r["ruleId"] == "demo.one.no-todo")
    assert waived["suppressions"][0]["kind"] == "inSource"
    assert waived["suppressions"][0]["justification"] == "tracked in JIRA-12"
    assert waived["suppressions"][0]["location"]["physicalLocation"]["region"]["startLine"] == 2


def test_same_line_waiver_and_yaml_comment(repo, capsys):
    make_repo(repo, {"items/a/notes.md": "TODO: x <!-- policylint: waive demo.one.* -- fine here -->\n",
                     "config.yaml": "# policylint: waive demo.config-ok -- the org owns it\nname: x\n"})
    code, out, _ = _check(capsys)
    assert code == 0
    assert "  WAIVED demo.config-ok  config has an owner\n" in out
    assert "         waived: the org owns it (config.yaml:1)\n" in out
    assert "  WAIVED demo.one.no-todo  no TODO in notes\n" in out


def test_a_waiver_two_lines_above_waives_nothing_and_is_stale(repo, capsys):
    make_repo(repo, {"items/a/notes.md": "<!-- policylint: waive demo.one.no-todo -- too far -->\n\nTODO: x\n"})
    code, out, _ = _check(capsys)
    assert "  FAIL   demo.one.no-todo  no TODO in notes\n" in out
    assert ("note[PL301] items/a/notes.md:1: stale waiver: `demo.one.no-todo` waives nothing that fails "
            "on this line or the next; remove it\n") in out


def test_a_result_is_waived_only_where_every_place_has_a_waiver(repo, capsys):
    make_repo(repo, {"items/a/notes.md": "<!-- policylint: waive demo.one.no-todo -- later -->\nTODO: a\nTODO: b\n"})
    _, out, _ = _check(capsys)
    assert "  FAIL   demo.one.no-todo  no TODO in notes\n" in out and "PL301" not in out
    make_repo(repo, {"items/a/notes.md": "<!-- policylint: waive demo.one.no-todo -- later -->\nTODO: a\n"
                                         "<!-- policylint: waive demo.one.no-todo -- b too -->\nTODO: b\n"})
    _, out, _ = _check(capsys)
    assert "         waived: later; b too (items/a/notes.md:1)\n" in out


def test_an_unwaivable_gate_refuses_an_inline_waiver(repo, capsys):
    make_repo(repo, {"items/a/notes.md": "<!-- policylint: waive demo.one.safe -- trust me -->\nUNSAFE\n"})
    code, out, _ = _check(capsys)
    assert code == 1
    assert "  FAIL   demo.one.safe  no UNSAFE in notes\n" in out
    assert "note[PL304] items/a/notes.md:1: waiver refused: `demo.one.safe` is unwaivable (trust me)\n" in out


def test_a_comment_without_reason_and_one_naming_no_gate_are_noted(repo, capsys):
    make_repo(repo, {"items/a/notes.md": "<!-- policylint: waive demo.one.no-todo -->\nTODO\n"
                                         "<!-- policylint: waive demo.one.no-tood -- typo -->\nTODO\n"})
    code, out, _ = _check(capsys)
    assert code == 1 and "  FAIL   demo.one.no-todo  no TODO in notes\n" in out
    assert ("note[PL313] items/a/notes.md:1: waiver comment for `demo.one.no-todo` gives no reason, so it waives "
            "nothing: write `<!-- policylint: waive GATE-ID -- reason -->`\n") in out
    assert ("note[PL312] items/a/notes.md:3: waiver comment names `demo.one.no-tood`, which is no gate of the "
            "packs in this run, so it waives nothing; did you mean `demo.one.no-todo`?\n") in out


def test_a_line_of_unclosed_waiver_comments_is_scanned_in_one_pass():
    """Repository text goes through RE2: twenty thousand unclosed comments on one line are no
    quadratic scan (Python's `re` retried the lazy body from every `<!--`), and waive nothing."""
    from policylint.inline_waivers import scan

    found = scan("<!-- policylint: waive x.y -- r " * 20_000 + "\n", "a.md")
    assert found.waivers == [] and found.problems == []
