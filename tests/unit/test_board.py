"""`policylint board`: the document, the page, its goldens over a scripted history, every message."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import ROOT, assert_golden
from boardcli import board_cli, hostile_doc
from historyrepo import make_history
from policylint import board
from policylint.board_html import CSS, SCRIPT, _sha, render
from policylint.evaluate import Result, Run, Subject
from policylint.explain import Evidence
from policylint.history import Point

GOLDEN = ROOT / "tests" / "cases" / "board"
DEMO = ROOT / "fixtures" / "speckit-demo"
STAGES = ["draft", "clarified", "planned", "tasked"]


def _golden(name: str, got: bytes) -> None:
    assert_golden(GOLDEN / name, got, name)


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory):
    return make_history(tmp_path_factory.mktemp("board"))


# -- goldens: the sample repository with its scripted history -------------------------------------
def test_golden_json_and_html_of_the_scripted_history(history_repo, monkeypatch, capsys):
    monkeypatch.chdir(history_repo)
    assert board_cli("--no-cache", "-f", "json") == 0
    out = capsys.readouterr().out
    _golden("demo-history.json", out.encode("utf-8"))
    assert board_cli("--no-cache", "-o", "board.html") == 0
    assert capsys.readouterr().err == "wrote board.html (5 subjects, 7 commits)\n"
    page = (history_repo / "board.html").read_bytes()
    _golden("demo-history.html", page)
    doc = json.loads(out)
    assert render(doc).encode("utf-8") == page  # the page is drawn from the JSON alone


def test_the_history_shows_the_moves_the_script_made(history_repo, monkeypatch, capsys):
    monkeypatch.chdir(history_repo)
    board_cli("--no-cache", "-f", "json", "--repo-url", "https://github.com/acme/demo")
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["history"]["commits"]) == 7
    flow = doc["history"]["flow"]["speckit.spec"]
    assert [sum(row["earned"].values()) + row["no_stage"] for row in flow] == [5] * 7
    subjects = {s["id"]: s for s in doc["subjects"]}
    moves = subjects["specs/001-password-reset"]["history"]["moves"]
    assert [(m["kind"], m["from"], m["to"]) for m in moves] == [
        ("appeared", None, "released"), ("back", "released", "checklist-validated")]
    assert subjects["specs/004-activity-feed"]["history"]["entered"]["clarified"]["short"] \
        == doc["history"]["commits"][1]["short"]
    lack = subjects["specs/002-invoice-csv-export"]["lacks"][0]
    assert lack["first"] == lack["first"].split(": ", 1)[0] + ": " + lack["evidence"][0]["message"]
    assert re.fullmatch(r"https://github\.com/acme/demo/blob/[0-9a-f]{40}/specs/002-invoice-csv-export/tasks\.md#L\d+",
                        lack["evidence"][0]["url"])


def test_same_repository_same_bytes(history_repo, monkeypatch, capsys):
    monkeypatch.chdir(history_repo)
    pages = []
    for _ in range(2):
        board_cli("-o", "-")  # the second run takes every commit from the results cache
        pages.append(capsys.readouterr().out)
    assert pages[0] == pages[1]


def test_status_json_rows_are_the_boards(capsys):
    """`status --format json` and the board show a subject alike (board.status_row)."""
    from policylint.cli import main

    main(["status", "--root", str(DEMO), "--no-cache", "--format", "json"])
    rows = json.loads(capsys.readouterr().out)["subjects"]
    board_cli("--root", str(DEMO), "--no-cache", "--no-history", "-f", "json")
    doc = json.loads(capsys.readouterr().out)
    assert [{k: s[k] for k in ("id", "lifecycle", "claimed", "earned", "next")} for s in doc["subjects"]] == \
        [{k: r[k] for k in ("id", "lifecycle", "claimed", "earned", "next")} for r in rows]
    assert [[{k: lack[k] for k in ("gate", "status", "message")} for lack in s["lacks"]] for s in doc["subjects"]] == \
        [[{k: lack[k] for k in ("gate", "status", "message")} for lack in r["lacks"]] for r in rows]


# -- the document from hand-made runs and points -------------------------------------------------
def _run(subjects, results=()) -> Run:
    return Run("/nonexistent", ["team"], subjects, list(results), [])


def _subject(sid, earned, claimed=None, lacks=()):
    return Subject(sid, "team.spec", STAGES, claimed=claimed, claimed_at=f"{sid}/.status:1" if claimed else None,
                   earned=earned, next_stage=None, lacks=list(lacks))


def _point(n, earned: dict) -> Point:
    return Point(f"{n:040x}", f"{n:07x}", f"2026-01-0{n}T00:00:00Z", f"commit {n}", {"team.spec": earned},
                 {"team.spec": {}})


@pytest.mark.parametrize("claimed, earned, expected", [
    ("tasked", "draft", "ahead"), ("draft", None, "ahead"), ("draft", "tasked", "behind"),
    ("planned", "planned", "same"), (None, "planned", "none"), (None, None, "none")])
def test_claim_relation(claimed, earned, expected):
    assert board.claim_relation(claimed, earned, STAGES) == expected


def test_a_subject_history_forward_back_and_again():
    points = [_point(1, {"a": "draft"}), _point(2, {"a": "planned", "b": None}), _point(3, {"a": "clarified", "b": "draft"}),
              _point(4, {"a": "tasked"}), _point(5, {"a": "tasked", "b": "draft"})]
    got = board.subject_histories(points, {"team.spec": STAGES})
    a = got[("team.spec", "a")]
    assert [(m["kind"], m["from"], m["to"], m["short"]) for m in a["moves"]] == [
        ("appeared", None, "draft", "0000001"), ("forward", "draft", "planned", "0000002"),
        ("back", "planned", "clarified", "0000003"), ("forward", "clarified", "tasked", "0000004")]
    assert {stage: e["short"] for stage, e in a["entered"].items()} == {
        "draft": "0000001", "clarified": "0000002", "planned": "0000004", "tasked": "0000004"}
    b = got[("team.spec", "b")]
    assert [(m["kind"], m["from"], m["to"]) for m in b["moves"]] == [
        ("appeared", None, None), ("forward", None, "draft"), ("gone", "draft", None), ("appeared", None, "draft")]


def test_the_flow_counts_subjects_per_earned_stage():
    points = [_point(1, {"a": "draft", "b": None}), _point(2, {"a": "planned", "b": "draft", "c": "draft"})]
    flow = board.history_section(points, {"team.spec": STAGES})["flow"]["team.spec"]
    assert [(row["no_stage"], list(row["earned"].values())) for row in flow] == [(1, [1, 0, 0, 0]), (0, [2, 0, 1, 0])]


def test_waivers_and_repository_gates_are_on_the_board():
    from policylint.config import Waiver

    waiver = Waiver(gate="team.draft.x", subject="s/1", reason="legal signs off on paper", approved_by="ana")
    run = _run([_subject("s/1", "draft", "draft")], [
        Result("team.draft.x", "s/1", "draft", "waived", "error", "X holds", lifecycle="team.spec", waiver=waiver),
        Result("team.readme", None, None, "fail", "warning", "README exists", "`README.md` is missing",
               [Evidence("README.md", None, "not found")])])
    doc = board.build(run, repo_url="https://gitlab.com/g/p", commit="c" * 40)
    assert doc["subjects"][0]["waivers"][0]["reason"] == "legal signs off on paper"
    assert doc["repository"] == [{"gate": "team.readme", "title": "README exists", "status": "fail",
                                  "severity": "warning", "message": "`README.md` is missing",
                                  "first": "README.md: not found",
                                  "url": f"https://gitlab.com/g/p/-/blob/{'c' * 40}/README.md"}]
    page = render(doc)
    assert "⚑" in page and "legal signs off on paper" in page and "approved by ana" in page
    assert "Repository-wide gates failing (1)" in page


# -- remotes and links -------------------------------------------------------------------------------
@pytest.mark.parametrize("remote, url", [
    ("git@github.com:acme/demo.git", "https://github.com/acme/demo"),
    ("https://github.com/acme/demo.git", "https://github.com/acme/demo"),
    ("https://x-access-token:s3cret@github.com/acme/demo", "https://github.com/acme/demo"),
    ("ssh://git@gitlab.example.com:2222/group/sub/demo.git", "https://gitlab.example.com/group/sub/demo"),
    ("https://gitlab.example.com:8443/group/demo/", "https://gitlab.example.com:8443/group/demo"),
    ("git@GitHub.com:acme/demo", "https://github.com/acme/demo"),
    ("/srv/git/demo.git", None), ("file:///srv/git/demo.git", None), ("../demo", None),
    ("git@bitbucket.org:acme/demo.git", None), ("https://github.com/acme", None),
    ("https://github.com/acme/demo\"><script>", None), ("", None), (None, None)])
def test_web_url_of_a_remote(remote, url):
    assert board.web_url(remote) == url


def test_file_links():
    sha = "a" * 40
    assert board.file_url("https://github.com/o/r", sha, "sub/", "specs/001 x/tasks.md", 7) == \
        f"https://github.com/o/r/blob/{sha}/sub/specs/001%20x/tasks.md#L7"
    assert board.file_url("https://gitlab.com/g/r", None, "", "specs/001", folder=True) == \
        "https://gitlab.com/g/r/-/tree/HEAD/specs/001"
    assert board.file_url(None, sha, "", "a.md", 1) is None
    assert board.file_url("https://github.com/o/r", sha, "", "../outside.md", 1) is None
    assert board.file_url("https://github.com/o/r", sha, "", "/etc/passwd", 1) is None


# -- the page --------------------------------------------------------------------------------------
def test_user_text_is_escaped_and_inert():
    page = render(hostile_doc())
    assert len(re.findall(r"<script\b", page)) == 1  # ours, at the end
    assert page.count("</script>") == 1 and page.count("</style>") == 1
    assert "<img" not in page and "<b>root</b>" not in page
    assert "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in page
    assert "\x1b" not in page and "\\x1b[2J" in page


def test_the_page_allows_only_its_own_style_and_script():
    page = render(hostile_doc())
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert policy == (f"default-src 'none'; style-src '{_sha(CSS)}'; script-src '{_sha(SCRIPT)}'; img-src data:; "
                      "base-uri 'none'; form-action 'none'")
    assert f"<style>{CSS}</style>" in page and f"<script>{SCRIPT}</script>" in page
    assert not re.search(r"""\s(src|href)=["']?(https?:)?//(?!github\.com/o/r/)""", page)
    assert " style=" not in page  # an inline style attribute is refused by the policy


