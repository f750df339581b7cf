"""The documentation is executable: its examples run, its reference is generated.

Every ```policy block in docs/language.md (and in README.md's "The language" section) is
an example. It is written to `example.policy` in an empty folder (so a pack without a
`pack` header is named `example`), then parsed and checked. When a ```yaml block follows
it (with nothing but blank lines between), that block says what the example must do: it is
a policy case of tests/caserunner.py (files, policies, want, subjects, notices, exit_code,
error), whose `note` is the example's place and whose `policy` is the example, and the one
runner runs it as it runs tests/cases/language/ and tests/cases/errors/.

docs/language.md explains the same convention to its readers; docs/loaders.md must be what
`python -m policylint.docgen` writes.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from caserunner import lines_match, run_policy_case
from policylint.docgen import fenced_blocks

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = ROOT / "docs" / "language.md"
README = ROOT / "README.md"
SPEC_KEYS = {"files", "policies", "want", "subjects", "notices", "exit_code", "error"}


def readme_language_section() -> tuple:
    """(text, first line number) of README.md's "## The language" section, up to the next `## `."""
    lines = README.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("## The language"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]), start


def examples(path: Path, text: str, offset: int = 0) -> list:
    """pytest params: (name, policy source, spec dict or None) for every ```policy block."""
    blocks = fenced_blocks(text)
    out = []
    for i, block in enumerate(blocks):
        if block.info.split()[:1] != ["policy"]:
            continue
        spec = None
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is not None and nxt.info.split()[:1] == ["yaml"] and nxt.after_blank_only:
            spec = yaml.safe_load(nxt.text) or {}
        name = f"{path.name}:{block.line + offset}"
        out.append(pytest.param(name, block.text, spec, id=name))
    return out


def all_examples() -> list:
    out = examples(LANGUAGE, LANGUAGE.read_text(encoding="utf-8"))
    text, start = readme_language_section()
    return out + examples(README, text, start)


@pytest.mark.parametrize("name,source,spec", all_examples())
def test_example(name, source, spec, tmp_path, monkeypatch):
    spec = spec if spec is not None else {}
    unknown = set(spec) - SPEC_KEYS
    assert not unknown, f"{name}: unknown keys {sorted(unknown)} in the yaml block (known: {sorted(SPEC_KEYS)})"
    run_policy_case({"note": name, "policy": source, **spec}, tmp_path, monkeypatch, name="example.policy")


def test_examples_cover_the_grammar():
    """Every keyword and operator of policy.lark appears in some example of docs/language.md."""
    grammar = (ROOT / "policylint" / "syntax" / "policy.lark").read_text(encoding="utf-8")
    literals = {lit for lit in re.findall(r'"([^"\\]+)"', grammar) if re.fullmatch(r"[a-z]+|[^\w\s]{1,2}", lit)}
    code = "\n".join(source for _, source, _ in (p.values for p in examples(LANGUAGE, LANGUAGE.read_text(encoding="utf-8"))))
    missing = []
    for literal in sorted(literals):
        if literal.isalpha():
            if not re.search(rf"\b{literal}\b", code):
                missing.append(literal)
        elif literal not in code:
            missing.append(literal)
    assert not missing, f"grammar literals no ```policy example in docs/language.md uses: {missing}"


def test_language_reference_lists_every_function_and_code():
    from policylint.diagnostics import CODES
    from policylint.functions import FUNCTIONS

    text = LANGUAGE.read_text(encoding="utf-8")
    missing = [name for name in FUNCTIONS if f"`{name}(" not in text]
    assert not missing, f"functions docs/language.md does not describe: {missing}"
    undocumented = [code for code, label in CODES.items() if f"| {code} | `{label}` |" not in text]
    assert not undocumented, f"error codes missing from the table in docs/language.md: {undocumented}"


def test_readme_language_section_has_examples():
    text, start = readme_language_section()
    assert examples(README, text, start), "README's language section should hold a ```policy example"


def test_lines_match_ellipsis():
    assert lines_match("a\n...\nd", "a\nb\nc\nd")
    assert lines_match("a\n...\nb", "a\nb")
    assert not lines_match("a\n...\nd", "a\nb")
    assert not lines_match("a\nb", "a\nb\nc")


def test_loader_reference_is_current(capsys):
    """docs/loaders.md is what the loaders declare; regenerate with `python -m policylint.docgen`."""
    from policylint import docgen

    code = docgen.main(["--check"])
    out = capsys.readouterr()
    assert code == 0, out.out[-4000:] + out.err


def test_docgen_check_reports_a_stale_file(tmp_path, capsys):
    from policylint import docgen

    stale = tmp_path / "loaders.md"
    stale.write_text(docgen.render() + "extra line\n", encoding="utf-8")
    assert docgen.main(["--check", "--output", str(stale)]) == 1
    out = capsys.readouterr()
    assert "+extra line" not in out.out and "-extra line" in out.out
    assert "is stale: run `python -m policylint.docgen`" in out.err
    assert docgen.main(["--output", str(stale)]) == 0
    assert docgen.main(["--check", "--output", str(stale)]) == 0


def test_docgen_documents_every_loader_and_record():
    from policylint import docgen, functions, loaders

    text = docgen.render()
    for name in loaders.LOADERS:
        assert f"`{name}" in text, name
    for doc in docgen.loader_docs():
        for record in docgen.reachable_records(doc.signature.returns):
            assert f'<a id="record-{record.name.lower()}"></a>' in text, (doc.name, record.name)
            for field in record.fields:
                assert f"| `{field}` |" in text, (record.name, field)
    for name in functions.FUNCTIONS:
        assert f"`{functions.get(name).signature.usage()}`".replace("|", "\\|") in text, name


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(text: str) -> set:
    out = set(re.findall(r'<a id="([^"]+)"></a>', text))
    in_code = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            out.add(_slug(line.lstrip("#")))
    return out


@pytest.mark.parametrize("page", ["language.md", "tutorial.md", "loaders.md", "board.md"])
def test_links_between_the_docs_resolve(page):
    docs = ROOT / "docs"
    text = (docs / page).read_text(encoding="utf-8")
    prose = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.S | re.M)  # code blocks hold no links
    prose = re.sub(r"`[^`\n]*`", "", prose)  # nor do code spans
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue  # an external address
        path, _, anchor = target.partition("#")
        file = (docs / path) if path else docs / page
        if not file.is_file():
            broken.append(target)
        elif anchor and anchor not in _anchors(file.read_text(encoding="utf-8")):
            broken.append(target)
    assert not broken, f"docs/{page}: links to nothing: {broken}"


def test_docgen_names_a_broken_loader_entry(monkeypatch, capsys):
    """A table line whose module is not there yet is named, with exit 2, never a traceback."""
    from policylint import docgen, loaders

    monkeypatch.setitem(loaders.LOADERS, "nosuch", "policylint.loaders.nosuch_module:load")
    assert docgen.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policylint.docgen: error: cannot import loader `nosuch` (policylint.loaders.nosuch_module:load): "
                          "ModuleNotFoundError"), err


def test_docgen_nests_docstring_headings_under_the_loader():
    from policylint.docgen import demote_headings

    text = "Intro.\n\n## Fields\n\n```\n## not a heading\n```\n###### deep"
    assert demote_headings(text) == "Intro.\n\n##### Fields\n\n```\n## not a heading\n```\n###### deep"
