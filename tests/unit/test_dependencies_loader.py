"""The dependencies loaders: `dependencies(path)` on real manifests, and `new_dependencies(path)`
against throwaway git repositories.

Its cases are folders under tests/cases/loaders/dependencies/, each holding one manifest under
the name the format is told by (package.json, pyproject.toml, go.mod, Cargo.toml, or a *.txt
requirements file), run by tests/test_cases.py in the format tests/caserunner.py describes:
`want` lists every dependency, in order, as `{line, section, name, spec, key}`, where `key`
defaults to the name, and `indirect` and `local` to false: a row states everything the loader
gives that is not the default, so nothing goes unchecked. `ecosystem` is every dependency's,
`source` names the project a real manifest comes from (owner/repo@commit path).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from caserunner import load, loader_cases
from conftest import run_policy
from policylint.casegit import build_history
from policylint.cli import main
from policylint.errors import ArtifactError, ArtifactMissing
from policylint.loaders import LOADERS, get
from policylint.loaders.dependencies import (DEPENDENCY, load_dependencies, load_new_dependencies, manifest_kind,
                                             parse_manifest)
from policylint.packtest import evidence_line
from policylint.repo import Repo
from policylint.types import List
from policylint.values import Loc


@pytest.mark.parametrize("case", [c for c in loader_cases("dependencies") if "want" in c.spec], ids=str)
def test_every_dependency_is_located_at_its_line_of_the_manifest(case):
    for dep in load(case):
        assert dep["ecosystem"] == case.spec["ecosystem"]
        assert dep.loc == Loc(case.path, dep["line"]) and dep["name"].loc == dep.loc
        assert dep["manifest"] == case.path and dep["text"] == dep["name"]


# -- formats and their names ------------------------------------------------------------------

@pytest.mark.parametrize("path, kind", [
    ("package.json", "npm"), ("web/package.json", "npm"), ("pyproject.toml", "pyproject"),
    ("requirements.txt", "requirements"), ("requirements/dev.in", "requirements"),
    ("constraints.txt", "requirements"), ("services/ingest/go.mod", "go"), ("Cargo.toml", "cargo"),
])
def test_the_format_is_told_by_the_name(path, kind):
    assert manifest_kind(path) == kind


@pytest.mark.parametrize("path", ["Pipfile", "package-lock.json", "setup.py", "cargo.toml", "go.sum"])
def test_other_names_are_not_manifests(path):
    with pytest.raises(ArtifactError) as caught:
        manifest_kind(path)
    assert (caught.value.path, caught.value.line, caught.value.message) == (
        path, None, f"`{path.rsplit('/', 1)[-1]}` is not a dependency manifest: expected package.json, "
                    "pyproject.toml, requirements*.txt (or any *.txt or *.in), go.mod or Cargo.toml")


def test_keys_follow_each_registry():
    found = parse_manifest('[project]\ndependencies = ["Zope.Interface", "python_dateutil", "Django"]\n',
                           "pyproject.toml")
    assert [d["key"] for d in found] == ["zope-interface", "python-dateutil", "django"]
    found = parse_manifest('{"dependencies": {"JSONStream": "1", "lodash.merge": "4"}}', "package.json")
    assert [d["key"] for d in found] == ["jsonstream", "lodash.merge"]
    found = parse_manifest("[dependencies]\nSerde_JSON = \"1\"\n", "Cargo.toml")
    assert [d["key"] for d in found] == ["serde-json"]
    found = parse_manifest("module m\n\nrequire github.com/BurntSushi/toml v1.3.2\n", "go.mod")
    assert [d["key"] for d in found] == ["github.com/BurntSushi/toml"]


def test_a_renamed_crate_is_the_crate_it_is():
    found = parse_manifest('[dependencies]\njson = { package = "serde_json", version = "1" }\n', "Cargo.toml")
    assert [(d["name"], d["spec"], d["line"]) for d in found] == [("serde_json", "1", 2)]


def test_an_escaped_string_in_a_toml_array_is_located_at_its_key():
    text = '[project]\ndependencies = [\n    "a",\n    "b\\u0063",\n]\n'
    # in line order, so the string located at its key comes first
    assert [(d["name"], d["line"]) for d in parse_manifest(text, "pyproject.toml")] == [("bc", 2), ("a", 3)]


def test_an_empty_manifest_declares_nothing():
    assert parse_manifest("{}", "package.json") == []
    assert parse_manifest("", "pyproject.toml") == []
    assert parse_manifest("# nothing yet\n", "requirements.txt") == []
    assert parse_manifest("module m\n\ngo 1.22\n", "go.mod") == []


# -- through a Repo --------------------------------------------------------------------------------

def test_the_loader_reads_through_the_repo_once(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"dependencies": {"react": "^18"}}', encoding="utf-8")
    repo = Repo(tmp_path)
    first = load_dependencies(repo, "web/package.json")
    assert [str(d["name"]) for d in first] == ["react"] and first[0].loc == Loc("web/package.json", 1)
    assert load_dependencies(repo, "./web/package.json") is first


def test_a_missing_manifest_fails_and_a_path_outside_the_root_errors(tmp_path):
    with pytest.raises(ArtifactMissing) as caught:
        load_dependencies(Repo(tmp_path), "package.json")
    assert (caught.value.path, caught.value.message) == ("package.json", "file not found")
    with pytest.raises(ArtifactError) as caught:
        load_dependencies(Repo(tmp_path), "../package.json")
    assert caught.value.message == "path leaves the repository root"


def test_the_signatures_are_declared():
    assert LOADERS["dependencies"] == "policylint.loaders.dependencies:load_dependencies"
    assert LOADERS["new_dependencies"] == "policylint.loaders.dependencies:load_new_dependencies"
    for name in ("dependencies", "new_dependencies"):
        signature = get(name).signature
        assert signature.usage() == f"{name}(path: Str) -> List[Dependency]"
        assert signature.returns == List(DEPENDENCY)
    assert list(DEPENDENCY.fields) == ["name", "key", "spec", "section", "ecosystem", "indirect", "local",
                                       "manifest", "line", "text"]


# -- new_dependencies: what a branch added since the merge-base ---------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PACKAGE = '{\n  "name": "storefront",\n  "dependencies": {\n    "react": "^18.3.1"\n  },\n' \
          '  "devDependencies": {\n    "vitest": "^1.6.0"\n  }\n}\n'
PACKAGE_ON_BRANCH = ('{\n  "name": "storefront",\n  "dependencies": {\n    "@stripe/stripe-js": "^3.4.0",\n'
                     '    "react": "^18.3.2",\n    "vitest": "^1.6.0"\n  },\n  "devDependencies": {\n'
                     '    "msw": "^2.3.0"\n  }\n}\n')


def _project(tmp_path: Path, history: list, files: dict | None = None) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    build_history(root, {"base": "main", "history": history}, tmp_path / "expected.yaml")
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def _error(callable_) -> tuple:
    with pytest.raises(ArtifactError) as caught:
        callable_()
    return caught.value.path, caught.value.line, caught.value.message


@needs_git
def test_what_the_branch_added_each_at_its_line(tmp_path):
    root = _project(tmp_path, [
        {"branch": "feature/stripe"},
        {"commit": "feat: pay by card", "files": {"web/package.json": PACKAGE_ON_BRANCH,
                                                  "requirements.txt": "Django==5.0.6\nstripe==9.6.0\n"}},
    ], {"web/package.json": PACKAGE, "requirements.txt": "django==5.0.6\n"})
    repo = Repo(root, base="main")
    added = load_new_dependencies(repo, "web/package.json")
    # react changed its version, vitest moved to another section: neither is new
    assert [(str(d["name"]), d["section"], d["line"]) for d in added] == [
        ("@stripe/stripe-js", "dependencies", 4), ("msw", "devDependencies", 9)]
    assert added[0].loc == Loc("web/package.json", 4)
    # `Django` was `django` at the base: the same PyPI project
    assert [str(d["name"]) for d in load_new_dependencies(repo, "requirements.txt")] == ["stripe"]
    assert load_new_dependencies(repo, "web/package.json") is added


@needs_git
def test_a_manifest_the_base_does_not_have_adds_everything(tmp_path):
    root = _project(tmp_path, [
        {"branch": "feature/ingest"},
        {"commit": "feat: ingest service", "files": {
            "ingest/go.mod": "module m/ingest\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.5\n"
                             "\tgolang.org/x/text v0.14.0 // indirect\n)\n"}},
    ], {"README.md": "# shop\n"})
    added = load_new_dependencies(Repo(root, base="main"), "ingest/go.mod")
    assert [(str(d["name"]), d["line"], d["indirect"]) for d in added] == [
        ("github.com/jackc/pgx/v5", 6, False), ("golang.org/x/text", 7, True)]


@needs_git
def test_a_renamed_manifest_is_compared_with_the_file_it_came_from(tmp_path):
    text = "".join(f"package-{n}==1.0\n" for n in range(12))
    root = _project(tmp_path, [
        {"branch": "chore/requirements-folder"},
        {"commit": "chore: move requirements", "files": {"requirements.txt": None,
                                                         "requirements/base.txt": text + "attrs==23.2\n"}},
    ], {"requirements.txt": text})
    repo = Repo(root, base="main")
    from policylint.loaders.git import load_git

    changed = load_git(repo)["changed_files"]
    assert [(c["path"], c["status"], c["old_path"]) for c in changed] == [
        ("requirements/base.txt", "R", "requirements.txt")]
    assert [str(d["name"]) for d in load_new_dependencies(repo, "requirements/base.txt")] == ["attrs"]


@needs_git
def test_uncommitted_edits_count_the_working_tree_is_what_is_read(tmp_path):
    root = _project(tmp_path, [{"branch": "wip"}], {"package.json": PACKAGE})
    (root / "package.json").write_text(PACKAGE.replace('"react"', '"left-pad": "1.3.0",\n    "react"'),
                                       encoding="utf-8")
    added = load_new_dependencies(Repo(root, base="main"), "package.json")
    assert [(str(d["name"]), d["line"]) for d in added] == [("left-pad", 4)]


@needs_git
def test_a_root_inside_the_repository_reads_the_base_from_its_own_folder(tmp_path):
    root = _project(tmp_path, [
        {"branch": "feature/stripe"},
        {"commit": "feat: stripe", "files": {"web/package.json": PACKAGE_ON_BRANCH}},
    ], {"web/package.json": PACKAGE})
    added = load_new_dependencies(Repo(root / "web", base="main"), "package.json")
    assert [str(d["name"]) for d in added] == ["@stripe/stripe-js", "msw"]
    assert added[0].loc == Loc("package.json", 4)


@needs_git
def test_without_a_base_it_is_an_error_that_says_so(tmp_path):
    root = _project(tmp_path, [], {"package.json": PACKAGE})
    assert _error(lambda: load_new_dependencies(Repo(root), "package.json")) == (
        "git", None, "`new_dependencies` needs --base REV: the revision the pull request merges into, "
                     "e.g. --base origin/main")


@needs_git
def test_an_unknown_base_is_git_s_error(tmp_path):
    root = _project(tmp_path, [], {"package.json": PACKAGE})
    assert _error(lambda: load_new_dependencies(Repo(root, base="origin/nope"), "package.json")) == (
        "git", None, "unknown --base revision `origin/nope`: git cannot find it here; fetch it first "
                     "(e.g. `git fetch origin main`)")


def test_outside_a_repository_it_is_an_error(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "package.json").write_text(PACKAGE, encoding="utf-8")
    assert _error(lambda: load_new_dependencies(Repo(tmp_path, base="main"), "package.json")) == (
        "git", None, "the root is not inside a git repository")


@needs_git
def test_a_manifest_the_merge_base_cannot_parse_is_named_with_the_merge_base(tmp_path):
    root = _project(tmp_path, [
        {"branch": "fix/package-json"},
        {"commit": "fix: valid package.json", "files": {"package.json": PACKAGE}},
    ], {"package.json": '{\n  "dependencies": {\n    "react": "^18",\n  }\n}\n'})
    merge_base = _git(root, "rev-parse", "--short=7", "main")
    assert _error(lambda: load_new_dependencies(Repo(root, base="main"), "package.json")) == (
        "package.json", 4, f"at the merge-base {merge_base}: invalid JSON: trailing comma before `}}` (column 3)")


@needs_git
def test_a_manifest_the_working_tree_cannot_parse_is_named_at_its_line(tmp_path):
    root = _project(tmp_path, [
        {"branch": "feature/broken"},
        {"commit": "feat: add a package", "files": {"pyproject.toml": '[project]\ndependencies = [\n  "a\n]\n'}},
    ], {"pyproject.toml": '[project]\ndependencies = []\n'})
    path, line, message = _error(lambda: load_new_dependencies(Repo(root, base="main"), "pyproject.toml"))
    assert (path, line) == ("pyproject.toml", 3) and message.startswith("invalid TOML: ")


@needs_git
def test_a_deleted_manifest_is_missing_from_the_working_tree(tmp_path):
    root = _project(tmp_path, [
        {"branch": "chore/drop-web"},
        {"commit": "chore: drop the web app", "files": {"package.json": None}},
    ], {"package.json": PACKAGE})
    with pytest.raises(ArtifactMissing) as caught:
        load_new_dependencies(Repo(root, base="main"), "package.json")
    assert (caught.value.path, caught.value.message) == ("package.json", "file not found")


# -- in a policy and on the command line -----------------------------------------------------------

POLICY = '''\
gate approved-packages "New packages are on the approved list" {
  let approved = ["react", "msw"]
  require every f in (git.changed_files where it.path matches /package\\.json$/ and it.status != "D"),
      d in new_dependencies(f.path): d.name in approved
    else "new dependency `{d.name}` ({d.section}) is not approved"
}
'''


@needs_git
def test_a_policy_reports_each_new_dependency_at_its_line(tmp_path):
    root = _project(tmp_path, [
        {"branch": "feature/stripe"},
        {"commit": "feat: stripe", "files": {"web/package.json": PACKAGE_ON_BRANCH}},
    ], {"web/package.json": PACKAGE})
    policy = tmp_path / "t.policy"
    policy.write_text(POLICY, encoding="utf-8")
    from policylint.evaluate import Engine
    from policylint.packs import PackLoader

    run = Engine(Repo(root, base="main")).run([PackLoader(use_cache=False).load(str(policy))])
    result = next(r for r in run.results if r.gate == "t.approved-packages")
    assert result.status == "fail"
    assert [evidence_line(e) for e in result.evidence] == [
        "web/package.json:4: new dependency `@stripe/stripe-js` (dependencies) is not approved"]


def test_a_policy_over_dependencies_without_git(tmp_path):
    run = run_policy(tmp_path, 'gate pinned "Requirements are pinned" {\n'
                               '  require every d in dependencies("requirements.txt"): startswith(d.spec, "==")\n'
                               '    else "{d.name} is not pinned: `{d.spec}`"\n}\n',
                     {"requirements.txt": "Django==5.0.6\nrequests>=2\n"})
    result = run.results[0]
    assert result.status == "fail"
    assert [evidence_line(e) for e in result.evidence] == ["requirements.txt:2: requests is not pinned: `>=2`"]


@needs_git
def test_inspect_new_dependencies(tmp_path, capsys):
    root = _project(tmp_path, [
        {"branch": "feature/stripe"},
        {"commit": "feat: stripe", "files": {"package.json": PACKAGE_ON_BRANCH}},
    ], {"package.json": PACKAGE})
    assert main(["inspect", "new_dependencies", "package.json", "--root", str(root), "--base", "main"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(d["@"], d["name"], d["section"]) for d in shown] == [
        ("package.json:4", "@stripe/stripe-js", "dependencies"), ("package.json:9", "msw", "devDependencies")]
    assert main(["inspect", "new_dependencies", "package.json", "--root", str(root)]) == 2
    assert capsys.readouterr().err == ("policylint: error[PL405] git: `new_dependencies` needs --base REV: the "
                                       "revision the pull request merges into, e.g. --base origin/main\n")


def test_inspect_dependencies_of_a_malformed_manifest(tmp_path, capsys):
    (tmp_path / "Cargo.toml").write_text('[dependencies]\nrayon = 1\n', encoding="utf-8")
    assert main(["inspect", "dependencies", "Cargo.toml", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("policylint: error[PL405] Cargo.toml:2: `dependencies.rayon` must be a "
                                       "version string or a table, found a number\n")
