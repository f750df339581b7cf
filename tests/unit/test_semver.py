"""The semver functions: `semver(text)` and `bump(old, new)`, table-driven, then through a policy."""
from __future__ import annotations

import pytest

from conftest import run_policy
from policylint.functions import FUNCTIONS, get
from policylint.functions.semver import bump, semver
from policylint.values import Loc, LStr, Record

# text -> (major, minor, patch, prerelease, build, text) or None
SEMVER = [
    ("1.4.0", (1, 4, 0, "", "", "1.4.0")),
    ("v1.4.0", (1, 4, 0, "", "", "1.4.0")),
    ("V2.0.10", (2, 0, 10, "", "", "2.0.10")),
    ("  0.9.1 ", (0, 9, 1, "", "", "0.9.1")),
    ("2.0.0-rc.1", (2, 0, 0, "rc.1", "", "2.0.0-rc.1")),
    ("1.0.0-alpha+001", (1, 0, 0, "alpha", "001", "1.0.0-alpha+001")),
    ("1.0.0+20130313144700", (1, 0, 0, "", "20130313144700", "1.0.0+20130313144700")),
    ("10.20.30", (10, 20, 30, "", "", "10.20.30")),
    ("1.4", None),
    ("1.4.0.1", None),
    ("01.4.0", None),
    ("1.04.0", None),
    ("release-1.4.0", None),
    ("1.4.0-", None),
    ("1.4.0-rc..1", None),
    ("", None),
    (None, None),
    (3, None),
    (True, None),
]


@pytest.mark.parametrize("text,want", SEMVER, ids=[repr(t) for t, _ in SEMVER])
def test_semver(text, want):
    got = semver(text)
    if want is None:
        assert got is None
        return
    assert isinstance(got, Record) and got.type == "SemVer"
    assert tuple(got[k] for k in ("major", "minor", "patch", "prerelease", "build", "text")) == want


# (old, new) -> step
BUMP = [
    ("1.4.2", "2.0.0", "major"),
    ("1.4.2", "2.5.7", "major"),
    ("0.9.0", "1.0.0", "major"),
    ("v1.4.2", "v1.5.0", "minor"),
    ("1.4.2", "1.6.0", "minor"),
    ("1.4.2", "1.5.3", "minor"),
    ("1.4.2", "1.4.3", "patch"),
    ("1.4.2", "1.4.10", "patch"),
    ("2.0.0-rc.1", "2.0.0", None),
    ("1.4.2", "1.4.2", None),
    ("1.4.2", "1.4.1", None),
    ("2.0.0", "1.9.9", None),
    ("1.5.0", "1.4.9", None),
    ("x", "1.0.0", None),
    ("1.0.0", None, None),
    (None, None, None),
]


@pytest.mark.parametrize("old,new,want", BUMP, ids=[f"{o}->{n}" for o, n, _ in BUMP])
def test_bump(old, new, want):
    assert bump(old, new) == want


def test_records_with_text_are_read_as_their_text():
    tag = Record("Tag", Loc("tag v1.2.0"), name="v1.2.0", text="v1.2.0")
    assert semver(tag)["text"] == "1.2.0"
    assert bump(Record("ChangelogVersion", None, text="1.2.0"), tag) is None
    assert bump("1.1.9", tag) == "minor"


def test_a_located_version_keeps_its_location():
    got = semver(LStr("v1.4.0", Loc("CHANGELOG.md", 8)))
    assert got.loc == Loc("CHANGELOG.md", 8)
    assert got["text"].loc == Loc("CHANGELOG.md", 8)


def test_registered_with_signatures():
    assert FUNCTIONS["semver"] == "policylint.functions.semver:semver"
    assert get("semver").signature.usage() == "semver(text: Any) -> SemVer"
    assert get("bump").signature.usage() == "bump(old: Any, new: Any) -> Str"


def test_through_a_policy(tmp_path):
    policy = """
gate versions "semver and bump" {
  require semver("v1.4.0") == "1.4.0" and semver("v1.4.0").minor == 4 and semver("1.4") == null
  require bump("1.4.2", "2.0.0") == "major" and bump("1.4.2", "1.4.2") == null
  require every v in ["1.0.0", "v2.3.4"]: semver(v).patch >= 0
}
gate not-a-version "a field of what is not a version is null" { require semver("1.4").major == null }
gate wrong-major "fails, naming the values" { require semver("v2.0.0").major == 1 }
"""
    run = run_policy(tmp_path, policy)
    status = {r.gate: r for r in run.results}
    assert status["t.versions"].status == "pass"
    assert status["t.not-a-version"].status == "pass"
    assert status["t.wrong-major"].status == "fail"
    assert status["t.wrong-major"].message == '`semver("v2.0.0").major` is 2, expected == 1'


def test_unknown_field_is_refused_before_the_run(tmp_path):
    from policylint.errors import PolicylintError
    from policylint.packs import PackLoader

    path = tmp_path / "t.policy"
    path.write_text('gate g "t" { require semver("1.0.0").majr == 1 }\n', encoding="utf-8")
    with pytest.raises(PolicylintError) as info:
        PackLoader(use_cache=False).load(str(path))
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.message, diag.span.line, diag.span.column) == ("PL201", "unknown field `majr` on SemVer", 1, 38)
    assert diag.help == "did you mean `major`? (fields: build, major, minor, patch, prerelease (1 more))"
