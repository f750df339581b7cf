"""The readers behind `coverage(path)`: one streaming reader per report format.

Each reader takes a binary stream and returns `(format, totals, files)`: `totals` is a
`Counts` for the whole report (or None: add up the files), `files` a list of `Counts`
with `path` and `line`. Nothing here knows about records or the Repo; coverage.py turns
the counts into the typed view. Readers never hold the whole report: XML goes through defusedxml's
expat parser with a streaming target (no tree), JSON one file entry at a time, LCOV one record at a time,
so memory follows the largest single file entry, not the report.

XML safety: any entity declaration (a billion-laughs bomb, an external entity) is refused
before it is expanded, no external DTD or entity is ever loaded, and a DOCTYPE without
entities (JaCoCo, Cobertura and istanbul write one) is allowed — the same policy as
xmlsafe.py (defusedxml), with a streaming target so that nothing builds a tree.
"""
from __future__ import annotations

import re

from ..errors import ArtifactError
from ..patterns import lazy

KNOWN_FORMATS = ("Cobertura XML, JaCoCo XML, Clover XML, coverage.py JSON, "
                 "istanbul json-summary, LCOV")
CHUNK = 1 << 16  # bytes read at a time: memory per chunk is a few times this
SNIFF = 8192  # bytes looked at to tell binary junk from text

# `format` values, one per format.
COBERTURA, JACOCO, CLOVER, COVERAGE_PY_JSON, ISTANBUL_SUMMARY, LCOV = (
    "cobertura", "jacoco", "clover", "coverage.py-json", "istanbul-json-summary", "lcov")
FORMATS = (COBERTURA, JACOCO, CLOVER, COVERAGE_PY_JSON, ISTANBUL_SUMMARY, LCOV)


class Counts:
    """Covered/total counts of lines, branches, functions and statements; None = absent."""

    __slots__ = ("path", "line", "lc", "lt", "bc", "bt", "fc", "ft", "sc", "st")

    def __init__(self, path=None, line=None, lines=None, branches=None, functions=None, statements=None):
        self.path, self.line = path, line
        self.lc, self.lt = lines if lines is not None else (None, None)
        self.bc, self.bt = branches if branches is not None else (None, None)
        self.fc, self.ft = functions if functions is not None else (None, None)
        self.sc, self.st = statements if statements is not None else (None, None)

    def add(self, other: "Counts") -> None:
        for name in ("lc", "lt", "bc", "bt", "fc", "ft", "sc", "st"):
            theirs = getattr(other, name)
            if theirs is not None:
                mine = getattr(self, name)
                setattr(self, name, theirs if mine is None else mine + theirs)

    def __repr__(self) -> str:
        return (f"Counts({self.path!r}@{self.line}: lines {self.lc}/{self.lt}, branches {self.bc}/{self.bt}, "
                f"functions {self.fc}/{self.ft}, statements {self.sc}/{self.st})")


def file_path(raw: str) -> str:
    """A file's path as the report writes it, with `/` and without a leading `./`."""
    path = raw.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def unknown(path: str, what: str, line: int | None = None) -> ArtifactError:
    return ArtifactError(path, f"unknown coverage format: {what} (known: {KNOWN_FORMATS})", line)


# -- reading and telling the format -----------------------------------------------------------

class Source:
    """A binary stream read in chunks, never more than `limit` bytes in all."""

    def __init__(self, stream, path: str, limit: int | None = None):
        self.stream = stream
        self.path = path
        self.limit = limit
        self.total = 0

    def read(self) -> bytes:
        data = self.stream.read(CHUNK)
        self.total += len(data)
        if self.limit is not None and self.total > self.limit:
            raise ArtifactError(self.path, f"file is larger than the {self.limit}-byte limit")
        return data


def read_report(stream, path: str, limit: int | None = None):
    """`(format, totals, files)` of the report in `stream`; raises ArtifactError."""
    source = Source(stream, path, limit)
    head = source.read()
    while len(head) < SNIFF:  # enough to tell binary junk from text
        more = source.read()
        if not more:
            break
        head += more
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    start = head.lstrip()
    while not start:  # blanks, then maybe a report (kept: LCOV counts their lines)
        more = source.read()
        if not more:
            break
        head += more
        start = more.lstrip()
    if not start:
        raise ArtifactError(path, f"empty file: expected a coverage report ({KNOWN_FORMATS})")
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or start[:1] == b"<":
        return read_xml(source, head, path)
    if _looks_binary(start[:SNIFF]):
        raise unknown(path, "the file is binary, not a text report", None)
    if start[:1] in (b"{", b"["):
        return read_json(source, head, path)
    return read_lcov(source, head, path)


_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    if len(_CONTROL.findall(sample)) * 10 > len(sample):
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(sample) - 4  # a character cut at the sample's end is fine
    return False


# -- XML: Cobertura, JaCoCo, Clover ---------------------------------------------------------------

def read_xml(source: Source, head: bytes, path: str):
    """Stream the report through defusedxml: entity declarations and external references are
    refused (the DOCTYPE JaCoCo writes is allowed), and no tree is built."""
    import defusedxml
    from defusedxml.ElementTree import DefusedXMLParser
    from xml.etree.ElementTree import ParseError

    events = _Events()
    parser = DefusedXMLParser(target=events, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    events.expat = parser.parser
    handler = _RootHandler(events, path)
    events.StartElementHandler = handler.start
    try:
        data = head
        while data:
            parser.feed(data)
            data = source.read()
        parser.close()
    except defusedxml.EntitiesForbidden as exc:
        raise ArtifactError(path, f"refused: the XML declares entity `{exc.name}` (entity expansion is not allowed)",
                            events.CurrentLineNumber) from None
    except defusedxml.ExternalReferenceForbidden as exc:
        raise ArtifactError(path, f"refused: the XML references an external resource `{exc.sysid or exc.pubid}`",
                            events.CurrentLineNumber) from None
    except ParseError as exc:
        message = str(exc).rsplit(": line ", 1)[0]
        raise ArtifactError(path, f"not well-formed XML: {message}", exc.position[0]) from None
    except RecursionError:
        raise ArtifactError(path, "refused: the XML is nested too deeply", events.CurrentLineNumber) from None
    if handler.reader is None:  # a bare `<coverage/>`: a Cobertura root that measured nothing
        handler.reader = _CoberturaReader(events, path, handler.root_attrs)
        handler.reader.root("coverage", handler.root_attrs)
    return handler.reader.result()


class _Events:
    """The parser as the readers see it: handlers they set, and the line expat is on."""

    def __init__(self):
        self.expat = None
        self.StartElementHandler = None
        self.EndElementHandler = None

    @property
    def CurrentLineNumber(self) -> int:  # noqa: N802 - expat's name, which the readers use
        return self.expat.CurrentLineNumber

    def start(self, tag, attrs):
        self.StartElementHandler(tag, attrs)

    def end(self, tag):
        if self.EndElementHandler is not None:
            self.EndElementHandler(tag)

    def close(self):
        return None


class _RootHandler:
    """Looks at the root element, then hands the parser to the format's reader."""

    def __init__(self, parser, path: str):
        self.parser = parser
        self.path = path
        self.reader = None
        self.root_attrs = None

    def start(self, name, attrs):
        parser = self.parser
        if self.root_attrs is None:
            if name == "report":
                self._use(_JacocoReader(parser, self.path), name, attrs)
            elif name == "coverage":
                if "line-rate" in attrs or "lines-valid" in attrs or "branch-rate" in attrs:
                    self._use(_CoberturaReader(parser, self.path, attrs), name, attrs)
                elif "clover" in attrs:
                    self._use(_CloverReader(parser, self.path), name, attrs)
                else:
                    self.root_attrs = attrs  # PHPUnit's Clover says only `generated`: look at the child
            else:
                raise unknown(self.path, f"XML whose root element is `<{name}>`", parser.CurrentLineNumber)
            return
        # the first child of a `<coverage>` root that said neither
        if name == "project":
            reader = _CloverReader(parser, self.path)
        else:
            reader = _CoberturaReader(parser, self.path, self.root_attrs)
        self._use(reader, "coverage", self.root_attrs)
        reader.start(name, attrs)

    def _use(self, reader, name, attrs):
        self.reader = reader
        self.parser.StartElementHandler = reader.start
        self.parser.EndElementHandler = reader.end
        reader.root(name, attrs)


def _count(value, what: str, path: str, line) -> int:
    """A non-negative whole number from an attribute; `1.0` is 1; anything else is an error
    (more digits than Python reads, 4300, too)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        try:
            number = float(value)
            number = int(number) if number == int(number) else -1
        except (TypeError, ValueError, OverflowError):
            number = -1
    if number < 0:
        raise ArtifactError(path, f"{what} is not a whole number: `{_shown(value)}`", line)
    return number


def _optional_count(attrs: dict, name: str):
    value = attrs.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


_CONDITION = lazy(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")


class _CoberturaReader:
    """Cobertura: `coverage > packages > package > classes > class > lines > line`.

    Lines are a class's own `<lines>` (a method's `<lines>` repeat them), each number once
    per class; branches are the `(covered/total)` of `condition-coverage`; functions are
    the `<method>`s: hit when their `hits` attribute is above 0 (istanbul) or, without it
    (Java Cobertura, coverlet), when one of their lines is hit; a method with neither hits
    nor lines measures nothing and is not counted. Classes of one `filename` (Java inner
    classes) add up, as Cobertura's own totals do. The root's `lines-valid`/`lines-covered`
    and `branches-valid`/`branches-covered` are the tool's own totals: used when written,
    otherwise the classes are added up. Rates (`line-rate`) are never read.
    """

    format = COBERTURA

    def __init__(self, parser, path, root_attrs):
        self.parser = parser
        self.path = path
        self.files: dict = {}
        self.cls = None  # the Counts of the current class's file
        self.method = None  # [hits or None, any line hit, has lines]
        self.class_lines = self.method_lines = None  # {number: hit}
        self.branches = self.method_branches = None  # {number: (covered, total)}

    def root(self, name, attrs):
        lines = (_optional_count(attrs, "lines-covered"), _optional_count(attrs, "lines-valid"))
        branches = (_optional_count(attrs, "branches-covered"), _optional_count(attrs, "branches-valid"))
        self.root_lines = lines if None not in lines else None
        self.root_branches = branches if None not in branches else None

    def start(self, name, attrs):
        if name == "line":
            if self.class_lines is None:
                return
            number = attrs.get("number")
            hits = attrs.get("hits", "0")
            try:
                hit = int(hits) > 0
            except ValueError:
                hit = _count(hits, "`hits` of a `<line>`", self.path, self.parser.CurrentLineNumber) > 0
            if self.method is not None:
                self.method[1] = self.method[1] or hit
                self.method[2] = True
                lines, branches = self.method_lines, self.method_branches
            else:
                lines, branches = self.class_lines, self.branches
            lines[number] = lines.get(number, False) or hit
            condition = attrs.get("condition-coverage")
            if condition is not None and attrs.get("branch", "true") != "false":
                m = _CONDITION.search(condition)
                if m is None:
                    raise ArtifactError(self.path, f"`condition-coverage` is not `N% (covered/total)`: `{condition}`",
                                        self.parser.CurrentLineNumber)
                at = self.parser.CurrentLineNumber
                branches[number] = (_count(m.group(1), "the covered branches of `condition-coverage`", self.path, at),
                                    _count(m.group(2), "the branches of `condition-coverage`", self.path, at))
        elif name == "method":
            if self.class_lines is not None:
                hits = attrs.get("hits")
                self.method = [None if hits is None else _count(hits, "`hits` of a `<method>`", self.path,
                                                                self.parser.CurrentLineNumber), False, False]
        elif name == "class":
            raw = attrs.get("filename") or attrs.get("name") or ""
            path = file_path(raw)
            counts = self.files.get(path)
            if counts is None:
                counts = self.files[path] = Counts(path, self.parser.CurrentLineNumber, (0, 0), (0, 0), (0, 0))
            self.cls = counts
            self.class_lines, self.method_lines, self.branches, self.method_branches = {}, {}, {}, {}

    def end(self, name):
        if name == "method" and self.method is not None:
            hits, line_hit, has_lines = self.method
            if hits is not None or has_lines:
                self.cls.ft += 1
                self.cls.fc += (hits > 0) if hits is not None else line_hit
            self.method = None
        elif name == "class" and self.cls is not None:
            if self.class_lines:
                lines, branches = self.class_lines, self.branches
            else:  # some writers keep lines only in methods
                lines, branches = self.method_lines, self.method_branches
            self.cls.lt += len(lines)
            self.cls.lc += sum(1 for hit in lines.values() if hit)
            self.cls.bt += sum(total for _, total in branches.values())
            self.cls.bc += sum(covered for covered, _ in branches.values())
            self.cls = self.class_lines = self.method_lines = self.branches = self.method_branches = None

    def result(self):
        files = list(self.files.values())
        totals = Counts(functions=(0, 0))
        for counts in files:
            totals.add(counts)
        if totals.lt is None:
            totals.lc, totals.lt, totals.bc, totals.bt = 0, 0, 0, 0
        if self.root_lines is not None:
            totals.lc, totals.lt = self.root_lines
        if self.root_branches is not None:
            totals.bc, totals.bt = self.root_branches
        return self.format, totals, files


class _JacocoReader:
    """JaCoCo: `report > (group >)* package > sourcefile > counter`, counters at every level.

    A file's figures are its `<sourcefile>`'s LINE, BRANCH and METHOD counters; the
    report's are the `<counter>`s right under `<report>`. JaCoCo leaves out a counter
    whose total is 0 (no BRANCH counter for code without branches): an absent counter
    counts 0 of 0, that is "nothing to measure" (null), never 0 %. INSTRUCTION,
    COMPLEXITY and CLASS are not read; JaCoCo has no statements.
    """

    format = JACOCO
    KINDS = {"LINE": ("lc", "lt"), "BRANCH": ("bc", "bt"), "METHOD": ("fc", "ft")}

    def __init__(self, parser, path):
        self.parser = parser
        self.path = path
        self.stack: list = []
        self.package = ""
        self.files: dict = {}
        self.file = None
        self.totals = None

    def root(self, name, attrs):
        self.stack.append(name)

    def start(self, name, attrs):
        stack = self.stack
        parent = stack[-1]
        stack.append(name)
        if name == "counter":
            if parent == "sourcefile":
                target = self.file
            elif parent == "report":
                if self.totals is None:
                    self.totals = Counts(lines=(0, 0), branches=(0, 0), functions=(0, 0))
                target = self.totals
            else:
                return
            fields = self.KINDS.get(attrs.get("type"))
            if fields is None or target is None:
                return
            line = self.parser.CurrentLineNumber
            missed = _count(attrs.get("missed"), "`missed` of a `<counter>`", self.path, line)
            covered = _count(attrs.get("covered"), "`covered` of a `<counter>`", self.path, line)
            setattr(target, fields[0], getattr(target, fields[0]) + covered)
            setattr(target, fields[1], getattr(target, fields[1]) + covered + missed)
        elif name == "package":
            self.package = attrs.get("name", "")
        elif name == "sourcefile" and parent == "package":
            raw = attrs.get("name", "")
            path = file_path(f"{self.package}/{raw}" if self.package else raw)
            counts = self.files.get(path)
            if counts is None:
                counts = self.files[path] = Counts(path, self.parser.CurrentLineNumber, (0, 0), (0, 0), (0, 0))
            self.file = counts

    def end(self, name):
        self.stack.pop()
        if name == "sourcefile":
            self.file = None

    def result(self):
        return self.format, self.totals, list(self.files.values())


class _CloverReader:
    """Clover (OpenClover, istanbul, PHPUnit, gcovr): `coverage > project > (package >)? file`.

    Statements, branches (`conditionals`) and functions (`methods`) are the `<metrics>`
    counts of each `<file>` and of the `<project>` (wherever in it they are written:
    PHPUnit writes them last); `<testproject>` (OpenClover's test sources) is not read.
    Lines are not a Clover metric: they are the distinct `num`s of a file's `stmt` and
    `cond` `<line>`s, hit when their `count` (or, without one, `truecount`/`falsecount`)
    is above 0 — which is what istanbul and gcovr count as lines.
    """

    format = CLOVER

    def __init__(self, parser, path):
        self.parser = parser
        self.path = path
        self.stack: list = []
        self.files: list = []
        self.file = None
        self.lines = None
        self.totals = None
        self.in_project = False

    def root(self, name, attrs):
        self.stack.append(name)

    def _metrics(self, attrs, target):
        line = self.parser.CurrentLineNumber

        def pair(covered, total):
            if total not in attrs:
                return None, None
            return (_count(attrs.get(covered, "0"), f"`{covered}` of `<metrics>`", self.path, line),
                    _count(attrs[total], f"`{total}` of `<metrics>`", self.path, line))

        target.sc, target.st = pair("coveredstatements", "statements")
        target.bc, target.bt = pair("coveredconditionals", "conditionals")
        target.fc, target.ft = pair("coveredmethods", "methods")

    def start(self, name, attrs):
        stack = self.stack
        parent = stack[-1]
        stack.append(name)
        if name == "line":
            if self.lines is None or parent != "file":
                return
            kind = attrs.get("type", "stmt")
            if kind == "method":
                return
            count = attrs.get("count")
            try:
                hit = int(count) > 0 if count is not None else \
                    int(attrs.get("truecount", "0")) > 0 or int(attrs.get("falsecount", "0")) > 0
            except ValueError:
                line = self.parser.CurrentLineNumber
                if count is not None:
                    hit = _count(count, "`count` of a `<line>`", self.path, line) > 0
                else:
                    hit = (_count(attrs.get("truecount", "0"), "`truecount` of a `<line>`", self.path, line) > 0
                           or _count(attrs.get("falsecount", "0"), "`falsecount` of a `<line>`", self.path, line) > 0)
            number = attrs.get("num")
            self.lines[number] = self.lines.get(number, False) or hit
        elif name == "metrics":
            if parent == "file" and self.file is not None:
                self._metrics(attrs, self.file)
            elif parent == "project" and self.in_project:
                self.totals = Counts()
                self._metrics(attrs, self.totals)
        elif name == "file" and self.in_project:
            raw = attrs.get("path") or attrs.get("name") or ""
            self.file = Counts(file_path(raw), self.parser.CurrentLineNumber)
            self.lines = {}
        elif name == "project":
            self.in_project = True

    def end(self, name):
        self.stack.pop()
        if name == "file" and self.file is not None:
            self.file.lt = len(self.lines)
            self.file.lc = sum(1 for hit in self.lines.values() if hit)
            self.files.append(self.file)
            self.file = self.lines = None
        elif name == "project":
            self.in_project = False

    def result(self):
        if self.totals is not None:  # the project's metrics have no lines: add up the files'
            self.totals.lc = sum(f.lc for f in self.files)
            self.totals.lt = sum(f.lt for f in self.files)
        return self.format, self.totals, self.files


# -- JSON: coverage.py, istanbul json-summary -------------------------------------------------------

class _JsonStream:
    """A JSON text read a piece at a time: the top-level object's members one by one.

    Only the buffer not yet consumed is kept; a member's value is decoded whole with
    `json`'s C decoder, so memory follows the largest member, not the file.
    """

    _WS = lazy(r"[ \t\n\r]*")

    def __init__(self, source: Source, head: bytes, path: str):
        import codecs
        import json

        self.source = source
        self.path = path
        self.decoder = json.JSONDecoder()
        self.error = json.JSONDecodeError
        self._bytes = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.buf = self._bytes.decode(head[3:] if head.startswith(b"\xef\xbb\xbf") else head)
        self.pos = 0
        self.eof = False
        self.lines_before = 0  # newlines in the text dropped from the buffer
        self.counted_to = 0  # buf[:counted_to] holds `counted` newlines
        self.counted = 0

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.source.read()
        if not data:
            self.eof = True
            self.buf += self._bytes.decode(b"", True)
            return False
        if self.pos:
            self.line_at(self.pos)
            self.lines_before += self.counted
            self.buf = self.buf[self.pos:]
            self.pos = self.counted_to = self.counted = 0
        self.buf += self._bytes.decode(data)
        return True

    def line_at(self, pos: int) -> int:
        if pos < self.counted_to:
            self.counted_to = self.counted = 0
        self.counted += self.buf.count("\n", self.counted_to, pos)
        self.counted_to = pos
        return self.lines_before + self.counted + 1

    def skip_ws(self) -> None:
        while True:
            self.pos = self._WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or not self._fill():
                return

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos:self.pos + 1]

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = self.buf[self.pos:self.pos + 1]
            raise ArtifactError(self.path, f"not valid JSON: expecting {what}, found "
                                           f"{'the end of the file' if not found else '`' + found + '`'}",
                                self.line_at(self.pos))
        self.pos += 1

    def value(self):
        self.skip_ws()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except self.error as exc:
                cut = exc.pos >= len(self.buf) - 64 or exc.msg.startswith("Unterminated")
                if cut and self._fill():
                    continue
                raise ArtifactError(self.path, f"not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]}",
                                    self.line_at(min(exc.pos, len(self.buf)))) from None
            except RecursionError:
                raise ArtifactError(self.path, "refused: the JSON is nested too deeply",
                                    self.line_at(self.pos)) from None
            except ValueError:  # not a JSONDecodeError: int() refused a number of more than 4300 digits
                raise ArtifactError(self.path, f"not valid JSON: a number has more than {_max_digits()} digits",
                                    self.line_at(self.pos)) from None
            if end >= len(self.buf) and self._fill():  # a number cut at the buffer's end
                continue
            self.pos = end
            return value

    def members(self):
        """(key, line of the key) of an object, leaving each value to the caller."""
        self.expect("{", "`{`")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            line = self.line_at(self.pos)
            if self.peek() != '"':
                self.expect('"', "a member name")
            key = self.value()
            self.expect(":", "`:`")
            yield key, line
            char = self.peek()
            if char == ",":
                self.pos += 1
                continue
            self.expect("}", "`,` or `}`")
            return

    def finish(self) -> None:
        if self.peek():
            raise ArtifactError(self.path, "not valid JSON: extra data after the report", self.line_at(self.pos))


_COVERAGE_PY_KEYS = ("meta", "files", "totals")
_ISTANBUL_KINDS = (("lines", "lc", "lt"), ("branches", "bc", "bt"), ("functions", "fc", "ft"),
                   ("statements", "sc", "st"))


def read_json(source: Source, head: bytes, path: str):
    stream = _JsonStream(source, head, path)
    if stream.peek() != "{":
        raise unknown(path, "JSON that is not an object", stream.line_at(stream.pos))
    files: list = []
    totals = None
    kind = None
    for key, line in stream.members():
        if key in _COVERAGE_PY_KEYS:
            if kind == ISTANBUL_SUMMARY:
                raise unknown(path, f"JSON mixing istanbul's `total` with coverage.py's `{key}`", line)
            kind = COVERAGE_PY_JSON
            if key == "files" and stream.peek() == "{":
                for name, file_line in stream.members():
                    files.append(_coverage_py_file(stream.value(), name, file_line, path))
            elif key == "totals":
                totals = _coverage_py_summary(stream.value(), "totals", line, path)
            else:
                stream.value()
            continue
        value = stream.value()
        if kind != COVERAGE_PY_JSON and isinstance(value, dict) and any(
                isinstance(value.get(name), dict) and "total" in value[name] for name, _, _ in _ISTANBUL_KINDS):
            kind = ISTANBUL_SUMMARY
            counts = _istanbul_entry(value, key, line, path)
            if key == "total":
                totals = counts
            else:
                files.append(counts)
        elif kind is None and isinstance(value, dict) and "statementMap" in value:
            raise unknown(path, "istanbul's detailed `json` report (coverage-final.json); "
                                "write its `json-summary` instead", line)
        elif kind is None:
            raise unknown(path, f"JSON with neither coverage.py's `meta`/`files`/`totals` nor istanbul's "
                                f"`total` (its first member is `{key}`)", line)
    stream.finish()
    if kind is None:
        raise unknown(path, "an empty JSON object", 1)
    if kind == COVERAGE_PY_JSON and totals is not None:
        totals.fc, totals.ft = _sum(files, "fc"), _sum(files, "ft")  # coverage.py totals no functions
    return kind, totals, files


def _sum(files, name):
    values = [getattr(f, name) for f in files if getattr(f, name) is not None]
    return sum(values) if values else None


def _number(summary: dict, name: str, where: str, line, path: str, required: bool = True):
    value = summary.get(name)
    if value is None and not required:
        return None
    if type(value) is not int or value < 0:
        shown = "missing" if value is None else f"`{value}`, not a count"
        raise ArtifactError(path, f"coverage.py JSON: `{name}` of {where} is {shown}", line)
    return value


def _coverage_py_summary(summary, where: str, line, path: str) -> Counts:
    """coverage.py's summary: statements are its lines; `percent_covered` (statements and
    branches together) is never read, nor `percent_statements_covered` (coverage 7.12+):
    the counts are in every version."""
    if not isinstance(summary, dict):
        raise ArtifactError(path, f"coverage.py JSON: {where} is not an object", line)
    covered = _number(summary, "covered_lines", where, line, path)
    statements = _number(summary, "num_statements", where, line, path)
    counts = Counts(lines=(covered, statements), statements=(covered, statements))
    branches = _number(summary, "num_branches", where, line, path, required=False)
    if branches is not None:
        counts.bc, counts.bt = _number(summary, "covered_branches", where, line, path), branches
    return counts


def _coverage_py_file(entry, name: str, line: int, path: str) -> Counts:
    where = f'file `{name}`'
    if not isinstance(entry, dict):
        raise ArtifactError(path, f"coverage.py JSON: {where} is not an object", line)
    counts = _coverage_py_summary(entry.get("summary"), f"the summary of {where}", line, path)
    counts.path, counts.line = file_path(name), line
    functions = entry.get("functions")
    if isinstance(functions, dict):  # JSON format 3 (coverage 7.6+): one region per function
        counts.fc = counts.ft = 0
        for region_name, region in functions.items():
            summary = region.get("summary") if isinstance(region, dict) else None
            if region_name == "" or not isinstance(summary, dict):
                continue  # "" is the code outside every function
            if (summary.get("num_statements") or 0) > 0:  # as coverage.py's LCOV counts them
                counts.ft += 1
                counts.fc += (summary.get("covered_lines") or 0) > 0
    return counts


def _istanbul_entry(entry: dict, name: str, line: int, path: str) -> Counts:
    counts = Counts(None if name == "total" else file_path(name), line)
    for kind, covered_field, total_field in _ISTANBUL_KINDS:
        figure = entry.get(kind)
        if figure is None:
            continue
        if not isinstance(figure, dict) or type(figure.get("total")) is not int \
                or type(figure.get("covered")) is not int:
            raise ArtifactError(path, f"istanbul json-summary: `{kind}` of `{name}` needs whole-number "
                                      "`total` and `covered`", line)
        setattr(counts, covered_field, figure["covered"])
        setattr(counts, total_field, figure["total"])
    return counts


# -- LCOV ---------------------------------------------------------------------------------------

_LCOV_TAG = lazy(r"([A-Za-z_]+):(.*)")
_FN = lazy(r"(\d+)(?:,(-?\d+))?,(.*)")


class _Record:
    """One LCOV record (`SF:` … `end_of_record`), with everything in it."""

    __slots__ = ("path", "line", "offset", "lines", "branches", "fn_hits", "fn_starts", "fn_alias_hits", "merged")

    def __init__(self, path: str, line: int, offset: int):
        self.path, self.line, self.offset = path, line, offset
        self.lines: dict = {}  # line -> hits
        self.branches: dict = {}  # (line, block, branch) -> taken
        self.fn_hits: dict = {}  # FN/FNDA name -> hits
        self.fn_starts: dict = {}  # FNL index -> start line
        self.fn_alias_hits: dict = {}  # FNA index -> hits of all its aliases
        self.merged = None  # the functions of several records, once merged

    def functions(self) -> dict:
        """key -> hits; LCOV 2.2 indexes hold only inside a record, so a function found
        by `FNL`/`FNA` is keyed by its start line, one found by `FN`/`FNDA` by its name."""
        if self.merged is not None:
            return self.merged
        out = {("name", name): hits for name, hits in self.fn_hits.items()}
        for index in {**self.fn_starts, **self.fn_alias_hits}:
            key = ("at", self.fn_starts.get(index, f"#{index}"))
            out[key] = out.get(key, 0) + self.fn_alias_hits.get(index, 0)
        return out

    def merge(self, other: "_Record") -> None:
        for number, hits in other.lines.items():
            self.lines[number] = self.lines.get(number, 0) + hits
        for key, taken in other.branches.items():
            self.branches[key] = self.branches.get(key, 0) + taken
        functions = self.functions()
        for key, hits in other.functions().items():
            functions[key] = functions.get(key, 0) + hits
        self.merged = functions

    def counts(self) -> Counts:
        functions = self.functions()
        return Counts(self.path, self.line,
                      (sum(1 for hits in self.lines.values() if hits > 0), len(self.lines)),
                      (sum(1 for taken in self.branches.values() if taken > 0), len(self.branches)),
                      (sum(1 for hits in functions.values() if hits > 0), len(functions)))


def _max_digits() -> int:
    """The most digits Python's int() reads (4300 unless changed): a longer number is refused."""
    import sys

    return sys.get_int_max_str_digits()


