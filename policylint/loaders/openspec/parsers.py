"""OpenSpec's Markdown parsers (`dist/core/parsers/`), line for line.

Code fences (code-fence.js), requirement text and names (requirement-text.js,
requirement-blocks.js), `### Requirement:` blocks, the main-spec reading
(markdown-parser.js), the structure scan (spec-structure.js) and the delta reader
(requirement-blocks.js). `SpecReading` and `BlockReading` are readings of a `Document`
(document.py), which mixes them in: they use its `lines`, `rx`, `mask`, `hash_lines`,
`at` and caches.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ...values import Lazy, Record, new_lazy_record, new_loc, new_record
from .jstext import JS_SPACE, Rx, js_length, js_trim

# -- code fences (parsers/code-fence.js:10-48) ---------------------------------------------


def fence_mask(rx: Rx, lines: list, text: str | None = None) -> list:
    """True for each line inside a fenced block, its fences included (buildCodeFenceMask)."""
    if text is None:
        text = "\n".join(lines)
    mask = [False] * len(lines)
    if "```" not in text and "~~~" not in text:
        return mask
    active = None
    for i, line in enumerate(lines):
        if active is None:
            if "`" in line or "~" in line:
                m = rx.FENCE_OPEN.match(line)
                if m:
                    run = m.group(1)
                    active = (run[0], len(run))
                    mask[i] = True
            continue
        mask[i] = True
        m = rx.FENCE_CLOSE.match(line)
        if m and m.group(1)[0] == active[0] and len(m.group(1)) >= active[1]:
            active = None
    return mask


# -- requirement text (parsers/requirement-text.js) ------------------------------------------


def requirement_body(rx: Rx, body_lines: list, mask: list | None = None) -> str:
    """extractRequirementBody (parsers/requirement-text.js:62)."""
    mask = mask if mask is not None else fence_mask(rx, body_lines)
    captured, metadata = [], []
    for line, fenced in zip(body_lines, mask):
        if fenced:
            continue
        if line[:1] == "#" and rx.HEADER_LINE.match(line):
            break
        trimmed = js_trim(line)
        if not trimmed:
            continue
        if trimmed[:2] == "**" and rx.METADATA_LINE.match(trimmed):
            metadata.append(trimmed)
            continue
        captured.append(trimmed)
    return "\n".join(captured) if captured else "\n".join(metadata)


def scenario_bodies(rx: Rx, body_lines: list, mask: list | None = None) -> list:
    """readScenarioBodies (parsers/requirement-text.js:113): the body of each `#### ` heading."""
    mask = mask if mask is not None else fence_mask(rx, body_lines)
    bodies = []
    n = len(body_lines)
    for i, line in enumerate(body_lines):
        if mask[i] or line[:4] != "####" or not rx.SCENARIO_HEADER.match(line):
            continue
        end = i + 1
        while end < n and (mask[end] or not rx.SCENARIO_END.match(body_lines[end])):
            end += 1
        bodies.append("\n".join(body_lines[i + 1:end]))
    return bodies


# -- requirement names (parsers/requirement-blocks.js) ---------------------------------------


def normalize_name(rx: Rx, name: str) -> str:
    """normalizeRequirementName (parsers/requirement-blocks.js:2)."""
    return js_trim(rx.CLOSING_RUN.sub("", name, count=1))


def fold_name(rx: Rx, name: str) -> str:
    """foldRequirementName (parsers/requirement-blocks.js:17)."""
    return rx.SPACES.sub(" ", normalize_name(rx, name).lower())


def scenario_name(rx: Rx, line: str) -> str:
    """scenarioNameAt (parsers/requirement-blocks.js:473)."""
    name = rx.SCENARIO_HEADER.sub("", line, count=1)
    name = rx.CLOSING_RUN.sub("", name, count=1)
    name = rx.SCENARIO_PREFIX.sub("", name, count=1) if rx.SCENARIO_PREFIX.match(name) else name
    return js_trim(name)


class Block:
    """A `### Requirement:` block: its header line index, name and the lines of its raw text."""

    __slots__ = ("rx", "fenced", "index", "name", "lines", "_mask", "_body", "_bodies", "_names")

    def __init__(self, rx: Rx, index: int, name: str, lines: list, fenced: bool = True):
        self.rx = rx
        self.fenced = fenced  # False when the file has no fence at all
        self.index = index
        self.name = name
        raw = "\n".join(lines).rstrip(JS_SPACE)  # raw is trimEnd()ed (parsers/requirement-blocks.js:289)
        self.lines = raw.split("\n")
        self._mask = self._body = self._bodies = self._names = None

    @property
    def mask(self) -> list:
        """The fences of the block; its first line, a header, opens none, so the body's mask
        (which OpenSpec builds on the lines after the header) is this one less its first entry."""
        if self._mask is None:
            self._mask = fence_mask(self.rx, self.lines) if self.fenced else [False] * len(self.lines)
        return self._mask

    @property
    def raw(self) -> str:
        return "\n".join(self.lines)

    @property
    def body(self) -> str:
        if self._body is None:
            self._body = requirement_body(self.rx, self.lines[1:], self.mask[1:])
        return self._body

    @property
    def bodies(self) -> list:
        if self._bodies is None:
            self._bodies = scenario_bodies(self.rx, self.lines[1:], self.mask[1:])
        return self._bodies

    def scenario_headers(self) -> list:
        """(line offset in the block, name) of every `#### ` heading (parseScenarioBlocks)."""
        if self._names is None:
            rx, mask = self.rx, self.mask
            self._names = [(k, scenario_name(rx, line)) for k, line in enumerate(self.lines)
                           if not mask[k] and line[:4] == "####" and rx.SCENARIO_HEADER.match(line)]
        return self._names

    @property
    def scenario_names(self) -> list:
        return [name for _, name in self.scenario_headers()]


_DELTA_TITLES = {"added requirements": "ADDED", "modified requirements": "MODIFIED",
                 "removed requirements": "REMOVED", "renamed requirements": "RENAMED"}


class SpecReading:
    """The main-spec reading of a Document (parsers/markdown-parser.js)."""

    def tree(self):
        """(headings, roots): each heading as [index, level, title, end, children, content]."""
        rx = self.rx
        if self._tree is not None:
            return self._tree
        nodes, roots, stack = [], [], []
        unended = []  # headings whose content goes on, levels rising: each line that stops
        # one (HEADING_STOP; every heading line is one) ends those of its level or deeper
        for i, line in self.hash_lines:
            m = rx.HEADING_STOP.match(line)
            if m is None:
                continue
            level = len(m.group(1))
            while unended and unended[-1][1] >= level:
                unended.pop()[3] = i
            h = rx.HEADING.match(line)
            if h is None:
                continue
            node = [i, level, js_trim(h.group(2)), len(self.lines), [], None]  # the same `#` run: the same level
            nodes.append(node)
            unended.append(node)
            while stack and stack[-1][1] >= level:
                stack.pop()
            (stack[-1][4] if stack else roots).append(node)
            stack.append(node)
        self._tree = (nodes, roots)
        return self._tree

    def content(self, node) -> str:
        """The heading's content, trimmed (getContentUntilNextHeader, parsers/markdown-parser.js:92)."""
        if node[5] is None:
            node[5] = js_trim("\n".join(self.lines[node[0] + 1:node[3]]))
        return node[5]

    def spec_reading(self) -> dict:
        rx = self.rx
        nodes, _ = self.tree()
        heading_record = _Headings(self).record
        purpose_node = next((n for n in nodes if n[2].lower() == "purpose"), None)
        requirements_node = next((n for n in nodes if n[2].lower() == "requirements"), None)
        if purpose_node is not None:
            text = self.content(purpose_node)
            purpose = self.at(text, purpose_node[0])
            prose_lines = text.split("\n")
            prose_mask = fence_mask(rx, prose_lines, text)
            prose = js_trim("\n".join(l for l, fenced in zip(prose_lines, prose_mask) if not fenced))
            purpose_prose = self.at(prose, self._first_prose_line(purpose_node))
        else:
            purpose = purpose_prose = self.at("", None)
        requirements = []
        if requirements_node is not None:
            for child in requirements_node[4]:
                index, title = child[0], child[2]
                body_lines = self.content(child).split("\n")
                statement = requirement_body(rx, body_lines, None if self.fenced else [False] * len(body_lines)) \
                    or js_trim(title)
                scenarios = [heading_record(g) for g in child[4] if self.content(g)]
                requirements.append(new_record("OpenSpecSpecRequirement", new_loc(self.path, index + 1), {
                    "text": self.at(title, index), "title": self.at(title, index),
                    "statement": self.at(statement, index), "statement_length": js_length(statement),
                    "line": index + 1, "scenarios": scenarios, "scenario_count": len(scenarios)}))
        return {"headings": Lazy(lambda: [heading_record(node) for node in nodes]),
                "purpose": purpose, "purpose_prose": purpose_prose,
                "purpose_length": js_length(str(purpose)),
                "requirements_heading": heading_record(requirements_node) if requirements_node is not None else None,
                "requirements": requirements}

    def _first_prose_line(self, node) -> int:
        """Index of the Purpose's first non-blank line outside fences (where the prose starts)."""
        index = node[0]
        if not self.content(node):
            return index
        mask = self.mask
        for i in range(index + 1, len(self.lines)):
            if not mask[i] and js_trim(self.lines[i]):
                return i
        return index


