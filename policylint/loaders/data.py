"""yaml(path), json(path), toml(path), jsonl(path): data files, every value with its line.

- `yaml(path)`: one YAML document (YAML 1.1 as PyYAML reads it: `yes` is true, `2024-01-31`
  is a date). A file with a second document (`---` again) or none at all is an error.
- `json(path)`: one JSON value (RFC 8259; `NaN`, `Infinity` and trailing commas are errors).
- `toml(path)`: a TOML 1.0 document (a table).
- `jsonl(path)`: JSON Lines, one JSON value per line, as a list; blank lines are skipped;
  a line that is not JSON is an error naming that line.

The result is the data itself: `cfg.coverage.min`, `cfg["tool"]["ruff"]`, `every t in
doc.tasks: t.status == "done"`. Mappings and lists remember the line of every key and item,
and every string is located at its own line and column, so a failing gate points at
`config.yaml:12`. (Numbers, booleans and nulls cannot carry a location themselves: a gate
about them points at the line of their key.) TOML values are located at the line of their
key, or of their `[table]` / `[[array]]` header; items of a multi-line TOML array are
located at its key.

Duplicate keys: the last one wins, as in PyYAML and Python's json, and a `note[PL407]`
names both lines. YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) are merged as YAML's
merge type says: the mapping's own keys win, then the earlier source over a later one;
merged keys come first (the first source's first), then the mapping's own. Local YAML
tags (`!Ref`, `!reference`) are ignored and the value read as if untagged; `!!python/…`
tags are refused. Files are UTF-8, or what their byte-order mark says (UTF-8, UTF-16 or
UTF-32, either byte order): invalid bytes are an error naming the line, not a silent
replacement.

Limits, each an error naming the file and line: values nested deeper than 200 levels
(aliases counted as what they stand for); a YAML document of more than 2,000,000 values,
or whose aliases (`*name`) stand for more than 100,000 values in all (a "billion laughs");
an alias used inside its own anchor. Every YAML file policylint reads (front matter,
OpenSpec's files, `.policylint.yaml`) is read by `parse_yaml` under these limits, and
pyproject.toml by `parse_toml`. The messages are ours, the same whichever PyYAML 6.x is
installed; a YAML syntax error quotes PyYAML's Python parser.

`schema_errors(value, schema)` validates a value read by one of these loaders against a
JSON Schema file in the repository (JSON or YAML) and returns one `SchemaError` per
problem, located at the offending key's line in the data file: `message` (jsonschema's),
`path` (a JSON pointer into the data, `/tasks/0/status`; empty for the whole document),
`validator` (`required`, `type`, `enum`, …), `schema_path` (a JSON pointer into the
schema), `line`. The draft is the one the schema's `$schema` names (Draft 2020-12 when it
names none). `$ref`s may point into the schema itself or at other schema files in the
repository (relative to the schema); a `$ref` to anything else (`https://…`) is never
fetched: it is an error naming the reference. `format` is not asserted (as the drafts
say); YAML dates count as strings. Patterns (`pattern`, `patternProperties`) run through RE2
in linear time, so a hostile schema cannot hang the run; a pattern RE2 cannot run
(lookaround, backreferences) is an error. An empty list means the value is valid.
"""
from __future__ import annotations

import re

from ..decoding import decode  # strict: invalid bytes are an error; loaders import it from here
from ..errors import ArtifactError
from ..fastpath import gc_paused, new_str, new_tuple
from ..patterns import lazy
from ..signature import loader
from ..types import ANY, NUMBER, STR, List, record
from ..values import Loc, LStr, Record, new_lstr
from .yamlcore import core_scalar

MAX_DEPTH = 200  # deeper data would exhaust Python's recursion limit in whatever walks it
MAX_YAML_NODES = 2_000_000  # values in one YAML document, aliases counted as what they stand for
MAX_ALIAS_NODES = 100_000  # values that aliases may stand for in all: a "billion laughs" stops here


# -- located containers ------------------------------------------------------------------

class Data(dict):
    """A mapping read from a data file: `loc` is where it starts, `loc_of(key)` where a key is."""

    __slots__ = ("loc", "locs")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loc = None
        self.locs = {}

    def loc_of(self, key):
        """The location of `key`'s entry (its key), else of the mapping."""
        return self.locs.get(key) or self.loc

    def __reduce__(self):
        return (_make_data, (dict(self), self.loc, self.locs))


class DataList(list):
    """A list read from a data file: `loc` is where it starts, `loc_of(i)` where item `i` is."""

    __slots__ = ("loc", "locs")

    def __init__(self, *args):
        super().__init__(*args)
        self.loc = None
        self.locs = []

    def loc_of(self, index):
        try:
            return self.locs[index] or self.loc
        except (IndexError, TypeError):
            return self.loc

    def __reduce__(self):
        return (_make_data_list, (list(self), self.loc, self.locs))


def _make_data(items, loc, locs):
    data = Data(items)
    data.loc, data.locs = loc, locs
    return data


def _make_data_list(items, loc, locs):
    data = DataList(items)
    data.loc, data.locs = loc, locs
    return data


