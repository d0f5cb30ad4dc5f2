"""DOCX loading on Word files generated with python-docx, and agreement with python-docx's own reading."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistant.components.loaders import DocumentLoader
from assistant.components.loaders.docx_text import DocxLimits, docx_to_text
from assistant.domain import DocumentLoadError
from assistant.settings import Settings
from tests.components.loaders import fixture_files as ff


def test_docx_headings_paragraphs_and_tables_in_order(settings: Settings, tmp_path: Path) -> None:
    path = ff.write_docx(tmp_path / "条例.docx")
    document = DocumentLoader(settings).load(path)

    paragraphs = ff.paragraphs()
    assert document.source_format == "docx"
    assert document.text.split("\n\n") == [
        f"# {ff.TITLE}",  # Title style
        "# 第一章 总则",  # Heading 1
        paragraphs[0],
        "## 第一节 一般规定",  # Chinese-named style 标题 2
        paragraphs[1],
        "# 第二章 预警与响应",  # custom style based on Heading 1
        paragraphs[3],
        "预警级别 | 应对措施",
        "红色 | 停课停工，人员转移",
        paragraphs[4],
    ]


def test_docx_without_body_part_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "hollow.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(DocumentLoadError) as caught:
        DocumentLoader(settings).load(path)
    assert caught.value.reason == "DOCX 文件损坏：缺少正文部分 word/document.xml"


# --- the streamed reader agrees with python-docx (which built the whole tree) -------------------
def _python_docx_text(path: Path) -> str:
    """What the loader returned when it used python-docx: the reference for ordinary files."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    blocks: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if text:
                level = _python_docx_level(paragraph)
                blocks.append(f"{'#' * level} {text}" if level else text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(part.strip() for part in cell.text.splitlines() if part.strip())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    blocks.append(" | ".join(cells))
    return "\n\n".join(blocks)


def _python_docx_level(paragraph: Any) -> int:
    style, seen = paragraph.style, 0
    while style is not None and seen < 10:
        name = (style.name or "").strip()
        if name.lower() in {"title", "标题"}:
            return 1
        match = re.match(r"^(?:heading|标题)\s*([1-9])$", name, re.IGNORECASE)
        if match:
            return int(match.group(1))
        style, seen = style.base_style, seen + 1
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    outline = paragraph._p.find(f"{ns}pPr/{ns}outlineLvl")
    value = outline.get(f"{ns}val", "9") if outline is not None else "9"
    return int(value) + 1 if value.isdigit() and int(value) < 9 else 0


_STYLES = ["Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "标题 2", "条例章标题", "List Bullet"]
_WORDS = st.sampled_from(["第一条", "台风", " 预警 ", "\t", "\n", "居委会", "A&B<C>", "  ", "", "１１９"])
_RUNS = st.lists(_WORDS, min_size=0, max_size=4)
_PARAGRAPH = st.tuples(st.just("p"), st.sampled_from(_STYLES), _RUNS, st.sampled_from([None, "0", "2", "9"]))
_TABLE = st.tuples(
    st.just("table"),
    st.integers(1, 3),
    st.integers(1, 3),
    st.lists(_WORDS, min_size=9, max_size=9),
    st.sampled_from([None, "right", "down"]),
)


def _build(path: Path, blocks: list[tuple[Any, ...]]) -> Path:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH).base_style = document.styles["Normal"]
    document.styles.add_style("条例章标题", WD_STYLE_TYPE.PARAGRAPH).base_style = document.styles["Heading 1"]
    for block in blocks:
        if block[0] == "p":
            _, style, runs, outline = block
            paragraph = document.add_paragraph(style=style)
            for word in runs:
                paragraph.add_run(word)
            if outline is not None:
                level = OxmlElement("w:outlineLvl")
                level.set(qn("w:val"), outline)
                paragraph._p.get_or_add_pPr().append(level)
        else:
            _, rows, cols, words, merge = block
            table = document.add_table(rows=rows, cols=cols)
            for index, cell in enumerate(cell for row in table.rows for cell in row.cells):
                cell.text = words[index]
            if merge == "right" and cols > 1:
                table.cell(0, 0).merge(table.cell(0, 1))
            elif merge == "down" and rows > 1:
                table.cell(0, 0).merge(table.cell(1, 0))
    document.save(str(path))
    return path


LIMITS = DocxLimits(max_xml_bytes=200 * 1024 * 1024, max_inflated_bytes=2**30, max_text_bytes=2**26)


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blocks=st.lists(st.one_of(_PARAGRAPH, _TABLE), min_size=1, max_size=8))
@example(
    blocks=[("p", "Normal", ["台风", "\t", "居委会", "\n"], None), ("p", "Normal", ["甲", "\n", "乙"], "1")]
)
@example(blocks=[("table", 3, 3, ["甲", "", "乙", "\t", "丙", "丙", "A&B<C>", " 预警 ", "丁"], "down")])
@example(blocks=[("table", 2, 3, ["甲", "乙", "丙", "丁", "", "戊", "", "", ""], "right")])
def test_streamed_reader_matches_python_docx(tmp_path: Path, blocks: list[tuple[Any, ...]]) -> None:
    path = _build(tmp_path / "generated.docx", blocks)
    assert docx_to_text(path, LIMITS) == _python_docx_text(path)


