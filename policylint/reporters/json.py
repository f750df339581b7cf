"""The versioned JSON report that other tools read.

Schema (version 1): {"policylint", "schema", "root", "packs", "subjects", "results",
"summary", "notices"}; paths relative to the root with `/`; sorted, so the same
repository always gives the same bytes.

Written by `write`, not `json.dump(indent=2)`, which indents in pure Python with one small
write per token (a sixth of a 2,000-spec run). `write` makes the very same bytes in a few
large writes; the results, most of which pass with no evidence, are written from a template
whose parts are encoded once per distinct text, and no result becomes a dict unless it has
evidence or a waiver.
"""
from __future__ import annotations

from json.encoder import encode_basestring as _text, encode_basestring_ascii as _ascii  # the C ones when present

from .. import JSON_SCHEMA_VERSION, __version__


def _string(value: str) -> str:
    """A string's JSON text, non-ASCII characters as they are (ensure_ascii=False's escapes);
    one that holds a lone surrogate (a file name that is not UTF-8) all escaped, so the report
    is UTF-8 whatever it names."""
    text = _text(value)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _ascii(value)
    return text


def evidence(ev) -> dict:
    return {"path": ev.path, "line": ev.line, "message": ev.message}


def waiver(w) -> dict | None:
    if w is None:
        return None
    return {"reason": w.reason, "approved_by": w.approved_by,
            "expires": w.expires.isoformat() if w.expires else None, "source": w.where() or None}


def result(r) -> dict:
    return {"gate": r.gate, "subject": r.subject, "stage": r.stage, "status": r.status,
            "severity": r.severity, "title": r.title, "message": r.message,
            "evidence": [evidence(e) for e in r.evidence],
            **({"waiver": waiver(r.waiver)} if r.waiver is not None else {})}


def subject(s) -> dict:
    return {"id": s.id, "lifecycle": s.lifecycle, "claimed": s.claimed, "earned": s.earned,
            "claimed_at": s.claimed_at, "next": s.next_stage}


def to_dict(run, root_as_given: str, results=None, subjects=None) -> dict:
    """The report; `results` and `subjects` stand in for the lists of dicts (`render` passes writers)."""
    return {
        "policylint": __version__,
        "schema": JSON_SCHEMA_VERSION,
        "root": root_as_given,
        "packs": run.packs,
        "subjects": [subject(s) for s in run.subjects] if subjects is None else subjects,
        "results": [result(r) for r in run.results] if results is None else results,
        "summary": run.summary(),
        "notices": [{"path": n.path, "line": n.line, "code": n.code, "message": n.message} for n in run.notices],
    }


def render(run, out, options) -> None:
    kept = getattr(run, "kept", None)
    if kept is None:
        write(to_dict(run, options.root_as_given, _Results(run.results)), out)
    else:  # the results cache's kept pieces, in their places among what this run evaluated
        reported = {id(r) for r in run.results}
        items = Items()
        pieces = []
        for r in kept.results:  # a Result, a kept piece (`text`), or one entry's `results` (a group)
            if hasattr(r, "text") or hasattr(r, "results"):  # a group: written as one piece, which the cache keeps
                pieces.append(r)
            elif id(r) in reported:
                pieces.append(items.result(r))
        results = _Pieces(pieces, items, reported)
        subjects = _Pieces([s if hasattr(s, "text") else items.subject(s) for s in kept.subjects], items, reported)
        write(to_dict(run, options.root_as_given, results, subjects), out)
    out.write("\n")


