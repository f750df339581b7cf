"""`policylint lsp` driven as an editor drives it: JSON-RPC over the server's stdin and stdout."""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT

pytest.importorskip("pygls")

WAIT = 60  # seconds any one answer may take before the test fails instead of hanging


class Client:
    """The editor's side: Content-Length framed JSON-RPC, every read bounded by WAIT."""

    def __init__(self, cwd: Path, log: Path):
        self.log = log  # the server's stderr: a file, which never fills up and blocks it as a pipe could
        with open(log, "wb") as stderr:
            self.proc = subprocess.Popen([sys.executable, "-m", "policylint", "lsp"], cwd=cwd, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=stderr)
        self.inbox: queue.Queue = queue.Queue()
        self.pending: list = []  # notifications read while waiting for something else
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        stream = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.inbox.put(json.loads(stream.read(int(headers["content-length"]))))

    def send_raw(self, *bodies: bytes):
        """Messages in one write, so the server reads them together (as a burst of typing comes)."""
        self.proc.stdin.write(b"".join(b"Content-Length: %d\r\n\r\n" % len(body) + body for body in bodies))
        self.proc.stdin.flush()

    def send(self, message: dict):
        self.send_raw(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8"))

    def _next(self):
        try:
            message = self.inbox.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"the server said nothing for {WAIT} s") from None
        assert message is not None, f"the server exited: {self.log.read_text(errors='replace')}"
        return message

    def request(self, method: str, params=None) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == self.next_id and "method" not in message:
                return message
            self.pending.append(message)

    def notify(self, method: str, params):
        self.send({"method": method, "params": params})

    def published(self, uri: str) -> dict:
        """The next publishDiagnostics for `uri`: its params (uri, version, diagnostics)."""
        while True:
            for i, message in enumerate(self.pending):
                if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                    del self.pending[i]
                    return message["params"]
            self.pending.append(self._next())

    def diagnostics(self, uri: str) -> list:
        """The next diagnostics published for `uri`."""
        return self.published(uri)["diagnostics"]

    def logged(self) -> list:
        return [m["params"]["message"] for m in self.pending if m.get("method") == "window/logMessage"]

    def open(self, path: Path, text: str, language: str) -> list:
        self.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": language,
                                                              "version": 1, "text": text}})
        return self.diagnostics(path.as_uri())

    def change(self, path: Path, text: str, version: int) -> list:
        self.notify("textDocument/didChange", {"textDocument": {"uri": path.as_uri(), "version": version},
                                               "contentChanges": [{"text": text}]})
        return self.diagnostics(path.as_uri())

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT)
        for stream in (self.proc.stdin, self.proc.stdout):
            stream.close()


