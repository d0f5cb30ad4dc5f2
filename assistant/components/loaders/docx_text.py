"""DOCX to Markdown-like text with python-docx.

Word users mark structure with paragraph styles, in English ("Heading 2") or Chinese
("标题 2") installations, sometimes via a custom style based on a heading style or an
explicit outline level. All of these become ``#`` lines. Paragraphs and tables are read in
document order so a table stays beside the article that introduces it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from assistant.domain import DocumentLoadError

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "标题"})
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# A DOCX is a zip; refuse archives that inflate far beyond the size cap (zip bombs).
_MAX_INFLATION = 20


def docx_to_text(path: Path, max_bytes: int) -> str:
    """Return the document text; headings as ``#`` lines, table rows as ``a | b`` lines."""
    _check_archive(path, max_bytes)
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentLoadError(path, "DOCX 文件损坏或不是 Word 文档，无法读取") from exc
    except Exception as exc:  # lxml syntax errors and the like inside a damaged package
        raise DocumentLoadError(path, f"DOCX 文件损坏：{type(exc).__name__}") from exc

    blocks: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            line = _paragraph_line(Paragraph(child, document))
            if line:
                blocks.append(line)
        elif tag == "tbl":
            blocks.extend(_table_lines(Table(child, document)))
    return "\n\n".join(blocks)


def _check_archive(path: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentLoadError(
            path, "DOCX 文件损坏或已加密，无法读取（若是旧版 .doc 改名而来，请用 Word 另存为 .docx）"
        ) from exc
    if "word/document.xml" not in names:
        raise DocumentLoadError(path, "DOCX 文件损坏：缺少正文部分 word/document.xml")
    if inflated > _MAX_INFLATION * max_bytes:
        raise DocumentLoadError(path, f"DOCX 解压后内容过大（{inflated // (1024 * 1024)} MB），疑似异常文件")


def _paragraph_line(paragraph: Any) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    level = _heading_level(paragraph)
    return f"{'#' * level} {text}" if level else text


def _heading_level(paragraph: Any) -> int:
    """Heading level from the style chain, else from an explicit outline level; 0 for body text."""
    style = paragraph.style
    seen = 0
    while style is not None and seen < 10:
        name = (style.name or "").strip()
        if name.lower() in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
        seen += 1
    outline = paragraph._p.find(f"{{{_W_NS}}}pPr/{{{_W_NS}}}outlineLvl")
    if outline is not None:
        value = outline.get(f"{{{_W_NS}}}val", "9")
        if value.isdigit() and int(value) < 9:
            return int(value) + 1
    return 0


def _table_lines(table: Any) -> list[str]:
    """One line per row; merged cells (repeated by python-docx) appear once."""
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(part.strip() for part in cell.text.splitlines() if part.strip())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines
