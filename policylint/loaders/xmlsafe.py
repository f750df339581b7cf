"""XML from untrusted files: no entity expansion, no external fetches, with line numbers.

defusedxml refuses entity declarations (billion laughs) and external references; the
DOCTYPE itself is allowed, because JaCoCo and istanbul write one. Each element's line is
recorded while expat is on it, so loaders can locate every value they return.
"""
from __future__ import annotations

from xml.etree.ElementTree import TreeBuilder

from ..errors import ArtifactError


class XmlDoc:
    """A parsed document: `root`, and `line(element)` for any element in it."""

    def __init__(self, root, lines: dict):
        self.root = root
        self._lines = lines

    def line(self, element) -> int | None:
        return self._lines.get(id(element))


class _LineBuilder(TreeBuilder):
    def __init__(self):
        super().__init__()
        self.expat = None
        self.lines: dict = {}
        self.keep: list = []  # ids are only unique while the elements live

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[id(element)] = self.expat.CurrentLineNumber if self.expat is not None else None
        self.keep.append(element)
        return element


def parse_xml(data: bytes, path: str) -> XmlDoc:
    """Parse XML bytes; any problem is an ArtifactError naming the file and line."""
    import defusedxml
    from defusedxml.ElementTree import DefusedXMLParser
    from xml.etree.ElementTree import ParseError

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except defusedxml.EntitiesForbidden as exc:
        raise ArtifactError(path, f"refused: the XML declares entity `{exc.name}` (entity expansion is not allowed)",
                            getattr(parser.parser, "CurrentLineNumber", None)) from None
    except defusedxml.ExternalReferenceForbidden as exc:
        raise ArtifactError(path, f"refused: the XML references an external resource `{exc.sysid or exc.pubid}`",
                            getattr(parser.parser, "CurrentLineNumber", None)) from None
    except defusedxml.DefusedXmlException as exc:
        raise ArtifactError(path, f"refused: {exc}") from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        message = str(exc).split(":", 1)[0] if ": line" in str(exc) else str(exc)
        raise ArtifactError(path, f"not well-formed XML: {message}", line) from None
    return XmlDoc(root, builder.lines)