def _repo(tmp_path: Path, name: str = "repo", config: str = "packs: [speckit]\n") -> Path:
    """A copy of the sample repository with its configuration."""
    repo = tmp_path / name
    shutil.copytree(ROOT / "fixtures" / "speckit-demo", repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    (repo / ".policylint.yaml").write_text(config, encoding="utf-8")
    return repo


def _started(cwd: Path, log: Path, root: Path | None = None) -> Client:
    """A server initialized as an editor does; `root`: the workspace it is told of, if any."""
    c = Client(cwd, log)
    answer = c.request("initialize", {"processId": None, "capabilities": {},
                                      **({"rootUri": root.as_uri()} if root is not None else {})})
    assert "capabilities" in answer["result"], answer
    c.notify("initialized", {})
    return c


@pytest.fixture
def client(tmp_path):
    repo = _repo(tmp_path)
    c = _started(repo, tmp_path / "server.log", repo)
    c.repo = repo
    yield c
    c.close()


MISSPELT = """lifecycle spec in dirs("specs/*") {
  let doc = markdown(spec / "spec.md")
  stage drafted {
    gate titled "spec.md has a title" {
      require count(doc.heading) > 0
    }
  }
}
"""


def test_policy_file_diagnostics_hover_completion_format_and_exit(client):
    path = client.repo / "mine.policy"
    path.write_text(MISSPELT, encoding="utf-8")
    found = client.open(path, MISSPELT, "policy")
    assert [(d["code"], d["message"], d["range"]) for d in found] == [
        ("PL201", "unknown field `heading` on Markdown",
         {"start": {"line": 4, "character": 24}, "end": {"line": 4, "character": 31}})]
    assert "did you mean `headings`?" in found[0]["relatedInformation"][0]["message"]  # the did-you-mean
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": path.as_uri()}, "range": found[0]["range"],
        "context": {"diagnostics": found}})["result"]
    assert [a["edit"]["changes"][path.as_uri()] for a in actions] == [[{"range": found[0]["range"],
                                                                        "newText": "headings"}]]

    fixed = MISSPELT.replace("doc.heading", "doc.headings")
    assert client.change(path, fixed, 2) == []

    hover = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                  "position": {"line": 1, "character": 14}})["result"]
    assert "markdown(" in hover["contents"]["value"]
    on_field = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                     "position": {"line": 4, "character": 26}})["result"]
    assert on_field["contents"]["value"].startswith("```\nheadings: ")
    where = client.request("textDocument/definition", {"textDocument": {"uri": path.as_uri()},
                                                       "position": {"line": 4, "character": 21}})["result"]
    assert where == {"uri": path.as_uri(), "range": {"start": {"line": 1, "character": 2},
                                                     "end": {"line": 1, "character": 2}}}

    typing = fixed.replace("count(doc.headings) > 0", "doc.")
    client.change(path, typing, 3)
    line = typing.split("\n").index("      require doc.")
    completion = client.request("textDocument/completion", {"textDocument": {"uri": path.as_uri()},
                                                            "position": {"line": line, "character": 18}})["result"]
    labels = {item["label"] for item in completion["items"]}
    assert {"lines", "headings", "checkboxes"} <= labels and "lifecycle" not in labels

    assert client.change(path, fixed, 4) == []
    elsewhere = client.request("textDocument/completion", {"textDocument": {"uri": path.as_uri()},
                                                           "position": {"line": 1, "character": 12}})["result"]
    assert {"lifecycle", "markdown", "count", "doc"} <= {item["label"] for item in elsewhere["items"]}

    messy = fixed.replace("  stage drafted {", "  stage   drafted{")
    client.change(path, messy, 5)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": path.as_uri()},
                                                       "options": {"tabSize": 2, "insertSpaces": True}})["result"]
    from policylint.fmt import format_source

    assert [e["newText"] for e in edits] == [format_source(messy, "mine.policy")]

    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": path.as_uri()}})["result"]
    names = json.dumps(symbols)
    assert all(f'"name": "{n}"' in names for n in ("spec", "drafted", "titled"))

    assert client.request("shutdown")["result"] is None
    client.notify("exit", None)
    assert client.proc.wait(timeout=WAIT) == 0


def test_a_policy_file_not_saved_yet(client):
    path = client.repo / "new.policy"
    found = client.open(path, MISSPELT, "policy")
    assert [(d["code"], d["message"], d["range"]["start"]) for d in found] == [
        ("PL201", "unknown field `heading` on Markdown", {"line": 4, "character": 24})]
    assert not path.exists()


def test_definition_of_a_used_pack_and_hover_on_its_def(client):
    path = client.repo / "using.policy"
    text = 'use "speckit"\ngate g "g" { require has_section(markdown("spec.md"), "Scope") }\n'
    client.open(path, text, "policy")
    hover = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                  "position": {"line": 1, "character": 25}})["result"]
    assert hover["contents"]["value"].startswith("```\ndef has_section(doc, title) =")
    where = client.request("textDocument/definition", {"textDocument": {"uri": path.as_uri()},
                                                       "position": {"line": 0, "character": 7}})["result"]
    from policylint.packs import builtin_packs

    assert where["uri"] == Path(builtin_packs()["speckit"]).resolve().as_uri()


