"""The one runner of the cases under tests/cases/ and of the docs' examples: one format for
loader cases, one for policy cases. tests/test_cases.py runs the cases, tests/test_docs.py
the examples.

A loader case is a folder tests/cases/loaders/<loader>/<case>/ holding `expected.yaml`, the
input it names, and maybe README.md (where the input comes from, at length) and the other
evidence its loader's tests compare with (`Loader.evidence`):

    note: what the case shows
    source: where the input comes from (a real project's file, the tool that wrote it)
    oracle: what the tool that wrote the input reports itself, which `want` agrees with
    input: report.xml        # the input's file name in the folder
    path: reports/junit.xml  # the path it is read as (default: `input`)
    want:                    # the loader's value; only what is written is compared
      headings:
        - {"@": spec.md:1, text: Title, level: 1}
    error: {path: spec.md, line: 3, message: "invalid front matter: …"}  # or: where it stops
    notices: ["config.yaml:3: PL407 …"]   # every notice, in order
    ecosystem: pypi          # dependencies: the ecosystem of every dependency
    locations:               # data loaders: JSON pointer -> where its key (or list item) is
      /name: config.yaml:1:1
    strings: {/name: config.yaml:1:7}     # JSON pointer -> where that string value itself is
    containers: {/steps: config.yaml:3:3} # JSON pointer -> where that mapping or list starts
    types: {/released: date}              # JSON pointer -> the Python type name of the value

Under `want`, a record is a mapping of some of its fields plus `"@"` for its location
(`path:line`, and `:column` when it has one); a list compares element by element and must
have the same length, unless its key is a slice (`"lines[11:25]"`); a located string is a
plain string, or `{text: …, at: path:line:column}` to check where it comes from too. A loader
whose value is no record says what `want` is compared with in LOADERS.

A policy case is an entry of a YAML list (tests/cases/language/*.yaml, tests/cases/errors/*.yaml),
or a ```policy block of the docs with the ```yaml block after it (where `note` and `policy`
come from the page):

    - note: PL201 unknown field on Path      # the test id: `pytest -k PL201`
      policy: |                              # the whole of t.policy (example.policy in the docs)
        gate a "t" { require exists("README.md") }
      policies: {path: content}              # more policy files beside it (for `use "./…"`)
      files: {path: content}                 # the repository (its root); a .policylint.yaml among
                                             # them is the configuration, as `check` reads it
      want: {gate id: status}                # results of repository-wide gates, or
            {subject: {gate id: status}}     # a subject's; a status may be a mapping
                                             # {status, message, evidence: ["path:line: message"]}
      subjects: {subject: {claimed: …, earned: …, next_stage: …}}   # each listed once in the run
      notices: ["note[CODE] path:line: message"]
      exit_code: 0
      error: |-                              # the rendered diagnostics the policy is refused with
        t.policy:1:20: error[PL201] unknown field `nme` on Path   # (parse or check), several
        …                                    # joined by a blank line; a line `...` stands for
                                             # any number of lines, {KNOWN_PACKS} for the listing
                                             # of built-in packs a PL208 hint ends with

`today()` is 2026-01-01 in every policy case.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

import pytest
import yaml

from conftest import make_repo
from policylint.errors import ArtifactError, PolicylintError
from policylint.loaders import data as data_module
from policylint.loaders.approvals import parse_approvals
from policylint.loaders.changelog import parse_changelog
from policylint.loaders.coverage import parse_coverage
from policylint.loaders.data import (Data, DataList, decode, locate, parse_json, parse_jsonl, parse_toml, parse_yaml,
                                     pointer_parts)
from policylint.loaders.dependencies import manifest_kind, parse_manifest
from policylint.loaders.junit import parse_junit
from policylint.loaders.markdown import parse_markdown
from policylint.loaders.openapi import parse_openapi
from policylint.loaders.tasks import parse_tasks
from policylint.loaders.workitems import parse_workitems
from policylint.packtest import evidence_line
from policylint.values import LStr, Record, to_plain

CASES = Path(__file__).resolve().parent / "cases"


# -- comparing a value with `want` ------------------------------------------------------------

def loc_text(loc) -> str:
    if loc is None:
        return "<none>"
    text = loc.path if loc.line is None else f"{loc.path}:{loc.line}"
    return f"{text}:{loc.column}" if loc.column else text


_SLICE_KEY = re.compile(r"(\w+)\[(-?\d*):(-?\d*)\]$")


def project(actual, expected):
    """`actual` cut down to the shape of `expected`, so that the two compare with `==`."""
    if isinstance(actual, Record) and isinstance(expected, dict):
        out = {}
        for key in expected:
            if key == "@":
                out[key] = loc_text(actual.loc)
                continue
            sliced = _SLICE_KEY.match(key)
            if sliced:
                name, start, stop = sliced.groups()
                value = actual.get(name, "<missing>")[int(start) if start else None:int(stop) if stop else None]
            else:
                value = actual.get(key, "<missing>")
            out[key] = project(value, expected[key])
        return out
    if isinstance(actual, LStr) and isinstance(expected, dict):
        return {"text": str(actual), "at": loc_text(actual.loc)} if actual.loc else str(actual)
    if isinstance(actual, dict) and isinstance(expected, dict):
        return {key: project(actual.get(key, "<missing>"), expected[key]) for key in expected}
    if isinstance(actual, list) and isinstance(expected, list):
        shown = [project(a, e) for a, e in zip(actual, expected)]
        return shown + [plain(a) for a in actual[len(expected):]]
    return plain(actual)


def plain(value):
    if isinstance(value, Record):
        return {"@": loc_text(value.loc), **{key: plain(item) for key, item in value.fields.items()}}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, str):
        return str(value)
    return value


def value_at(value, pointer: str):
    for part in pointer_parts(pointer):
        if isinstance(value, dict):
            key = part if part in value else data_module._key_like(value, part)
            value = value[key]
        else:
            value = value[int(part)]
    return value


def inspect_view(value, want):
    """Data: the value as `policylint inspect` prints it, cut down to `want`."""
    return project(json.loads(json.dumps(to_plain(value))), want)


def _shape_view(value, drop: tuple) -> dict:
    """The whole record as `inspect` shows it, each problem as "line: message"; without
    `path` and "@" (tests/unit/test_workitems_loader.py checks them)."""
    shown = to_plain(value)
    shown["problems"] = [f"{p['line']}: {p['message']}" for p in shown["problems"]]
    for key in ("path", "@", *drop):
        shown.pop(key)
    return shown


def workitems_view(value, want) -> dict:
    """Work items: a milestone's items by id, and no `by_id` (its order is checked apart)."""
    shown = _shape_view(value, ("by_id",))
    for milestone in shown["milestones"]:
        milestone["items"] = [item["id"] for item in milestone["items"]]
    return shown


