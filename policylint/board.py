"""The stage board: every subject in the column of the stage it earned, and how the stages moved.

`policylint board` builds one document, a plain dict in a fixed key order, from a run's
subjects (claimed and earned stage, what holds each back, its waivers) and, when there is a
git history, from history.py's evaluation of each commit on the first-parent line: per
lifecycle, how many subjects held each earned stage at each commit (the cumulative flow),
and per subject when it entered each stage it holds and when it moved back. `--format json`
writes that document as it is; the HTML page (board_html.py) draws it and reads nothing else.

The rows `status --format json` prints come from `status_row`, so the two commands show a
subject the same way. File links need the repository's web address: the `origin` remote
when it is a GitHub or GitLab one (credentials dropped), or `--repo-url`; they point at the
commit HEAD names, so a link shows the line the evidence was read from.
"""
from __future__ import annotations

import re
import sys

SCHEMA = 1  # the document's version: a key is added without a change, never renamed or dropped
DEFAULT_HTML = "policylint-board.html"
DEFAULT_COMMITS = 30
SINCE_LIMIT = 1000  # commits --since evaluates at most (each is a run of the packs)
GENERATOR = "policylint board"  # the page's <meta name="generator">: how a page of ours is known again


# -- the command ---------------------------------------------------------------------------
def add_arguments(p) -> None:
    """`policylint board [PATH] …`: the pack and configuration flags as `check` has them."""
    from .cli import _common, _selection

    p.add_argument("path", nargs="?", metavar="PATH", help="the repository (same as --root; default: found from here)")
    _common(p)
    _selection(p)
    p.add_argument("--format", "-f", choices=("html", "json"), default="html",
                   help="html (default): one self-contained page; json: the same figures, for charting elsewhere")
    p.add_argument("--output", "-o", metavar="FILE",
                   help=f"where to write it; `-` is standard output (default: {DEFAULT_HTML} here for html, "
                        "standard output for json)")
    history = p.add_mutually_exclusive_group()
    history.add_argument("--history", type=int, metavar="N", default=None,
                         help=f"evaluate the last N commits of the first-parent line (default: {DEFAULT_COMMITS})")
    history.add_argument("--since", metavar="DATE", help=f"evaluate the commits since DATE instead (e.g. 2026-01-01; the last {SINCE_LIMIT:,} at most)")
    history.add_argument("--no-history", action="store_true", help="only the board: evaluate no past commit")
    p.add_argument("--repo-url", metavar="URL",
                   help="the repository's web address for file links (default: the `origin` remote when it is on "
                        "GitHub or GitLab), e.g. https://github.com/owner/repo")


def run(args) -> int:
    """Write the board; 0 unless the command could not do its job (failing gates are what it shows)."""
    from .cli import UsageError, _root_path, _run_kept

    if getattr(args, "path", None) is not None:
        args.root = args.path
    root = _root_path(args)
    if args.history is not None and args.history < 1:
        raise UsageError(f"--history {args.history}: give a number of commits, at least 1")
    if args.repo_url is not None and not re.match(r"https?://[^/\s]+", args.repo_url):
        raise UsageError(f"--repo-url `{args.repo_url}` is not a web address; expected e.g. https://github.com/owner/repo")
    target = _target(args)
    result = _run_kept(args)
    facts = git_facts(root)
    points = None
    asked = args.history is not None or args.since is not None
    if not args.no_history:
        if facts is None:
            if asked:
                raise UsageError(f"{'--since' if args.since else '--history'}: `{args.root}` is not in a git "
                                 "repository, so it has no history to evaluate; leave the flag out")
            print(f"policylint: note: `{args.root}` is not in a git repository: the board has no history",
                  file=sys.stderr)
        elif facts["head"] is None:
            print("policylint: note: the repository has no commit yet: the board has no history", file=sys.stderr)
        else:
            from .history import history

            commits = args.history or (SINCE_LIMIT if args.since else DEFAULT_COMMITS)
            points = history(root, args, commits=commits, since=args.since, cache=not args.no_cache)
    base = args.repo_url.rstrip("/") if args.repo_url else (web_url(facts["origin"]) if facts else None)
    doc = build(result, points, root_as_given=args.root, repo_url=base,
                commit=facts["head"] if facts else None, prefix=facts["prefix"] if facts else "")
    text = to_json(doc) if args.format == "json" else _html(doc)
    _write(text, target)
    if target is not None:
        counts = f"{len(doc['subjects'])} subject{'s' if len(doc['subjects']) != 1 else ''}"
        if points is not None:
            counts += f", {len(points)} commit{'s' if len(points) != 1 else ''}"
        print(f"wrote {target} ({counts})", file=sys.stderr)
    return 0


