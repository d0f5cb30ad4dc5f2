"""DocumentLoader on text formats (TXT, Markdown, HTML) and on inputs every format must refuse."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.components.loaders import SUPPORTED_SUFFIXES, DocumentLoader
from assistant.domain import DocumentLoadError, sha256_bytes
from assistant.settings import Settings

ARTICLE = (
    "第一条 台风红色预警发布后，居民应当留在室内，关好门窗，远离玻璃幕墙。"
    "\n\n第二条 发现险情，请拨打１１９或１１０。"
)


def _reason(settings: Settings, path: Path) -> str:
    with pytest.raises(DocumentLoadError) as caught:
        DocumentLoader(settings).load(path)
    assert caught.value.path == path
    assert str(caught.value).startswith(path.name)
    return caught.value.reason


def test_supported_suffixes_contract() -> None:
    assert frozenset({".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"}) == SUPPORTED_SUFFIXES


@pytest.mark.parametrize(
    ("encoding", "expected_note"),
    [
        ("utf-8", None),
        ("utf-8-sig", None),
        ("gbk", "GB18030/GBK"),
        ("gb18030", "GB18030/GBK"),
        ("utf-16", "UTF-16"),  # Python writes a BOM for plain "utf-16"
    ],
)
def test_text_encodings_are_detected(
    settings: Settings, tmp_path: Path, encoding: str, expected_note: str | None
) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(ARTICLE.encode(encoding))
    document = DocumentLoader(settings).load(path)

    assert document.text == ARTICLE  # full-width digits kept: no NFKC
    assert document.source_format == "txt"
    assert document.content_hash == sha256_bytes(path.read_bytes())
    if expected_note:
        assert any(expected_note in note for note in document.notes)
    else:
        assert document.notes == []


def test_text_is_normalised(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "messy.txt"
    path.write_bytes("  第一章\u3000\u3000总则   \r\n\r\n\r\n\r\n第一条  正文\t内容。 \r\n".encode())
    assert DocumentLoader(settings).load(path).text == "  第一章 总则\n\n第一条 正文 内容。"


def test_markdown_front_matter_and_info_preamble(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "rule.md"
    path.write_text(
        "---\njurisdiction: 上海\ndoc_type: regulation\n---\n"
        "# 示例条例\n\n2020年1月1日 通过\n\n2021年1月1日 修正\n\n<!-- INFO END -->\n\n"
        "## 第一章 总则\n\n第一条 正文。\n",
        encoding="utf-8",
    )
    document = DocumentLoader(settings).load(path)

    assert document.front_matter == {
        "jurisdiction": "上海",
        "doc_type": "regulation",
        "preamble": "2020年1月1日 通过\n2021年1月1日 修正",
    }
    assert document.text == "# 示例条例\n\n## 第一章 总则\n\n第一条 正文。"
    assert document.source_format == "md"


def test_markdown_with_broken_yaml_keeps_text(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "broken.markdown"
    path.write_text("---\nkey: [unclosed\n---\n# 标题\n正文\n", encoding="utf-8")
    document = DocumentLoader(settings).load(path)
    assert "# 标题" in document.text and "key: [unclosed" in document.text
    assert document.notes and "YAML" in document.notes[0]


def test_html_drops_scripts_and_keeps_structure(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        "<!doctype html><html><head><title>防汛须知</title><style>p{color:red}</style></head><body>"
        "<nav><a href='/'>首页</a> | <a href='/x'>导航菜单</a></nav>"
        "<script>var secret = '不应出现';</script>"
        "<h1>防汛须知</h1><h2>一、出行</h2>"
        "<p>暴雨时不要进入地下\n通道&amp;涵洞，注意&lt;积水&gt;。</p>"
        "<ul><li>远离河道</li><li>绕开积水路段</li></ul>第一行<br>第二行&nbsp;A&#x4E2D;"
        "<table><tr><td>电话</td><td>110</td></tr></table></body></html>",
        encoding="utf-8",
    )
    document = DocumentLoader(settings).load(path)

    assert document.source_format == "html"
    assert document.front_matter["title"] == "防汛须知"
    assert (
        "不应出现" not in document.text and "导航菜单" not in document.text and "color" not in document.text
    )
    blocks = document.text.split("\n\n")
    assert blocks[:2] == ["# 防汛须知", "## 一、出行"]
    assert "暴雨时不要进入地下通道&涵洞，注意<积水>。" in blocks  # no space invented between 下 and 通
    assert "远离河道" in blocks and "绕开积水路段" in blocks
    assert "第一行" in blocks and "第二行 A中" in blocks
    assert "电话 110" in blocks


def test_html_in_gbk(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes(
        "<html><body><h3>燃气泄漏怎么办</h3><p>立即关闭阀门，开窗通风。</p></body></html>".encode("gbk")
    )
    assert DocumentLoader(settings).load(path).text == "### 燃气泄漏怎么办\n\n立即关闭阀门，开窗通风。"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("old.doc", "不支持的文件类型 .doc（请另存为 .docx 或 PDF）"),
        ("sheet.XLS", "不支持的文件类型 .xls（请另存为 .docx、PDF 或文本）"),
        ("file.wps", "不支持的文件类型 .wps（请另存为 .docx 或 PDF）"),
        ("image.png", "不支持的文件类型 .png（支持 .md .txt .pdf .docx .html）"),
        ("README", "没有文件扩展名，无法判断文件类型（支持 .md .txt .pdf .docx .html）"),
    ],
)
def test_unsupported_types(settings: Settings, tmp_path: Path, name: str, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"some content")
    assert _reason(settings, path) == reason


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".pdf", ".docx"])
def test_empty_files(settings: Settings, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    assert _reason(settings, path) == "文件为空"


@pytest.mark.parametrize("content", [b"  \n\t\n", "\u3000\u3000\n".encode(), "\n \n".encode("utf-16")])
def test_whitespace_only_is_empty(settings: Settings, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    assert _reason(settings, path) == "文件为空"


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_binary_junk_is_not_text(settings: Settings, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(random.Random(7).randbytes(4096))
    assert _reason(settings, path) == "不是文本文件（疑似二进制内容）"


def test_binary_with_nul_bytes_is_not_text(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "program.txt"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + "中文".encode() * 50)
    assert _reason(settings, path) == "不是文本文件（疑似二进制内容）"


def test_size_cap_applies_before_reading(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("防汛" * 2000, encoding="utf-8")  # 12 000 bytes
    small = settings.model_copy(update={"max_file_mb": 0.01})  # 10 485 bytes
    assert _reason(small, path) == "文件超过大小上限 0.01 MB"
    assert DocumentLoader(settings).load(path).text.startswith("防汛")


def test_missing_file(settings: Settings, tmp_path: Path) -> None:
    assert _reason(settings, tmp_path / "gone.txt") == "文件不存在或不是普通文件"


def test_random_bytes_named_docx(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(random.Random(3).randbytes(2048))
    assert _reason(settings, path).startswith("DOCX 文件损坏")