def pointer_parts(pointer: str) -> list:
    """`/a/b~1c/0` -> ["a", "b/c", "0"] (RFC 6901)."""
    if not pointer:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def pointer_of(parts) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def locate(value, parts) -> Loc | None:
    """Where the value at `parts` (keys and indexes from `value`) is written: the line of its
    key, or of its list item; the deepest location known when the path leaves the data."""
    best = getattr(value, "loc", None)
    for part in parts:
        if isinstance(value, dict):
            key = part if part in value else _key_like(value, part)
            if key is _MISSING:
                break
            best = value.loc_of(key) if isinstance(value, Data) else best
            value = value[key]
        elif isinstance(value, list):
            try:
                index = int(part)
                item = value[index]
            except (ValueError, IndexError, TypeError):
                break
            best = value.loc_of(index) if isinstance(value, DataList) else getattr(item, "loc", None) or best
            value = item
        else:
            break
    return best


_MISSING = object()


def _key_like(mapping: dict, part):
    """The key of `mapping` that a pointer part stands for (`"200"` finds the YAML int key 200)."""
    text = str(part)
    for key in mapping:
        if str(key) == text or (isinstance(key, bool) and text == ("true" if key else "false")):
            return key
    return _MISSING


def _noticer(repo):
    return repo.notice if repo is not None else None


def _duplicate(notice, path: str, key, first: Loc | None, again: Loc) -> None:
    if notice is None:
        return
    where = f"line {first.line} and line {again.line}" if first is not None and first.line else f"line {again.line}"
    notice(path, again.line, "PL407", f"duplicate key `{key}` ({where}): the last one is used")


# -- YAML ---------------------------------------------------------------------------------
#
# The one YAML reader. The `yaml` loader (and openapi, workitems and approvals through it),
# Markdown front matter, OpenSpec's files and `.policylint.yaml` all read YAML here, under
# the same limits. PyYAML's parser gives the events; the values, merge keys, limits and
# messages are ours, so a document reads the same, and fails with the same message,
# whichever PyYAML 6.x is installed, with libyaml or without.

_TAG = "tag:yaml.org,2002:"
_STR_TAG = _TAG + "str"
_MERGE_TAG = _TAG + "merge"
_PYTHON_TAG = _TAG + "python/"
_SCALAR_TAGS = frozenset(_TAG + name for name in ("null", "bool", "int", "float", "timestamp"))
_MERGE = object()
_NO_DOCUMENT = object()

class DuplicateKeyError(ArtifactError):
    """A key written twice in a mapping, where the reader was asked for unique keys (`core`)."""


class _Frame:
    __slots__ = ("mapping", "value", "mark", "anchor", "start", "key", "key_loc", "merges", "height")

    def __init__(self, mapping, value, mark, anchor, start):
        self.mapping = mapping
        self.value = value
        self.mark = mark
        self.anchor = anchor
        self.start = start
        self.key = _MISSING
        self.key_loc = None
        self.merges = None
        self.height = 1  # levels of nesting from here down, aliases counted as what they stand for


