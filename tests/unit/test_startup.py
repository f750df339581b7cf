"""The pre-commit path (`policylint check FILE`, packs cached): what it imports, and the
shortcuts it takes being the same as the long way. Its CPU time is held by
benchmarks/bench_scale.py (f), not here."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from policylint import cli, patterns
from policylint.cache import Cache
from policylint.loaders import markdown, tasks
from policylint.patterns import lazy

SPEC = "specs/001-password-reset/spec.md"
# What the path never needs: the parser (a cached pack), the optional and report-only
# libraries, argparse and its translations (`check FILE…` is parsed without it), and the
# standard modules only other commands use.
NOT_IMPORTED = ("lark", "rich", "jsonschema", "yaml", "pygls", "argparse", "gettext", "locale", "json",
                "hashlib", "email", "tempfile", "shutil", "subprocess", "dataclasses", "inspect", "typing",
                "importlib.metadata", "policylint.syntax.parse", "policylint.check", "policylint.results",
                "policylint.commands",
                "datetime", "contextlib", "pathlib", "urllib.parse", "ipaddress", "fnmatch",
                "policylint.baseline", "importlib", "warnings")


@pytest.mark.parametrize("argv", [
    ["check", SPEC],
    ["check", "a.md", "specs/002 x/ü.md", "README"],
    ["check"],
])
def test_check_files_without_options_reads_as_argparse_does(argv):
    quick = cli._plain_check(argv)
    assert quick is not None
    assert vars(quick) == vars(cli.build_parser("check").parse_args(argv))
    assert ("base" in quick) and ("nothing" not in quick)  # `name in args`, as on argparse's namespace


@pytest.mark.parametrize("argv", [
    [], ["check", "-v", SPEC], ["check", SPEC, "--no-cache"], ["check", "--", SPEC], ["check", "-"],
    ["check", ""], ["status", SPEC], ["--version"],
])
def test_anything_else_goes_to_argparse(argv):
    assert cli._plain_check(argv) is None


def test_precommit_path_imports_only_what_it_uses(tmp_path):
    """`check FILE` on a repository with its packs cached, as the pre-commit hook runs it (a
    fresh process, through `main()` with the process's own arguments)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "speckit-demo", repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = {**os.environ, "POLICYLINT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    code = ("import atexit, sys\n"
            f"sys.argv = ['policylint', 'check', {SPEC!r}]\n"
            "atexit.register(lambda: print('imported:', ' '.join(sorted(sys.modules))))\n"
            "from policylint.cli import main\n"
            "main()\n"
            "print('main returned')\n")
    runs = [subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True)
            for _ in range(2)]  # the first compiles the pack into the cache
    assert [run.returncode for run in runs] == [0, 0] and "main returned" not in runs[1].stdout  # it ends the process
    cold, warm = (dict(line.split(": ", 1) for line in run.stdout.splitlines() if line.startswith("imported:"))
                  for run in runs)
    assert "lark" in cold["imported"].split()  # the test is worth its salt: the cold run did parse
    imported = set(warm["imported"].split())
    bare = subprocess.run([sys.executable, "-c", "import sys; print(' '.join(sys.modules))"], cwd=repo, env=env,
                          capture_output=True, text=True).stdout.split()  # what the interpreter itself loads here
    assert sorted(m for m in NOT_IMPORTED if m in imported and m not in bare) == []
    assert runs[1].stdout.split("imported:")[0] == runs[0].stdout.split("imported:")[0]  # the same report


def test_lazy_pattern_is_compiled_on_first_use_and_behaves_as_compiled():
    pattern = lazy(r"(?P<word>[a-z]+)-(\d+)", 0)
    assert not _set(pattern, "match")
    assert pattern.match("abc-12").group("word") == "abc"
    assert _set(pattern, "search") and pattern.groups == 2 and pattern.groupindex["word"] == 1
    assert pattern.sub("x", "ab-1 cd-2") == "x x" and pattern.findall("q-3") == [("q", "3")]
    with pytest.raises(AttributeError):
        pattern.nothing  # noqa: B018


def _set(obj, slot: str) -> bool:
    try:
        object.__getattribute__(obj, slot)
    except AttributeError:
        return False
    return True


def _loader_patterns() -> list:
    found = []
    for module in (markdown, tasks):
        for value in vars(module).values():
            for item in value if isinstance(value, tuple) else (value,):
                found.extend(p for p in (item if isinstance(item, tuple) else (item,)) if isinstance(p, lazy))
    return [p._source for p in found]