class Items:
    """Each result's and subject's text as an item of the report's `results` and `subjects` lists
    (what `write` puts there, without the separator): the results cache keeps an evaluation's
    items, and a later run writes them in their places without making their results again."""

    LEVEL = 2  # the lists' items: the report's fields are at level 1

    def __init__(self):
        self.encoded = _Encoded()
        field = _newline(self.LEVEL + 1)
        self.field = field
        self.tail = _Tail(self.encoded, field, _newline(self.LEVEL) + "}")

    def result(self, r) -> str:
        try:
            if r.evidence or r.waiver is not None:
                raise _NotText
            encoded = self.encoded
            return (f'{{{self.field}"gate": {encoded[r.gate]},{self.field}"subject": {encoded[r.subject]}'
                    f'{self.tail[r.stage, r.status, r.severity, r.title, r.message]}')
        except (_NotText, TypeError):  # TypeError: an unhashable field
            parts: list = []
            _dict(result(r), self.LEVEL, parts, None)
            return "".join(parts)

    def results(self, results) -> str:
        """Several results' items, as `write` separates them (kept as one piece)."""
        return ("," + _newline(self.LEVEL)).join(map(self.result, results))

    def subject(self, s) -> str:
        parts: list = []
        _dict(subject(s), self.LEVEL, parts, None)
        return "".join(parts)


class _Pieces:
    """A list written from its items' texts: each a str, an object whose `text` holds several
    items already separated as UTF-8 bytes (empty: none), which go to the stream's bytes as they
    are, or one entry's results (results.Group), made into such a text as it is written, one
    at a time (a 2,000-spec report is never held twice); where it lands in the stream, when the
    stream can tell, is the group's `span`: the results cache keeps those bytes as its piece."""

    __slots__ = ("pieces", "items", "reported")

    def __init__(self, pieces, items, reported: set):
        self.pieces, self.items, self.reported = pieces, items, reported

    def _text(self, piece):
        if type(piece) is str:
            return piece
        group = getattr(piece, "results", None)
        if group is None:
            return piece.text
        reported = self.reported
        return self.items.results([one for one in group if id(one) in reported])

    def write(self, level: int, parts: list, out) -> None:
        item = _newline(level + 1)
        buffer = getattr(out, "buffer", None)
        if buffer is None:
            texts = [t if type(t) is str else str(t, "utf-8") for t in map(self._text, self.pieces)]
            texts = [t for t in texts if t]
            parts.append("[" + item + ("," + item).join(texts) + _newline(level) + "]" if texts else "[]")
            return
        _flush(parts, out)
        out.flush()
        try:
            at = buffer.tell()
        except (OSError, AttributeError, ValueError):  # a pipe: no group's span is known
            at = None
        lead, separator = ("[" + item).encode(), ("," + item).encode()
        for piece in self.pieces:
            text = self._text(piece)
            if type(text) is str:
                text = text.encode()
            if len(text):
                buffer.write(lead)
                at = at + len(lead) if at is not None else None
                lead = separator
            if hasattr(piece, "span"):
                piece.span = (at, at + len(text)) if at is not None else None
            buffer.write(text)
            at = at + len(text) if at is not None else None
        if lead is separator:
            buffer.write((_newline(level) + "]").encode())
        else:
            parts.append("[]")


class _NotText(Exception):
    """A result field that is not a string or None: that result is written the general way."""


_CACHED = 4096  # texts a cache below holds before it starts again: what repeats (a gate's id, a passing
# result's tail) is made once a few thousand results, and a message naming its subject, made for
# each, is not held to the end (a 2,000-spec report's would be 12 MiB)


class _Encoded(dict):
    """A string (or None) -> its JSON text, each distinct one encoded once (of the last _CACHED)."""

    def __missing__(self, key):
        if key is not None and not isinstance(key, str):
            raise _NotText
        if len(self) >= _CACHED:
            self.clear()
        text = self[key] = "null" if key is None else _string(key)
        return text


class _Tail(dict):
    """(stage, status, severity, title, message) -> the text of a plain result after its subject."""

    def __init__(self, encoded: _Encoded, newline: str, close: str):
        super().__init__()
        self.encoded, self.newline, self.close = encoded, newline, close

    def __missing__(self, key):
        e, nl = self.encoded, self.newline
        stage, status, severity, title, message = (e[part] for part in key)
        if len(self) >= _CACHED:
            self.clear()
        text = self[key] = (f',{nl}"stage": {stage},{nl}"status": {status},{nl}"severity": {severity},'
                            f'{nl}"title": {title},{nl}"message": {message},{nl}"evidence": []{self.close}')
        return text


