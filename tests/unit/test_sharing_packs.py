"""Sharing packs: an installed distribution registers its pack under `policylint.packs`."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

PACK = textwrap.dedent('''\
    pack team-rules "Team rules" version "2.1.0"
    gate readme "README exists" { require exists("README.md") }
''')


def _install_throwaway_package(tmp_path):
    """Build and pip-install (into a target folder) a package whose entry point names its pack."""
    src = tmp_path / "src"
    (src / "team_rules").mkdir(parents=True)
    (src / "team_rules" / "__init__.py").write_text("raise RuntimeError('a pack must never be imported')\n")
    (src / "team_rules" / "team-rules.policy").write_text(PACK)
    (src / "pyproject.toml").write_text(textwrap.dedent('''\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "team-rules"
        version = "2.1.0"
        [project.entry-points."policylint.packs"]
        team-rules = "team_rules"
        [tool.setuptools]
        packages = ["team_rules"]
        [tool.setuptools.package-data]
        team_rules = ["*.policy"]
    '''))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(src)],
                   check=True, capture_output=True)
    return target


def _policylint(args, site, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "NO_COLOR": "1",
           "POLICYLINT_NO_CACHE": "1"}
    return subprocess.run([sys.executable, "-m", "policylint", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_installed_pack_runs_by_name_and_by_use(tmp_path):
    site = _install_throwaway_package(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    done = _policylint(["check", "--pack", "team-rules"], site, repo)
    assert done.returncode == 1, done.stderr
    assert "FAIL   team-rules.readme  README exists" in done.stdout
    (repo / "mine.policy").write_text('use "team-rules"\ngate own "own" { require true }\n')
    done = _policylint(["check", "--pack", "./mine.policy", "-f", "json"], site, repo)
    assert '"gate": "team-rules.readme"' in done.stdout and '"gate": "mine.own"' in done.stdout
    listed = _policylint(["list", "--pack", "team-rules"], site, repo)
    assert listed.stdout.startswith("team-rules 2.1.0  Team rules")


def test_a_pinned_version_must_match(tmp_path):
    site = _install_throwaway_package(tmp_path)
    done = _policylint(["check", "--pack", "team-rules==3.0.0"], site, tmp_path)
    assert done.returncode == 2
    assert "error[PL208] pack `team-rules` is version 2.1.0, but version 3.0.0 is pinned" in done.stderr
    assert _policylint(["check", "--pack", "team-rules==2.1.0"], site, tmp_path).returncode == 1


@pytest.mark.parametrize("header, expected", [
    ('pack a "A" version "1.0.0" detect "specs/*/spec.md"\n', (True, "specs/*/spec.md")),
    ('# comment\n\n  # another\npack a-b "A" detect "x/**"  # trailing\ngate g "G" { require true }\n', (True, "x/**")),
    ('pack a "A \\"quoted\\""\n    version "2"\n    detect "docs/openapi/*.yaml"\n', (True, "docs/openapi/*.yaml")),
    ('pack a "A" version "1.0.0"\ngate g "G" { require true }\n', (True, None)),
    ('pack a "A" /* not a comment form */ detect "x"\n', (False, None)),
    ('gate g "G" { require true }\n', (False, None)),
])
def test_the_detect_glob_is_read_from_a_plain_header(tmp_path, header, expected):
    from policylint.packs import detect_glob

    path = tmp_path / "a.policy"
    path.write_text(header, encoding="utf-8")
    assert detect_glob(path) == expected


def test_detect_globs_read_plainly_agree_with_the_parsed_packs():
    from policylint.packs import PackLoader, builtin_packs, detect_glob

    for name, path in builtin_packs().items():
        plain, glob = detect_glob(path)
        assert plain, f"{name}: its header is not read plainly; detection would load it"
        assert glob == PackLoader(use_cache=False).load(name).ast.detect


def _fake_installed_pack(tmp_path, monkeypatch):
    """A distribution on sys.path (a dist-info folder beside its package) registering a pack
    under `policylint.packs`, as pip leaves one; its package must never be imported."""
    site = tmp_path / "site"
    (site / "team_rules").mkdir(parents=True)
    (site / "team_rules" / "__init__.py").write_text("raise RuntimeError('a pack must never be imported')\n")
    (site / "team_rules" / "team-rules.policy").write_text(
        'pack team-rules "Team rules" version "2.1.0" detect "docs/TEAM.md"\n'
        'gate readme "README exists" {\n    # the README is where a newcomer starts\n'
        '    require exists("README.md")\n}\n')
    dist = site / "team_rules-2.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: team-rules\nVersion: 2.1.0\n")
    (dist / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n\n[policylint.packs]\nteam-rules = team_rules\n")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_installed_packs_are_listed_explained_and_detected(tmp_path, monkeypatch, capsys):
    from policylint.cli import main

    _fake_installed_pack(tmp_path, monkeypatch)
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    assert main(["list", "--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "team-rules 2.1.0  Team rules  (" in out
    assert "  does not apply here: runs where `docs/TEAM.md` matches, or when named\n    team-rules.readme  README exists" in out
    (repo / "docs" / "TEAM.md").write_text("# Team\n")
    assert main(["list", "--root", str(repo)]) == 0
    assert "  applies here: `check` runs it\n    team-rules.readme  README exists" in capsys.readouterr().out
    assert main(["explain", "team-rules.readme", "--root", str(repo)]) == 0
    assert capsys.readouterr().out.startswith("team-rules.readme: README exists\n")
    assert main(["check", "--root", str(repo)]) == 1
    assert "FAIL   team-rules.readme  README exists" in capsys.readouterr().out


def test_list_marks_which_packs_apply(tmp_path, capsys):
    from policylint.cli import main

    (tmp_path / "specs" / "001-a").mkdir(parents=True)
    (tmp_path / "specs" / "001-a" / "spec.md").write_text("# A\n")
    assert main(["list", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "speckit 1.0.0  Spec Kit: the spec lifecycle, draft to closed  (" in out
    after = lambda name: out.split(f"\n{name} ", 1)[1].split("\n")[1]  # noqa: E731
    assert after("speckit") == "  applies here: `check` runs it"
    assert after("openspec") == "  does not apply here: runs where `openspec/*` matches, or when named"
    assert after("release-train") == "  does not apply here: runs when named (--pack or `packs:`)"
