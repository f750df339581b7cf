"""git: facts from the repository's history. A value, not a call: policies write `git.branch`.

```
gate branch-name "Branches are named spec-NNN-name" {
  require git.branch matches /^spec-\\d{3}-[a-z0-9-]+$/ else "branch `{git.branch}` is not spec-NNN-name"
}
gate approved-migrations "Migrations carry a human approval"
    when some f in git.changed_files: startswith(f.path, "migrations/") {
  require some c in git.commits: count(c.trailer["Approved-by"]) > 0
}
```

Fields of `Git`:

- `repository`: the root is inside a git repository. Outside one every other fact but `base`
  is an error (`the root is not inside a git repository`), so a gate of a pack that also runs
  on plain folders says `when git.repository`.
- `branch`: the checked-out branch (`feature/login`). On a detached HEAD, which is how CI
  checks out a pull request, it is read from the CI's documented variables, the first
  that is set: `GITHUB_HEAD_REF` (GitHub Actions, pull request events: the source branch),
  `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME` (GitLab merge request pipelines), then
  `CI_COMMIT_REF_NAME` (GitLab, when `CI_COMMIT_TAG` is not set). Null when HEAD is detached
  and none is set. `branch_source` says where it came from: `HEAD`, the variable's name, or null.
- `detached`: HEAD is detached (not on a branch).
- `head`: the sha of the commit checked out; null in a repository without commits.
- `base`: `--base REV` as given on the command line (what a pull request merges into,
  `origin/main`), or null.
- `merge_base`: the sha of the merge-base of `base` and HEAD, where the branch left `base`.
- `changed_files`: the files the branch changed since the merge-base, as a pull request
  shows them (three dots: `git diff base...HEAD`), renames detected (`-M`): `path` (the new
  path), `status` (`A` added, `M` modified, `D` deleted, `R` renamed, `C` copied, `T` type
  changed), `old_path` (renames and copies, else null), `similarity` (percent, for renames
  and copies, else null). Each is located at the file itself; paths are relative to the
  `--root`, and when the root is a folder inside the repository, only files under it count.
  Committed changes only: what is not committed is not in a pull request. `added_lines`: the
  lines the branch added to the file (`git diff -U0`), each a `Line` (`text`, `number`)
  located at its line in the new file, so `every l in f.added_lines: …` points at
  `src/config.py:42`; empty for a deleted or binary file.
- `commits`: the commits since the base (`git log base..HEAD`), oldest first as a pull
  request lists them (a merge-base must exist: in a shallow clone without one, `base..HEAD`
  would stop at the clone's edge without a word, so that is an error too): `sha`, `short` (git's abbreviation), `subject`, `body` (the message
  after the subject line, trailers included, as git's `%b`), `message` (all of it),
  `author`, `email`, `date` (the author date, in the author's time zone), `parents` (shas;
  two or more for a merge), `merge`, `trailers` and `trailer`; `position` (1 for the oldest,
  so `a.position <= b.position` reads "a came no later than b") and `files`, the files that
  commit changed against its parent (`git log --name-status -M`, read for all commits at once
  on first use): `path`, `status`, `old_path`, each located at its path — none for a merge,
  and under a `--root` inside the repository only the files below it. With them a policy can
  ask in which order things changed: "the spec changes before the code".
- `tags`: every tag, in version order (git's `v:refname`: v1.9 before v1.10): `name`,
  `text` (the same), `sha` (the commit it points to, through an annotated tag), `date` (the
  tagger's date for an annotated tag, the commit's for a lightweight one), `annotated`.
- `branches`: the local branches and the remote-tracking ones (`origin/spec-004-search`),
  by name, without symbolic refs such as `origin/HEAD`: `name` (as git shortens it), `remote`
  (`origin` for a remote-tracking branch, else null), `short_name` (the name without the
  remote: `spec-004-search`), `sha` (its tip), `date` (the tip's commit date), `current` (the
  branch checked out) and `merged` (its tip is contained in `--base`, or in HEAD when no base
  is given: `git branch --merged`). Each is located at `branch <name>`.
- `latest_tag`: the nearest tag reachable from HEAD (`git describe --tags --abbrev=0`: on a
  release branch, the release it builds on; a tag on another branch does not count), or null
  when no tag is reachable. The highest version among all tags is `last(git.tags)`.

Trailers are git's own (the `Key: value` lines of the message's last paragraph, as
`git interpret-trailers --parse` finds them, folded lines unfolded): `trailers` is the
list of `{key, value}` in order, `trailer` maps a key to its values, keys matched without
case: `c.trailer["Approved-by"]` is `["Alice <a@example.com>"]`, or an empty list.

Only `branch` is read eagerly (one `git` call); everything else runs git on first read, so
a policy that reads `git.branch` needs no `--base`. Reading `merge_base`, `changed_files`
or `commits` without `--base` is an error that says so, never an empty list.

Where facts are located. A changed file is located at its path. A commit has no file: it is
located at `commit <short sha>` with no line, so the text report reads
`commit 1a2b3c4  <message>` and JSON has `"path": "commit 1a2b3c4", "line": null`. That path
is not a file: a reporter that needs one (SARIF, annotations) should treat a path starting
with `commit ` as having no file location, so messages should name the commit themselves
(`else "{c.short}: {c.subject}"`). A tag is located at `tag <name>`; the branch and the other
facts at `git`. Errors are reported against `git`.

Errors (the gate is an error, `policylint inspect` exits 2): git not installed; the root not
inside a git repository, or a repository git refuses (another user's, without
`safe.directory`); a `--base` git cannot resolve; no merge-base between the base and HEAD
(in a shallow clone this says to fetch the history: `fetch-depth: 0` for actions/checkout);
HEAD without commits; a partial clone without an object git needs (policylint fetches
nothing); git failing, taking more than `GIT_TIMEOUT` seconds or printing more than 128 MB.

How git runs (policylint/gitrun.py): a fixed argument list, never a shell; `git --no-pager
-C <root>` with `core.quotepath=off` and NUL-separated output; hooks, the fsmonitor, credential
helpers and `core.sshCommand` set off on the command line, which the repository's own
`.git/config` cannot undo; `--no-ext-diff --no-textconv` on every diff and log; no transport
allowed, so nothing is fetched (a partial clone's missing objects are an error, not a
download); the environment without the `GIT_*` variables that could point it at another
repository, index or object store (only `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM` and
`GIT_CONFIG_NOSYSTEM` are kept: your own configuration, and `safe.directory` in it, still
counts), prompts off, messages in English; each command stopped after `GIT_TIMEOUT` seconds
or 128 MB of output. No command writes to the repository or reaches the network.
"""
from __future__ import annotations

