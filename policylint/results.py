"""The results cache: what a repository's evaluations gave, kept from one run to the next.

`.policylint_cache/` at the root (its `.gitignore` holds `*`, so nobody commits it) keeps, for
one *run key* — policylint's version, the packs' checked keys, the params, the configuration
(and which of its waivers have expired), `--base` and the budget —

- each subject's verdicts (its results, its claimed and earned stage, the notices its loads
  made) and each repository-wide gate's, with **the exact inputs its evaluation read**
  (recording.TrackingRepo): every file read or looked at (its content hash; size and mtime
  the fast path), every folder listed and glob expanded, git's answers (HEAD, the refs,
  the CI's branch variables) when it asked git, and today's date when it called `today()` (a
  new day evaluates only what asked for the date); a global `let` or param it read (computed once a
  run, evaluate.Engine._shared_value) counts with what that read, and one it did not, not at all;
- the report the last run printed, for the same command line and baseline, and the same day
  (an expiring waiver's verdict is the date's);
- the report's pieces, for the last command that printed json alone and the last that
  printed text alone: each entry's items in the json report's `results` and `subjects` lists
  (after the configuration, as bytes), or its subject's block of the text report (its rows,
  without --statistics, which counts per gate); what they count in the summary (and in its
  pack's header), whether they fail the run, and its loads' notices (Piece). A run
  after an edit takes an unchanged entry's piece instead of its verdicts (no results
  restored, configured or rendered again) and writes it in its place among what it evaluated
  (Kept, Run.kept, reporters/json.py and text.py); a piece says which configured waivers its
  results used and which baseline entries they matched, so a waiver that waives nothing is
  still found stale and a finding fixed since the baseline noted. Only when the
  configuration judges each result by itself (configure.Configuration._local: no waiver
  expired or refused, no unwaivable gate left out or regraded) and no waiver comment
  can reach the entry (no file it read holds one, no result points at a file it did not read);
  else its verdicts are restored, as always.

A run checks each input once. What read nothing that changed is not evaluated again; when
nothing changed at all, the stored report is printed as it was. The lifecycles' subjects are
listed every run (a glob, typically), and that listing is the printed report's input, no
entry's: a new subject is evaluated, a deleted one's entry is not asked for, and the others are
kept (evaluate.Engine._subjects_of); only an evaluation that lists them itself (a gate comparing
every spec's number, a global `let` of them) rests on that listing. Same bytes as an uncached run,
always: an input whose mtime is within `RACY_NS` of the time it was stored is hashed again
(a file rewritten within the same mtime tick), an evaluation that read something no input
describes is never kept, and the output is rebuilt from the verdicts like any other run.

The folder is the repository's, so anyone who can commit can write it: entries are cache.py's
(signed JSON, the user's secret never in the repository; loading one runs no code), every
value is checked for its shape as it is read back, and an entry that is foreign, damaged,
stale or hostile is a miss, rebuilt.
"""
from __future__ import annotations

import functools
import json
import os
import stat
import time
from zlib import crc32

from .cache import content_key, hasher

FOLDER = ".policylint_cache"
FORMAT = "4"  # what an entry's inputs mean (2: a global value's reads are its readers' own, no shared
# inputs; 3: today's date is an input of what asked for it, not a part of the run key; 4: a report
# piece's row ends with what else it says: the configured waivers it used, the baseline entries
# it matched, a text piece's tally; git's answers are digests)
BUCKETS = 64  # payloads are kept in this many entries: one edit rewrites one of them
RACY_NS = 2_000_000_000  # an mtime this close to the store time does not vouch for the content
_CI_BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME",
                        "CI_COMMIT_TAG")


def open_cache(root, run_key: str):
    """The results cache of the repository at `root` for `run_key`, or None (no user cache to
    sign entries with, or a folder that cannot safely hold one)."""
    from .cache import repository_cache

    store = repository_cache(str(root), FOLDER)
    if store is None:
        return None
    _ignore_folder(os.path.join(os.path.abspath(str(root)), FOLDER))
    return ResultsCache(store, os.path.realpath(str(root)), run_key)


def _ignore_folder(folder: str) -> None:
    """`.gitignore` holding `*` in the cache folder, written once (never through a symlink)."""
    path = os.path.join(folder, ".gitignore")
    if os.path.lexists(path):
        return
    from .fsutil import write_text

    try:
        write_text(path, "# policylint's results cache: nothing here is committed\n*\n")
    except OSError:
        pass


