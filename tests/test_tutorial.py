"""docs/tutorial.md is replayed, step by step, in an empty folder, so it cannot go stale.

The page's conventions:

- a fenced block preceded by a line `<!-- file: PATH -->` is a file the reader writes: it is
  written to PATH (relative to the working folder), replacing what was there;
- a ```console block holds commands, each on a line `$ COMMAND`, followed by the output the
  command prints (stdout and stderr together, as a terminal shows them), compared line by line
  after trailing white space is dropped; a line `...` stands for any number of lines; a last
  line `[exit N]` gives the exit status when it is not 0.

Commands run in one shell each (`bash -c`), from the working folder, with `policylint` meaning
`python -m policylint` from this checkout, NO_COLOR=1 and POLICYLINT_NO_CACHE=1.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from caserunner import lines_match
from policylint.docgen import fenced_blocks

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
FILE_MARK = re.compile(r"^<!--\s*file:\s*(\S+)\s*-->$")
EXIT = re.compile(r"^\[exit (\d+)\]$")


@dataclass
class Command:
    line: int
    command: str
    output: list = field(default_factory=list)
    exit_code: int = 0


@dataclass
class Step:
    line: int
    kind: str  # "file" or "console"
    path: str = ""
    text: str = ""
    commands: list = field(default_factory=list)


def parse_console(text: str, first_line: int) -> list:
    commands: list = []
    for offset, raw in enumerate(text.rstrip("\n").split("\n")):
        line = raw.rstrip()
        if line.startswith("$ "):
            commands.append(Command(first_line + offset, line[2:]))
            continue
        assert commands, f"tutorial.md:{first_line + offset}: output before any `$ command` line"
        match = EXIT.match(line)
        if match:
            commands[-1].exit_code = int(match.group(1))
        else:
            commands[-1].output.append(line)
    return commands


def steps() -> list:
    out = []
    for block in fenced_blocks(TUTORIAL.read_text(encoding="utf-8")):
        mark = FILE_MARK.match(block.before)
        if mark:
            out.append(Step(block.line, "file", path=mark.group(1), text=block.text))
        elif block.info == "console":
            out.append(Step(block.line, "console", commands=parse_console(block.text, block.line + 1)))
    return out


def _environment(bin_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYLINT_", "FORCE_COLOR"))}
    env.update({
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
        "POLICYLINT_NO_CACHE": "1",
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
        "LC_ALL": "C",
        "COLUMNS": "100",
    })
    return env


def _policylint_command(bin_dir: Path) -> None:
    bin_dir.mkdir()
    script = bin_dir / "policylint"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m policylint "$@"\n', encoding="utf-8")
    script.chmod(0o755)


def test_tutorial_has_steps():
    found = steps()
    commands = [c.command for s in found if s.kind == "console" for c in s.commands]
    assert any(c.startswith("policylint new pack") for c in commands)
    assert any(c.startswith("policylint test") for c in commands)
    assert any(c.startswith("policylint check") for c in commands)
    assert any(c.startswith("policylint explain") for c in commands)
    assert any(s.kind == "file" for s in found)


@pytest.mark.skipif(sys.platform == "win32", reason="the tutorial's commands are POSIX shell")
def test_tutorial(tmp_path):
    bin_dir = tmp_path / "bin"
    _policylint_command(bin_dir)
    work = tmp_path / "work"
    work.mkdir()
    env = _environment(bin_dir)
    for step in steps():
        if step.kind == "file":
            target = work / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
            continue
        for cmd in step.commands:
            proc = subprocess.run(["bash", "-c", cmd.command], cwd=work, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=120)
            actual = "\n".join(line.rstrip() for line in proc.stdout.rstrip("\n").split("\n"))
            expected = "\n".join(cmd.output).rstrip("\n")
            where = f"tutorial.md:{cmd.line}: `$ {cmd.command}`"
            assert lines_match(expected, actual), f"{where} printed something else:\n{actual}"
            assert proc.returncode == cmd.exit_code, f"{where} exited {proc.returncode}, expected {cmd.exit_code}:\n{actual}"


def test_parse_console():
    commands = parse_console("$ a\nout\n\n[exit 1]\n$ b\n", 10)
    assert [(c.line, c.command, c.output, c.exit_code) for c in commands] == [
        (10, "a", ["out", ""], 1), (14, "b", [], 0)]