class _Results:
    """The results list, written as `write` would write `[result(r) for r in results]`."""

    __slots__ = ("results",)

    def __init__(self, results):
        self.results = results

    def write(self, level: int, parts: list, out) -> None:
        if not self.results:
            parts.append("[]")
            return
        item, field = _newline(level + 1), _newline(level + 2)
        encoded = _Encoded()
        tail = _Tail(encoded, field, item + "}")
        lead = "[" + item
        for r in self.results:
            try:
                if r.evidence or r.waiver is not None:
                    raise _NotText
                parts.append(f'{lead}{{{field}"gate": {encoded[r.gate]},{field}"subject": {encoded[r.subject]}'
                             f'{tail[r.stage, r.status, r.severity, r.title, r.message]}')
            except (_NotText, TypeError):  # TypeError: an unhashable field
                parts.append(lead)
                _dict(result(r), level + 1, parts, out)
            lead = "," + item
            if len(parts) > _FLUSH:
                _flush(parts, out)
        parts.append(_newline(level) + "]")


# -- indented JSON, byte for byte as json.dump(value, indent=2, ensure_ascii=False) ----------
_FLUSH = 20_000  # pieces held before they are written: a few hundred kB a write
_NEWLINE = ["\n" + "  " * level for level in range(32)]


def write(value, out) -> None:
    """`json.dump(value, out, indent=2, ensure_ascii=False)`, in a few large writes."""
    parts: list = []
    _value(value, 0, parts, out)
    out.write("".join(parts))


def dumps(value) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`."""
    parts: list = []
    _value(value, 0, parts, None)
    return "".join(parts)


def _flush(parts: list, out) -> None:
    if out is not None:
        out.write("".join(parts))
        parts.clear()


def _newline(level: int) -> str:
    return _NEWLINE[level] if level < len(_NEWLINE) else "\n" + "  " * level


def _scalar(o):
    """The JSON text of a str, None, bool, int or float, as the json module writes it; else None."""
    if isinstance(o, str):
        return _string(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        if o != o:
            return "NaN"
        if o == float("inf"):
            return "Infinity"
        if o == -float("inf"):
            return "-Infinity"
        return float.__repr__(o)
    return None


def _key(k) -> str:
    if isinstance(k, str):
        return _string(k)
    if isinstance(k, (float, int)) or k is None:  # bools are ints: "true" / "false"
        return _string(_scalar(k))
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _value(o, level: int, parts: list, out) -> None:
    text = _scalar(o)
    if text is not None:
        parts.append(text)
    elif isinstance(o, dict):
        _dict(o, level, parts, out)
    elif isinstance(o, (list, tuple)):
        _list(o, level, parts, out)
    elif isinstance(o, (_Results, _Pieces)):
        o.write(level, parts, out)
    else:
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _dict(d: dict, level: int, parts: list, out) -> None:
    if not d:
        parts.append("{}")
        return
    inner = level + 1
    newline = _newline(inner)
    lead = "{" + newline
    for k, v in d.items():
        key = _string(k) if type(k) is str else _key(k)
        text = _string(v) if type(v) is str else _scalar(v)
        if text is not None:
            parts.append(f"{lead}{key}: {text}")
        else:
            parts.append(f"{lead}{key}: ")
            _value(v, inner, parts, out)
        lead = "," + newline
    parts.append(_newline(level) + "}")


def _list(items, level: int, parts: list, out) -> None:
    if not items:
        parts.append("[]")
        return
    inner = level + 1
    newline = _newline(inner)
    lead = "[" + newline
    for item in items:
        text = _scalar(item)
        if text is not None:
            parts.append(lead + text)
        else:
            parts.append(lead)
            _value(item, inner, parts, out)
        lead = "," + newline
        if len(parts) > _FLUSH:
            _flush(parts, out)
    parts.append(_newline(level) + "]")