def _int(text, what: str, path: str, line: int) -> int:
    try:
        return int(text)
    except ValueError:  # not a number, or more digits than Python reads (4300)
        raise ArtifactError(path, f"LCOV: {what} is not a whole number: `{_shown(text)}`", line) from None


def _shown(raw, limit: int = 60) -> str:
    """A value as a message quotes it: decoded, stripped, at most `limit` characters then `…`."""
    text = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _lcov_records(source: Source, head: bytes, path: str, offset: int = 0, number: int = 0, one: bool = False):
    """Each `_Record` of the LCOV text, in order, reading a chunk at a time.

    Lines are handled as bytes (`DA:` — most of a report — without a regex or a decode);
    a line that is not `TAG:…`, `end_of_record`, blank or a `#` comment is an error.
    """
    record = None
    seen = offset > 0  # re-reading a record: the text is known to be LCOV
    rest = head
    while True:
        data = source.read()
        rest += data
        lines = rest.split(b"\n")
        rest = lines.pop() if data else b""
        for raw in lines:
            number += 1
            here = offset
            offset += len(raw) + 1
            if record is not None:
                if raw[:3] == b"DA:":  # DA:line,hits[,checksum]
                    parts = raw[3:].split(b",", 2)
                    if len(parts) < 2:
                        raise ArtifactError(path, f"LCOV: `DA` needs `line,hits`: `{_shown(raw)}`", number)
                    line = _int(parts[0], "`DA` line", path, number)
                    hits = _int(parts[1], "`DA` hits", path, number)
                    found = record.lines
                    found[line] = found.get(line, 0) + (hits if hits > 0 else 0)
                    continue
                text = raw.strip()
                if text == b"end_of_record":
                    yield record
                    record = None
                    if one:
                        return
                    continue
                if not text or text[:1] == b"#":
                    continue
                _record_line(record, text, number, path)
                continue
            text = raw.strip()
            if not text or text[:1] == b"#":
                continue
            m = _LCOV_TAG.match(text.decode("utf-8", "replace"))
            if not seen and (m is None or m.group(1) not in ("TN", "SF", "VER")):
                shown = text.decode("utf-8", "replace")
                shown = shown[:40] + ("…" if len(shown) > 40 else "")
                raise unknown(path, f"text that is not LCOV (it starts with `{shown}`)", number)
            seen = True
            if m is None:
                if text == b"end_of_record":
                    continue
                raise ArtifactError(path, f"not an LCOV line: `{_shown(text)}`", number)
            tag = m.group(1)
            if tag == "SF":
                record = _Record(file_path(m.group(2)), number, here)
            elif tag not in ("TN", "VER"):
                raise ArtifactError(path, f"LCOV: `{tag}` outside a file's record (no `SF:` before it)", number)
        if not data:
            break
    if record is not None:
        raise ArtifactError(path, f"LCOV: the record of `{record.path}` has no `end_of_record` "
                                  "(is the file cut short?)", record.line)


