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

    def send_raw(self, body: bytes):
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
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

    def diagnostics(self, uri: str) -> list:
        """The next diagnostics published for `uri`."""
        while True:
            for i, message in enumerate(self.pending):
                if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                    del self.pending[i]
                    return message["params"]["diagnostics"]
            self.pending.append(self._next())

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


@pytest.fixture
def client(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "speckit-demo", repo, ignore=shutil.ignore_patterns(".policylint_cache"))
    (repo / ".policylint.yaml").write_text("packs: [speckit]\n", encoding="utf-8")
    c = Client(repo, tmp_path / "server.log")
    answer = c.request("initialize", {"processId": None, "rootUri": repo.as_uri(), "capabilities": {}})
    assert "capabilities" in answer["result"], answer
    c.notify("initialized", {})
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
