"""Stand-in serving worker for the pool tests: its second file fails as a worn child might.

Each start appends ``start`` to ``$FLAKY_WORKER_LOG``. The child serves its first file with the
real parser; on its second (``$FLAKY_WORKER_FAIL_ON``, default 2) it dies by SIGKILL
(``$FLAKY_WORKER_MODE=die``), answers with a memory failure (``memory``) or prints a line that
is not JSON before its answer (``garbage``); other files are parsed normally.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from assistant.components.loaders import worker

with Path(os.environ["FLAKY_WORKER_LOG"]).open("a", encoding="utf-8") as handle:
    handle.write("start\n")
_real_run_job = worker.run_job
_served = 0


def _run_job(job: str, path: str, memory_mb: int, options: dict[str, Any]) -> dict[str, Any]:
    global _served
    _served += 1
    if _served == int(os.environ.get("FLAKY_WORKER_FAIL_ON", "2")):
        if os.environ["FLAKY_WORKER_MODE"] == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        if os.environ["FLAKY_WORKER_MODE"] == "garbage":
            sys.stdout.buffer.write(b"<<parser chatter on stdout>>\n")
            return _real_run_job(job, path, memory_mb, options)
        return {"ok": False, "memory": True, "reason": f"文本解析超过内存上限 {memory_mb} MB"}
    return _real_run_job(job, path, memory_mb, options)


worker.run_job = _run_job
sys.exit(worker.main())
