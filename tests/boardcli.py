"""`policylint board` for the tests (tests/unit/test_board.py, tests/browser), and a board whose
every user-supplied text is hostile markup."""
from __future__ import annotations

import argparse
import sys

HOSTILE = '<script>alert("id")</script>'


def board_cli(*argv) -> int:
    """`policylint board ARGV`, through the CLI once it lists the command, else as it will."""
    from policylint import board, cli

    if "board" in cli.COMMANDS:
        return cli.main(["board", *argv])
    parser = argparse.ArgumentParser(prog="policylint board")
    board.add_arguments(parser)
    args = parser.parse_args(list(argv))
    args.command = "board"
    try:
        args.root = cli._find_root(args.root)
        return board.run(args)
    except cli.UsageError as exc:
        print(f"policylint: error: {exc}", file=sys.stderr)
        return cli.EXIT_USAGE


def hostile_doc() -> dict:
    """A board document of one subject whose id, gate title and evidence carry markup and an
    escape sequence, in a root named with markup."""
    from policylint import board
    from policylint.evaluate import Result, Run, Subject
    from policylint.explain import Evidence
    from policylint.history import Point

    sid = f"specs/{HOSTILE}"
    lack = Result("team.planned.x", sid, "planned", "fail", "error", "title </style><script>1</script>", "msg",
                  [Evidence(f"{sid}/spec.md", 3, 'says "</script><img src=x onerror=alert(1)>" \x1b[2J')],
                  lifecycle="team.spec")
    subject = Subject(sid, "team.spec", ["draft", "clarified", "planned", "tasked"], claimed="tasked",
                      claimed_at=f"{sid}/.status:1", earned="draft", lacks=[lack])
    point = Point("1" * 40, "1" * 7, "2026-01-01T00:00:00Z", "<i>commit</i>", {"team.spec": {sid: "draft"}},
                  {"team.spec": {sid: "tasked"}})
    return board.build(Run("/nonexistent", ["team"], [subject], [lack], []), [point], root_as_given="<b>root</b>",
                       repo_url="https://github.com/o/r", commit="b" * 40)
