"""One OpenSpec Markdown file: its text and OpenSpec's readings of it, each computed when a
field is first read, and `openspec(path)`, the record of them.
"""
from __future__ import annotations

import posixpath

from ...errors import ArtifactError
from ...fastpath import gc_paused
from ...patterns import lazy
from ...signature import loader
from ...types import STR
from ...values import Lazy, Loc, LStr, PathValue, Record, new_lazy_record, new_loc, new_lstr
from .archive import merge_refusal
from .discovery import stat_kind
from .jstext import rx_for
from .parsers import BlockReading, SpecReading, fence_mask
from .records import DOC
from .validation import TaskReading

_DELTA_PATH = lazy(r"(?:(.*?)/)?changes/([^/]+)/specs/(.+)/spec\.md\Z")
_SPEC_PATH = lazy(r"(?:.*?/)?specs/(.+)/spec\.md\Z")


@loader("openspec", args={"path": STR}, returns=DOC,
        doc="An OpenSpec Markdown file as `openspec validate` reads it: requirements, scenarios, deltas, tasks.")
def load_openspec(repo, path):
    relpath = repo.normalize(path)
    return repo.memo(("openspec", relpath), lambda: document(repo, relpath).record)


class Document(SpecReading, BlockReading, TaskReading):
    """One file's text and lines, and OpenSpec's readings of it, each computed once: the
    parsers' (parsers.py) and the task checks' (validation.py), mixed in."""

    def __init__(self, repo, path: str, text: str):
        self.repo = repo
        self.path = path
        self.text = text
        self.lines = text.split("\n")
        self.rx = rx_for(text)
        self.fenced = "```" in text or "~~~" in text
        self._mask = self._tree = self._plan = self._req_range = None
        self._readings: dict = {}
        self.record = self._build()

    # -- shared --------------------------------------------------------------------------
    @property
    def mask(self) -> list:
        if self._mask is None:
            self._mask = fence_mask(self.rx, self.lines, self.text)
        return self._mask

    @property
    def hash_lines(self) -> list:
        """(index, line) of every line outside fences that starts with `#`: all of OpenSpec's
        headings, sections and requirement headers are among them."""
        found = self._readings.get("hash_lines")
        if found is None:
            if self.fenced:
                mask = self.mask
                found = [(i, line) for i, line in enumerate(self.lines) if line[:1] == "#" and not mask[i]]
            else:
                found = [(i, line) for i, line in enumerate(self.lines) if line[:1] == "#"]
            self._readings["hash_lines"] = found
        return found

    def at(self, value: str, index: int | None) -> LStr:
        return new_lstr(value, new_loc(self.path, None if index is None else index + 1))

    def _build(self) -> Record:
        """The `OpenSpecDoc` record. Its fields are made when first read (values.LazyFields,
        `makers` below): the readings of the text read no file, so the results cache has
        nothing in them to trace. `target` and `archive_refusal` look at other files: they
        are Lazy fields, which it traces."""
        path = self.path
        self.capability, self.target = "", None
        m = _DELTA_PATH.match(path)
        if m:
            self.capability = m.group(3)
            root = m.group(1)
            self.target = posixpath.join(root, "specs", self.capability, "spec.md") if root else \
                posixpath.join("specs", self.capability, "spec.md")
        else:
            m = _SPEC_PATH.match(path)
            if m:
                self.capability = m.group(1)
        kept = None
        if self.target is not None:
            kept = {"target": Lazy(self.existing_target), "archive_refusal": Lazy(self.archive_refusal)}
        return new_lazy_record("OpenSpecDoc", new_loc(path, None), self, None, kept)

    makers = {  # in the order the record has always shown them; `target` and `archive_refusal` are kept as Lazy when there is a target
        "path": lambda doc, fields, _: fields.keep("path", PathValue(doc.path, Loc(doc.path))),
        "capability": lambda doc, fields, _: doc.capability,
        "target": lambda doc, fields, _: None,
        "archive_refusal": lambda doc, fields, _: None,
        **{name: (lambda doc, fields, _, name=name: fields.keep(name, doc.field(name))) for name in (
            "headings", "purpose", "purpose_prose", "purpose_length", "requirements_heading", "requirements",
            "requirement_blocks", "requirement_headers", "subheadings", "delta_sections", "added", "modified",
            "removed", "renamed", "renamed_from", "renamed_to", "rename_lines", "tasks", "first_list_item")},
    }

    def field(self, name: str):
        with gc_paused():  # parsing makes many objects and no cycles
            if name == "tasks":
                return self.task_records()
            if name == "first_list_item":
                return self.first_list_item()
            if name in ("headings", "purpose", "purpose_prose", "purpose_length", "requirements_heading",
                        "requirements"):
                reading = self.spec_reading
            elif name in ("requirement_blocks", "requirement_headers", "subheadings"):
                reading = self.structure
            else:
                reading = self.delta_records
            fields = self._readings.get(reading.__name__)
            if fields is None:
                fields = self._readings[reading.__name__] = reading()
            value = fields[name]
            if type(value) is Lazy:
                value = fields[name] = value.compute()
            return value

    # -- archive's merge, run dry (specs-apply.js:109 buildUpdatedSpec; archive.py) ----------
    def existing_target(self):
        """The main spec a delta applies to, when it exists (a folder there is read, and fails)."""
        if stat_kind(self.repo, self.target) is None:
            return None
        return PathValue(self.target, Loc(self.target))

    def archive_refusal(self):
        with gc_paused():
            target = self.target
            try:
                if stat_kind(self.repo, target) is None:
                    base = None
                else:
                    base = document(self.repo, target)
            except ArtifactError:
                return None  # archive meets a filesystem error, which the dry run does not report
            message, index = merge_refusal(self, base)
            if message is None:
                return None
            return self.at(message, index)


def document(repo, relpath: str) -> Document:
    """The parsed file, once per run (shared by `openspec(path)` and the change view)."""
    with gc_paused():
        return repo.memo(("openspec-doc", relpath), lambda: Document(repo, relpath, repo.read_text(relpath)))
