"""Parent side of the parser sandbox: every format is parsed in a limited child process.

Hostile or broken files make parsers loop, balloon in memory (a 3 MB DOCX whose XML inflates
to 950 MB once took 15 GB) or crash in C code. So no parser runs in the app or ingest
process: :func:`run_in_sandbox` starts ``python -m assistant.components.loaders.worker`` with
an address-space limit (``pdf_memory_mb``) and a wall-clock timeout (``pdf_timeout_s``; the
names predate the other formats, the limits are the same for all), kills it on timeout and
turns every outcome into either the child's JSON result or a :class:`DocumentLoadError` whose
plain Chinese reason names what happened (timeout, memory limit, crash).

A subprocess running ``python -m`` (rather than multiprocessing) keeps the parent free of
fork/spawn pitfalls in Gradio or pytest and makes killing trivial. The child reads the file
itself, so only its small JSON answer ever enters the parent's memory. A child serves many
files one after another (:mod:`.worker_pool`: start-up paid once, retired on any doubt).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.domain import DocumentLoadError

if TYPE_CHECKING:
    from assistant.settings import Settings

__all__ = [
    "JOB_LABELS",
    "ParseFailure",
    "child_failure_reason",
    "decode_result",
    "encode_extra",
    "run_in_sandbox",
    "shutdown_workers",
]

WORKER_MODULE = "assistant.components.loaders.worker"
# The folder holding ``assistant/``: ``-m`` must find the package even when it is not installed.
_PROJECT_ROOT = Path(__file__).resolve().parents[3]

#: What users read in a reason for each job ("DOCX 解析超时（120 秒）").
JOB_LABELS: dict[str, str] = {
    "pdf-text": "PDF",
    "pdf-ocr": "扫描件 OCR",
    "docx": "DOCX",
    "html": "HTML",
    "md": "Markdown",
    "txt": "文本",
}
#: Attempts when the child was stopped from outside (SIGTERM); every other outcome is final.
EXTERNAL_STOP_ATTEMPTS = 2
#: How a refused allocation reads (lower case) in a child's stderr or in an exception's message:
#: Python's ``MemoryError``, a C library's ``ENOMEM`` or ``std::bad_alloc``, the dynamic loader
#: failing to map a lazily imported extension module under the address-space limit.
ALLOCATION_MARKERS = (
    "memoryerror",
    "out of memory",
    "cannot allocate memory",
    "std::bad_alloc",
    "failed to map segment",
)


def about(label: str, what: str) -> str:
    """``DOCX 解析超时`` but ``文本解析超时``: a space only after a Latin label."""
    return f"{label}{' ' if label[-1:].isascii() else ''}{what}"


class ParseFailure(Exception):
    """Raised in the child for a known bad file; ``str(self)`` is the user-facing reason."""


def run_in_sandbox(
    job: str,
    path: Path,
    settings: Settings,
    options: dict[str, Any] | None = None,
    *,
    timeout_s: float | None = None,
    timeout_reason: str | None = None,
) -> dict[str, Any]:
    """Run ``job`` on ``path`` in a limited child and return its JSON result (``ok`` is true).

    Raises :class:`DocumentLoadError` with the child's reason, or with one naming the timeout,
    the memory limit or the crash that ended it.
    """
    from assistant.components.loaders.worker_pool import POOL, serve_command

    label = JOB_LABELS[job]
    timeout = settings.pdf_timeout_s if timeout_s is None else timeout_s
    memory_mb = settings.pdf_memory_mb
    command = serve_command(WORKER_MODULE, memory_mb)
    request = {"job": job, "path": str(Path(path).resolve()), "options": options or {}}
    stops = 0
    fresh = False
    while True:
        outcome = POOL.run(command, _PROJECT_ROOT, request, timeout, fresh=fresh)
        if outcome.timed_out:
            raise DocumentLoadError(path, timeout_reason or about(label, f"解析超时（{timeout:g} 秒）"))
        result = outcome.result or {}
        if result.get("ok"):
            return result
        # A memory failure or a death in a child that served other files first may be that
        # child's history, not this file: the file gets one fresh child's verdict.
        history_may_matter = outcome.result is None or bool(result.get("memory"))
        if history_may_matter and not outcome.fresh and not fresh:
            fresh = True
            continue
        # SIGTERM never comes from the file: a parser does not send it to itself and this parent
        # kills with SIGKILL. It comes from outside (a service manager, a memory watchdog on a
        # loaded machine, seen once in CI), so the file deserves one more try.
        if outcome.returncode == -signal.SIGTERM:
            stops += 1
            if stops < EXTERNAL_STOP_ATTEMPTS:
                fresh = True
                continue
        break
    if result.get("reason"):
        raise DocumentLoadError(path, str(result["reason"]))
    if outcome.malformed:
        raise DocumentLoadError(path, about(label, "解析进程返回了无法识别的结果（不是 JSON），已终止该进程"))
    returncode = outcome.returncode if outcome.returncode is not None else -signal.SIGKILL
    raise DocumentLoadError(path, child_failure_reason(label, returncode, outcome.stderr, memory_mb))


def shutdown_workers() -> None:
    """Stop the idle parser children (they are started again on the next file)."""
    from assistant.components.loaders.worker_pool import POOL

    POOL.shutdown()


def child_failure_reason(label: str, returncode: int, stderr: bytes, memory_mb: int) -> str:
    """Why a child ended without an answer, in words a user can act on."""
    text = stderr.decode("utf-8", "replace").lower()
    out_of_memory = any(marker in text for marker in ALLOCATION_MARKERS)
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"信号 {-returncode}"
        if out_of_memory:
            return about(label, f"解析超过内存上限 {memory_mb} MB，解析进程已终止（{name}）")
        if -returncode == signal.SIGKILL:
            return about(
                label, f"解析进程被强制终止（{name}），可能超过内存上限 {memory_mb} MB 或系统内存不足"
            )
        if -returncode == signal.SIGTERM:
            return about(label, f"解析进程被外部终止（{name}），与文件内容无关，请稍后重试")
        return about(label, f"解析进程崩溃（{name}），文件可能已损坏或结构异常")
    if out_of_memory:
        return about(label, f"解析超过内存上限 {memory_mb} MB")
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1][:160] if lines else f"退出码 {returncode}，无输出"
    return about(label, f"解析失败：{detail}")


def encode_extra(value: object) -> object:
    """``json.dumps`` hook for the few non-JSON values results carry (YAML dates in front matter)."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def decode_result(payload: bytes) -> dict[str, Any]:
    """The child's JSON answer with tagged dates restored.

    Raises ``ValueError`` when the line is not a JSON object (the child printed something else).
    """
    result = json.loads(payload.decode("utf-8"), object_hook=_restore_dates)
    if not isinstance(result, dict):
        raise ValueError("the answer is not a JSON object")
    return result


def _restore_dates(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        try:
            if "$datetime" in obj:
                return dt.datetime.fromisoformat(obj["$datetime"])
            if "$date" in obj:
                return dt.date.fromisoformat(obj["$date"])
        except (TypeError, ValueError):
            return obj
    return obj