def test_claims_ahead_stand_out_in_words_not_only_colour():
    doc = board.build(_run([_subject("s/1", "draft", "tasked"), _subject("s/2", "tasked", "draft"),
                            _subject("s/3", None)]))
    page = render(doc)
    assert "Claim ahead:</strong> claims <b>tasked</b>, evidence earns draft" in page
    assert "Claim behind: claims <b>draft</b>" in page
    assert "claims no stage" in page and "no stage yet" in page


def test_an_empty_run_still_makes_a_page():
    page = render(board.build(_run([])))
    assert "No lifecycle in the packs that ran" in page and page.endswith("</html>\n")


# -- the command and its messages ----------------------------------------------------------------
def test_default_page_is_written_here_and_replaced_only_when_ours(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ("--root", str(DEMO), "--no-cache", "--no-history")
    assert board_cli(*args) == 0
    assert capsys.readouterr().err == "wrote policylint-board.html (5 subjects)\n"
    assert board_cli(*args) == 0  # ours: replaced
    capsys.readouterr()
    (tmp_path / "policylint-board.html").write_text("<p>my notes</p>")
    assert board_cli(*args) == 2
    assert capsys.readouterr().err == (
        "policylint: error: `policylint-board.html` exists and is not a board policylint wrote; nothing was "
        "written: name the page with -o FILE (or -o - for standard output)\n")
    assert (tmp_path / "policylint-board.html").read_text() == "<p>my notes</p>"


def test_dash_writes_to_standard_output(monkeypatch, capsys):
    assert board_cli("--root", str(DEMO), "--no-cache", "--no-history", "-o", "-") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("<!DOCTYPE html>") and captured.err == ""


@pytest.mark.parametrize("argv, message", [
    (("--history", "0"), "policylint: error: --history 0: give a number of commits, at least 1\n"),
    (("--repo-url", "github.com/o/r"),
     "policylint: error: --repo-url `github.com/o/r` is not a web address; expected e.g. https://github.com/owner/repo\n"),
])
def test_bad_flags(argv, message, capsys):
    assert board_cli("--root", str(DEMO), "--no-cache", *argv) == 2
    assert capsys.readouterr().err == message


def test_history_outside_a_git_repository(tmp_path, monkeypatch, capsys):
    import shutil

    repo = tmp_path / "plain"
    shutil.copytree(DEMO, repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert board_cli("plain", "--no-cache", "--since", "2026-01-01", "-f", "json") == 2
    assert capsys.readouterr().err == ("policylint: error: --since: `plain` is not in a git repository, so it has no "
                                       "history to evaluate; leave the flag out\n")
    assert board_cli("plain", "--no-cache", "-f", "json") == 0
    captured = capsys.readouterr()
    assert captured.err == "policylint: note: `plain` is not in a git repository: the board has no history\n"
    doc = json.loads(captured.out)
    assert doc["history"] is None and doc["commit"] is None and doc["repo_url"] is None


def test_a_repository_without_commits(tmp_path, monkeypatch, capsys):
    import shutil

    repo = tmp_path / "fresh"
    shutil.copytree(DEMO, repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert board_cli(str(repo), "--no-cache", "-f", "json") == 0
    captured = capsys.readouterr()
    assert captured.err == "policylint: note: the repository has no commit yet: the board has no history\n"
    assert json.loads(captured.out)["history"] is None


def test_origin_remote_gives_the_links(tmp_path, capsys):
    import shutil

    repo = tmp_path / "linked"
    shutil.copytree(DEMO, repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@example.com", GIT_COMMITTER_NAME="a",
               GIT_COMMITTER_EMAIL="a@example.com", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x"],
                 ["remote", "add", "origin", "https://bot:tok3n@github.com/acme/demo.git"]):
        subprocess.run(["git", "-C", str(repo), *argv], check=True, env=env)
    assert board_cli(str(repo), "--no-cache", "--no-history", "-f", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["repo_url"] == "https://github.com/acme/demo"
    assert doc["subjects"][0]["url"] == f"https://github.com/acme/demo/tree/{doc['commit']}/specs/001-password-reset"
    assert "tok3n" not in json.dumps(doc)


def test_an_output_that_cannot_be_written(tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "board.html"
    assert board_cli("--root", str(DEMO), "--no-cache", "--no-history", "-o", str(target)) == 2
    assert capsys.readouterr().err == f"policylint: error: cannot write `{target}`: No such file or directory\n"
