"""Child side of the parser sandbox: ``python -m assistant.components.loaders.worker --serve``
reads one JSON request per line on stdin
(``{"job": …, "path": …, "options": {…}}``) and answer each with one JSON line, until stdin
closes (:mod:`.worker_pool` keeps such a child for many files). ``… worker JOB PATH
--memory-mb N`` runs one job on one file and exits: the app never uses it; it is there to
reproduce a failing file by hand, under the same limit, outside the app.

The child limits its own address space (``RLIMIT_AS``) first, then runs each parsing job on
one file and prints one JSON object on stdout:

* ``{"ok": true, …}`` with the job's result (text, pages, notes…);
* ``{"ok": false, "reason": "<plain Chinese reason>"}`` for a bad file, including a parser
  that ran out of its memory allowance (a ``MemoryError``, or a lazy import whose shared
  library cannot be mapped under the limit; then ``"memory": true`` too, so the parent
  retires this child).

Anything worse (a C-level crash, being killed on timeout) leaves no JSON; the parent
(:mod:`~assistant.components.loaders.sandbox`) names what happened from the exit status.
Jobs import their parsers lazily so a text file does not pay for pypdf or OCR start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import resource
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.components.loaders.sandbox import (
    ALLOCATION_MARKERS,
    JOB_LABELS,
    ParseFailure,
    about,
    encode_extra,
)

Job = Callable[[str, dict[str, Any]], dict[str, Any]]


def _pdf_text(path: str, options: dict[str, Any]) -> dict[str, Any]:
    from assistant.components.loaders.pdf_worker import extract_text_pages

    return extract_text_pages(path, int(options["max_pages"]))


def _pdf_ocr(path: str, options: dict[str, Any]) -> dict[str, Any]:
    from assistant.components.loaders.pdf_worker import ocr_pages

    return ocr_pages(path, int(options["max_pages"]), [int(number) for number in options["pages"]])


def _docx(path: str, options: dict[str, Any]) -> dict[str, Any]:
    from assistant.components.loaders.docx_text import DocxLimits, docx_to_text
    from assistant.components.loaders.normalize import normalise_text

    limits = DocxLimits(
        max_xml_bytes=int(options["max_xml_bytes"]),
        max_inflated_bytes=int(options["max_inflated_bytes"]),
        max_text_bytes=int(options["max_text_bytes"]),
    )
    return {"ok": True, "text": normalise_text(docx_to_text(Path(path), limits))}


def _text(source_format: str) -> Job:
    def job(path: str, options: dict[str, Any]) -> dict[str, Any]:
        from assistant.components.loaders.normalize import normalise_text
        from assistant.components.loaders.text_decoding import NotTextError, decode_text, encoding_notes

        try:
            text, encoding = decode_text(Path(path).read_bytes())
        except NotTextError as exc:
            raise ParseFailure(str(exc)) from exc
        result: dict[str, Any] = {"ok": True, "notes": encoding_notes(encoding), "front_matter": {}}
        if source_format == "html":
            from assistant.components.loaders.html_text import html_to_text

            text, title = html_to_text(text)
            if title:
                result["front_matter"]["title"] = title
        text = normalise_text(text)
        if source_format == "md":
            from assistant.components.loaders.markdown_text import split_front_matter

            front_matter, text, md_notes = split_front_matter(text)
            result["front_matter"] = front_matter
            result["notes"].extend(md_notes)
        result["text"] = text
        return result

    return job


JOBS: dict[str, Job] = {
    "pdf-text": _pdf_text,
    "pdf-ocr": _pdf_ocr,
    "docx": _docx,
    "html": _text("html"),
    "md": _text("md"),
    "txt": _text("txt"),
}


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space; a lower hard limit set from outside stays in force."""
    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def allocation_failed(exc: BaseException) -> bool:
    """Whether ``exc`` means the child ran out of its address space, whatever its type."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    return any(marker in str(exc).lower() for marker in ALLOCATION_MARKERS)


def run_job(job: str, path: str, memory_mb: int, options: dict[str, Any]) -> dict[str, Any]:
    """Run one job and turn every Python-level failure into ``{"ok": false, "reason": …}``."""
    label = JOB_LABELS[job]
    try:
        return JOBS[job](path, options)
    except ParseFailure as exc:
        return {"ok": False, "reason": str(exc)}
    except Exception as exc:  # MemoryError included
        return failure(label, exc, memory_mb)


def failure(label: str, exc: Exception, memory_mb: int) -> dict[str, Any]:
    """The answer for a job that raised ``exc``."""
    if allocation_failed(exc):
        # a half-done import or a parser stopped mid-allocation: the parent retires this child
        return {"ok": False, "memory": True, "reason": about(label, f"解析超过内存上限 {memory_mb} MB")}
    if isinstance(exc, RecursionError):
        return {"ok": False, "reason": about(label, "文件结构嵌套过深，无法解析")}
    if isinstance(exc, OSError):
        return {"ok": False, "reason": f"无法读取文件：{exc.strerror or exc}"}
    # a parser bug on odd input: fail this file with the detail
    traceback.print_exception(exc, file=sys.stderr)
    detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return {"ok": False, "reason": about(label, f"解析失败：{what}")}


def encode(result: dict[str, Any], job: str, memory_mb: int) -> bytes:
    """One result as a line of JSON (JSON escapes newlines inside strings)."""
    try:
        return json.dumps(result, ensure_ascii=False, default=encode_extra).encode("utf-8")
    except MemoryError:
        del result
        reason = about(JOB_LABELS.get(job, job), f"解析超过内存上限 {memory_mb} MB")
        return json.dumps({"ok": False, "memory": True, "reason": reason}, ensure_ascii=False).encode("utf-8")


def serve(memory_mb: int) -> int:
    """Answer requests from stdin until it closes; a request that is not valid JSON ends the child."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    for line in stdin:
        request = json.loads(line)
        job = str(request["job"])
        if job not in JOBS:
            result: dict[str, Any] = {"ok": False, "reason": f"未知的解析任务 {job}"}
        else:
            result = run_job(job, str(request["path"]), memory_mb, dict(request.get("options") or {}))
        payload = encode(result, job, memory_mb)
        del result
        stdout.write(payload + b"\n")
        stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job", nargs="?", choices=sorted(JOBS))
    parser.add_argument("path", nargs="?")
    parser.add_argument("--serve", action="store_true", help="answer JSON requests from stdin")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--options", default="{}", help="job options as a JSON object")
    args = parser.parse_args(argv)
    limit_memory(args.memory_mb)
    if args.serve:
        return serve(args.memory_mb)
    if args.job is None or args.path is None:
        parser.error("JOB and PATH are required without --serve")
    result = run_job(args.job, args.path, args.memory_mb, json.loads(args.options))
    sys.stdout.buffer.write(encode(result, args.job, args.memory_mb))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