def approvals_view(value, want) -> dict:
    return _shape_view(value, ())


def dependency_rows(found, want) -> list:
    """Every dependency, as a row of `want` writes it: `key` may be left out when it is the
    name, `indirect` and `local` when false; everything else the loader gives is stated."""
    rows = []
    for index, dep in enumerate(found):
        written = want[index] if index < len(want) else {}
        row = {"line": dep["line"], "section": dep["section"], "name": dep["name"], "spec": dep["spec"]}
        for key, default in (("key", dep["name"]), ("indirect", False), ("local", False)):
            if key in written or dep[key] != default:
                row[key] = dep[key]
        rows.append(row)
    return rows


# -- loader cases -----------------------------------------------------------------------------

def _text(parse):
    """A loader of text read as Python reads a file (UTF-8, newlines made `\\n`)."""
    return lambda file, path, notice: parse(file.read_text(encoding="utf-8"), path)


def _decoded(parse):
    """A loader given the text `decode` makes of the bytes, as the Repo reads them, and the notices."""
    return lambda file, path, notice: parse(decode(file.read_bytes(), path), path, notice)


@dataclass(frozen=True)
class Loader:
    parse: Callable  # (input file, path it is read as, notice) -> the loader's value
    view: Callable = project  # (value, want) -> what `want` must equal
    evidence: tuple = ()  # more files a case folder may hold


LOADERS = {
    "approvals": Loader(_text(parse_approvals), approvals_view),
    "changelog": Loader(_text(parse_changelog)),
    "coverage": Loader(lambda file, path, notice: parse_coverage(file.read_bytes(), path)),
    "dependencies": Loader(lambda file, path, notice: parse_manifest(decode(file.read_bytes(), path), path,
                                                                     manifest_kind(path)), dependency_rows),
    "json": Loader(_decoded(parse_json), inspect_view),
    "jsonl": Loader(_decoded(parse_jsonl), inspect_view),
    "junit": Loader(lambda file, path, notice: parse_junit(file.read_bytes(), path)),
    "markdown": Loader(_text(parse_markdown)),
    "openapi": Loader(_decoded(parse_openapi), evidence=("spectral.txt",)),
    "tasks": Loader(_text(parse_tasks)),
    "toml": Loader(_decoded(parse_toml), inspect_view),
    "workitems": Loader(_text(parse_workitems), workitems_view),
    "yaml": Loader(_decoded(parse_yaml), inspect_view),
}
LOADER_KEYS = {"note", "source", "oracle", "input", "path", "want", "error", "notices", "ecosystem",
               "locations", "strings", "containers", "types"}