class ResultsCache:
    """One run's view of the cache: what is kept for its key, which inputs changed since, and
    what the run records for the next one."""

    def __init__(self, store, root: str, run_key: str):
        self.store, self.root, self.run_key = store, root, run_key
        self.kept = _manifest(store.get("manifest", run_key))  # None: nothing usable is kept
        self._payloads = None
        self._answers: dict = {}  # observation key -> its answer now (asked once a run)
        self._evaluated: set = set()  # the buckets holding an entry this run evaluated
        self._repo = None  # the walker globs are asked again with
        self.repo = None  # the run's TrackingRepo (what it read, which files held a waiver mark)
        self.fresh: dict = {}  # entry id -> (observation keys, payload) recorded by this run
        self._entries = self._names = None  # what store_entries kept: entry id -> keys, bucket -> name
        # the report's pieces (module doc): the command's key, the entries whose kept pieces this
        # run used, their loaded buckets, what each entry gave this run (for its pieces), the
        # formats it printed and the run
        self.printed = None
        self._showing = None
        self.pieces: dict = {}  # entry id -> Piece used in place of its verdicts
        self._shown: dict = {}  # bucket -> (header, body) as loaded
        self.made: dict = {}  # entry id -> (Subject or None, [Result], notices) made or restored this run
        self.formats: list = []  # (name, options) of each format reporters.get rendered (json's and text's pieces)
        self._kept_marked = False  # the kept files holding a waiver mark (read_by), once asked
        self.groups: dict = {}  # entry id -> its made results' Group in the report (arrange), or None
        self.run = None

    # -- what is kept ------------------------------------------------------------------------
    def valid(self) -> bool:
        """Entries are kept for this run's key (no input is shared by them all: module doc)."""
        return self.kept is not None

    def unchanged(self) -> bool:
        """Every input of every kept entry is unchanged: the stored report holds as it is."""
        return self.valid() and not self._any_changed(self.kept["observations"])

    def read_by(self, entry_id: str) -> tuple:
        """(the files a kept entry read, those of them that held a `policylint:` mark): what an
        uncached run would read again, and where it would look for waiver comments."""
        paths = [key[2:] for key in self.kept["entries"].get(entry_id, ()) if key[:2] == "r:"]
        if self._kept_marked is False:  # the manifest's list, as a set once a run
            marked = self.kept.get("marked")
            self._kept_marked = set(marked) if isinstance(marked, list) else None
        marked = self._kept_marked
        return paths, (set(paths) if marked is None else {p for p in paths if p in marked})

    def _marked(self, entries: dict, observations: dict) -> set:
        """The read files of the kept entries that hold a waiver mark (the others, and those
        missing, need no second look; an entry shown from its piece read none)."""
        unmarked = self.repo.unmarked if self.repo is not None else set()
        pieces = self.pieces
        read = {key[2:] for entry_id, keys in entries.items() if entry_id not in pieces
                for key in keys if key[:2] == "r:"}
        return {path for path in read if path not in unmarked and not _absent(observations, path)}

    def reused(self, entry_id: str):
        """The kept payload of an entry whose inputs are unchanged, or None."""
        observed = self._unchanged(entry_id) if self.valid() else None
        if observed is None:
            return None
        payload = self._payload(entry_id)
        if payload is not None:
            self.fresh[entry_id] = (observed, payload)  # kept for the next run as it is
        return payload

    def shown(self, entry_id: str):
        """The kept Piece of an entry whose inputs are unchanged, when its report items for this
        command are kept (module doc: the report's pieces), else None: its verdicts are then
        restored or made. The entry's payload stays where it is, read only if its bucket is
        written again."""
        if self._showing is None:  # which pieces are this command's: json's or text's (shapes checked by _manifest)
            self._showing = next((kind for kind in _PIECES if self.valid() and self.printed is not None
                                  and (self.kept.get(_PIECES[kind]) or [None])[0] == self.printed), False)
        observed = self._unchanged(entry_id) if self._showing else None
        if observed is None:
            return None
        piece = self._piece(entry_id)
        if piece is not None:
            self.fresh[entry_id] = (observed, _LATER)
            self.pieces[entry_id] = piece
        return piece

    def _unchanged(self, entry_id: str):
        """The observation keys of a kept entry whose inputs are all unchanged, else None."""
        observed = self.kept["entries"].get(entry_id)
        return observed if observed is not None and not self._any_changed(observed) else None

    def arrange(self, results: list, subjects: list):
        """The run's sorted results and subjects without the kept pieces standing among them
        (in place), and a Kept that has them in their places, each entry's results this run
        made as a Group (the json report writes them as one piece, kept at save); None when no
        piece was used and the run prints nothing."""
        if not self.pieces and self.printed is None:
            return None
        owner = {id(r): entry_id for entry_id, made in self.made.items() for r in made[1]}
        layout, groups = [], self.groups
        for result in results:
            entry_id = owner.get(id(result))
            if entry_id is None:  # a piece, or no entry's (a lifecycle's subjects could not be listed)
                layout.append(result)
            elif type(layout[-1] if layout else None) is Group and layout[-1].entry == entry_id:
                layout[-1].results.append(result)
            else:
                groups[entry_id] = None if entry_id in groups else Group(entry_id, [result])  # None: in two places
                layout.append(groups[entry_id] or Group(entry_id, [result]))
        kept = Kept(layout, list(subjects), self.pieces.values())
        results[:] = [r for r in results if type(r) is not KeptResults]
        subjects[:] = [s for s in subjects if type(s) is not KeptSubject]
        return kept

    def _piece(self, entry_id: str):
        bucket = _bucket(entry_id)
        if bucket not in self._shown:
            name = self.kept[_PIECES[self._showing]][1].get(bucket)
            data = self.store.get_bytes("pieces", name) if isinstance(name, str) else None
            self._shown[bucket] = _pieces_of(data) if data is not None else ({}, b"")
        header, body = self._shown[bucket]
        row = header.get(entry_id)
        return Piece.from_row(row, body, self._showing) if row is not None else None

    def output(self, options_key: str):
        """(its UTF-8 bytes, exit code) the same command printed, when nothing it read changed."""
        self.printed = options_key
        if not self.unchanged():
            return None
        stored = self.kept["outputs"].get(options_key)
        if not (isinstance(stored, list) and len(stored) == 2 and isinstance(stored[0], str)
                and type(stored[1]) is int):
            return None
        text = self.store.get_bytes("output", stored[0])
        return (text, stored[1]) if text is not None else None

    def _payload(self, entry_id: str):
        bucket = _bucket(entry_id)
        if self._payloads is None:
            self._payloads = {}
        if bucket not in self._payloads:
            name = self.kept["payloads"].get(bucket)
            loaded = self.store.get("payloads", name) if isinstance(name, str) else None
            self._payloads[bucket] = loaded if isinstance(loaded, dict) else {}
        return self._payloads[bucket].get(entry_id)

    def _any_changed(self, keys) -> bool:
        observations, answers = self.kept["observations"], self._answers
        for key in keys:
            still = answers.get(key)
            if still is None:
                if key[:2] == "r:":  # "read" marks a path whose "p:" twin is asked
                    continue
                stored = observations.get(key)
                if stored is None or self._answer_changed(key, stored):
                    return True
            elif not still:
                return True
        return False

    def _answer_changed(self, key: str, stored) -> bool:
        if key not in self._answers:
            if self._repo is None:
                from .repo import Repo

                self._repo = Repo(self.root)  # one walker for every glob asked again
            self._answers[key] = _still(self.root, key, stored, self.kept["written"], self._repo)
        return not self._answers[key]

    # -- what this run records ---------------------------------------------------------------
    # The engine passes no payload (None) with `made`: it is made from the verdicts when it is
    # stored (store_entries, at the end of the evaluations: nothing has changed them yet), not
    # held as JSON beside them all the run long (a 2,000-spec run's are 16 MiB).
    payload_later = True

    def record(self, entry_id: str, inputs: set, payload, made=None) -> None:
        """An entry this run evaluated, with what it read (not kept when some of it cannot be
        described as an input); `made`: its (Subject or None, [Result], notices), for its pieces
        and, when `payload` is None, its payload."""
        self._evaluated.add(_bucket(entry_id))
        if made is not None:
            self.made[entry_id] = made
        keys = _keys(inputs)
        if keys is not None:
            self.fresh[entry_id] = (sorted(keys), _MADE if payload is None else payload)

    def store_entries(self, repo) -> None:
        """Store the entries this run keeps (their payloads, a bucket at a time) as soon as the
        evaluations are done, before the report is made: the two are never held together (a
        2,000-spec run's payloads are 16 MiB). `repo`: the run's TrackingRepo. Answers are taken
        now; an entry resting on one that cannot be taken is not kept. `save` lists them."""
        self.repo = repo
        self._written = time.time_ns()
        self._observations: dict = {}
        self._folders: dict = {}  # folder -> whether it is no symlink (shared by every path below it)
        self._globbed = {_glob_key(what): answer for what, answer in getattr(repo, "globbed", {}).items()}
        entries, buckets = {}, {}
        for entry_id, (keys, payload) in self.fresh.items():
            if all(self._answer_now(key) is not None for key in keys if key[:2] != "r:"):
                entries[entry_id] = list(keys)
                buckets.setdefault(_bucket(entry_id), {})[entry_id] = payload
        self.fresh = {}  # the payloads: only what a bucket written holds (they are stored now)
        kept_by_bucket: dict = {}
        for entry_id in (self.kept["entries"] if self.kept is not None else ()):
            kept_by_bucket.setdefault(_bucket(entry_id), []).append(entry_id)
        names = {}
        for bucket in sorted(buckets):
            payloads = buckets.pop(bucket)
            old = self.kept["payloads"].get(bucket) if self.kept is not None else None
            same = (old is not None and bucket not in self._evaluated
                    and sorted(payloads) == sorted(kept_by_bucket.get(bucket, ())))
            if same:  # nothing in it was evaluated: the stored entry holds exactly these
                names[bucket] = old
                continue
            for entry_id in [e for e, p in payloads.items() if p is _LATER]:  # read now, to be written again
                payload = self._payload(entry_id)
                if payload is None:
                    del payloads[entry_id], entries[entry_id]
                else:
                    payloads[entry_id] = payload
            made = self.made
            text = _json({entry_id: stored(*made[entry_id]) if p is _MADE else p  # one encoding a bucket
                          for entry_id, p in payloads.items()}).encode("utf-8")
            names[bucket] = content_key(text)
            if names[bucket] != old:
                self.store.put_bytes("payloads", names[bucket], text, digest=names[bucket])
        self._entries, self._names = entries, names

    def _answer_now(self, key):
        """What the work tree answers to an observation key (once a run; `store_entries`): as the
        run saw it (a path's lstat, a file's content as read, a glob's matches and the folders
        looked at before it), else asked now."""
        observations = self._observations
        answer = observations.get(key, _UNSET)
        if answer is _UNSET:
            kept = self.kept["observations"] if self.kept is not None else {}
            if self._answers.get(key) and key in kept:  # asked this run, and still as stored
                answer = kept[key]
            else:
                answer = self._seen(key)
                if answer is _UNSET:
                    answer = _answer(self.root, key, self._folders, getattr(self.repo, "digests", {}))
            observations[key] = answer
        return answer

    def _seen(self, key: str):
        """The answer to an observation as the run's repository saw it, or _UNSET when it did not
        (a symlink on the way, a file looked at but not read: asked now)."""
        if key[:2] == "g:":
            return self._globbed.get(key, _UNSET)
        if key == "today":  # the date the gates were given, though the clock may have passed midnight since
            hit = dict.get(getattr(self.repo, "_memo", None) or {}, ("today",))
            return str(hit[1]) if isinstance(hit, tuple) and hit[0] == "ok" else _UNSET
        if key[:2] == "l:":  # a folder as Repo.listing first listed it: its real path, its entries
            hit = (getattr(self.repo, "listed", None) or {}).get(key[2:])
            if not (isinstance(hit, tuple) and hit[0] == "ok"):
                return _UNSET
            return [hit[2], sorted([e.name, e.is_link, e.is_dir, e.is_file] for e in hit[1].values())]
        looked = getattr(self.repo, "looked", None)
        if key[:2] != "p:" or looked is None:
            return _UNSET
        norm = key[2:]
        info = looked(norm)
        if info is False:
            return _UNSET
        if info is None:
            return [norm, None, None, None, None]
        if stat.S_ISDIR(info[0]):
            return [norm, "dir", None, None, None]
        if not stat.S_ISREG(info[0]):
            return [norm, "other", None, None, None]
        read = self.repo.digests.get(norm)
        return [norm, "file", *read] if read is not None else _UNSET

    def save(self, output=None, run_inputs: set = frozenset()) -> None:
        """Store the manifest of this run's entries (`store_entries`, which the engine calls) for
        the next run, and with `output` = (printed key, text, exit code) what it printed;
        `run_inputs` is what the run read outside any evaluation (which packs apply, inline
        waivers), which the printed text rests on too. Answers are taken now; one that cannot be
        taken drops what rests on it."""
        if self._entries is None:  # no engine ran (it stores them as it ends): nothing was made
            self.store_entries(self.repo)
        answer, observations, written = self._answer_now, self._observations, self._written
        entries, names = self._entries, self._names
        payload_key = hasher(" ".join(f"{b}:{n}" for b, n in sorted(names.items())).encode()).hexdigest()
        outputs = {}
        printed_kept = self.kept.get("printed", ()) if self.kept is not None else ()
        if (self.kept is not None and self.kept.get("payload_key") == payload_key
                and all(self._answers.get(k) for k in printed_kept)):  # still what those printed, checked now
            outputs.update(self.kept["outputs"])
            observations.update({k: self.kept["observations"][k] for k in printed_kept
                                 if k not in observations and k in self.kept["observations"]})
        printed = set(self.kept.get("printed", ())) if outputs else set()
        outside = _keys(run_inputs)
        if outside is not None:  # the printed report is the day's too: a waiver may expire overnight
            outside = {key for key in outside if key[:2] != "r:"} | {"today"}
        # a report made of kept pieces around what an edit changed is not stored whole: its
        # pieces are (a copy of every report a run of edits printed would be tens of MB each);
        # the next run that evaluates nothing stores it, for the runs after it
        whole = not (self.pieces and self._evaluated)
        if whole and output is not None and outside is not None and all(answer(key) is not None for key in outside):
            options_key, text, code = output
            name = hasher(f"{self.run_key} {options_key} {payload_key}".encode()).hexdigest()
            self.store.put_bytes("output", name, text)
            outputs[options_key] = [name, code]
            printed |= outside
        made = self._save_pieces(entries, output, observations)  # (its kind, [printed key, names]) or None
        shown = {}
        for kind, key in _PIECES.items():  # each report's pieces, json's and text's
            if made is not None and made[0] == kind:
                shown[key] = made[1]
            elif not self._evaluated and self.kept is not None:
                shown[key] = self.kept.get(key)  # nothing was evaluated: the kept pieces are still the entries'
        self.store.put("manifest", self.run_key, {
            **shown, "written": written, "observations": {k: v for k, v in observations.items() if v is not None},
            "entries": entries, "payloads": names, "payload_key": payload_key,
            "outputs": outputs, "marked": sorted(self._marked(entries, observations)),
            "printed": sorted(printed)})

    def _save_pieces(self, entries: dict, output, observations: dict):
        """(json or text, [the printed key, {bucket: name}]) of the report's pieces of `entries`
        for the command that printed `output`, stored; None when this run's report cannot be
        made from pieces: not json or text alone, a configuration that does more than grade
        each result by itself (configure.Configuration.local), or a text report whose lines
        are not each subject's own (--statistics counts per gate)."""
        run = self.run
        kind = _pieces_kind(self.formats)
        if (output is None or run is None or kind is None or output[0] != self.printed
                or not getattr(run, "configured_locally", False)):
            return None
        reported = {id(r) for r in run.results}
        if kind == "json":
            from .reporters.json import Items

            items = Items()
        else:
            from .reporters.text import lifecycles_without_claims

            options, owned = self.formats[0][1], {}
            shown_as = (options.verbose, options.quiet, lifecycles_without_claims(run))  # the same for every piece
            for r in run.results:  # a subject's block shows the results the run has for it: its entry's alone
                owned[r.subject, r.lifecycle] = owned.get((r.subject, r.lifecycle), 0) + 1
        unmarked = self.repo.unmarked if self.repo is not None else set()
        clean = _Clean(unmarked, observations)
        old = self.kept.get(_PIECES[kind]) if self.kept is not None else None
        old_names = old[1] if old is not None and old[0] == self.printed else {}
        by_bucket: dict = {}
        for entry_id, keys in entries.items():
            piece, made = self.pieces.get(entry_id), self.made.get(entry_id)
            if piece is None and made is not None and kind == "json":
                span = getattr(self.groups.get(entry_id), "span", None)
                written = output[1][span[0]:span[1]] if span is not None else None  # as the report wrote them
                piece = Piece.made(made, keys, clean, reported, run, items, written)
            elif piece is None and made is not None and made[0] is not None:
                if owned.get((made[0].id, made[0].lifecycle), 0) == sum(1 for r in made[1] if id(r) in reported):
                    piece = Piece.made_text(made, keys, clean, reported, run, shown_as)
            if piece is not None:
                by_bucket.setdefault(_bucket(entry_id), {})[entry_id] = piece
        names = {}
        for bucket, pieces in sorted(by_bucket.items()):
            loaded = self._shown.get(bucket)
            if (old_names.get(bucket) is not None and loaded is not None and sorted(loaded[0]) == sorted(pieces)
                    and all(entry_id in self.pieces for entry_id in pieces)):
                names[bucket] = old_names[bucket]  # the very pieces it holds
                continue
            data = _pieces_data(pieces)
            names[bucket] = content_key(data)
            if names[bucket] != old_names.get(bucket):
                self.store.put_bytes("pieces", names[bucket], data, digest=names[bucket])
        return kind, [self.printed, names]


