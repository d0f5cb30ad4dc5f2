"""One writer at a time for a local index.

Chroma's embedded ``PersistentClient`` and our manifest are not safe with two processes
writing at once (the CLI ingesting while the web app accepts an upload, say). Every write to a
local index therefore holds an exclusive OS-level lock on ``index_dir/.write.lock`` for its
whole duration. A second writer waits up to ``lock_timeout_s`` and then fails clearly; several
writing processes should use Chroma's server mode instead.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Protocol

from filelock import FileLock, Timeout

LOCK_FILE = ".write.lock"
WAITING_MESSAGE = "另一个进程正在写入索引，等待中…"

log = logging.getLogger(__name__)


class IndexBusyError(Exception):
    """Another process kept the index's write lock longer than we were willing to wait."""


class WriteLock(Protocol):
    """What ingest needs of a writer lock: this file lock, or the PostgreSQL advisory lock of a
    shared manifest (:class:`~assistant.components.manifest_postgres.PostgresIndexLock`)."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...

    def __enter__(self) -> WriteLock: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class IndexLock:
    """Exclusive inter-process write lock on a local index folder (re-entrant in one process)."""

    def __init__(
        self, index_dir: Path, timeout_s: float, notify: Callable[[str], None] | None = None
    ) -> None:
        self.path = Path(index_dir) / LOCK_FILE
        self.timeout_s = timeout_s
        self.notify = notify or _print_to_stderr
        self._lock: FileLock | None = None

    def _file_lock(self) -> FileLock:
        if self._lock is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.path))
        return self._lock

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout_s``; raise :class:`IndexBusyError` after that."""
        lock = self._file_lock()
        try:
            lock.acquire(timeout=0)
            return
        except Timeout:
            pass
        log.info(WAITING_MESSAGE)
        self.notify(WAITING_MESSAGE)
        try:
            lock.acquire(timeout=self.timeout_s)
        except Timeout as exc:
            raise IndexBusyError(
                f"索引正被另一个进程写入（{self.path.parent}，已等待 {self.timeout_s:g} 秒）；"
                "请稍后重试，或多进程部署请使用 Chroma 服务器模式（设置 RESILIENCE_CHROMA_HOST）。"
            ) from exc

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
