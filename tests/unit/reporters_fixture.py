"""One Run that every output format renders into its golden file.

Built directly (no policy, no repository) so the goldens change only when a reporter
changes. It covers every status (pass, fail, error, waived, skipped), every severity, a
repository-wide gate with and without evidence (one declared in a policy inside the
repository, one in a pack outside it), evidence with and without a line, two identical
evidence messages on different lines (fingerprints must still differ), a notice with and
without a line, a subject that claims nothing, a synthetic gate that no policy declares
(`speckit.spec.claims`), unicode, and text that each format must escape: Markdown table
pipes and emphasis, XML `<&>"'`, JSON quotes and backslashes, workflow-command `%`, `:`,
`,` and newlines, a C0 control character that XML 1.0 cannot carry, an `@mention`.
"""
from __future__ import annotations

import datetime
from types import SimpleNamespace

from policylint.evaluate import Result, Run, Subject
from policylint.explain import Evidence
from policylint.repo import Notice

ROOT = "/nonexistent/repo"
SPECKIT = "/opt/policylint/rules/speckit/speckit.policy"  # a pack outside the repository


def _doc(title, pack, path, line, stage, severity, doc="", unwaivable=False, in_repo=True):
    return {"title": title, "doc": doc, "pack": pack, "pack_version": "1.0.0", "policy_path": path,
            "line": line, "stage": stage, "severity": severity, "unwaivable": unwaivable, "in_repo": in_repo}


GATE_DOCS = {
    "team.branch-name": _doc("Branches are named spec-NNN-name", "team", "policies/team.policy", 12, None, "error",
                             "**What**: branch names carry the spec number,\nso CI can find the spec.\n\n"
                             "**Why**: reviewers see which spec a change belongs to.\n\n"
                             "Passes: `spec-012-login-form`. Fails: `feature/login`."),
    "team.changelog": _doc("CHANGELOG has an Unreleased section", "team", "policies/team.policy", 20, None, "info",
                           "Keep a Changelog: changes land under `## [Unreleased]` first."),
    "team.readme": _doc("README exists", "team", "policies/team.policy", 16, None, "warning"),
    "speckit.numbered-specs": _doc("Spec folders are numbered", "speckit", SPECKIT, 30, None, "warning",
                                   "Every folder under specs/ is named NNN-name.", in_repo=False),
    "speckit.draft.sections": _doc("spec.md has the mandatory sections", "speckit", SPECKIT, 37, "draft", "error",
                                   "spec.md keeps every section the spec template marks *(mandatory)*.",
                                   in_repo=False),
    "speckit.clarified.no-open-questions": _doc("No [NEEDS CLARIFICATION] markers remain", "speckit", SPECKIT, 61,
                                                "clarified", "error",
                                                "Every open question is answered before planning starts.",
                                                in_repo=False),
    "speckit.planned.plan-exists": _doc("plan.md exists", "speckit", SPECKIT, 80, "planned", "error", in_repo=False),
    "speckit.implementing.all-done": _doc("Every task is checked", "speckit", SPECKIT, 120, "implementing", "error",
                                          "Every task in tasks.md is checked (`- [x]`) before testing.",
                                          in_repo=False),
    "speckit.implementing.tests-pass": _doc("The test suite passes", "speckit", SPECKIT, 126, "implementing",
                                            "error", "The JUnit report shows no failure.", unwaivable=True,
                                            in_repo=False),
    "speckit.review.style": _doc("The plan follows the style guide", "speckit", SPECKIT, 150, "review", "warning",
                                 "Reviewers read plans written to the house style.", in_repo=False),
    "speckit.testing.coverage": _doc("Line coverage is at least {…}", "speckit", SPECKIT, 140, "testing", "error",
                                     "Coverage from `coverage.xml` meets `coverage_min`.", in_repo=False),
}

WAIVER = SimpleNamespace(gate="speckit.implementing.all-done", subject="specs/002-export",
                         reason='T014 moves to JIRA-12 | ships <next> sprint & "soon"',
                         approved_by="@ana-núñez", expires=datetime.date(2031, 1, 31),
                         path=".policylint.yaml", line=5)
WAIVER.where = lambda: ".policylint.yaml:5"


def _r(gate, subject, status, severity="error", title=None, message="", evidence=(), require="", **kw):
    stage = gate.split(".")[1] if subject is not None and gate.count(".") == 2 else None
    return Result(gate, subject, stage, status, severity, title or GATE_DOCS.get(gate, {}).get("title", gate),
                  message, list(evidence), require, lifecycle="speckit.spec" if subject else None, **kw)


