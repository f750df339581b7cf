"""Baselines: adopt policylint on a repository that already has findings.

`policylint baseline` records today's failures; `check` then blocks only on failures that
are not in the baseline and reports baseline entries that no longer fail, so a team can
ratchet down. Entries are keyed by gate, subject, path and message — never by line — so
moving text around does not break the baseline.
"""
from __future__ import annotations

from .config import BASELINE_NAME as DEFAULT_NAME
from .diagnostics import Diagnostic
from .errors import PolicylintError

FORMAT_VERSION = 1


def fingerprint(gate: str, subject: str | None, path: str | None, message: str) -> str:
    import hashlib

    key = "\x1f".join([gate, subject or "", path or "", message])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def entries_of(result) -> list:
    """One entry per piece of evidence (or one for the result when it has none)."""
    if result.evidence:
        return [{"gate": result.gate, "subject": result.subject, "path": e.path, "message": e.message,
                 "fingerprint": fingerprint(result.gate, result.subject, e.path, e.message)} for e in result.evidence]
    return [{"gate": result.gate, "subject": result.subject, "path": None, "message": result.message,
             "fingerprint": fingerprint(result.gate, result.subject, None, result.message)}]


def write(run, path: Path) -> tuple:
    """Write the baseline; returns (entries written, failures of unwaivable gates left out)."""
    import json

    failing = [r for r in run.results if r.status in ("fail", "error")]
    entries = [entry for r in failing if not r.unwaivable for entry in entries_of(r)]
    entries.sort(key=lambda e: (e["subject"] or "", e["gate"], e["path"] or "", e["message"]))
    data = {"policylint_baseline": FORMAT_VERSION, "entries": entries}
    from .fsutil import write_text

    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return len(entries), sum(1 for r in failing if r.unwaivable)


def read(path: Path, shown: str) -> dict:
    import json

    try:
        from .repo import read_regular

        data = json.loads(read_regular(path).decode("utf-8"))
        entries = data["entries"]
        if data.get("policylint_baseline") != FORMAT_VERSION or not isinstance(entries, list):
            raise ValueError("unknown baseline format")
        return {e["fingerprint"]: e for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PolicylintError(Diagnostic("PL307", f"cannot use baseline `{shown}`: {exc}", None,
                                         "write a new one with `policylint baseline`")) from None


def apply(run, known: dict, shown: str, waiver_factory, judged=None, seen_before=()) -> dict:
    """Failures found in the baseline stop blocking; entries no longer failing become notices,
    but only those `judged(entry)` allows: an entry of a gate or subject the run did not
    evaluate (a scoped run, another pack) is not fixed, just not looked at. `seen_before`: the
    entries that findings kept outside the run's results still match (the results cache's
    report pieces). Returns the entries each result matched (fingerprints by the result's id)."""
    from .repo import Notice

    seen: set = set(seen_before)
    matched: dict = {}
    for result in run.results:
        if result.status not in ("fail", "error") or result.unwaivable:
            continue
        entries = entries_of(result)
        old = [e for e in entries if e["fingerprint"] in known]
        seen.update(e["fingerprint"] for e in old)
        if not old:
            continue
        matched[id(result)] = [e["fingerprint"] for e in old]
        if len(old) == len(entries):
            result.status = "waived"
            result.waiver = waiver_factory(result)
        else:
            fresh = {e["fingerprint"] for e in entries} - {e["fingerprint"] for e in old}
            result.evidence = [e for e in result.evidence
                               if fingerprint(result.gate, result.subject, e.path, e.message) in fresh]
            result.message += f" ({len(old)} more already in the baseline)"
    for fp, entry in sorted(known.items(), key=lambda kv: (kv[1]["subject"] or "", kv[1]["gate"], kv[1]["message"])):
        if fp not in seen and (judged is None or judged(entry)):
            where = f"{entry['subject']} " if entry["subject"] else ""
            run.notices.append(Notice(shown, None, "PL306",
                                      f"fixed since the baseline: {where}{entry['gate']}: {entry['message']} "
                                      "(run `policylint baseline` to ratchet)"))
    return matched
