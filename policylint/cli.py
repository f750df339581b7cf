"""The command line. argparse only; each subcommand imports what it needs when it runs,
so `policylint --help` and a warm `check` stay fast. argparse itself is imported where a
parser is built (the annotations that name it are never evaluated): `check FILE…` without
options, as pre-commit runs it, is read without it (`_plain_check`).

Exit codes: 0 nothing blocking, 1 a blocking gate failed or errored, 2 the tool could
not do its job (bad flags, a policy that does not parse or check, an internal error).
"""
from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class NoPackApplies(UsageError):
    """No pack was asked for and none detects its layout here: `check` says so and passes."""


def _common(p: argparse.ArgumentParser, packs: bool = True) -> None:
    p.add_argument("--root", default=None, metavar="DIR",
                   help="repository root (default: the nearest folder, here or above, with .policylint.yaml/.yml, "
                        "a pyproject.toml with [tool.policylint], or .git)")
    p.add_argument("--base", metavar="REV", help="what a pull request merges into (git facts are taken since its merge-base)")
    if packs:
        p.add_argument("--pack", action="append", default=[], metavar="NAME|PATH",
                       help="a built-in or installed pack name, or a pack folder/.policy file (repeatable)")
        p.add_argument("--config", metavar="FILE",
                       help="configuration file (default: .policylint.yaml, or [tool.policylint] in pyproject.toml, at the root)")
        p.add_argument("--no-cache", action="store_true", help="use no cache: packs parsed and checked afresh, every gate evaluated, nothing kept")


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


def _outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", "-f", action="format", dest="outputs", metavar="FORMAT",
                   help="output format (repeatable; default text): %(formats)s")
    p.add_argument("--output", "-o", action="format", dest="outputs", metavar="FILE",
                   help="write the preceding --format to FILE instead of standard output")
    p.add_argument("--fail-on", choices=("error", "warning"), default=None,
                   help="the lowest severity that fails the run (default: error, or `fail_on` in the config)")
    p.add_argument("--exit-zero", action="store_true", help="report only: exit 0 even when gates fail")
    p.add_argument("--baseline", metavar="FILE",
                   help=f"known failures to tolerate (default: {'.policylint-baseline.json'} at the root when it exists)")


class _FormatNames:
    """The reporters' format names, looked up only when help is formatted: `--version` imports no reporter."""

    def __str__(self) -> str:
        from .reporters import FORMATS

        return ", ".join(FORMATS)


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", action="append", default=[], metavar="GATE-GLOB",
                   help="only gates whose id matches (e.g. `speckit.implementing.*`; repeatable)")
    p.add_argument("--ignore", action="append", default=[], metavar="GATE-GLOB",
                   help="skip gates whose id matches (repeatable)")


def _args_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="only subjects that hold these files, plus repository-wide gates (as pre-commit passes them)")
    _common(p)
    _selection(p)
    _outputs(p)
    p.add_argument("--verbose", "-v", action="store_true", help="show passing and skipped gates too")
    p.add_argument("--quiet", "-q", action="store_true", help="text: show only failures and the summary")
    p.add_argument("--statistics", action="store_true",
                   help="text: instead of each finding, a count of failures per gate id")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="text colour (default auto: on a terminal, unless NO_COLOR is set)")
    p.add_argument("--fix", action="store_true",
                   help="rewrite what failing gates can fix (a lagging Status line), then report what remains")
    p.add_argument("--diff", action="store_true",
                   help="print those fixes as a unified diff, write nothing; exit 1 when there is one")


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


class _Defaults:
    """What an `_args_<name>` function declares, read as argparse would fill a namespace in which
    nothing is given: each destination's default, the first declared winning."""

    def __init__(self):
        self.values: dict = {}

    def add_argument(self, *names, **options) -> None:
        dest = options.get("dest")
        if dest is None:
            longs = [n for n in names if n.startswith("--")]
            dest = (longs or names)[0].lstrip("-").replace("-", "_")
        default = options.get("default")
        if "default" not in options and options.get("action") in ("store_true", "store_false"):
            default = options["action"] == "store_false"
        self.values.setdefault(dest, default)


def _plain_check(argv: list):
    """The namespace of `check FILE…` with no option, as pre-commit runs it, made without
    argparse (whose import, translations and parser cost that run ~8 ms, a third of its
    budget); None for anything else, which argparse parses. tests/unit/test_startup.py holds
    it equal to argparse's namespace."""
    if not argv or argv[0] != "check" or not all(a and a[0] != "-" for a in argv[1:]):
        return None
    declared = _Defaults()
    _args_check(declared)
    return _Namespace(command="check", **{**declared.values, "files": argv[1:]})