def _html(doc) -> str:
    from .board_html import render

    return render(doc)


def _target(args):
    """The file to write, or None for standard output. The default page is replaced only when it
    is one this command wrote (its generator says so): a file the user keeps there is refused."""
    from .cli import UsageError

    if args.output == "-" or (args.output is None and args.format == "json"):
        return None
    if args.output is not None:
        return args.output
    import os

    if os.path.lexists(DEFAULT_HTML) and not _ours(DEFAULT_HTML):
        raise UsageError(f"`{DEFAULT_HTML}` exists and is not a board policylint wrote; nothing was written: "
                         "name the page with -o FILE (or -o - for standard output)")
    return DEFAULT_HTML


def _ours(path) -> bool:
    from .repo import read_regular

    try:
        head = read_regular(path)[:512]
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">'.encode() in head


def _write(text: str, target) -> None:
    from .cli import UsageError

    if target is None:
        sys.stdout.write(text)
        return
    from .fsutil import atomic_open

    try:
        with atomic_open(target, stream_ok=True) as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write `{target}`: {exc.strerror}") from None


def to_json(doc) -> str:
    import json

    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- git: where the files are on the web -----------------------------------------------------
def git_facts(root):
    """{"head": sha or None, "prefix": the root's path in the repository ("" or "dir/"),
    "origin": the origin remote's URL or None}, or None when `root` is in no git repository
    (or git is missing or refuses it)."""
    from . import gitrun

    executable = gitrun.find_git()
    if executable is None:
        return None
    env = gitrun.environment(GIT_OPTIONAL_LOCKS="0")

    def ask(*argv):
        try:
            code, out, _ = gitrun.run_git(executable, str(root), argv, env=env, timeout=30)
        except gitrun.GitFailure:
            return None
        return out.decode("utf-8", "replace").strip() if code == 0 else None

    prefix = ask("rev-parse", "--show-prefix")
    if prefix is None:
        return None
    return {"head": ask("rev-parse", "-q", "--verify", "HEAD^{commit}") or None, "prefix": prefix,
            "origin": ask("config", "--get", "remote.origin.url") or None}


_SCP = re.compile(r"(?:[^@/\s]+@)?([A-Za-z0-9.-]+):(?!//)/?(.+)")
_PATH = re.compile(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)+")


def web_url(remote) -> str | None:
    """The https address of a GitHub or GitLab remote (`git@github.com:o/r.git`,
    `ssh://git@gitlab.example.com:2222/g/sub/r.git`, `https://user:token@github.com/o/r`),
    without credentials or `.git`; None for any other remote (a path, another forge)."""
    if not remote:
        return None
    remote = remote.strip()
    if "://" in remote:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(remote)
            host, port = parts.hostname, parts.port
        except ValueError:
            return None
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh", "ssh+git"):
            return None
        path = parts.path
        keep_port = parts.scheme in ("https", "http") and port not in (None, 80, 443)
        host = f"{host}:{port}" if host and keep_port else host
    else:
        match = _SCP.fullmatch(remote)
        if match is None:
            return None
        host, path = match.groups()
    path = path.strip("/")
    path = path[:-4] if path.endswith(".git") else path
    if not host or not ("github" in host.lower() or "gitlab" in host.lower()) or not _PATH.fullmatch(path):
        return None
    return f"https://{host.lower()}/{path}"


def file_url(base, commit, prefix: str, path, line=None, folder: bool = False) -> str | None:
    """The web address of `path` (relative to the root) at `commit`, at `line`; None without a
    base or for a path outside the root."""
    if not base or not path or path.startswith(("/", "../")) or path == ".." or "\\" in path:
        return None
    from urllib.parse import quote

    kind = "tree" if folder else "blob"
    if "gitlab" in base.split("/")[2].lower():
        kind = "-/" + kind
    anchor = f"#L{line}" if line and not folder else ""
    return f"{base}/{kind}/{commit or 'HEAD'}/{quote(prefix + path.rstrip('/'))}{anchor}"


