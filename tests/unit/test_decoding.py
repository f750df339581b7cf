"""Every file is decoded by its byte-order mark: UTF-8, UTF-16 and UTF-32, either byte order.

Text (Markdown, task lists, `text()`) and data (YAML, JSON, TOML) share one decoder
(policylint.decoding); text is forgiving (undecodable bytes are read anyway and a PL403 note
names the line), data is strict (an error naming the line).
"""
from __future__ import annotations

import pytest

from conftest import make_repo
from policylint.decoding import byte_order_mark, decode
from policylint.errors import ArtifactError
from policylint.loaders.data import load_json, load_yaml
from policylint.loaders.markdown import load_markdown
from policylint.loaders.tasks import load_tasks
from policylint.repo import Repo

SPEC = "# 機能仕様: ログ\r\n\r\n**ステータス**: ドラフト\r\n\r\n## ユーザーシナリオとテスト *(必須)*\r\n- [x] T001 café\r\n"
SPEC_TEXT = SPEC.replace("\r\n", "\n")

# (name, byte-order mark, codec): UTF-32-LE's mark starts with UTF-16-LE's, so it comes first here too
ENCODINGS = [
    ("utf-8", b"\xef\xbb\xbf", "utf-8"),
    ("utf-16-le", b"\xff\xfe", "utf-16-le"),
    ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ("utf-32-le", b"\xff\xfe\x00\x00", "utf-32-le"),
    ("utf-32-be", b"\x00\x00\xfe\xff", "utf-32-be"),
]


@pytest.mark.parametrize("name, mark, codec", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_text_is_decoded_by_its_byte_order_mark(tmp_path, name, mark, codec):
    repo = Repo(make_repo(tmp_path, {"spec.md": mark + SPEC.encode(codec)}))
    assert repo.read_text("spec.md") == SPEC_TEXT
    doc = load_markdown(repo, "spec.md")
    assert [h["text"] for h in doc["headings"]] == ["機能仕様: ログ", "ユーザーシナリオとテスト (必須)"]
    assert doc["meta"]["ステータス"] == "ドラフト"
    assert [t["title"] for t in load_tasks(repo, "spec.md")["items"]] == ["café"]
    assert repo.notices == {}


@pytest.mark.parametrize("name, mark, codec", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_data_is_decoded_by_its_byte_order_mark(tmp_path, name, mark, codec):
    repo = Repo(make_repo(tmp_path, {"a.yaml": mark + "名前: café\n".encode(codec),
                                     "a.json": mark + '{"名前": "café"}'.encode(codec)}))
    assert load_yaml(repo, "a.yaml") == {"名前": "café"}
    assert load_json(repo, "a.json") == {"名前": "café"}


def test_utf32_le_is_told_from_utf16_le():
    assert byte_order_mark(b"\xff\xfe\x00\x00a\x00\x00\x00") == ("utf-32-le", "UTF-32", 4)
    assert byte_order_mark(b"\xff\xfea\x00") == ("utf-16-le", "UTF-16", 2)
    assert byte_order_mark(b"# plain") is None


def test_without_a_mark_text_is_utf8():
    assert decode("# Spec\n".encode("utf-8"), "spec.md") == "# Spec\n"


# -- undecodable bytes: forgiving text, strict data ------------------------------------------

def notes_of(repo):
    return [(n.path, n.line, n.code, n.message) for n in repo.notices.values()]


@pytest.mark.parametrize("raw, text, note", [
    (b"# A\n\ncaf\xe9\n", "# A\n\ncafé\n",
     "file is not valid UTF-8: read as Windows-1252 (the first such byte is on this line)"),
    ("# Ä\n\n".encode("utf-8") + b"caf\xe9\n", "# Ä\n\ncaf\ufffd\n",
     "file is not valid UTF-8: 1 byte(s) replaced with U+FFFD, the first on this line"),
    (b"\xff\xfe" + "# A\n\n".encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le"), "# A\n\n\ufffdx\n",
     "file is not valid UTF-16 (it starts with a UTF-16 byte-order mark): undecodable bytes replaced with "
     "U+FFFD, the first on this line"),
    (b"\x00\x00\xfe\xff" + "# A\n\n".encode("utf-32-be") + b"\x00\x11\x00\x00", "# A\n\n\ufffd",
     "file is not valid UTF-32 (it starts with a UTF-32 byte-order mark): undecodable bytes replaced with "
     "U+FFFD, the first on this line"),
], ids=["cp1252", "damaged-utf-8", "utf-16-lone-surrogate", "utf-32-out-of-range"])
def test_undecodable_text_is_read_and_noticed_at_its_line(tmp_path, raw, text, note):
    repo = Repo(make_repo(tmp_path, {"spec.md": raw}))
    assert repo.read_text("spec.md") == text
    assert notes_of(repo) == [("spec.md", 3, "PL403", note)]


@pytest.mark.parametrize("raw, error", [
    (b'{\n  "a":\n "caf\xe9"}', (3, "not valid UTF-8: byte 0xe9 at column 6 (invalid continuation byte)")),
    (b"\xff\xfe" + '{\n"a":\n'.encode("utf-16-le") + b"\x00\xd8",
     (3, "not valid UTF-16 (it starts with a UTF-16 byte-order mark): unexpected end of data")),
    (b"\xff\xfe\x00\x00" + '{\n"a":\n'.encode("utf-32-le") + b"\x00\x00\x11\x00",
     (3, "not valid UTF-32 (it starts with a UTF-32 byte-order mark): code point not in range(0x110000)")),
], ids=["utf-8", "utf-16", "utf-32"])
def test_undecodable_data_is_an_error_at_its_line(tmp_path, raw, error):
    repo = Repo(make_repo(tmp_path, {"bad.json": raw}))
    with pytest.raises(ArtifactError) as caught:
        load_json(repo, "bad.json")
    assert (caught.value.path, caught.value.line, caught.value.message) == ("bad.json", *error)


# -- the symptom: a spec saved as UTF-16 lost its mandatory sections --------------------------

SPEC_MD = """# Feature Specification: Export

**Status**: Draft

## User Scenarios & Testing *(mandatory)*

### User Story 1 - Export a month (Priority: P1)

**Independent Test**: export March and count the rows.

1. **Given** three invoices, **When** the user exports, **Then** the file has three rows

## Requirements *(mandatory)*

- **FR-001**: System MUST export every invoice of the month

## Success Criteria *(mandatory)*

- **SC-001**: an export of 1,000 invoices takes under 5 seconds
"""


@pytest.mark.parametrize("codec, mark", [("utf-16-le", b"\xff\xfe"), ("utf-32-be", b"\x00\x00\xfe\xff")])
def test_a_utf16_spec_keeps_its_mandatory_sections(tmp_path, codec, mark):
    from policylint.evaluate import Engine
    from policylint.packs import PackLoader

    root = make_repo(tmp_path, {"specs/001-export/spec.md": mark + SPEC_MD.replace("\n", "\r\n").encode(codec)})
    run = Engine(Repo(root)).run([PackLoader(use_cache=False).load("speckit")])
    draft = {r.gate: r.status for r in run.results if ".draft." in r.gate}
    assert draft["speckit.draft.mandatory-sections"] == "pass"
    assert draft["speckit.draft.user-stories"] == draft["speckit.draft.acceptance-scenarios"] == "pass"
    assert [n for n in run.notices if n.code == "PL403"] == []
