"""``/healthz`` and the generation poller of a replica (assistant/web/replica.py), on a real index."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from assistant.factory import Assistant, build_assistant
from assistant.settings import load_settings
from assistant.web.replica import GenerationPoller, Readiness, health_report, health_route

GUIDE = """# 暴雨内涝避险示例

## 先做什么

暴雨红色预警时不要进入地下车库和下穿立交，已被困的立即向高处转移。
"""


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rain.md").write_text(GUIDE, encoding="utf-8")
    built = build_assistant(load_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data"))
    assert built.ingest_service.ingest([docs]).total_chunks > 0
    return built


def test_a_replica_is_not_ready_until_marked(assistant: Assistant) -> None:
    readiness = Readiness()
    status, body = health_report(assistant, readiness)
    assert (status, body["status"], body["model_loaded"]) == (503, "starting", False)
    assert "index_generation" not in body

    readiness.mark_ready()
    status, body = health_report(assistant, readiness)
    assert status == 200 and body["status"] == "ok"
    assert body["index_generation"] == body["manifest_generation"] == assistant.manifest.generation()
    assert body["chunks"] == assistant.store.count()


def test_the_route_says_503_when_the_manifest_is_unreadable(assistant: Assistant, tmp_path: Path) -> None:
    readiness = Readiness()
    readiness.mark_ready()
    client = TestClient(Starlette(routes=[health_route(assistant, readiness)]))
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"

    assistant.manifest.path.write_bytes(b"this is not a database" * 100)
    reply = client.get("/healthz")
    assert reply.status_code == 503
    assert reply.json()["status"] == "error" and "DatabaseError" in reply.json()["error"]


def test_the_poller_refreshes_until_stopped_and_survives_failures() -> None:
    calls: list[float] = []
    failed_once = threading.Event()

    def refresh() -> None:
        calls.append(time.monotonic())
        if not failed_once.is_set():
            failed_once.set()
            raise RuntimeError("manifest briefly unreachable")

    poller = GenerationPoller(refresh, interval_s=0.05)
    poller.start()
    deadline = time.monotonic() + 5
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    poller.stop()
    assert len(calls) >= 4  # kept polling after the failure
    settled = len(calls)
    time.sleep(0.2)
    assert len(calls) == settled  # and stopped


def test_a_zero_interval_starts_no_thread() -> None:
    poller = GenerationPoller(lambda: None, interval_s=0)
    poller.start()
    assert poller._thread is None
