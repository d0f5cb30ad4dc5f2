"""Parent side of PDF loading: the text layer, then OCR of image-only pages, both sandboxed.

The jobs (:mod:`pdf_worker`) run in the sandbox child (:mod:`sandbox`) with the memory limit
``pdf_memory_mb`` and a wall-clock timeout: ``pdf_timeout_s`` for the text layer,
``ocr_timeout_s`` for OCR. Here the pages are stitched back into one text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.components.loaders.pdf_layout import rebuild_text
from assistant.components.loaders.pdf_worker import MIN_PAGE_CHARS
from assistant.components.loaders.sandbox import run_in_sandbox
from assistant.domain import DocumentLoadError, PageSpan

if TYPE_CHECKING:
    from assistant.settings import Settings

_PDF_MAGIC = b"%PDF-"


def load_pdf(path: Path, data: bytes, settings: Settings) -> tuple[str, list[PageSpan], list[str]]:
    """Return ``(text, pages, notes)`` for the PDF at ``path`` whose bytes are ``data``."""
    if _PDF_MAGIC not in data[:1024]:
        raise DocumentLoadError(path, "PDF 文件损坏：缺少 PDF 文件头，可能不是 PDF 文件")

    result = run_in_sandbox("pdf-text", path, settings, {"max_pages": settings.max_pdf_pages})
    page_texts: list[str] = list(result["pages"])
    notes: list[str] = list(result.get("notes", []))
    pages = [text.split("\n") for text in page_texts]

    blank = [number for number, text in enumerate(page_texts, start=1) if _visible(text) < MIN_PAGE_CHARS]
    if blank and settings.ocr_enabled:
        ocr = run_in_sandbox(
            "pdf-ocr",
            path,
            settings,
            {"max_pages": settings.max_pdf_pages, "pages": blank},
            timeout_s=settings.ocr_timeout_s,
            timeout_reason=f"扫描件 OCR 超时（{settings.ocr_timeout_s:g} 秒）",
        )
        notes.extend(ocr.get("notes", []))
        recognised: list[int] = []
        for number in blank:
            lines = ocr["lines"].get(str(number), [])
            pages[number - 1] = lines
            if any(_visible(line) for line in lines):
                recognised.append(number)
        if recognised:
            notes.append(f"第{page_ranges(recognised)}页无文字层，已OCR识别")
        missing = [number for number in blank if number not in recognised]
        if missing and len(missing) < len(page_texts):
            notes.append(f"第{page_ranges(missing)}页未识别出文字")
    elif blank and len(blank) < len(page_texts):
        notes.append(f"第{page_ranges(blank)}页无文字层（未开启 OCR），内容未读取")

    text, spans = rebuild_text(pages)
    if not text.strip():
        if not blank:
            raise DocumentLoadError(path, "文件为空")
        if settings.ocr_enabled:
            raise DocumentLoadError(path, "扫描件 OCR 未识别出文字")
        raise DocumentLoadError(path, "PDF 没有文字层（疑似扫描件），未开启 OCR，无法读取")
    return text, spans, notes


def _visible(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def page_ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"1-3、5"`` (for notes users read)."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return "、".join(parts)