def _record_line(record: _Record, text: bytes, number: int, path: str) -> None:
    """One line of a record other than `DA:` and `end_of_record`."""
    tag, colon, rest = text.partition(b":")
    if not colon:
        raise ArtifactError(path, f"not an LCOV line: `{_shown(text)}`", number)
    if tag == b"BRDA":  # BRDA:line,[e]block,branch,taken — the branch may hold commas
        parts = rest.split(b",")
        if len(parts) < 4:
            raise ArtifactError(path, f"LCOV: `BRDA` needs `line,block,branch,taken`: `{_shown(text)}`", number)
        taken = parts[-1].strip()
        hits = 0 if taken == b"-" else max(_int(taken, "`BRDA` taken count", path, number), 0)
        key = (_int(parts[0], "`BRDA` line", path, number), parts[1], b",".join(parts[2:-1]))
        record.branches[key] = record.branches.get(key, 0) + hits
    elif tag == b"FN":  # FN:line[,end line],name — the name may hold commas
        m = _FN.match(rest.decode("utf-8", "replace"))
        if m is None:
            raise ArtifactError(path, f"LCOV: `FN` needs `line,name`: `{_shown(text)}`", number)
        record.fn_hits.setdefault(m.group(3), 0)
    elif tag == b"FNDA":
        hits, comma, name = rest.partition(b",")
        if not comma:
            raise ArtifactError(path, f"LCOV: `FNDA` needs `hits,name`: `{_shown(text)}`", number)
        hits = max(_int(hits, "`FNDA` hits", path, number), 0)
        name = name.decode("utf-8", "replace")
        record.fn_hits[name] = record.fn_hits.get(name, 0) + hits
    elif tag == b"FNL":  # LCOV 2.2: FNL:index,start[,end]
        parts = rest.split(b",")
        if len(parts) < 2:
            raise ArtifactError(path, f"LCOV: `FNL` needs `index,line`: `{_shown(text)}`", number)
        index = _int(parts[0], "`FNL` index", path, number)
        record.fn_starts[index] = _int(parts[1], "`FNL` line", path, number)
    elif tag == b"FNA":  # LCOV 2.2: FNA:index,hits,name — each alias of the function at `index`
        parts = rest.split(b",", 2)
        if len(parts) < 3:
            raise ArtifactError(path, f"LCOV: `FNA` needs `index,hits,name`: `{_shown(text)}`", number)
        index = _int(parts[0], "`FNA` index", path, number)
        hits = max(_int(parts[1], "`FNA` hits", path, number), 0)
        record.fn_alias_hits[index] = record.fn_alias_hits.get(index, 0) + hits
    elif tag == b"SF":
        raise ArtifactError(path, f"LCOV: `SF:{rest.decode('utf-8', 'replace').strip()}` starts before the record "
                                  f"of `{record.path}` ends (no `end_of_record`)", number)
    elif not tag.replace(b"_", b"").isalpha():
        raise ArtifactError(path, f"not an LCOV line: `{_shown(text)}`", number)
    # TN, VER, LF, LH, BRF, BRH, FNF, FNH and newer tags: the totals are recounted


def read_lcov(source: Source, head: bytes, path: str):
    records: list = []  # Counts, one per file, in the order the files first appear
    first_of: dict = {}  # path -> (index in records, offset and line of its first SF)
    repeated: dict = {}  # path -> [(offset, line) of its later records]
    for record in _lcov_records(source, head, path):
        if record.path in first_of:
            repeated.setdefault(record.path, []).append((record.offset, record.line))
        else:
            first_of[record.path] = (len(records), record.offset, record.line)
            records.append(record.counts())
    for file, later in repeated.items():
        index, offset, line = first_of[file]
        records[index] = _merged(source, path, [(offset, line)] + later)
    return LCOV, None, records


def _merged(source: Source, path: str, places: list) -> Counts:
    """A file with several records (one per test name, or reports put end to end): read
    its records again, only those, and count each line, branch and function once."""
    merged = None
    for offset, line in places:
        source.stream.seek(offset)
        record = next(_lcov_records(Source(source.stream, path), b"", path, offset, line - 1, one=True))
        if merged is None:
            merged = record
        else:
            merged.merge(record)
    return merged.counts()
