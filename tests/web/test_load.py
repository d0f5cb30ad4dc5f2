"""Load on loopback: 8 concurrent gradio_client clients × 5 questions each against the running app.

Bounded and self-stopping (40 requests, a per-request timeout, a join timeout). It asserts
that no request fails and prints p50/p95 latency (also written to tests/artifacts/load.txt);
the figures are reported, not asserted — speed targets live in benchmarks, not tests.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import pytest
from gradio_client import Client

from tests.web.conftest import VIEWER, RunningApp

pytestmark = pytest.mark.slow

CLIENTS = 8
QUESTIONS = [
    ("燃气泄漏了怎么办？", "resident"),
    ("被困在电梯里怎么办？", "resident"),
    ("台风红色预警时居委会要做什么？", "staff"),
    ("防汛工作由哪个部门负责？", "department"),
    ("高层住宅着火能坐电梯逃生吗？", "resident"),
]
REQUEST_TIMEOUT_S = 120


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_eight_concurrent_clients_get_every_answer(
    web_app: RunningApp, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def worker(n: int) -> None:
        try:
            client = Client(web_app.url, auth=VIEWER, verbose=False)
            start.wait(timeout=60)
            for i in range(len(QUESTIONS)):
                question, audience = QUESTIONS[(n + i) % len(QUESTIONS)]
                began = time.perf_counter()
                job = client.submit(question, audience, [], api_name="/ask")
                result = job.result(timeout=REQUEST_TIMEOUT_S)
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)
                    if not isinstance(result, dict) or "answer" not in result:
                        errors.append(f"client {n}: unexpected result {result!r:.100}")
        except Exception as exc:  # every failure is collected and fails the test below
            with lock:
                errors.append(f"client {n}: {type(exc).__name__}: {exc}")

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_S * len(QUESTIONS))
    wall = time.perf_counter() - began

    assert not any(t.is_alive() for t in threads), "load test did not finish in time"
    assert not errors, errors
    assert len(latencies) == CLIENTS * len(QUESTIONS)
    report = (
        f"load: {CLIENTS} clients x {len(QUESTIONS)} questions = {len(latencies)} requests, 0 errors, "
        f"wall {wall:.1f} s, throughput {len(latencies) / wall:.2f} req/s; "
        f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    (artifacts / "load.txt").write_text(report + "\n", encoding="utf-8")
    with capsys.disabled():
        print("\n" + report)
