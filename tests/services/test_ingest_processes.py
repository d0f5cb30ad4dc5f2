"""Ingest across real processes: SIGKILL mid-ingest, and Chroma's server mode. Slow."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.factory import build_assistant
from assistant.settings import Settings
from tests.services.test_ingest import write_regulation

ROOT = Path(__file__).resolve().parents[2]
INSPECT = r"""
import json, sys
from pathlib import Path
from assistant.factory import build_assistant
from assistant.settings import load_settings
a = build_assistant(load_settings(index_dir=Path(sys.argv[1])))
ids = set(a.store.ids())
claimed = set()
for entry in a.manifest.entries().values():
    claimed.update(entry.chunk_ids)
hits = a.store.query(a.embeddings.embed_query(sys.argv[2]), k=3)
print(json.dumps({"ids": sorted(ids), "count": a.store.count(), "missing": sorted(claimed - ids),
                  "hits": [h.chunk.id for h in hits], "dirty": a.manifest.is_dirty()}))
"""


def _ingest_cli(index: Path, docs: Path) -> subprocess.Popen[str]:
    """``python -m assistant ingest`` writing to Chroma every ~3 files, so kills land between writes."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--json", "--index", str(index), str(docs)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RESILIENCE_INDEX_WRITE_BATCH": "100"},
    )


def _inspect(index: Path, question: str = "防汛工作应急预案") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", INSPECT, str(index), question],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def _manifest_value(index: Path, column: str) -> int:
    try:
        with sqlite3.connect(f"file:{index / 'manifest.sqlite3'}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute(f"SELECT {column} FROM generations").fetchone()
    except sqlite3.OperationalError:  # not created yet / mid-migration
        return 0
    return int(row[0]) if row else 0


def _write_corpus(docs: Path, seed: int, names: list[str]) -> None:
    for number, name in enumerate(names):
        write_regulation(docs, name, articles=30, seed=seed + number)


NAMES = ["防汛", "消防", "燃气", "电梯", "台风", "地震", "疫情", "救援", "避难", "物业", "排水", "气象"]


@pytest.mark.slow
def test_sigkill_mid_ingest_keeps_answering_and_next_run_equals_clean_build(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _write_corpus(docs, seed=1, names=NAMES)
    base = tmp_path / "base"
    first = _ingest_cli(base, docs)
    assert first.wait(timeout=600) == 0, first.stderr.read() if first.stderr else ""

    _write_corpus(docs, seed=50, names=NAMES[1:])  # 11 changed files, one unchanged
    write_regulation(docs, "新增排水", articles=30, seed=99)
    clean = tmp_path / "clean"
    assert _ingest_cli(clean, docs).wait(timeout=600) == 0
    target = _inspect(clean)

    base_generation = _manifest_value(base, "generation")
    kill_points: list[tuple[str, Callable[[Path], bool], float]] = [
        ("first write started", lambda index: _manifest_value(index, "dirty") == 1, 0.0),
        ("after the first write", lambda index: _manifest_value(index, "generation") > base_generation, 0.1),
        ("after 5 files", lambda index: _manifest_value(index, "generation") >= base_generation + 5, 0.2),
    ]
    for label, reached, delay in kill_points:
        index = tmp_path / f"kill-{label.replace(' ', '-')}"
        shutil.copytree(base, index)
        run = _ingest_cli(index, docs)
        deadline = time.monotonic() + 300
        while not reached(index):
            assert run.poll() is None, f"{label}: ingest ended before the kill point"
            assert time.monotonic() < deadline, f"{label}: kill point never reached"
            time.sleep(0.02)
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL, f"{label}: finished before the kill"

        after_kill = _inspect(index)
        assert after_kill["missing"] == [], f"{label}: chunks the manifest relies on were lost"
        assert len(after_kill["hits"]) == 3, f"{label}: the index no longer answers"

        healed = _ingest_cli(index, docs)
        assert healed.wait(timeout=600) == 0, healed.stderr.read() if healed.stderr else ""
        final = _inspect(index)
        assert final["ids"] == target["ids"], f"{label}: healed index differs from a clean build"
        assert final["count"] == target["count"] and not final["dirty"]
        assert final["hits"] == target["hits"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.fail(f"the chroma CLI is missing at {chroma}")
    port = _free_port()
    server = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "server-data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, "chroma server exited"
            assert time.monotonic() < deadline, "chroma server did not answer its heartbeat"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_server_mode_ingest_and_query(settings: Settings, tmp_path: Path, chroma_server: int) -> None:
    docs = tmp_path / "docs"
    write_regulation(docs, "防汛", seed=1)
    write_regulation(docs, "消防", seed=2)
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    assistant = build_assistant(remote)
    report = assistant.ingest_service.ingest([docs])
    assert [result.status for result in report.files] == ["added", "added"]
    assert not (remote.index_dir / "chroma").exists()  # vectors live on the server
    assert (remote.index_dir / "manifest.sqlite3").exists()  # the manifest stays local

    other_process_view = build_assistant(remote)
    assert other_process_view.store.count() == report.total_chunks > 0
    hits = other_process_view.store.query(other_process_view.embeddings.embed_query("消防工作应急预案"), k=2)
    assert len(hits) == 2 and hits[0].score > 0
    again = build_assistant(remote).ingest_service.ingest([docs])
    assert again.embedded_chunks == 0 and again.total_chunks == report.total_chunks