# -- the document ----------------------------------------------------------------------------
def evidence_line(ev) -> str:
    """`path:line: message`, as the text report shows a finding."""
    where = f"{ev.path}:{ev.line}" if ev.line else ev.path
    return f"{where}: {ev.message}" if ev.message else where


def lack(result) -> dict:
    """A result that holds a subject back, as `status --format json` prints it."""
    from .reporters.json import evidence

    return {"gate": result.gate, "status": result.status, "message": result.message,
            "evidence": [evidence(e) for e in result.evidence]}


def status_row(subject) -> dict:
    """A subject as `status --format json` prints it."""
    return {"id": subject.id, "lifecycle": subject.lifecycle, "claimed": subject.claimed, "earned": subject.earned,
            "next": subject.next_stage, "lacks": [lack(r) for r in subject.lacks]}


def lifecycles(run) -> list:
    """[{"id", "pack", "title", "stages"}] for every lifecycle the run's packs declare, in the
    order they run (gates.plan): a lifecycle no subject is in yet still has its columns."""
    from .gates import plan
    from .syntax import ast

    out = []
    for lifecycle_id, parts in plan(run.loaded_packs).parts.items():
        own = next((p for p in parts if isinstance(p.node, ast.Lifecycle)), None)
        if own is None:  # an extension of a lifecycle that is not in this run
            continue
        out.append({"id": lifecycle_id, "pack": own.pack.name, "title": own.pack.ast.title or own.pack.name,
                    "stages": [s.name for s in own.node.stages]})
    known = {lc["id"] for lc in out}
    for s in run.subjects:  # a run restored without its packs: the stages each subject carries
        if s.lifecycle not in known:
            known.add(s.lifecycle)
            out.append({"id": s.lifecycle, "pack": s.lifecycle.split(".")[0], "title": s.lifecycle.split(".")[0],
                        "stages": list(s.stages)})
    return out


def build(run, points=None, *, root_as_given: str = ".", repo_url=None, commit=None, prefix: str = "") -> dict:
    """The board document of `run`, with the history of `points` (history.Point, oldest first)
    when given."""
    from . import __version__
    from .reporters.json import waiver

    order = {lc["id"]: lc["stages"] for lc in lifecycles(run)}
    waived: dict = {}
    for r in run.results:
        if r.status == "waived" and r.subject is not None:
            waived.setdefault((r.lifecycle, r.subject), []).append(r)
    timelines = subject_histories(points, order) if points is not None else {}

    def link(path, line=None, folder=False):
        return file_url(repo_url, commit, prefix, path, line, folder)

    subjects = []
    for s in run.subjects:
        stages = order.get(s.lifecycle, s.stages)
        row = status_row(s)
        subjects.append({
            "id": row["id"], "lifecycle": row["lifecycle"], "pack": s.lifecycle.split(".")[0],
            "claimed": row["claimed"], "claimed_at": s.claimed_at, "claimed_url": _located_url(s.claimed_at, link),
            "claim": claim_relation(s.claimed, s.earned, stages), "earned": row["earned"], "next": row["next"],
            "url": link(s.id, folder=True),
            "lacks": [{"gate": r.gate, "title": r.title, "status": r.status, "severity": r.severity,
                       "message": shown["message"],
                       "first": evidence_line(r.evidence[0]) if r.evidence else r.message,
                       "evidence": [dict(e, url=link(e["path"], e["line"])) for e in shown["evidence"]]}
                      for r, shown in zip(s.lacks, row["lacks"])],
            "waivers": [{"gate": r.gate, "title": r.title, **(waiver(r.waiver) or {})}
                        for r in waived.get((s.lifecycle, s.id), [])],
            "history": timelines.get((s.lifecycle, s.id)),
        })
    repository = [{"gate": r.gate, "title": r.title, "status": r.status, "severity": r.severity,
                   "message": r.message, "first": evidence_line(r.evidence[0]) if r.evidence else r.message,
                   "url": link(r.evidence[0].path, r.evidence[0].line) if r.evidence else None}
                  for r in run.results if r.subject is None and r.status in ("fail", "error")]
    return {
        "policylint": __version__,
        "board": SCHEMA,
        "root": root_as_given,
        "commit": commit,
        "repo_url": repo_url,
        "packs": list(run.packs),
        "lifecycles": [dict(lc, counts=_counts(lc, run.subjects)) for lc in lifecycles(run)],
        "subjects": subjects,
        "repository": repository,
        "history": history_section(points, order) if points is not None else None,
    }


