"""Functions over semantic versions (https://semver.org/spec/v2.0.0.html).

`semver(text)` reads `MAJOR.MINOR.PATCH`, optionally with a leading `v` (as in a tag,
`v1.4.0`), a pre-release (`-rc.1`) and build metadata (`+build.5`), and gives a `SemVer`
record: `major`, `minor`, `patch` (numbers), `prerelease` and `build` (text, empty when
absent) and `text` (the version without the `v`, so `semver("v1.4.0") == "1.4.0"`). Anything
else is null: `1.4`, `1.04.0` (a leading zero), `release-1`.

`bump(old, new)` names the step from one version to the next: `major` when MAJOR rose,
`minor` when MAJOR stayed and MINOR rose, `patch` when only PATCH rose; null when `new` is
not higher in MAJOR.MINOR.PATCH (the same, lower, or only a pre-release apart) or when either
is not a version. It does not ask that the lower parts reset: 1.4.2 -> 1.6.0 is `minor`.
"""
from __future__ import annotations

import re

from ..signature import builtin
from ..types import ANY, NUMBER, STR, record

SEMVER = record("SemVer", "A semantic version: MAJOR.MINOR.PATCH[-prerelease][+build].", {
    "major": (NUMBER, "the MAJOR number"),
    "minor": (NUMBER, "the MINOR number"),
    "patch": (NUMBER, "the PATCH number"),
    "prerelease": (STR, "what follows `-` (`rc.1`), or empty"),
    "build": (STR, "what follows `+` (`build.5`), or empty"),
    "text": (STR, "the version without a leading `v`: `1.4.0`"),
})

_NUM = r"(0|[1-9]\d*)"
_IDENT = r"[0-9A-Za-z-]+"
_PATTERN = re.compile(rf"[vV]?{_NUM}\.{_NUM}\.{_NUM}(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+({_IDENT}(?:\.{_IDENT})*))?")


def _text(value) -> str | None:
    from ..values import Record

    if isinstance(value, Record):
        value = value.fields.get("text")
    if value is None or isinstance(value, bool) or not isinstance(value, str):
        return None
    return str(value).strip()


def _parse(value):
    """(major, minor, patch, prerelease, build, text) or None."""
    text = _text(value)
    if not text:
        return None
    match = _PATTERN.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, pre, build = match.groups()
    try:
        return int(major), int(minor), int(patch), pre or "", build or "", text.lstrip("vV")
    except ValueError:  # a number of more than 4300 digits: no version anyone reads
        return None


@builtin("semver", {"text": ANY}, SEMVER,
         "The text read as a semantic version `[v]MAJOR.MINOR.PATCH[-pre][+build]` "
         "(fields major, minor, patch, prerelease, build, text), or null.")
def semver(text):
    from ..values import LStr, Record

    parsed = _parse(text)
    if parsed is None:
        return None
    major, minor, patch, pre, build, plain = parsed
    loc = getattr(text, "loc", None)
    return Record("SemVer", loc, major=major, minor=minor, patch=patch, prerelease=pre, build=build,
                  text=LStr(plain, loc) if loc is not None else plain)


@builtin("bump", {"old": ANY, "new": ANY}, STR,
         "`major`, `minor` or `patch`: the highest part of MAJOR.MINOR.PATCH that `new` raises "
         "over `old`; null when it raises none or either is not a version.")
def bump(old, new):
    a, b = _parse(old), _parse(new)
    if a is None or b is None or b[:3] <= a[:3]:
        return None
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    return "patch"
