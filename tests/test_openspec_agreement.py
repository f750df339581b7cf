"""The `openspec` pack agrees with `openspec validate --all` (npm @fission-ai/openspec 1.13).

For every OpenSpec tree we have (each case folder of rules/openspec/tests/ and
rules/openspec-lifecycle/tests/, and the shared corpus tree when it is there), the real
CLI's JSON report is compared with a policylint run of the `openspec` pack, item by item:

- the same items: every active change and every spec OpenSpec validates is a subject;
- the same verdict: an item is invalid exactly when an `error` gate fails (or errors);
- the same findings: each issue OpenSpec reports is mapped, by its message, to the gate
  that reproduces it (ISSUE_GATES below), and the gates that fail on the item, with their
  severities, are exactly those; where OpenSpec reports a finding once per place, the gate
  reports as many evidence lines.

The CLI is installed with npm into ~/.cache/policylint-tools (POLICYLINT_TOOLS_DIR moves it),
once; the tests skip, saying so, only where npm is missing. CI needs npm and network once.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from policylint.evaluate import Engine
from policylint.packs import PackLoader
from policylint.repo import Repo

ROOT = Path(__file__).resolve().parents[1]
OPENSPEC_VERSION = "1.13"
CORPUS = ROOT.parent / "shared" / "corpus" / "openspec" / "modulus"

# (item type, level, message pattern, gate). A gate of None is OpenSpec saying again, at
# another level, what another issue already says (base.schema.js and validator.js:711 both
# report a requirement without scenario).
ISSUE_GATES = [
    ("change", "ERROR", r"is not a change: it is a folder wrapping", "openspec.change.not-nested"),
    ("change", "ERROR", r"^Delta spec found at specs/spec\.md\.", "openspec.change.root-delta"),
    ("change", "ERROR", r"^Delta spec found at specs/", "openspec.change.delta-files"),
    ("change", "ERROR", r"^No delta sections found", "openspec.change.delta-sections"),
    ("change", "ERROR", r"^Delta sections .* were found, but no requirement entries parsed", "openspec.change.delta-entries"),
    ("change", "ERROR", r"^Change must have at least one delta", "openspec.change.has-deltas"),
    ("change", "ERROR", r"^RENAMED (FROM|TO): .* has no matching", "openspec.change.rename-pairs"),
    ("change", "ERROR", r"^Duplicate (requirement in (ADDED|MODIFIED|REMOVED)|FROM in RENAMED|TO in RENAMED)",
     "openspec.change.unique-entries"),
    ("change", "ERROR", r"^(ADDED|MODIFIED) \".*\" (is missing requirement text|must contain SHALL or MUST)",
     "openspec.change.requirement-text"),
    ("change", "ERROR", r"^(ADDED|MODIFIED) \".*\" must include at least one scenario", "openspec.change.scenarios"),
    ("change", "ERROR", r"^Requirement present in both (MODIFIED and REMOVED|MODIFIED and ADDED|ADDED and REMOVED)",
     "openspec.change.section-conflicts"),
    ("change", "ERROR", r"^(MODIFIED references old name from RENAMED|RENAMED TO collides with ADDED|"
                        r"Requirement present in both RENAMED and REMOVED)", "openspec.change.rename-conflicts"),
    ("change", "ERROR", r"^MODIFIED \".*\" omits scenario", "openspec.change.scenario-loss"),
    ("change", "ERROR", r"^Could not read .* to check the MODIFIED", "openspec.change.scenario-loss"),
    ("change", "ERROR", r"^skip_specs is set but \.openspec\.yaml is not valid", "openspec.change.metadata"),
    ("change", "ERROR", r"^skip_specs is set in \.openspec\.yaml but spec files exist", "openspec.change.skip-specs-conflict"),
    ("change", "WARNING", r"^Requirement \".*\" is (under|above)", "openspec.change.delta-placement"),
    ("change", "WARNING", r"should contain SHALL or MUST", "openspec.change.normative"),
    ("change", "WARNING", r"^This change counts as 0 tasks", "openspec.change.task-checkboxes"),
    ("change", "WARNING", r"^Task \".*\" is under group", "openspec.change.task-groups"),
    ("change", "WARNING", r"^Task ID \".*\" is duplicated", "openspec.change.task-ids"),
    ("change", "INFO", r"^Header \"### .*\" in .* is (not a|missing a requirement name)", "openspec.change.requirement-headers"),
    ("change", "INFO", r"^skip_specs is set in \.openspec\.yaml: change declares no", "openspec.change.skip-specs"),
    ("change", "INFO", r"^(Archive would refuse this delta|Could not check archive merge conflicts)",
     "openspec.change.archive-preview"),
    ("spec", "ERROR", r"^Spec must have a Purpose section", "openspec.spec.purpose"),
    ("spec", "ERROR", r"^Spec must have a Requirements section", "openspec.spec.requirements-section"),
    ("spec", "ERROR", r"^Spec must have at least one requirement", "openspec.spec.has-requirements"),
    ("spec", "ERROR", r"^Requirement text cannot be empty", "openspec.spec.statement"),
    ("spec", "ERROR", r"^Requirement must have at least one scenario$", "openspec.spec.scenarios"),
    ("spec", "WARNING", r"^Requirement must have at least one scenario\. ", None),
    ("spec", "ERROR", r"^Main spec contains delta header", "openspec.spec.no-delta-headers"),
    ("spec", "ERROR", r"appears outside the main ## Requirements section", "openspec.spec.requirements-placement"),
    ("spec", "ERROR", r"duplicates the requirement declared on line", "openspec.spec.unique-requirements"),
    ("spec", "ERROR", r"^Requirement \".*\" must contain SHALL or MUST", "openspec.spec.requirement-text"),
    ("spec", "WARNING", r"^Requirement \".*\" should contain SHALL or MUST", "openspec.spec.normative"),
    ("spec", "WARNING", r"^Purpose section is still a placeholder", "openspec.spec.purpose-placeholder"),
    ("spec", "WARNING", r"^Purpose section is too brief", "openspec.spec.purpose-length"),
    ("spec", "INFO", r"^Requirement text is very long", "openspec.spec.requirement-length"),
]
SEVERITY = {"ERROR": "error", "WARNING": "warning", "INFO": "info"}


def _trees() -> list:
    trees = sorted(p / "repo" for pack in ("openspec", "openspec-lifecycle")
                   for p in (ROOT / "rules" / pack / "tests").iterdir() if (p / "repo" / "openspec").is_dir())
    if (CORPUS / "openspec").is_dir():
        trees.append(CORPUS)
    return trees


TREES = _trees()


def _tree_id(tree: Path) -> str:
    return "corpus/modulus" if tree == CORPUS else f"{tree.parents[2].name}/{tree.parent.name}"


# -- the real CLI ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def openspec_cli() -> str:
    """Path of an `openspec` 1.13 executable, installed with npm on first use."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: comparing with `openspec validate` needs the real CLI "
                    f"(npm install @fission-ai/openspec@{OPENSPEC_VERSION})")
    tools = Path(os.environ.get("POLICYLINT_TOOLS_DIR") or Path.home() / ".cache" / "policylint-tools")
    prefix = tools / f"openspec-{OPENSPEC_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "openspec"
    problem = ""
    for _ in range(2):  # a partial install (an interrupted npm) is removed and done again
        version = _version(binary, prefix)
        if version.startswith(OPENSPEC_VERSION + "."):
            return str(binary)
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error",
                               f"@fission-ai/openspec@{OPENSPEC_VERSION}"], capture_output=True, text=True, timeout=900)
        problem = done.stderr
    pytest.fail(f"npm could not install a working @fission-ai/openspec@{OPENSPEC_VERSION} into {prefix}:\n{problem}",
                pytrace=False)


