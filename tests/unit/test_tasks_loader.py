"""The tasks loader: every real tasks.md of the corpus, the Repo side, hostile input.

Its cases are folders under tests/cases/loaders/tasks/, run by tests/test_cases.py. The corpus
figures below were counted with grep, e.g.
`grep -cE '^\\s*[-*+] \\[[ xX]\\] (\\*\\*)?T[0-9]+' tasks.md` for the tasks and `[xX]` for the done.
"""
from __future__ import annotations

import re

import pytest

from conftest import CORPUS, assert_no_reference_cycle
from policylint.errors import ArtifactMissing
from policylint.loaders.tasks import TASKS, load_tasks, parse_tasks, task_dependencies, task_paths
from policylint.repo import Repo
from policylint.types import element_type
from policylint.values import to_plain

SPECKIT = CORPUS / "speckit"


# -- the corpus ------------------------------------------------------------------------------

def ids(first: int, last: int) -> list:
    return [f"T{k:03d}" for k in range(first, last + 1)]


# file: (tasks, done, [P], [USn], ids in file order, phase numbers, {id: paths})
CORPUS_FACTS = {
    "light-session/specs/001-lightsession-chatgpt/tasks.md": (
        77, 0, 29, 46, ids(1, 77), [1, 2, 3, 4, 5, 6, 7, 8],
        {"T002": ["package.json"], "T005": [".prettierrc"], "T007": ["extension/icons/"],
         "T015": ["extension/src/content/selectors.ts"], "T001": []}),
    "oriva-platform/specs/001-continued-api-migration/tasks.md": (
        25, 25, 7, 0, ids(1, 25), [3.1, 3.2, 3.3, 3.4, 3.5],
        {"T001": ["api/types/", "api/", "database/", "middleware/", "errors/", "api/types/index.ts"],
         "T003": ["package.json", "package-lock.json"], "T022": ["api/tsconfig.json", "api/**/*.ts"],
         "T016": ["api/index.ts"]}),
    "oriva-platform/specs/003-hugo-platform-integration/tasks.md": (
        85, 85, 60, 0, ids(1, 85), [3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8],
        {"T001": ["oriva-platform/supabase/migrations/20250114000001_create_users.sql"],
         "T017": ["oriva-platform/tests/contract/hugoChatPost.test.ts"]}),
    "oriva-platform/specs/004-events-notifications-system/tasks.md": (
        43, 43, 26, 0, ids(1, 43), [3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7],
        {"T002": ["tests/contract/events/publish.test.ts"], "T043": []}),
    "oriva-platform/specs/010-orivaflow-semantic-commerce/tasks.md": (
        236, 226, 146, 0, ids(1, 59) + ids(62, 163) + ids(170, 223) + ids(237, 244) + ids(224, 236),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        {"T004": [".env.local"], "T007": ["010_extend_entries_marketplace.sql"], "T001": []}),
    "templates/tasks-template.md": (
        28, 0, 13, 19, ids(1, 28), [1, 2, 3, 4, 5, None],
        {"T012": ["src/models/[entity1].py"], "T014": ["src/services/[service].py"], "T016": []}),
}
GREP_TASK = re.compile(r"^[ \t]*[-*+] \[[ xX]\] (?:\*\*)?(T\d+)", re.M)


def load_corpus(relpath: str):
    return parse_tasks((SPECKIT / relpath).read_text(encoding="utf-8"), "tasks.md")


@pytest.mark.skipif(not SPECKIT.is_dir(), reason="the shared corpus is not here")
@pytest.mark.parametrize("relpath", sorted(CORPUS_FACTS))
def test_corpus_task_list(relpath):
    count, done, parallel, stories, task_ids, phase_numbers, paths = CORPUS_FACTS[relpath]
    tasks = load_corpus(relpath)
    items = tasks["items"]
    assert len(items) == count and len(tasks["done"]) == done and len(tasks["open"]) == count - done
    assert sum(t["parallel"] for t in items) == parallel
    assert sum(t["story"] is not None for t in items) == stories
    assert [t["id"] for t in items] == task_ids
    assert [t["position"] for t in items] == list(range(1, count + 1))
    assert [t["previous_id"] for t in items] == [None] + task_ids[:-1]
    assert [t["expected_number"] for t in items] == [1] + [t["number"] + 1 for t in items[:-1]]
    assert [p["number"] for p in tasks["phases"]] == phase_numbers
    by_id = {t["id"]: t for t in items}
    for task_id, expected in paths.items():
        assert by_id[task_id]["paths"] == expected, task_id