def test_hover_on_a_gate_shows_what_explain_shows(client):
    from policylint.packs import builtin_packs

    path = Path(builtin_packs()["speckit"]).resolve()
    text = path.read_text(encoding="utf-8")
    assert client.open(path, text, "policy") == []
    line = next(i for i, l in enumerate(text.split("\n")) if "gate all-done " in l)
    column = text.split("\n")[line].index("all-done") + 2
    hover = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                  "position": {"line": line, "character": column}})["result"]
    explained = subprocess.run([sys.executable, "-m", "policylint", "explain", "speckit.implementing.all-done"],
                               cwd=client.repo, capture_output=True, text=True, timeout=WAIT).stdout
    assert hover["contents"]["value"] == f"```text\n{explained.rstrip()}\n```"


def test_a_wrong_configuration_is_said_in_the_log(client):
    (client.repo / ".policylint.yaml").write_text("packs: [speckitt]\n", encoding="utf-8")
    path = client.repo / "specs" / "002-invoice-csv-export" / "tasks.md"
    assert client.open(path, path.read_text(encoding="utf-8"), "markdown") == []
    logged = [m["params"]["message"] for m in client.pending if m.get("method") == "window/logMessage"]
    assert any("unknown pack `speckitt`" in m for m in logged), logged


def test_ranges_count_utf16_units_as_the_protocol_does(client):
    text = 'gate g "a 😀 title" { require count(markdown("spec.md").heading) > 0 }\n'
    path = client.repo / "wide.policy"
    path.write_text(text, encoding="utf-8")
    found = client.open(path, text, "policy")
    start = len(text[:text.index(".heading") + 1].encode("utf-16-le")) // 2
    assert [(d["code"], d["range"]["start"]["character"], d["range"]["end"]["character"]) for d in found] == [
        ("PL201", start, start + len("heading"))]


def _triples(diagnostics) -> list:
    return sorted((d["code"], d["range"]["start"]["line"], d["message"]) for d in diagnostics)


def _checked(repo: Path, path: Path) -> list:
    """(gate, 0-based line, message) of what `policylint check FILE` finds in the file."""
    done = subprocess.run([sys.executable, "-m", "policylint", "check", str(path), "-f", "json", "--no-cache"],
                          cwd=repo, capture_output=True, text=True, timeout=WAIT)
    rel = path.relative_to(repo).as_posix()
    return sorted((r["gate"], e["line"] - 1, e["message"]) for r in json.loads(done.stdout)["results"]
                  if r["status"] in ("fail", "error") for e in r["evidence"] if e["path"] == rel)


def test_tasks_of_a_spec_that_claims_implementing(client):
    path = client.repo / "specs" / "002-invoice-csv-export" / "tasks.md"
    text = path.read_text(encoding="utf-8")
    found = client.open(path, text, "markdown")
    lines = text.split("\n")
    assert sorted((d["code"], d["range"]["start"]["line"]) for d in found) == [
        ("speckit.implementing.all-done", i) for i, line in enumerate(lines) if line.startswith("- [ ]")]
    assert all(d["severity"] == 1 for d in found)
    assert any(d["message"].startswith("T006 is not done") for d in found)

    assert _triples(found) == _checked(client.repo, path)

    one_ticked = text.replace("- [ ] T006", "- [x] T006")
    in_buffer = client.change(path, one_ticked, 2)
    assert len(in_buffer) == len(found) - 1
    path.write_text(one_ticked, encoding="utf-8")  # what `check` says of the same text on disk
    assert _triples(in_buffer) == _checked(client.repo, path)
    path.write_text(text, encoding="utf-8")

    done = text.replace("- [ ]", "- [x]")
    assert client.change(path, done, 3) == []  # the buffer, not the file: nothing was saved
    assert path.read_text(encoding="utf-8") == text
    assert len(client.change(path, text, 4)) == len(found)


