"""Every run ends, in bounded memory: what a hostile repository cannot make a run do.

Covered here: files that are no regular file (a FIFO blocks a reader forever, a device
never ends) are refused before they are read, wherever policylint reads them; every read is
bounded by the size limit, even of a file that grows while it is read.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, make_repo
from policylint.cli import main
from policylint.errors import ArtifactError
from policylint.repo import Repo, read_regular

SPECKIT_CASE = ROOT / "rules" / "speckit" / "tests" / "all-done-unchecked-task" / "repo"
TASKS = "specs/001-password-reset/tasks.md"


@contextmanager
def within(seconds: float):
    """Fail the test, rather than hang the suite, when the body blocks."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    """policylint in a child process that is killed if it does not end."""
    return subprocess.run([sys.executable, "-m", "policylint", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


# -- files that are no regular file ---------------------------------------------------------

def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_zero_device(path: Path) -> None:
    """A character device like /dev/zero (1, 5) inside the repository."""
    try:
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device needs root")


def make_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
    except OSError:
        pytest.skip("cannot bind a unix socket here (path too long?)")
    finally:
        sock.close()


SPECIAL = [
    (make_fifo, "is a FIFO, not a regular file"),
    (make_zero_device, "is a character device, not a regular file"),
    (make_socket, "is a socket, not a regular file"),
]


@pytest.mark.parametrize("make,message", SPECIAL, ids=["fifo", "device", "socket"])
def test_a_file_that_is_no_regular_file_is_refused_without_reading_it(tmp_path, make, message):
    root = make_repo(tmp_path / "r", {"docs/ok.md": "# ok\n"})
    make(root / "docs" / "tasks.md")
    repo = Repo(root)
    with within(10):
        with pytest.raises(ArtifactError) as refused:
            repo.read_text("docs/tasks.md")
        assert (refused.value.code, refused.value.path, refused.value.message) == (
            "PL405", "docs/tasks.md", message)
        with pytest.raises(ArtifactError):
            repo.open_binary("docs/tasks.md")
        assert repo.exists("docs/tasks.md")
        assert repo.glob("docs/*.md") == ["docs/ok.md", "docs/tasks.md"]
        assert repo.glob("**/tasks.md") == ["docs/tasks.md"]


def test_a_symlink_to_a_fifo_inside_the_root_is_refused_too(tmp_path):
    root = make_repo(tmp_path / "r", {"ok.md": ""})
    os.mkfifo(root / "pipe")
    os.symlink("pipe", root / "tasks.md")
    with within(10), pytest.raises(ArtifactError) as refused:
        Repo(root).read_bytes("tasks.md")
    assert (refused.value.path, refused.value.message) == ("tasks.md", "is a FIFO, not a regular file")


def test_a_fifo_tasks_md_ends_the_run_with_a_located_error(tmp_path):
    """The reproduction: speckit on a spec whose tasks.md is a FIFO no one writes to."""
    root = tmp_path / "repo"
    shutil.copytree(SPECKIT_CASE, root)
    (root / TASKS).unlink()
    os.mkfifo(root / TASKS)
    done = run_cli("check", "--root", str(root))
    assert done.returncode == 1, done.stderr
    assert f"{TASKS}  is a FIFO, not a regular file" in done.stdout
    assert "speckit.tasked.tasks-exist" in done.stdout


def test_a_fifo_does_not_hang_the_coverage_loader(tmp_path):
    from policylint.loaders.coverage import load_coverage

    root = make_repo(tmp_path / "r", {"ok.md": ""})
    os.mkfifo(root / "coverage.xml")
    with within(10), pytest.raises(ArtifactError) as refused:
        load_coverage(Repo(root), "coverage.xml")
    assert refused.value.message == "is a FIFO, not a regular file"


def test_a_fifo_baseline_is_an_error_not_a_hang(tmp_path, capsys):
    root = make_repo(tmp_path / "r", {".policylint.yaml": 'packs: ["./p/team.policy"]\nbaseline: base.json\n',
                                      "p/team.policy": 'pack team "T" version "1"\ngate g "G" { require true }\n'})
    os.mkfifo(root / "base.json")
    with within(20):
        assert main(["check", "--root", str(root)]) == 2
    assert "base.json" in capsys.readouterr().err


def test_a_pack_or_configuration_over_the_size_limit_is_refused(tmp_path, capsys, monkeypatch):
    import policylint.repo

    root = make_repo(tmp_path / "r", {".policylint.yaml": 'packs: ["./p/team.policy"]\n',
                                      "p/team.policy": 'pack team "T" version "1"\n' + "# padding\n" * 200})
    monkeypatch.chdir(root)
    monkeypatch.setattr(policylint.repo, "MAX_FILE_BYTES", 1000)
    assert main(["check", "--root", "."]) == 2
    assert ("error[PL200] cannot read `p/team.policy`: file is too large to read: 2026 bytes, "
            "the limit is 1000 bytes") in capsys.readouterr().err

    (root / ".policylint.yaml").unlink()
    (root / "pyproject.toml").write_text("[tool.policylint]\n" + "# padding\n" * 200)
    assert main(["check", "--root", "."]) == 2
    assert ("error[PL300] cannot read `pyproject.toml`: file is too large to read: 2018 bytes, "
            "the limit is 1000 bytes") in capsys.readouterr().err


# -- every read is bounded ------------------------------------------------------------------

@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_a_read_stops_at_the_limit_even_when_the_size_said_less():
    """/proc files say they are empty and are not: the read itself is bounded, not only the
    size the file reported before (a file growing while it is read is the same case)."""
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(OSError) as refused:
        read_regular("/proc/self/status", limit=10)
    assert refused.value.strerror == "file is too large to read: more than 10 bytes, the limit is 10 bytes"
    assert read_regular("/proc/self/status", limit=1_000_000).startswith(b"Name:")


# -- a work budget for every evaluation ------------------------------------------------------

def big_task_list(count: int, shared_path: bool = False, phases: int = 4) -> str:
    """`count` tasks, all marked [P], in a few phases; each names its own file (or all one)."""
    lines = ["# Tasks: big\n"]
    for k in range(1, count + 1):
        if (k - 1) % (count // phases) == 0:
            lines.append(f"\n## Phase {(k - 1) // (count // phases) + 1}: Part\n\n")
        path = "src/shared.py" if shared_path else f"src/module_{k}.py"
        lines.append(f"- [X] T{k:04d} [P] Implement part {k} in {path}\n")
    return "".join(lines)


@pytest.mark.parametrize("shared", [False, True], ids=["distinct-files", "one-file"])
def test_speckit_on_2000_tasks_is_linear(tmp_path, shared):
    """parallel-marks paired every task with every other (27 s for 2,000 tasks); indexed, the
    whole pack takes well under a second. The bound below only catches a quadratic gate."""
    from policylint.evaluate import Engine
    from policylint.packs import PackLoader

    root = tmp_path / "repo"
    shutil.copytree(SPECKIT_CASE, root)
    (root / TASKS).write_text(big_task_list(2000, shared))
    with within(60):
        run = Engine(Repo(root)).run([PackLoader().load("speckit")])
    status = {r.gate: r.status for r in run.results}
    assert status["speckit.tasked.parallel-marks"] == ("fail" if shared else "pass")
    assert "error" not in status.values()
    if shared:
        marks = next(r for r in run.results if r.gate == "speckit.tasked.parallel-marks")
        assert marks.message == "1996 of 2000 elements match `first(parallel_paths[t.phase][p]).position < t.position`"
        assert (f"{TASKS}:6: T0002 [P] changes src/shared.py, as T0001 [P] in the same phase does: they cannot run "
                "in parallel") in [f"{e.path}:{e.line}: {e.message}" for e in marks.evidence]


STRANGER = '''pack stranger "S" version "1"

gate cubic "Three nested quantifiers" {
  let ls = lines("big.txt")
  require no a in ls, b in ls, c in ls: a.text == b.text and b.text == c.text and a.number > c.number
}

gate fine "A cheap gate still runs" {
  require count(lines("big.txt")) == 300
}
'''


def test_three_nested_quantifiers_run_out_of_budget_naming_the_gate(tmp_path, capsys, monkeypatch):
    """A one-line stranger's gate over a 300-line file: 27 million combinations. It stops at the
    budget (set low here to keep the test fast), is an error, and the other gates still run."""
    root = make_repo(tmp_path / "r", {"big.txt": "".join(f"line {i}\n" for i in range(300)),
                                      "p/stranger.policy": STRANGER,
                                      ".policylint.yaml": 'packs: ["./p/stranger.policy"]\nbudget: 100000\n'})
    monkeypatch.chdir(root)
    with within(60):
        assert main(["check", "--root", ".", "-f", "json"]) == 1
    import json

    results = {r["gate"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert results["stranger.fine"]["status"] == "pass"
    assert results["stranger.cubic"]["status"] == "error"
    assert results["stranger.cubic"]["message"] == (
        "evaluation budget exceeded: `stranger.cubic` took more than 100,000 steps (a quantifier nested over "
        "large inputs?); `budget` in the configuration allows more (policy p/stranger.policy:3)")


def test_the_default_budget_bounds_a_nested_filter_too(tmp_path):
    """Filters and calls count as well as quantifiers: a `where` inside a quantifier is stopped."""
    from conftest import run_policy
    from policylint.compile import DEFAULT_BUDGET

    assert DEFAULT_BUDGET == 10_000_000
    policy = '''pack p "P" version "1"
gate nested "A filter in a quantifier" {
  let ls = lines("big.txt")
  require every a in ls: count(ls where it.number <= a.number) == a.number
}
'''
    run = run_policy(tmp_path, policy, {"big.txt": "x\n" * 2000}, budget=1_000_000)
    assert [(r.gate, r.status) for r in run.results] == [("p.nested", "error")]
    assert run.results[0].message.startswith("evaluation budget exceeded: `p.nested` took more than 1,000,000 steps")
    run = run_policy(tmp_path, policy, {"big.txt": "x\n" * 200}, budget=1_000_000)
    assert [(r.gate, r.status) for r in run.results] == [("p.nested", "pass")]


@pytest.mark.parametrize("value,message", [
    ("5", "`budget`: 5 is less than the minimum of 1000"),
    ("lots", "`budget`: expected integer, found a string"),
])
def test_the_budget_setting_is_checked(tmp_path, capsys, value, message):
    root = make_repo(tmp_path / "r", {".policylint.yaml": f"budget: {value}\n"})
    assert main(["check", "--root", str(root)]) == 2
    assert f"error[PL300] {message}" in capsys.readouterr().err


# -- memory proportional to the input, messages of bounded length ----------------------------

def test_a_huge_one_line_status_makes_a_report_of_bounded_size(tmp_path):
    """The claim is quoted twice (the evidence and the message): each quote is clipped."""
    root = tmp_path / "repo"
    shutil.copytree(SPECKIT_CASE, root)
    (root / "specs/001-password-reset/.status").write_text("x" * 5_000_000)
    done = run_cli("check", "--root", str(root), "-f", "json")
    assert done.returncode == 1, done.stderr
    assert len(done.stdout) < 50_000
    import json

    claims = next(r for r in json.loads(done.stdout)["results"] if r["gate"] == "speckit.spec.claims")
    assert claims["message"].startswith("unknown stage `" + "x" * 500 + "… (4,999,500 more characters)`; stages: ")


def test_an_else_message_quotes_a_value_clipped(tmp_path):
    from conftest import run_policy

    policy = '''pack p "P" version "1"
gate g "G" {
  require every l in lines("one.txt"): l.text == "" else "line says {l.text}"
}
'''
    run = run_policy(tmp_path, policy, {"one.txt": "y" * 10_000 + "\n"})
    assert run.results[0].evidence[0].message == "line says " + "y" * 500 + "… (9,500 more characters)"


WIDE_TABLE = '''
import resource, sys, time
from policylint.loaders.markdown import parse_markdown
w = 200_000  # a header of 200,000 columns over 200,000 one-cell rows: 1.6 MB
text = "|" + "a|" * w + "\\n|" + "-|" * w + "\\n" + "|x|\\n" * w
table = parse_markdown(text, "wide.md")["tables"][0]
assert len(table["header"]) == w and len(table["rows"]) == w
try:  # this process's own peak: ru_maxrss may keep the parent's peak across fork and exec
    with open("/proc/self/status") as fh:
        print(next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) // 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
'''


def test_a_wide_table_over_short_rows_loads_in_bounded_memory():
    """Short rows were filled up to the header's width: 200,000 x 200,000 empty cells (and the
    header's names were deduplicated in quadratic time). Now the filling stops at
    MAX_TABLE_PADDING cells a table and memory follows the input."""
    done = subprocess.run([sys.executable, "-c", WIDE_TABLE], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 1500  # MB, generous: the input is 1.6 MB


def test_short_rows_are_filled_up_to_the_header_width_within_the_limit(monkeypatch):
    from policylint.loaders import markdown

    text = "| a | b | c |\n|---|---|---|\n| 1 |\n| 2 |\n"
    table = markdown.parse_markdown(text, "t.md")["tables"][0]
    assert [[str(c) for c in row["cells"]] for row in table["rows"]] == [["1", "", ""], ["2", "", ""]]
    assert table["rows"][1]["c"] == "" and table["rows"][1]["c"].loc.line == 4
    monkeypatch.setattr(markdown, "MAX_TABLE_PADDING", 2)
    table = markdown.parse_markdown(text, "t.md")["tables"][0]
    assert [[str(c) for c in row["cells"]] for row in table["rows"]] == [["1", "", ""], ["2"]]
    assert table["rows"][1].get("c") is None


@pytest.mark.parametrize("name", [".policylint.yaml", "pyproject.toml"])
@pytest.mark.parametrize("make,reason", [(make_fifo, "is a FIFO, not a regular file"),
                                         (os.mkdir, "is a folder, expected a file")], ids=["fifo", "folder"])
def test_a_configuration_that_is_no_regular_file_is_refused_not_skipped(name, make, reason, tmp_path, capsys,
                                                                          monkeypatch):
    """Skipping it would run without the team's configuration and say nothing: a silent pass."""
    root = make_repo(tmp_path / "r", {"specs/001-x/spec.md": "# Spec\n"})
    make(root / name)
    monkeypatch.chdir(tmp_path)
    with within(10):
        code = main(["check", "--root", "r", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (f"error[PL300] cannot read `r/{name}`: {reason}\n\n"
                   "policylint: 1 error in the configuration; nothing was checked\n")
