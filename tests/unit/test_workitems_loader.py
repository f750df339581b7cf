"""The workitems loader (a milestones file) and the approvals loader.

Their cases are folders under tests/cases/loaders/workitems/ (with `milestones.yaml`) and
tests/cases/loaders/approvals/ (with `approvals.yaml`), run by tests/test_cases.py in the format
tests/caserunner.py describes: `want` is the whole record as `policylint inspect` shows it,
every problem as "line: message", in order, a milestone's items by id, without `by_id` and
`path`, which the test below checks.

The two loaders share their shape checks (workitems.Shape), so they are tested together.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from caserunner import load, loader_cases
from conftest import run_policy
from policylint.cli import main
from policylint.errors import ArtifactMissing
from policylint.loaders import LOADERS, get
from policylint.loaders.approvals import APPROVAL, APPROVALS, load_approvals
from policylint.loaders.workitems import (CYCLE, MILESTONE, PROBLEM, WORK_ITEM, WORK_ITEMS, load_workitems,
                                          parse_workitems)
from policylint.packtest import evidence_line
from policylint.repo import Repo
from policylint.values import Loc, to_plain

CASES = Path(__file__).parents[1] / "cases" / "loaders"


@pytest.mark.parametrize("case", [c for c in loader_cases("workitems", "approvals") if "want" in c.spec], ids=str)
def test_every_case_is_located_at_its_file_and_problems_at_their_lines(case):
    record = load(case)
    for problem in record["problems"]:
        assert problem.loc == Loc(case.path, problem["line"]) and problem["message"].loc == problem.loc
    shown = to_plain(record)
    assert shown["path"] == case.path and shown["@"] == f"{case.path}:1"
    if case.loader == "workitems":
        assert list(shown["by_id"]) == list(dict.fromkeys(i["id"] for i in shown["items"] if i["id"] is not None))


# -- work items -------------------------------------------------------------------------------

def test_items_and_their_ids_are_located():
    record = parse_workitems((CASES / "workitems" / "two-milestones" / "milestones.yaml").read_text(), "m.yaml")
    item = record["by_id"]["MB-201"]
    assert item.loc == Loc("m.yaml", 19) and item["id"].loc.line == 19
    assert [(str(d), d.loc.line) for d in item["depends_on"]] == [("MB-101", 25), ("MB-299", 26)]
    assert record["milestones"][1]["items"][0] is item


def test_a_cycle_member_is_located_at_its_item():
    record = parse_workitems((CASES / "workitems" / "cycles" / "milestones.yaml").read_text(), "m.yaml")
    assert [member.loc.line for member in record["cycles"][0]["members"]] == [5, 6, 7, 8]
    assert [step.loc.line for step in record["by_id"]["A"]["cycle"]] == [5, 7, 6, 5]


def test_a_long_chain_and_a_long_circle_need_no_recursion():
    count = 2000  # more than Python's recursion limit
    lines = ["milestones:", "  - id: M", "    title: Long", "    items:"]
    for n in range(count):
        depends = f"[I{(n + 1) % count}]"
        lines.append(f"      - {{id: I{n}, title: t, status: todo, priority: normal, created: 2026-01-01, "
                     f"depends_on: {depends}}}")
    record = parse_workitems("\n".join(lines) + "\n", "m.yaml")
    assert len(record["cycles"]) == 1 and len(record["cycles"][0]["members"]) == count
    assert len(record["by_id"]["I0"]["cycle"]) == count + 1
    assert record["by_id"]["I7"]["cycle"] is record["by_id"]["I0"]["cycle"]  # a large group shares one circle
    lines[-1] = lines[-1].replace("depends_on: [I0]", "depends_on: []")  # the last item no longer closes it
    assert parse_workitems("\n".join(lines) + "\n", "m.yaml")["cycles"] == []


def test_the_loader_reads_through_the_repo_once(tmp_path):
    (tmp_path / "planning").mkdir()
    (tmp_path / "planning" / "milestones.yaml").write_text(
        (CASES / "workitems" / "two-milestones" / "milestones.yaml").read_text(), encoding="utf-8")
    repo = Repo(tmp_path)
    first = load_workitems(repo, "planning/milestones.yaml")
    assert first["path"] == "planning/milestones.yaml" and first["items"][0].loc == Loc("planning/milestones.yaml", 7)
    assert load_workitems(repo, "./planning/milestones.yaml") is first
    with pytest.raises(ArtifactMissing):
        load_workitems(repo, "milestones.yaml")


def test_duplicate_yaml_keys_are_noticed(tmp_path):
    (tmp_path / "milestones.yaml").write_text("milestones: []\nmilestones: []\n", encoding="utf-8")
    repo = Repo(tmp_path)
    load_workitems(repo, "milestones.yaml")
    assert [(n.path, n.line, n.code) for n in repo.notices.values()] == [("milestones.yaml", 2, "PL407")]


def test_the_signatures_and_records_are_declared():
    assert LOADERS["workitems"] == "policylint.loaders.workitems:load_workitems"
    assert LOADERS["approvals"] == "policylint.loaders.approvals:load_approvals"
    assert get("workitems").signature.usage() == "workitems(path: Str) -> WorkItems"
    assert get("approvals").signature.usage() == "approvals(path: Str) -> Approvals"
    assert WORK_ITEMS.iterates == "items" and APPROVALS.iterates == "entries"
    assert list(WORK_ITEM.fields) == ["id", "title", "status", "priority", "rank", "created", "depends_on",
                                      "milestone", "owner", "line", "text", "cycle"]
    assert list(MILESTONE.fields) == ["id", "title", "status", "due", "items", "line", "text"]
    assert list(CYCLE.fields) == ["members", "path", "line", "text"]
    assert list(PROBLEM.fields) == ["message", "line"]
    assert list(APPROVAL.fields) == ["category", "paths", "dependencies", "by", "date", "note", "valid", "line",
                                     "text"]


def test_a_policy_walks_the_items_and_looks_dependencies_up(tmp_path):
    policy = '''\
let work = workitems("milestones.yaml")
gate ready "Started items have their dependencies done" {
  require every i in work, d in i.depends_on where i.status == "in-progress" and d in work.by_id:
      work.by_id[d].status == "done"
    else "{i.id} waits for {d} ({work.by_id[d].status})"
}
gate cycles "No circles" {
  require every c in work.cycles: false else "circle: {c}"
}
'''
    files = {"milestones.yaml": "milestones:\n  - id: M\n    title: T\n    items:\n"
                                "      - {id: A, title: a, status: todo, priority: high, created: 2026-01-01}\n"
                                "      - id: B\n        title: b\n        status: in-progress\n"
                                "        priority: high\n        created: 2026-01-02\n        depends_on: [A, B]\n"}
    run = run_policy(tmp_path, policy, files)
    results = {r.gate: r for r in run.results}
    assert [evidence_line(e) for e in results["t.ready"].evidence] == [
        "milestones.yaml:11: B waits for A (todo)", "milestones.yaml:11: B waits for B (in-progress)"]
    assert [evidence_line(e) for e in results["t.cycles"].evidence] == ["milestones.yaml:6: circle: B -> B"]


def test_inspect_workitems_and_approvals(tmp_path, capsys):
    (tmp_path / "milestones.yaml").write_text("milestones:\n  - id: M1\n    title: T\n    items: []\n",
                                              encoding="utf-8")
    assert main(["inspect", "workitems", "milestones.yaml", "--root", str(tmp_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["milestones"][0]["@"] == "milestones.yaml:2" and shown["problems"] == []
    (tmp_path / "approvals.yaml").write_text("approvals:\n  - by: [x]\n", encoding="utf-8")
    assert main(["inspect", "approvals", "approvals.yaml", "--root", str(tmp_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [p["message"] for p in shown["problems"]] == [
        "approval 1 has no `date`", "approval 1: `by` must be text, found a list",
        "approval 1 covers nothing: give the `paths` or the `dependencies` it approves"]
    (tmp_path / "bad.yaml").write_text("approvals: [\n", encoding="utf-8")
    assert main(["inspect", "approvals", "bad.yaml", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("policylint: error[PL405] bad.yaml:2: invalid YAML: ")


# -- approvals -----------------------------------------------------------------------------------

def test_approvals_read_through_the_repo(tmp_path):
    (tmp_path / ".policylint").mkdir()
    (tmp_path / ".policylint" / "approvals.yaml").write_text(
        (CASES / "approvals" / "three-reviews" / "approvals.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    repo = Repo(tmp_path)
    record = load_approvals(repo, ".policylint/approvals.yaml")
    assert [e["line"] for e in record["entries"]] == [3, 10, 14]
    assert record["entries"][0]["paths"][1].loc[:2] == (".policylint/approvals.yaml", 6)
    assert load_approvals(repo, ".policylint/approvals.yaml") is record
    with pytest.raises(ArtifactMissing):
        load_approvals(repo, "APPROVALS.yaml")