class _Yaml:
    """Builds located values from PyYAML's event stream, counting values and alias expansions
    as it goes, so a hostile document stops early; iterative, so nesting costs no stack."""

    def __init__(self, loader, path: str, first_line: int, core: bool):
        import yaml
        from yaml.nodes import ScalarNode

        self.yaml = yaml
        self.loader = loader
        self.path = path
        self.first_line = first_line
        self.core = core
        self.scalar_node = ScalarNode
        self.constructors = loader.yaml_constructors
        self.duplicates: list = []  # (key, first, again): told once the whole document has been read
        self.value = _NO_DOCUMENT

    def loc(self, mark) -> Loc:
        return Loc(self.path, mark.line + self.first_line, mark.column + 1)

    def fail(self, message: str, mark, error=ArtifactError):
        raise error(self.path, message, mark.line + self.first_line if mark is not None else None)

    def document(self):
        """The document's value, or _NO_DOCUMENT for a text without one."""
        e = self.yaml.events
        get = self.loader.get_event
        get()  # StreamStartEvent
        if isinstance(get(), e.StreamEndEvent):
            return _NO_DOCUMENT
        value = self.node()
        get()  # DocumentEndEvent
        event = get()
        if not isinstance(event, e.StreamEndEvent):
            self.fail("expected one YAML document, found a second one here", event.start_mark)
        return value

    def scalar(self, event, as_key: bool):
        tag, text = event.tag, event.value
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted, or the non-specific tag `!`
                tag = _STR_TAG
            elif self.core:
                value = core_scalar(text)
                if value is not text:
                    return value
                tag = _STR_TAG
            else:
                tag = self.loader.resolve(self.scalar_node, text, event.implicit)
        if tag == _STR_TAG:
            return text if as_key else new_lstr(text, self.loc(event.start_mark))
        if self.core:
            if tag == _TAG + "null":
                return None
            if tag == _TAG + "bool":
                return text.lower() == "true"
            if tag in (_TAG + "int", _TAG + "float"):
                value = core_scalar(text)
                if value is not text:
                    return value
        elif tag in _SCALAR_TAGS:
            return self.construct(tag, text, event.start_mark)
        elif tag == _MERGE_TAG and as_key:
            return _MERGE
        self.check_tag(tag, event.start_mark)
        return text if as_key else new_lstr(text, self.loc(event.start_mark))

    def construct(self, tag: str, text: str, mark):
        """A null, bool, int, float or timestamp, as PyYAML's SafeLoader reads it (YAML 1.1)."""
        try:
            return self.constructors[tag](self.loader, self.scalar_node(tag, text))
        except (ValueError, OverflowError, LookupError, TypeError, self.yaml.YAMLError) as exc:
            kind = tag[len(_TAG):]
            shown = text if len(text) <= 40 else text[:40] + "…"
            digits = sum(c.isdigit() for c in text)
            if kind in ("int", "float") and digits > 4000:
                reason = f": {digits} digits are too many"
            elif isinstance(exc, ValueError) and kind == "timestamp":
                reason = f": {exc}"  # the calendar's reason (`month must be in 1..12`)
            else:
                reason = ""
            self.fail(f"cannot read `{shown}` as {kind}{reason}", mark)

    def check_tag(self, tag, mark):
        if tag and tag.startswith(_PYTHON_TAG):
            self.fail(f"refused: the YAML tag `!!{tag[len(_TAG):]}` asks for a Python object", mark)

    def node(self):
        """The value whose first event was just peeked: read events until it is complete."""
        e = self.yaml.events
        get = self.loader.get_event
        stack: list = []
        anchors: dict = {}
        opened: set = set()
        count = 0
        aliased = 0
        while True:
            event = get()
            kind = type(event)
            top = stack[-1] if stack else None
            as_key = top is not None and top.mapping and top.key is _MISSING
            if kind is e.ScalarEvent:
                count += 1
                value = self.scalar(event, as_key)
                height = 0
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, 0)
                mark = event.start_mark
            elif kind is e.AliasEvent:
                mark = event.start_mark
                entry = anchors.get(event.anchor)
                if entry is None:
                    if event.anchor in opened:
                        self.fail(f"alias `*{event.anchor}` is used inside its own anchor (a recursive structure)",
                                  mark)
                    self.fail(f"invalid YAML: alias `*{event.anchor}` refers to no anchor before it "
                              f"(column {mark.column + 1})", mark)
                value, size, height = entry
                count += size
                aliased += size
                if aliased > MAX_ALIAS_NODES:
                    self.fail(f"YAML aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)", mark)
                if len(stack) + height > MAX_DEPTH:  # an alias of a deep value, deep down
                    self.fail(f"nested deeper than {MAX_DEPTH} levels", mark)
                if as_key and isinstance(value, (dict, list)):
                    self.fail("a mapping key must be a scalar, found an alias to a "
                              f"{'mapping' if isinstance(value, dict) else 'sequence'}", mark)
            elif kind is e.MappingStartEvent or kind is e.SequenceStartEvent:
                mark = event.start_mark
                if as_key:
                    self.fail(f"a mapping key must be a scalar, found a "
                              f"{'mapping' if kind is e.MappingStartEvent else 'sequence'}", mark)
                count += 1
                if len(stack) >= MAX_DEPTH:
                    self.fail(f"nested deeper than {MAX_DEPTH} levels", mark)
                self.check_tag(event.tag, mark)
                container = Data() if kind is e.MappingStartEvent else DataList()
                container.loc = self.loc(mark)
                if event.anchor is not None:
                    opened.add(event.anchor)
                    anchors.pop(event.anchor, None)  # a redefined anchor is not itself until it ends
                stack.append(_Frame(kind is e.MappingStartEvent, container, mark, event.anchor, count))
                if count > MAX_YAML_NODES:
                    self.fail(f"the YAML document has more than {MAX_YAML_NODES} values", mark)
                continue
            elif kind is e.MappingEndEvent or kind is e.SequenceEndEvent:
                frame = stack.pop()
                value = frame.value
                height = frame.height
                if frame.merges:
                    value = self.merged(frame)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, count - frame.start + 1, height)
                    opened.discard(frame.anchor)
                mark = frame.mark
                top = stack[-1] if stack else None
                as_key = top is not None and top.mapping and top.key is _MISSING
            else:  # pragma: no cover - the parser yields nothing else inside a document
                self.fail(f"invalid YAML: unexpected {kind.__name__}", getattr(event, "start_mark", None))
            if count > MAX_YAML_NODES:
                self.fail(f"the YAML document has more than {MAX_YAML_NODES} values", mark)
            if top is None:
                return value
            if height >= top.height:
                top.height = height + 1
            if not top.mapping:
                top.value.append(value)
                top.value.locs.append(self.loc(mark))
            elif as_key:
                if isinstance(value, (dict, list)):
                    self.fail("a mapping key must be a scalar", mark)
                top.key = value
                top.key_loc = self.loc(mark)
            else:
                key, top.key = top.key, _MISSING
                if key is _MERGE:
                    self.merge_value(top, value, mark)
                    continue
                mapping = top.value
                if key in mapping:  # the last value wins, in the first one's place (as in PyYAML)
                    self.duplicate(key, mapping.locs.get(key), top.key_loc)
                mapping[key] = value
                mapping.locs[key] = top.key_loc

    def duplicate(self, key, first: Loc | None, again: Loc):
        if self.core:
            where = f" (line {first.line} and line {again.line})" if first is not None else ""
            raise DuplicateKeyError(self.path, f"duplicate key `{key}`{where}", again.line)
        self.duplicates.append((key, first, again))

    def merge_value(self, frame, value, mark):
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            self.fail("a merge key `<<` needs a mapping or a list of mappings", mark)
        if frame.merges is None:
            frame.merges = []
        frame.merges.extend(sources)

    def merged(self, frame):
        """A mapping with merge keys, as YAML's merge type defines it: a key of an earlier
        source wins over a later one, the mapping's own keys over all of them. In order: the
        merged keys, the first source's first, then the mapping's own new keys."""
        out = Data()
        out.loc = frame.value.loc
        for source in frame.merges:
            for key, item in source.items():
                if key not in out:
                    out[key] = item
                    out.locs[key] = source.loc_of(key) if isinstance(source, Data) else None
        out.update(frame.value)
        out.locs.update(frame.value.locs)
        return out


