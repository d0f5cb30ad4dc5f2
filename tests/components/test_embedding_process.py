"""Embedding in a child process during large ingests: the child's vectors are the in-process
ones bit for bit, a small run never starts it, a failed child never fails a file, and ingest
stops it at the end of every run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.components import embedding_process
from assistant.components.embedding_process import ChildProcessEmbeddings
from assistant.components.embeddings import UseMultilingualEmbeddings
from assistant.factory import build_assistant
from assistant.settings import load_settings

TEXTS = [f"第{n}条 台风预警发布后，居委会应当逐户通知独居老人，并检查第{n}号楼的排水。" for n in range(1, 41)]


def _until_child_answers(embedder: ChildProcessEmbeddings, texts: list[str]) -> list[list[float]]:
    """Embed ``texts`` once the child is ready (it loads its model while the parent works on)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = embedder.child_texts
        vectors = embedder.embed_documents(texts)
        if embedder.child_texts > before:
            return vectors
        time.sleep(0.2)
    pytest.fail("the embedding child never became ready")


def test_child_vectors_equal_in_process_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding_process, "CHILD_AFTER_TEXTS", 4)
    in_process = UseMultilingualEmbeddings()
    embedder = ChildProcessEmbeddings("use-multilingual", 64, in_process)
    try:
        first = embedder.embed_documents(TEXTS[:4])  # in process: the run is still small
        assert embedder.child_texts == 0
        from_child = _until_child_answers(embedder, TEXTS)
        assert from_child == in_process.embed_documents(TEXTS)  # bit for bit
        assert first == in_process.embed_documents(TEXTS[:4])
        child = embedder._child
        assert child is not None and child.poll() is None
    finally:
        embedder.close()
    assert child.poll() is not None  # closing the run stopped the child
    assert embedder._child is None


def test_a_small_run_never_starts_a_child() -> None:
    embedder = ChildProcessEmbeddings("use-multilingual", 64, UseMultilingualEmbeddings())
    try:
        embedder.embed_documents(TEXTS)
        assert embedder._child is None and embedder.child_texts == 0
    finally:
        embedder.close()


def test_a_child_that_cannot_start_leaves_the_run_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(embedding_process, "CHILD_AFTER_TEXTS", 4)
    in_process = UseMultilingualEmbeddings()
    embedder = ChildProcessEmbeddings("no-such-model", 64, in_process)  # the child's import fails
    try:
        embedder.embed_documents(TEXTS[:4])
        assert embedder._child is None  # 4 texts so far: the next call starts the child
        embedder.embed_documents(TEXTS[:4])
        child = embedder._child
        assert child is not None
        child.wait(timeout=60)  # it dies while loading
        vectors = embedder.embed_documents(TEXTS)
        assert vectors == in_process.embed_documents(TEXTS)
        assert embedder.child_texts == 0
        assert "向量化子进程不可用" in capsys.readouterr().err
    finally:
        embedder.close()


@pytest.mark.slow
def test_ingest_through_the_child_stores_the_same_vectors_and_stops_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(6):
        lines = [f"第{k}条 {n}号预案：预警后有关单位{k}小时内组织第{k}项检查。" for k in range(1, 16)]
        text = f"# 应急预案{n}\n\n" + "\n\n".join(lines) + "\n"
        (docs / f"预案{n:02d}.md").write_text(text, encoding="utf-8")

    def ingest(index: str, in_child: bool) -> tuple[dict[str, list[float]], int]:
        # the child serves USE only, and the vector cache would answer the second run
        assistant = build_assistant(
            load_settings(
                index_dir=tmp_path / index,
                ingest_embed_process=in_child,
                embedding_model="use-multilingual",
                embedding_cache=False,
            )
        )
        embedder = assistant.ingest_service.embeddings
        child = None
        if in_child:
            assert isinstance(embedder, ChildProcessEmbeddings)
            assert embedder.start_child(wait_s=60), "the embedding child did not start"
            child = embedder._child
        report = assistant.ingest_service.ingest([docs])
        assert not report.failed, report.failed
        if child is not None:
            assert child.poll() is not None and embedder._child is None  # stopped with the run
        got = assistant.store._open().get(include=["embeddings"])
        vectors = {i: [float(x) for x in v] for i, v in zip(got["ids"], got["embeddings"], strict=True)}
        return vectors, int(getattr(embedder, "child_texts", 0))

    with_child, child_texts = ingest("child", True)
    in_process, _ = ingest("inprocess", False)
    assert child_texts == len(with_child) >= 6  # every chunk was embedded by the child
    assert with_child == in_process


def test_a_child_that_stops_answering_is_killed_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(embedding_process, "ANSWER_TIMEOUT_S", 1.0)
    in_process = UseMultilingualEmbeddings()
    embedder = ChildProcessEmbeddings("use-multilingual", 64, in_process)
    embedder.child_module = "tests.components.hanging_embedder"
    try:
        assert embedder.start_child(wait_s=30)
        child = embedder._child
        assert child is not None
        started = time.monotonic()
        vectors = embedder.embed_documents(TEXTS)
        assert time.monotonic() - started < 30  # bounded by the answer timeout, not by the child
        assert vectors == in_process.embed_documents(TEXTS)
        assert child.wait(timeout=10) is not None  # killed
        assert "向量化子进程不可用" in capsys.readouterr().err
        assert embedder.embed_documents(TEXTS[:2]) == in_process.embed_documents(TEXTS[:2])
    finally:
        embedder.close()