def test_malformed_requests_get_errors_and_the_server_keeps_serving(client):
    client.send_raw(b"{not json")
    answer = client.request("textDocument/hover", {"textDocument": "not a document"})
    assert "error" in answer
    answer = client.request("policylint/nothing", {})
    assert answer["error"]["code"] == -32601
    broken = client.repo / "broken.policy"
    found = client.open(broken, "gate x {", "policy")
    assert found and found[0]["code"].startswith("PL")
    assert client.request("shutdown")["result"] is None


def test_without_pygls_a_clear_error(tmp_path):
    blocker = tmp_path / "pygls.py"
    blocker.write_text("raise ImportError('no pygls here', name='pygls')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "policylint", "lsp"], capture_output=True, text=True, env=env,
                          timeout=WAIT, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "pip install 'policylint[lsp]'" in done.stderr and "Traceback" not in done.stderr


SCOPED = """pack mine "mine"
use "speckit"
param floor = 2
let shared = markdown("README.md")
lifecycle spec in dirs("specs/*") {
  let doc = markdown(spec / "spec.md")
  stage drafted {
    gate titled "titled" {
      require count(doc.headings) > floor and has_section(doc, "Scope") and count(shared.lines) > 0
    }
  }
}
lifecycle change in dirs("changes/*") {
  let doc = markdown(change / "proposal.md")
  def near(x) = x
  stage proposed {
    gate sized "sized" { require count(doc.lines) > floor and speckit.has_section(near(doc), "Why") }
  }
}
"""


def _at(text: str, line: int, word: str, offset: int = 0) -> dict:
    return {"line": line, "character": text.split("\n")[line].index(word) + offset}


def _speckit_line(pattern: str) -> int:
    from policylint.packs import builtin_packs

    return next(i for i, line in enumerate(Path(builtin_packs()["speckit"]).read_text(encoding="utf-8").split("\n"))
                if line.startswith(pattern))


def test_definition_completion_and_hover_see_the_checker_scopes_and_the_used_packs(client):
    from policylint.packs import builtin_packs

    path = client.repo / "mine.policy"
    path.write_text(SCOPED, encoding="utf-8")
    assert client.open(path, SCOPED, "policy") == []
    uri, speckit = path.as_uri(), Path(builtin_packs()["speckit"]).resolve().as_uri()

    def request(method, position):
        return client.request(method, {"textDocument": {"uri": uri}, "position": position})["result"]

    def start(location):
        return location["uri"], location["range"]["start"]["line"]

    assert start(request("textDocument/definition", _at(SCOPED, 8, "doc.headings"))) == (uri, 5)  # its lifecycle's
    assert start(request("textDocument/definition", _at(SCOPED, 16, "doc.lines"))) == (uri, 13)
    assert start(request("textDocument/definition", _at(SCOPED, 16, "floor"))) == (uri, 2)
    assert start(request("textDocument/definition", _at(SCOPED, 8, "shared"))) == (uri, 3)
    assert start(request("textDocument/definition", _at(SCOPED, 16, "near(", 1))) == (uri, 14)
    declared = _speckit_line("def has_section(")
    assert start(request("textDocument/definition", _at(SCOPED, 8, "has_section"))) == (speckit, declared)
    assert start(request("textDocument/definition", _at(SCOPED, 16, "has_section"))) == (speckit, declared)
    assert start(request("textDocument/definition", _at(SCOPED, 16, "speckit."))) == (speckit, declared)
    assert request("textDocument/definition", _at(SCOPED, 8, "count")) is None  # a built-in: no source

    hover = request("textDocument/hover", _at(SCOPED, 16, "has_section"))["contents"]["value"]
    assert hover.startswith("```\ndef has_section(doc, title) =") and "speckit.policy:" in hover
    assert request("textDocument/hover", _at(SCOPED, 8, "floor"))["contents"]["value"].startswith(
        "```\nparam floor = 2\n```")

    labels = {item["label"] for item in request("textDocument/completion", _at(SCOPED, 8, "has_section", 4))["items"]}
    assert {"doc", "floor", "shared", "spec", "has_section", "section", "is_open_question", "count",
            "every"} <= labels
    assert not {"near", "change", "speckit.has_section"} & labels  # another lifecycle's; the qualified form
    labels = {item["label"] for item in request("textDocument/completion", _at(SCOPED, 16, "near", 2))["items"]}
    assert {"near", "doc", "change"} <= labels and "spec" not in labels
    qualified = request("textDocument/completion", _at(SCOPED, 16, "has_section"))["items"]
    assert {"has_section", "section", "spec_folders"} <= {item["label"] for item in qualified}
    assert not {"lines", "every"} & {item["label"] for item in qualified}


def test_defs_brought_in_by_use_defs_from(client):
    path = client.repo / "helper.policy"
    text = 'use defs from "speckit"\ngate g "g" { require not is_open_question(first(markdown("README.md").lines)) }\n'
    assert client.open(path, text, "policy") == []
    where = client.request("textDocument/definition", {"textDocument": {"uri": path.as_uri()},
                                                       "position": _at(text, 1, "is_open_question", 3)})["result"]
    assert where["range"]["start"]["line"] == _speckit_line("def is_open_question(")
    completion = client.request("textDocument/completion", {"textDocument": {"uri": path.as_uri()},
                                                            "position": _at(text, 1, "is_open_question", 3)})
    assert "has_section" in {item["label"] for item in completion["result"]["items"]}


def _explained(repo: Path, gate: str) -> str:
    done = subprocess.run([sys.executable, "-m", "policylint", "explain", gate], cwd=repo, capture_output=True,
                          text=True, timeout=WAIT)
    return f"```text\n{done.stdout.rstrip()}\n```"


def test_hover_on_a_gate_id_where_it_is_written(client):
    path = client.repo / "quiet.policy"
    text = 'use "speckit"\noverride speckit.review.no-todo off\n'
    assert client.open(path, text, "policy") == []
    explained = _explained(client.repo, "speckit.review.no-todo")
    for offset in (2, len("speckit.re"), len("speckit.review.no-t")):
        hover = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                      "position": _at(text, 1, "speckit", offset)})["result"]
        assert hover["contents"]["value"] == explained
    where = client.request("textDocument/definition", {"textDocument": {"uri": path.as_uri()},
                                                       "position": _at(text, 1, "no-todo")})["result"]
    assert where["range"]["start"]["line"] == next(
        i for i, line in enumerate(Path(to_path(where["uri"])).read_text(encoding="utf-8").split("\n"))
        if "gate no-todo " in line)

    config = client.repo / ".policylint.yaml"
    text = "packs: [speckit]\nignore: [speckit.implementing.all-done]\n"
    client.open(config, text, "yaml")
    hover = client.request("textDocument/hover", {"textDocument": {"uri": config.as_uri()},
                                                  "position": _at(text, 1, "all-done")})["result"]
    assert hover["contents"]["value"] == _explained(client.repo, "speckit.implementing.all-done")
    assert client.request("textDocument/hover", {"textDocument": {"uri": config.as_uri()},
                                                 "position": _at(text, 0, "packs")})["result"] is None