def _pieces_kind(formats: list) -> str | None:
    """Which report's pieces a run that printed `formats` ([(name, options)]) keeps: "json",
    "text" (without --statistics), or None."""
    if len(formats) != 1:
        return None
    name, options = formats[0]
    if name == "json":
        return "json"
    return "text" if name == "text" and not getattr(options, "statistics", False) else None


_UNSET = object()
_PIECES = {"json": "pieces", "text": "text_pieces"}  # the manifest's key of each report's pieces


def _json(value) -> str:
    """An entry's JSON, ASCII: a name that is not UTF-8 (a lone surrogate) is kept as its escape."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _bucket(entry_id: str, known: dict = {}) -> str:  # noqa: B006 (the ids' buckets, computed once a process)
    bucket = known.get(entry_id)
    if bucket is None:
        bucket = known[entry_id] = str(crc32(entry_id.encode("utf-8", "surrogatepass")) % BUCKETS)
    return bucket


def _manifest(value):
    """The manifest as stored, when its shape is right; else None (a miss)."""
    if not isinstance(value, dict):
        return None
    if (type(value.get("written")) is not int or not isinstance(value.get("observations"), dict)
            or not isinstance(value.get("entries"), dict)
            or not isinstance(value.get("payloads"), dict) or not isinstance(value.get("outputs"), dict)):
        return None
    for key in _PIECES.values():
        shown = value.get(key)
        if shown is not None and not (isinstance(shown, list) and len(shown) == 2 and isinstance(shown[0], str)
                                      and isinstance(shown[1], dict)
                                      and all(isinstance(n, str) for n in shown[1].values())):
            return None
    for optional in ("printed", "marked"):
        listed = value.get(optional, [])
        if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
            return None
    for keys in value["entries"].values():
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            return None
    return value


# -- the report's pieces: an entry's items in the json report, kept for the command ------------
_LATER = object()  # the payload of an entry shown from its piece: read only when its bucket is written again
_MADE = object()  # the payload of an entry evaluated or restored: made from its verdicts when it is stored
_COUNTED = ("pass", "fail", "error", "waived", "skipped")
_COUNT_AT = {status: at for at, status in enumerate(_COUNTED)}


class KeptResults:
    """A kept entry's results in the run's order: its subject id (None: a repository-wide gate)
    for Result.sort_key, and their report items' text (UTF-8, written as it is)."""

    __slots__ = ("subject", "text")

    def __init__(self, subject, text: bytes):
        self.subject, self.text = subject, text


