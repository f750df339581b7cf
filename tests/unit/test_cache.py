"""The pack cache holds data, never code, and trusts nothing it finds in its folder.

Each reproduction of issue 11 §3 is a test here: a planted pickle never runs (in the user's
cache, in a shared one, in a relative one inside the repository); a folder that is a symlink
or another user's is refused; a relative `POLICYLINT_CACHE_DIR` is an error; another pack's
tree stored under a pack's key is ignored; an empty, garbage or borrowed `checked-` entry
never makes `validate` say OK; one pack read from two folders is one entry; old entries are
evicted. Also: every built-in pack survives the round trip through the cache unchanged.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from policylint import cache as cache_module
from policylint.cache import Cache, Refused, content_key, repository_cache
from policylint.cli import main
from policylint.packs import PackLoader, builtin_packs, checked_key
from policylint.syntax import serial

GOOD = 'pack team "Team" version "1.0.0"\ngate g "G" { require true }\n'
BROKEN = 'pack team "Team" version "1.0.0"\ngate g "G" { require nonesuch > 1 }\n'
BROKEN_SAYS = "error[PL204] unknown name `nonesuch`"


class Planted:
    """Unpickling this writes a marker file: the proof that a pickle ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(folder))
    return folder


def entries(folder: Path, kind: str) -> list:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f"{kind}-"))


def write_pack(folder: Path, text: str = GOOD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "team.policy").write_text(text, encoding="utf-8")
    return folder / "team.policy"


# -- no entry runs code ----------------------------------------------------------------------

def test_a_planted_pickle_never_runs(tmp_path, cache_dir):
    pack = write_pack(tmp_path / "team")
    PackLoader().load(str(pack))  # fills the cache: one `ast-` and one `checked-` entry
    marker = tmp_path / "marker"
    payload = pickle.dumps(Planted(marker))
    names = [p.name for p in cache_dir.iterdir() if p.name != "secret"]
    names += ["ast-0.1.0-22df9c90d3ba8214-3ef6f9834c6152dfd97a4d0376c7f181.pickle"]  # what 0.1 read
    for name in names:
        (cache_dir / name).write_bytes(payload)
    loaded = PackLoader().load(str(pack))
    assert not marker.exists()
    assert loaded.name == "team" and loaded.ast.items[0].name == "g"
    assert not (cache_dir / names[-1]).exists()  # a pickle an older version left is evicted
    for name in names[:-1]:  # and the planted entries were rebuilt
        assert (cache_dir / name).read_bytes().startswith(b"policylint-cache 2 ")