def _version(binary: Path, home: Path) -> str:
    if not binary.exists():
        return ""
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=_quiet_env(home))
    return done.stdout.strip() if done.returncode == 0 else ""


def _quiet_env(home: Path) -> dict:
    """No telemetry, no update check, and no user-level schemas or config from this machine."""
    env = dict(os.environ)
    env.update({"DO_NOT_TRACK": "1", "OPENSPEC_TELEMETRY": "0", "CI": "1", "NO_COLOR": "1",
                "XDG_DATA_HOME": str(home / "xdg-data"), "XDG_CONFIG_HOME": str(home / "xdg-config")})
    return env


def openspec_report(cli: str, tree: Path, tmp: Path) -> dict:
    """`openspec validate --all --json` on a copy of `tree` (the CLI must not touch the cases)."""
    work = tmp / "repo"
    shutil.copytree(tree, work, symlinks=True)
    done = subprocess.run([cli, "validate", "--all", "--json", "--no-interactive"], cwd=work,
                          capture_output=True, text=True, env=_quiet_env(tmp), timeout=300)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"openspec validate gave no JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


# -- policylint ------------------------------------------------------------------------------

def _pack(name: str):
    return PackLoader(use_cache=False).load(str(ROOT / "rules" / name / f"{name}.policy"))