import datetime
import os
from functools import partial

from .. import gitrun
from ..errors import ArtifactError
from ..signature import loader
from ..types import BOOL, DATE, NUMBER, STR, ANY, List, record
from ..values import Lazy, Loc, LStr, Record
from .files import LINE

GIT_TIMEOUT = 60  # seconds for one git command
ERROR_PATH = "git"  # what errors and repository-wide facts are located at
NOT_A_REPOSITORY = "the root is not inside a git repository"
BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME")
# What git says when a partial clone lacks an object it would fetch, and gitrun allows no fetch.
PARTIAL_CLONE_SIGNS = ("lazy fetching disabled", "from promisor remote", "fatal: transport '")
KEPT_GIT_VARIABLES = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM")
# Configuration that would change what the commands print (gitrun adds what would run programs).
GIT_CONFIG = (
    "core.quotepath=off", "log.showSignature=false", "color.ui=never",
    "i18n.logOutputEncoding=UTF-8", "trailer.separators=:",
)

TRAILER = record("Trailer", "A `Key: value` trailer of a commit message.", {
    "key": (STR, "the key as written: `Approved-by`"),
    "value": (STR, "the value, folded lines joined"),
})
COMMIT_FILE = record("CommitFile", "A file one commit changed.", {
    "path": (STR, "the path (the new one for a rename)"),
    "status": (STR, "A, M, D, R, C or T"),
    "old_path": (STR, "the path before a rename or copy, else null"),
})
COMMIT = record("Commit", "A commit since the base.", {
    "sha": (STR, "the full sha"),
    "short": (STR, "the abbreviated sha git shows"),
    "subject": (STR, "the first line of the message"),
    "body": (STR, "the message after the subject, trailers included"),
    "message": (STR, "the whole message"),
    "author": (STR, "the author's name"),
    "email": (STR, "the author's email"),
    "date": (DATE, "the author date"),
    "parents": (List(STR), "the parents' shas (two or more for a merge)"),
    "merge": (BOOL, "a merge commit (two or more parents)"),
    "trailers": (List(TRAILER), "the message's trailers, in order"),
    "trailer": (ANY, "trailer values by key, keys without case: `c.trailer[\"Approved-by\"]`"),
    "position": (NUMBER, "1 for the oldest commit since the base, 2 for the next, …"),
    "files": (List(COMMIT_FILE), "the files this commit changed against its parent (none for a merge)"),
})
CHANGED_FILE = record("ChangedFile", "A file the branch changed since the merge-base.", {
    "path": (STR, "the path (the new one for a rename)"),
    "status": (STR, "A, M, D, R, C or T"),
    "old_path": (STR, "the path before a rename or copy, else null"),
    "similarity": (NUMBER, "percent similarity of a rename or copy, else null"),
    "added_lines": (List(LINE), "the lines the branch added, each at its line in the new file"),
})
BRANCH = record("Branch", "A local or remote-tracking branch.", {
    "name": (STR, "the branch's short name: `spec-004-search`, `origin/spec-004-search`"),
    "remote": (STR, "the remote of a remote-tracking branch (`origin`), else null"),
    "short_name": (STR, "the name without its remote"),
    "sha": (STR, "the sha of its tip"),
    "date": (DATE, "the tip's commit date"),
    "current": (BOOL, "the branch checked out"),
    "merged": (BOOL, "its tip is contained in --base (or HEAD without --base)"),
})
TAG = record("Tag", "A tag.", {
    "name": (STR, "the tag's name: `v1.2.0`"),
    "text": (STR, "the same as name"),
    "sha": (STR, "the commit it points to"),
    "date": (DATE, "the tagger date (annotated) or the commit date (lightweight)"),
    "annotated": (BOOL, "an annotated tag"),
    "commits": (List(COMMIT), "the commits since the release tag before it (the highest `[v]X.Y.Z` tag of a lower "
                              "version and no pre-release), oldest first; every commit it reaches when there is none"),
})
GIT = record("Git", "Facts from git: branch, base, changed files, commits, tags.", {
    "repository": (BOOL, "the root is inside a git repository (every other fact is an error when not)"),
    "branch": (STR, "the branch checked out (or named by CI on a detached HEAD), or null"),
    "branch_source": (STR, "HEAD, or the CI variable the branch was read from, or null"),
    "detached": (BOOL, "HEAD is detached"),
    "head": (STR, "the sha of HEAD, or null without commits"),
    "base": (STR, "--base REV as given, or null"),
    "merge_base": (STR, "the sha of the merge-base of base and HEAD (needs --base)"),
    "changed_files": (List(CHANGED_FILE), "files changed since the merge-base (needs --base)"),
    "commits": (List(COMMIT), "commits since the base, oldest first (needs --base)"),
    "tags": (List(TAG), "every tag, in version order"),
    "branches": (List(BRANCH), "local and remote-tracking branches"),
    "latest_tag": (TAG, "the nearest tag reachable from HEAD, or null"),
})


