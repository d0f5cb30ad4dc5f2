"""Child-process side of PDF loading: ``python -m assistant.components.loaders.pdf_worker``.

PDF parsers can loop forever or balloon in memory on hostile or broken files, and OCR is
heavy. Running them in a child with an address-space limit lets the parent kill it on a
wall-clock timeout and turn any crash into a clear per-file failure instead of taking the
app or the ingest batch down. The child prints one JSON object on stdout:

* ``text`` mode: ``{"ok": true, "pages": [page text, …], "notes": […]}``
* ``ocr`` mode: ``{"ok": true, "lines": {"<page>": [line, …]}, "notes": […]}``
* on failure: ``{"ok": false, "reason": "<plain Chinese reason>"}``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
from typing import Any

# Pages with fewer visible characters than this count as "no text layer" (scans).
MIN_PAGE_CHARS = 5
# Embedded images smaller than this (logos, rules, stamps) are not worth OCR.
_MIN_IMAGE_SIDE = 64
_MAX_OCR_SIDE = 4000


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit may already apply
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _open(path: str, max_pages: int) -> Any:
    """Open and decrypt the PDF, enforcing the page cap; raise _Failure with a reason."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except (DependencyError, FileNotDecryptedError, NotImplementedError) as exc:
                raise _Failure("PDF 已加密，无法读取") from exc
            if not decrypted:
                raise _Failure("PDF 已加密，无法读取")
        count = len(reader.pages)
    except _Failure:
        raise
    except FileNotDecryptedError as exc:
        raise _Failure("PDF 已加密，无法读取") from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise _Failure(corrupt_reason(exc)) from exc
    if count == 0:
        raise _Failure("PDF 文件损坏：没有任何页面")
    if count > max_pages:
        raise _Failure(f"PDF 页数 {count} 超过上限 {max_pages}")
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
        raise _Failure("PDF 文件损坏：所有页面都无法读取")
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


class _Failure(Exception):
    """A known failure whose message is the user-facing reason."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("text", "ocr"))
    parser.add_argument("path")
    parser.add_argument("--max-pages", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--pages", default="", help="comma-separated 1-based pages (ocr mode)")
    args = parser.parse_args(argv)
    _limit_memory(args.memory_mb)
    try:
        if args.mode == "text":
            result = extract_text_pages(args.path, args.max_pages)
        else:
            numbers = [int(part) for part in args.pages.split(",") if part.strip()]
            result = ocr_pages(args.path, args.max_pages, numbers)
    except _Failure as exc:
        result = {"ok": False, "reason": str(exc)}
    except MemoryError:
        result = {"ok": False, "reason": f"PDF 解析所需内存超过上限 {args.memory_mb} MB"}
    except RecursionError:
        result = {"ok": False, "reason": "PDF 文件损坏：对象结构嵌套过深"}
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
