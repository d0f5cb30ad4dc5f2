"""DOCX to Markdown-like text, streamed: no part is ever held whole in memory.

Word users mark structure with paragraph styles, in English ("Heading 2") or Chinese
("标题 2") installations, sometimes via a custom style based on a heading style or an
explicit outline level. All of these become ``#`` lines. Paragraphs and tables are read in
document order so a table stays beside the article that introduces it.

The XML is read with expat event by event (after :class:`DocxArchive` checked the declared
sizes) and only the current paragraph or table row is kept, so memory stays flat however
large ``word/document.xml`` is. Document type declarations are refused outright: Word never
writes them and they are how entity-expansion bombs get in. The rules mirror what
python-docx (which built the whole tree) reported, so ordinary files read exactly as before:
only paragraphs and tables directly in the body count, a paragraph's text is that of its
runs and hyperlinks, merged table cells appear once.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from assistant.components.loaders.docx_archive import MIB, DocxArchive, DocxLimits
from assistant.components.loaders.sandbox import ParseFailure

__all__ = ["DocxLimits", "docx_to_text"]

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "标题"})
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "  # expat: "<namespace> <local>"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships "
_STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_TRUE = frozenset({"1", "true", "on"})
# libxml2 (and so python-docx) refused documents nested deeper than this.
_MAX_DEPTH = 256
_DOCUMENT_PART = "word/document.xml"

# Element kinds of the body that carry text; everything else is "other" and ignored.
_OTHER = "other"
_TRANSITIONS: dict[str, dict[str, str]] = {
    "": {_W + "document": "document"},
    "document": {_W + "body": "body"},
    "body": {_W + "p": "bp", _W + "tbl": "tbl"},
    "bp": {_W + "pPr": "ppr", _W + "r": "run", _W + "hyperlink": "link"},
    "cp": {_W + "pPr": "ppr", _W + "r": "run", _W + "hyperlink": "link"},
    "link": {_W + "r": "run"},
    "run": {
        _W + "t": "t",
        _W + "tab": "tab",
        _W + "ptab": "tab",
        _W + "br": "br",
        _W + "cr": "cr",
        _W + "noBreakHyphen": "hyphen",
    },
    "ppr": {_W + "pStyle": "pstyle", _W + "outlineLvl": "outline"},
    "tbl": {_W + "tr": "tr"},
    "tr": {_W + "trPr": "trpr", _W + "tc": "tc"},
    "trpr": {_W + "gridBefore": "gridbefore"},
    "tc": {_W + "tcPr": "tcpr", _W + "p": "cp"},
    "tcpr": {_W + "gridSpan": "gridspan", _W + "vMerge": "vmerge"},
}
_NO_CHILDREN: dict[str, str] = {}
_RUN_TEXT = {"tab": "\t", "cr": "\n", "hyphen": "-"}


@dataclass(frozen=True)
class _Style:
    kind: str | None
    name: str | None
    based_on: str | None


@dataclass
class _Styles:
    """The style table: by id (first definition wins, as in python-docx) and the default."""

    by_id: dict[str, _Style] = field(default_factory=dict)
    default_paragraph: _Style | None = None

    def heading_level(self, style_id: str | None) -> int:
        """Heading level from the paragraph style's chain of base styles; 0 for body text."""
        style = self.by_id.get(style_id) if style_id else None
        if style is None or style.kind != "paragraph":
            style = self.default_paragraph
        seen = 0
        while style is not None and seen < 10:
            name = (style.name or "").strip()
            if name.lower() in _TITLE_STYLES:
                return 1
            match = _HEADING_STYLE.match(name)
            if match:
                return int(match.group(1))
            style = self.by_id.get(style.based_on) if style.based_on is not None else None
            seen += 1
        return 0


def docx_to_text(path: Path, limits: DocxLimits) -> str:
    """Return the document text; headings as ``#`` lines, table rows as ``a | b`` lines."""
    with DocxArchive(str(path), limits) as archive:
        styles = _read_styles(archive)
        reader = _BodyReader(styles, limits.max_text_bytes)
        _parse(archive.chunks(_DOCUMENT_PART), _DOCUMENT_PART, reader.start, reader.end, reader.data)
        text = "\n\n".join(reader.blocks)
    if len(text.encode("utf-8")) > limits.max_text_bytes:
        raise ParseFailure(_too_much_text(limits.max_text_bytes))
    return text


