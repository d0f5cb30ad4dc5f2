"""PDF loading end to end on PDFs generated here: layout repair, limits and broken files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.components.loaders import DocumentLoader, sandbox
from assistant.components.loaders.worker_pool import POOL
from assistant.domain import DocumentLoadError
from assistant.settings import Settings
from tests.components.loaders import fixture_files as ff

# Two lines of the long 第五条 on page 1, the rest on page 2.
LINES_PER_PAGE = next(i for i, line in enumerate(ff.wrapped_lines()) if line.startswith("第五条")) + 2


def _reason(settings: Settings, path: Path) -> str:
    with pytest.raises(DocumentLoadError) as caught:
        DocumentLoader(settings).load(path)
    assert caught.value.path == path
    return caught.value.reason


@pytest.fixture
def regulation_pdf(tmp_path: Path) -> tuple[Path, int]:
    return ff.write_regulation_pdf(tmp_path / "条例.pdf", LINES_PER_PAGE)


def test_fixture_really_splits_an_article_across_pages(regulation_pdf: tuple[Path, int]) -> None:
    path, page_count = regulation_pdf
    reader = PdfReader(path)
    assert len(reader.pages) == page_count >= 2
    first, second = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "第五条" in first and "第五条" not in second
    assert "不得擅自返回危险区域" in second  # the end of 第五条 is on page 2
    assert ff.RUNNING_HEADER.split("\u3000")[0] in first and "— 2 —" in second


def test_typeset_pdf_gives_whole_articles(settings: Settings, regulation_pdf: tuple[Path, int]) -> None:
    path, _ = regulation_pdf
    document = DocumentLoader(settings).load(path)

    assert document.source_format == "pdf"
    blocks = document.text.split("\n\n")
    for paragraph in ff.paragraphs():
        assert paragraph in blocks, paragraph  # each article/item is one whole block
    assert "公报" not in document.text  # running header gone
    assert not re.search(r"—\s*\d+\s*—", document.text)  # page-number footers gone
    assert blocks[0] == f"# {ff.TITLE}"
    assert "## 第一章 总则" in blocks and "## 第二章 预警与响应" in blocks
    body = [re.sub(r"^第\S{1,6}?条 ", "", block) for block in blocks if not block.startswith("#")]
    assert not [block for block in body if re.search(r"[\u4e00-\u9fff，。] [\u4e00-\u9fff]", block)]


def test_pdf_pages_map_offsets_to_pages(settings: Settings, regulation_pdf: tuple[Path, int]) -> None:
    path, page_count = regulation_pdf
    document = DocumentLoader(settings).load(path)

    assert [span.page for span in document.pages] == list(range(1, page_count + 1))
    offsets = [span.offset for span in document.pages]
    assert offsets == sorted(offsets) and offsets[0] == 0
    # page 2 starts in the middle of 第五条, exactly where the first line of page 2 begins
    second_page_first_line = ff.wrapped_lines()[LINES_PER_PAGE]
    assert document.text[offsets[1] :].startswith(second_page_first_line)
    fifth = document.text.index("第五条")
    assert document.page_at(fifth) == 1
    assert document.page_at(document.text.index("不得擅自返回危险区域")) == 2


def test_pdf_content_hash_is_sha256_of_bytes(settings: Settings, regulation_pdf: tuple[Path, int]) -> None:
    import hashlib

    path, _ = regulation_pdf
    document = DocumentLoader(settings).load(path)
    assert document.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_encrypted_pdf_fails_but_empty_user_password_opens(settings: Settings, tmp_path: Path) -> None:
    plain = ff.write_pdf(tmp_path / "plain.pdf", [["第一条 台风来临前应当检查门窗。"]])
    locked = PdfWriter(clone_from=plain)
    locked.encrypt("secret")
    locked.write(tmp_path / "locked.pdf")
    assert _reason(settings, tmp_path / "locked.pdf") == "PDF 已加密，无法读取"

    owner_only = PdfWriter(clone_from=plain)
    owner_only.encrypt("", owner_password="owner")
    owner_only.write(tmp_path / "owner.pdf")
    assert "检查门窗" in DocumentLoader(settings).load(tmp_path / "owner.pdf").text


def test_truncated_pdf_is_reported_corrupt(settings: Settings, regulation_pdf: tuple[Path, int]) -> None:
    path, _ = regulation_pdf
    broken = path.with_name("broken.pdf")
    broken.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert _reason(settings, broken).startswith("PDF 文件损坏：")


def test_random_bytes_named_pdf(settings: Settings, tmp_path: Path) -> None:
    import random

    path = tmp_path / "junk.pdf"
    path.write_bytes(random.Random(1).randbytes(5000))
    assert _reason(settings, path) == "PDF 文件损坏：缺少 PDF 文件头，可能不是 PDF 文件"


def test_page_cap(tmp_path: Path, settings: Settings) -> None:
    path = ff.write_pdf(tmp_path / "long.pdf", [["第一条 正文。"]] * 3)
    capped = settings.model_copy(update={"max_pdf_pages": 2})
    assert _reason(capped, path) == "PDF 页数 3 超过上限 2"


def test_parse_timeout_kills_the_child(settings: Settings, regulation_pdf: tuple[Path, int]) -> None:
    path, _ = regulation_pdf
    hurried = settings.model_copy(update={"pdf_timeout_s": 0.01})
    # a warm child parses this small PDF in under 10 ms: a fresh one (its start-up alone takes
    # longer) makes the parse outlast the limit
    sandbox.shutdown_workers()
    assert _reason(hurried, path) == "PDF 解析超时（0.01 秒）"
    assert POOL.live_pids() == []  # the child that timed out was killed, not kept


def test_memory_limit_applies_to_the_child(settings: Settings, regulation_pdf: tuple[Path, int]) -> None:
    path, _ = regulation_pdf
    starved = settings.model_copy(update={"pdf_memory_mb": 20})
    assert "内存" in _reason(starved, path)


def test_image_only_pdf_without_ocr(settings: Settings, tmp_path: Path) -> None:
    path = ff.write_image_pdf(tmp_path / "scan.pdf")
    no_ocr = settings.model_copy(update={"ocr_enabled": False})
    assert "未开启 OCR" in _reason(no_ocr, path)


@pytest.mark.slow
def test_blank_scan_reports_nothing_recognised(settings: Settings, tmp_path: Path) -> None:
    path = ff.write_image_pdf(tmp_path / "blank-scan.pdf")
    assert _reason(settings, path) == "扫描件 OCR 未识别出文字"