def to_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)


def _notification(method: str, params: dict) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode("utf-8")


def test_a_burst_of_changes_is_evaluated_once_with_the_final_text(client):
    path = client.repo / "specs" / "002-invoice-csv-export" / "tasks.md"
    text = path.read_text(encoding="utf-8")
    assert len(client.open(path, text, "markdown")) == 3
    typed = [text.replace("- [ ] T006", "- [x] T006"), text.replace("- [ ]", "- [x]"),
             text.replace("- [ ] T006", "- [x] T006").replace("- [ ] T007", "- [x] T007"),
             text.replace("- [ ] T008", "- [x] T008")]
    client.send_raw(*(_notification("textDocument/didChange", {
        "textDocument": {"uri": path.as_uri(), "version": version}, "contentChanges": [{"text": body}]})
        for version, body in enumerate(typed, start=2)))
    published = client.published(path.as_uri())
    assert published["version"] == 5
    assert [d["range"]["start"]["line"] for d in published["diagnostics"]] == [
        i for i, line in enumerate(typed[-1].split("\n")) if line.startswith("- [ ]")]
    client.request("shutdown")  # every earlier message handled: no other publication came
    assert not [m for m in client.pending if m.get("method") == "textDocument/publishDiagnostics"]


def test_a_long_evaluation_does_not_hold_up_the_editor(client):
    path = client.repo / "specs" / "002-invoice-csv-export" / "tasks.md"
    many = path.read_text(encoding="utf-8") + "".join(f"- [ ] T{100 + i:05d} Write backend/src/m{i}.py\n"
                                                      for i in range(20_000))
    client.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "markdown",
                                                            "version": 1, "text": many}})
    answer = client.request("textDocument/documentSymbol", {"textDocument": {"uri": path.as_uri()}})
    assert answer["result"] is None
    assert not [m for m in client.pending if m.get("method") == "textDocument/publishDiagnostics"]  # still working
    assert len(client.diagnostics(path.as_uri())) > 100