# --- parsing plumbing ---------------------------------------------------------------------
def _parse(
    chunks: Iterable[bytes],
    part: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    data: Callable[[str], None] | None = None,
) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024

    def refuse_dtd(*_args: object) -> None:
        raise ParseFailure(f"DOCX 文件异常：{part} 含有文档类型（DTD）或实体声明，已拒绝读取")

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        if exc.code == expat.errors.codes[expat.errors.XML_ERROR_NO_MEMORY]:
            raise MemoryError from exc
        detail = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
        raise ParseFailure(f"DOCX 文件损坏：{part} 不是有效的 XML（{detail}，第 {exc.lineno} 行）") from exc


def _too_much_text(limit: int) -> str:
    return f"DOCX 中的文字超过上限 {limit // MIB} MB"


# --- styles -----------------------------------------------------------------------------
def _styles_part(archive: DocxArchive) -> str | None:
    """The styles part named by the document's relationships (normally word/styles.xml)."""
    rels = "word/_rels/document.xml.rels"
    target: str | None = None
    if archive.has(rels):

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal target
            if (
                target is None
                and name == _REL + "Relationship"
                and attrs.get("Type") == _STYLES_REL
                and attrs.get("TargetMode") != "External"
            ):
                target = attrs.get("Target")

        _parse([archive.read_small(rels)], rels, start, lambda _name: None)
    if target:
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"word/{target}")
        return name if archive.has(name) else None
    return "word/styles.xml" if archive.has("word/styles.xml") else None


def _read_styles(archive: DocxArchive) -> _Styles:
    """Id, type, name and base of every style; a missing styles part means no named styles."""
    styles = _Styles()
    part = _styles_part(archive)
    if part is None:
        return styles
    depth = 0
    current: dict[str, str | None] | None = None

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, current
        depth += 1
        if depth > _MAX_DEPTH:
            raise ParseFailure(f"DOCX 文件结构异常：{part} 的 XML 嵌套超过 {_MAX_DEPTH} 层")
        if depth == 2 and name == _W + "style":
            current = {
                "id": attrs.get(_W + "styleId"),
                "type": attrs.get(_W + "type"),
                "default": attrs.get(_W + "default"),
                "name": None,
                "based_on": None,
            }
        elif depth == 3 and current is not None:
            if name == _W + "name" and current["name"] is None:
                current["name"] = attrs.get(_W + "val")
            elif name == _W + "basedOn" and current["based_on"] is None:
                current["based_on"] = attrs.get(_W + "val")

    def end(name: str) -> None:
        nonlocal depth, current
        if depth == 2 and current is not None:
            style = _Style(current["type"], current["name"], current["based_on"])
            style_id = current["id"]
            if style_id is not None and style_id not in styles.by_id:
                styles.by_id[style_id] = style
            if current["type"] == "paragraph" and current["default"] in _TRUE:
                styles.default_paragraph = style  # the last default wins, as the spec says
            current = None
        depth -= 1

    _parse(archive.chunks(part), part, start, end)
    return styles


