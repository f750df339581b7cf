"""The packs evaluated at each commit of the history: what `policylint board --history` charts.

`history(root, args)` walks the first-parent line that ends at HEAD (the last `commits`
commits, or those since a date), oldest first, and evaluates the packs at each commit from
git's objects (gittree.GitTreeRepo): nothing is checked out, the work tree is never read or
written, and an uncommitted edit shows in no point.

Which packs and which configuration: **today's**, as `check` loads them from the work tree
(`--pack`, `--config`, the configuration's `packs:`, `params`, `severity`, waivers, `budget`;
the built-in packs whose layout the work tree has), applied to each commit's files. So the
chart compares like with like: a spec moves between stages because its files changed, never
because a gate was added or a threshold raised since. Waivers from the configuration apply
as in `check` (an expired one, expired as of today); inline waiver comments are read from
each commit's own files. `--base` plays no part (each commit is judged alone).

Each commit's Point (claimed and earned stage per subject) is immutable for a given run key
(results.run_key: policylint's version, the packs, the configuration, params, budget; and today)
and the branch and tags the git facts see, so it is kept in the repository's results cache
(`.policylint_cache/`, cache.py's signed JSON entries) under (that key, the commit's sha): a
re-run evaluates only the commits it has not seen. An entry that is damaged, foreign or of
the wrong shape is a miss, evaluated again and rewritten; `cache=False` (`--no-cache`) reads
and writes none.
"""
from __future__ import annotations

import datetime
import json
from functools import cache

from .structs import struct

KIND = "history"  # the cache entries' kind


@struct
class Point:
    commit: str        # full sha
    short: str         # abbreviated sha (7)
    date: str          # committer date, ISO 8601 UTC ("2026-01-01T00:01:00Z")
    title: str         # first line of the commit message
    earned: dict       # lifecycle id -> {subject id -> earned stage name or None}
    claimed: dict      # lifecycle id -> {subject id -> claimed stage name or None}


def history(root, args, *, commits: int = 30, since: str | None = None, cache: bool = True) -> list:
    """Oldest first, first-parent line ending at HEAD; `args` is the argparse namespace of the
    command (packs/config/params flags as `check` takes them, see cli.py `_run`, `load_packs`,
    `_config`). Raises cli.UsageError with a clear message when root is not a git
    repository (or has no commits). With `since` (a date, `2026-01-31`, or an ISO 8601 time),
    the commits from then on, at most `commits` of them."""
    from pathlib import Path

    from .cli import UsageError

    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"--root `{root}` is not a folder")
    if type(commits) is not int or commits < 1:
        raise UsageError(f"--history takes a number of commits, 1 or more, not `{commits}`")
    cache = cache and not getattr(args, "no_cache", False)
    git = _Runner(root)
    prefix = git.prefix()
    line = git.first_parent(commits, _since(since))
    packs, config, configuration = _packs(root, args)
    store, key = _store(root, packs, config, git) if cache else (None, None)
    points, evaluator = [], None
    try:
        for sha, short, date, title in line:
            entry = _entry_key(key, sha) if store is not None else None
            point = _point(store.get(KIND, entry), sha) if store is not None else None
            if point is None:
                if evaluator is None:
                    evaluator = Evaluator(root, git, prefix, packs, config, configuration)
                point = Point(sha, short, date, title, *evaluator.evaluate(sha))
                if store is not None:
                    store.put(KIND, entry, _stored(point))
            points.append(point)
    finally:
        if evaluator is not None:
            evaluator.close()
    return points


class Evaluator:
    """Evaluates the packs at one commit after another: git's objects read once for all of them
    (one `git cat-file --batch`), packs compiled once, and a subject's verdicts carried from the
    commit evaluated before when nothing it read differs (`_Carry`)."""

    def __init__(self, root, git, prefix: str, packs, config, configuration):
        from .gittree import Objects

        self.root, self.git, self.prefix = root, git, prefix
        self.packs, self.config, self.configuration = packs, config, configuration
        self.objects = Objects(git.object_reader)
        self.carry = _Carry()
        self.compiled = False

    def evaluate(self, sha: str) -> tuple:
        """(earned, claimed) of every subject at commit `sha`, each `{lifecycle: {subject: stage}}`:
        the engine run on the commit's tree, waivers applied as `check` applies them."""
        from . import inline_waivers
        from .gittree import git_facts_at, tracking_tree_repo

        from .cli import UsageError
        from .gitrun import GitFailure

        try:  # a file git cannot give is its gate's error; a folder or commit, the history's
            repo = tracking_tree_repo(self.root, self.objects.commit_tree(sha, self.prefix), git_facts_at(sha))
            blocks, _ = inline_waivers.wire(repo, self.configuration())
            self.carry.start(repo)
            engine = _engine()(repo, params=self.config.params, budget=self.config.budget, blocks=blocks,
                               memory=self.carry, keep_loads=False)
            engine.compiled = self.compiled
            run = engine.run(self.packs)
        except GitFailure as exc:
            raise UsageError(f"cannot read commit {sha[:7]} of `{self.root}`: {exc.message}") from None
        self.compiled = True
        self.carry.end()
        earned: dict = {}
        claimed: dict = {}
        for subject in run.subjects:
            earned.setdefault(subject.lifecycle, {})[subject.id] = subject.earned
            claimed.setdefault(subject.lifecycle, {})[subject.id] = subject.claimed
        return earned, claimed

    def close(self) -> None:
        self.objects.close()