class Group:
    """The results one entry gave this run, in the report's order; `span`: where the json report
    wrote their items in the printed bytes (start, end), which its piece keeps, or None."""

    __slots__ = ("entry", "results", "span")

    def __init__(self, entry: str, results: list):
        self.entry, self.results, self.span = entry, results, None


class KeptSubject:
    """A kept entry's subject in the run's order, and its report item's text (UTF-8); for the
    text report, `rows`: its block as reporters/text.py made it (`text` then holds them as JSON),
    and what its results count (`counts` by status, and Piece's `tally`: the summary line and a
    pack's header add them up, reporters/text.py)."""

    __slots__ = ("id", "lifecycle", "text", "rows", "counts", "tally")

    def __init__(self, sid: str, lifecycle: str, text: bytes, rows=None, counts=None, tally=None):
        self.id, self.lifecycle, self.text, self.rows = sid, lifecycle, text, rows
        self.counts = dict(zip(_COUNTED, counts)) if counts is not None else None
        self.tally = tally


class Piece:
    """What one entry adds to the report of a command: for json, its results' items (after the
    configuration; in the json list's layout) and its subject's item; for text, its subject's
    block (KeptSubject.rows) and its "tally": [its results that block the run, those that fail
    without blocking, whether a warning blocks, those the baseline waives]; what they count in
    the summary, whether they fail the run (at fail_on error, warning), its loads' notices, and
    in `said` the configured waivers its results used ("waivers", their places in the
    configuration: none of them is stale) and the baseline entries they matched ("baseline":
    none of them is fixed)."""

    __slots__ = ("results", "subject", "counts", "blocking", "notices", "said")

    def __init__(self, results: KeptResults, subject, counts: list, blocking: list, notices: list, said=None):
        self.results, self.subject, self.counts, self.blocking = results, subject, counts, blocking
        self.notices, self.said = notices, said or {}  # what else it says: waivers, baseline, text's tally

    @classmethod
    def made(cls, made: tuple, keys, unmarked: set, reported: set, run, items, written=None):
        """The json piece of an entry this run evaluated or restored, or None when a waiver
        comment could reach it (_reachable). `written`: its results' items as the report wrote
        them, if it did."""
        subject, results, notices = made
        if _reachable(keys, results, unmarked):
            return None
        shown = [r for r in results if id(r) in reported]
        text = written if written is not None else items.results(shown).encode("utf-8", "surrogateescape")
        return cls(KeptResults(subject.id if subject is not None else None, text),
                   KeptSubject(subject.id, subject.lifecycle, items.subject(subject).encode("utf-8", "surrogateescape"))
                   if subject is not None else None, *_counted(shown, run), list(notices),
                   said=_said(results, run))

    @classmethod
    def made_text(cls, made: tuple, keys, unmarked: set, reported: set, run, shown_as: tuple):
        """The text piece of a subject's entry: its block as the text report makes it
        (`shown_as`: verbose, quiet, the lifecycles that read no claim; a repository-wide gate's
        results are shown together, grouped across entries: None, as when a waiver comment could
        reach it)."""
        from .reporters import text

        subject, results, notices = made
        if subject is None or _reachable(keys, results, unmarked):
            return None
        shown = [r for r in results if id(r) in reported]
        fails = text.fails_of(run)
        rows = text.subject_rows(subject, shown, *shown_as, fails)
        tally = [*text.failure_counts(shown, fails),
                 sum(1 for r in shown if r.status == "waived" and text.is_baselined(r))]
        rows_text = _json([[[t, style] for t, style in row] for row in rows]).encode()
        counts, blocking = _counted(shown, run)
        block = KeptSubject(subject.id, subject.lifecycle, rows_text, rows, counts, tally)
        return cls(KeptResults(subject.id, b""), block, counts, blocking, list(notices),
                   {**_said(results, run), "tally": tally})

    @classmethod
    def from_row(cls, row, body: bytes, kind: str = "json"):
        """From its stored row ([start, end, subject, counts, blocking, notices, {"waivers": …,
        and for text "tally": …}], offsets into the bucket's text, which its signature vouches
        for); None when its shape is wrong."""
        if type(row) is not list or len(row) != 7:
            return None
        start, end, subject, counts, blocking, notices, said = row
        if not (_within(start, end, body) and type(counts) is list and len(counts) == 5
                and all(type(n) is int and n >= 0 for n in counts) and type(blocking) is list and len(blocking) == 2
                and all(type(b) is bool for b in blocking) and type(notices) is list and all(map(_is_notice, notices))
                and type(said) is dict and set(said) <= {"waivers", "baseline", "tally"}):
            return None
        waivers, matched, tally = said.get("waivers", []), said.get("baseline", []), said.get("tally")
        if not (type(waivers) is list and all(type(at) is int and at >= 0 for at in waivers)
                and type(matched) is list and all(type(fp) is str for fp in matched)):
            return None
        if (tally is None) != (kind != "text") or tally is not None and not (
                type(tally) is list and len(tally) == 4 and type(tally[2]) is bool
                and all(type(tally[i]) is int and tally[i] >= 0 for i in (0, 1, 3))):
            return None
        kept_subject = None
        if subject is not None:
            if not (type(subject) is list and len(subject) == 4 and type(subject[0]) is str
                    and type(subject[1]) is str and _within(subject[2], subject[3], body)):
                return None
            text = body[subject[2]:subject[3]]
            rows = _rows(text) if kind == "text" else None
            if kind == "text" and rows is None:
                return None
            kept_subject = KeptSubject(subject[0], subject[1], text, rows, counts if rows is not None else None, tally)
        elif kind == "text":
            return None
        return cls(KeptResults(subject[0] if subject is not None else None, body[start:end]), kept_subject,
                   counts, blocking, notices, said)


