"""Shared helpers: run a policy on a throwaway repository built from a dict of files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's pack cache."""
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "policylint-cache"))


def make_repo(root: Path, files: dict) -> Path:
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run_policy(tmp_path: Path, policy: str, files: dict | None = None, **engine_kw):
    """Write `policy` and `files`, evaluate, return the Run."""
    from policylint.evaluate import Engine
    from policylint.packs import PackLoader
    from policylint.repo import Repo

    repo = make_repo(tmp_path / "repo", files or {})
    repo.mkdir(exist_ok=True)
    policy_path = tmp_path / "t.policy"
    policy_path.write_text(policy, encoding="utf-8")
    pack = PackLoader(use_cache=False).load(str(policy_path))
    return Engine(Repo(repo), **engine_kw).run([pack])


def check(capsys, *extra) -> tuple:
    """`policylint check --no-cache …` in the current folder: (exit code, stdout, stderr)."""
    from policylint.cli import main

    code = main(["check", "--no-cache", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# A "billion laughs": nine levels of nine aliases, 387,420,489 values if expanded
BILLION_LAUGHS = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


UPDATE_GOLDENS = "POLICYLINT_UPDATE_GOLDENS"


def assert_golden(path: Path, got: bytes, name: str) -> None:
    """`got` is the golden file's bytes; with POLICYLINT_UPDATE_GOLDENS=1 it is written there
    instead (the test then skips, so nobody mistakes a rewrite for a pass)."""
    if os.environ.get(UPDATE_GOLDENS) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != got:
            path.write_bytes(got)
            pytest.skip(f"rewrote {path.relative_to(ROOT)}: review the diff, then run without {UPDATE_GOLDENS}")
        return
    assert path.exists(), f"no golden {path.relative_to(ROOT)}; write it with {UPDATE_GOLDENS}=1 and review it"
    assert got == path.read_bytes(), f"{name} differs from {path.relative_to(ROOT)} (rewrite with {UPDATE_GOLDENS}=1)"


def assert_no_reference_cycle(make) -> None:
    """What `make()` returns, every field read, leaves no cycle behind: `check` runs with the
    cyclic collector paused, so a value holding one would stay in memory to the end of the run."""
    import gc

    from policylint.values import to_plain

    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        value = make()
        to_plain(value)  # every field read
        del value
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()
