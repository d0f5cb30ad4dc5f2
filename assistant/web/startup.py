"""Before the app serves: bring the index up to date and load every model once.

The ingest is incremental (unchanged files are hashed, not parsed or embedded), so running it
at every start costs about a second and guarantees the index is never older than
``corpus/``. Uploaded documents (``data_dir/uploads``) are re-scanned with the pack so a file
replaced on disk is picked up too. Afterwards the embedder, jieba and BM25 are loaded and
every lazily built service is created here, in one thread, so that concurrent requests
never race to build them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from assistant.factory import Assistant
from assistant.services.uploads import recover_staged_uploads


def _printer(out: TextIO) -> Callable[[int, int, str], None]:
    def progress(done: int, total: int, name: str) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "█" * filled + "·" * (width - filled)
        out.write(f"\r索引 [{bar}] {done}/{total} {Path(name).name[:40]:<40}")
        out.flush()
        if done == total:
            out.write("\n")

    return progress


def prepare(assistant: Assistant, out: TextIO = sys.stderr, *, ingest: bool = True) -> None:
    """Update the index from ``corpus/`` (and uploads), then warm up; progress goes to ``out``.

    ``ingest=False`` (a replica, ``RESILIENCE_INGEST_ON_START=false``) only loads: the ingest
    worker is the one writer of a shared index.
    """
    if ingest:
        _update_index(assistant, out)
    else:
        out.write("只读副本：跳过索引更新，加载当前已发布的索引…\n")
    _warm_up(assistant, out)


def _update_index(assistant: Assistant, out: TextIO) -> None:
    settings = assistant.settings
    folders = [settings.corpus_dir]
    uploads = settings.data_dir / "uploads"
    if uploads.is_dir():
        for name in recover_staged_uploads(uploads):
            out.write(f"上传 {name} 未完成，已恢复此前的版本。\n")
        folders.append(uploads)
    started = time.perf_counter()
    out.write(f"检查索引 {settings.index_dir} …\n")
    report = assistant.ingest_service.ingest(folders, prune=True, progress=_printer(out))
    changed = [r for r in report.files if r.status in ("added", "updated", "removed")]
    for failed in report.failed:
        out.write(f"  未能索引 {failed.file}：{failed.reason}\n")
    out.write(
        f"索引就绪：{report.total_chunks} 个片段，本次更新 {len(changed)} 个文件，"
        f"耗时 {time.perf_counter() - started:.1f} 秒。\n"
    )


def _warm_up(assistant: Assistant, out: TextIO) -> None:
    started = time.perf_counter()
    assistant.warm_up()
    # Build every lazily created service now, in this one thread (cached_property is not a lock).
    _ = assistant.answer_service, assistant.assessor, assistant.retriever
    assistant.assessor.checklists()
    out.write(f"模型已加载（{time.perf_counter() - started:.1f} 秒）。\n")
    out.flush()
