"""What one app replica needs behind a load balancer: a health route and a generation poller.

``GET /healthz`` answers outside Gradio's queue (a plain Starlette route), so a load balancer
or monitor gets an answer even while every answering slot is busy. It reports whether this
process is ready (models loaded, index loaded), the index generation it serves and the one
the shared manifest has reached; 503 until ready, so a starting replica is not sent traffic.

The poller moves a replica to a new index generation between requests: every
``generation_poll_s`` seconds a background thread asks the lexical index keeper for the
current index, which loads the newly published generation while requests keep using the one
they started with (the keeper replaces its index by reference). Without it a replica would
only notice a new generation on its next question, and that question would wait for the load.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from assistant.factory import Assistant

log = logging.getLogger(__name__)


class Readiness:
    """Set once the process has loaded its models and index (``app.py`` after ``prepare``)."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self.started_at = time.time()

    def mark_ready(self) -> None:
        self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()


def health_report(assistant: Assistant, readiness: Readiness) -> tuple[int, dict[str, Any]]:
    """HTTP status and body of ``/healthz``; never raises (a broken manifest is a 503, not a 500)."""
    body: dict[str, Any] = {
        "status": "starting",
        "replica": f"{socket.gethostname()}:{os.getpid()}",
        "embedder": assistant.settings.embedding_model,
        "model_loaded": readiness.ready,
        "uptime_s": round(time.time() - readiness.started_at, 1),
    }
    if not readiness.ready:
        return 503, body
    try:
        served = assistant.lexical_keeper.current()
        body["index_generation"] = served.generation
        body["manifest_generation"] = assistant.manifest.generation()
        body["chunks"] = len(served)
        body["lexical_source"] = assistant.lexical_keeper.source
    except Exception as exc:  # any failure here means "do not route to me"
        log.warning("health check failed: %s", exc)
        body.update(status="error", error=f"{type(exc).__name__}: {exc}"[:300])
        return 503, body
    body["status"] = "ok"
    return 200, body


def health_route(assistant: Assistant, readiness: Readiness) -> Route:
    """The ``/healthz`` route for the web app's FastAPI ``routes``."""

    def healthz(request: Request) -> JSONResponse:
        status, body = health_report(assistant, readiness)
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return Route("/healthz", healthz, methods=["GET"])


class GenerationPoller:
    """A daemon thread calling ``refresh`` every ``interval_s`` seconds until stopped."""

    def __init__(self, refresh: Callable[[], object], interval_s: float) -> None:
        self.refresh = refresh
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval_s <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="generation-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self.interval_s):
            try:
                self.refresh()
                failing = False
            except Exception as exc:  # keep serving the index we have
                if not failing:
                    log.warning("could not refresh the index generation: %s", exc)
                failing = True
