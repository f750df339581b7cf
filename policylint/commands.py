"""The command line's parser and its commands other than `check` (cli.py holds `main`,
`check` and what they share): imported when argparse parses a command line or one of these
commands runs, never by `check FILE…` as pre-commit runs it.
"""
from __future__ import annotations

import os
import sys

from .cli import (COMMANDS, EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError, _baseline_path, _common, _config, _format,
                  _repo_inputs, _root, _root_path, _run, _selection, load_packs, print_diagnostics)


def _format_action():
    """The action of -f/-o, registered as `format` on each parser (a class of argparse's, made
    when a parser is: `check FILE` runs without argparse)."""
    import argparse

    class FormatAction(argparse.Action):
        """`-f sarif -o r.sarif -f text`: each --output belongs to the --format before it."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.formats = _FormatNames()  # the help's %(formats)s: argparse fills it from the action's attributes

        def __call__(self, parser, namespace, value, option_string=None):
            outputs = getattr(namespace, "outputs", None) or []
            if option_string in ("-f", "--format"):
                outputs.append([value, None])
            else:
                if not outputs or outputs[-1][1] is not None:
                    outputs.append(["text", value])
                else:
                    outputs[-1][1] = value
            namespace.outputs = outputs

    return FormatAction


class _FormatNames:
    """The reporters' format names, looked up only when help is formatted: `--version` imports no reporter."""

    def __str__(self) -> str:
        from .reporters import FORMATS

        return ", ".join(FORMATS)


def _args_baseline(p: argparse.ArgumentParser) -> None:
    _common(p)
    _selection(p)
    p.add_argument("--output", "-o", metavar="FILE", help="where to write it (default: .policylint-baseline.json at the root)")


def _args_status(p: argparse.ArgumentParser) -> None:
    _common(p)
    _selection(p)
    p.add_argument("--format", "-f", default="text", metavar="FORMAT", help="text (default) or json")


def _args_explain(p: argparse.ArgumentParser) -> None:
    p.add_argument("gate", metavar="GATE", help="a gate id, e.g. speckit.implementing.all-done")
    _common(p)


def _args_list(p: argparse.ArgumentParser) -> None:
    _common(p)


def _args_test(p: argparse.ArgumentParser) -> None:
    p.add_argument("packs", nargs="*", metavar="PACK",
                   help="pack names or folders, or a folder of packs like rules/ (default: every built-in pack)")
    p.add_argument("--update", action="store_true", help="rewrite expected.yaml files from the actual results")
    p.add_argument("--require-coverage", action="store_true",
                   help="fail when a gate is not shown both passing and failing by some case")
    p.add_argument("-k", dest="keyword", metavar="TEXT", help="only cases whose name contains TEXT")
    p.add_argument("--no-cache", action="store_true", help="use no cache: packs parsed and checked afresh, every gate evaluated, nothing kept")
    p.add_argument("--mutate", action="store_true",
                   help="also run the cases against mutants of each gate and with each file of each case "
                        "deleted; report the mutants no case notices and the deletions that let a gate pass")
    p.add_argument("--mutate-threshold", type=float, default=95.0, metavar="PERCENT",
                   help="with --mutate, fail when a pack kills fewer of its mutants than this (default: 95)")


def _args_new(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=["pack"], metavar="pack")
    p.add_argument("name", metavar="NAME", help="the pack's name (lowercase, digits and hyphens)")
    p.add_argument("--dir", default=".", metavar="DIR", help="where to create the pack folder (default: here)")


def _args_fmt(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="policy files, or folders searched for *.policy (default: the current folder)")
    p.add_argument("--check", action="store_true",
                   help="change nothing: print a diff of each file that would change and exit 1 if any would")


def _args_validate(p: argparse.ArgumentParser) -> None:
    import argparse

    p.add_argument("files", nargs="+", metavar="FILE", help="policy files, or folders searched for *.policy")
    p.add_argument("--no-cache", action="store_true", help=argparse.SUPPRESS)


