"""DOCX loading on a Word file generated with python-docx."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assistant.components.loaders import DocumentLoader
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