@cache
def _engine():
    """evaluate.Engine that compiles the packs only on its first commit (the closures are the
    trees', whichever run calls them); made on first use, so importing this module imports no engine."""
    from .evaluate import Engine

    class HistoryEngine(Engine):
        compiled = False

        def _compile(self, pack) -> None:
            if not self.compiled:
                super()._compile(pack)

    return HistoryEngine


# -- what is evaluated ------------------------------------------------------------------------

def _packs(root, args) -> tuple:
    """(packs, config, a maker of fresh Configurations) as `check` loads them from the work tree."""
    from . import cli
    from .configure import Configuration
    from .repo import Repo

    config = _config(root, args)
    packs = cli.load_packs(args, Repo(root), config=config)
    cli._check_params(config, packs)
    select, ignore = getattr(args, "select", None) or [], getattr(args, "ignore", None) or []
    Configuration.from_config(config, select, ignore).check_gates(packs)  # PL312 said once, before any commit
    return packs, config, lambda: Configuration.from_config(config, select, ignore)


def _config(root, args):
    from .config import load_config

    return load_config(root, getattr(args, "config", None))


# -- the cache --------------------------------------------------------------------------------

def _store(root, packs, config, git) -> tuple:
    """(the repository's results cache store or None, the key of this run's points)."""
    from . import results
    from .cache import hasher, repository_cache

    store = repository_cache(str(root), results.FOLDER)
    if store is None:
        return None, None
    results._ignore_folder(str(root.resolve() / results.FOLDER))
    from .functions.dates import current_date

    run = results.run_key(packs, config, None, config.budget, config.params)  # and the day: commits are judged as of today
    return store, hasher("\0".join((run, str(current_date()), *git.facts_key())).encode()).hexdigest()


def _entry_key(key: str, sha: str) -> str:
    from .cache import hasher

    return hasher(f"{key}\0{sha}".encode()).hexdigest()


def _stored(point: Point) -> dict:
    return {"commit": point.commit, "short": point.short, "date": point.date, "title": point.title,
            "earned": point.earned, "claimed": point.claimed}


def _point(value, sha: str):
    """The Point an entry holds, when it is one of `sha` of the right shape; else None (a miss)."""
    if not isinstance(value, dict) or value.get("commit") != sha:
        return None
    texts = [value.get(name) for name in ("short", "date", "title")]
    if not all(isinstance(text, str) for text in texts):
        return None
    stages = [value.get("earned"), value.get("claimed")]
    for by_lifecycle in stages:
        if not isinstance(by_lifecycle, dict):
            return None
        for subjects in by_lifecycle.values():
            if not isinstance(subjects, dict) or not all(
                    isinstance(stage, str) or stage is None for stage in subjects.values()):
                return None
    return Point(sha, *texts, *stages)


# -- git --------------------------------------------------------------------------------------

def _since(since):
    """`since` as git's `--since` value (seconds since the epoch, so git guesses nothing), or None."""
    if since is None:
        return None
    from .cli import UsageError

    text = str(since).strip()
    try:
        if len(text) == 10:
            moment = datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time(),
                                               datetime.timezone.utc)
        else:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise UsageError(f"--since `{since}` is not a date: write it as 2026-01-31 or 2026-01-31T12:00:00Z") from None
    return int(moment.timestamp())


