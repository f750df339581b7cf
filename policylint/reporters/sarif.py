"""SARIF 2.1.0, for GitHub code scanning and any SARIF viewer.

`policylint check -f sarif -o policylint.sarif`, then upload it with
`github/codeql-action/upload-sarif`. The log validates against the OASIS schema and meets
GitHub's rules for third-party SARIF (those `sarif-multitool validate --rule-kind Ghas`
checks):

- one run; `tool.driver` names policylint, its version and home page, and has one rule per
  gate id that appears in the run (sorted by id, so `ruleIndex` is stable): the gate title
  as `shortDescription`, the first paragraph of its documentation (the pack README's
  section for the gate, else its `##` comment) as `fullDescription`, all of it as `help`
  (text and Markdown) followed by the gate's id, pack, stage, severity and policy line, the
  pack's severity as `defaultConfiguration.level`, the pack and stage as `properties.tags`;
- a result for each failing or erroring gate, and for each waived one, which carries a
  `suppressions` entry (kind `external`: the waiver lives in the configuration, not in the
  file; `inSource` for a waiver comment beside the finding) with the waiver's reason,
  approver and expiry, so GitHub shows it as dismissed;
  passing and skipped gates are not results;
- `level` from the result's severity (after the configuration's overrides): error ->
  `error`, warning -> `warning`, info -> `note`;
- **one result per evidence line**, not one result with several locations: GitHub shows
  only a result's first location and keys an alert on it, so a gate that fails at three
  lines would show one alert and hide two. A result without evidence (a repository-wide
  gate such as a branch-name rule, a policy that could not be evaluated) points at the
  line of the policy that declares the gate; so does evidence located at a git object
  (`branch feature/x`, `commit 1a2b3c4`, `tag v1.2.0`), which is no artifact: its message
  starts with that object instead;
- every result is located: `artifactLocation.uri` is relative, percent-encoded, with
  `uriBaseId` `%SRCROOT%` (the top of the checkout: paths are prefixed with where the
  root sits in its git work tree, see `repo_prefix`), and
  `region.startLine` is the evidence's line, or 1 when the evidence names a whole file or
  folder (GitHub rejects a location without a region). A gate declared in a pack outside the
  repository (a built-in pack) points at `<pack>/<file>.policy` under the base id
  `POLICYLINT_PACKS`, which `originalUriBaseIds` describes; GitHub lists such an alert
  without a code snippet;
- `partialFingerprints["policylint/v1"]` hashes the gate id, the subject, the path and the
  evidence message, never the line, so an alert survives lines moving above it; identical
  messages in one file are told apart by their order;
- notices (stale or expired waivers, encoding fallbacks) are the invocation's
  `toolConfigurationNotifications` (PL3xx) and `toolExecutionNotifications` (others).

Same run, same bytes: no timestamps, no absolute paths, keys in a fixed order.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
from urllib.parse import quote

from .. import __version__
from ..structs import struct
from .json import dumps as _indented

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/policylint/"
FINGERPRINT_KEY = "policylint/v1"
SRCROOT = "%SRCROOT%"
PACKROOT = "POLICYLINT_PACKS"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
REPORTED = ("fail", "error", "waived")


# -- findings: one per evidence line, shared with the github and gitlab formats -------------
@struct
class Finding:
    result: object
    evidence: object        # the Evidence it shows, or None when it points at the policy
    path: str               # repository path (with the --root prefix), or `<pack>/<file>.policy`
    line: int | None        # None: the whole file (formats that need a line use 1)
    in_repo: bool           # False: a pack outside the repository
    message: str
    fingerprint: str


def repo_prefix(options, root=None) -> str:
    """Where the root sits in the repository, as `services/api/` (or ``): the prefix of every path.

    Code scanning, GitLab and annotations want paths from the top of the checkout. That is
    the git work tree holding the root when there is one (found by looking for `.git`
    upwards, no git command run), else the working directory when `--root` is a relative
    folder below it; otherwise paths stay relative to the root.
    """
    if root:
        real = os.path.realpath(str(root))
        top = _work_tree(real)
        if top is not None:
            rel = os.path.relpath(real, top).replace(os.sep, "/")
            return "" if rel == "." else rel + "/"
    given = getattr(options, "root_as_given", None) or "."
    if os.path.isabs(given):
        try:
            given = os.path.relpath(given, os.getcwd())
        except ValueError:  # another drive
            return ""
    rel = posixpath.normpath(given.replace(os.sep, "/"))
    if rel in (".", "") or rel == ".." or rel.startswith("../") or rel.startswith("/"):
        return ""
    return rel + "/"


def _work_tree(path: str) -> str | None:
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def gate_doc(run, gate: str) -> dict | None:
    docs = getattr(run, "gate_docs", None) or {}
    return docs.get(gate)


def pack_doc(run, gate: str) -> dict | None:
    """For a gate no policy line declares (`speckit.spec.claims`): any gate of the same pack."""
    docs = getattr(run, "gate_docs", None) or {}
    pack = gate.split(".", 1)[0]
    for gid in sorted(docs):
        if docs[gid].get("pack", gid.split(".", 1)[0]) == pack:
            return docs[gid]
    return None


def policy_location(run, gate: str, prefix: str = ""):
    """(path, line, in_repo) of the policy that declares `gate`, or None when none is known."""
    doc = gate_doc(run, gate)
    line = doc.get("line") if doc else None
    if doc is None:
        doc = pack_doc(run, gate)
        line = None
    if not doc or not doc.get("policy_path"):
        return None
    path = str(doc["policy_path"]).replace("\\", "/")
    in_repo = doc.get("in_repo")
    if in_repo is None:  # relative to the root when inside the repository, else as shown
        in_repo = (not posixpath.isabs(path) and not path.startswith("../")
                   and os.path.isfile(os.path.join(str(run.root), path)))
    if in_repo:
        return prefix + path, line, True
    pack = doc.get("pack") or gate.split(".", 1)[0]
    return f"{pack}/{posixpath.basename(path)}", line, False


def finding_text(result, evidence) -> str:
    """The evidence's message, then the gate's own message when it adds something."""
    first = (evidence.message if evidence is not None else "") or ""
    extra = result.message or ""
    if not first:
        return extra or result.title or result.gate
    if not extra or extra in first:
        return first
    if first in extra:
        return extra
    return f"{first}\n{extra}"


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def findings(run, options, statuses=REPORTED) -> list:
    """One Finding per evidence line of every result whose status is in `statuses`, in run order."""
    prefix = repo_prefix(options, run.root)
    out: list = []
    seen: dict = {}
    for result in run.results:
        if result.status not in statuses:
            continue
        located = [(ev, prefix + ev.path, ev.line, True) if names_a_file(ev.path) else (ev, *_fallback(run, result, prefix))
                   for ev in result.evidence] or [(None, *_fallback(run, result, prefix))]
        for ev, path, line, in_repo in located:
            key = (result.gate, result.subject or "", ev.path if ev is not None else "",
                   ev.message if ev is not None else "")
            n = seen.get(key, 0)
            seen[key] = n + 1
            parts = list(key) + ([str(n)] if n else [])
            text = finding_text(result, ev)
            if ev is not None and ev.path.startswith(_GIT_OBJECTS):  # `branch feature/x`: said, not pointed at
                text = f"{ev.path}: {text}"
            out.append(Finding(result, ev, path, line, in_repo, text, fingerprint(*parts)))
    return out


# Evidence about git, not a file: the git loader locates a branch, commit or tag so, and
# repository-wide facts (`git.branch`) and its errors at `git`.
_GIT_OBJECTS = ("branch ", "commit ", "tag ")
_GIT = "git"


def names_a_file(path: str) -> bool:
    """False for evidence located at git (`branch feature/x`, `git`): no artifact to point at."""
    return path != _GIT and not path.startswith(_GIT_OBJECTS)


def _fallback(run, result, prefix: str) -> tuple:
    """(path, line, in_repo) for a finding with no file of its own: the gate's policy line;
    else the subject; else the pack's policy file."""
    where = policy_location(run, result.gate, prefix) if gate_doc(run, result.gate) else None
    if where is None and result.subject:
        where = (prefix + result.subject, None, True)
    if where is None:
        where = policy_location(run, result.gate, prefix)
    if where is None:  # no policy known at all: still a finding, never a silent gap
        pack = result.gate.split(".", 1)[0]
        where = (f"{pack}/{pack}.policy", None, False)
    return where


