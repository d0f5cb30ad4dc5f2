"""Parent side of PDF loading: run :mod:`pdf_worker` in a child process under limits.

The child gets an address-space limit (``pdf_memory_mb``) and a wall-clock timeout
(``pdf_timeout_s`` for the text layer, ``ocr_timeout_s`` for OCR of image-only pages); on
timeout it is killed. A subprocess running ``python -m`` (rather than multiprocessing) keeps
the parent free of fork/spawn pitfalls in Gradio or pytest and makes killing trivial.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from assistant.components.loaders.pdf_layout import rebuild_text
from assistant.components.loaders.pdf_worker import MIN_PAGE_CHARS
from assistant.domain import DocumentLoadError, PageSpan
from assistant.settings import PROJECT_ROOT, Settings

_WORKER = "assistant.components.loaders.pdf_worker"
_PDF_MAGIC = b"%PDF-"


def load_pdf(path: Path, data: bytes, settings: Settings) -> tuple[str, list[PageSpan], list[str]]:
    """Return ``(text, pages, notes)`` for the PDF at ``path`` whose bytes are ``data``."""
    if _PDF_MAGIC not in data[:1024]:
        raise DocumentLoadError(path, "PDF 文件损坏：缺少 PDF 文件头，可能不是 PDF 文件")

    result = _run_worker(path, settings, ["text"], settings.pdf_timeout_s, "PDF 解析超时")
    page_texts: list[str] = list(result["pages"])
    notes: list[str] = list(result.get("notes", []))
    pages = [text.split("\n") for text in page_texts]

    blank = [number for number, text in enumerate(page_texts, start=1) if _visible(text) < MIN_PAGE_CHARS]
    if blank and settings.ocr_enabled:
        ocr = _run_worker(
            path,
            settings,
            ["ocr", "--pages", ",".join(map(str, blank))],
            settings.ocr_timeout_s,
            "扫描件 OCR 超时",
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


def _run_worker(path: Path, settings: Settings, args: list[str], timeout: float, what: str) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        _WORKER,
        args[0],
        str(path.resolve()),
        "--max-pages",
        str(settings.max_pdf_pages),
        "--memory-mb",
        str(settings.pdf_memory_mb),
        *args[1:],
    ]
    # cwd=PROJECT_ROOT makes ``-m`` find the package even when it is not installed.
    with subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise DocumentLoadError(path, f"{what}（{timeout:g} 秒）") from None
    try:
        result: dict[str, Any] = json.loads(stdout.decode("utf-8") or "null") or {}
    except ValueError:
        result = {}
    if result.get("ok"):
        return result
    if result.get("reason"):
        raise DocumentLoadError(path, str(result["reason"]))
    if process.returncode < 0 or b"MemoryError" in stderr:
        reason = f"PDF 解析进程异常终止（可能超过内存上限 {settings.pdf_memory_mb} MB）"
        raise DocumentLoadError(path, reason)
    detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["无输出"]
    raise DocumentLoadError(path, f"PDF 解析失败：{detail[0][:160]}")


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