@loader("git", {}, GIT, doc="Facts from git: branch, base, changed files since the merge-base, "
                            "commits (subject, body, trailers), tags.", value=True)
def load_git(repo):
    return repo.memo(("git",), partial(_load, repo))


# -- running git -------------------------------------------------------------------------

class _Git:
    """Runs read-only git commands in the repository root, through gitrun.run_git."""

    def __init__(self, root):
        self.root = str(root)
        self.executable = gitrun.find_git()
        self.env = gitrun.environment(keep=KEPT_GIT_VARIABLES, GIT_OPTIONAL_LOCKS="0")

    def run(self, *args: str, ok=(0,)) -> tuple:
        """(exit code, stdout, stderr) of `git args`; an exit code outside `ok` is an error."""
        if self.executable is None:
            raise ArtifactError(ERROR_PATH, "git is not installed (or not on PATH): the `git` facts need it")
        try:
            code, out, err = gitrun.run_git(self.executable, self.root, args, env=self.env, config=GIT_CONFIG,
                                            timeout=GIT_TIMEOUT)
        except gitrun.GitFailure as exc:
            raise ArtifactError(ERROR_PATH, exc.message) from None
        out = out.decode("utf-8", errors="replace")
        err = err.decode("utf-8", errors="replace")
        if code not in ok:
            raise ArtifactError(ERROR_PATH, _failure(args[0], err))
        return code, out, err


