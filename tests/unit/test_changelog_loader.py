"""The changelog loader: the Repo side, what policies see, hostile input.

Its cases are folders under tests/cases/loaders/changelog/, run by tests/test_cases.py
(`source:` names where a real file comes from). Real changelogs: keep-a-changelog itself,
rich, structlog, metalsmith (2016) and prometheus-fastapi-instrumentator (2020 and 2023),
each shortened; `malformed` is ours.
"""
from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from caserunner import loader_cases
from conftest import run_policy
from policylint.errors import ArtifactError, ArtifactMissing, PolicylintError
from policylint.loaders import LOADERS, get
from policylint.loaders.changelog import (CHANGELOG, ENTRY, GROUP, GROUPS, KNOWN_GROUPS, VERSION,
                                          load_changelog, parse_changelog)
from policylint.packtest import evidence_line
from policylint.repo import Repo
from policylint.types import element_type

CASES = Path(__file__).parents[1] / "cases" / "loaders" / "changelog"


def test_every_case_names_its_source():
    for case in loader_cases("changelog"):
        assert case.spec.get("source"), case


# -- groups by name --------------------------------------------------------------------------

def _case(name: str):
    return parse_changelog((CASES / name / "CHANGELOG.md").read_text(encoding="utf-8"), "CHANGELOG.md")


def test_groups_by_name_add_up_headings_of_the_same_name():
    v13 = _case("rich-duplicate-groups")["versions"][1]
    assert v13["version"] == "13.0.0"
    assert [e["line"] for e in v13["groups"]["Fixed"]] == [24, 25, 29]
    assert [e["line"] for e in v13["groups"]["Changed"]] == [33]
    assert v13["groups"]["Added"] == [] and v13["groups"]["Security"] == []
    assert [str(s["name"]) for s in v13["sections"]] == ["Fixed", "Fixed", "Changed"]
    assert v13["groups"].loc == ("CHANGELOG.md", 20, None)


def test_other_groups_are_reached_by_their_name_as_written():
    metalsmith = _case("metalsmith-2016")
    yanked = metalsmith["versions"][3]
    assert yanked["version"] == "2.2.1" and yanked["yanked"]
    assert yanked["groups"]["deprecated"] == [] and "deprecated" in yanked["groups"].fields
    assert yanked["groups"].get("Updated") is None
    assert [s["known"] for s in yanked["sections"]] == [False]


def test_a_group_written_at_level_two_belongs_to_the_version_above():
    version = _case("instrumentator-2023")["versions"][2]
    assert version["version"] == "5.11.2"
    assert [(str(s["name"]), s["level"]) for s in version["sections"]] == [("Fixed", 2)]
    assert [e["line"] for e in version["groups"]["Fixed"]] == [28]


def test_latest_released_and_unreleased():
    kac = _case("keep-a-changelog")
    assert kac["unreleased"] is kac["versions"][0] and kac["latest"] is kac["versions"][1]
    assert [str(v["version"]) for v in kac["released"]] == ["1.1.1", "1.1.0", "1.0.0", "0.0.1"]
    assert kac["latest"]["date"] == datetime.date(2023, 3, 5)
    only_unreleased = parse_changelog("# Changelog\n\n## [Unreleased]\n\n### Added\n- x\n", "C.md")
    assert only_unreleased["latest"] is None and only_unreleased["released"] == []
    assert only_unreleased["unreleased"]["groups"]["Added"][0]["text"] == "x"


# -- headings, one at a time -----------------------------------------------------------------