class _Runner:
    """git in the root, read-only, through gitrun (as the git loader runs it)."""

    def __init__(self, root):
        from . import gitrun
        from .cli import UsageError
        from .loaders.git import GIT_CONFIG, KEPT_GIT_VARIABLES

        self.root, self.config = root, GIT_CONFIG
        self.executable = gitrun.find_git()
        if self.executable is None:
            raise UsageError("the history needs git, which is not installed (or not on PATH)")
        self.env = gitrun.environment(keep=KEPT_GIT_VARIABLES, GIT_OPTIONAL_LOCKS="0")

    def run(self, *args: str, ok=(0,)) -> tuple:
        """(exit code, stdout bytes, stderr text); UsageError when git fails or exits outside `ok`."""
        from . import gitrun
        from .cli import UsageError
        from .loaders.git import _failure

        try:
            code, out, err = gitrun.run_git(self.executable, str(self.root), args, env=self.env, config=self.config)
        except gitrun.GitFailure as exc:
            raise UsageError(f"cannot read the history of `{self.root}`: {exc.message}") from None
        err = err.decode("utf-8", "replace")
        if code not in ok:
            why = _failure(args[0], err)
            if why == "the root is not inside a git repository":
                raise UsageError(f"`{self.root}` is not inside a git repository: the history is read from "
                                 "its commits (git init, then commit)")
            raise UsageError(f"cannot read the history of `{self.root}`: {why}")
        return code, out, err

    def prefix(self) -> str:
        """The root's path inside the repository (`` at the top, `sub/dir/` below it)."""
        out = self.run("rev-parse", "--show-prefix")[1].decode("utf-8", "surrogateescape").strip()
        code = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", ok=(0, 1))[0]
        if code != 0:
            from .cli import UsageError

            raise UsageError(f"`{self.root}` is in a git repository without commits: the history needs one at least")
        return out

    def first_parent(self, count: int, since) -> list:
        """[(sha, short, committer date in UTC, title)] of the first-parent line to HEAD, oldest first."""
        args = ["log", "--first-parent", "-z", "--no-color", "--no-show-signature", "--abbrev=7",
                f"--max-count={count}", "--format=%H%x00%h%x00%ct%x00%B"]
        if since is not None:
            args.append(f"--since=@{since}")
        _, out, _ = self.run(*args, "HEAD", "--")
        fields = out.decode("utf-8", "replace").split("\0")
        if fields and fields[-1] == "":
            fields.pop()
        line = []
        for k in range(0, len(fields) - 3, 4):
            sha, short, stamp, message = fields[k:k + 4]
            date = datetime.datetime.fromtimestamp(int(stamp), datetime.timezone.utc)
            line.append((sha.lstrip("\n"), short, date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         message.strip("\n").split("\n", 1)[0].strip()))
        return line[::-1]

    def facts_key(self) -> tuple:
        """What a point's git facts rest on besides its commit: the branch checked out (or the
        CI's branch variables) and the tags."""
        import os

        from .loaders.git import BRANCH_VARIABLES

        branch = self.run("symbolic-ref", "-q", "HEAD", ok=(0, 1))[1]
        tags = self.run("for-each-ref", "--format=%(refname) %(objectname) %(*objectname)", "refs/tags")[1]
        ci = json.dumps([os.environ.get(name) for name in (*BRANCH_VARIABLES, "CI_COMMIT_TAG")])
        return branch.decode("utf-8", "replace"), tags.decode("utf-8", "replace"), ci

    def object_reader(self):
        from . import gitrun
        from .repo import MAX_FILE_BYTES

        return gitrun.ObjectReader(self.executable, str(self.root), env=self.env, config=self.config,
                                   limit=MAX_FILE_BYTES)  # a larger file is refused, its content never kept



class _Carry:
    """The engine's results memory (the interface of results.ResultsCache) across the commits
    of one history run: a subject's verdicts at the commit evaluated before are taken as they
    are when everything its evaluation read (files, folders listed, globs; git's facts never
    carry) answers the same in this commit's tree; so a commit costs the subjects it changed."""

    def __init__(self):
        self.kept: dict = {}  # entry id -> ({observation: answer}, payload), as of the last commit

    def start(self, repo) -> None:
        """Begin a commit, whose files `repo` (a tracking GitTreeRepo) reads."""
        self.repo, self.fresh = repo, {}
        self.made: dict = {}  # what the engine restored or evaluated, by entry (it notes it here)
        self.run = None  # the engine leaves its Run here

    def end(self) -> None:
        """The commit is evaluated: what it recorded is what the next one may carry."""
        self.kept = self.fresh

    def _same(self, observed: dict) -> bool:
        from .gittree import answer

        return all(answer(self.repo, what) == was for what, was in observed.items())

    # -- results.ResultsCache's interface, as evaluate.Engine uses it
    payload_later = False  # each entry's payload made as it is recorded: carried as it is

    def store_entries(self, repo) -> None:
        """Nothing to store as the evaluations end: a commit's point is kept by the history."""

    def reused(self, entry_id: str):
        kept = self.kept.get(entry_id)
        if kept is None or not self._same(kept[0]):
            return None
        self.fresh[entry_id] = kept
        return kept[1]

    def read_by(self, entry_id: str) -> tuple:
        paths = [what[1] for what in self.fresh[entry_id][0] if what[0] == "read"]
        return paths, set(paths)  # each may hold a waiver comment: the inline-waiver pass looks

    def shown(self, entry_id: str):
        """No report pieces: a history keeps verdicts, never a report."""
        return None

    def arrange(self, results: list, subjects: list):
        """Nothing kept outside the run's results (see `shown`)."""
        return None

    def record(self, entry_id: str, inputs: set, payload, made=None) -> None:
        observed = self._observed(inputs)
        if observed is not None:
            self.fresh[entry_id] = (observed, payload)

    def _observed(self, inputs: set):
        """{observation: this tree's answer}, notices aside; None when one has no answer."""
        from .gittree import answer

        observed = {}
        for what in inputs:
            if what[0] == "notice":
                continue
            observed[what] = found = answer(self.repo, what)
            if found is None:
                return None
        return observed
