"""The openspec loader's own shortcuts give what the long way gives.

Its verdicts are held by the pack's cases (rules/openspec/tests/) and by the agreement with
`openspec validate` (tests/test_openspec_agreement.py); these tests hold the ways it saves work.
"""
from __future__ import annotations

import pytest

from policylint.loaders.openspec import YamlError, load_openspec, read_yaml
from policylint.loaders.openspec.jstext import rx_for
from policylint.loaders.openspec.metadata import schema_for_change
from policylint.loaders.openspec.records import DOC, HEADING, REQUIREMENT
from policylint.loaders.openspec.schemas import Project, _names_only_spec_driven
from policylint.recording import TrackingRepo
from policylint.repo import Repo
from policylint.values import Lazy, to_plain

# openspec/config.yaml: (text, read without the YAML reader)
CONFIGS = {
    "spec-driven": ("schema: spec-driven\n", True),
    "comment after": ("schema: spec-driven   # the default\ncontext: hello\n", True),
    "block scalar": ("schema: spec-driven\ncontext: |\n  Tech: a: b\n  - x\nrules:\n  specs:\n    - y\n", True),
    "invalid YAML": ("schema: spec-driven\ncontext: [unclosed\n", True),
    "twice": ("schema: spec-driven\nschema: spec-driven\n", True),
    "no schema": ("context: hello\n", True),
    "other schema": ("schema: my-flow\n", False),
    "longer name": ("schema: spec-driven-next\n", False),
    "mentioned elsewhere": ("context: the schema is custom\nschema: spec-driven\n", False),
    "quoted key": ('"schema": my-flow\n', False),
    "indented": ("nested:\n  schema: spec-driven\n", False),
    "escape": ('context: "\\x73chema"\nschema: spec-driven\n', False),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_a_config_that_can_only_name_spec_driven_is_not_parsed(tmp_path, name):
    """The change's schema is what reading the whole YAML gives, whichever way it is read."""
    text, quick = CONFIGS[name]
    (tmp_path / "openspec" / "changes" / "c").mkdir(parents=True)
    (tmp_path / "openspec" / "config.yaml").write_text(text, encoding="utf-8")
    assert _names_only_spec_driven(text) is quick
    try:
        data = read_yaml(text, "openspec/config.yaml")
        named = data.get("schema") if isinstance(data, dict) else None
    except YamlError:
        named = None
    repo = Repo(tmp_path)
    project = Project(repo, "openspec")
    assert schema_for_change(repo, project, "openspec/changes/c") == (str(named) if named else "spec-driven")


MAIN = "# Auth\n\n## Purpose\nSign in.\n\n## Requirements\n### Requirement: Login\nThe system SHALL log in.\n\n" \
       "#### Scenario: ok\n- WHEN a user signs in\n"
DELTA = "## MODIFIED Requirements\n### Requirement: Login\nThe system SHALL log in fast.\n\n#### Scenario: ok\n- x\n"


def _tree(tmp_path):
    (tmp_path / "openspec" / "specs" / "auth").mkdir(parents=True)
    (tmp_path / "openspec" / "specs" / "auth" / "spec.md").write_text(MAIN, encoding="utf-8")
    (tmp_path / "openspec" / "changes" / "c" / "specs" / "auth").mkdir(parents=True)
    (tmp_path / "openspec" / "changes" / "c" / "specs" / "auth" / "spec.md").write_text(DELTA, encoding="utf-8")
    return TrackingRepo(tmp_path, None)


def test_a_document_holds_nothing_to_trace_but_what_reads_other_files(tmp_path):
    """The results cache traces the Lazy fields of what a load returns: a document's readings
    of its own text are made when read instead (values.LazyFields), so only a delta's
    `target` and `archive_refusal`, which look at the main spec, are Lazy; the fields show in
    the order they always have."""
    repo = _tree(tmp_path)
    main = load_openspec(repo, "openspec/specs/auth/spec.md")
    delta = load_openspec(repo, "openspec/changes/c/specs/auth/spec.md")
    assert list(main.fields.values()) == []
    assert [type(v) for v in delta.fields.values()] == [Lazy, Lazy]
    assert list(main.fields) == list(delta.fields) == [
        "path", "capability", "target", "archive_refusal", *[n for n in DOC.fields if n not in (
            "path", "capability", "target", "archive_refusal")]]
    heading = main["requirements_heading"]
    assert list(heading.fields) == list(HEADING.fields) and list(heading.fields.values()) == []
    block = main["requirement_blocks"][0]
    assert set(block.fields) == set(REQUIREMENT.fields) and list(block.fields.values()) == []
    assert list(block.fields)[:5] == ["text", "name", "op", "line", "folded"]  # as a block has always shown them
    shown = to_plain(block)
    assert (shown["text"], shown["op"], shown["body"], shown["scenario_count"], shown["lineage"]) == (
        "Login", "REQUIREMENTS", "The system SHALL log in.", 1, ["Login"])
    assert block["text"] is block["name"] is block["lineage"][0]
    scenario = main["requirements"][0]["scenarios"][0]  # one heading, one record, however reached
    assert heading["children"][0]["children"][0] is scenario is main["headings"][4]
    assert delta["target"] == "openspec/specs/auth/spec.md" and delta["archive_refusal"] is None
    assert [str(h["text"]) for h in main["headings"]] == ["Auth", "Purpose", "Requirements", "Requirement: Login",
                                                          "Scenario: ok"]


@pytest.mark.parametrize("char", list("\x1c\x1d\x1e\x1f\x85\ufeff\u2028\u2029\u0130\u0131\u017f\u212a"))
def test_a_text_with_a_character_python_reads_unlike_javascript_gets_the_exact_patterns(char):
    plain = rx_for("")
    assert rx_for(f"# Title\n{char}\n") is not plain
    assert rx_for(f"# Tïtle — {char}\n") is not plain
    assert rx_for("# Tïtle — ünïcode\n") is rx_for("# ascii\x1b\n") is plain


def test_a_heading_ends_at_the_next_heading_line_of_its_level_or_above():
    """A `## ` line with no title ends the content above it without being a heading; a deeper
    heading does not end it; seven `#` are no heading at all."""
    text = ("# A\na\n## B\nb\n### C\nc\n####### not a heading\n## \nafter an empty heading\n## D\nd\n"
            "# E\ne\n")
    repo = Repo(".")
    doc = load_openspec_text(repo, text)
    shown = [(h["text"], h["level"], str(h["content"]), [str(c["text"]) for c in h["children"]]) for h in doc["headings"]]
    assert shown == [
        ("A", 1, "a\n## B\nb\n### C\nc\n####### not a heading\n## \nafter an empty heading\n## D\nd", ["B", "D"]),
        ("B", 2, "b\n### C\nc\n####### not a heading", ["C"]),
        ("C", 3, "c\n####### not a heading", []),
        ("D", 2, "d", []),
        ("E", 1, "e", []),
    ]


def load_openspec_text(repo, text: str):
    from policylint.loaders.openspec.document import Document

    return Document(repo, "openspec/specs/x/spec.md", text).record