@pytest.mark.skipif(not SPECKIT.is_dir(), reason="the shared corpus is not here")
@pytest.mark.parametrize("relpath", sorted(CORPUS_FACTS))
def test_corpus_tasks_are_the_lines_grep_finds(relpath):
    text = (SPECKIT / relpath).read_text(encoding="utf-8")
    found = [(t["line"], t["id"]) for t in parse_tasks(text, "tasks.md")["items"]]
    grepped = [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in GREP_TASK.finditer(text)]
    assert found == grepped


@pytest.mark.skipif(not SPECKIT.is_dir(), reason="the shared corpus is not here")
def test_corpus_phases_hold_their_tasks():
    tasks = load_corpus("oriva-platform/specs/004-events-notifications-system/tasks.md")
    assert [len(p["items"]) for p in tasks["phases"]] == [1, 11, 8, 4, 12, 3, 4]
    assert tasks["phases"][1]["title"] == "Phase 3.2: Contract Tests (12 tasks) ⚠️ MUST COMPLETE BEFORE 3.3"
    assert all(t["phase"] == p["title"] for p in tasks["phases"] for t in p["items"])
    deps = {t["id"]: t["depends_on"] for t in load_corpus(
        "oriva-platform/specs/003-hugo-platform-integration/tasks.md")["items"]}
    assert deps["T010"] == ids(1, 9) and deps["T037"] == ["T036", "T021"] and deps["T060"] == ids(35, 40)


@pytest.mark.skipif(not SPECKIT.is_dir(), reason="the shared corpus is not here")
def test_crlf_reads_as_lf(tmp_path):
    source = SPECKIT / "light-session/specs/001-lightsession-chatgpt/tasks.md"
    (tmp_path / "lf").mkdir()
    (tmp_path / "crlf").mkdir()
    (tmp_path / "lf" / "tasks.md").write_bytes(source.read_bytes())
    (tmp_path / "crlf" / "tasks.md").write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
    repo = Repo(tmp_path)
    lf, crlf = load_tasks(repo, "lf/tasks.md"), load_tasks(repo, "crlf/tasks.md")
    assert [(t["id"], t["line"], t["title"], t["paths"]) for t in crlf["items"]] == \
           [(t["id"], t["line"], t["title"], t["paths"]) for t in lf["items"]]
    assert not any("\r" in t["text"] for t in crlf["items"])
    assert parse_tasks("- [x] T001 One\r\n- [ ] T002 Two\r\n", "t.md")["items"][1]["title"] == "Two"


def test_a_cp1252_task_list_loads(tmp_path):
    (tmp_path / "tasks.md").write_bytes("## Phase 1\n- [x] T001 Set up the caf\u00e9\u2019s menu in `src/menu.py`\n"
                                        .encode("cp1252"))
    repo = Repo(tmp_path)
    task = load_tasks(repo, "tasks.md")["items"][0]
    assert task["done"] and task["paths"] == ["src/menu.py"] and task["title"].startswith("Set up the caf")
    assert [notice.code for notice in repo.notices.values()] == ["PL403"]


def test_the_loader_reads_through_the_repo_once(tmp_path):
    (tmp_path / "specs" / "001-a").mkdir(parents=True)
    (tmp_path / "specs" / "001-a" / "tasks.md").write_text("- [ ] T001 Do it\n", encoding="utf-8")
    repo = Repo(tmp_path)
    tasks = load_tasks(repo, "specs/001-a/tasks.md")
    assert tasks.type == "Tasks" and tasks["path"] == "specs/001-a/tasks.md"
    assert tasks["items"][0].loc == ("specs/001-a/tasks.md", 1, None)
    assert load_tasks(repo, "specs/001-a/./tasks.md") is tasks
    with pytest.raises(ArtifactMissing):
        load_tasks(repo, "specs/002-b/tasks.md")


