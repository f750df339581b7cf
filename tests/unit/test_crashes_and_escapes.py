"""Crashes and escapes found by the adversarial pass (issue 11, section 6): each one was an
internal error (PL900) or raw terminal control in a report, and is now a located, labelled
error or a visible escape.

Covered here: nesting past the limit in a policy, chains of lets and defs (validate and
check agree), a number of more than 4300 digits in every loader that reads numbers, a folder
that cannot be listed and a cache folder that cannot be entered (simulated: the suite may
run as root, whom mode 000 does not stop), a pack README that is not UTF-8, control
characters from the repository in every text format, and git evidence in SARIF.
"""
from __future__ import annotations

import errno
import io
import json
import os
import re

import pytest

from conftest import make_repo
from policylint.cli import main
from policylint.errors import ArtifactError
from policylint.repo import Repo
from policylint.syntax.parse import MAX_NESTING

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DIGITS = "1" * 4301  # one more than Python's int() reads


def cli(capsys, *argv) -> tuple:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- nesting -----------------------------------------------------------------------------------

def _gate(expr: str) -> str:
    return f'gate deep "Deep" {{\n  require {expr}\n}}\n'


DEEP = {
    "not": ("not " * 200 + "false", 3, 3 + 4 * 96),
    "lists": ("[" * 150 + "]" * 150 + " == []", 3, 3 + 97),
    "sums": ("1" + " + 1" * 150 + " > 0", 3, 3),
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_nesting_past_the_limit_is_one_located_error_in_validate_and_check(name, tmp_path, monkeypatch, capsys):
    expr, line, _ = DEEP[name]
    (tmp_path / "t.policy").write_text(_gate(expr), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, validated = cli(capsys, "validate", "--no-cache", "t.policy")
    assert code == 2
    headline = validated.split("\n")[0]
    assert re.fullmatch(rf"t\.policy:2:\d+: error\[PL105\] nested more than {MAX_NESTING} levels deep", headline)
    assert "help: name the inner parts with `let` or `def`" in validated
    code, _, checked = cli(capsys, "check", "--no-cache", "--root", ".", "--pack", "./t.policy")
    assert code == 2 and checked.split("\n")[0] == headline


def test_expressions_at_the_limit_run_and_explain(tmp_path, monkeypatch, capsys):
    (tmp_path / "t.policy").write_text(_gate("not " * 94 + "false"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "check", "--root", ".", "--pack", "./t.policy")
    assert (code, err) == (1, "") and "FAIL   t.deep" in out


def test_parentheses_past_the_limit_are_refused_by_fmt_alone(tmp_path, monkeypatch, capsys):
    """Parentheses make no tree nodes, so the policy runs; fmt lays out each pair."""
    (tmp_path / "t.policy").write_text(_gate("(" * 300 + "true" + ")" * 300), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "validate", "--no-cache", "t.policy")[0] == 0
    code, _, err = cli(capsys, "fmt", "--check", "t.policy")
    assert code != 0
    assert err.startswith(f"t.policy:2:{11 + 97}: error[PL105] nested more than {MAX_NESTING} levels deep\n")


CHAINS = {
    "500 lets": ("".join(f"let x{i} = x{i - 1}\n" if i else "let x0 = 1\n" for i in range(500))
                 + 'gate a "t" { require x499 == 1 }\n', "t.policy:101:1", "x100"),
    "2000 defs": ("".join(f"def f{i}(x) = f{i - 1}(x)\n" if i else "def f0(x) = x\n" for i in range(2000))
                  + 'gate a "t" { require f1999(1) == 1 }\n', "t.policy:101:1", "f100"),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_a_chain_of_lets_or_defs_too_deep_to_run_is_refused_by_validate_and_check(name, tmp_path, monkeypatch,
                                                                                   capsys):
    """validate said OK and check crashed; now both refuse it, once, at the first link too deep."""
    policy, where, link = CHAINS[name]
    (tmp_path / "t.policy").write_text(policy, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    want = (f"{where}: error[PL215] `{link}` nests more than {MAX_NESTING} levels deep, counting the lets and "
            "defs it uses")
    for argv in (["validate", "--no-cache", "t.policy"], ["check", "--no-cache", "--root", ".", "--pack", "./t.policy"]):
        code, _, err = cli(capsys, *argv)
        assert code == 2 and err.split("\n")[0] == want
        assert err.count("error[PL215]") == 1


def test_a_chain_within_the_limit_runs(tmp_path, monkeypatch, capsys):
    policy = "".join(f"let x{i} = x{i - 1}\n" if i else "let x0 = 1\n" for i in range(90))
    (tmp_path / "t.policy").write_text(policy + 'gate a "t" { require x89 == 2 }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "check", "--no-cache", "--root", ".", "--pack", "./t.policy")
    assert (code, err) == (1, "") and "`x89` is 1, expected == 2" in out


# -- numbers of more than 4300 digits ----------------------------------------------------------

def _error(call, *args) -> tuple:
    with pytest.raises(ArtifactError) as caught:
        call(*args)
    return caught.value.path, caught.value.line, caught.value.message


COBERTURA = ('<?xml version="1.0"?>\n<coverage><packages><package><classes><class filename="a.py"><lines>\n'
             '<line number="1" hits="1" branch="true" condition-coverage="50% ({n}/2)"/>\n'
             '</lines></class></classes></package></packages></coverage>\n')


@pytest.mark.parametrize("name, content, want", [
    ("coverage.json", '{"meta": {},\n "totals": {"covered_lines": %s, "num_statements": 1}}\n' % DIGITS,
     ("coverage.json", 2, "not valid JSON: a number has more than 4300 digits")),
    ("lcov.info", f"SF:a.py\nDA:1,{DIGITS}\nend_of_record\n",
     ("lcov.info", 2, f"LCOV: `DA` hits is not a whole number: `{'1' * 60}…`")),
    ("coverage.xml", COBERTURA.format(n=DIGITS),
     ("coverage.xml", 3, f"the covered branches of `condition-coverage` is not a whole number: `{'1' * 60}…`")),
])
def test_a_huge_number_in_a_coverage_report_is_a_located_error(name, content, want, tmp_path):
    from policylint.loaders.coverage import load_coverage

    assert _error(load_coverage, Repo(make_repo(tmp_path, {name: content})), name) == want


def test_a_huge_number_in_toml_is_a_located_error(tmp_path):
    from policylint.loaders.data import load_toml

    repo = Repo(make_repo(tmp_path, {"a.toml": f'name = "x"\nsize = {DIGITS}\n'}))
    assert _error(load_toml, repo, "a.toml") == ("a.toml", 2, "invalid TOML: a number has more than 4300 digits")


def test_huge_numbers_in_task_ids_openapi_pointers_and_versions_are_read_as_text(tmp_path):
    from policylint.functions.semver import semver
    from policylint.loaders.openapi import load_openapi
    from policylint.loaders.tasks import load_tasks

    repo = Repo(make_repo(tmp_path, {
        "tasks.md": f"## Phase {DIGITS}\n- [ ] T{DIGITS} do it\n- [ ] T001 after T{DIGITS}-T{DIGITS}\n",
        "openapi.yaml": f"openapi: 3.0.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n"
                        f"    $ref: '#/components/x/{DIGITS}'\ncomponents:\n  x: [1]\n",
    }))
    assert [task.get("id") for task in load_tasks(repo, "tasks.md").get("items")] == ["T001"]
    load_openapi(repo, "openapi.yaml")  # the pointer resolves to nothing: a note, not a crash
    assert semver(f"1.0.{DIGITS}") is None


# -- folders that cannot be listed or entered ----------------------------------------------------

def _unsearchable(monkeypatch, folder) -> None:
    """`folder` as mode 000 makes it for anyone but root: listing it, or reaching anything in
    it, fails with EACCES (the suite may run as root, whom mode 000 does not stop)."""
    folder = os.path.realpath(folder)
    inside = folder + os.sep
    for name in ("scandir", "listdir", "stat", "lstat", "open"):
        real = getattr(os, name)

        def guarded(path=".", *args, _real=real, _name=name, **kw):
            full = os.path.abspath(os.fspath(path)) if not isinstance(path, int) else ""
            if full.startswith(inside) or (full == folder and _name in ("scandir", "listdir", "open")):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return _real(path, *args, **kw)

        monkeypatch.setattr(os, name, guarded)


LOCKED_POLICY = """\
gate listed "glob" { require every f in glob("locked/*.md"): exists(f) }
gate walked "deep glob" { require every f in glob("**/*.md"): exists(f) }
gate absent "exists" { require not exists("locked/a.md") }
gate folders "dirs" { require count(dirs("locked/*")) == 0 }
"""


def test_a_folder_that_cannot_be_listed_is_an_error_naming_it_never_an_empty_listing(tmp_path, monkeypatch, capsys):
    make_repo(tmp_path / "repo", {"locked/a.md": "# a\n", "specs/001-a/spec.md": "# s\n"})
    (tmp_path / "t.policy").write_text(LOCKED_POLICY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _unsearchable(monkeypatch, tmp_path / "repo" / "locked")
    code, out, err = cli(capsys, "check", "--no-cache", "--root", "repo", "--pack", "./t.policy")
    assert (code, err) == (1, "")
    assert "4 gates stopped by the same error" in out
    assert "         locked  cannot list the folder: Permission denied\n" in out
    assert "0 pass, 0 fail, 4 error" in out


@pytest.mark.skipif(AS_ROOT, reason="mode 000 does not stop root; the simulated test above covers it")
def test_a_folder_of_mode_000_is_an_error_naming_it(tmp_path, monkeypatch, capsys):
    make_repo(tmp_path / "repo", {"locked/a.md": "# a\n"})
    (tmp_path / "t.policy").write_text(LOCKED_POLICY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    os.chmod(tmp_path / "repo" / "locked", 0)
    try:
        code, out, _ = cli(capsys, "check", "--no-cache", "--root", "repo", "--pack", "./t.policy")
    finally:
        os.chmod(tmp_path / "repo" / "locked", 0o755)
    assert code == 1 and "locked  cannot list the folder: Permission denied" in out


def test_a_cache_folder_that_cannot_be_entered_is_said_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    from policylint import cache

    (tmp_path / "t.policy").write_text('gate a "t" { require true }\n', encoding="utf-8")
    (tmp_path / "xdg").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(cache, "_warned", set())
    _unsearchable(monkeypatch, tmp_path / "xdg")
    code, out, err = cli(capsys, "validate", "t.policy")
    assert (code, out) == (0, "1 policy OK\n")
    assert err == (f"policylint: warning[PL311] cache folder `{tmp_path / 'xdg' / 'policylint'}` cannot be used: "
                   "Permission denied; running without the cache\n")


@pytest.mark.skipif(AS_ROOT, reason="mode 000 does not stop root; the simulated test above covers it")
def test_a_cache_parent_of_mode_000_is_said_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    (tmp_path / "t.policy").write_text('gate a "t" { require true }\n', encoding="utf-8")
    (tmp_path / "xdg").mkdir(mode=0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    try:
        code, out, err = cli(capsys, "validate", "t.policy")
    finally:
        os.chmod(tmp_path / "xdg", 0o755)
    assert (code, out) == (0, "1 policy OK\n") and "running without the cache" in err


# -- a pack README that is not UTF-8 -----------------------------------------------------------------

@pytest.mark.parametrize("argv", [["check", "-f", "sarif"], ["check", "-f", "junit"], ["check"],
                                  ["explain", "mypack.a"]])
def test_a_pack_readme_that_is_not_utf8_is_read_with_replacements(argv, tmp_path, monkeypatch, capsys):
    make_repo(tmp_path, {"mypack/mypack.policy": 'gate a "Gate A" { require exists("nope") }\n',
                         "mypack/README.md": b"# mypack\n\n### `mypack.a`\n\ncaf\xe9 \xff\xfe docs\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *argv, "--root", ".", "--pack", "./mypack", "--no-cache")
    assert code == (0 if argv[0] == "explain" else 1) and err == ""
    if argv[-1] in ("sarif", "mypack.a"):
        assert "caf\ufffd \ufffd\ufffd docs" in out


# -- control characters from the repository ---------------------------------------------------------

HOSTILE_STATUS = "\x1b]0;pwned\x07\x1b[2J"
FORGED_FOLDER = "specs/001-a\nFAIL forged"
HOSTILE_POLICY = """\
lifecycle spec in dirs("specs/*") {
  claims trim(text(spec / ".status"))
  stage draft {
    gate has-spec "spec.md exists" { require exists(spec / "spec.md") }
  }
}
gate status "Status is ok" { require every s in glob("specs/*/.status"): trim(text(s)) == "ok" }
"""
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_repo(tmp_path, monkeypatch):
    make_repo(tmp_path / "repo", {"specs/001-a/.status": HOSTILE_STATUS, f"{FORGED_FOLDER}/.status": "draft\n"})
    (tmp_path / "t.policy").write_text(HOSTILE_POLICY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "markdown", "progress", "github", "junit", "sarif", "gitlab", "json"])
def test_no_format_writes_a_control_character_from_the_repository(fmt, hostile_repo, capsys):
    code, out, err = cli(capsys, "check", "--no-cache", "--root", "repo", "--pack", "./t.policy", "-f", fmt)
    assert code == 1 and not RAW_CONTROL.search(out + err)
    assert not any(line.startswith("FAIL forged") for line in out.split("\n"))


def test_the_text_report_shows_escapes_where_the_controls_were(hostile_repo, capsys):
    _, out, _ = cli(capsys, "check", "--no-cache", "--root", "repo", "--pack", "./t.policy")
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in out
    assert "specs/001-a\\nFAIL forged" in out


def test_the_github_format_cannot_be_made_to_start_a_command(hostile_repo, capsys):
    _, out, _ = cli(capsys, "check", "--no-cache", "--root", "repo", "--pack", "./t.policy", "-f", "github")
    lines = out.rstrip("\n").split("\n")
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines[:-1])
    assert lines[-1].startswith("policylint: ")


def test_visible_writes_every_kind_of_control_as_an_escape():
    from policylint.controls import visible

    assert visible("a\nb\rc\x1b[2J\x07\x9b\u202e\u2028\td") == "a\\nb\\rc\\x1b[2J\\x07\\x9b\\u202e\\u2028\td"


# -- SARIF: git evidence is no artifact ---------------------------------------------------------

@pytest.mark.parametrize("where", ["branch feature/Bad", "commit 1a2b3c4", "tag v1.2.0", "git"])
def test_evidence_at_a_git_object_is_said_in_the_message_not_made_an_artifact(where):
    import reporters_fixture as fixture
    from policylint.explain import Evidence
    from policylint.reporters import get

    run = fixture.build_run()
    result = next(r for r in run.results if r.gate == "team.branch-name")
    result.evidence = [Evidence(where, None, "named `feature/Bad`, not spec-NNN-name")]
    out = io.StringIO()
    get("sarif")(run, out, fixture.options())
    found = [r for r in json.loads(out.getvalue())["runs"][0]["results"] if r["ruleId"] == "team.branch-name"]
    location = found[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "policies/team.policy", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 12}
    said = "" if where == "git" else f"{where}: "
    assert found[0]["message"]["text"].startswith(f"{said}named `feature/Bad`, not spec-NNN-name")
    out = io.StringIO()
    get("github")(run, out, fixture.options())
    assert f"file={where.replace(' ', '')}" not in out.getvalue() and "file=branch" not in out.getvalue()


def test_status_writes_a_folder_name_as_escapes(hostile_repo, capsys):
    code, out, _ = cli(capsys, "status", "--no-cache", "--root", "repo", "--pack", "./t.policy")
    assert code == 0 and not RAW_CONTROL.search(out)
    assert "\nspecs/001-a\\nFAIL forged  draft" in out and "\nFAIL forged" not in out


def test_explain_writes_a_pack_readmes_controls_as_escapes(tmp_path, monkeypatch, capsys):
    make_repo(tmp_path, {"mypack/mypack.policy": 'gate a "Gate A" { require true }  # \x1b[2J\n',
                         "mypack/README.md": "# mypack\n\n### `mypack.a`\n\nfirst line\x1b]0;pwned\x07\nsecond\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "explain", "mypack.a", "--root", ".", "--pack", "./mypack", "--no-cache")
    assert code == 0 and not RAW_CONTROL.search(out)
    assert "first line\\x1b]0;pwned\\x07\nsecond\n" in out and "# \\x1b[2J" in out


def test_a_policy_error_quotes_its_line_with_controls_as_escapes(tmp_path, monkeypatch, capsys):
    """A pack in the repository is a stranger's text too: the line quoted under its error."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.policy").write_text('gate g "T\x1b]0;pwned\x07" { require nosuch\x1b[2J }\n', encoding="utf-8")
    code, out, err = cli(capsys, "validate", "t.policy")
    assert code == 2
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert '1 | gate g "T\\x1b]0;pwned\\x07" { require nosuch\\x1b[2J }' in err


def test_a_chain_of_defs_through_many_used_packs_is_an_error_naming_the_gate(tmp_path, monkeypatch, capsys):
    """Each pack stays within the checker's limit (a `use`d def counts as one level), but thirty
    of them chained nest deeper than Python's stack: that gate errors, the run goes on."""
    packs, depth = 30, 90
    for k in range(packs):
        lines = [f'pack p{k} "p{k}"'] + ([f'use "./p{k - 1}.policy"'] if k else [])
        lines.append("def a0() = " + (f"p{k - 1}.a{depth}()" if k else "1"))
        lines += [f"def a{i}() = a{i - 1}()" for i in range(1, depth + 1)]
        (tmp_path / f"p{k}.policy").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (tmp_path / f"p{packs - 1}.policy").open("a", encoding="utf-8") as fh:
        fh.write(f'gate deep "Deep" {{ require a{depth}() == 1 }}\ngate fine "Fine" {{ require true }}\n')
    (tmp_path / "r").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "check", "--no-cache", "--root", "r", "--pack", f"./p{packs - 1}.policy")
    assert code == 1
    assert (f"evaluation nested too deeply in `p{packs - 1}.deep`: a chain of defs, lets or `use`d packs deeper "
            f"than the stack allows; name fewer steps (policy p{packs - 1}.policy:{depth + 4})") in out
    assert "(1 pass, 0 fail, 1 error" in out


@pytest.mark.parametrize("epoch", ["²", "12a", "9" * 40])
def test_a_source_date_epoch_that_is_no_date_is_refused_before_the_cached_run_prints(epoch, tmp_path, monkeypatch,
                                                                                     capsys):
    """No waiver and no gate asks for the date, but the results cache keeps the printed report
    for the day: refused before anything is printed, as with a waiver's expiry."""
    make_repo(tmp_path / "r", {"README.md": "# r\n"})
    (tmp_path / "t.policy").write_text('pack t "t"\ngate g "G" { require false }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    code, out, err = cli(capsys, "check", "--root", "r", "--pack", "./t.policy")
    assert (code, out) == (2, "")
    assert err.startswith(f"error[PL300] the environment's SOURCE_DATE_EPOCH `{epoch[:40]}` is not a whole number")


@pytest.mark.parametrize("epoch", ["²", "12a", "9" * 40])
def test_a_source_date_epoch_that_is_no_date_is_refused_with_exit_2(epoch, tmp_path, monkeypatch, capsys):
    make_repo(tmp_path / "r", {".policylint.yaml": "waivers:\n  - gate: t.g\n    reason: r\n"
                                                      "    expires: 2026-12-31\n"})
    (tmp_path / "t.policy").write_text('pack t "t"\ngate g "G" { require false }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    code, _, err = cli(capsys, "check", "--no-cache", "--root", "r", "--pack", "./t.policy")
    assert code == 2
    assert err == (f"error[PL300] the environment's SOURCE_DATE_EPOCH `{epoch[:40]}` is not a whole number of "
                   "seconds since 1970\nhelp: set it as reproducible builds do (`date +%s`), or unset it\n\n"
                   "policylint: 1 error in the configuration; nothing was checked\n")
