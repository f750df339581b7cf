"""The task lines of a Document as OpenSpec counts them (utils/task-progress.js) and checks
them (`dist/core/validation/` task-checkboxes.js, task-numbering.js); document.py mixes
`TaskReading` in.
"""
from __future__ import annotations

from ...values import Loc, PathValue, new_lazy_record, new_loc
from .jstext import JS_SPACE, indent_columns, js_trim, js_trim_end


class TaskReading:
    """The task readings of a Document (../utils/task-progress.js:53, validation/task-checkboxes.js:115)."""

    def task_matches(self) -> list:
        rx = self.rx
        out = []
        if "[" not in self.text:
            return out
        for i, line in enumerate(self.lines):
            if "[" in line:
                m = rx.TASK_LINE.match(line)
                if m:
                    out.append((i, m.group(1) or "", js_trim(m.group(2))))
        return out

    def task_records(self) -> list:
        """The task lines' records, their fields made when first read (`_Tasks`)."""
        source, path = _Tasks(self), self.path
        return [new_lazy_record("OpenSpecTask", new_loc(path, match[0] + 1), source, match)
                for match in self.task_matches()]

    def first_list_item(self):
        rx = self.rx
        lines = self.lines
        index = 0
        if lines and rx.FRONT_MATTER.match(js_trim_end(lines[0].lstrip("\ufeff"))):
            index = next((k + 1 for k in range(1, len(lines)) if rx.FRONT_MATTER.match(js_trim_end(lines[k]))), 0)
        fence = None
        in_comment = False
        for i in range(index, len(lines)):
            line = lines[i]
            if in_comment:
                if "-->" in line:
                    in_comment = False
                continue
            m = rx.CHECKBOX_FENCE.match(line)
            if m:
                run = m.group(1)
                if fence is None:
                    fence = (run[0], len(run))
                elif run[0] == fence[0] and len(run) >= fence[1] and not js_trim(m.group(2)):
                    fence = None
                continue
            if fence is not None:
                continue
            stripped = line.lstrip(JS_SPACE)
            if stripped.startswith("<!--"):
                if "-->" not in line[line.index("<!--") + 4:]:
                    in_comment = True
                continue
            if rx.LIST_ITEM.match(line) and indent_columns(line) < 4:
                return self.at(line, i)
        return None

    def numbered_task_records(self) -> list:
        """The numbered tasks' records, their fields made when first read (`_Numbered`)."""
        source, path = _Numbered(self), self.path
        return [new_lazy_record("OpenSpecNumberedTask", new_loc(path, found[0] + 1), source, found)
                for found in self.numbered_tasks()]

    def numbered_tasks(self) -> list:
        """(index, id, group) of tasks inside numbered groups (findTaskNumberingIssues, validation/task-numbering.js:10)."""
        rx = self.rx
        lines = self.lines
        if not any(line.lstrip(" ")[:2] == "##" and rx.NUMBERED_GROUP.match(line) for line in lines):
            return []
        out = []
        group = None
        for i, line in enumerate(lines):
            if rx.LEVEL_TWO.match(line):
                g = rx.NUMBERED_GROUP.match(line)
                group = g.group(1) if g else None
            if group is None or "[" not in line:
                continue
            m = rx.TASK_LINE.match(line)
            if not m:
                continue
            t = rx.TASK_ID.match(js_trim(m.group(2)))
            if t:
                out.append((i, t.group(1), group))
        return out


class _Tasks:
    """Where a task line's fields are made from (values.LazyFields): the Document; a record's
    key is its (line index, mark, description). A change's tasks are many, and a gate reads
    few of their fields: made from the text, they read no file, so the results cache has
    nothing in them to trace."""

    __slots__ = ("doc", "path")

    def __init__(self, doc):
        self.doc, self.path = doc, PathValue(doc.path, Loc(doc.path))

    makers = {  # in the order of records.TASK
        "text": lambda s, f, key: f.keep("text", s.doc.at(key[2], key[0])),
        "done": lambda s, f, key: key[1].lower() == "x",
        "mark": lambda s, f, key: f.keep("mark", s.doc.at(key[1], key[0])),
        "line": lambda s, f, key: key[0] + 1,
        "path": lambda s, f, key: s.path,
    }


class _Numbered(_Tasks):
    """Where a numbered task's fields are made from; a record's key is its (line index, id, group)."""

    __slots__ = ()

    makers = {  # in the order of records.NUMBERED_TASK
        "text": lambda s, f, key: f.keep("text", s.doc.at(key[1], key[0])),
        "id": lambda s, f, key: f.keep("id", f.get("text")),
        "group": lambda s, f, key: f.keep("group", s.doc.at(key[2], key[0])),
        "id_group": lambda s, f, key: f.keep("id_group", s.doc.at(key[1].split(".")[0], key[0])),
        "path": lambda s, f, key: s.path,
        "line": lambda s, f, key: key[0] + 1,
    }