def policylint_findings(tree: Path, pack_name: str = "openspec") -> dict:
    """subject -> {gate: (severity, status, number of evidence lines)} for gates that fail or error."""
    run = Engine(Repo(tree)).run([_pack(pack_name)])
    out: dict = {s.id: {} for s in run.subjects if s.lifecycle.startswith("openspec.")}
    for result in run.results:
        if result.gate.startswith("openspec.") and result.status in ("fail", "error"):
            out.setdefault(result.subject, {})[result.gate] = (result.severity, result.status, len(result.evidence))
    return out


def _gate_of(kind: str, issue: dict):
    for item_kind, level, pattern, gate in ISSUE_GATES:
        if item_kind == kind and level == issue["level"] and re.search(pattern, issue["message"]):
            return gate, True
    return None, False


def compare(report: dict, ours: dict) -> list:
    """Every disagreement between the CLI's report and policylint's findings, as text."""
    problems = []
    seen = set()
    for item in report["items"]:
        subject = f"openspec/{'changes' if item['type'] == 'change' else 'specs'}/{item['id']}"
        seen.add(subject)
        if subject not in ours:
            problems.append(f"{subject}: OpenSpec validates it, policylint has no such subject")
            continue
        mine = ours[subject]
        invalid = any(sev == "error" for sev, _, _ in mine.values())
        if invalid != (not item["valid"]):
            problems.append(f"{subject}: OpenSpec says {'valid' if item['valid'] else 'invalid'}, "
                            f"policylint says {'invalid' if invalid else 'valid'}")
        expected: dict = {}
        for issue in item["issues"]:
            gate, known = _gate_of(item["type"], issue)
            if not known:
                problems.append(f"{subject}: no gate reproduces OpenSpec's {issue['level']} "
                                f"{issue.get('path')}: {issue['message'][:160]}")
            elif gate is not None:
                severity, count = expected.get(gate, (SEVERITY[issue["level"]], 0))
                expected[gate] = (severity, count + 1)
        for gate, (severity, count) in sorted(expected.items()):
            got = mine.get(gate)
            if got is None:
                problems.append(f"{subject}: OpenSpec reports {count} {severity} finding(s) of {gate}, policylint none")
            elif got[0] != severity or got[2] != count:
                problems.append(f"{subject}: {gate}: OpenSpec {count} {severity} finding(s), "
                                f"policylint {got[2]} {got[0]} ({got[1]})")
        for gate, (severity, status, count) in sorted(mine.items()):
            if gate not in expected:
                problems.append(f"{subject}: policylint {status}s {gate} ({severity}, {count} finding(s)); OpenSpec reports nothing of it")
    for subject in sorted(set(ours) - seen):
        problems.append(f"{subject}: a policylint subject that OpenSpec does not validate")
    return problems