def parse_yaml(text: str, path: str, notice=None, *, first_line: int = 1, what: str = "YAML",
               core: bool = False, required: bool = True):
    """The YAML document in `text`, located as if read from `path` from line `first_line` on
    (pure; no file access). `notice(path, line, code, message)` hears of duplicate keys.

    `core`: read as OpenSpec reads YAML (YAML 1.2's core schema: plain `yes` and dates are
    strings, `<<` is an ordinary key, a duplicate key is a DuplicateKeyError). `required`: a
    text with no document (empty, or only comments) is an error; else it reads as None. A
    syntax error is `invalid {what}: …` at its line."""
    import yaml

    libyaml = getattr(yaml, "CSafeLoader", None)
    try:
        try:
            reader = _read_events(libyaml or yaml.SafeLoader, text, path, first_line, core)
        except yaml.YAMLError:
            if libyaml is None:
                raise
            # libyaml's messages, and since PyYAML 6.0.2 its nesting limit, change with its
            # version: PyYAML's Python parser, the same in every 6.x, says what is wrong
            reader = _read_events(yaml.SafeLoader, text, path, first_line, core)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not YAML"
        if mark is None:  # pragma: no cover - PyYAML's parser marks every problem
            raise ArtifactError(path, f"invalid {what}: {problem}") from None
        raise _syntax_error(path, f"invalid {what}: {problem}", mark.line + first_line, mark.column + 1) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line = first_line + text.count("\n", 0, exc.position)
        column = exc.position - text.rfind("\n", 0, exc.position)
        raise _syntax_error(path, f"invalid {what}: the character #x{exc.character:04x} is not allowed in YAML",
                            line, column) from None
    except yaml.YAMLError:  # pragma: no cover - PyYAML raises only the two above
        raise ArtifactError(path, f"invalid {what}") from None
    for key, first, again in reader.duplicates:
        _duplicate(notice, path, key, first, again)
    if reader.value is _NO_DOCUMENT:
        if required:
            raise ArtifactError(path, "no YAML document in the file (it is empty or holds only comments)")
        return None
    return reader.value


def _syntax_error(path: str, message: str, line: int, column: int) -> ArtifactError:
    """`message (column N)` at `line`; `column` kept too, for a caret under it."""
    error = ArtifactError(path, f"{message} (column {column})", line)
    error.column = column
    return error


def _read_events(loader_class, text: str, path: str, first_line: int, core: bool) -> _Yaml:
    yaml_loader = loader_class(text)  # the Python reader checks the characters here
    try:
        with gc_paused():
            reader = _Yaml(yaml_loader, path, first_line, core)
            reader.value = reader.document()
            return reader
    finally:
        yaml_loader.dispose()


# -- JSON ---------------------------------------------------------------------------------

