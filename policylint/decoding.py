"""Bytes to text: one decoder, and one byte-order-mark detector, for every file policylint reads.

A byte-order mark says the encoding: UTF-8, UTF-16 or UTF-32, little- or big-endian (UTF-32
is looked for first, since the UTF-32-LE mark starts with the UTF-16-LE one). Without a mark
a file is UTF-8. The mark is not part of the text.

Two ways to meet a byte the encoding cannot decode:

- strict (data files: YAML, JSON, TOML, schemas): an `ArtifactError` naming the line, since a
  value read wrong would be judged wrong;
- forgiving (text: Markdown, task lists, `text()`, `lines()`): the text is read anyway and
  `notice(line, message)` says so once, at the first bad byte's line. A file without a mark
  that holds no UTF-8 multi-byte sequence at all was written by a legacy Windows editor: it
  is read as Windows-1252. Otherwise each undecodable byte becomes U+FFFD.
"""
from __future__ import annotations

from .errors import ArtifactError
from .patterns import lazy

# (mark, codec, the encoding's name in messages); UTF-32 before UTF-16, see above
BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
# A well-formed UTF-8 multi-byte sequence: its presence means "UTF-8 with damage", not cp1252.
_UTF8_MULTIBYTE = lazy(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def byte_order_mark(data: bytes):
    """(codec, encoding name, length of the mark) for the mark `data` starts with, else None."""
    for mark, codec, name in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return codec, name, len(mark)
    return None


def decode(data: bytes, path: str, notice=None) -> str:
    """The text of a file's bytes, decoded by its byte-order mark (UTF-8 without one).

    Strict without `notice`: an undecodable byte is an `ArtifactError` at its line. Forgiving
    with `notice(line, message)`: the text is read anyway and the notice says where (see the
    module doc)."""
    mark = byte_order_mark(data)
    codec, name, skip = mark if mark is not None else ("utf-8", "UTF-8", 0)
    body = data[skip:] if skip else data
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[:exc.start].decode(codec, errors="replace").count("\n") + 1
        if notice is None:
            raise ArtifactError(path, _strict_message(body, exc, name, mark is not None), line) from None
    if mark is None and _UTF8_MULTIBYTE.search(body) is None:  # no UTF-8 at all: a legacy Windows editor wrote it
        notice(line, "file is not valid UTF-8: read as Windows-1252 (the first such byte is on this line)")
        return body.decode("cp1252", errors="replace")
    text = body.decode(codec, errors="replace")
    if mark is None:
        notice(line, f"file is not valid UTF-8: {text.count(chr(0xFFFD))} byte(s) replaced with U+FFFD, "
                     "the first on this line")
    else:
        notice(line, f"file is not valid {name} (it starts with a {name} byte-order mark): undecodable bytes "
                     "replaced with U+FFFD, the first on this line")
    return text


def _strict_message(body: bytes, exc: UnicodeDecodeError, name: str, marked: bool) -> str:
    if marked and name != "UTF-8":
        return f"not valid {name} (it starts with a {name} byte-order mark): {exc.reason}"
    line_start = body.rfind(b"\n", 0, exc.start) + 1
    column = len(body[line_start:exc.start].decode("utf-8", errors="replace")) + 1
    return f"not valid UTF-8: byte 0x{body[exc.start]:02x} at column {column} ({exc.reason})"