def _located_url(located, link):
    """The link of a `path:line` the engine wrote (a claim's place)."""
    if not located:
        return None
    path, _, line = located.rpartition(":")
    return link(path, int(line)) if path and line.isdigit() else link(located)


def claim_relation(claimed, earned, stages) -> str:
    """`ahead` (the claim outruns the evidence), `behind` (the files earned more than the claim
    says), `same`, or `none` (the subject claims no stage)."""
    if claimed is None:
        return "none"
    have = stages.index(earned) if earned in stages else -1
    said = stages.index(claimed) if claimed in stages else -1
    return "ahead" if said > have else "behind" if said < have else "same"


def _counts(lifecycle: dict, subjects) -> dict:
    """Subjects per earned stage now, in stage order, as a row of the flow."""
    return _tally([s.earned for s in subjects if s.lifecycle == lifecycle["id"]], lifecycle["stages"])


def _tally(earned, stages) -> dict:
    """{"no_stage": subjects that earned no stage, "earned": stage -> subjects} (stage order)."""
    counts = {stage: 0 for stage in stages}
    none = 0
    for stage in earned:
        if stage in counts:
            counts[stage] += 1
        else:
            none += 1
    return {"no_stage": none, "earned": counts}


# -- the history -----------------------------------------------------------------------------
def history_section(points, order: dict) -> dict:
    """The commits evaluated, and per lifecycle the cumulative flow: at each commit, how many
    subjects had earned each stage (`no_stage`: subjects that earned none)."""
    commits = [{"commit": p.commit, "short": p.short, "date": p.date, "title": p.title} for p in points]
    flow = {}
    for lifecycle_id, stages in order.items():
        rows = []
        for p in points:
            rows.append({"commit": p.commit, **_tally(p.earned.get(lifecycle_id, {}).values(), stages)})
        flow[lifecycle_id] = rows
    return {"commits": commits, "flow": flow}


def subject_histories(points, order: dict) -> dict:
    """(lifecycle id, subject id) -> {"entered": stage -> the commit it entered that stage (the
    last time, for a stage it lost and regained), for the stages it holds at the last commit;
    "moves": every change of its earned stage, oldest first, each `forward`, `back` or
    `appeared`/`gone`}."""
    out: dict = {}
    held: dict = {}  # key -> its earned stage's index at the previous commit (-1: none)
    for p in points:
        stamp = {"commit": p.commit, "short": p.short, "date": p.date}
        present = set()
        for lifecycle_id, stages in order.items():
            for sid, stage in sorted(p.earned.get(lifecycle_id, {}).items()):
                key = (lifecycle_id, sid)
                present.add(key)
                now = stages.index(stage) if stage in stages else -1
                entry = out.setdefault(key, {"entered": {}, "moves": []})
                if key not in held:
                    entry["moves"].append(dict(stamp, kind="appeared", **{"from": None, "to": stage}))
                    was = -1
                else:
                    was = held[key]
                    if now != was:
                        entry["moves"].append(dict(stamp, kind="forward" if now > was else "back",
                                                   **{"from": stages[was] if was >= 0 else None, "to": stage}))
                for i in range(was + 1, now + 1):
                    entry["entered"][stages[i]] = dict(stamp)
                for i in range(now + 1, len(stages)):
                    entry["entered"].pop(stages[i], None)
                held[key] = now
        for key in [k for k in held if k not in present]:
            lifecycle_id, _ = key
            was = held.pop(key)
            stages = order[lifecycle_id]
            out[key]["moves"].append(dict(stamp, kind="gone", **{"from": stages[was] if was >= 0 else None, "to": None}))
            out[key]["entered"] = {}
    return {key: {"entered": {s: e["entered"][s] for s in order[key[0]] if s in e["entered"]}, "moves": e["moves"]}
            for key, e in out.items()}