class BlockReading:
    """The `### Requirement:` blocks of a Document, its structure scan and its delta reading
    (parsers/requirement-blocks.js, parsers/spec-structure.js)."""

    # -- the structure scan and the Requirements section ----------------------------------
    def requirements_range(self):
        """(header index, end index) of the first `## Requirements` section, or None."""
        rx = self.rx
        if self._req_range is None:
            hashes = self.hash_lines
            start = next((i for i, line in hashes if line[:2] == "##" and rx.REQUIREMENTS_SECTION.match(line)), None)
            if start is None:
                self._req_range = (None,)
            else:
                end = next((i for i, line in hashes if i > start and line[:2] == "##" and rx.TOP_LEVEL.match(line)),
                           len(self.lines))
                self._req_range = (start, end)
        return self._req_range if self._req_range[0] is not None else None

    def main_blocks(self) -> list:
        """extractRequirementsSection(content).bodyBlocks (parsers/requirement-blocks.js:25)."""
        blocks = self._readings.get("main_blocks")
        if blocks is None:
            span = self.requirements_range()
            blocks = self._readings["main_blocks"] = self._blocks(span[0] + 1, span[1]) if span else []
        return blocks

    def _blocks(self, start: int, end: int) -> list:
        """`### Requirement:` blocks in lines [start, end): each runs to the next requirement
        header or `## ` line (parseRequirementBlocksFromSection, parsers/requirement-blocks.js:247)."""
        rx, lines = self.rx, self.lines
        headers, stops = self.boundaries()
        first = bisect_left(headers, start)
        blocks = []
        for k in range(first, len(headers)):
            header = headers[k]
            if header >= end:
                break
            nxt = headers[k + 1] if k + 1 < len(headers) else len(lines)
            stop = stops[bisect_right(stops, header)] if bisect_right(stops, header) < len(stops) else len(lines)
            block_end = min(nxt, stop, end)
            name = normalize_name(rx, rx.REQUIREMENT.match(lines[header]).group(1))
            blocks.append(Block(rx, header, name, lines[header:block_end], self.fenced))
        return blocks

    def boundaries(self):
        """Indexes of the `### Requirement:` lines, and of the `## ` lines, outside fences."""
        found = self._readings.get("boundaries")
        if found is None:
            rx = self.rx
            headers, stops = [], []
            for i, line in self.hash_lines:
                if line[:2] != "##":
                    continue
                if line[:3] == "###" and rx.REQUIREMENT.match(line):
                    headers.append(i)
                elif rx.TOP_LEVEL.match(line):
                    stops.append(i)
            found = self._readings["boundaries"] = (headers, stops)
        return found

    def sections(self) -> list:
        """Every `## ` section: (title, header index, body start, body end) (splitTopLevelSections)."""
        rx = self.rx
        lines = self.lines
        found = []
        for i, line in self.hash_lines:
            if line[:2] == "##":
                m = rx.SECTION.match(line)
                if m:
                    found.append((js_trim(m.group(1)), i))
        return [(title, i, i + 1, found[k + 1][1] if k + 1 < len(found) else len(lines))
                for k, (title, i) in enumerate(found)]

    def structure(self) -> dict:
        rx = self.rx
        span = self.requirements_range()
        headers, subheadings = [], []
        section = None
        for i, line in self.hash_lines:
            if line[:2] != "##":
                continue
            m = rx.SECTION.match(line)
            if m:
                section = self.at(js_trim(m.group(1)), i)
                continue
            r = rx.REQUIREMENT.match(line)
            if r:
                name = self.at(normalize_name(rx, r.group(1)), i)
                strict = rx.STRICT_REQUIREMENT.match(line)
                headers.append(new_record("OpenSpecHeader", new_loc(self.path, i + 1), {
                    "text": name, "name": name, "line": i + 1, "section": section,
                    "strict": strict is not None,
                    "inside": span is not None and span[0] < i < span[1]}))
                continue
            h = rx.H3.match(line)
            if h:
                title = self.at(js_trim(h.group(1)), i)
                subheadings.append(new_record("OpenSpecHeader", new_loc(self.path, i + 1), {
                    "text": title, "name": title, "line": i + 1, "section": section,
                    "strict": False, "inside": span is not None and span[0] < i < span[1]}))
        blocks = Lazy(lambda: [self.requirement_record(b, "REQUIREMENTS", None) for b in self.main_blocks()])
        return {"requirement_blocks": blocks, "requirement_headers": headers, "subheadings": subheadings}

    def requirement_record(self, block: Block, op: str, lineage) -> Record:
        """A `### Requirement:` block's record: its fields made when first read (`_Requirements`)."""
        source = self._readings.get("requirements source")
        if source is None:
            source = self._readings["requirements source"] = _Requirements(self)
        return new_lazy_record("OpenSpecRequirement", new_loc(self.path, block.index + 1), source, (block, op, lineage))

    def name_record(self, name: str, index: int, op: str) -> Record:
        rx = self.rx
        located = self.at(name, index)
        return new_record("OpenSpecRequirement", new_loc(self.path, index + 1), {
            "text": located, "name": located, "op": op, "folded": fold_name(rx, name), "line": index + 1,
            "body": self.at("", index), "scenario_count": 0, "empty_scenario_count": 0,
            "scenario_names": [], "lineage": [located]})

    # -- the delta reader (parseDeltaSpec, parsers/requirement-blocks.js:102) ----------------------
    def plan(self) -> dict:
        rx = self.rx
        if self._plan is not None:
            return self._plan
        lines, mask = self.lines, self.mask
        added, modified, removed, pairs, unpaired, present, rename_lines = [], [], [], [], [], [], []
        for title, header, start, end in self.sections():
            op = _DELTA_TITLES.get(title.lower())
            if op is None:
                continue
            present.append((op, self.at(title, header)))
            if op == "ADDED":
                added.extend(self._blocks(start, end))
            elif op == "MODIFIED":
                modified.extend(self._blocks(start, end))
            elif op == "REMOVED":
                for i in range(start, end):  # parseRemovedNames (parsers/requirement-blocks.js:300)
                    if mask[i]:
                        continue
                    m = rx.REQUIREMENT.match(lines[i]) or rx.REMOVED_BULLET.match(lines[i])
                    if m:
                        removed.append((normalize_name(rx, m.group(1)), i))
            else:
                pending = None  # parseRenamedPairs (parsers/requirement-blocks.js:346)
                for i in range(start, end):
                    if mask[i]:
                        continue
                    f = rx.FROM.match(lines[i])
                    t = None if f else rx.TO.match(lines[i])
                    if f or t:
                        rename_lines.append(("FROM" if f else "TO", normalize_name(rx, (f or t).group(1)), i))
                    if f:
                        if pending:
                            unpaired.append(("FROM", pending[0], pending[1]))
                        pending = (normalize_name(rx, f.group(1)), i)
                    elif t:
                        to = normalize_name(rx, t.group(1))
                        if not pending:
                            unpaired.append(("TO", to, i))
                            continue
                        pairs.append((pending[0], pending[1], to, i))
                        pending = None
                if pending:
                    unpaired.append(("FROM", pending[0], pending[1]))
        unpaired.sort(key=lambda u: u[2])
        self._plan = {"added": added, "modified": modified, "removed": removed, "renamed": pairs,
                      "unpaired": unpaired, "present": present, "rename_lines": rename_lines}
        return self._plan

    def delta_records(self) -> dict:
        rx = self.rx
        plan = self.plan()
        renamed_from = {}  # to -> from, the last pair winning (validation/validator.js:611)
        for frm, _, to, _ in plan["renamed"]:
            renamed_from[to] = frm

        def lineage(name):
            out, key = [], name
            while key is not None and key not in out:
                out.append(key)
                key = renamed_from.get(key)
            return out

        records = {
            "delta_sections": [title for _, title in plan["present"]],
            "added": [self.requirement_record(b, "ADDED", None) for b in plan["added"]],
            "modified": [self.requirement_record(b, "MODIFIED", lineage(b.name)) for b in plan["modified"]],
            "removed": [self.name_record(name, i, "REMOVED") for name, i in plan["removed"]],
            "renamed_from": [self.name_record(frm, i, "RENAMED FROM") for frm, i, _, _ in plan["renamed"]],
            "renamed_to": [self.name_record(to, j, "RENAMED TO") for _, _, to, j in plan["renamed"]],
        }
        records["renamed"] = [
            new_record("OpenSpecRename", new_loc(self.path, i + 1), {
                "text": self.at(frm, i), "from": self.at(frm, i), "to": self.at(to, j),
                "from_folded": fold_name(rx, frm), "line": i + 1, "to_line": j + 1})
            for frm, i, to, j in plan["renamed"]]
        unpaired = {i for _, _, i in plan["unpaired"]}
        records["rename_lines"] = [
            new_record("OpenSpecRenameLine", new_loc(self.path, i + 1), {
                "text": self.at(name, i), "name": self.at(name, i), "side": side, "paired": i not in unpaired,
                "missing": ("TO" if side == "FROM" else "FROM") if i in unpaired else "", "line": i + 1})
            for side, name, i in sorted(plan["rename_lines"], key=lambda x: x[2])]
        return records


