"""``bench serve``: answers per second and latency through nginx over 1 or more replicas.

Starts the deployment of ``deploy/`` on loopback (:class:`LocalDeployment`: Chroma server, one
ingest run, N read-only replicas, nginx), then for each client count sends the dev set's
questions to ``POST /v1/chat/completions`` through nginx from that many threads for a fixed
time and reports throughput, p50/p95 and errors. Everything runs on this machine, the load
generator included, so on 2 cores a second replica competes with the first for the same CPU:
the figure it gives is the per-machine ceiling, not how replicas on separate machines scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from assistant.cli.bench_query import DEVSET
from assistant.cli.local_deployment import DeploymentError, LocalDeployment, find_nginx
from assistant.settings import PROJECT_ROOT

AUDIENCE_MODELS = {"resident": "resilience-resident", "staff": "resilience-staff"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--replicas", type=int, default=1, choices=range(1, 9), help="副本数（默认 1）")
    parser.add_argument("--clients", default="8,16,32", help="并发客户端数，逗号分隔（默认 8,16,32）")
    parser.add_argument("--seconds", type=float, default=20.0, help="每档并发的持续秒数（默认 20）")
    parser.add_argument(
        "--corpus", type=Path, action="append", help="建索引的文件夹（可重复；默认项目的 corpus/）"
    )
    parser.add_argument("--questions", type=Path, default=DEVSET, help="问题集 JSONL（默认开发集）")
    parser.add_argument("--manifest-url", help="共享清单的 PostgreSQL 地址（默认：同机共享 SQLite）")


def _questions(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["q"], AUDIENCE_MODELS.get(row.get("audience", "staff"), "resilience-staff")) for row in rows]


def _load(url: str, questions: list[tuple[str, str]], clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.monotonic() < deadline:
            question, model = questions[i % len(questions)]
            i += clients
            body = json.dumps({"model": model, "messages": [{"role": "user", "content": question}]})
            request = urllib.request.Request(
                url, data=body.encode("utf-8"), headers={"Content-Type": "application/json"}
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as reply:
                    reply.read()
                with lock:
                    latencies.append(time.perf_counter() - started)
            except (urllib.error.URLError, OSError) as exc:
                with lock:
                    errors.append(str(exc)[:120])

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 180)
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3) if ordered else 0.0

    return {
        "clients": clients,
        "answers": len(latencies),
        "errors": len(errors),
        "answers_per_s": round(len(latencies) / elapsed, 2),
        "p50_s": round(statistics.median(ordered), 3) if ordered else 0.0,
        "p95_s": percentile(0.95),
        "first_error": errors[0] if errors else "",
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.cli.bench_cmd import BenchError, peak_rss_mb

    if find_nginx() is None:
        raise BenchError("未找到 nginx：请先安装 Debian 的 nginx-light（make test 会自动安装）")
    levels = [int(part) for part in str(args.clients).split(",") if part.strip()]
    questions = _questions(args.questions)
    corpus = args.corpus or [PROJECT_ROOT / "corpus"]
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        try:
            with LocalDeployment(Path(tmp), manifest_url=args.manifest_url) as deployment:
                deployment.start_chroma()
                report = deployment.ingest(*corpus)
                for number in range(1, args.replicas + 1):
                    deployment.start_replica(number)
                deployment.start_nginx()
                url = deployment.url + "/v1/chat/completions"
                _load(url, questions, min(levels), 5.0)  # warm-up: caches, first touches
                rows = [_load(url, questions, clients, args.seconds) for clients in levels]
                rss = {name: _rss_mb(p.popen.pid) for name, p in deployment.replicas.items()}
        except DeploymentError as exc:
            raise BenchError(str(exc)) from exc
    return {
        "replicas": args.replicas,
        "chunks": report.get("total_chunks"),
        "seconds_per_level": args.seconds,
        "levels": rows,
        "replica_rss_mb": rss,
        "bench_process_peak_rss_mb": round(peak_rss_mb(), 1),
    }


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0