class LoaderCase:
    def __init__(self, loader: str, folder: Path):
        self.loader, self.folder = loader, folder

    def __str__(self) -> str:
        return f"{self.loader}/{self.folder.name}"

    @cached_property
    def spec(self) -> dict:
        return yaml.safe_load((self.folder / "expected.yaml").read_text(encoding="utf-8"))

    @property
    def file(self) -> Path:
        return self.folder / self.spec["input"]

    @property
    def path(self) -> str:
        return self.spec.get("path", self.spec["input"])


def loader_cases(*loaders: str) -> list:
    """The cases of these loaders (of every folder of tests/cases/loaders/ when none is named:
    one LOADERS does not know fails), in order."""
    root = CASES / "loaders"
    return [LoaderCase(loader, folder) for loader in (loaders or sorted(d.name for d in root.iterdir() if d.is_dir()))
            for folder in sorted((root / loader).iterdir()) if (folder / "expected.yaml").is_file()]


def load(case: LoaderCase, notice=None):
    """The loader's value for the case's input (an ArtifactError when it stops)."""
    return LOADERS[case.loader].parse(case.file, case.path, notice or (lambda *args: None))


def run_loader_case(case: LoaderCase) -> None:
    spec, loader = case.spec, LOADERS[case.loader]
    assert set(spec) <= LOADER_KEYS, f"unknown keys {sorted(set(spec) - LOADER_KEYS)} (known: {sorted(LOADER_KEYS)})"
    assert spec.get("note") and spec.get("input"), "every case says what it shows and names its input"
    assert ("want" in spec) != ("error" in spec), "a case wants a value or an error"
    others = {f.name for f in case.folder.iterdir()} - {"expected.yaml", spec["input"], "README.md", *loader.evidence}
    assert not others, f"files that are neither the input nor notes: {sorted(others)}"
    notices = []

    def notice(path, line, code, message):
        notices.append(f"{path}:{line}: {code} {message}")

    if "error" in spec:
        with pytest.raises(ArtifactError) as caught:
            value = load(case, notice)
            if isinstance(value, Record):  # lazy fields fail when first read
                for name in list(value.fields):
                    value[name]
        error = caught.value
        assert {"path": error.path, "line": error.line, "message": error.message} == spec["error"]
        return
    value = load(case, notice)
    assert loader.view(value, spec["want"]) == spec["want"]
    for pointer, where in (spec.get("locations") or {}).items():
        assert (pointer, loc_text(locate(value, pointer_parts(pointer)))) == (pointer, where)
    for pointer, where in (spec.get("strings") or {}).items():
        found = value_at(value, pointer)
        assert isinstance(found, LStr), pointer
        assert (pointer, loc_text(found.loc)) == (pointer, where)
    for pointer, where in (spec.get("containers") or {}).items():
        found = value_at(value, pointer)
        assert isinstance(found, (Data, DataList)), pointer
        assert (pointer, loc_text(found.loc)) == (pointer, where)
    for pointer, type_name in (spec.get("types") or {}).items():
        assert (pointer, type(value_at(value, pointer)).__name__) == (pointer, type_name)
    if "notices" in spec:
        assert notices == spec["notices"]


# -- policy cases -----------------------------------------------------------------------------

POLICY_KEYS = {"note", "policy", "policies", "files", "want", "subjects", "notices", "exit_code", "error"}


def known_packs() -> str:
    """The pack listing a PL208 hint ends with; it grows with every built-in pack."""
    from policylint.packs import builtin_packs

    names = sorted(builtin_packs())
    return ", ".join(names[:5]) + (f" ({len(names) - 5} more)" if len(names) > 5 else "")


