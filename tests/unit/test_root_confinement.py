"""Nothing outside the root, configuration included (issue 11, section 1; glob items of 6).

A stranger's pull request controls `.policylint.yaml`, the packs in the repository and
their symlinks. Each reproduction of the issue is here as a refusal: a PL3xx (PL216 for a
`use`) naming the setting, the file outside never opened and its content nowhere in the
output; files written without following a symlink; `glob` never listing a folder outside.
"""
from __future__ import annotations

import builtins
import os
import stat

import pytest

from conftest import make_repo
from policylint.cli import main, print_diagnostics
from policylint.diagnostics import Diagnostic, Span
from policylint.errors import ArtifactError
from policylint.fsutil import atomic_open, inside, write_text
from policylint.loaders.files import dirs, glob
from policylint.repo import Repo

SECRET = "s3cr3t-token"
POLICY = 'pack team "Team rules" version "1"\ngate readme "README" { require exists("README.md") }\n'


@pytest.fixture
def opened(monkeypatch):
    """Real paths of every file opened (os.open and open) while the test runs."""
    seen = []
    real_os_open, real_open = os.open, builtins.open

    def os_open(path, *args, **kwargs):
        seen.append(os.path.realpath(path) if isinstance(path, (str, bytes, os.PathLike)) else path)
        return real_os_open(path, *args, **kwargs)

    def open_(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            seen.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    return seen


@pytest.fixture
def outside(tmp_path):
    """A folder beside the repository holding a secret, as /etc or a home folder would."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"TOKEN={SECRET}\n", encoding="utf-8")
    (folder / "shared.policy").write_text(f'pack shared "S" version "1"\n# {SECRET}\nlet x = [\n', encoding="utf-8")
    return folder


def run(capsys, monkeypatch, tmp_path, *argv):
    monkeypatch.chdir(tmp_path)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def never_touched(opened, folder) -> bool:
    return not [p for p in opened if isinstance(p, str) and p.startswith(str(os.path.realpath(folder)))]


# -- configuration -------------------------------------------------------------------------

PACKS_HELP = ("help: name a built-in or installed pack, or a pack inside the repository; "
              "a pack elsewhere is given with --pack on the command line")
BASELINE_HELP = "help: name a file inside the repository; --baseline FILE on the command line may name any file"


def test_a_packs_entry_naming_proc_self_environ_is_refused_unread(tmp_path, capsys, monkeypatch, opened):
    make_repo(tmp_path / "r", {".policylint.yaml": 'packs: ["/proc/self/environ"]\n'})
    monkeypatch.setenv("MY_SECRET", SECRET)
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r")
    assert code == 2
    assert err == ("r/.policylint.yaml:1:1: error[PL310] `packs` entry `/proc/self/environ` is outside the repository root\n"
                   "  |\n1 | packs: [\"/proc/self/environ\"]\n  | ^\n" + PACKS_HELP + "\n\n"
                   "policylint: 1 error in the configuration; nothing was checked\n")
    assert SECRET not in out + err
    assert not [p for p in opened if isinstance(p, str) and p.startswith("/proc/")]


@pytest.mark.parametrize("entry", ["../outside/shared.policy", "{outside}/shared.policy", "./link", "./linkdir"],
                         ids=["dotdot", "absolute", "file-symlink", "folder-symlink"])
def test_packs_entries_leading_out_of_the_root_are_refused(tmp_path, outside, capsys, monkeypatch, opened, entry):
    root = make_repo(tmp_path / "r", {"README.md": "# r\n"})
    os.symlink(outside / "shared.policy", root / "link")
    (root / "linkdir").mkdir()
    os.symlink(outside / "shared.policy", root / "linkdir" / "linkdir.policy")  # the folder is inside, its pack is not
    entry = entry.format(outside=outside)
    (root / ".policylint.yaml").write_text(f"# team packs\npacks:\n  - speckit\n  - {entry}\n", encoding="utf-8")
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r")
    assert code == 2
    assert err.startswith(f"r/.policylint.yaml:4:1: error[PL310] `packs` entry `{entry}` is outside the repository root\n")
    assert PACKS_HELP in err and SECRET not in out + err
    assert never_touched(opened, outside)


@pytest.mark.parametrize("name,text", [(".policylint.yaml", None), ("pyproject.toml", None)])
def test_a_configuration_file_symlinked_out_of_the_root_is_refused_unread(tmp_path, outside, capsys, monkeypatch,
                                                                          opened, name, text):
    root = make_repo(tmp_path / "r", {"README.md": "# r\n"})
    os.symlink(outside / "secret.txt", root / name)
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r")
    assert code == 2
    assert err == (f"error[PL310] configuration file `r/{name}` leads outside the repository root (a symlink); "
                   "it was not read\nhelp: configuration in a repository must be a file inside it\n\n"
                   "policylint: 1 error in the configuration; nothing was checked\n")
    assert never_touched(opened, outside)


def test_config_given_on_the_command_line_may_live_outside_the_root(tmp_path, capsys, monkeypatch):
    """--config is the user's choice; the paths it names still stay inside the root."""
    make_repo(tmp_path / "r", {"README.md": "# r\n", "p/team.policy": POLICY})
    make_repo(tmp_path / "shared", {"policylint.yaml": 'packs: ["./p/team.policy"]\n'})
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r", "--config", "shared/policylint.yaml")
    assert (code, err) == (0, "")
    (tmp_path / "shared" / "policylint.yaml").write_text('packs: ["../outside/shared.policy"]\n', encoding="utf-8")
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r", "--config", "shared/policylint.yaml")
    assert code == 2
    assert "shared/policylint.yaml:1:1: error[PL310] `packs` entry `../outside/shared.policy` is outside" in err


def test_config_given_on_the_command_line_inside_the_root_must_stay_inside(tmp_path, outside, capsys, monkeypatch,
                                                                          opened):
    root = make_repo(tmp_path / "r", {"README.md": "# r\n"})
    os.symlink(outside / "secret.txt", root / "ci.yaml")
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r", "--config", "r/ci.yaml")
    assert code == 2
    assert err.startswith("error[PL310] configuration file `r/ci.yaml` leads outside the repository root (a symlink)")
    assert never_touched(opened, outside)


# -- `use` -----------------------------------------------------------------------------------

USE_HELP = ("help: a pack uses built-in or installed packs by name, and by path only packs inside the "
            "repository or inside its own folder")


@pytest.mark.parametrize("target", ["/etc/passwd", "{outside}/shared.policy", "../../outside/shared.policy",
                                    "./shared.policy"],
                         ids=["etc-passwd", "absolute", "dotdot", "symlink"])
def test_a_use_path_out_of_the_root_is_refused_unread(tmp_path, outside, capsys, monkeypatch, opened, target):
    root = make_repo(tmp_path / "r", {".policylint.yaml": 'packs: ["./p/team.policy"]\n'})
    (root / "p").mkdir()
    os.symlink(outside / "shared.policy", root / "p" / "shared.policy")
    target = target.format(outside=outside)
    (root / "p" / "team.policy").write_text(f'use "{target}"\n', encoding="utf-8")
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r")
    assert code == 2
    caret = "^" * len(f'use "{target}"')
    assert err == (f"r/p/team.policy:1:1: error[PL216] `use` path `{target}` is outside the repository root and the "
                   f"pack's folder\n  |\n1 | use \"{target}\"\n  | {caret}\n{USE_HELP}\n\n"
                   "policylint: 1 error in the policy; nothing was checked\n")
    assert "root:" not in err and SECRET not in err
    assert never_touched(opened, outside) and "/etc/passwd" not in opened


def test_a_use_path_inside_the_root_or_the_packs_folder_is_followed(tmp_path, capsys, monkeypatch):
    """Inside the root but beside the pack's folder; and a pack outside the root (named with
    --pack) using a sibling in its own folder."""
    make_repo(tmp_path / "r", {"README.md": "# r\n", ".policylint.yaml": 'packs: ["./p/team.policy"]\n',
                               "p/team.policy": POLICY.replace("\n", '\nuse "../q/q.policy"\n', 1),
                               "q/q.policy": 'pack q "Q" version "1"\ndef two() = 2\n'})
    make_repo(tmp_path / "org", {"org.policy": POLICY.replace("team", "org").replace("\n", '\nuse "./base.policy"\n', 1),
                                 "base.policy": 'pack base "B" version "1"\ndef one() = 1\n'})
    assert run(capsys, monkeypatch, tmp_path, "check", "--root", "r")[:3:2] == (0, "")
    assert run(capsys, monkeypatch, tmp_path, "check", "--root", "r", "--pack", "org/org.policy")[:3:2] == (0, "")


# -- the baseline ----------------------------------------------------------------------------

@pytest.mark.parametrize("setting", ["{victim}", "../../victim.txt"], ids=["absolute", "dotdot"])
@pytest.mark.parametrize("command", ["baseline", "check"])
def test_a_baseline_setting_out_of_the_root_is_refused(tmp_path, capsys, monkeypatch, opened, setting, command):
    victim = tmp_path / "victim.txt"
    victim.write_text(f"export TOKEN={SECRET}\n", encoding="utf-8")
    setting = setting.format(victim=victim)
    make_repo(tmp_path / "w" / "r", {"README.md": "# r\n", "p/team.policy": POLICY,
                                     ".policylint.yaml": f'packs: ["./p/team.policy"]\nbaseline: {setting}\n'})
    code, out, err = run(capsys, monkeypatch, tmp_path / "w", command, "--root", "r")
    assert code == 2
    assert err == (f"r/.policylint.yaml:2:1: error[PL310] `baseline` `{setting}` is outside the repository root\n"
                   f"  |\n2 | baseline: {setting}\n  | ^\n{BASELINE_HELP}\n\n"
                   "policylint: 1 error in the configuration; nothing was checked\n")
    assert victim.read_text(encoding="utf-8") == f"export TOKEN={SECRET}\n" and SECRET not in out + err
    assert str(victim) not in opened


def test_the_default_baseline_symlinked_out_of_the_root_is_refused(tmp_path, capsys, monkeypatch, opened):
    victim = tmp_path / "victim.json"
    victim.write_text('{"policylint_baseline": 1, "entries": []}\n', encoding="utf-8")
    root = make_repo(tmp_path / "w" / "r", {"README.md": "# r\n", "p/team.policy": POLICY,
                                            ".policylint.yaml": 'packs: ["./p/team.policy"]\n'})
    os.symlink(victim, root / ".policylint-baseline.json")
    for command in ("check", "baseline"):
        code, out, err = run(capsys, monkeypatch, tmp_path / "w", command, "--root", "r")
        assert code == 2
        assert err == ("error[PL310] `baseline` `.policylint-baseline.json` is outside the repository root\n"
                       f"{BASELINE_HELP}\n\npolicylint: 1 error in the configuration; nothing was checked\n")
    assert str(victim) not in opened


def test_a_planted_temporary_file_symlink_does_not_redirect_the_baseline(tmp_path, capsys, monkeypatch):
    """The old writer wrote `<baseline>.tmp` through whatever was there."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    root = make_repo(tmp_path / "w" / "r", {"p/team.policy": POLICY, ".policylint.yaml": 'packs: ["./p/team.policy"]\n'})
    os.symlink(victim, root / ".policylint-baseline.json.tmp")
    code, out, err = run(capsys, monkeypatch, tmp_path / "w", "baseline", "--root", "r")
    assert (code, out, err) == (0, "wrote 1 known failure to r/.policylint-baseline.json\n", "")
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert not stat.S_ISLNK(os.lstat(root / ".policylint-baseline.json").st_mode)
    assert sorted(p.name for p in root.iterdir()) == [".policylint-baseline.json", ".policylint-baseline.json.tmp",
                                                      ".policylint.yaml", "p"]


def test_a_baseline_that_is_a_symlink_is_not_written_through(tmp_path, capsys, monkeypatch):
    root = make_repo(tmp_path / "w" / "r", {"p/team.policy": POLICY, ".policylint.yaml": 'packs: ["./p/team.policy"]\n',
                                            "kept.json": "keep me\n"})
    os.symlink(root / "kept.json", root / ".policylint-baseline.json")  # inside the root, but a symlink
    code, out, err = run(capsys, monkeypatch, tmp_path / "w", "baseline", "--root", "r")
    assert (code, out) == (2, "")
    assert err == ("policylint: error: cannot write `r/.policylint-baseline.json`: it is a symlink, and policylint "
                   "writes no file through a symlink\n")
    assert (root / "kept.json").read_text(encoding="utf-8") == "keep me\n"


def test_a_report_file_that_is_a_symlink_is_refused_and_a_device_is_written(tmp_path, capsys, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    make_repo(tmp_path / "r", {"README.md": "# r\n", "p/team.policy": POLICY,
                               ".policylint.yaml": 'packs: ["./p/team.policy"]\n'})
    os.symlink(victim, tmp_path / "report.json")
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r", "-f", "json", "-o", "report.json")
    assert (code, err) == (2, "policylint: error: cannot write `report.json`: it is a symlink, and policylint writes "
                              "no file through a symlink\n")
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert run(capsys, monkeypatch, tmp_path, "check", "--root", "r", "-f", "json", "-o", os.devnull)[:3:2] == (0, "")


# -- the one way policylint writes a file ------------------------------------------------------

def test_write_text_replaces_atomically_keeps_the_mode_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o640)
    write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n" and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("the writer failed")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("kind", ["symlink", "dangling-symlink", "folder"])
def test_write_text_refuses_a_target_that_is_not_a_regular_file(tmp_path, kind):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    target = tmp_path / "target"
    if kind == "symlink":
        os.symlink(victim, target)
    elif kind == "dangling-symlink":
        os.symlink(tmp_path / "nowhere", target)
    else:
        target.mkdir()
    with pytest.raises(OSError) as caught:
        write_text(target, "x")
    assert caught.value.strerror == {"folder": "it is a folder"}.get(
        kind, "it is a symlink, and policylint writes no file through a symlink")
    assert victim.read_text(encoding="utf-8") == "keep me\n" and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target", "victim.txt"]


def test_every_writer_goes_through_the_shared_helper():
    """No `write_text`, `open(…, "w")` or `os.replace` of its own in the commands that write."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "policylint"
    own = re.compile(r"\.write_text\(|\.write_bytes\(|open\([^)]*[\"'][wa]b?[\"']|os\.replace\(|\.replace\(path\)")
    for name in ("cli.py", "baseline.py", "fmt.py", "scaffold.py", "packtest.py"):
        text = (package / name).read_text(encoding="utf-8")
        assert not own.findall(text), f"{name} writes a file itself: {own.findall(text)}"


def test_update_and_scaffold_refuse_symlinks(tmp_path, capsys, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    os.symlink(victim, tmp_path / "taken")
    code, out, err = run(capsys, monkeypatch, tmp_path, "new", "pack", "taken")
    assert (code, err) == (2, "policylint: error: `taken` already exists; nothing was written\n")
    assert run(capsys, monkeypatch, tmp_path, "new", "pack", "demo")[0] == 0
    case = tmp_path / "demo" / "tests" / "titled-docs" / "expected.yaml"
    case.write_text("results:\n  .:\n    demo.docs-have-titles: fail\n", encoding="utf-8")
    real = tmp_path / "real-expected.yaml"
    os.replace(case, real)
    os.symlink(real, case)
    code, out, err = run(capsys, monkeypatch, tmp_path, "test", "demo", "--update")
    assert code == 2
    assert err == ("policylint: error: cannot write `demo/tests/titled-docs/expected.yaml`: it is a symlink, and policylint writes no file "
                   "through a symlink\n")
    assert real.read_text(encoding="utf-8") == "results:\n  .:\n    demo.docs-have-titles: fail\n"
    assert victim.read_text(encoding="utf-8") == "keep me\n"


# -- diagnostics quote only what policylint chose to read ----------------------------------------

def test_a_diagnostic_never_quotes_a_file_policylint_did_not_vet(tmp_path, outside):
    import io

    stream = io.StringIO()
    print_diagnostics([Diagnostic("PL100", "made up", Span(str(outside / "secret.txt"), 1, 1))], stream)
    assert stream.getvalue() == (f"{outside / 'secret.txt'}:1:1: error[PL100] made up\n\n"
                                 "policylint: 1 error in the policy; nothing was checked\n")


# -- glob --------------------------------------------------------------------------------------

@pytest.fixture
def listed(monkeypatch):
    """Real paths of every folder listed while the test runs."""
    seen = []
    real = os.scandir

    def scandir(path="."):
        seen.append(os.path.realpath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return seen


def test_glob_with_dotdot_is_refused_and_lists_nothing(tmp_path, listed):
    repo = Repo(make_repo(tmp_path / "r", {"specs/a/b/x": "x\n"}))
    for pattern in ("specs/**/**/../../../**/x", "specs/../README.md", "specs/a/../../../*"):
        with pytest.raises(ArtifactError) as caught:
            glob(repo, pattern)
        assert caught.value.message in ("a glob may not contain `..`: write the path from the repository root",
                                        "path leaves the repository root")
    assert listed == []


def test_glob_never_lists_a_folder_outside_the_root(tmp_path, outside, listed):
    root = make_repo(tmp_path / "r", {"docs/a.md": "# a\n", "docs/sub/b.md": "# b\n"})
    os.symlink(outside, root / "out")
    os.symlink(outside, root / "docs" / "out")
    os.symlink(root / "docs" / "sub", root / "inlink")  # a folder symlink that stays inside
    repo = Repo(root)
    assert [str(p) for p in glob(repo, "**/*.md")] == ["docs/a.md", "docs/sub/b.md"]
    assert [str(p) for p in glob(repo, "*/*")] == ["docs/a.md", "docs/sub", "inlink/b.md"]
    assert [str(p) for p in glob(repo, "out/*")] == [] and [str(p) for p in glob(repo, "*/out/*")] == []
    assert [str(p) for p in dirs(repo, "**")] == ["docs", "docs/sub"]
    assert all(inside(folder, root) for folder in listed) and listed


@pytest.mark.parametrize("pattern,message", [
    ("", "an empty glob names no file or folder; write one such as `*.md` or `docs/**/*.md`"),
    (".", "the glob `.` names no file or folder; write one such as `*.md` or `docs/**/*.md`"),
    ("./", "the glob `./` names no file or folder; write one such as `*.md` or `docs/**/*.md`"),
    ("a**", "`**` must be a whole path segment, as in `docs/**/*.md`; in `a**` write `*` to match part of a name"),
    ("docs/**b/*.md", "`**` must be a whole path segment, as in `docs/**/*.md`; in `**b` write `*` to match part of a name"),
])
def test_globs_that_mean_nothing_are_labelled_errors(tmp_path, pattern, message):
    with pytest.raises(ArtifactError) as caught:
        glob(Repo(tmp_path), pattern)
    assert (caught.value.path, caught.value.message) == (pattern, message)


def test_glob_errors_reach_a_gate_as_errors_not_internal_errors(tmp_path, capsys, monkeypatch):
    make_repo(tmp_path / "r", {"README.md": "# r\n", "p/p.policy": (
        'pack p "P" version "1"\nparam pattern = "a**"\n'
        'gate g "G" { require count(glob(pattern)) == 0 }\n'), ".policylint.yaml": 'packs: ["./p"]\n'})
    code, out, err = run(capsys, monkeypatch, tmp_path, "check", "--root", "r")
    assert (code, err) == (1, "")
    assert "ERROR  p.g  G" in out and "`**` must be a whole path segment" in out and "PL900" not in out


@pytest.mark.parametrize("pattern", ["./.github/workflows/*.yml", "././.github/workflows/*.yml",
                                     ".github/./workflows/*.yml", ".github//workflows/*.yml"])
def test_a_leading_dot_slash_is_dropped_and_dot_folders_are_found(tmp_path, pattern):
    repo = Repo(make_repo(tmp_path, {".github/workflows/ci.yml": "on: push\n", ".gitignore": "x\n"}))
    assert [str(p) for p in glob(repo, pattern)] == [".github/workflows/ci.yml"]


def test_glob_keeps_its_meaning(tmp_path):
    """The walk that replaced pathlib's glob matches as it did: hidden names, classes, `**` as
    zero or more folders, a final `**` for folders only, and never the root's `.git`."""
    repo = Repo(make_repo(tmp_path, {"src/a.py": "", "src/pkg/b.py": "", "src/pkg/c1.txt": "", ".env": "",
                                     ".git/config": "", "docs/x/.hidden.md": ""}))
    assert [str(p) for p in glob(repo, "src/**/*.py")] == ["src/a.py", "src/pkg/b.py"]
    assert [str(p) for p in glob(repo, "src/**/**/*.py")] == ["src/a.py", "src/pkg/b.py"]
    assert [str(p) for p in glob(repo, "src/pkg/c[0-9].txt")] == ["src/pkg/c1.txt"]
    assert [str(p) for p in glob(repo, "*")] == [".env", "docs", "src"]
    assert [str(p) for p in glob(repo, "src/**")] == ["src", "src/pkg"]
    assert [str(p) for p in glob(repo, "**/.hidden.md")] == ["docs/x/.hidden.md"]
    assert [str(p) for p in glob(repo, ".git/*")] == [] and [str(p) for p in glob(repo, "src/a.py")] == ["src/a.py"]
    assert [str(p) for p in dirs(repo, "src/*")] == ["src/pkg"]