# -- records whose fields are made when first read (values.LazyFields) -----------------------------
# A spec has hundreds of headings and requirement blocks, each with fields a gate may never
# read; made from the text alone, they read no file, so the results cache has nothing in
# them to trace (a dict of Lazy fields would be walked, each field wrapped, on every load).


class _Headings:
    """Where a heading's fields are made from: the Document; a record's key is its node
    ([index, level, title, end, children, content], SpecReading.tree). A heading reached
    twice (a scenario, and a child of its requirement) is the same record."""

    __slots__ = ("doc", "made")

    def __init__(self, doc):
        self.doc, self.made = doc, {}

    def record(self, node) -> Record:
        rec = self.made.get(id(node))
        if rec is None:
            rec = self.made[id(node)] = new_lazy_record("OpenSpecHeading", new_loc(self.doc.path, node[0] + 1), self, node)
        return rec

    makers = {  # in the order of records.HEADING
        "text": lambda s, f, node: f.keep("text", s.doc.at(node[2], node[0])),
        "title": lambda s, f, node: f.keep("title", f.get("text")),
        "level": lambda s, f, node: node[1],
        "line": lambda s, f, node: node[0] + 1,
        "content": lambda s, f, node: f.keep("content", s.doc.at(s.doc.content(node), node[0])),
        "length": lambda s, f, node: f.keep("length", js_length(s.doc.content(node))),
        "children": lambda s, f, node: f.keep("children", [s.record(child) for child in node[4]]),
    }


