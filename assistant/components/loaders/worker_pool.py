"""Long-lived parser children: one sandbox child serves many files, one at a time.

Why: starting ``python -m …worker`` costs ~0.15 s of CPU per file (interpreter, imports). An
ingest of 130 files spent ~20 CPU-seconds on start-ups, on the same two cores the embedder
needs, which made ingest ~1.4× the embedder alone (issue 15). A child that stays up keeps the
isolation that matters — the parser runs in another process, under the same address-space
limit, and is killed on timeout — and pays the start-up once.

What a reused child could change is guarded:

* a failure that a child's history could cause (out of memory, a crash, no answer) in a child
  that has served before is retried once in a fresh child, so a file gets the verdict a fresh
  child gives;
* a child is retired after a memory failure, a timeout, :data:`MAX_JOBS` files, or when its RSS
  passes :data:`MAX_IDLE_RSS_MB` (Python keeps freed arenas; a big file must not leave the next
  one with less room under the limit);
* requests and answers are one JSON line each over pipes; stderr goes to a temporary file so a
  chatty parser can never block on a full pipe, and the failure reason reads only the lines
  written during that file's job.

Children exit by themselves when the parent goes (their stdin closes).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: Files one child serves before it is replaced.
MAX_JOBS = 200
#: A child whose resident memory exceeds this after a job is replaced.
MAX_IDLE_RSS_MB = 400
_READ_CHUNK = 1 << 20


@dataclass
class Outcome:
    """What happened to one job: ``result`` (the child's JSON answer) or why there is none."""

    result: dict[str, Any] | None
    timed_out: bool = False
    returncode: int | None = None  # set when the child died
    stderr: bytes = b""
    fresh: bool = True  # the child had served no file before this one
    malformed: bool = False  # the child answered with a line that is not a JSON object


class WorkerProcess:
    """One sandbox child in serve mode."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        # held for the child's life and closed in close(): no context manager fits
        self._stderr: IO[bytes] = tempfile.TemporaryFile(prefix="parser-stderr-")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self.jobs_done = 0
        self._buffer = b""

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, request: dict[str, Any], timeout_s: float) -> Outcome:
        """Send one request and wait up to ``timeout_s`` for its answer line."""
        fresh = self.jobs_done == 0
        self.jobs_done += 1
        stderr_start = self._stderr.seek(0, os.SEEK_END)
        line = json.dumps(request, ensure_ascii=False).encode("utf-8") + b"\n"
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(line)
            stdin.flush()
        except (BrokenPipeError, OSError):
            return self._died(stderr_start, fresh)
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    self.kill()
                    return Outcome(None, timed_out=True, fresh=fresh)
                chunk = os.read(stdout.fileno(), _READ_CHUNK)
                if not chunk:
                    return self._died(stderr_start, fresh)
                self._buffer += chunk
        answer, self._buffer = self._buffer.split(b"\n", 1)
        from assistant.components.loaders.sandbox import decode_result

        try:
            result = decode_result(answer)
        except ValueError:
            stderr = self._stderr_since(stderr_start)
            self.kill()
            return Outcome(None, stderr=stderr, fresh=fresh, malformed=True)
        return Outcome(result, stderr=self._stderr_since(stderr_start), fresh=fresh)

    def rss_mb(self) -> float:
        try:
            for row in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if row.startswith("VmRSS:"):
                    return int(row.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        return 0.0

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.close()

    def close(self) -> None:
        """Stop the child (closing stdin ends it; kill if it lingers) and reap it."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def _died(self, stderr_start: int, fresh: bool) -> Outcome:
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            returncode = self.process.wait()
        stderr = self._stderr_since(stderr_start)
        self.close()
        return Outcome(None, returncode=returncode, stderr=stderr, fresh=fresh)

    def _stderr_since(self, start: int) -> bytes:
        if self._stderr.closed:
            return b""
        self._stderr.seek(start)
        data = self._stderr.read(64 * 1024)
        self._stderr.seek(0, os.SEEK_END)
        return data


class WorkerPool:
    """One idle child per command line (module and memory limit), shared by the threads of a
    process; a job holds the child alone for its duration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, ...], list[WorkerProcess]] = {}

    def run(
        self, command: list[str], cwd: Path, request: dict[str, Any], timeout_s: float, fresh: bool = False
    ) -> Outcome:
        """Run ``request`` in an idle child for ``command`` (a new one when ``fresh``)."""
        key = tuple(command)
        worker = None if fresh else self._take(key)
        if worker is None:
            worker = WorkerProcess(command, cwd)
        outcome = worker.run(request, timeout_s)
        if outcome.result is not None and self._reusable(worker, outcome):
            with self._lock:
                self._idle.setdefault(key, []).append(worker)
        elif worker.alive():
            worker.kill()
        return outcome

    def live_pids(self) -> list[int]:
        """Pids of the idle children (for tests and diagnostics)."""
        with self._lock:
            return [w.pid for workers in self._idle.values() for w in workers if w.alive()]

    def shutdown(self) -> None:
        """Stop every idle child (a bench that reads children's peak RSS, process exit)."""
        with self._lock:
            workers = [w for group in self._idle.values() for w in group]
            self._idle.clear()
        for worker in workers:
            worker.close()

    def _take(self, key: tuple[str, ...]) -> WorkerProcess | None:
        with self._lock:
            group = self._idle.get(key, [])
            while group:
                worker = group.pop()
                if worker.alive():
                    return worker
                worker.close()
        return None

    @staticmethod
    def _reusable(worker: WorkerProcess, outcome: Outcome) -> bool:
        result = outcome.result or {}
        if not result.get("ok") and result.get("memory"):
            return False
        return worker.jobs_done < MAX_JOBS and worker.rss_mb() <= MAX_IDLE_RSS_MB


POOL = WorkerPool()
atexit.register(POOL.shutdown)


def serve_command(module: str, memory_mb: int) -> list[str]:
    """The command line of a serving child."""
    return [sys.executable, "-m", module, "--serve", "--memory-mb", str(memory_mb)]