def test_saving_the_configuration_evaluates_the_open_files_again(client):
    path = client.repo / "specs" / "002-invoice-csv-export" / "tasks.md"
    assert len(client.open(path, path.read_text(encoding="utf-8"), "markdown")) == 3
    config = client.repo / ".policylint.yaml"
    config.write_text("packs: [speckit]\nignore: [speckit.implementing.all-done]\n", encoding="utf-8")
    client.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
    assert client.diagnostics(path.as_uri()) == []


def test_malformed_messages_and_positions_are_answered_and_the_server_keeps_serving(client):
    policy = client.repo / "mine.policy"
    client.open(policy, MISSPELT, "policy")
    nowhere = (client.repo / "never-opened.md").as_uri()
    client.notify("textDocument/didChange", {"textDocument": {"uri": nowhere, "version": 2},
                                             "contentChanges": [{"text": "x"}]})
    client.send_raw(b'{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": '
                    b'{"uri": "' + policy.as_uri().encode() + b'", "version": 2}, "contentChanges": '
                    b'[{"text": "gate \xff\xfe "}]}}')
    for method in ("textDocument/hover", "textDocument/definition", "textDocument/completion"):
        for position in ({"line": 999, "character": 0}, {"line": 4, "character": 999}, {"line": 0, "character": -1}):
            answer = client.request(method, {"textDocument": {"uri": policy.as_uri()}, "position": position})
            assert "result" in answer or "error" in answer, (method, position, answer)
        for missing in (nowhere, (client.repo / "nowhere.policy").as_uri()):  # neither open nor on disk
            answer = client.request(method, {"textDocument": {"uri": missing}, "position": {"line": 0, "character": 0}})
            assert answer["result"] is None, answer
    answer = client.request("textDocument/formatting", {"textDocument": {"uri": policy.as_uri()}})
    assert "error" in answer  # its options are missing
    assert any("not open" in m for m in client.logged()), client.logged()
    shown = [m["params"]["message"] for m in client.pending if m.get("method") == "window/showMessage"]
    assert any("can't decode" in m for m in shown), shown  # the message that is not UTF-8: said, and dropped
    assert client.change(policy, MISSPELT, 3)[0]["code"] == "PL201"  # still serving
    assert client.request("shutdown")["result"] is None


SEVERITY_CODES = {"error": 1, "warning": 2, "info": 3}