def main(argv: list | None = None) -> int:
    """The command; `argv` None means the process's own arguments, and that the process ends
    when this returns."""
    from .fastpath import gc_paused

    with gc_paused():  # a short run that keeps what it builds: collecting would only re-walk it
        code = _main(argv)
    if argv is None:
        from .fastpath import frozen_for_exit

        frozen_for_exit()
    return code


def _main(argv: list | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _plain_check(argv)
    if args is None:
        parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
        args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    from .errors import PolicylintError

    try:
        if hasattr(args, "root"):
            args.root = _find_root(args.root)
        _, _, run = COMMANDS[args.command]
        return run(args)
    except PolicylintError as exc:
        print_diagnostics(exc.diagnostics)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"policylint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # a bug in policylint itself: say so, never dump a bare traceback
        if os.environ.get("POLICYLINT_DEBUG"):
            raise
        import traceback

        last = traceback.format_exc().strip().splitlines()[-1]
        print(f"policylint: internal error[PL900]: {last}\n"
              "This is a bug in policylint, not in your repository. Please report it with the command you ran;\n"
              "set POLICYLINT_DEBUG=1 to see the full traceback.", file=sys.stderr)
        return EXIT_USAGE


def print_diagnostics(diagnostics, stream=None) -> None:
    from .diagnostics import QUOTABLE

    stream = stream or sys.stderr
    sources: dict = {}
    for diag in diagnostics:
        source = None
        if diag.span is not None:
            if diag.span.path not in sources and diag.span.path in QUOTABLE:  # never a file from outside the root
                from .repo import read_regular

                try:
                    sources[diag.span.path] = read_regular(diag.span.path).decode("utf-8", errors="replace")
                except OSError:
                    sources[diag.span.path] = None
            source = sources.get(diag.span.path)
        stream.write(diag.render(source) + "\n\n")
    count = len(diagnostics)
    stream.write(f"policylint: {count} error{'s' if count != 1 else ''} in {_what_is_wrong(diagnostics)}; "
                 "nothing was checked\n")


def _what_is_wrong(diagnostics) -> str:
    """Where the errors are, by their codes' families: the closing line says only what is true."""
    kinds = {"a pack's test case" if d.code == "PL308" else "the baseline" if d.code == "PL307" else
             "the command line" if d.code == "PL312" and d.span is None else
             "the packs asked for" if d.code == "PL208" and d.span is None else
             "the configuration" if d.code.startswith("PL3") else
             "the policy" if d.code.startswith(("PL1", "PL2")) else "the input" for d in diagnostics}
    order = ("the policy", "the packs asked for", "the configuration", "the command line", "the baseline",
             "a pack's test case", "the input")
    return " and ".join(k for k in order if k in kinds) or "the policy"


# -- helpers ------------------------------------------------------------------------------
def _root(args):
    if _caching(args):  # what each evaluation reads is recorded for the results cache
        from .recording import TrackingRepo

        return TrackingRepo(_root_folder(args), getattr(args, "base", None))
    from .repo import Repo

    return Repo(_root_folder(args), base=getattr(args, "base", None))


def _caching(args) -> bool:
    """Whether the run keeps its verdicts in the repository's results cache (results.py): a
    whole `check`, `status` or `board`, unless --no-cache; not a run of some files or of a change
    (`check FILE…`, `--base`), which is quick anyway, nor one that rewrites files (--fix)."""
    return (getattr(args, "command", "") in ("check", "status", "board") and not getattr(args, "no_cache", False)
            and not getattr(args, "files", None) and not getattr(args, "base", None)
            and not getattr(args, "fix", False) and not getattr(args, "diff", False))


def _format(name, allowed=None):
    from .reporters import FORMATS

    known = allowed or sorted(FORMATS)
    if name not in known:
        raise UsageError(f"unknown format `{name}`; known formats: {', '.join(known)}")
    return name


def load_packs(args, repo=None, *, detect: bool = True, config=None) -> list:
    """--pack; else the config's packs; else the built-in packs whose layout the repository has."""
    from .packs import PackLoader, available_packs, detect_glob, looks_like_path

    loader = PackLoader(use_cache=not args.no_cache, root=repo.root if repo is not None else _root_folder(args))
    if loader.cache is not None:  # the loaders' regexes compiled once, not on every run
        from .patterns import keep_compiled_in

        keep_compiled_in(loader.cache)
    if args.pack:
        return [loader.load(spec) for spec in args.pack]
    if config is not None and config.packs:
        root = repo.root if repo is not None else None
        return [loader.load(spec, root if looks_like_path(spec) else None) for spec in config.packs]
    available = available_packs()
    if not detect:
        return [loader.load_found(path) for path in available.values()]
    detects = {}  # name -> its detect glob, read from the header (a pack loads only when chosen)
    for name, path in available.items():
        plain, glob = detect_glob(path)
        detects[name] = glob if plain else loader.load_found(path).ast.detect
    chosen = [loader.load_found(available[name]) for name, glob in detects.items()
              if glob and repo is not None and repo.glob(glob)]
    if not chosen:
        hints = ", ".join(f"{name} (needs {glob})" for name, glob in detects.items() if glob)
        raise NoPackApplies(f"no built-in pack applies to `{args.root}`: {hints or 'none is installed'}; "
                         "name one with --pack NAME|PATH")
    return chosen


def _config(args):
    from .config import load_config

    return load_config(_root_folder(args), getattr(args, "config", None))


def _find_root(given):
    """--root as typed; else the folder `config.find_root` finds from here, as a path relative
    to the current folder (`.` at the top, as before), which is how reports show it."""
    if given is not None:
        return given
    from .config import find_root

    return os.path.relpath(find_root(os.getcwd()))


def _root_path(args):
    from pathlib import Path

    return Path(_root_folder(args))


def _root_folder(args) -> str:
    """--root (or the root found), a folder, as a str: `check`'s way runs without pathlib, whose
    imports (urllib.parse, ipaddress) cost ~18M instructions of check FILE's start-up."""
    if not os.path.isdir(args.root):
        raise UsageError(f"--root `{args.root}` is not a folder")
    return args.root


def _scope(args, repo):
    """Repository paths the run is limited to: the files given, or what changed since --base."""
    files = getattr(args, "files", None) or []
    if files:
        root = os.path.realpath(args.root)
        return {os.path.relpath(os.path.realpath(f), root).replace(os.sep, "/") for f in files}
    if getattr(args, "base", None) and getattr(args, "command", "") == "check":
        from . import loaders
        from .errors import ArtifactError

        try:
            changed = loaders.get("git")(repo).get("changed_files")
        except ArtifactError as exc:
            raise UsageError(f"--base {args.base}: {exc.message}") from None
        return {str(c.get("path")) for c in changed} | {str(c.get("old_path")) for c in changed if c.get("old_path")}
    return None


def _run(args, config=None, baseline=None, printed=None, repo=None):
    """The pipeline: packs, the engine's verdicts for every gate, then configure.py applies the
    configuration (and `baseline`, from `_read_baseline`) to what is reported. With the results
    cache, `printed` is the key of what the command prints: when nothing the last run with that
    key read has changed, its (text, exit code) is returned instead of a run. `repo`: the files
    as read (`lsp` passes one that reads an editor's unsaved buffers)."""
    from . import inline_waivers
    from .configure import Configuration
    from .evaluate import Engine

    config = config if config is not None else _config(args)
    repo = repo if repo is not None else _root(args)
    packs = load_packs(args, repo, config=config)
    _check_params(config, packs)
    configuration = Configuration.from_config(config, getattr(args, "select", []), getattr(args, "ignore", []))
    configuration.check_gates(packs)
    blocks, add_inline_waivers = inline_waivers.wire(repo, configuration)
    memory = None
    if _caching(args):
        from . import results

        memory = results.open_cache(repo.root, results.run_key(packs, config, args.base if "base" in args else None,
                                                                config.budget, config.params))
        kept = memory.output(printed) if memory is not None and printed is not None else None
        if kept is not None:
            return kept
    engine = Engine(repo, params=config.params, scope=_scope(args, repo), budget=config.budget, blocks=blocks,
                    memory=memory, keep_loads=False)
    run = engine.run(packs)
    run.memory = memory
    if memory is not None:
        memory.repo = repo
    add_inline_waivers(run)
    run.fail_on = getattr(args, "fail_on", None) or config.fail_on or "error"
    configuration.apply(run, baseline)
    return run


def _check_params(config, packs) -> None:
    """Every overridden param exists in its pack, with a value of the default's kind."""
    from .diagnostics import Diagnostic, Span, did_you_mean
    from .errors import PolicylintError
    from .syntax import ast

    by_name = {}
    for pack in packs:
        for p in [pack] + list(pack.uses):
            by_name[p.name] = p
    problems = []
    for pack_name, overrides in config.params.items():
        span = Span(config.path, config.line_of(f"/params/{pack_name}") or 1, 1)
        pack = by_name.get(pack_name)
        if pack is None:
            problems.append(Diagnostic("PL305", f"`params.{pack_name}`: no pack `{pack_name}` in this run", span,
                                       did_you_mean(pack_name, by_name, "packs")))
            continue
        declared = {i.name: i for i in pack.ast.items if isinstance(i, ast.Param)}
        for name, value in overrides.items():
            span = Span(config.path, config.line_of(f"/params/{pack_name}/{name}") or span.line, 1)
            if name not in declared:
                problems.append(Diagnostic("PL305", f"`params.{pack_name}.{name}`: pack `{pack_name}` has no param `{name}`",
                                           span, did_you_mean(name, declared, "params")))
                continue
            expected = _param_kind(declared[name].default)
            if expected and not _kind_ok(value, expected):
                problems.append(Diagnostic("PL305", f"`params.{pack_name}.{name}`: expected {expected}, "
                                                    f"found {type(value).__name__}", span))
    if problems:
        raise PolicylintError(problems)


def _param_kind(default) -> str | None:
    from .syntax import ast

    if isinstance(default, ast.Literal):
        return {"number": "a number", "percent": "a number", "string": "a string", "bool": "a boolean",
                "date": "a date"}.get(default.kind)
    if isinstance(default, ast.Template):
        return "a string"
    if isinstance(default, ast.ListLit):
        return "a list"
    if isinstance(default, ast.Regex):
        return "a regex string"
    return None


def _kind_ok(value, expected: str) -> bool:
    import datetime

    return {"a number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "a string": isinstance(value, str), "a regex string": isinstance(value, str),
            "a boolean": isinstance(value, bool), "a list": isinstance(value, list),
            "a date": isinstance(value, (datetime.date, str))}[expected]


class Options:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class _Namespace(Options):
    """What commands use of argparse's namespace: attributes, and `name in args`."""

    def __contains__(self, key) -> bool:
        return key in self.__dict__


def _color(stream, when: str = "auto") -> bool:
    """--color always/never as said; auto: a terminal, unless NO_COLOR or TERM=dumb."""
    if when != "auto":
        return when == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


# -- commands -----------------------------------------------------------------------------
def cmd_check(args) -> int:
    import io

    outputs = getattr(args, "outputs", None) or [["text", None]]
    for fmt, _ in outputs:
        _format(fmt)
    config = _config(args)
    printed = _printed_key(args, config, outputs) if _caching(args) else None
    try:
        run = _run(args, config, _read_baseline(args, config), printed)
        if isinstance(run, tuple):  # nothing changed since the same command ran: what it printed
            _write_printed(run[0])
            return EXIT_OK if args.exit_zero else run[1]
        if args.fix or args.diff:
            fixed = _fix(args, run)
            if args.diff:
                return EXIT_OK if not fixed else 1
            if fixed:  # report what the files say now
                run = _run(args, config, _read_baseline(args, config))
    except NoPackApplies as exc:  # a new repository with no specs yet: nothing to check is no failure
        print(f"policylint: nothing to check: {exc}", file=sys.stderr)
        run = _empty_run(args)
        outputs = [(fmt, target) for fmt, target in outputs if fmt != "text" or target is not None]
    from .reporters import get

    shown = dict(root_as_given=args.root, verbose=args.verbose, quiet=args.quiet, statistics=args.statistics)
    memory = getattr(run, "memory", None)
    kept = io.BytesIO() if printed is not None and memory is not None else None  # UTF-8: a quarter of a str's size
    stdout = io.TextIOWrapper(kept, encoding="utf-8", newline="", write_through=True) if kept else sys.stdout
    for fmt, target in outputs:
        if target is None:
            options = Options(**shown, color=fmt == "text" and _color(sys.stdout, args.color))
            get(fmt)(run, stdout, options)
            continue
        options = Options(**shown, color=False)
        from .fsutil import atomic_open

        try:
            with atomic_open(target, stream_ok=True) as fh:
                get(fmt)(run, fh, options)
        except OSError as exc:
            raise UsageError(f"cannot write `{target}`: {exc.strerror}") from None
    data = kept.getbuffer() if kept is not None else None  # the bytes, not copied
    if data is not None:
        _write_printed(data)
    if memory is not None:
        memory.save((printed, data, run.exit_code()) if data is not None else None, run_inputs=_repo_inputs(run))
    return EXIT_OK if args.exit_zero else run.exit_code()


def _write_printed(data: bytes) -> None:
    """A report kept as UTF-8 bytes, to stdout: as bytes when stdout writes UTF-8 (no second
    copy as text), else as text, so it reads as a report written directly would."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if buffer is not None and (getattr(out, "encoding", "") or "").lower().replace("_", "-") in ("utf-8", "utf8"):
        out.flush()
        buffer.write(data)
        buffer.flush()
    else:
        out.write(str(data, "utf-8"))


def _printed_key(args, config, outputs):
    """What decides the bytes `check` prints besides the verdicts: every option as given, the
    baseline's content and whether colour is on; None when the run writes more than stdout
    (-o files, GitHub's job summary), which is then done every run."""
    import json

    if any(target is not None or fmt == "github" for fmt, target in outputs):
        return None  # -o files are written every run, and `github` also writes the job summary
    from .cache import hasher

    try:
        with open(_baseline_path(args, config), "rb") as fh:
            baseline = fh.read()
    except OSError:
        baseline = b""
    options = {k: v for k, v in sorted(vars(args).items()) if k not in ("func",)}
    options["color"] = _color(sys.stdout, args.color)
    return hasher(json.dumps(options, default=str, sort_keys=True).encode() + b"\0" + baseline).hexdigest()


def _repo_inputs(run):
    """What the run read outside any evaluation (packs detected, inline waivers looked for)."""
    repo = getattr(run.memory, "repo", None)
    return repo.inputs(repo.frames[0]) if repo is not None else set()


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


def _empty_run(args):
    """The report of a run that checked nothing: every format stays valid (an empty SARIF, JSON…)."""
    from .evaluate import Run

    return Run(str(_root_path(args)), [], [], [], [])


def _baseline_path(args, config, explicit=None):
    """--baseline/--output as typed (the user's choice), else the configured or default file,
    which must lie inside the root: a symlink out is refused before it is read or written (a str)."""
    from .baseline import DEFAULT_NAME
    from .diagnostics import Diagnostic, Span
    from .errors import PolicylintError
    from .fsutil import inside

    if explicit:
        return explicit
    path = os.path.join(args.root, config.baseline or DEFAULT_NAME)
    if not inside(path, args.root):
        span = Span(config.path, config.line_of("/baseline") or 1, 1) if config.baseline else None
        raise PolicylintError(Diagnostic("PL310", f"`baseline` `{config.baseline or DEFAULT_NAME}` is outside the "
                                                  "repository root", span,
                                         "name a file inside the repository; --baseline FILE on the command line "
                                         "may name any file"))
    return path


def _read_baseline(args, config):
    """(entries by fingerprint, the file as shown), or None when there is no baseline."""
    from . import baseline
    from .packs import display

    path = _baseline_path(args, config, args.baseline)
    if not os.path.isfile(path):
        if args.baseline or config.baseline:
            raise UsageError(f"baseline `{display(path)}` not found; write it with `policylint baseline`")
        return None
    shown = display(path)
    return baseline.read(path, shown), shown


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


# command -> (its one-line help, what adds its arguments, what runs it), in the order `--help` lists them
COMMANDS = {
    "check": ("evaluate every gate and report failures (exit 1 when one blocks)", _args_check, cmd_check),
    "baseline": ("record today's failures so `check` blocks only on new ones", _args_baseline, cmd_baseline),
    "status": ("each subject's claimed and earned stage, and what it lacks for the next", _args_status, cmd_status),
    "board": ("write the stage board: a self-contained HTML page (or JSON) of every subject's stage, and its history",
              _args_board, cmd_board),
    "explain": ("what a gate checks, why, and how it is written", _args_explain, cmd_explain),
    "list": ("list packs, their stages and gates", _args_list, cmd_list),
    "test": ("run packs' case folders (tests/<case>/repo + expected.yaml) and report gate coverage", _args_test,
             cmd_test),
    "new": ("scaffold a pack: `policylint new pack NAME`", _args_new, cmd_new),
    "fmt": ("rewrite policy files in the one canonical layout (--check: only show the diff)", _args_fmt, cmd_fmt),
    "validate": ("parse and check policy files without running them", _args_validate, cmd_validate),
    "inspect": ("print what a loader sees in a file, as JSON", _args_inspect, cmd_inspect),
    "lsp": ("a Language Server Protocol server over stdio, for editors (needs policylint[lsp])", lambda p: None,
            cmd_lsp),
}