@pytest.mark.parametrize("heading, version, date, date_text, yanked, url", [
    ("## [1.2.0] - 2024-05-01", "1.2.0", datetime.date(2024, 5, 1), "2024-05-01", False, None),
    ("## [1.0.0] - 2017-06-20 [YANKED]", "1.0.0", datetime.date(2017, 6, 20), "2017-06-20", True, None),
    ("## [0.2.12] [2020-11-16] [YANKED]", "0.2.12", datetime.date(2020, 11, 16), "2020-11-16", True, None),
    ("## 0.27.0 (21st February, 2024)", "0.27.0", None, "21st February, 2024", False, None),
    ("## [1.0.0](https://x/compare) – 2017-06-20", "1.0.0", datetime.date(2017, 6, 20), "2017-06-20", False,
     "https://x/compare"),
    ("## [1.0.0][v1] - 2017-06-20\n\n[v1]: https://x/v1", "1.0.0", datetime.date(2017, 6, 20), "2017-06-20",
     False, "https://x/v1"),
    ("## v2.0.0-rc.1: 2024-01-02", "v2.0.0-rc.1", datetime.date(2024, 1, 2), "2024-01-02", False, None),
    ("## [1.0.0] - 2024-13-01", "1.0.0", None, "2024-13-01", False, None),
    ("## [1.0.0] - 2024-5-1", "1.0.0", None, "2024-5-1", False, None),
    ("## [Unreleased] ##", "Unreleased", None, "", False, None),
    ("Unreleased\n----------", "Unreleased", None, "", False, None),
])
def test_version_heading(heading, version, date, date_text, yanked, url):
    found = parse_changelog(f"# Changelog\n\n{heading}\n", "C.md")["versions"][0]
    assert (found["version"], found["date"], found["date_text"], found["yanked"], found["url"]) == \
        (version, date, date_text, yanked, url)
    assert found["line"] == 3 and found.loc == ("C.md", 3, None)


@pytest.mark.parametrize("heading", [
    "## Version 1.0", "## Contributors", "## ... [YANKED]", "## [Latest]", "# 1.0.0 - 2024-01-01",
    "### [1.0.0] - 2024-01-01", "    ## [1.0.0] - 2024-01-01", "```\n## [1.0.0] - 2024-01-01\n```",
    "<!--\n## [1.0.0] - 2024-01-01\n-->",
])
def test_not_a_version_heading(heading):
    with pytest.raises(ArtifactError) as caught:
        parse_changelog(f"# Changelog\n\n{heading}\n", "C.md")
    assert (caught.value.path, caught.value.line, caught.value.message) == (
        "C.md", None,
        "no version headings: a Keep a Changelog file has `## [Unreleased]` or `## [1.0.0] - 2024-05-01` headings")


def test_an_empty_file_is_an_error_not_an_empty_list():
    with pytest.raises(ArtifactError, match="no version headings"):
        parse_changelog("", "CHANGELOG.md")


# -- entries ---------------------------------------------------------------------------------

def test_entries_are_top_level_items_with_their_whole_body():
    text = ("## [1.0.0] - 2024-01-01\n### Added\n"
            "- First\n  wrapped\n  - nested one\n  - nested two\n"
            "+ Plus item\n"
            "1. Numbered\n"
            "-\n"
            "Paragraph after the list, not an entry.\n"
            "\n"
            "  - an item after a paragraph\n"
            "#### Details\n"
            "- under a fourth-level heading\n"
            "---\n"
            "- after a rule\n"
            "<!-- - a commented item -->\n")
    entries = parse_changelog(text, "C.md")["versions"][0]["entries"]
    assert [(e["line"], str(e["text"]), str(e["body"])) for e in entries] == [
        (3, "First wrapped", "First\nwrapped\n- nested one\n- nested two"),
        (7, "Plus item", "Plus item"),
        (8, "Numbered", "Numbered"),
        (9, "", ""),
        (12, "an item after a paragraph", "an item after a paragraph"),
        (14, "under a fourth-level heading", "under a fourth-level heading"),
        (16, "after a rule", "after a rule"),
    ]
    assert entries[0]["text"].loc == ("C.md", 3, 3) and entries[4]["text"].loc == ("C.md", 12, 5)
    assert all(e["group"] == "Added" and e["version"] == "1.0.0" for e in entries)


def test_code_belongs_to_an_entry_only_when_indented_under_it():
    text = ("## [1.0.0] - 2024-01-01\n### Added\n"
            "- With code:\n\n  ```sh\n  make\n  ```\n"
            "- Before a fence at the margin\n```\nnot in the entry\n```\n")
    entries = parse_changelog(text, "C.md")["versions"][0]["entries"]
    assert [(e["line"], str(e["text"]), str(e["body"])) for e in entries] == [
        (3, "With code:", "With code:\n\n```sh\nmake\n```"),
        (8, "Before a fence at the margin", "Before a fence at the margin"),
    ]


