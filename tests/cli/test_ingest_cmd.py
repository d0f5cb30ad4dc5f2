"""``python -m assistant ingest`` / ``stats`` / ``bench``: output shapes and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from tests.services.test_ingest import write_regulation


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    write_regulation(folder, "防汛", seed=1)
    write_regulation(folder, "消防", seed=2)
    return folder


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines  # exactly one JSON object
    return dict(json.loads(lines[0]))


def test_ingest_json_then_reingest_embeds_nothing(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    assert main(["ingest", "--json", "--index", str(index), str(docs)]) == 0
    first = _json_out(capsys)
    assert set(first) == {"files", "embedded_chunks", "total_chunks", "seconds"}
    assert [row["status"] for row in first["files"]] == ["added", "added"]
    assert first["embedded_chunks"] == first["total_chunks"]

    assert main(["ingest", "--json", "--index", str(index), str(docs)]) == 0
    again = _json_out(capsys)
    assert again["embedded_chunks"] == 0 and again["total_chunks"] == first["total_chunks"]

    assert main(["stats", "--json", "--index", str(index)]) == 0
    stats = _json_out(capsys)
    assert stats["documents"] == 2 and stats["chunks"] == first["total_chunks"]
    assert stats["collection"] == "chunks__e5-small"  # the default embedder's collection
    assert stats["index_location"] == str(index / "chroma")


def test_failed_file_gives_exit_status_1_after_indexing_the_rest(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (docs / "坏文件.pdf").write_bytes(b"%PDF-1.7\n\x00\x01 not really a pdf")
    index = tmp_path / "index"
    assert main(["ingest", "--index", str(index), str(docs)]) == 1
    out = capsys.readouterr().out
    assert "失败" in out and "坏文件.pdf" in out
    assert "新增 2" in out and "失败 1" in out

    assert main(["stats", "--index", str(index)]) == 0
    assert "文档 2 个" in capsys.readouterr().out


def test_stats_of_an_absent_index_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "never-built"
    assert main(["stats", "--index", str(index)]) == 0
    assert "索引为空" in capsys.readouterr().out
    assert not index.exists()


def test_bench_ingest_without_corpus_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "ingest", "--corpus", str(tmp_path / "absent")]) == 2
    assert "找不到基准语料文件夹" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_ingest_reports_figures(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "ingest", "--json", "--corpus", str(docs)]) == 0
    figures = _json_out(capsys)
    assert figures["files"] == 2 and figures["failed_files"] == 0
    assert figures["reingest_embedded_chunks"] == 0 and figures["reingest_cli_exit_status"] == 0
    for key in ("full_ingest_seconds", "embedder_alone_seconds", "ingest_to_embedder_ratio", "peak_rss_mb"):
        assert isinstance(figures[key], float) and figures[key] > 0, key


def test_ingest_while_another_process_writes_fails_clearly(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.components.test_index_lock import _hold

    index = tmp_path / "index"
    holder = _hold(index, 30)
    monkeypatch.setenv("RESILIENCE_LOCK_TIMEOUT_S", "0.5")
    try:
        assert main(["ingest", "--index", str(index), str(docs)]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert "另一个进程正在写入索引，等待中…" in err and "请稍后重试" in err
    assert not (index / "chroma").exists()  # nothing was written