def _checked_with_severity(repo: Path, *paths: Path) -> dict:
    """relative path -> sorted (gate, severity, 0-based line, message) of what one `policylint check
    FILE…` finds in each file."""
    done = subprocess.run([sys.executable, "-m", "policylint", "check", *map(str, paths), "-f", "json", "--no-cache"],
                          cwd=repo, capture_output=True, text=True, timeout=WAIT)
    results = json.loads(done.stdout)["results"]
    found = {}
    for path in paths:
        rel = path.relative_to(repo).as_posix()
        found[rel] = sorted((r["gate"], SEVERITY_CODES[r["severity"]], e["line"] - 1 if e["line"] else 0, e["message"])
                            for r in results if r["status"] in ("fail", "error") for e in r["evidence"]
                            if e["path"] == rel)
    return found


CONFIGURED = """packs: [speckit]
params:
  speckit: {mandatory_sections: ["User Scenarios & Testing", "Requirements", "Assumptions"]}
severity:
  speckit.implementing.*: warning
waivers:
  - gate: speckit.clarified.no-open-questions
    subject: specs/004-activity-feed
    reason: asked the product owner
    expires: 2099-12-31
"""


def test_results_equal_check_with_the_repository_configuration(tmp_path):
    repo = _repo(tmp_path, config=CONFIGURED)
    c = _started(repo, tmp_path / "server.log", repo)
    try:
        files = ["specs/002-invoice-csv-export/tasks.md", "specs/004-activity-feed/spec.md",
                 "specs/005-dark-mode/spec.md", "specs/001-password-reset/spec.md"]
        checked = _checked_with_severity(repo, *(repo / rel for rel in files))
        shown = []
        for rel in files:
            found = c.open(repo / rel, (repo / rel).read_text(encoding="utf-8"), "markdown")
            published = sorted((d["code"], d["severity"], d["range"]["start"]["line"], d["message"]) for d in found)
            assert published == checked[rel], rel
            shown.append(published)
        assert {d[1] for d in shown[0]} == {2}  # warnings, as configured
        assert [d[0] for d in shown[1]] == ["speckit.draft.mandatory-sections"]  # its open question waived
        assert all("Assumptions" in d[3] for d in shown[1] + shown[2] + shown[3])  # the param's sections
        spec = repo / "specs" / "004-activity-feed" / "spec.md"
        lines = spec.read_text(encoding="utf-8").split("\n")
        lines.insert(0, "<!-- policylint: waive speckit.draft.mandatory-sections -- our template has none -->")
        edited = "\n".join(lines)
        in_buffer = c.change(spec, edited, 2)
        assert in_buffer == []  # an inline waiver in the unsaved text
        spec.write_text(edited, encoding="utf-8")
        assert _checked_with_severity(repo, spec) == {"specs/004-activity-feed/spec.md": []}
    finally:
        c.close()


def test_each_file_is_checked_in_its_own_repository_without_a_workspace_root(tmp_path):
    plain = _repo(tmp_path, "plain")
    waived = _repo(tmp_path, "waived", "packs: [speckit]\nwaivers:\n  - gate: speckit.implementing.all-done\n"
                                       "    reason: tracked elsewhere\n    expires: 2099-12-31\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    c = _started(elsewhere, tmp_path / "server.log")  # no rootUri, no workspace folders
    try:
        rel = Path("specs/002-invoice-csv-export/tasks.md")
        assert len(c.open(plain / rel, (plain / rel).read_text(encoding="utf-8"), "markdown")) == 3
        assert c.open(waived / rel, (waived / rel).read_text(encoding="utf-8"), "markdown") == []
        inner = plain / "specs" / "mine.policy"
        assert [d["code"] for d in c.open(inner, MISSPELT, "policy")] == ["PL201"]
    finally:
        c.close()


def test_check_does_not_import_the_language_server(tmp_path):
    repo = _repo(tmp_path)
    code = ("import sys, io, contextlib; from policylint.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main(['check', '--root', {str(repo)!r}])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'cattrs')"
            " or m == 'policylint.lsp'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=WAIT)
    assert done.stdout.strip() == "[]", done.stderr