def waiver_text(waiver) -> str:
    """`reason (approved by X, until 2031-01-31)`, as the text report says it."""
    if waiver is None:
        return "waived"
    details = []
    if getattr(waiver, "approved_by", None):
        details.append(f"approved by {waiver.approved_by}")
    expires = getattr(waiver, "expires", None)
    if expires is not None:
        details.append(f"until {_iso(expires)}")
    reason = getattr(waiver, "reason", "") or "waived"
    return f"{reason} ({', '.join(details)})" if details else reason


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# -- the SARIF log -------------------------------------------------------------------------
def _uri(path: str) -> str:
    try:  # a file name that is not UTF-8 comes back to its own bytes
        return quote(path, safe="/", errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, safe="/", errors="backslashreplace")


def _location(path: str, line: int | None, in_repo: bool) -> dict:
    return {"physicalLocation": {
        "artifactLocation": {"uri": _uri(path), "uriBaseId": SRCROOT if in_repo else PACKROOT},
        "region": {"startLine": line if line and line >= 1 else 1},
    }}


def _pascal(gate: str) -> str:
    rest = gate.split(".", 1)[1] if "." in gate else gate
    name = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", rest) if w)
    return name if name[:1].isalpha() else "Gate" + name


def _rule(run, gate: str, results: list) -> dict:
    doc = gate_doc(run, gate) or {}
    titles = {r.title for r in results if r.title}
    title = titles.pop() if len(titles) == 1 else (doc.get("title") or sorted(titles or {gate})[0])
    body = (doc.get("doc") or "").strip()
    pack = doc.get("pack") or gate.split(".", 1)[0]
    stage = doc.get("stage") if doc else next((r.stage for r in results if r.stage), None)
    severity = doc.get("severity") or results[0].severity
    unwaivable = doc.get("unwaivable", any(getattr(r, "unwaivable", False) for r in results))
    where = policy_location(run, gate)
    declared = f"{where[0]}:{where[1]}" if where and where[1] else (where[0] if where else None)

    facts = [("gate", gate), ("pack", pack + (f" {doc['pack_version']}" if doc.get("pack_version") else "")),
             ("stage", stage or "repository-wide"), ("severity", severity + (", unwaivable" if unwaivable else ""))]
    if declared:
        facts.append(("declared at", declared))
    text = "\n".join([body or title, ""] + [f"{k}: {v}" for k, v in facts])
    markdown = "\n".join([f"**{_md(title)}**", ""] + ([body, ""] if body else [])
                         + [f"- {k}: `{v}`" for k, v in facts])
    tags = [pack, stage or "repository"] + (["unwaivable"] if unwaivable else [])
    return {
        "id": gate,
        "name": _pascal(gate),
        "shortDescription": {"text": title},
        "fullDescription": _summary(body) if body else {"text": title},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
        "properties": {"tags": tags},
    }


