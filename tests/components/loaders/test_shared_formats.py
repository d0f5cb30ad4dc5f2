"""The loaders on the real-world shapes in ../shared/formats, checked against the Markdown originals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.components.loaders import DocumentLoader
from assistant.components.loaders.pdf_layout import chinese_number
from assistant.settings import Settings

pytestmark = pytest.mark.shared

_ARTICLE_LINE = re.compile(r"^第([〇零一二三四五六七八九十百千两]+)条[ \u3000]", re.MULTILINE)
_CJK_SPACE_CJK = re.compile(r"[\u4e00-\u9fff，。、；：] [\u4e00-\u9fff]")


def _articles(text: str) -> list[int]:
    return [number for number in map(chinese_number, _ARTICLE_LINE.findall(text)) if number is not None]


def _original(shared_regulations: Path, name_start: str) -> str:
    [path] = [p for p in shared_regulations.glob("*.md") if p.name.startswith(name_start)]
    return path.read_text(encoding="utf-8")


def _body_blocks(text: str) -> list[str]:
    """Non-heading blocks with the ``第X条 `` marker removed (its space is intended)."""
    return [re.sub(r"^第\S{1,6}?条 ", "", b) for b in text.split("\n\n") if not b.startswith("#")]


def test_typeset_pdf(settings: Settings, shared_formats: Path, shared_regulations: Path) -> None:
    document = DocumentLoader(settings).load(shared_formats / "上海市防汛条例-排版.pdf")
    original = _original(shared_regulations, "上海市防汛条例")

    articles = _articles(document.text)
    assert articles == list(range(1, len(articles) + 1))  # every article once, in order
    assert articles == _articles(original)
    assert "常务委员会公告" not in document.text  # running header
    assert not re.search(r"—\s*\d+\s*—", document.text)  # page footers
    assert not [b for b in _body_blocks(document.text) if _CJK_SPACE_CJK.search(b)]
    assert document.text.startswith("# 上海市防汛条例\n\n## 第一章 总则\n\n第一条 ")
    headings = [line for line in document.text.splitlines() if line.startswith("## ")]
    original_headings = [
        re.sub(r"\s+", " ", line) for line in original.splitlines() if line.startswith("## ")
    ]
    assert headings == original_headings

    assert [span.page for span in document.pages] == list(range(1, 10))
    assert all(a.offset < b.offset for a, b in zip(document.pages, document.pages[1:], strict=False))
    # an article that starts on one page and ends on the next is still one block
    crossing = [
        block
        for block in document.text.split("\n\n")
        if document.page_at(document.text.index(block))
        != document.page_at(document.text.index(block) + len(block) - 1)
    ]
    assert crossing and all(block in original for block in crossing[:3])


def test_docx(settings: Settings, shared_formats: Path, shared_regulations: Path) -> None:
    document = DocumentLoader(settings).load(shared_formats / "上海市消防条例.docx")
    original = _original(shared_regulations, "上海市消防条例")

    assert document.text.startswith("# 上海市消防条例\n\n# 第一章 总则\n\n第一条 ")
    chapters = [line for line in document.text.splitlines() if re.match(r"^# 第.+章", line)]
    assert len(chapters) == len(re.findall(r"^## 第.+章", original, re.MULTILINE)) == 7
    assert _articles(document.text) == _articles(original)


def test_gbk_text(settings: Settings, shared_formats: Path, shared_regulations: Path) -> None:
    document = DocumentLoader(settings).load(shared_formats / "上海市燃气管理条例-GBK.txt")
    original = _original(shared_regulations, "上海市燃气管理条例")

    assert document.text.startswith("上海市燃气管理条例")
    assert any("GBK" in note for note in document.notes)
    assert _articles(document.text) == _articles(original)
    assert "\ufffd" not in document.text
    assert "## " not in document.text  # plain text: no headings are invented


def test_every_shared_regulation_loads_with_preamble_split(
    settings: Settings, shared_regulations: Path
) -> None:
    loader = DocumentLoader(settings)
    for path in sorted(shared_regulations.glob("*.md")):
        document = loader.load(path)
        assert document.text.startswith("# "), path.name
        assert "INFO END" not in document.text, path.name
        assert isinstance(document.front_matter.get("preamble"), str), path.name
        assert _articles(document.text) == _articles(path.read_text(encoding="utf-8")), path.name


@pytest.mark.slow
def test_scanned_pdf_is_ocred(settings: Settings, shared_formats: Path, shared_regulations: Path) -> None:
    document = DocumentLoader(settings).load(shared_formats / "上海市民防条例-扫描件.pdf")
    original_articles = _articles(_original(shared_regulations, "上海市民防条例"))

    assert document.notes == ["第1-3页无文字层，已OCR识别"]
    assert [span.page for span in document.pages] == [1, 2, 3]
    articles = _articles(document.text)
    assert len(articles) >= 15
    assert articles == list(range(1, len(articles) + 1))
    assert set(articles) <= set(original_articles)
    assert document.text.startswith("# 上海市民防条例\n\n## 第一章 总则\n\n第一条 ")
    for word in ("民防", "人民防空", "防空警报", "应急救援"):
        assert word in document.text
    assert not [b for b in _body_blocks(document.text) if _CJK_SPACE_CJK.search(b)]