def _args_inspect(p: argparse.ArgumentParser) -> None:
    p.add_argument("loader", metavar="LOADER")
    p.add_argument("path", metavar="PATH", nargs="?",
                   help="path relative to --root (for a loader that reads a file)")
    _common(p, packs=False)


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's formatter, told the width: left to itself it imports shutil (3 ms a run) to ask."""
    import argparse

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return argparse.HelpFormatter(prog, width=(columns if columns > 0 else 80) - 2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that subcommand's (a run builds one, not eleven: ~5 ms)."""
    import argparse

    from . import __version__

    parser = argparse.ArgumentParser(prog="policylint", description="Check delivery-workflow gates against a repository.",
                                     formatter_class=_formatter)
    parser.add_argument("--version", action="version", version=f"policylint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    format_action = _format_action()
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        if only is None or name == only:
            command = sub.add_parser(name, help=help_text, formatter_class=_formatter)
            command.register("action", "format", format_action)
            add_arguments(command)
    return parser


def _fix(args, run) -> bool:
    """--fix writes, --diff prints, the edits of the run's failing gates; True when there are any."""
    from . import fix

    root = str(_root_path(args))
    plan = fix.plan(root, fix.edits_of(run))
    for edit, why in plan.refused:
        print(f"policylint: cannot fix {edit.where()} (`{edit.gate}`): {why}", file=sys.stderr)
    if args.diff:
        sys.stdout.write(fix.unified_diff(plan.changes))
        return bool(plan.changes)
    failed = dict(fix.write(root, plan.changes))
    for path, why in sorted(failed.items()):
        print(f"policylint: cannot fix {path}: {why}", file=sys.stderr)
    done = [e for e in plan.applied if e.path not in failed]
    for edit in done:
        print(f"fixed {edit.where()}: `{edit.old}` -> `{edit.new}` ({edit.gate})", file=sys.stderr)
    return bool(done)


def cmd_baseline(args) -> int:
    from . import baseline
    from .packs import display

    config = _config(args)
    run = _run(args, config)
    path = _baseline_path(args, config, args.output)
    try:
        count, refused = baseline.write(run, path)
    except OSError as exc:
        raise UsageError(f"cannot write `{display(path)}`: {exc.strerror}") from None
    print(f"wrote {count} known failure{'s' if count != 1 else ''} to {display(path)}")
    if refused:
        print(f"left out {refused} failure{'s' if refused != 1 else ''} of unwaivable gates: "
              "a baseline cannot tolerate them, fix them")
    return EXIT_OK


def _run_kept(args):
    """`_run` for a command whose output the results cache does not keep (status, board): the
    run's verdicts are kept for the next run all the same."""
    run = _run(args)
    memory = getattr(run, "memory", None)
    if memory is not None:
        memory.save(run_inputs=_repo_inputs(run))
    return run


def cmd_status(args) -> int:
    fmt = _format(args.format, ["json", "text"])
    run = _run_kept(args)
    if fmt == "json":
        import json

        from .board import status_row

        json.dump({"subjects": [status_row(s) for s in run.subjects]}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    from .controls import visible  # a folder's name or a file's text never drives the terminal

    width = max([len(visible(s.id)) for s in run.subjects] + [7])
    print(f"{'subject':<{width}}  {'claimed':<20} {'earned':<20} next")
    for s in run.subjects:
        nxt = f"{s.next_stage}: needs " + ", ".join(r.gate.rsplit('.', 1)[-1] for r in s.lacks) if s.next_stage else "—"
        print(f"{visible(s.id):<{width}}  {s.claimed or '—':<20} {s.earned or '—':<20} {nxt}")
        for r in s.lacks:
            first = r.evidence[0] if r.evidence else None
            where = f"{first.path}:{first.line}  " if first and first.line else (f"{first.path}  " if first else "")
            more = f"  (+{len(r.evidence) - 1} more)" if len(r.evidence) > 1 else ""
            print(visible(f"{'':<{width}}    {r.gate}  {where}{first.message if first else r.message}{more}"))
    return EXIT_OK


def _gates(packs, lifecycle: bool = False):
    """(gate id, pack, stage name or None, gate node) for every gate in the packs; with
    `lifecycle`, each lifecycle's own gates too (`speckit.spec.claims`), as `list` shows them."""
    from .gates import declared_gates

    for gid, pack, _lifecycle, stage, gate in declared_gates(packs, lifecycle=lifecycle):
        yield gid, pack, stage, gate


def _all_packs(args):
    config = _config(args)
    packs = load_packs(args, detect=False, config=config)
    if config.packs and not args.pack:
        packs += [p for p in load_packs(args, detect=False) if p.key not in {q.key for q in packs}]
    seen, out = set(), []

    def add(p):
        if p.key not in seen:
            seen.add(p.key)
            out.append(p)
            for u in p.uses:
                add(u)

    for p in packs:
        add(p)
    return out


def cmd_explain(args) -> int:
    packs = _all_packs(args)
    gates = {gid: (pack, stage, gate) for gid, pack, stage, gate in _gates(packs, lifecycle=True)}
    if args.gate not in gates:
        from .diagnostics import did_you_mean

        hint = did_you_mean(args.gate, gates, "gates")
        raise UsageError(f"unknown gate `{args.gate}`" + (f"; {hint}" if hint else ""))
    pack, stage, gate = gates[args.gate]
    from .gates import LifecycleGate

    lines = pack.ast.source.split("\n")
    own = isinstance(gate, LifecycleGate)  # a lifecycle's own gate: no block of its own to show
    where = f" · every subject of lifecycle `{args.gate.split('.')[1]}`" if own else \
        f" · stage {stage}" if stage else " · repository-wide"
    print(f"{args.gate}: {gate.plain_title}")
    print(f"  pack {pack.name} ({pack.display_path}:{gate.span.line})" + where + f" · severity {gate.severity}"
          + (" · unwaivable" if gate.unwaivable else ""))
    from .gates import readme_sections
    from .controls import escaped, visible  # a pack's text never drives the terminal

    doc = readme_sections(pack.path.parent / "README.md").get(args.gate) or gate.doc
    if doc:
        print()
        print(escaped(_for_users(doc)))
    end = gate.span.line - 1 if own else gate.end.line - 1
    print()
    block = lines[gate.span.line - 1:end + 1]
    first = len(block[0]) - len(block[0].lstrip())
    for text in block:  # as written, less the indentation of the gate's first line
        cut = min(first, len(text) - len(text.lstrip()))
        print("    " + visible(text[cut:].rstrip()) if text.strip() else "")
    return EXIT_OK


_REPRODUCES = None


def _for_users(doc: str) -> str:
    """A gate's README section without its `**Reproduces**: …` passages, which point at the
    upstream tool's source for the pack's maintainers, not at anything a user can act on."""
    import re

    global _REPRODUCES
    if _REPRODUCES is None:
        _REPRODUCES = re.compile(r"\*\*Reproduces\*\*:.*?(?=\n[ \t]*\n|\s+(?:Passes\b|Fails\b|\*\*\w+\*\*:)|\Z)", re.S)
    kept = []
    for line in _REPRODUCES.sub("\0", doc).split("\n"):
        if "\0" not in line:
            kept.append(line)
        elif line.replace("\0", "").strip():  # a line the passage emptied goes with it
            kept.append(re.sub(r"[ \t]*\0[ \t]*", " ", line).strip() if line.lstrip().startswith("\0")
                        else re.sub(r"[ \t]*\0[ \t]*", " ", line).rstrip())
    return "\n".join(kept)


def cmd_list(args) -> int:
    from .syntax import ast

    running = _running_here(args)
    for pack in _all_packs(args):
        version = f" {pack.ast.version}" if pack.ast.version else ""
        print(f"{pack.name}{version}  {pack.ast.title}  ({pack.display_path})")
        print(f"  {_applies(pack, running)}")
        for item in pack.ast.items:
            if isinstance(item, ast.Lifecycle):
                print(f"  lifecycle {item.name}: {' → '.join(s.name for s in item.stages)}")
            elif isinstance(item, ast.Extend):
                print(f"  extends {item.target}: adds gates to {', '.join(s.name for s in item.stages) or 'no stage'}")
            elif isinstance(item, ast.Override):
                print(f"  {'switches off' if item.level == 'off' else 'makes ' + item.level} {item.gate}")
        for gid, p, stage, gate in _gates([pack], lifecycle=True):
            if p is pack:
                title = gate.plain_title if gate.title else ""
                flags = "" if gate.severity == "error" else f" [{gate.severity}]"
                print(f"    {gid}{flags}  {title}")
        print()
    return EXIT_OK


def _running_here(args) -> set:
    """Keys of the packs `check` would run at --root (named, configured or detected)."""
    repo = _root(args)
    try:
        packs = load_packs(args, repo, config=_config(args))
    except UsageError:  # no pack applies: the list says so pack by pack
        return set()
    out = set()

    def add(p):
        out.add(p.key)
        for u in p.uses:
            add(u)

    for p in packs:
        add(p)
    return out


def _applies(pack, running: set) -> str:
    """Whether `check` runs the pack at --root, and if not, what would make it."""
    if pack.key in running:
        return "applies here: `check` runs it"
    if pack.ast.detect:
        return f"does not apply here: runs where `{pack.ast.detect}` matches, or when named"
    return "does not apply here: runs when named (--pack or `packs:`)"


def _pack_dirs(specs) -> list:
    """Pack folders named by `policylint test` arguments."""
    from pathlib import Path

    from .packs import builtin_packs, resolve

    if not specs:
        return [path.parent for path in builtin_packs().values()]
    out = []
    for spec in specs:
        folder = Path(spec)
        if folder.is_dir() and (folder / f"{folder.resolve().name}.policy").is_file():
            out.append(folder if folder.name else folder.resolve())
        elif folder.is_dir():
            children = [d for d in sorted(folder.iterdir()) if (d / f"{d.name}.policy").is_file()]
            if not children:
                raise UsageError(f"`{spec}` holds no pack (no `<name>/<name>.policy` inside)")
            out.extend(children)
        else:
            out.append(resolve(spec).parent)
    return out


def cmd_test(args) -> int:
    from . import packtest
    from .packs import PackLoader, display

    failed = passed = updated = 0
    uncovered = []
    for pack_dir in _pack_dirs(args.packs):
        cases = [c for c in packtest.discover(pack_dir) if not args.keyword or args.keyword in c.name]
        pack = PackLoader(use_cache=not args.no_cache).load(str(pack_dir / f"{pack_dir.name}.policy"))
        print(f"{pack.name}  ({display(pack_dir)}, {len(cases)} case{'s' if len(cases) != 1 else ''})")
        runs = []
        for case in cases:
            run = packtest.evaluate_case(case, use_cache=not args.no_cache)
            runs.append(run)
            if args.update and _update_case(packtest, case, run):
                updated += 1
                case = packtest.discover_one(case)
            outcome = packtest.run_case(case, run=run)
            if outcome.ok:
                passed += 1
                print(f"  ok    {case.name}")
            else:
                failed += 1
                print(f"  FAIL  {case.name}")
                for mismatch in outcome.mismatches:
                    for i, line in enumerate(mismatch.split("\n")):
                        print(("        " if i == 0 else "          ") + line)
        gate_ids = {gid for gid, p, _, _ in _gates([pack]) if p is pack}
        if not args.keyword:
            for gid, statuses in sorted(packtest.gate_coverage(runs, gate_ids).items()):
                missing = [s for s in ("pass", "fail") if s not in statuses]
                if missing:
                    uncovered.append(gid)
                    print(f"  coverage: {gid} is never shown to {' or '.join(missing)}")
    print()
    if args.update:
        print(f"updated {updated} expected.yaml file{'s' if updated != 1 else ''}")
    coverage = ("gate coverage not measured (-k)" if args.keyword else
                "full gate coverage" if not uncovered else f"{len(uncovered)} gate{'s' if len(uncovered) != 1 else ''} not covered both ways")
    print(f"{passed} case{'s' if passed != 1 else ''} ok, {failed} failing; {coverage}")
    if failed or (uncovered and args.require_coverage):
        return EXIT_FAIL
    if args.mutate:
        from .mutate import run_mutation

        return run_mutation(_pack_dirs(args.packs), args.mutate_threshold, args.keyword, not args.no_cache)
    return EXIT_OK


def _update_case(packtest, case, run) -> bool:
    try:
        return packtest.update_case(case, run)
    except OSError as exc:
        raise UsageError(f"cannot write `{case.folder / 'expected.yaml'}`: {exc.strerror}") from None


def cmd_new(args) -> int:
    import re
    from pathlib import Path

    from .scaffold import write_pack

    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", args.name):
        raise UsageError(f"pack name `{args.name}` must be lowercase letters, digits and hyphens, e.g. `team-release`")
    folder = Path(args.dir) / args.name
    if os.path.lexists(folder):
        raise UsageError(f"`{folder}` already exists; nothing was written")
    try:
        created = write_pack(folder, args.name)
    except OSError as exc:
        raise UsageError(f"cannot write `{exc.filename or folder}`: {exc.strerror}") from None
    for path in created:
        print(f"created {path}")
    print(f"\nnext: policylint test {folder}")
    return EXIT_OK


def cmd_fmt(args) -> int:
    from . import fmt
    from .packs import policy_files

    files, missing = policy_files(args.files or ["."])
    if missing:
        raise UsageError(f"`{missing[0]}` is neither a file nor a folder")
    return fmt.run(files, args.check, sys.stdout, sys.stderr)


def cmd_validate(args) -> int:
    from .errors import PolicylintError
    from .packs import PackLoader, looks_like_path, policy_files

    files, missing = policy_files(args.files)
    if missing:
        raise UsageError(f"`{missing[0]}` is neither a file nor a folder")
    if not files:
        raise UsageError(f"no *.policy file in {', '.join(f'`{f}`' for f in args.files)}")
    diagnostics = []
    for path in files:
        try:
            PackLoader(use_cache=not args.no_cache).load(path if looks_like_path(path) else "./" + path)
        except PolicylintError as exc:
            diagnostics.extend(exc.diagnostics)
    if diagnostics:
        print_diagnostics(diagnostics)
        return EXIT_USAGE
    print(f"{len(files)} polic{'ies' if len(files) != 1 else 'y'} OK")
    return EXIT_OK


def cmd_lsp(args) -> int:
    try:
        from .lsp import serve
    except ImportError as exc:
        if not (exc.name or "").startswith(("pygls", "lsprotocol")):
            raise
        raise UsageError("`policylint lsp` needs pygls, which is not installed: pip install 'policylint[lsp]'") from None
    import gc

    gc.enable()  # main pauses the collector for a short run; a server lives long and must collect
    return serve()


def cmd_inspect(args) -> int:
    import json

    from . import loaders
    from .errors import ArtifactError
    from .values import to_plain

    viewable = sorted(name for name in loaders.LOADERS if _inspectable(loaders.get(name).signature))
    if args.loader not in viewable:
        if args.loader in loaders.LOADERS:
            usage = loaders.get(args.loader).signature.usage()
            raise UsageError(f"`{args.loader}` takes more than a path (`{usage}`), so it has no view of a file "
                             f"to inspect; call it in a policy. inspect shows: {', '.join(viewable)}")
        raise UsageError(f"unknown loader `{args.loader}`; loaders: {', '.join(viewable)}")
    repo = _root(args)
    fn = loaders.get(args.loader)
    takes_path = bool(fn.signature.params) and not fn.signature.value
    if takes_path and args.path is None:
        raise UsageError(f"`{args.loader}` reads a file: give its PATH, e.g. `policylint inspect {args.loader} PATH`")
    if not takes_path and args.path is not None and os.path.realpath(os.path.join(args.root, args.path)) != os.path.realpath(args.root):
        raise UsageError(f"`{args.loader}` reads the repository at --root, not `{args.path}`: "
                         f"run `policylint inspect {args.loader} --root DIR`")
    try:
        value = fn(repo, args.path) if takes_path else fn(repo)
        plain = to_plain(value, inline_errors=True)  # a field computed on first read may fail alone
    except ArtifactError as exc:
        where = f"{exc.path}:{exc.line}" if exc.line else exc.path
        print(f"policylint: error[{exc.code}] {where}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    json.dump(plain, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    for notice in sorted(repo.notices.values(), key=lambda n: n.sort_key()):
        print(f"note[{notice.code}] {notice.path}:{notice.line}: {notice.message}", file=sys.stderr)
    failed = _inline_errors(plain)
    view = args.loader if fn.signature.value else f"{args.loader}({args.path if takes_path else ''})"
    unasked = [f for f, message in failed if args.base is None and message.endswith(_NEEDS_BASE)]
    if unasked:  # facts of a pull request, not asked for: not a failure of the view
        failed = [(f, m) for f, m in failed if f not in unasked]
        print(f"note: {', '.join(view + f for f in unasked)} need --base REV, the revision a pull request "
              f"merges into (e.g. --base origin/main)", file=sys.stderr)
    by_message: dict = {}  # one line per cause: outside a repository every git fact fails alike
    for field_path, message in failed:
        by_message.setdefault(message, []).append(field_path)
    for message, fields in by_message.items():
        where = fields[0] if len(fields) == 1 else f" ({', '.join(f.lstrip('.') for f in fields)})"
        print(f"policylint: error[PL405] {view}{where}: {message}", file=sys.stderr)
    return EXIT_USAGE if failed else EXIT_OK


_NEEDS_BASE = "needs --base REV: the revision the pull request merges into, e.g. --base origin/main"


def _inspectable(signature) -> bool:
    """A loader inspect can show: a value (`git`) or a function of one path or glob."""
    return signature.value or signature.min_args <= 1 <= (signature.max_args or 1)


def _inline_errors(plain, where="") -> list:
    """(field path, message) for every field shown as {"error": …} in an inspect view."""
    if isinstance(plain, dict):
        if set(plain) == {"error"}:
            return [(where or ".", plain["error"])]
        return [e for k, v in plain.items() for e in _inline_errors(v, f"{where}.{k}")]
    if isinstance(plain, list):
        return [e for i, v in enumerate(plain) for e in _inline_errors(v, f"{where}[{i}]")]
    return []


def _args_board(p) -> None:
    from . import board

    board.add_arguments(p)


def cmd_board(args) -> int:
    from . import board

    return board.run(args)