def build_run() -> Run:
    login, export, uni, empty = "specs/001-login", "specs/002-export", "specs/003-ünïcode", "specs/004-empty"
    open_q = _r("speckit.clarified.no-open-questions", login, "fail",
                message="2 of 41 elements match `is_open_question(l)`",
                evidence=[Evidence(f"{login}/spec.md", 12, "open question: auth via [NEEDS CLARIFICATION: SSO | "
                                                        "OAuth?] *not* _decided_ <b>yet</b> & @mona"),
                          Evidence(f"{login}/spec.md", 30, "open question: [NEEDS CLARIFICATION: retention?]"),
                          Evidence(f"{login}/spec.md", 44, "open question: [NEEDS CLARIFICATION: retention?]")],
                require="no l in doc.lines: is_open_question(l)")
    plan = _r("speckit.planned.plan-exists", login, "skipped",
              message=f"not required yet: applies from stage `planned`; {login} claims `clarified`")
    uni_open = _r("speckit.clarified.no-open-questions", uni, "fail", message="1 of 9 elements match",
                  evidence=[Evidence(f"{uni}/spec.md", 9, "open question: naïve café ✓ — 日本語?")])
    empty_missing = _r("speckit.draft.sections", empty, "fail", message=f"`{empty}/spec.md` is missing",
                       evidence=[Evidence(f"{empty}/spec.md", None, "file not found")],
                       require="doc.headings contains all mandatory_sections")
    tests_error = _r("speckit.implementing.tests-pass", export, "error",
                     message="cannot use `reports/junit.xml`: not well-formed (invalid token)",
                     evidence=[Evidence("reports/junit.xml", None, "not well-formed (invalid token)")],
                     unwaivable=True)
    results = [
        # repository-wide gates first (the engine's order), then subjects by id, stages in order
        _r("team.branch-name", None, "fail", message="`git.branch` is `feature/login,v2: 100%`\nexpected "
                                                     "/^(spec|hotfix)-\\d{3}-[a-z0-9-]+$/",
           require="git.branch matches /^(spec|hotfix)-\\d{3}-[a-z0-9-]+$/"),
        _r("team.changelog", None, "fail", "info", message="no `Unreleased` section",
           evidence=[Evidence("CHANGELOG.md", 3, "first section is [1.2.0] - 2026-01-01")]),
        _r("team.readme", None, "pass", "warning"),
        _r("speckit.numbered-specs", None, "fail", "warning", message="2 folders under `specs/` have no number: "
                                                                        "`specs/drafts`, `specs/old`"),
        _r("speckit.draft.sections", login, "pass"),
        open_q,
        plan,
        _r("speckit.draft.sections", export, "pass"),
        _r("speckit.implementing.all-done", export, "waived", message="1 of 8 elements fail `t.done`",
           evidence=[Evidence(f"{export}/tasks.md", 14, "T014 is not done: Export as CSV, \"quoted\" \\ path")],
           require="every t in tasks: t.done", waiver=WAIVER),
        tests_error,
        _r("speckit.review.style", export, "fail", "warning", message="plan.md: 1 heading is not in Title Case",
           evidence=[Evidence(f"{export}/notes, 50%: draft.md", 7, "heading `## data model` is lower case\x0c")]),
        _r("speckit.testing.coverage", export, "skipped", title="Line coverage is at least 80%",
           message=f"not required yet: applies from stage `testing`; {export} claims `implementing`"),
        _r("speckit.draft.sections", uni, "pass"),
        _r("speckit.clarified.no-open-questions", uni, "skipped",
           message=f"not required yet: applies from stage `clarified`; {uni} claims `draft`"),
        _r("speckit.spec.claims", empty, "error", title="The claimed stage can be read",
           message="`.status` is a folder, not a file"),
        empty_missing,
    ]
    subjects = [
        Subject(login, "speckit.spec", ["draft", "clarified", "planned"], claimed="clarified",
                claimed_at=f"{login}/.status:1", earned="draft", next_stage="clarified", lacks=[open_q]),
        Subject(export, "speckit.spec", ["draft", "implementing", "testing"], claimed="implementing",
                claimed_at=f"{export}/spec.md:5", earned="draft", next_stage="implementing", lacks=[tests_error]),
        Subject(uni, "speckit.spec", ["draft", "clarified"], claimed="draft", claimed_at=f"{uni}/.status:1",
                earned="draft", next_stage="clarified", lacks=[uni_open]),
        Subject(empty, "speckit.spec", ["draft", "clarified"], claimed=None, earned=None, next_stage="draft",
                lacks=[empty_missing]),
    ]
    notices = [
        Notice(".policylint.yaml", 9, "PL301", "stale waiver: `team.readme` waives nothing that fails; remove it"),
        Notice(f"{export}/tasks.md", None, "PL403", "file is not valid UTF-8: read as Windows-1252"),
    ]
    run = Run(ROOT, ["team", "speckit"], subjects, results, notices)
    try:
        run.gate_docs = GATE_DOCS
    except AttributeError:  # a read-only property computed from the loaded packs
        run._gate_docs = GATE_DOCS
    return run


def options(**kw):
    base = {"root_as_given": ".", "verbose": False, "color": False}
    base.update(kw)
    return SimpleNamespace(**base)