def test_the_signature_and_record_types_are_declared():
    signature = load_tasks.signature
    assert signature.name == "tasks" and signature.needs_repo and signature.returns == TASKS
    assert TASKS.iterates == "items" and element_type(TASKS).name == "Task"
    assert set(element_type(TASKS).fields) == {
        "id", "number", "position", "previous_id", "expected_number", "expected_id", "done", "cancelled", "mark", "parallel",
        "story", "title", "text", "paths", "depends_on", "phase", "phase_number", "line"}
    result = parse_tasks("## Phase 1\n- [ ] T001 a\n", "t.md")
    assert set(result.fields) == set(TASKS.fields)
    assert set(result["items"][0].fields) == set(element_type(TASKS).fields)
    assert set(result["phases"][0].fields) == set(TASKS.field_type("phases").elem.fields)


def test_a_task_makes_a_field_when_it_is_read():
    """`every t in tasks: t.done` over a hundred thousand tasks makes nothing but the answers;
    what is made once is the same object when read again, and `inspect` shows every field."""
    tasks = parse_tasks("## Phase 1\n- [x] T001 [P] One in src/a.py\n- [ ] T002 Two, after T001\n", "t.md")
    first, second = tasks["items"]
    assert [t["done"] for t in tasks["items"]] == [True, False]
    assert list(first.fields.values()) == [] and list(second.fields.values()) == []
    assert second["previous_id"] is first["id"] and second["depends_on"] == ["T001"]
    assert second["depends_on"] is second["depends_on"] and "paths" not in dict(second.fields.items())
    shown = {
        "@": "t.md:2", "id": "T001", "number": 1, "done": True, "cancelled": False, "mark": "x", "parallel": True,
        "story": None, "title": "One in src/a.py", "text": "- [x] T001 [P] One in src/a.py", "paths": ["src/a.py"],
        "depends_on": [], "line": 2, "position": 1, "previous_id": None, "expected_number": 1, "expected_id": "001",
        "phase": "Phase 1", "phase_number": 1}
    assert list(to_plain(first).items()) == list(shown.items())  # in the order inspect has always shown


def test_a_task_list_holds_no_reference_cycle():
    assert_no_reference_cycle(lambda: parse_tasks(
        "## Phase 1\n- [x] T001 [P] One\n- [-] T002 Two\n### T003: Three\n- [x] done\n", "t.md"))


# -- paths and dependencies, one line each ---------------------------------------------------

@pytest.mark.parametrize("text, paths", [
    ("Create User model in src/models/user.py", ["src/models/user.py"]),
    ("Update `api/tsconfig.json` with `baseUrl`", ["api/tsconfig.json"]),
    ("Create tsconfig.json for TypeScript compilation (ES2020 target, extension/src → extension/dist)",
     ["tsconfig.json"]),
    ("Add placeholder icons to extension/icons/ (16x16, 32x32)", ["extension/icons/"]),
    ("Contract test POST /api/v1/apps/:appId/events in `tests/contract/events/publish.test.ts`:",
     ["tests/contract/events/publish.test.ts"]),
    ("Refresh (`@types/express`, `@types/cors`) and `package-lock.json` with `npm install`", ["package-lock.json"]),
    ("Run on Node.js and Next.js, e.g. with TypeScript 5.9.2", []),
    ("See https://example.com/a/b.md and <http://x.org/y.json>", []),
    ("Identify system/tool messages and/or read/write state", []),
    ("Create .eslintrc.json and .prettierrc; not the .ts extension", [".eslintrc.json", ".prettierrc"]),
    ("Touch src/a.py, src/a.py and (src/b.py).", ["src/a.py", "src/b.py"]),
    ("Create extension directory structure (extension/{src/{content,background},dist,icons})", []),
    ("Write /Users/me/project/notes.md and ~/.config/app.toml", []),
    ("Edit `docs/My Guide.md`", []),
    ("Per [the guide](docs/guide.md) and [site](https://x.org)", ["docs/guide.md"]),
    # framework paths are extracted whole: route groups, `+page`, dynamic segments, intercepts, scopes
    ("Create `apps/web/src/routes/(auth)/verify-email/+page.svelte`",
     ["apps/web/src/routes/(auth)/verify-email/+page.svelte"]),
    ("Add src/routes/(app)/(admin)/users/+page.server.ts and +layout.svelte",
     ["src/routes/(app)/(admin)/users/+page.server.ts", "+layout.svelte"]),
    ("Page in `app/users/[id]/page.tsx` and app/blog/[...slug]/page.tsx", ["app/users/[id]/page.tsx",
                                                                         "app/blog/[...slug]/page.tsx"]),
    ("Optional catch-all `app/docs/[[...slug]]/page.tsx`", ["app/docs/[[...slug]]/page.tsx"]),
    ("Modal in `app/@modal/(.)photo/[id]/page.tsx` and app/feed/(..)(..)photo/page.tsx",
     ["app/@modal/(.)photo/[id]/page.tsx", "app/feed/(..)(..)photo/page.tsx"]),
    ("Route group (auth)/login/+page.svelte (new)", ["(auth)/login/+page.svelte"]),
    ("Export from `@acme/ui/src/index.ts`, not `@acme/ui`", ["@acme/ui/src/index.ts"]),
    ("Call `useAuth()`, `fetch(url)`, `src/a(b.ts` and `api/users(id)/get.ts`", []),
])
def test_task_paths(text, paths):
    assert task_paths(text) == paths