def _scenario_counts(block: Block) -> tuple:
    bodies = block.bodies
    with_text = sum(1 for b in bodies if js_trim(b))
    return with_text, len(bodies) - with_text


def _lineage(s, f, key) -> list:
    block, _, lineage = key
    return f.keep("lineage", [s.doc.at(x, block.index) for x in lineage] if lineage else [f.get("text")])


class _Requirements:
    """Where a `### Requirement:` block's fields are made from: the Document; a record's key
    is (block, op, lineage: the names it had, newest first, or None)."""

    __slots__ = ("doc",)

    def __init__(self, doc):
        self.doc = doc

    makers = {  # in the order requirement records have always shown them
        "text": lambda s, f, key: f.keep("text", s.doc.at(key[0].name, key[0].index)),
        "name": lambda s, f, key: f.keep("name", f.get("text")),
        "op": lambda s, f, key: key[1],
        "line": lambda s, f, key: key[0].index + 1,
        "folded": lambda s, f, key: f.keep("folded", fold_name(s.doc.rx, key[0].name)),
        "body": lambda s, f, key: f.keep("body", s.doc.at(key[0].body, key[0].index)),
        "scenario_count": lambda s, f, key: _scenario_counts(key[0])[0],
        "empty_scenario_count": lambda s, f, key: _scenario_counts(key[0])[1],
        "scenario_names": lambda s, f, key: f.keep("scenario_names", [s.doc.at(n, key[0].index + k)
                                                                      for k, n in key[0].scenario_headers()]),
        "lineage": _lineage,
    }


# -- the structure check on a main spec (parsers/spec-structure.js:7) --------------------------------


def structure_issues(doc) -> list:
    """(line index, message) of what findMainSpecStructureIssues reports on a Document."""
    cached = doc._readings.get("structure_issues")
    if cached is None:
        cached = doc._readings["structure_issues"] = _structure_issues(doc)
    return cached


def _structure_issues(doc) -> list:
    rx = doc.rx
    issues = []
    span = doc.requirements_range()
    seen = {}
    for i, line in doc.hash_lines:
        if line[:2] != "##":
            continue
        if rx.DELTA_HEADER.match(line):
            issues.append((i, f'delta header "{js_trim(line)}" in a main spec'))
            continue
        m = rx.STRICT_REQUIREMENT.match(line)
        if not m:
            continue
        if span is None or not span[0] < i < span[1]:
            issues.append((i, f'requirement header "{js_trim(line)}" outside ## Requirements'))
            continue
        name = normalize_name(rx, m.group(1))
        if name in seen:
            issues.append((i, f'requirement header "{js_trim(line)}" duplicates line {seen[name] + 1}'))
        else:
            seen[name] = i
    return issues
