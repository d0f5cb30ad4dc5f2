"""Stand-in parser worker for the sandbox tests: stopped from outside, like a watchdog would.

Each run appends a line to ``$STOPPED_WORKER_LOG``. It sends itself SIGTERM on its first
``$STOPPED_WORKER_STOPS`` runs and hands over to the real worker after that.
"""

from __future__ import annotations

import os
import runpy
import signal
from pathlib import Path

log = Path(os.environ["STOPPED_WORKER_LOG"])
with log.open("a", encoding="utf-8") as handle:
    handle.write("run\n")
if len(log.read_text(encoding="utf-8").splitlines()) <= int(os.environ["STOPPED_WORKER_STOPS"]):
    os.kill(os.getpid(), signal.SIGTERM)
runpy.run_module("assistant.components.loaders.worker", run_name="__main__")