# --- the body -----------------------------------------------------------------------------
class _BodyReader:
    """expat callbacks that turn the body into blocks: paragraph lines and table-row lines."""

    def __init__(self, styles: _Styles, max_text_bytes: int) -> None:
        self.blocks: list[str] = []
        self._styles = styles
        self._max_chars = max_text_bytes  # a UTF-8 byte needs at least one character
        self._chars = 0
        self._kinds: list[str] = []
        self._body_done = False
        # the current paragraph
        self._pieces: list[str] = []
        self._style_id: str | None = None
        self._outline: str | None = None
        self._ppr_seen = 0
        self._text_open = False
        # the current table row and cell
        self._grid_before = 0
        self._offset = 0
        self._row: list[str] = []
        self._row_cells: dict[int, str] = {}
        self._above: dict[int, str] = {}
        self._cell_paragraphs: list[str] = []
        self._span = 1
        self._vmerge: str | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        kinds = self._kinds
        if len(kinds) >= _MAX_DEPTH:
            raise ParseFailure(f"DOCX 文件结构异常：{_DOCUMENT_PART} 的 XML 嵌套超过 {_MAX_DEPTH} 层")
        parent = kinds[-1] if kinds else ""
        if parent == _OTHER:  # the common case (run properties, drawings…): nothing to do
            kinds.append(_OTHER)
            return
        kind = _TRANSITIONS.get(parent, _NO_CHILDREN).get(name, _OTHER)
        if not kinds and kind != "document":
            raise ParseFailure("DOCX 文件损坏：word/document.xml 不是 Word 正文")
        kinds.append(kind)
        if parent == "t":
            self._text_open = False  # like lxml's .text: only the text before a child element
        if kind == _OTHER:
            return
        if kind == "body":
            if self._body_done:  # python-docx read only the first body
                kinds[-1] = _OTHER
        elif kind in ("bp", "cp"):
            self._pieces, self._style_id, self._outline, self._ppr_seen = [], None, None, 0
        elif kind == "ppr":
            self._ppr_seen += 1
        elif kind == "pstyle":
            if self._ppr_seen == 1 and self._style_id is None:
                self._style_id = attrs.get(_W + "val")
        elif kind == "outline":
            if self._outline is None:
                self._outline = attrs.get(_W + "val", "9")
        elif kind == "t":
            self._text_open = True
        elif kind == "br":
            if attrs.get(_W + "type", "textWrapping") == "textWrapping":
                self._add("\n")
        elif kind in _RUN_TEXT:
            self._add(_RUN_TEXT[kind])
        elif kind == "tbl":
            self._above = {}
        elif kind == "tr":
            self._grid_before, self._offset, self._row, self._row_cells = 0, 0, [], {}
        elif kind == "gridbefore":
            self._grid_before = _int(attrs.get(_W + "val"), 0)
        elif kind == "tc":
            self._cell_paragraphs, self._span, self._vmerge = [], 1, None
        elif kind == "gridspan":
            self._span = _int(attrs.get(_W + "val"), 1)
        elif kind == "vmerge":
            self._vmerge = attrs.get(_W + "val", "continue")

    def data(self, text: str) -> None:
        if self._text_open and self._kinds and self._kinds[-1] == "t":
            self._add(text)

    def end(self, _name: str) -> None:
        kind = self._kinds.pop()
        if kind == _OTHER:
            return
        if kind == "t":
            self._text_open = False
        elif kind == "bp":
            line = "".join(self._pieces).strip()
            if line:
                level = self._styles.heading_level(self._style_id) or _outline_level(self._outline)
                self.blocks.append(f"{'#' * level} {line}" if level else line)
            self._pieces = []
        elif kind == "cp":
            self._cell_paragraphs.append("".join(self._pieces))
            self._pieces = []
        elif kind == "tc":
            offset = self._grid_before + self._offset
            text = "\n".join(self._cell_paragraphs)
            if self._vmerge == "continue":  # a vertically merged cell shows the one above
                text = self._above.get(offset, text)
            self._row_cells[offset] = text
            self._row.append(text)
            self._offset += self._span
        elif kind == "tr":
            line = _row_line(self._row)
            if line:
                self.blocks.append(line)
            self._above, self._row = self._row_cells, []
        elif kind == "body":
            self._body_done = True

    def _add(self, text: str) -> None:
        self._chars += len(text)
        if self._chars > self._max_chars:
            raise ParseFailure(_too_much_text(self._max_chars))
        self._pieces.append(text)


def _row_line(cell_texts: list[str]) -> str:
    """One line per row; merged cells (repeated) and empty cells appear once / not at all."""
    cells: list[str] = []
    for raw in cell_texts:
        text = " ".join(part.strip() for part in raw.splitlines() if part.strip())
        if text and (not cells or cells[-1] != text):
            cells.append(text)
    return " | ".join(cells)


def _outline_level(value: str | None) -> int:
    if value is not None and value.isdigit() and int(value) < 9:
        return int(value) + 1
    return 0


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