def policy_cases(path: Path) -> list:
    """The cases of one YAML list, as written but for {KNOWN_PACKS}."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    for case in cases:
        if "error" in case:
            case["error"] = case["error"].replace("{KNOWN_PACKS}", known_packs())
    return cases


def policy_params(*patterns: str) -> list:
    """pytest params of the cases in the YAML lists under tests/cases/ that match, with the id
    `<file's stem>-<note>`."""
    return [pytest.param(case, id=f"{path.stem}-{case['note']}")
            for pattern in patterns for path in sorted(CASES.glob(pattern)) for case in policy_cases(path)]


def lines_match(pattern: str, actual: str) -> bool:
    """True when `actual` reads as `pattern`, where a line `...` matches any number of lines."""
    want, got = pattern.rstrip("\n").split("\n"), actual.rstrip("\n").split("\n")
    memo: dict = {}

    def match(i: int, j: int) -> bool:
        if (i, j) not in memo:
            if i == len(want):
                memo[i, j] = j == len(got)
            elif want[i] == "...":
                memo[i, j] = any(match(i + 1, k) for k in range(j, len(got) + 1))
            else:
                memo[i, j] = j < len(got) and want[i] == got[j] and match(i + 1, j + 1)
        return memo[i, j]

    return match(0, 0)


def load_policy(tmp_path: Path, monkeypatch, case: dict, name: str = "t.policy"):
    """(pack, None), or (None, the rendered diagnostics): the policy loaded as the CLI loads it
    (parse, `use`, check) from the current folder, so that diagnostics name `name`."""
    from policylint.packs import PackLoader

    folder = tmp_path / "policy"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(case["policy"], encoding="utf-8")
    for rel, text in (case.get("policies") or {}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)
    try:
        return PackLoader(use_cache=False).load(f"./{name}"), None
    except PolicylintError as exc:
        rendered = []
        for diag in exc.diagnostics:
            path = Path(diag.span.path) if diag.span else None
            source = path.read_text(encoding="utf-8") if path is not None and path.is_file() else None
            rendered.append(diag.render(source))
        return None, "\n\n".join(rendered)


def run_policy(tmp_path: Path, monkeypatch, pack, files: dict):
    """The Run of `pack` on a repository of `files`, configured as `policylint check` would be."""
    from policylint.config import load_config
    from policylint.configure import Configuration
    from policylint.evaluate import Engine
    from policylint.repo import Repo

    repo = make_repo(tmp_path / "repo", files)
    repo.mkdir(exist_ok=True)
    monkeypatch.chdir(repo)  # the configuration and evidence are shown relative to the root
    config = load_config(repo)
    configuration = Configuration.from_config(config)
    run = Engine(Repo(repo), params=config.params, blocks=configuration.blocks).run([pack])
    configuration.apply(run)
    return run


def _check_result(result, want, where: str) -> None:
    want = {"status": want} if isinstance(want, str) else want
    if "status" in want:
        assert result.status == want["status"], f"{where}: {result.status} ({result.message})"
    if "message" in want:
        assert result.message == want["message"], where
    if "evidence" in want:
        assert [evidence_line(e) for e in result.evidence] == want["evidence"], where


def run_policy_case(case: dict, tmp_path: Path, monkeypatch, name: str = "t.policy") -> None:
    unknown = set(case) - POLICY_KEYS
    assert not unknown, f"unknown keys {sorted(unknown)} (known: {sorted(POLICY_KEYS)})"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # today() is 2026-01-01
    pack, errors = load_policy(tmp_path, monkeypatch, case, name)
    if "error" in case:
        assert errors is not None, "the policy should be refused, but it loads"
        assert lines_match(case["error"], errors), f"the diagnostics differ:\n{errors}"
        return
    assert errors is None, f"the policy does not load:\n{errors}"
    if not ({"files", "want", "subjects", "notices", "exit_code"} & set(case)):
        return  # a fragment that only has to parse and check
    run = run_policy(tmp_path, monkeypatch, pack, case.get("files") or {})
    results = {(r.subject or ".", r.gate): r for r in run.results}
    for key, want in (case.get("want") or {}).items():
        if isinstance(want, dict) and not ({"status", "message", "evidence"} & set(want)):
            pairs = [(key, gate, inner) for gate, inner in want.items()]  # a subject's gates
        else:
            pairs = [(".", key, want)]
        for subject, gate, inner in pairs:
            assert (subject, gate) in results, f"no result for {gate} on {subject}; have {sorted(results)}"
            _check_result(results[subject, gate], inner, f"{subject} {gate}")
    subjects = {s.id: s for s in run.subjects}
    for sid, want in (case.get("subjects") or {}).items():
        assert sid in subjects, f"no subject {sid}; have {sorted(subjects)}"
        lifecycles = [s.lifecycle for s in run.subjects if s.id == sid]
        assert len(lifecycles) == 1, f"{sid} is a subject {len(lifecycles)} times: {lifecycles}"
        for key, value in want.items():
            assert getattr(subjects[sid], key) == value, f"{sid} {key}"
    if "notices" in case:
        shown = [f"note[{n.code}] {n.path}:{n.line}: {n.message}" if n.line else f"note[{n.code}] {n.path}: {n.message}"
                 for n in run.notices]
        assert shown == case["notices"]
    if "exit_code" in case:
        assert run.exit_code() == case["exit_code"]
