"""The command line: its entry (`main`), `check`, and what `check` shares with the other
commands. argparse only; each subcommand imports what it needs when it runs, so `policylint
--help` and a warm `check` stay fast. argparse itself is imported where a parser is built (the
annotations that name it are never evaluated): `check FILE…` without options, as pre-commit
runs it, is read without it (`_plain_check`). The parser and the other commands are in
commands.py, imported when one of them runs (its code cost `check FILE` ~2M instructions to
load); their names are reachable here too (`cli.cmd_explain`, `cli.build_parser`).

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


def _common(p, packs: bool = True) -> None:  # p: an argparse parser, or _Defaults
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


def _outputs(p) -> None:
    p.add_argument("--format", "-f", action="format", dest="outputs", metavar="FORMAT",
                   help="output format (repeatable; default text): %(formats)s")
    p.add_argument("--output", "-o", action="format", dest="outputs", metavar="FILE",
                   help="write the preceding --format to FILE instead of standard output")
    p.add_argument("--fail-on", choices=("error", "warning"), default=None,
                   help="the lowest severity that fails the run (default: error, or `fail_on` in the config)")
    p.add_argument("--exit-zero", action="store_true", help="report only: exit 0 even when gates fail")
    p.add_argument("--baseline", metavar="FILE",
                   help=f"known failures to tolerate (default: {'.policylint-baseline.json'} at the root when it exists)")


def _selection(p) -> None:
    p.add_argument("--select", action="append", default=[], metavar="GATE-GLOB",
                   help="only gates whose id matches (e.g. `speckit.implementing.*`; repeatable)")
    p.add_argument("--ignore", action="append", default=[], metavar="GATE-GLOB",
                   help="skip gates whose id matches (repeatable)")


def _args_check(p) -> None:
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
    here (fastpath.exit_now)."""
    from .fastpath import gc_paused

    with gc_paused():  # a short run that keeps what it builds: collecting would only re-walk it
        code = _main(argv)
    if argv is None:  # the process's own command: it ends here
        from .fastpath import exit_now

        exit_now(code)
    return code


def _main(argv: list | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _plain_check(argv)
    if args is None:
        from .commands import build_parser

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
            from .commands import _fix

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
    stdout = io.TextIOWrapper(kept, encoding="utf-8", newline="", write_through=True,  # as stdout writes non-UTF-8
                              errors=getattr(sys.stdout, "errors", None) or "strict") if kept else sys.stdout
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


def _empty_run(args):
    """The report of a run that checked nothing: every format stays valid (an empty SARIF, JSON…)."""
    from .evaluate import Run

    return Run(str(_root_path(args)), [], [], [], [])


def _baseline_path(args, config, explicit=None):
    """--baseline/--output as typed (the user's choice), else the configured or default file,
    which must lie inside the root: a symlink out is refused before it is read or written (a str)."""
    from .config import BASELINE_NAME as DEFAULT_NAME  # baseline.py is imported only when there is one
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
    from .packs import display

    path = _baseline_path(args, config, args.baseline)
    if not os.path.isfile(path):
        if args.baseline or config.baseline:
            raise UsageError(f"baseline `{display(path)}` not found; write it with `policylint baseline`")
        return None
    from . import baseline

    shown = display(path)
    return baseline.read(path, shown), shown


def _later(name: str):
    """A function of commands.py, imported when it is first called: `check` never loads it."""

    def call(*args):
        from . import commands

        return getattr(commands, name)(*args)

    call.__name__ = call.__qualname__ = name
    return call


def __getattr__(name: str):
    """The names commands.py holds (the parser, the other commands), as attributes of cli."""
    if name.startswith("__"):
        raise AttributeError(name)
    from . import commands

    try:
        return getattr(commands, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


# command -> (its one-line help, what adds its arguments, what runs it), in the order `--help` lists them
COMMANDS = {
    "check": ("evaluate every gate and report failures (exit 1 when one blocks)", _args_check, cmd_check),
    "baseline": ("record today's failures so `check` blocks only on new ones",
                 _later("_args_baseline"), _later("cmd_baseline")),
    "status": ("each subject's claimed and earned stage, and what it lacks for the next",
               _later("_args_status"), _later("cmd_status")),
    "board": ("write the stage board: a self-contained HTML page (or JSON) of every subject's stage, and its history",
              _later("_args_board"), _later("cmd_board")),
    "explain": ("what a gate checks, why, and how it is written", _later("_args_explain"), _later("cmd_explain")),
    "list": ("list packs, their stages and gates", _later("_args_list"), _later("cmd_list")),
    "test": ("run packs' case folders (tests/<case>/repo + expected.yaml) and report gate coverage",
             _later("_args_test"), _later("cmd_test")),
    "new": ("scaffold a pack: `policylint new pack NAME`", _later("_args_new"), _later("cmd_new")),
    "fmt": ("rewrite policy files in the one canonical layout (--check: only show the diff)",
            _later("_args_fmt"), _later("cmd_fmt")),
    "validate": ("parse and check policy files without running them", _later("_args_validate"),
                 _later("cmd_validate")),
    "inspect": ("print what a loader sees in a file, as JSON", _later("_args_inspect"), _later("cmd_inspect")),
    "lsp": ("a Language Server Protocol server over stdio, for editors (needs policylint[lsp])", lambda p: None,
            _later("cmd_lsp")),
}