def _failure(command: str, stderr: str) -> str:
    """A git error as one line, with what to do about the common ones."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "no message"
    for prefix in ("fatal: ", "error: "):
        first = first.removeprefix(prefix)
    if first.startswith("not a git repository"):
        return NOT_A_REPOSITORY
    if any(sign in line for line in lines for sign in PARTIAL_CLONE_SIGNS):
        return (f"`git {command}` needs objects this partial clone does not have, and policylint fetches "
                "nothing: clone without `--filter` (actions/checkout: no `filter`)")
    if first.startswith("detected dubious ownership"):
        hint = next((line for line in lines if "safe.directory" in line), "")
        return (f"git refuses the repository: {first}" +
                (f"; allow it with `{hint}`" if hint.startswith("git config") else
                 "; allow it with `git config --global --add safe.directory <path>`"))
    return f"`git {command}` failed: {first}"


# -- the record --------------------------------------------------------------------------

def _load(repo, git=None) -> Record:
    """The record; `git` runs the commands (history.py passes one that answers for a past commit)."""
    git = git or _Git(repo.real_root)
    loc = Loc(ERROR_PATH)
    try:
        code, out, _ = git.run("symbolic-ref", "-q", "--short", "HEAD", ok=(0, 1))
    except ArtifactError as exc:
        if exc.message != NOT_A_REPOSITORY:
            raise
        return _outside_a_repository(loc, exc, repo.base)
    detached = code == 1
    branch, source = (out.strip(), "HEAD") if not detached else _ci_branch()
    base = repo.base
    facts = _Facts(repo, git, base)
    return Record("Git", loc,
                  repository=True,
                  branch=LStr(branch, loc) if branch else None,
                  branch_source=LStr(source, loc) if source else None,
                  detached=detached,
                  head=Lazy(facts.head),
                  base=LStr(base, loc) if base is not None else None,
                  merge_base=Lazy(lambda: facts.merge_base("git.merge_base")),
                  changed_files=Lazy(facts.changed_files),
                  commits=Lazy(facts.commits),
                  tags=Lazy(facts.tags),
                  branches=Lazy(facts.branches),
                  latest_tag=Lazy(facts.latest_tag))


def _outside_a_repository(loc: Loc, error: ArtifactError, base) -> Record:
    """`repository` is false, so `when git.repository` can skip a gate; `base` is what the
    command line said; any other fact is the error."""
    def fail():
        raise error

    facts = {name: Lazy(fail) for name in GIT.fields if name not in ("repository", "base")}
    return Record("Git", loc, repository=False, base=LStr(base, loc) if base is not None else None, **facts)


def _ci_branch() -> tuple:
    """(branch, variable) from the CI's variables on a detached HEAD, or (None, None)."""
    for name in BRANCH_VARIABLES:
        value = os.environ.get(name, "").strip()
        if not value:
            continue
        if name == "CI_COMMIT_REF_NAME" and os.environ.get("CI_COMMIT_TAG"):
            continue  # a GitLab tag pipeline: the ref is a tag, not a branch
        return value, name
    return None, None