def _reachable(keys, results: list, unmarked) -> bool:
    """Whether a waiver comment could reach an entry's results: a file it read holds one, or a
    result points at a file it did not read, where one may be written. Its piece is then not
    kept: it is judged with the whole run, as always. `unmarked`: the files known to hold no
    waiver mark (or to be missing)."""
    from .inline_waivers import syntax_of

    reads = {key[2:] for key in keys if key[:2] == "r:"}
    return not all(path in unmarked for path in reads) or any(e.path not in reads and syntax_of(e.path)
                                                              for r in results for e in r.evidence)


def _said(results: list, run) -> dict:
    """What a piece says besides its report: the places of the configured waivers that waived
    its results (configure: Run.waiver_at) and the baseline entries they matched
    (Run.baseline_matched), each when there are some."""
    at, matched = getattr(run, "waiver_at", None) or {}, getattr(run, "baseline_matched", None) or {}
    said = {"waivers": sorted({at[id(r.waiver)] for r in results if r.waiver is not None and id(r.waiver) in at}),
            "baseline": sorted({fp for r in results for fp in matched.get(id(r), ())})}
    return {key: value for key, value in said.items() if value}


def _counted(shown: list, run) -> tuple:
    """(what the results count in the summary, [whether one fails the run at fail_on error, at warning])."""
    counts = [0] * len(_COUNTED)
    for r in shown:
        counts[_COUNT_AT[r.status]] += 1
    failing = [r for r in shown if r.status in ("fail", "error")]  # no other result fails a run
    return counts, [any(run.fails(r, "error") for r in failing), any(run.fails(r, "warning") for r in failing)]