_WS = lazy(r"[ \t\n\r]*")
_WS_CHARS = " \t\n\r"
_NUMBER = lazy(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_PLAIN_STRING = lazy(r'"([^"\\\x00-\x1f]*)"')  # no escapes: most strings, read without scanstring
_PLAIN_KEY = lazy(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*')
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}


class _JsonError(Exception):
    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


def _scanstring_message(message: str) -> str:
    """json's "Unterminated string starting at" -> "unterminated string"."""
    message = re.sub(r"\s+(?:starting\s+)?at$", "", message)
    return message[:1].lower() + message[1:]


def _scan_json(s: str, path: str, first_line: int, notice):
    """The JSON value that `s` holds and the index after it, every string, mapping and list
    located. Iterative (deep nesting cannot exhaust the stack), one pass, and it tracks the
    line as it goes (no search per value), so it stays linear on one-line files too."""
    from json.decoder import JSONDecodeError, scanstring

    ws = _WS.match
    number = _NUMBER.match
    plain_string = _PLAIN_STRING.match
    plain_key = _PLAIN_KEY.match
    count = s.count
    rfind = s.rfind
    new_loc = new_tuple
    n = len(s)
    stack: list = []  # frames: [container, is_object, key, key_loc]
    line, line_start, seen = first_line, 0, 0  # the line holding `seen`, and where it starts

    pos = ws(s, 0).end()
    while True:
        # -- a value starts at pos: locate it
        if pos > seen:
            k = count("\n", seen, pos)
            if k:
                line += k
                line_start = rfind("\n", seen, pos) + 1
            seen = pos
        loc = new_loc(Loc, (path, line, pos - line_start + 1))
        if stack and not stack[-1][1]:
            stack[-1][0].locs.append(loc)
        c = s[pos:pos + 1]
        if c == '"':
            m = plain_string(s, pos)
            if m is not None:
                value = new_str(LStr, m.group(1))
                pos = m.end()
            else:
                try:
                    text, pos = scanstring(s, pos + 1, True)
                except JSONDecodeError as exc:
                    raise _JsonError(_scanstring_message(exc.msg), exc.pos) from None
                value = new_str(LStr, text)
            value.loc = loc
        elif c == "{" or c == "[":
            if len(stack) >= MAX_DEPTH:
                raise _JsonError(f"nested deeper than {MAX_DEPTH} levels", pos)
            obj = c == "{"
            container = Data() if obj else DataList()
            container.loc = loc
            pos += 1
            if s[pos:pos + 1] in _WS_CHARS:
                pos = ws(s, pos).end()
            if s[pos:pos + 1] == ("}" if obj else "]"):
                pos += 1
                value = container
            else:
                frame = [container, obj, None, None]
                stack.append(frame)
                if obj:
                    if pos > seen:
                        k = count("\n", seen, pos)
                        if k:
                            line += k
                            line_start = rfind("\n", seen, pos) + 1
                        seen = pos
                    m = plain_key(s, pos)
                    if m is not None:
                        frame[2] = m.group(1)
                        frame[3] = new_loc(Loc, (path, line, pos - line_start + 1))
                        pos = m.end()
                    else:
                        pos = _json_key(s, pos, frame, new_loc(Loc, (path, line, pos - line_start + 1)), scanstring,
                                        JSONDecodeError)
                continue
        elif c and c in "-0123456789":
            m = number(s, pos)
            if m is None:
                raise _JsonError("expecting value", pos)
            integer, fraction, exponent = m.groups()
            try:
                value = float(m.group()) if fraction or exponent else int(integer)
            except ValueError:  # more digits than int() accepts
                raise _JsonError(f"a number of {len(integer)} digits is too long", pos) from None
            pos = m.end()
        elif c in _LITERALS and s.startswith(_LITERALS[c][0], pos):
            word, value = _LITERALS[c]
            pos += len(word)
        else:
            raise _JsonError("expecting value" if pos < n else "expecting value, found the end of the text", pos)
        # -- the value is complete: put it into its container(s)
        while True:
            if not stack:
                return value, pos
            frame = stack[-1]
            container = frame[0]
            if frame[1]:
                key = frame[2]
                if key in container:  # the last value wins, in the first one's place (as in json)
                    _duplicate(notice, path, key, container.locs.get(key), frame[3])
                container[key] = value
                container.locs[key] = frame[3]
            else:
                container.append(value)
            if s[pos:pos + 1] in _WS_CHARS:
                pos = ws(s, pos).end()
            c = s[pos:pos + 1]
            if c == ",":
                pos += 1
                if s[pos:pos + 1] in _WS_CHARS:
                    pos = ws(s, pos).end()
                if frame[1]:
                    if pos > seen:
                        k = count("\n", seen, pos)
                        if k:
                            line += k
                            line_start = rfind("\n", seen, pos) + 1
                        seen = pos
                    m = plain_key(s, pos)
                    if m is not None:
                        frame[2] = m.group(1)
                        frame[3] = new_loc(Loc, (path, line, pos - line_start + 1))
                        pos = m.end()
                    else:
                        pos = _json_key(s, pos, frame, new_loc(Loc, (path, line, pos - line_start + 1)), scanstring,
                                        JSONDecodeError)
                elif s[pos:pos + 1] == "]":
                    raise _JsonError("trailing comma before `]`", pos)
                break
            if c == ("}" if frame[1] else "]"):
                stack.pop()
                value = container
                pos += 1
                continue
            closing = "}" if frame[1] else "]"
            if not c:
                raise _JsonError(f"expecting ',' or `{closing}`, found the end of the text", pos)
            raise _JsonError(f"expecting ',' or `{closing}`", pos)


def _json_key(s, pos, frame, loc, scanstring, error_type):
    """Reads `"key" :` at pos into the frame (the slow path: escapes, errors); the index after."""
    if s[pos:pos + 1] != '"':
        if s[pos:pos + 1] == "}":
            raise _JsonError("trailing comma before `}`", pos)
        raise _JsonError("expecting a property name in double quotes", pos)
    try:
        key, end = scanstring(s, pos + 1, True)
    except error_type as exc:
        raise _JsonError(_scanstring_message(exc.msg), exc.pos) from None
    frame[2] = key
    frame[3] = loc
    end = _WS.match(s, end).end()
    if s[end:end + 1] != ":":
        raise _JsonError("expecting ':' after the property name", end)
    return _WS.match(s, end + 1).end()


def _line_column(text: str, pos: int, first_line: int = 1):
    line_start = text.rfind("\n", 0, pos) + 1
    return first_line + text.count("\n", 0, pos), pos - line_start + 1


def parse_json(text: str, path: str, notice=None, first_line: int = 1, what: str = "JSON"):
    """The JSON value in `text`, located as if read from `path` at `first_line` (pure)."""
    try:
        with gc_paused():
            value, pos = _scan_json(text, path, first_line, notice)
            if text[pos:pos + 1] in _WS_CHARS:
                pos = _WS.match(text, pos).end()
            if pos < len(text):
                raise _JsonError("extra data after the JSON value", pos)
    except _JsonError as exc:
        line, column = _line_column(text, min(exc.pos, len(text)), first_line)
        message = exc.message
        if text.startswith(("//", "/*"), exc.pos):
            message = f"a comment (`{text[exc.pos:exc.pos + 2]}`), which JSON does not allow"
        raise ArtifactError(path, f"invalid {what}: {message} (column {column})", line) from None
    return value


def parse_jsonl(text: str, path: str, notice=None):
    """JSON Lines: one value per non-blank line, each located at its line (pure)."""
    out = DataList()
    out.loc = Loc(path, 1)
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        value = parse_json(line, path, notice, number, "JSON Lines")
        out.append(value)
        out.locs.append(Loc(path, number, _WS.match(line).end() + 1))
    return out


# -- TOML ---------------------------------------------------------------------------------

_TOML_POSITION = lazy(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_BARE_KEY = lazy(r"[A-Za-z0-9_-]+")
_BASIC_KEY = lazy(r'"((?:[^"\\]|\\.)*)"')
_LITERAL_KEY = lazy(r"'([^']*)'")
_HEADER = lazy(r"\s*(\[\[?)")


def parse_toml(text: str, path: str, notice=None):
    """The TOML table in `text`, values located at their key's line (pure)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    try:
        with gc_paused():
            data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_POSITION.search(message)
        if m is not None:
            message = message[:m.start()]
        message = f"invalid TOML: {message[:1].lower()}{message[1:]}"
        if m is not None and m.group(1):
            raise _syntax_error(path, message, int(m.group(1)), int(m.group(2))) from None
        if m is not None:  # at the end of the document: the last line that holds anything
            raise ArtifactError(path, message + " (at the end of the file)", text.rstrip().count("\n") + 1) from None
        raise ArtifactError(path, message) from None  # pragma: no cover - tomllib says where
    except RecursionError:  # tomllib recurses once or twice a level: about 490 levels end it
        raise ArtifactError(path, f"nested deeper than {MAX_DEPTH} levels", _toml_too_deep_line(text)) from None
    except ValueError:  # not a TOMLDecodeError: int() refused a number of more than 4300 digits
        import sys

        digits = sys.get_int_max_str_digits()
        m = re.search(rf"[0-9_]{{{digits + 1}}}", text)
        raise ArtifactError(path, f"invalid TOML: a number has more than {digits} digits",
                            text.count("\n", 0, m.start()) + 1 if m else None) from None
    lines = _toml_key_lines(text)
    with gc_paused():
        return _locate_toml(data, (), Loc(path, 1), lines, path, 0)


_TOML_NESTING = lazy(r"[][{}#\"'\n]")


def _toml_too_deep_line(text: str) -> int | None:
    """The line where arrays and inline tables first nest deeper than MAX_DEPTH, brackets in
    strings and comments aside (tomllib has read the text that far)."""
    depth, line, pos, n = 0, 1, 0, len(text)
    while True:
        m = _TOML_NESTING.search(text, pos)
        if m is None:
            return None
        c, pos = m.group(), m.end()
        if c == "\n":
            line += 1
        elif c == "#":
            pos = text.find("\n", pos)
            if pos < 0:
                return None
        elif c in "\"'":
            end = _toml_string_end(text, m.start())
            line += text.count("\n", pos, end)
            pos = end
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        else:
            depth = max(depth - 1, 0)
        if pos >= n:
            return None


def _toml_string_end(text: str, start: int) -> int:
    """The index after the string that opens at `start` (basic, literal, or multi-line)."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        end = text.find(quote * 3, start + 3)
        if end < 0:
            return len(text)
        end += 3
        while text[end:end + 1] == quote:
            end += 1
        return end
    pos = start + 1
    while pos < len(text):
        c = text[pos]
        if c == quote or c == "\n":
            return pos + 1 if c == quote else pos
        pos += 2 if c == "\\" and quote == '"' else 1
    return pos


def _locate_toml(value, key_path: tuple, loc: Loc, lines: dict, path: str, depth: int):
    if depth > MAX_DEPTH:
        raise ArtifactError(path, f"nested deeper than {MAX_DEPTH} levels", loc.line)
    if isinstance(value, str):
        return new_lstr(value, loc)
    if isinstance(value, dict):
        out = Data()
        out.loc = loc
        for key, item in value.items():
            sub = key_path + (key,)
            line = lines.get(sub)
            item_loc = Loc(path, line) if line else loc
            out[key] = _locate_toml(item, sub, item_loc, lines, path, depth + 1)
            out.locs[key] = item_loc
        return out
    if isinstance(value, list):
        out = DataList()
        out.loc = loc
        for index, item in enumerate(value):
            sub = key_path + (index,)
            line = lines.get(sub)
            item_loc = Loc(path, line) if line else loc
            out.append(_locate_toml(item, sub, item_loc, lines, path, depth + 1))
            out.locs.append(item_loc)
        return out
    return value


def _toml_keys(line: str, pos: int):
    """The dotted key at `pos` and the index after it, or (None, pos)."""
    keys = []
    while True:
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        bare = _BARE_KEY.match(line, pos)
        m = bare or _BASIC_KEY.match(line, pos) or _LITERAL_KEY.match(line, pos)
        if m is None:
            return None, pos
        key = m.group() if m is bare else m.group(1)
        if line[pos] == '"' and "\\" in key:  # a basic key (a bare one has no quote, a literal one is '…')
            import json

            try:
                key = json.loads(f'"{key}"')
            except ValueError:
                return None, pos
        keys.append(key)
        pos = m.end()
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        if pos < len(line) and line[pos] == ".":
            pos += 1
            continue
        return keys, pos


def _toml_key_lines(text: str) -> dict:
    """Key path -> line of the keys and headers a TOML text writes, by a line scan that
    skips multi-line strings and arrays (tomllib has already checked the syntax)."""
    out: dict = {}
    table: tuple = ()
    arrays: dict = {}  # header path of `[[x]]` -> index of its current item
    quote = None  # the delimiter of a multi-line string left open
    depth = 0  # brackets left open by a multi-line array or inline table
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if quote is not None:
            end = line.find(quote)
            if end < 0:
                continue
            end += 3
            while line[end:end + 1] == quote[0]:
                end += 1
            quote, depth = _scan_value(line[end:], depth)
            continue
        if depth > 0:
            quote, depth = _scan_value(line, depth)
            continue
        header = _HEADER.match(line)
        if header:
            keys, _ = _toml_keys(line, header.end())
            if keys is None:
                continue
            full = tuple(keys)
            if header.group(1) == "[[":
                arrays[full] = arrays.get(full, -1) + 1
                for inner in [k for k in arrays if len(k) > len(full) and k[:len(full)] == full]:
                    del arrays[inner]  # a new item of `[[a]]` starts its own `[[a.b]]`
                table = _with_array_indexes(full, arrays) + (arrays[full],)
            else:
                table = _with_array_indexes(full, arrays)
            out[table] = number
            for cut in range(1, len(table)):
                out.setdefault(table[:cut], number)
            continue
        keys, pos = _toml_keys(line, 0)
        if keys is None or line[pos:pos + 1] != "=":
            continue
        for cut in range(1, len(keys) + 1):
            out.setdefault(table + tuple(keys[:cut]), number)
        quote, depth = _scan_value(line[pos + 1:], 0)
    return out


def _with_array_indexes(keys: tuple, arrays: dict) -> tuple:
    """`[a.b]` under the third `[[a]]` is the path a, 2, b."""
    out: tuple = ()
    for k in range(len(keys)):
        out += (keys[k],)
        if keys[:k + 1] in arrays and k + 1 < len(keys):
            out += (arrays[keys[:k + 1]],)
    return out


def _scan_value(rest: str, depth: int):
    """(the delimiter of a multi-line string left open or None, brackets open) after `rest`."""
    i, n = 0, len(rest)
    while i < n:
        c = rest[i]
        if c == "#":
            break
        if rest.startswith('"""', i) or rest.startswith("\'\'\'", i):
            quote = rest[i:i + 3]
            end = rest.find(quote, i + 3)
            if end < 0:
                return quote, depth
            i = end + 3
            while i < n and rest[i] == quote[0]:
                i += 1
            continue
        if c == '"':
            i += 1
            while i < n and rest[i] != '"':
                i += 2 if rest[i] == "\\" else 1
            i += 1
            continue
        if c == "'":
            end = rest.find("'", i + 1)
            i = end + 1 if end >= 0 else n
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return None, max(depth, 0)


# -- loaders ------------------------------------------------------------------------------

def _load(repo, path: str, kind: str, parse):
    norm = repo.normalize(path)

    def compute():
        text = decode(repo.read_bytes(norm), norm)
        return parse(text, norm, _noticer(repo))

    return repo.memo((kind, norm), compute)


@loader("yaml", {"path": STR}, ANY, "A YAML file's data; every key and string located at its line.")
def load_yaml(repo, path):
    return _load(repo, path, "yaml", parse_yaml)


@loader("json", {"path": STR}, ANY, "A JSON file's data; every key and string located at its line.")
def load_json(repo, path):
    return _load(repo, path, "json", parse_json)


@loader("toml", {"path": STR}, ANY, "A TOML file's data; values located at their key's line.")
def load_toml(repo, path):
    return _load(repo, path, "toml", parse_toml)


@loader("jsonl", {"path": STR}, List(ANY), "A JSON Lines file: one value per line, each located at its line.")
def load_jsonl(repo, path):
    return _load(repo, path, "jsonl", parse_jsonl)


def parse_data(text: str, path: str, notice=None):
    """JSON for `.json` files and text that starts with `{` or `[`, else YAML."""
    stripped = text.lstrip()
    if path.lower().endswith(".json") or stripped[:1] in ("{", "["):
        try:
            return parse_json(text, path, notice)
        except ArtifactError:
            if path.lower().endswith(".json"):
                raise
    return parse_yaml(text, path, notice)


# -- schema_errors ------------------------------------------------------------------------

SCHEMA_ERROR = record("SchemaError", "A place where data breaks its JSON Schema.", {
    "message": (STR, "what is wrong, as jsonschema says it"),
    "path": (STR, "JSON pointer to the offending value in the data (`/tasks/0/status`), empty for the root"),
    "validator": (STR, "the schema keyword that failed: `required`, `type`, `enum`, …"),
    "schema_path": (STR, "JSON pointer to that keyword in the schema"),
    "line": (NUMBER, "line of the offending value in the data file, or null"),
})

_BASE = "file:///"  # the repository root, as the base URI of schemas read from it


@loader("schema_errors", {"value": ANY, "schema": STR}, List(SCHEMA_ERROR),
        "Where `value` (read by yaml/json/toml/jsonl) breaks the JSON Schema in file `schema`.")
def schema_errors(repo, value, schema):
    norm = repo.normalize(schema)
    validator = repo.memo(("schema", norm), lambda: _validator(repo, norm))
    return validate(value, validator, norm)


def validate(value, validator, schema_path: str) -> list:
    """SchemaError records for `value`, sorted by line, then pointer, then message."""
    import referencing.exceptions

    out = []
    try:
        errors = list(validator.iter_errors(value))
    except referencing.exceptions.Unresolvable as exc:
        raise ArtifactError(schema_path, _unresolvable(exc)) from None
    except _PatternError as exc:
        raise ArtifactError(schema_path, f"the pattern `{exc.pattern}` cannot run in RE2 (linear-time regexes): "
                                         f"{exc.reason}") from None
    except RecursionError:
        raise ArtifactError(schema_path, "the data is nested too deeply to validate against this schema") from None
    for error in errors:
        parts = list(error.absolute_path)
        loc = locate(value, parts) if parts else getattr(value, "loc", None)
        extra = _unexpected_key(error)
        if extra is not None and isinstance(error.instance, Data):
            loc = error.instance.loc_of(extra)
        line = loc.line if loc is not None else None
        out.append(Record("SchemaError", Loc(loc.path, line) if loc is not None else None,
                          message=LStr(error.message, loc), path=LStr(pointer_of(parts), loc),
                          validator=str(error.validator), schema_path=pointer_of(error.absolute_schema_path),
                          line=line))
    out.sort(key=lambda r: (r["line"] or 0, r["path"], r["message"]))
    return out


def _unexpected_key(error):
    """The first key an `additionalProperties: false` error is about, to point at it."""
    if error.validator not in ("additionalProperties", "unevaluatedProperties") or not isinstance(error.instance, dict):
        return None
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {}) if error.validator == "additionalProperties" else {}
    patterns = list(schema.get("patternProperties", {})) if error.validator == "additionalProperties" else []
    for key in error.instance:
        if key in known or any(_search(p, key) for p in patterns):
            continue
        if repr(key) in error.message or str(key) in error.message:
            return key
    return None


def _unresolvable(exc) -> str:
    ref = str(getattr(exc, "ref", "") or exc)
    if ref.startswith(_BASE):
        ref = ref[len(_BASE):]
    return (f"cannot resolve `$ref` `{ref}`: only references inside the schema or to other schema files "
            "in the repository are followed (nothing is fetched)")


def _read_schema(repo, norm: str):
    text = decode(repo.read_bytes(norm), norm)
    value = parse_data(text, norm)
    return _plain(value)


def _plain(value):
    """Schemas compare keys and values as plain Python data."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (int, float, bool)) or isinstance(k, bool) else str(k): _plain(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _validator(repo, norm: str):
    import jsonschema
    import referencing
    import referencing.exceptions
    import referencing.jsonschema
    from jsonschema.exceptions import SchemaError as JsonSchemaError

    schema = _read_schema(repo, norm)
    if not isinstance(schema, (dict, bool)):
        raise ArtifactError(norm, "not a JSON Schema: the file holds a list or a scalar, not an object")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    if isinstance(schema, dict) and "$schema" in schema and \
            jsonschema.validators.validator_for(schema, default=None) is None:
        raise ArtifactError(norm, f"unknown `$schema` `{schema['$schema']}`: name a JSON Schema draft "
                                  "(draft 3, 4, 6, 7, 2019-09 or 2020-12)")
    try:
        cls.check_schema(schema)
    except JsonSchemaError as exc:
        where = pointer_of(exc.absolute_path)
        raise ArtifactError(norm, f"not a valid JSON Schema: {exc.message}" + (f" (at `{where}`)" if where else "")) \
            from None
    spec = referencing.jsonschema.specification_with(
        str(cls.META_SCHEMA.get("$id") or cls.META_SCHEMA.get("id")), default=referencing.jsonschema.DRAFT202012)
    id_keyword = "id" if cls in (jsonschema.Draft3Validator, jsonschema.Draft4Validator) else "$id"
    if isinstance(schema, dict) and id_keyword not in schema:
        schema = {id_keyword: _BASE + norm, **schema}  # so relative `$ref`s resolve from its folder

    def retrieve(uri: str):
        """Other schema files of the repository; nothing else, and never the network."""
        if not uri.startswith(_BASE):
            raise referencing.exceptions.NoSuchResource(ref=uri)
        try:
            contents = _read_schema(repo, repo.normalize(uri[len(_BASE):]))
        except ArtifactError:
            raise referencing.exceptions.NoSuchResource(ref=uri) from None
        return referencing.Resource.from_contents(contents, default_specification=spec)

    if _has_keyword(schema, "unevaluatedProperties") and _has_keyword(schema, "patternProperties"):
        raise ArtifactError(norm, "`patternProperties` together with `unevaluatedProperties` is not supported: "
                                  "jsonschema would run those patterns outside RE2 (linear-time regexes)")
    registry = referencing.Registry(retrieve=retrieve)
    type_checker = cls.TYPE_CHECKER.redefine(
        "string", lambda checker, instance: isinstance(instance, str) or _is_date(instance))
    keywords = {"pattern": _pattern, "patternProperties": _pattern_properties,
                "additionalProperties": _additional_properties}
    return jsonschema.validators.extend(cls, keywords, type_checker=type_checker)(schema, registry=registry)


# The keywords that run a schema's regexes, as jsonschema writes them but through RE2: a
# schema from a pull request may hold a pattern that backtracks for ever in Python's `re`.

class _PatternError(Exception):
    def __init__(self, pattern: str, reason: str):
        super().__init__(reason)
        self.pattern, self.reason = pattern, reason


def _search(pattern, text) -> bool:
    from ..regex import RegexError, found

    try:
        return found(str(pattern), str(text))
    except RegexError as exc:
        raise _PatternError(str(pattern), str(exc)) from None


def _pattern(validator, pattern, instance, schema):
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator, additional, instance, schema):
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = {key for key in instance
              if key not in properties and not any(_search(pattern, key) for pattern in patterns)}
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: "
                                  f"{', '.join(repr(each) for each in sorted(patterns))}")
        else:
            shown = sorted(extras, key=str)
            yield ValidationError(f"Additional properties are not allowed ({', '.join(repr(e) for e in shown)} "
                                  f"{'was' if len(shown) == 1 else 'were'} unexpected)")


def _has_keyword(schema, keyword: str) -> bool:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if keyword in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _is_date(value) -> bool:
    import datetime

    return isinstance(value, (datetime.date, datetime.time))