class _Facts:
    """The facts that need more git calls, each computed once (errors too) through repo.memo."""

    def __init__(self, repo, git: _Git, base: str | None):
        self.repo, self.git, self.base = repo, git, base

    def _once(self, name: str, compute):
        return self.repo.memo(("git", name), compute)

    def head(self):
        return self._once("head", self._head)

    def _head(self):
        code, out, _ = self.git.run("rev-parse", "-q", "--verify", "HEAD^{commit}", ok=(0, 1))
        return LStr(out.strip(), Loc(ERROR_PATH)) if code == 0 else None

    def _need_head(self, field: str) -> str:
        head = self.head()
        if head is None:
            raise ArtifactError(ERROR_PATH, f"`{field}` needs a commit: HEAD has no commits yet")
        return head

    def _base_sha(self, field: str) -> str:
        if self.base is None:
            raise ArtifactError(ERROR_PATH, f"`{field}` needs --base REV: the revision the pull request "
                                            f"merges into, e.g. --base origin/main")
        return self._once("base", self._resolve_base)

    def _resolve_base(self) -> str:
        base = self.base
        if not base.strip() or base.startswith("-") or any(ch in base for ch in "\0\n"):
            raise ArtifactError(ERROR_PATH, f"--base `{base}` is not a revision")
        code, out, _ = self.git.run("rev-parse", "-q", "--verify", f"{base}^{{commit}}", ok=(0, 1))
        if code != 0:
            shallow = self._shallow()
            raise ArtifactError(ERROR_PATH, f"unknown --base revision `{base}`: git cannot find it here" + (
                "; this is a shallow clone: fetch the base too (actions/checkout: `fetch-depth: 0`)"
                if shallow else "; fetch it first (e.g. `git fetch origin main`)"))
        return out.strip()

    def _shallow(self) -> bool:
        return self._once("shallow", lambda: self.git.run(
            "rev-parse", "--is-shallow-repository")[1].strip() == "true")

    def merge_base(self, field: str) -> str:
        base_sha = self._base_sha(field)
        self._need_head(field)
        return self._once("merge_base", partial(self._merge_base, base_sha))

    def _merge_base(self, base_sha: str):
        code, out, _ = self.git.run("merge-base", base_sha, "HEAD", ok=(0, 1))
        if code == 0 and out.strip():
            return LStr(out.split()[0], Loc(ERROR_PATH))
        if self._shallow():
            raise ArtifactError(ERROR_PATH, f"no merge-base between --base `{self.base}` and HEAD: this is a "
                                            "shallow clone without the history that joins them; fetch it "
                                            "(actions/checkout: `fetch-depth: 0`, or `git fetch --unshallow`)")
        raise ArtifactError(ERROR_PATH, f"no merge-base between --base `{self.base}` and HEAD: "
                                        "they share no history")

    # -- changed files -------------------------------------------------------------------------
    def changed_files(self):
        merge_base = self.merge_base("git.changed_files")
        return self._once("changed_files", partial(self._changed_files, merge_base))

    def _changed_files(self, merge_base: str) -> list:
        _, out, _ = self.git.run("diff", "--name-status", "-z", "-M", "--no-ext-diff", "--no-textconv",
                                 "--relative", "--no-color", merge_base, "HEAD", "--")
        fields = out.split("\0")
        if fields and fields[-1] == "":
            fields.pop()
        files = []
        i = 0
        while i < len(fields):
            status = fields[i]
            letter = status[:1]
            if letter in ("R", "C"):
                if i + 2 >= len(fields):
                    raise ArtifactError(ERROR_PATH, f"cannot read `git diff` output near `{status}`")
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                similarity = int(status[1:]) if status[1:].isdigit() else None
            else:
                if i + 1 >= len(fields) or not letter:
                    raise ArtifactError(ERROR_PATH, f"cannot read `git diff` output near `{status}`")
                old, new = None, fields[i + 1]
                i += 2
                similarity = None
            loc = Loc(new)
            files.append(Record("ChangedFile", loc, path=LStr(new, loc), status=LStr(letter, loc),
                                old_path=LStr(old, Loc(old)) if old is not None else None,
                                similarity=similarity,
                                added_lines=Lazy(partial(self.added_lines, merge_base, new))))
        return files

    def added_lines(self, merge_base: str, path: str) -> list:
        return self._once("added_lines", partial(self._added_lines, merge_base)).get(path, [])

    def _added_lines(self, merge_base: str) -> dict:
        """path -> the Lines the branch added to it, from one `git diff -U0` of every file."""
        _, out, _ = self.git.run("diff", "-U0", "-M", "--no-ext-diff", "--no-textconv", "--relative",
                                 "--no-color", "--src-prefix=a/", "--dst-prefix=b/", merge_base, "HEAD", "--")
        added: dict = {}
        path = None
        number = 0
        in_hunk = False
        for raw in out.split("\n"):
            if raw.startswith("diff --git "):
                path, in_hunk = None, False
            elif not in_hunk and raw.startswith("+++ "):
                target = raw[4:].removesuffix("\t")  # git ends a name holding a space with a tab
                path = (_unquote('"' + target[3:]) if target.startswith('"b/') else
                        target[2:] if target.startswith("b/") else None)  # /dev/null: deleted
            elif raw.startswith("@@ "):
                in_hunk = True
                number = int(raw.split(" ")[2][1:].split(",")[0])  # +start[,count]
            elif in_hunk and raw.startswith("+") and path is not None:
                loc = Loc(path, number)
                added.setdefault(path, []).append(Record("Line", loc, text=LStr(raw[1:].rstrip("\r"), loc),
                                                         number=number, in_code=False, in_comment=False))
                number += 1
        return added

    # -- branches --------------------------------------------------------------------------------
    def branches(self):
        return self._once("branches", self._branches)

    def _branches(self) -> list:
        if self.head() is None:
            return []
        merged_into = self._base_sha("git.branches") if self.base is not None else "HEAD"
        _, merged_out, _ = self.git.run("for-each-ref", f"--merged={merged_into}", "--format=%(refname)",
                                        "refs/heads", "refs/remotes")
        merged = set(merged_out.splitlines())
        _, out, _ = self.git.run(
            "for-each-ref", "--sort=refname",
            "--format=%(refname)%00%(refname:short)%00%(symref)%00%(objectname)%00%(committerdate:iso-strict)%00%(HEAD)",
            "refs/heads", "refs/remotes")
        branches = []
        for line in out.splitlines():
            fields = line.split("\0")
            if len(fields) != 6:
                raise ArtifactError(ERROR_PATH, f"cannot read `git for-each-ref` output: `{line.replace(chr(0), ' ')}`")
            ref, name, symref, sha, date, head = fields
            if symref:
                continue  # origin/HEAD names another branch
            remote = ref.split("/")[2] if ref.startswith("refs/remotes/") else None
            short = ref.split("/", 3)[3] if remote else ref[len("refs/heads/"):]
            loc = Loc(f"branch {name}")
            branches.append(Record("Branch", loc, name=LStr(name, loc), remote=LStr(remote, loc) if remote else None,
                                   short_name=LStr(short, loc), sha=LStr(sha, loc), date=_date(date),
                                   current=head == "*", merged=ref in merged))
        return branches

    # -- commits ---------------------------------------------------------------------------------
    _FORMAT = "%x00".join(("%H", "%h", "%P", "%an", "%ae", "%aI", "%s", "%b", "%B", "%(trailers:only,unfold)"))
    _FIELDS = 10

    def commits(self):
        self.merge_base("git.commits")  # in a shallow clone, `base..HEAD` would stop short without a word
        return self._once("commits", partial(self._commits, self._base_sha("git.commits")))

    def _commits(self, base_sha: str) -> list:
        return self._log(f"{base_sha}..HEAD", Lazy(partial(self.commit_files, base_sha)))

    def _log(self, revisions: str, files=None) -> list:
        """The commits `git log revisions` shows, oldest first (revisions: shas, never user text);
        their files from one more `git log` when first read."""
        if files is None:
            files = Lazy(partial(self._once, ("commit files", revisions), partial(self._name_status, revisions)))
        _, out, _ = self.git.run("log", "-z", "--reverse", "--no-color", "--no-show-signature",
                                 f"--format={self._FORMAT}", revisions, "--")
        if not out:
            return []
        if not out.endswith("\0"):
            raise ArtifactError(ERROR_PATH, "cannot read `git log` output: it does not end as expected")
        parts = out[:-1].split("\0")
        if len(parts) % self._FIELDS:
            raise ArtifactError(ERROR_PATH, "cannot read `git log` output: a commit message holds a NUL byte")
        return [self._commit(parts[k:k + self._FIELDS], position, files)
                for position, k in enumerate(range(0, len(parts), self._FIELDS), 1)]

    def commit_files(self, base_sha: str) -> dict:
        return self._once("commit_files", partial(self._commit_files, base_sha))

    def _commit_files(self, base_sha: str) -> dict:
        return self._name_status(f"{base_sha}..HEAD")

    def _name_status(self, revisions: str) -> dict:
        """sha -> [CommitFile], from one `git log --name-status -z` of every commit."""
        _, out, _ = self.git.run("log", "-z", "--reverse", "--no-color", "--no-show-signature", "--name-status",
                                 "-M", "--no-ext-diff", "--no-textconv", "--relative", "--format=%x01%H",
                                 revisions, "--")
        return parse_name_status(out)

    @staticmethod
    def _commit(fields: list, position: int = 0, files=None) -> Record:
        sha, short, parents, author, email, date, subject, body, message, trailers = fields
        loc = Loc(f"commit {short}")
        pairs = []
        for line in trailers.split("\n"):
            key, colon, value = line.partition(":")
            if colon and key.strip():
                pairs.append((key.strip(), value.strip()))
        by_key = TrailerMap()
        for key, value in pairs:
            by_key.add(key, LStr(value, loc))
        return Record(
            "Commit", loc, sha=LStr(sha, loc), short=LStr(short, loc), subject=LStr(subject, loc),
            body=LStr(body.rstrip("\n"), loc), message=LStr(message.rstrip("\n"), loc),
            author=LStr(author, loc), email=LStr(email, loc), date=_date(date),
            parents=[LStr(p, loc) for p in parents.split()], merge=len(parents.split()) > 1,
            trailers=[Record("Trailer", loc, key=LStr(k, loc), value=LStr(v, loc)) for k, v in pairs],
            trailer=by_key, position=position,
            files=Lazy(lambda: files.compute().get(sha, [])) if files is not None else [])

    # -- tags ------------------------------------------------------------------------------------
    def tags(self):
        return self._once("tags", self._tags)

    def _tags(self) -> list:
        _, out, _ = self.git.run(
            "for-each-ref", "--sort=v:refname",
            "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)",
            "refs/tags")
        read = []
        for line in out.splitlines():  # ref names hold no newline: git refuses them
            fields = line.split("\0")
            if len(fields) != 5:
                raise ArtifactError(ERROR_PATH, f"cannot read `git for-each-ref` output: `{line.replace(chr(0), ' ')}`")
            name, kind, sha, peeled, date = fields
            read.append((name, kind, peeled or sha, date))
        tags = []
        for name, kind, sha, date in read:
            loc = Loc(f"tag {name}")
            tag_name = LStr(name, loc)
            since = _release_before(name, read)
            revisions = f"{since}..{sha}" if since else sha
            tags.append(Record("Tag", loc, name=tag_name, text=tag_name, sha=LStr(sha, loc),
                               date=_date(date), annotated=kind == "tag",
                               commits=Lazy(partial(self._once, ("tag commits", revisions),
                                                    partial(self._log, revisions)))))
        return tags

    def latest_tag(self):
        return self._once("latest_tag", self._latest_tag)

    def _latest_tag(self):
        if self.head() is None:
            return None
        code, out, err = self.git.run("describe", "--tags", "--abbrev=0", "HEAD", ok=(0, 128))
        if code != 0:
            if "no names found" in err.lower() or "no tags can describe" in err.lower():
                return None  # no tag is reachable from HEAD
            raise ArtifactError(ERROR_PATH, _failure("describe", err))
        name = out.strip()
        return next((tag for tag in self.tags() if tag["name"] == name), None)