def test_link_definitions_end_an_entry_and_are_no_entries():
    text = "## [1.0.0] - 2024-01-01\n### Fixed\n- A bug ([#1])\n\n[#1]: https://x/1\n- Another\n"
    entries = parse_changelog(text, "C.md")["versions"][0]["entries"]
    assert [(e["line"], str(e["body"])) for e in entries] == [(3, "A bug ([#1])"), (6, "Another")]


def test_crlf_and_tabs():
    text = "## [1.0.0] - 2024-01-01\r\n### Fixed\r\n-\tTabbed\r\n\tcontinued\r\n"
    entry = parse_changelog(text, "C.md")["versions"][0]["entries"][0]
    assert (str(entry["text"]), str(entry["body"])) == ("Tabbed continued", "Tabbed\ncontinued")


# -- the Repo side and the declared types ------------------------------------------------------

def test_the_loader_reads_through_the_repo_once(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CHANGELOG.md").write_text("## [1.0.0] - 2024-01-01\n", encoding="utf-8")
    repo = Repo(tmp_path)
    changelog = load_changelog(repo, "docs/CHANGELOG.md")
    assert changelog.type == "Changelog" and changelog["path"] == "docs/CHANGELOG.md"
    assert changelog["versions"][0].loc == ("docs/CHANGELOG.md", 1, None)
    assert load_changelog(repo, "docs/./CHANGELOG.md") is changelog
    with pytest.raises(ArtifactMissing) as caught:
        load_changelog(repo, "CHANGELOG.md")
    assert (caught.value.path, caught.value.line, caught.value.message) == ("CHANGELOG.md", None, "file not found")
    (tmp_path / "README.md").write_text("# Project\n", encoding="utf-8")
    with pytest.raises(ArtifactError) as caught:
        load_changelog(repo, "README.md")
    assert caught.value.path == "README.md" and caught.value.message.startswith("no version headings")


def test_the_signature_and_record_types_are_declared():
    assert LOADERS["changelog"] == "policylint.loaders.changelog:load_changelog"
    signature = get("changelog").signature
    assert signature.name == "changelog" and signature.needs_repo and signature.returns == CHANGELOG
    assert [name for name, _ in signature.params] == ["path"] and not signature.value
    assert CHANGELOG.iterates == "versions" and element_type(CHANGELOG) == VERSION
    result = _case("metalsmith-2016")
    assert set(result.fields) == set(CHANGELOG.fields)
    version = result["versions"][1]
    assert set(version.fields) == set(VERSION.fields)
    assert set(version["groups"].fields) == set(GROUPS.fields) == set(KNOWN_GROUPS)
    assert set(version["sections"][0].fields) == set(GROUP.fields)
    assert set(version["entries"][0].fields) == set(ENTRY.fields)
    for rtype in (CHANGELOG, VERSION, GROUP, GROUPS, ENTRY):
        assert all(doc for _, doc in rtype.fields.values()), rtype.name


# -- what a policy sees ------------------------------------------------------------------------

MALFORMED = (CASES / "malformed" / "CHANGELOG.md").read_text(encoding="utf-8")


def test_policies_check_what_the_loader_reads_as_data(tmp_path):
    policy = """
    let log = changelog("CHANGELOG.md")
    gate dated "Released versions carry an ISO date" {
      require every v in log.released: v.date != null else "{v.version} has no ISO date: `{v.title}`"
    }
    gate unique "No version twice" {
      require no v in duplicates(log.versions): true else "{v.version} appears twice"
    }
    gate no-orphans "Every group is under a version" {
      require no g in log.orphans: true else "group `{g.name}` is outside any version"
    }
    gate security-noted "Security fixes are listed" { require count(log.latest.groups.Security) == 0 }
    gate grouped "Every entry has a group" { require every e in log.unreleased.entries: e.group != "" }
    """
    run = run_policy(tmp_path, policy, {"CHANGELOG.md": MALFORMED})
    results = {r.gate.rpartition(".")[2]: r for r in run.results}
    assert {name: r.status for name, r in results.items()} == {
        "dated": "fail", "unique": "fail", "no-orphans": "fail", "security-noted": "pass", "grouped": "pass"}
    assert [evidence_line(e) for e in results["dated"].evidence] == [
        "CHANGELOG.md:8: 2.0.0 has no ISO date: `[2.0.0] - 2024-02-30`",
        "CHANGELOG.md:24: 0.9.0 has no ISO date: `[0.9.0]`",
    ]
    assert [evidence_line(e) for e in results["unique"].evidence] == ["CHANGELOG.md:16: 1.1.0 appears twice"]
    assert [evidence_line(e) for e in results["no-orphans"].evidence] == [
        "CHANGELOG.md:3: group `Added` is outside any version",
        "CHANGELOG.md:29: group `Added` is outside any version",
    ]


def test_a_misspelled_group_is_a_check_error(tmp_path):
    policy = 'gate g "t" { require count(changelog("CHANGELOG.md").latest.groups.Addded) == 0 }'
    with pytest.raises(PolicylintError) as caught:
        run_policy(tmp_path, policy, {"CHANGELOG.md": MALFORMED})
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.message == "unknown field `Addded` on ChangelogGroups"
    assert "did you mean `Added`?" in diagnostic.help


def test_a_missing_changelog_fails_the_gate(tmp_path):
    run = run_policy(tmp_path, 'gate g "t" { require changelog("CHANGELOG.md").unreleased != null }')
    result = run.results[0]
    assert (result.status, result.message) == ("fail", "`CHANGELOG.md` is missing")
    assert [evidence_line(e) for e in result.evidence] == ["CHANGELOG.md: file not found"]


# -- hostile input -----------------------------------------------------------------------------

def test_five_thousand_versions_load_in_linear_time():
    text = "# Changelog\n\n" + "".join(
        f"## [1.{k}.0] - 2024-01-01\n\n### Added\n\n- Entry {k}\n  wrapped\n\n[1.{k}.0]: https://x/{k}\n\n"
        for k in range(5000))
    start = time.perf_counter()
    result = parse_changelog(text, "C.md")
    elapsed = time.perf_counter() - start
    assert len(result["versions"]) == 5000 and result["versions"][-1]["url"] == "https://x/4999"
    assert result["versions"][-1]["entries"][0]["text"] == "Entry 4999 wrapped"
    assert elapsed < 5, elapsed


@pytest.mark.parametrize("line", [
    "## [" + "1" * 100_000 + "] - 2024-01-01",
    "## [1.0.0] - " + "[YANKED] " * 20_000,
    "## [1.0.0](" + "(" * 50_000,
    "## " + "[" * 50_000 + "1.0.0",
    "- " + "[#1](x) " * 20_000,
])
def test_long_lines_stay_fast(line):
    start = time.perf_counter()
    try:
        parse_changelog(f"## [0.1.0] - 2024-01-01\n### Added\n{line}\n", "C.md")
    except ArtifactError:
        pass
    assert time.perf_counter() - start < 2


def test_inspect_shows_the_view_as_json(tmp_path, capsys):
    import json

    from policylint.cli import main

    (tmp_path / "CHANGELOG.md").write_text(MALFORMED, encoding="utf-8")
    assert main(["inspect", "changelog", "CHANGELOG.md", "--root", str(tmp_path)]) == 0
    view = json.loads(capsys.readouterr().out)
    assert list(view) == ["@", *CHANGELOG.fields]
    assert [(v["version"], v["date"]) for v in view["versions"]] == [
        ("Unreleased", None), ("2.0.0", None), ("1.1.0", "2024-01-15"), ("1.1.0", "2024-01-10"),
        ("v1.0.0", "2023-12-01"), ("0.9.0", None)]
    assert view["latest"]["@"] == "CHANGELOG.md:8"