@pytest.mark.parametrize("tree", TREES, ids=[_tree_id(t) for t in TREES])
def test_agrees_with_openspec_validate(tree, openspec_cli, tmp_path):
    report = openspec_report(openspec_cli, tree, tmp_path)
    assert report["items"], f"openspec validate found nothing to validate in {tree}"
    problems = compare(report, policylint_findings(tree))
    if problems:
        pytest.fail(f"{_tree_id(tree)}: policylint and `openspec validate --all` disagree on "
                    f"{len(problems)} point(s):\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("tree", TREES, ids=[_tree_id(t) for t in TREES])
def test_the_lifecycle_pack_keeps_the_validate_verdict(tree):
    """`openspec-lifecycle` uses `openspec`: the openspec gates give the same results in it."""
    assert policylint_findings(tree, "openspec-lifecycle") == policylint_findings(tree, "openspec")


# -- the lifecycle's stages --------------------------------------------------------------

STAGES = ROOT / "rules" / "openspec-lifecycle" / "tests" / "stages" / "repo"


def test_claimed_stage_comes_from_openspec_yaml_or_the_files():
    run = Engine(Repo(STAGES)).run([_pack("openspec-lifecycle")])
    stages = {s.id: (s.claimed, s.claimed_at, s.earned) for s in run.subjects
              if s.lifecycle == "openspec-lifecycle.change"}
    assert stages["openspec/changes/claims-done"] == (
        "implemented", "openspec/changes/claims-done/.openspec.yaml:2", "tasked")
    assert stages["openspec/changes/add-login"] == ("implemented", None, "implemented")
    assert stages["openspec/changes/no-design"] == ("tasked", None, "specified")
    assert stages["openspec/changes/short-why"] == ("proposed", None, None)
    assert stages["openspec/changes/archive/2026-01-10-add-signup"] == ("archived", None, "archived")
    assert stages["openspec/changes/archive/2026-01-12-add-logout"] == ("archived", None, "tasked")


# -- the view's own errors --------------------------------------------------------------

@pytest.mark.parametrize("loader, path, code, message", [
    ("openspec_change", "openspec/changes/nope", "PL401", "openspec/changes/nope: change folder not found"),
    ("openspec_change", "openspec/config.yaml", "PL405", "openspec/config.yaml: is a file, expected a change folder"),
    ("openspec", "openspec/changes/nope/proposal.md", "PL401", "openspec/changes/nope/proposal.md: file not found"),
])
def test_inspect_reports_what_it_cannot_read(loader, path, code, message):
    import sys

    done = subprocess.run([sys.executable, "-m", "policylint", "inspect", loader, path,
                           "--root", str(ROOT / "rules" / "openspec" / "tests" / "skip-specs" / "repo")],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert done.stderr.strip() == f"policylint: error[{code}] {message}"


def test_a_missing_main_spec_is_not_a_finding_but_a_missing_change_file_is():
    """A MODIFIED requirement whose capability has no main spec yet is left to archive (a note),
    while a lifecycle gate that needs proposal.md fails and names it."""
    findings = policylint_findings(ROOT / "rules" / "openspec" / "tests" / "archive-preview" / "repo")
    assert findings["openspec/changes/new-capability"] == {"openspec.change.archive-preview": ("info", "fail", 1)}
    run = Engine(Repo(STAGES)).run([_pack("openspec-lifecycle")])
    result = next(r for r in run.results if r.subject == "openspec/changes/no-proposal"
                  and r.gate == "openspec-lifecycle.proposed.proposal")
    assert (result.status, result.evidence[0].path) == ("fail", "openspec/changes/no-proposal/proposal.md")


def test_yaml_is_read_as_openspec_reads_it():
    """YAML 1.2 core scalars, as the `yaml` package reads them, not PyYAML's 1.1 ones."""
    from policylint.loaders.openspec import YamlError, read_yaml

    assert read_yaml("skip_specs: yes\ncreated: 2026-01-15\nn: 0o17\n", "m.yaml") == {
        "skip_specs": "yes", "created": "2026-01-15", "n": 15}
    assert read_yaml("a: {b: [true, off, ~]}\n", "m.yaml") == {"a": {"b": [True, "off", None]}}
    with pytest.raises(YamlError, match="Map keys must be unique"):
        read_yaml("a: 1\na: 2\n", "m.yaml")
    assert read_yaml("# only a comment\n", "m.yaml") is None


def test_openspec_reads_headings_by_its_own_line_rules_not_commonmark():
    """A requirement inside an HTML comment is invisible to CommonMark (the `markdown` loader)
    but real to OpenSpec, which fails the spec for it: the view follows OpenSpec."""
    from policylint.loaders.markdown import load_markdown
    from policylint.loaders.openspec import load_openspec

    repo = Repo(ROOT / "rules" / "openspec" / "tests" / "spec-structure" / "repo")
    path = "openspec/specs/commented-out/spec.md"
    assert "Requirement: Export to PDF" not in [str(h["text"]) for h in load_markdown(repo, path)["headings"]]
    requirements = load_openspec(repo, path)["requirements"]
    assert [(str(r["title"]), r["line"], r["scenario_count"]) for r in requirements] == [
        ("Requirement: Export to CSV", 7, 1), ("Requirement: Export to PDF", 15, 0)]


# -- differential: the case trees, mutated -------------------------------------------------

# Lines that move OpenSpec's readers: fences (indented, longer, with info strings), delta
# and requirement headers in every spelling, scenarios, renames, tasks, comments, placeholders.
SNIPPETS = [
    "```", "~~~", "    ```", "\t```", "````", "```md", "  ```", "<!--", "-->", "---", "", "# Title",
    "## ADDED Requirements", "## MODIFIED Requirements", "## REMOVED Requirements", "## RENAMED Requirements",
    "##\tADDED Requirements", "## added requirements", "## ADDED  Requirements", "## Purpose", "## Purpose ",
    "## Requirements", "## Why", "## Notes", "### Notes", "###  ", "#### ", "##### Deep", "#\tTab title",
    "### Requirement: User login", "### Requirement: user login", "### Requirement: User login ###",
    "### Requirement: Session timeout", "### REQUIREMENT: Shouting", "### Requirement:Compact",
    "###Requirement: NoSpace", "### Requirement: Two  factor", "#### Scenario: X", "#### Scenario:",
    "#### Scenario: Valid credentials ##", "- **WHEN** x", "**ID**: R1", "The system SHALL do it.", "MUST", "shall",
    "- FROM: ### Requirement: User login", "- TO: ### Requirement: Sign in", "- ### Requirement: Password reset",
    "+ FROM: `### Requirement: Session timeout`", "* TO: `### Requirement: Idle timeout`",
    "- [ ] 1.1 Task", "- [x] 2.1 Done", "* [ ] 1.2 star task", "1. [X] 1.3 numbered", "- [~] 1.4 tilde", "- []",
    "## 1. Group", "## 01. Zero group", "- [ ] 01.1 zero", "- item", "TBD", "todo: later", "TODO write",
    "TBD - created by archiving change x. Update Purpose after archive.",
]
METADATA = ["schema: spec-driven\nskip_specs: true\n", "skip_specs: true\n", "schema: spec-driven\n",
            "schema: nope\nskip_specs: true\n", "schema: spec-driven\nskip_specs: false\n",
            "schema: spec-driven\ncreated: 2026-1-2\nskip_specs: true\n", "schema: [x\n"]
DELTA = "## ADDED Requirements\n### Requirement: X\nThe system SHALL x.\n#### Scenario: s\n- ok\n"


def mutate(root: Path, rng) -> None:
    """Edit a copy of a case tree at random: insert, delete and repeat lines, add metadata and
    delta files where OpenSpec looks for them, delete a file, switch one to CRLF."""
    changes_dir = root / "openspec" / "changes"
    changes = sorted(p for p in changes_dir.iterdir() if p.is_dir()) if changes_dir.is_dir() else []
    if changes and rng.random() < 0.3:
        (rng.choice(changes) / ".openspec.yaml").write_text(rng.choice(METADATA), encoding="utf-8")
    if changes and rng.random() < 0.2:
        target = rng.choice(changes) / "specs" / rng.choice(["spec.md", "notes.md", "auth/extra.md", "area/cap/spec.md"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rng.choice([DELTA, "# notes\n"]), encoding="utf-8")
    files = sorted(root.rglob("*.md"))
    if files and rng.random() < 0.15:
        rng.choice(files).unlink()
        files = sorted(root.rglob("*.md"))
    for _ in range(rng.randint(3, 20) if files else 0):
        path = rng.choice(files)
        lines = path.read_text(encoding="utf-8").split("\n")
        i, roll = rng.randrange(len(lines) + 1), rng.random()
        if roll < 0.5:
            lines.insert(i, rng.choice(SNIPPETS))
        elif roll < 0.75:
            del lines[min(i, len(lines) - 1)]
        else:
            lines.insert(i, lines[rng.randrange(len(lines))])
        path.write_text("\n".join(lines), encoding="utf-8")
    if files and rng.random() < 0.15:
        path = rng.choice(files)
        if path.exists():
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


CASE_TREES = [p for p in TREES if p != CORPUS]


@pytest.mark.parametrize("seed", range(20))
def test_agrees_on_mutated_case_trees(seed, openspec_cli, tmp_path):
    import random

    rng = random.Random(seed)
    tree = tmp_path / "tree"
    shutil.copytree(rng.choice(CASE_TREES), tree)
    mutate(tree, rng)
    problems = compare(openspec_report(openspec_cli, tree, tmp_path / "cli"), policylint_findings(tree))
    if problems:
        pytest.fail(f"seed {seed}: policylint and `openspec validate --all` disagree:\n" + "\n".join(problems),
                    pytrace=False)