def test_kept_programs_build_the_patterns_re_compiles(tmp_path, monkeypatch):
    """Every loader pattern, compiled once into the cache and then built from it, is the pattern
    `re.compile` makes (a Pattern compares its flags, source and program); a damaged program
    in the entry is compiled again."""
    import re

    sources = _loader_patterns()
    assert len(sources) > 40
    monkeypatch.setattr(patterns, "_store", None)
    monkeypatch.setattr(patterns, "_added", True)  # no write at the test process's exit
    patterns.keep_compiled_in(Cache.open(str(tmp_path / "cache")))
    first = [patterns.compile_kept(p, f) for p, f in sources]
    patterns._save()

    def compiled_again(pattern, flags):
        raise AssertionError(f"compiled again: {pattern}")

    patterns.keep_compiled_in(Cache.open(str(tmp_path / "cache")))  # as the next run opens it
    with monkeypatch.context() as m:
        m.setattr(patterns, "_compile_program", compiled_again)
        kept = [patterns.compile_kept(p, f) for p, f in sources]
    assert first == kept == [re.compile(p, f) for p, f in sources]
    assert kept[0].groupindex == re.compile(*sources[0]).groupindex

    pattern, flags = sources[0]
    patterns._programs[f"{flags}\0{pattern}"][1] = "9f860100" "01000000" "02000000"  # not a program
    assert patterns.compile_kept(pattern, flags) == re.compile(pattern, flags)


def test_glob_segments_match_as_fnmatch_translates_them():
    """A glob segment whose only wildcard is `*` is matched without compiling a regex (pack
    detection's globs, on every run); every segment, so matched or not, accepts the names
    `re.compile(fnmatch.translate(segment)).match` accepts."""
    import fnmatch
    import itertools
    import random
    import re

    from policylint.repo import segment_matcher

    rng = random.Random(14)
    segments = {"*", "*.md", "CH-*", "prd-*", "*.*", "a*b*a", "**", "*a*", "a**b", ".*", "*.", "*ab*ba*", "[ab]*", "a?"}
    segments |= {"".join(rng.choice("ab.-*") for _ in range(rng.randint(1, 6))) for _ in range(1500)}
    names = ["".join(p) for n in range(6) for p in itertools.product("ab.-", repeat=n)] + ["a\nb", "ä.md"]
    for segment in sorted(segments):
        expected = re.compile(fnmatch.translate(segment)).match
        matches = segment_matcher(segment)
        assert [n for n in names if matches(n)] == [n for n in names if expected(n)], segment


def test_a_pack_header_is_read_from_its_first_bytes(tmp_path):
    """detect_glob reads 8192 bytes, not characters: a character cut at the end is left out,
    and a byte that is not UTF-8 before it leaves the pack to be loaded (False, None)."""
    from policylint.packs import detect_glob

    header = 'pack team "T" detect "docs/*.md"\n'
    cut = tmp_path / "cut.policy"
    cut.write_bytes(header.encode() + b"# " + "é".encode() * 8192 + b"\n")
    assert len(header.encode()) + 3 < 8192 and (len(header.encode()) + 2) % 2 == 1  # 8192 falls inside an é
    assert detect_glob(cut) == (True, "docs/*.md")
    broken = tmp_path / "broken.policy"
    broken.write_bytes(b"# \xff\n" + header.encode())
    assert detect_glob(broken) == (False, None)


def test_the_process_ends_with_its_report_whole_and_its_exit_code(tmp_path, capsys):
    """The command ends the process itself (fastpath.exit_now, no interpreter shutdown): what it
    printed reaches the reader whole, the exit code is the run's, and a reader that stops early
    (`| head`) gets no traceback."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "speckit-demo", repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    env = {**os.environ, "POLICYLINT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "policylint", "check", "--root", str(repo), "-f", "json", "--no-cache"]
    whole = subprocess.run(command, env=env, capture_output=True)
    expected_code = cli.main(["check", "--root", str(repo), "-f", "json", "--no-cache"])
    assert (whole.returncode, whole.stdout.decode()) == (expected_code, capsys.readouterr().out) and expected_code == 1
    assert whole.stderr == b""
    reader = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.read(10)
    reader.stdout.close()
    # the run's code, or 0 when the report did not fit the pipe and its reader was gone (cli._main)
    assert reader.wait(timeout=120) in (expected_code, 0)
    assert reader.stderr.read() == b""