def _summary(doc: str) -> dict:
    """The doc's first paragraph, on one line: as Markdown, and as text without the emphasis marks."""
    first = next((p for p in re.split(r"\n\s*\n", doc) if p.strip()), doc)
    markdown = " ".join(first.split())
    return {"text": markdown.replace("**", "").replace("__", ""), "markdown": markdown}


def _md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>|~#" else ch for ch in text)


def _suppression(waiver, prefix: str) -> dict:
    kind = "inSource" if getattr(waiver, "lines", None) else "external"  # an inline waiver is a comment in the file
    out = {"kind": kind, "status": "accepted", "justification": waiver_text(waiver)}
    path = getattr(waiver, "path", None)
    if path:
        out["location"] = _location(prefix + str(path).replace("\\", "/"), getattr(waiver, "line", None), True)
    props = {}
    if getattr(waiver, "approved_by", None):
        props["approvedBy"] = waiver.approved_by
    if getattr(waiver, "expires", None) is not None:
        props["expires"] = _iso(waiver.expires)
    if props:
        out["properties"] = props
    return out


def _notification(notice, prefix: str) -> dict:
    out = {"descriptor": {"id": notice.code}, "level": "warning", "message": {"text": notice.message}}
    if notice.path:
        out["locations"] = [_location(prefix + notice.path, notice.line, True)]
    return out


def to_dict(run, options) -> dict:
    prefix = repo_prefix(options, run.root)
    by_gate: dict = {}
    for result in run.results:
        by_gate.setdefault(result.gate, []).append(result)
    gates = sorted(by_gate)
    index = {gate: i for i, gate in enumerate(gates)}

    results = []
    for f in findings(run, options):
        r = f.result
        item = {
            "ruleId": r.gate,
            "ruleIndex": index[r.gate],
            "level": LEVEL.get(r.severity, "warning"),
            "message": {"text": f.message},
            "locations": [_location(f.path, f.line, f.in_repo)],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        }
        if r.status == "waived":
            item["suppressions"] = [_suppression(getattr(r, "waiver", None), prefix)]
        props = {"status": r.status}
        if r.subject is not None:
            props["subject"] = r.subject
        if r.stage is not None:
            props["stage"] = r.stage
        item["properties"] = props
        results.append(item)

    sarif_run: dict = {
        "tool": {"driver": {
            "name": "policylint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(run, gate, by_gate[gate]) for gate in gates],
        }},
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The top of the repository checkout."}},
            PACKROOT: {"description": {"text": "Packs outside the repository (built-in or installed): "
                                               "<pack>/<file>.policy."}},
        },
    }
    config = [_notification(n, prefix) for n in run.notices if str(n.code).startswith("PL3")]
    execution = [_notification(n, prefix) for n in run.notices if not str(n.code).startswith("PL3")]
    invocation: dict = {"executionSuccessful": True}
    if config:
        invocation["toolConfigurationNotifications"] = config
    if execution:
        invocation["toolExecutionNotifications"] = execution
    sarif_run["invocations"] = [invocation]
    sarif_run["results"] = results
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [sarif_run]}


_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(data) -> str:
    """Indented JSON, UTF-8 text kept; a lone surrogate (a file name that is not UTF-8) as its escape."""
    text = _indented(data)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def render(run, out, options) -> None:
    out.write(dumps(to_dict(run, options)))