def _rows(text) -> list | None:
    """A text piece's rows, stored as JSON: [[text, style], …] each; None when that is not what it holds."""
    try:
        rows = json.loads(bytes(text).decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if type(rows) is not list or not all(
            type(row) is list and all(type(part) is list and len(part) == 2 and type(part[0]) is str
                                      and type(part[1]) is str for part in row) for row in rows):
        return None
    return [[(part[0], part[1]) for part in row] for row in rows]


class Kept:
    """The results cache's part of a run (Run.kept): its results and subjects in report order,
    kept pieces (KeptResults, KeptSubject) among them, and the pieces' summary and failures."""

    __slots__ = ("results", "subjects", "counts", "blocking", "waivers", "baseline")

    def __init__(self, results: list, subjects: list, pieces):
        self.results, self.subjects = results, subjects
        self.counts, self.blocking = [0] * len(_COUNTED), [False, False]
        self.waivers: set = set()  # the configured waivers the pieces' results used (configure.apply)
        self.baseline: set = set()  # the baseline entries they matched (baseline.apply)
        for piece in pieces:
            self.counts = [a + b for a, b in zip(self.counts, piece.counts)]
            self.blocking = [a or b for a, b in zip(self.blocking, piece.blocking)]
            self.waivers.update(piece.said.get("waivers", ()))
            self.baseline.update(piece.said.get("baseline", ()))

    def count(self, summary: dict) -> None:
        for status, n in zip(_COUNTED, self.counts):
            summary[status] += n

    def fails(self, fail_on: str) -> bool:
        return self.blocking[0 if fail_on == "error" else 1]


class _Clean:
    """`path in clean`: a file read that holds no waiver mark, or is missing (its observation
    says so)."""

    __slots__ = ("unmarked", "observations")

    def __init__(self, unmarked: set, observations: dict):
        self.unmarked, self.observations = unmarked, observations

    def __contains__(self, path) -> bool:
        return path in self.unmarked or _absent(self.observations, path)


def _absent(observations: dict, path: str) -> bool:
    answer = observations.get("p:" + path)
    return isinstance(answer, list) and len(answer) > 1 and answer[1] is None


def _within(start, end, body: bytes) -> bool:
    """Whether a stored piece's (start, end) is a span of `body`: read from disk, it is checked."""
    return type(start) is int and type(end) is int and 0 <= start <= end <= len(body)


def _pieces_data(pieces: dict) -> bytes:
    """A bucket of pieces: one line of JSON (each entry's row, byte offsets into the text after
    it), then the text, UTF-8."""
    header, texts, at = {}, [], 0
    for entry_id, piece in sorted(pieces.items()):
        start = at
        texts.append(piece.results.text)
        at += len(piece.results.text)
        subject = None
        if piece.subject is not None:
            subject = [piece.subject.id, piece.subject.lifecycle, at, at + len(piece.subject.text)]
            texts.append(piece.subject.text)
            at += len(piece.subject.text)
        header[entry_id] = [start, start + len(piece.results.text), subject, piece.counts, piece.blocking,
                            piece.notices, piece.said]
    return b"".join([_json(header).encode(), b"\n", *texts])


def _pieces_of(data: bytes) -> tuple:
    """(rows by entry id, text) of a stored bucket of pieces; ({}, b"") when it is not one."""
    end = data.find(b"\n")
    try:
        header = json.loads(data[:end].decode("utf-8")) if end >= 0 else None
    except (ValueError, RecursionError):
        return {}, b""
    return (header, memoryview(data)[end + 1:]) if isinstance(header, dict) else ({}, b"")


# -- inputs: what an evaluation observed, as a key, and the answer the work tree gives --------
def _keys(inputs: set):
    """The observation keys of a TrackingRepo's inputs (notices aside); None when one of them
    is nothing this cache can ask again (EVERYTHING)."""
    out = set()
    for what in inputs:
        kind = what[0]
        if kind == "path":
            out.add("p:" + what[1])
        elif kind == "read":
            out.add("r:" + what[1])
        elif kind == "glob":
            out.add(_glob_key(what))
        elif kind == "list":
            out.add("l:" + what[1])
        elif kind == "git" or kind == "today":
            out.add(kind)
        elif kind == "notice":
            continue
        else:
            return None
    return out


@functools.lru_cache(maxsize=4096)
def _glob_key(what: tuple) -> str:
    """The observation key of ("glob", segments, dirs_only) (each made once, asked per entry)."""
    return "g:" + json.dumps([list(what[1]), bool(what[2])])


def notices_of(inputs: set) -> list:
    return _unique([list(what[1:]) for what in inputs if what[0] == "notice"])


def _unique(notices: list) -> list:
    """Notices once each, in a fixed order."""
    seen = {tuple(n): n for n in notices}
    return [list(n) for n in sorted(seen, key=lambda n: (n[0], n[1] or 0, n[2], n[3]))]


def _is_notice(value) -> bool:
    return (isinstance(value, list) and len(value) == 4 and isinstance(value[0], str)
            and (value[1] is None or type(value[1]) is int) and isinstance(value[2], str) and isinstance(value[3], str))


# -- verdicts as JSON, and back (every value's shape checked: the file is the repository's) ----
def stored(subject, results: list, notices: list) -> dict:
    return {"subject": _subject_data(subject) if subject is not None else None,
            "results": [_result_data(r) for r in results], "notices": notices}


def _result_data(result) -> list:
    fix = result.fix
    return [result.gate, result.subject, result.stage, result.status, result.severity, result.title,
            result.message, [[e.path, e.line, e.message] for e in result.evidence], result.require,
            result.lifecycle, result.unwaivable,
            [fix.path, fix.line, fix.column, fix.old, fix.new, fix.gate] if fix is not None else None]


def _subject_data(subject) -> list:
    return [subject.id, subject.lifecycle, list(subject.stages), subject.claimed, subject.claimed_at,
            subject.earned, subject.next_stage, [_result_data(r) for r in subject.lacks]]


def restore(payload) -> tuple:
    """(Subject or None, [Result], [notice]) from an entry; ValueError when its shape is wrong."""
    if not isinstance(payload, dict):
        raise ValueError("not an entry")
    subject = payload.get("subject")
    results = payload.get("results")
    notices = payload.get("notices")
    if not isinstance(results, list) or not isinstance(notices, list) or not all(map(_is_notice, notices)):
        raise ValueError("not an entry")
    return (_subject(subject) if subject is not None else None), [_result(r) for r in results], notices


_STATUSES = frozenset(("pass", "fail", "error", "skipped", "waived"))
_SEVERITIES = frozenset(("error", "warning", "info"))
_OPTIONAL_TEXT = (str, type(None))


def _text(value, optional: bool = True):
    if isinstance(value, str) or (optional and value is None):
        return value
    raise ValueError("not text")


@functools.cache
def _made_of():
    """(Result, Evidence, Subject): imported once, not by each of the tens of thousands of
    results a run may restore (a relative import in a function asks importlib every call)."""
    from .evaluate import Result, Subject
    from .explain import Evidence

    return Result, Evidence, Subject


def _result(data):
    """A Result from its stored list, every value's type checked (kept lean: a run may restore
    tens of thousands)."""
    Result, Evidence, _ = _made_of()
    if type(data) is not list or len(data) != 12:
        raise ValueError("not a result")
    gate, subject, stage, status, severity, title, message, evidence, require, lifecycle, unwaivable, fix = data
    if (status not in _STATUSES or severity not in _SEVERITIES or type(evidence) is not list
            or type(unwaivable) is not bool or type(gate) is not str or type(title) is not str
            or type(message) is not str or type(require) is not str or not isinstance(subject, _OPTIONAL_TEXT)
            or not isinstance(stage, _OPTIONAL_TEXT) or not isinstance(lifecycle, _OPTIONAL_TEXT)):
        raise ValueError("not a result")
    shown = []
    for item in evidence:
        if type(item) is not list or len(item) != 3:
            raise ValueError("not evidence")
        path, line, text = item
        if type(path) is not str or type(text) is not str or not (line is None or type(line) is int):
            raise ValueError("not evidence")
        shown.append(Evidence(path, line, text))
    edit = None
    if fix is not None:
        from .fix import Edit

        if not (isinstance(fix, list) and len(fix) == 6 and isinstance(fix[0], str) and type(fix[1]) is int
                and (fix[2] is None or type(fix[2]) is int) and all(isinstance(x, str) for x in fix[3:])):
            raise ValueError("not a fix")
        edit = Edit(*fix)
    return Result(gate, subject, stage, status, severity, title, message, shown, require, lifecycle, unwaivable,
                  None, edit)


def _subject(data):
    Subject = _made_of()[2]
    if not isinstance(data, list) or len(data) != 8:
        raise ValueError("not a subject")
    sid, lifecycle, stages, claimed, claimed_at, earned, next_stage, lacks = data
    if not isinstance(stages, list) or not all(isinstance(x, str) for x in stages) or not isinstance(lacks, list):
        raise ValueError("not a subject")
    return Subject(_text(sid, False), _text(lifecycle, False), stages, _text(claimed), _text(claimed_at),
                   _text(earned), _text(next_stage), [_result(r) for r in lacks])


def _answer(root: str, key: str, folders: dict | None = None, digests: dict | None = None):
    """What the work tree answers to an observation now (JSON data), or None when it cannot be
    asked (the entry resting on it is then not kept). `digests`: the content digests of the
    files the run read (by path, with the size and mtime they had), not hashed again."""
    try:
        if key.startswith("p:"):
            return _path_answer(root, key[2:], hash_always=True, folders=folders, digests=digests)
        if key.startswith("g:"):
            segments, dirs_only = json.loads(key[2:])
            return _glob_answer(root, "/".join(segments), dirs_only)
        if key.startswith("l:"):
            return _listing(root, key[2:])
        if key == "git":
            return _git_state(root)
        if key == "today":
            from .functions.dates import current_date

            return str(current_date())
    except (OSError, ValueError):
        return None
    return None


def _still(root: str, key: str, stored, written: int, repo=None) -> bool:
    """Whether the work tree still answers `stored`; a file is trusted by its size and mtime
    unless it was written within RACY_NS of the store, else hashed."""
    try:
        if key.startswith("p:"):
            if not isinstance(stored, list) or len(stored) != 5:
                return False
            quick = _path_unchanged(root, key[2:], stored, written)
            if quick is not None:
                return quick
            now = _path_answer(root, key[2:], hash_always=False)
            if now[:2] != stored[:2]:
                return False
            if now[1] != "file":
                return now == stored
            if now[2:4] == stored[2:4] and isinstance(stored[3], int) and written - stored[3] > RACY_NS:
                return True
            return _path_answer(root, key[2:], hash_always=True) == stored
        if key.startswith("g:"):
            segments, dirs_only = json.loads(key[2:])
            if _folder_unchanged(root, stored, written):
                return True
            return _glob_answer(root, "/".join(segments), dirs_only, repo)[0] == stored[0]
        return _answer(root, key) == stored
    except (OSError, ValueError, TypeError):
        return False


def _path_unchanged(root: str, relpath: str, stored: list, written: int):
    """The common case without resolving the path: it had no symlink on the way (its real
    path was itself) and one `lstat` shows the same regular file, folder or absence. None
    when that cannot be told so (then the path is resolved and compared in full)."""
    if stored[0] != relpath and stored[0] != os.path.normpath(relpath):
        return None
    try:
        info = os.lstat(f"{root}{os.sep}{relpath}")
    except FileNotFoundError:
        return True if stored[1] is None else None
    except NotADirectoryError:
        return None
    mode = info.st_mode
    if stat.S_ISREG(mode) and stored[1] == "file":
        if info.st_size == stored[2] and info.st_mtime_ns == stored[3] and written - stored[3] > RACY_NS:
            return True
        return None
    if stat.S_ISDIR(mode) and stored[1] == "dir":
        return True
    return None


def _path_answer(root: str, relpath: str, hash_always: bool, folders: dict | None = None,
                 digests: dict | None = None) -> list:
    """[real path (relative to the root when inside), kind, size, mtime_ns, content digest]."""
    full = os.path.join(root, relpath)
    norm = os.path.normpath(relpath)
    parent = os.path.dirname(norm)
    if folders is not None and parent and not _plain_folder(root, parent, folders):
        folders = None  # a symlink on the way: resolve it in full
    try:
        info = os.lstat(full) if folders is not None else None
    except (FileNotFoundError, NotADirectoryError):
        return [norm, None, None, None, None]
    if info is not None and not stat.S_ISLNK(info.st_mode):
        shown = norm
    else:
        real = os.path.realpath(full)
        shown = os.path.relpath(real, root) if real == root or real.startswith(root + os.sep) else real
        try:
            info = os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            return [shown, None, None, None, None]
        full = real
    if stat.S_ISDIR(info.st_mode):
        return [shown, "dir", None, None, None]
    if not stat.S_ISREG(info.st_mode):
        return [shown, "other", None, None, None]
    read = (digests or {}).get(norm)
    if read is not None:  # what the run read, as it was before it read it
        return [shown, "file", *read]
    digest = None
    if hash_always:
        digest = hasher()
        with open(full, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest = digest.hexdigest()
    return [shown, "file", info.st_size, info.st_mtime_ns, digest]


def _plain_folder(root: str, folder: str, folders: dict) -> bool:
    """Whether no part of `folder` (under the root) is a symlink, each part asked once."""
    known = folders.get(folder)
    if known is not None:
        return known
    up = os.path.dirname(folder)
    plain = _plain_folder(root, up, folders) if up else True
    if plain:
        try:
            plain = not stat.S_ISLNK(os.lstat(os.path.join(root, folder)).st_mode)
        except OSError:
            plain = True  # missing: nothing below it exists either
    folders[folder] = plain
    return plain


def _glob_answer(root: str, pattern: str, dirs_only: bool, repo=None) -> list:
    """[its matches, the folders whose listings decide them, as [path, mtime_ns, inode] (entries
    added, removed or renamed in a folder change its mtime), or None]: the one folder it lists
    when only its last segment has wildcards, or every folder below a plain folder it walks with
    `**` (none of them holding a symlink, which `**` would not follow). The folders are looked
    at before the glob runs: a change between the two shows in the next run."""
    from .errors import ArtifactError
    from .repo import Repo

    segments = pattern.split("/")
    folders = glob_folders(root, segments)
    try:
        matches = (repo or Repo(root)).glob(pattern, dirs_only)
    except ArtifactError as exc:
        return [["error", exc.message], None]
    return glob_answer(segments, folders, matches)


def glob_folders(root: str, segments) -> tuple | None:
    """What `_glob_answer` looks at before the glob runs: (the glob's plain folder, what
    `_folders_of` says of it), or None (a wildcard before its last segment, without `**`)."""
    if "**" in segments:
        plain = segments[:segments.index("**")]
        tree = not any(ch in "*?[" for part in plain for ch in part)
    else:
        plain, tree = segments[:-1], False
        if any(ch in "*?[" for part in plain for ch in part):
            return None
    rel = "/".join(plain)
    return rel, _folders_of(root, rel or ".", tree)


def glob_answer(segments, folders, matches: list) -> list:
    """A glob's answer (`_glob_answer`) from its matches and `glob_folders` taken before them."""
    if folders is None or folders[1] is None:
        return [matches, None]
    plain, found = folders
    if matches and found[0] != plain:
        return [matches, None]  # the folder above a missing one vouches only for nothing being there
    return [matches, found[1]]


def _folders_of(root: str, rel: str, tree: bool):
    """(the folder looked at, its [path, mtime_ns, inode] — or for `tree` that of every folder
    below it too, as a list) for a glob's plain folder, or the nearest folder above that
    exists; None when that cannot be told (a symlink in the tree, a folder that cannot be
    listed)."""
    asked = rel
    while True:
        try:
            info = os.lstat(os.path.join(root, rel))
        except FileNotFoundError:
            if rel == ".":
                return None
            rel = os.path.dirname(rel) or "."
            continue
        except OSError:
            return None
        if not stat.S_ISDIR(info.st_mode):
            return None
        here = [rel, info.st_mtime_ns, info.st_ino]
        if not tree or rel != asked:  # a missing folder: its nearest folder above shows it appear
            return rel if rel != "." else "", here
        found = [here]
        try:
            if not _tree(root, rel, found):
                return None
        except OSError:
            return None
        return rel if rel != "." else "", found


def _tree(root: str, rel: str, found: list) -> bool:
    """Every folder below `rel` (not the root's .git), each as [path, mtime_ns, inode], into
    `found`; False at a symlink."""
    with os.scandir(os.path.join(root, rel)) as entries:
        below = []
        for entry in entries:
            if rel == "." and entry.name == ".git":
                continue
            if entry.is_symlink():
                return False
            if entry.is_dir(follow_symlinks=False):
                child = entry.name if rel == "." else f"{rel}/{entry.name}"
                info = entry.stat(follow_symlinks=False)
                found.append([child, info.st_mtime_ns, info.st_ino])
                below.append(child)
    return all(_tree(root, child, found) for child in below)


def _folder_unchanged(root: str, stored, written: int) -> bool:
    """A glob whose folders (module doc of _glob_answer) have the mtime and inode stored, not
    within RACY_NS of the store: the same entries are there."""
    if not (isinstance(stored, list) and len(stored) == 2 and isinstance(stored[1], list) and stored[1]):
        return False
    folders = stored[1] if isinstance(stored[1][0], list) else [stored[1]]
    for folder in folders:
        if not (isinstance(folder, list) and len(folder) == 3):
            return False
        rel, mtime, inode = folder
        if not isinstance(rel, str) or type(mtime) is not int or written - mtime <= RACY_NS:
            return False
        try:
            info = os.lstat(os.path.join(root, rel))
        except OSError:
            return False
        if not (stat.S_ISDIR(info.st_mode) and info.st_mtime_ns == mtime and info.st_ino == inode):
            return False
    return True


def _listing(root: str, relpath: str):
    real = os.path.realpath(os.path.join(root, relpath))
    try:
        with os.scandir(real) as entries:
            return [real, sorted([e.name, e.is_symlink(), e.is_dir(follow_symlinks=False),
                                  e.is_file(follow_symlinks=False)] for e in entries)]
    except OSError as exc:
        return [real, type(exc).__name__]


def _git_state(root: str):
    """HEAD, every ref and the CI's branch variables: all the git loader's answers rest on."""
    from . import gitrun

    executable = gitrun.find_git()
    if executable is None:
        return ["no git"]
    code, out, _err = gitrun.run_git(executable, root, ("rev-parse", "--show-toplevel", "HEAD", "--symbolic-full-name",
                                                        "HEAD"), env=gitrun.environment())
    refs = gitrun.run_git(executable, root, ("for-each-ref", "--format=%(refname) %(objectname) %(*objectname)"),
                          env=gitrun.environment())
    shallow = os.path.exists(os.path.join(root, ".git", "shallow"))
    # git prints bytes: their digests are what is compared (JSON holds no bytes, and a manifest
    # that cannot be written keeps nothing of the run)
    return [code, hasher(out).hexdigest(), refs[0], hasher(refs[1]).hexdigest(), shallow,
            [os.environ.get(v) for v in _CI_BRANCH_VARIABLES]]


def run_key(packs, config, base, budget, params) -> str:
    """What every verdict of a run rests on besides the repository's files: policylint itself,
    the packs (their checked keys), the configuration, the params, --base, the budget, and which
    configured waivers have expired (they decide the stages subjects earn). Today's date is an
    input of the evaluations that ask for it, and of the printed report, not of every verdict."""
    from . import __version__
    from .configure import expired_waivers
    from .functions.dates import current_date

    current_date()  # a malformed SOURCE_DATE_EPOCH stops the run before it starts, not once it has printed
    parts = [__version__, FORMAT, repr(base), repr(expired_waivers(config)), repr(budget), json.dumps(params, sort_keys=True, default=str),
             config.digest, *sorted(p.key for p in _all_packs(packs))]
    return hasher("\0".join(parts).encode()).hexdigest()


def _all_packs(packs) -> list:
    out, seen = [], set()
    todo = list(packs)
    while todo:
        pack = todo.pop()
        if pack.key in seen:
            continue
        seen.add(pack.key)
        out.append(pack)
        todo.extend(pack.uses)
        todo.extend(getattr(pack, "helpers", ()))
    return out