@pytest.mark.parametrize("text, own, deps", [
    ("Implement service (depends on T012, T013)", "T014", ["T012", "T013"]),
    ("Create RLS policies (depends on T001-T003)", "T010", ["T001", "T002", "T003"]),
    ("Endpoint (after T004)", "T005", ["T004"]),
    ("Requires T002 and T003; blocked by T009", "T010", ["T002", "T003", "T009"]),
    ("Depends on T010 and T011", "T010", ["T011"]),  # never on itself
    ("Run after tests pass", "T001", []),
    ("depends on T001-T99999", "T100000", ["T001", "T99999"]),  # too wide to expand
    # outside ASCII the words are matched as the regex matches them: `ſ` is an `s`, `\u212a` a `k`
    ("Dependſ on T003", "T004", ["T003"]),
    ("Bloc\u212aed by T002", "T004", ["T002"]),
    ("Naïve AFTER T001", "T004", ["T001"]),
    ("Naïve rewrite, no order", "T004", []),
])
def test_task_dependencies(text, own, deps):
    assert task_dependencies(text, own) == deps


@pytest.mark.parametrize("line, head", [
    # (id, parallel, story, cancelled, title): the markers read at once or token by token alike
    ("- [ ] T001 [P] [US1] Create src/a.py", ("T001", True, "US1", False, "Create src/a.py")),
    ("- [ ] T001 [US1] [P] Create src/a.py", ("T001", True, "US1", False, "Create src/a.py")),
    ("- [ ] T001 [P] **T002** [US2] title", ("T001", True, None, False, "T002 [US2] title")),
    ("- [ ] T001 [P]: Title [US3]", ("T001", True, "US3", False, "Title")),
    ("- [ ] T001 ~~Title~~ (moved)", ("T001", False, None, True, "Title (moved)")),
    ("- [ ] T001 Title **bold** `**code**` [P] [US4]", ("T001", True, "US4", False, "Title bold `**code**`")),
    ("- [ ] T001a-b Title", None),
    ("- [ ] T001 Title (Cancelled)", ("T001", False, None, True, "Title (Cancelled)")),
    ("- [ ] T001 Title, cancel later", ("T001", False, None, False, "Title, cancel later")),
])
def test_task_heads(line, head):
    items = parse_tasks(line + "\n", "t.md")["items"]
    assert [(t["id"], t["parallel"], t["story"], t["cancelled"], t["title"]) for t in items] == ([head] if head else [])


# -- hostile input -----------------------------------------------------------------------------

def test_twenty_thousand_tasks():
    text = "## Phase 1\n" + "".join(f"- [{'x' if k % 2 else ' '}] T{k:05d} [P] Task in src/m{k}.py\n"
                                    for k in range(1, 20_001))
    tasks = parse_tasks(text, "t.md")
    assert len(tasks["items"]) == 20_000 and len(tasks["done"]) == 10_000
    assert tasks["items"][-1]["paths"] == ["src/m20000.py"] and len(tasks["phases"][0]["items"]) == 20_000


@pytest.mark.parametrize("line", [
    "- [ ] T001 " + "depends on T001, " * 20_000,
    "- [ ] T001 " + "a/b.py " * 20_000,
    "- [ ] " + "**" * 50_000 + " T001",
    "- [ ] T001 " + "[P] " * 50_000,
    "### T001: " + "`x` " * 50_000,
], ids=["dependencies", "paths", "bold", "markers", "heading"])
def test_long_task_lines(line):
    assert len(parse_tasks(line + "\n", "t.md")["items"]) <= 1