def test_streamed_reader_matches_python_docx_on_the_fixture(tmp_path: Path) -> None:
    path = ff.write_docx(tmp_path / "条例.docx")
    assert docx_to_text(path, LIMITS) == _python_docx_text(path)


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _tc(text: str, span: int = 1, merge: str | None = None) -> str:
    props = (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "") + (
        {"continue": "<w:vMerge/>", "restart": '<w:vMerge w:val="restart"/>'}.get(merge or "", "")
    )
    cell_props = f"<w:tcPr>{props}</w:tcPr>" if props else ""
    return f"<w:tc>{cell_props}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


# Constructs python-docx reads in its own way: text in hyperlinks is kept; tracked insertions,
# content controls, text boxes and nested tables are not; only the first pPr's style counts.
KITCHEN_SINK = (
    '<w:p><w:hyperlink r:id="rId9"><w:r><w:t>链接</w:t></w:r></w:hyperlink>'
    '<w:r><w:t xml:space="preserve"> 后 </w:t><w:noBreakHyphen/><w:cr/><w:ptab w:alignment="left"/>'
    '<w:br w:type="page"/><w:br/><w:t>尾</w:t></w:r>'
    '<w:ins w:id="1" w:author="a"><w:r><w:t>插入</w:t></w:r></w:ins>'
    "<w:r><w:pict><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:pict></w:r></w:p>"
    "<w:sdt><w:sdtContent><w:p><w:r><w:t>内容控件</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    "<w:p><w:r><w:t> </w:t></w:r><w:r><w:t>&amp;&lt;&#x4E2D;<![CDATA[<段>]]></w:t></w:r></w:p>"
    '<w:p><w:pPr><w:pStyle w:val="NoSuchStyle"/></w:pPr><w:r><w:t>未知样式</w:t></w:r></w:p>'
    '<w:p><w:pPr><w:outlineLvl w:val="2"/></w:pPr><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>'
    "<w:r><w:t>两个 pPr</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>a<w:x/>b</w:t></w:r></w:p>"
    "<w:tbl><w:tr>" + _tc("A", merge="restart") + _tc("B", span=2) + _tc("C") + "</w:tr>"
    "<w:tr>" + _tc("", merge="continue") + _tc("D") + _tc("E") + _tc("F", merge="restart") + "</w:tr>"
    '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
    + _tc("G", span=2)
    + _tc("", merge="continue")
    + "</w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>外</w:t></w:r></w:p><w:tbl><w:tr>"
    + _tc("嵌套")
    + "</w:tr></w:tbl></w:tc></w:tr>"
    "</w:tbl>"
)


def test_streamed_reader_matches_python_docx_on_odd_constructs(tmp_path: Path) -> None:
    path = ff.write_docx(tmp_path / "odd.docx")  # a real package (styles included) to edit
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["word/document.xml"].decode()
    parts["word/document.xml"] = (
        xml.replace("<w:sectPr", KITCHEN_SINK + "<w:sectPr", 1)
        .replace(_W, f"{_W} {_R}" if _R not in xml else _W, 1)
        .encode()
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    expected = _python_docx_text(path)
    assert "链接 后 -\n\t\n尾" in expected and "A | D | E | F" in expected  # the constructs are there
    assert docx_to_text(path, LIMITS) == expected