def parse_name_status(out: str) -> dict:
    """Parse `git log -z --name-status --format=%x01%H`: each commit starts with \\x01 and its
    sha, then `status NUL path NUL` (two paths for a rename or copy)."""
    tokens = out.split("\0")
    if tokens and tokens[-1] == "":
        tokens.pop()  # the output ends with a NUL
    by_sha: dict = {}
    current = None
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        i += 1
        if token.startswith("\x01"):
            current = by_sha.setdefault(token[1:], [])
            continue
        if not token:
            continue
        if current is None or not token[:1].isalpha():
            raise ArtifactError(ERROR_PATH, f"cannot read `git log --name-status` output near `{token[:20]}`")
        letter = token[:1]
        count = 2 if letter in ("R", "C") else 1
        if i + count > len(tokens):
            raise ArtifactError(ERROR_PATH, f"cannot read `git log --name-status` output near `{token[:20]}`")
        paths = tokens[i:i + count]
        i += count
        new, old = paths[-1], (paths[0] if count == 2 else None)
        loc = Loc(new)
        current.append(Record("CommitFile", loc, path=LStr(new, loc), status=LStr(letter, loc),
                              old_path=LStr(old, Loc(old)) if old is not None else None))
    return by_sha


def _unquote(path: str) -> str:
    """A path as git prints it in a diff header: C-quoted when it holds unusual bytes."""
    if not path.startswith('"'):
        return path
    import codecs

    raw = codecs.escape_decode(path[1:-1].encode("utf-8"))[0]
    return raw.decode("utf-8", errors="replace")


def _release_before(name: str, tags: list) -> str | None:
    """The commit of the release tag before `name`: of the tags named `[v]X.Y.Z` (no pre-release),
    the one of the highest version below `name`'s; None when `name` is no version or none is below."""
    from ..functions.semver import _parse

    this = _parse(name)
    if this is None:
        return None
    below = [(parsed[:3], sha) for other, _, sha, _ in tags
             if (parsed := _parse(other)) is not None and not parsed[3] and parsed[:3] < this[:3]]
    return max(below)[1] if below else None


def _date(text: str):
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


class TrailerMap(dict):
    """Trailer values by key, as written; looking a key up ignores case and a missing key
    gives an empty list, so `count(c.trailer["approved-by"])` is 0, never an error."""

    def __init__(self):
        super().__init__()
        self._keys = {}

    def add(self, key: str, value) -> None:
        stored = self._keys.setdefault(key.lower(), key)
        self.setdefault(stored, []).append(value)

    def get(self, key, default=None):
        stored = self._keys.get(str(key).lower())
        return dict.get(self, stored, []) if stored is not None else []

    def __getitem__(self, key):
        return self.get(key)

    def __contains__(self, key) -> bool:
        return str(key).lower() in self._keys

    def __reduce__(self):
        return (_trailer_map, (list((k, v) for k, values in self.items() for v in values),))


def _trailer_map(pairs):
    found = TrailerMap()
    for key, value in pairs:
        found.add(key, value)
    return found
