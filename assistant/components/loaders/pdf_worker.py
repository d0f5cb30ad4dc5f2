"""PDF parsing jobs, run only inside the sandbox child (:mod:`~assistant.components.loaders.worker`).

PDF parsers can loop forever or balloon in memory on hostile or broken files, and OCR is
heavy; the sandbox gives them an address-space limit and a wall-clock timeout. Results:

* ``pdf-text``: ``{"ok": true, "pages": [page text, …], "notes": […]}``
* ``pdf-ocr``: ``{"ok": true, "lines": {"<page>": [line, …]}, "notes": […]}``
* a known bad file raises :class:`ParseFailure` with the reason users read.
"""

from __future__ import annotations

from typing import Any

from assistant.components.loaders.sandbox import ParseFailure

# Pages with fewer visible characters than this count as "no text layer" (scans).
MIN_PAGE_CHARS = 5
# Embedded images smaller than this (logos, rules, stamps) are not worth OCR.
_MIN_IMAGE_SIDE = 64
_MAX_OCR_SIDE = 4000


def _open(path: str, max_pages: int) -> Any:
    """Open and decrypt the PDF, enforcing the page cap; raise ParseFailure with a reason."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except (DependencyError, FileNotDecryptedError, NotImplementedError) as exc:
                raise ParseFailure("PDF 已加密，无法读取") from exc
            if not decrypted:
                raise ParseFailure("PDF 已加密，无法读取")
        count = len(reader.pages)
    except ParseFailure:
        raise
    except FileNotDecryptedError as exc:
        raise ParseFailure("PDF 已加密，无法读取") from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise ParseFailure(corrupt_reason(exc)) from exc
    if count == 0:
        raise ParseFailure("PDF 文件损坏：没有任何页面")
    if count > max_pages:
        raise ParseFailure(f"PDF 页数 {count} 超过上限 {max_pages}")
    return reader


def corrupt_reason(exc: BaseException) -> str:
    """A plain reason for a PDF that pypdf cannot parse, with the technical detail in brackets."""
    detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
    if "EOF marker" in detail or "Stream has ended" in detail:
        return "PDF 文件损坏：文件不完整（可能下载或复制中断）"
    if "header" in detail.lower():
        return "PDF 文件损坏：缺少 PDF 文件头，可能不是 PDF 文件"
    return f"PDF 文件损坏：无法解析（{detail}）"


def extract_text_pages(path: str, max_pages: int) -> dict[str, Any]:
    reader = _open(path, max_pages)
    pages: list[str] = []
    failed: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            pages.append(page.extract_text() or "")
        except MemoryError:
            raise
        except Exception:  # one damaged page must not lose the others
            pages.append("")
            failed.append(number)
    notes = [f"第{number}页内容损坏，未能读取" for number in failed]
    if failed and len(failed) == len(pages):
        raise ParseFailure("PDF 文件损坏：所有页面都无法读取")
    return {"ok": True, "pages": pages, "notes": notes}


def ocr_pages(path: str, max_pages: int, page_numbers: list[int]) -> dict[str, Any]:
    """OCR the embedded images of the given 1-based pages."""
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    from assistant.components.loaders.ocr_lines import boxes_to_lines

    reader = _open(path, max_pages)
    # The angle classifier mistakes some upright, blurred lines for upside-down ones and then
    # loses them; scans are upright in practice, so it is off.
    engine = RapidOCR(use_cls=False)
    lines: dict[str, list[str]] = {}
    notes: list[str] = []
    for number in page_numbers:
        page_lines: list[str] = []
        try:
            images = list(reader.pages[number - 1].images)
        except MemoryError:
            raise
        except Exception:
            notes.append(f"第{number}页的图像无法解码，未能识别")
            continue
        for image_file in images:
            try:
                image = image_file.image
                if image is None or min(image.size) < _MIN_IMAGE_SIDE:
                    continue
                if max(image.size) > _MAX_OCR_SIDE:
                    image.thumbnail((_MAX_OCR_SIDE, _MAX_OCR_SIDE))
                result, _elapsed = engine(np.asarray(image.convert("RGB")))
            except MemoryError:
                raise
            except Exception:
                notes.append(f"第{number}页的图像无法解码，未能识别")
                continue
            page_lines.extend(boxes_to_lines(result))
        lines[str(number)] = page_lines
    return {"ok": True, "lines": lines, "notes": notes}