def test_a_pickle_committed_in_a_relative_cache_folder_is_refused(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    write_pack(repo / "team")
    marker = tmp_path / "marker"
    (repo / ".policylint-cache").mkdir()
    (repo / ".policylint-cache" / "ast-planted.pickle").write_bytes(pickle.dumps(Planted(marker)))
    monkeypatch.chdir(repo)
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", ".policylint-cache")
    assert main(["check", "--root", ".", "--pack", "./team"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error[PL311] `POLICYLINT_CACHE_DIR` must be an absolute path, not `.policylint-cache`\n"
        "help: a relative cache folder would be read inside the repository under check; give an absolute "
        "path, or set POLICYLINT_NO_CACHE=1 to run without the cache\n\n"
        "policylint: 1 error in the configuration; nothing was checked\n")
    assert not marker.exists()


def test_a_relative_xdg_cache_home_is_ignored_as_the_xdg_spec_says(tmp_path, monkeypatch):
    monkeypatch.delenv("POLICYLINT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_module.user_cache_dir() == str(tmp_path / "home" / ".cache" / "policylint")
    monkeypatch.setenv("HOME", "home")  # a relative home: no cache at all, never one in the cwd
    assert cache_module.user_cache_dir() is None


# -- folders and files that are not the user's alone -----------------------------------------

def test_a_cache_folder_that_is_a_symlink_is_refused_with_a_warning(tmp_path, monkeypatch, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(elsewhere)
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(tmp_path / "link"))
    cache_module._warned.clear()
    pack = write_pack(tmp_path / "team")
    assert main(["validate", str(pack)]) == 0
    assert main(["validate", str(pack)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "1 policy OK\n1 policy OK\n"
    assert captured.err == (f"policylint: warning[PL311] cache folder `{tmp_path / 'link'}` refused: it is a symlink; "
                            "running without the cache\n")  # once a run
    assert list(elsewhere.iterdir()) == []


def test_a_cache_folder_inside_the_repository_under_check_is_refused(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    write_pack(repo / "team")
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(repo / ".cache"))  # as a CI job might, for actions/cache
    cache_module._warned.clear()
    assert main(["check", "--root", str(repo), "--pack", str(repo / "team")]) == 0
    assert capsys.readouterr().err == (f"policylint: warning[PL311] cache folder `{repo / '.cache'}` refused: "
                                       "it is inside the repository under check; running without the cache\n")
    assert not (repo / ".cache").exists()


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="chown needs root")
def test_a_cache_folder_another_user_owns_is_refused_and_its_pickle_never_runs(tmp_path, monkeypatch, capsys):
    shared = tmp_path / "shared-xdg"  # XDG_CACHE_HOME=/tmp on a shared machine
    (shared / "policylint").mkdir(parents=True)
    marker = tmp_path / "marker"
    (shared / "policylint" / "planted.pickle").write_bytes(pickle.dumps(Planted(marker)))
    os.chown(shared / "policylint", 65534, 65534)  # nobody
    monkeypatch.delenv("POLICYLINT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    cache_module._warned.clear()
    assert main(["validate", str(write_pack(tmp_path / "team"))]) == 0
    assert capsys.readouterr().err == (f"policylint: warning[PL311] cache folder `{shared / 'policylint'}` refused: "
                                       "it is owned by another user; running without the cache\n")
    assert not marker.exists()
    assert sorted(p.name for p in (shared / "policylint").iterdir()) == ["planted.pickle"]


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="chown needs root")
def test_an_entry_another_user_owns_is_a_miss(tmp_path):
    cache = Cache.open(str(tmp_path / "c"))
    cache.put("ast", "a" * 64, [1, 2])
    os.chown(tmp_path / "c" / f"ast-{'a' * 64}", 65534, 65534)
    assert cache.get("ast", "a" * 64) is None


def test_entries_writable_by_others_hard_linked_or_symlinked_are_misses(tmp_path):
    cache = Cache.open(str(tmp_path / "c"))
    folder = tmp_path / "c"
    for key in "abcd":
        cache.put("ast", key * 64, {"k": key})
        assert cache.get("ast", key * 64) == {"k": key}
    os.chmod(folder / f"ast-{'a' * 64}", 0o620)
    os.chmod(folder / f"ast-{'b' * 64}", 0o602)
    os.link(folder / f"ast-{'c' * 64}", tmp_path / "second-link")
    (folder / f"ast-{'d' * 64}").rename(tmp_path / "moved")
    (folder / f"ast-{'d' * 64}").symlink_to(tmp_path / "moved")
    assert [cache.get("ast", key * 64) for key in "abcd"] == [None] * 4


def test_the_cache_folder_and_its_files_are_private(tmp_path):
    Cache.open(str(tmp_path / "new")).put("checked", "e" * 64, True)
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o700"
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in (tmp_path / "new").iterdir()} == {
        "secret": "0o600", f"checked-{'e' * 64}": "0o600"}
    old = tmp_path / "old"  # made by policylint 0.1 under umask 002
    old.mkdir()
    os.chmod(old, 0o775)
    Cache.open(str(old))
    assert oct(old.stat().st_mode & 0o777) == "0o755"


def test_a_write_replaces_a_planted_symlink_and_never_writes_through_it(tmp_path):
    cache = Cache.open(str(tmp_path / "c"))
    victim = tmp_path / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    (tmp_path / "c" / f"ast-{'f' * 64}").symlink_to(victim)
    cache.put("ast", "f" * 64, [1])
    assert victim.read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "c" / f"ast-{'f' * 64}").is_symlink() and cache.get("ast", "f" * 64) == [1]


def test_a_cache_in_the_repository_signs_with_the_users_secret_so_committed_entries_are_misses(tmp_path, cache_dir):
    repo = tmp_path / "repo"
    repo.mkdir()
    mine = repository_cache(str(repo))
    mine.put("results", "a" * 64, {"gate": "pass"})
    assert repository_cache(str(repo)).get("results", "a" * 64) == {"gate": "pass"}
    assert not (repo / ".policylint-cache" / "secret").exists()  # the key stays in the user's cache
    # a pull request commits its own cache: entries signed with a secret it also commits
    committed = tmp_path / "theirs"
    theirs = Cache.open(str(committed))
    theirs.put("results", "b" * 64, {"gate": "pass"})
    for name in ("secret", f"results-{'b' * 64}"):
        shutil.copy(committed / name, repo / ".policylint-cache" / name)
    assert repository_cache(str(repo)).get("results", "b" * 64) is None
    # and a cache folder that is a symlink out of the root is refused
    shutil.rmtree(repo / ".policylint-cache")
    (repo / ".policylint-cache").symlink_to(committed)
    assert repository_cache(str(repo)) is None


# -- entries are verified --------------------------------------------------------------------

def test_another_packs_tree_stored_under_a_packs_key_is_ignored(tmp_path, cache_dir):
    loader = PackLoader()
    speckit, openspec = loader.load("speckit"), loader.load("openspec")
    trees = {}
    for name in entries(cache_dir, "ast"):
        plain = json.loads((cache_dir / name).read_bytes().split(b"\n", 2)[2])
        trees[plain[1][1][1]] = name  # the Pack node's name field (serial.dump: [table, [positions, tree]])
    assert set(trees) == {"speckit", "openspec"}
    shutil.copy(cache_dir / trees["openspec"], cache_dir / trees["speckit"])  # as it was found on disk
    assert PackLoader().load("speckit").ast.name == "speckit"
    # a forgery with the right header and another pack's tree: its MAC cannot match
    forged = (cache_dir / trees["openspec"]).read_bytes().replace(trees["openspec"][4:].encode(),
                                                                   trees["speckit"][4:].encode())
    (cache_dir / trees["speckit"]).write_bytes(forged)
    assert PackLoader().load("speckit").ast.name == "speckit"
    assert speckit.ast.name == "speckit" and openspec.ast.name == "openspec"


@pytest.mark.parametrize("planted", [b"", b"garbage", b"policylint-cache 1 checked ", "borrowed", "truncated"])
def test_an_empty_garbage_or_borrowed_checked_entry_never_makes_validate_say_ok(tmp_path, cache_dir, capsys, planted):
    write_pack(tmp_path / "good")
    assert main(["validate", str(tmp_path / "good" / "team.policy")]) == 0
    good_checked = cache_dir / entries(cache_dir, "checked")[0]
    before = entries(cache_dir, "ast")
    pack = write_pack(tmp_path / "team", BROKEN)
    assert main(["validate", str(pack)]) == 2
    (tree_entry,) = [n for n in entries(cache_dir, "ast") if n not in before]
    target = cache_dir / f"checked-{checked_key(tree_entry[4:], [])}"
    assert not target.exists()
    if planted == "borrowed":  # a valid entry, signed, but for another key
        planted = good_checked.read_bytes()
    elif planted == "truncated":
        planted = good_checked.read_bytes().replace(good_checked.name[8:].encode(), target.name[8:].encode())[:-2]
    target.write_bytes(planted)
    capsys.readouterr()
    assert main(["validate", str(pack)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and BROKEN_SAYS in err


def test_an_entry_under_another_secret_a_damaged_one_and_a_stale_format_are_misses(tmp_path):
    first = Cache.open(str(tmp_path / "c"))
    first.put("results", "0" * 64, {"a": [1, 2.5, None, True, "é"]})
    assert first.get("results", "0" * 64) == {"a": [1, 2.5, None, True, "é"]}
    assert first.get("ast", "0" * 64) is None  # same key, another kind
    (tmp_path / "c" / "secret").write_bytes(os.urandom(32))  # the secret changes: nothing old verifies
    assert Cache.open(str(tmp_path / "c")).get("results", "0" * 64) is None
    entry = tmp_path / "c" / f"results-{'0' * 64}"
    second = Cache.open(str(tmp_path / "c"))
    second.put("results", "0" * 64, [1])
    data = entry.read_bytes()
    for damaged in (data[:-1], data.replace(b"[1]", b"[2]"), data.replace(b"cache 2 ", b"cache 1 "), data + b" "):
        entry.write_bytes(damaged)
        assert second.get("results", "0" * 64) is None


def test_an_entry_named_by_its_content_is_signed_with_its_digest(tmp_path):
    cache = Cache.open(str(tmp_path / "c"))
    payload = b"a report \xe2\x80\xa6"
    name = content_key(payload)
    cache.put_bytes("pieces", name, payload, digest=name)
    assert cache.get_bytes("pieces", name) == payload
    wrong = content_key(b"something else")  # a digest that is not the payload's signs nothing it holds
    cache.put_bytes("pieces", wrong, payload, digest=wrong)
    assert cache.get_bytes("pieces", wrong) is None


def test_a_value_json_cannot_hold_is_not_cached(tmp_path):
    cache = Cache.open(str(tmp_path / "c"))
    cache.put("ast", "1" * 64, {"x": object()})
    cache.put("ast", "2" * 64, float("nan"))
    assert entries(tmp_path / "c", "ast") == []


def test_serial_load_builds_only_ast_classes_with_their_own_fields():
    tree = PackLoader(use_cache=False).load("speckit").ast
    table, plain = serial.dump(tree, tree.path)
    assert serial.load([table, plain], "x.policy").path == "x.policy"
    for bad_table in ([["Span", t[1]] if i == 0 else t for i, t in enumerate(table)],
                      [["os", ["system"]]] + table[1:],
                      [[table[0][0], table[0][1][:-1]]] + table[1:]):
        assert serial.load([bad_table, plain], "x.policy") is None
    assert serial.load([table, [0, 1, 1, 1, 1]], "x.policy") is None  # wrong field count
    assert serial.load([table, [99]], "x.policy") is None
    assert serial.load([table, "text"], "x.policy") is None
    assert serial.load(None, "x.policy") is None


@pytest.mark.parametrize("name", sorted(builtin_packs()))
def test_every_builtin_pack_comes_back_from_the_cache_unchanged(name):
    tree = PackLoader(use_cache=False).load(name).ast
    text = json.dumps(serial.dump(tree, tree.path))
    back = serial.load(json.loads(text), tree.path)
    assert _same(back, tree)


def _same(a, b) -> bool:
    from policylint.structs import fields, is_struct

    if type(a) is not type(b):
        return False
    if is_struct(a):
        return vars(a).keys() == vars(b).keys() and all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def test_dates_floats_and_tuples_survive_the_round_trip(tmp_path, cache_dir):
    source = ('pack team "Team"\nlet d = 2024-02-29\nlet f = 1.25\nlet p = 50%\n'
              'gate g "G" { require every a in [1], b in [2]: a < b and d < 2025-01-01 and f > 1 and p > 0.4 }\n')
    pack = write_pack(tmp_path / "team", source)
    cold = PackLoader().load(str(pack)).ast
    warm = PackLoader().load(str(pack)).ast
    assert _same(warm, cold)


# -- keys are content, entries are evicted ---------------------------------------------------

def test_one_pack_read_from_two_folders_and_two_cwds_is_one_entry_with_the_path_of_the_run(tmp_path, cache_dir,
                                                                                               monkeypatch, capsys):
    first = write_pack(tmp_path / "a" / "team", BROKEN)
    second = write_pack(tmp_path / "b" / "team", BROKEN)
    for cwd, pack in ((tmp_path, first), (tmp_path / "a", first), (tmp_path, second), (tmp_path / "b", second)):
        monkeypatch.chdir(cwd)
        assert main(["validate", str(pack)]) == 2
        shown = os.path.relpath(pack).replace(os.sep, "/")
        assert f"{shown}:2:22: {BROKEN_SAYS}" in capsys.readouterr().err
    assert len(entries(cache_dir, "ast")) == 1


def test_eviction_keeps_the_newest_entries_and_drops_old_ones_and_leftovers(tmp_path):
    folder = tmp_path / "c"
    cache = Cache.open(str(folder), max_entries=3)
    now = time.time()
    for i, age_days in enumerate((0, 1, 2, 3, 40)):
        key = str(i) * 64
        cache._write(f"ast-{key}", b"x")
        os.utime(folder / f"ast-{key}", (now - age_days * 86400,) * 2)
    leftovers = ["ast-0.1.0-22df9c90d3ba8214-3ef6f9834c6152dfd97a4d0376c7f181.pickle",
                 "checked-8823b1101af37e62520d3aad6f35fb22", f".ast-{'9' * 64}.0123456789ab.tmp"]
    for name in leftovers + ["notes.txt", "checked-not-ours"]:
        (folder / name).write_text("x", encoding="utf-8")
    os.utime(folder / leftovers[2], (now - 7200,) * 2)
    cache.put("checked", "f" * 64, True)  # the first write of a run evicts
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["checked-not-ours", f"checked-{'f' * 64}", "notes.txt", "secret", f"ast-{'0' * 64}", f"ast-{'1' * 64}"])


def test_a_warm_run_imports_neither_pickle_nor_json_nor_lark(tmp_path, cache_dir):
    code = ("import sys; from policylint.packs import PackLoader; PackLoader().load('speckit');"
            "print(sorted(m for m in ('pickle', '_pickle', 'json', 'lark', 'policylint.check') if m in sys.modules))")
    env = {**os.environ, "POLICYLINT_CACHE_DIR": str(cache_dir)}
    run = [sys.executable, "-c", code]
    assert subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() != "[]"
    assert subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() == "[]"
