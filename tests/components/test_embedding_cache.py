"""The on-disk vector cache (components/embedding_cache.py) over the real bundled USE embedder."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from assistant.components.embedding_cache import CachedEmbeddings
from assistant.components.embeddings import make_embeddings
from assistant.factory import build_assistant
from assistant.settings import load_settings

TEXTS = [
    "发现燃气泄漏，先关阀门、开窗通风，不要开关电器。",
    "台风红色预警时，居民应留在室内。",
    "电梯困人，按警铃求助。",
]


@pytest.fixture(scope="module")
def use_model():  # type: ignore[no-untyped-def]
    return make_embeddings("use-multilingual")


def _float32(vectors: list[list[float]]) -> list[list[float]]:
    return np.asarray(vectors, dtype="<f4").astype(float).tolist()


def test_cached_vectors_are_the_model_s_and_a_second_run_embeds_nothing(use_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cache" / "use.sqlite"
    first = CachedEmbeddings(use_model, "use-multilingual", path)
    vectors = first.embed_documents(TEXTS)
    assert vectors == _float32(use_model.embed_documents(TEXTS))  # the index stores float32 too
    assert (first.embedded, first.reused) == (3, 0)
    first.close()

    again = CachedEmbeddings(use_model, "use-multilingual", path)
    assert again.embed_documents(TEXTS) == vectors
    assert (again.embedded, again.reused) == (0, 3)
    mixed = again.embed_documents([TEXTS[1], "暴雨天不要在地下车库停留。", TEXTS[1]])
    assert (again.embedded, again.reused) == (1, 5)
    assert mixed[0] == mixed[2] == vectors[1]
    assert again.embed_query(TEXTS[0]) == use_model.embed_query(TEXTS[0])


def test_a_vector_is_reused_only_for_the_same_model(use_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "shared.sqlite"
    CachedEmbeddings(use_model, "use-multilingual", path).embed_documents(TEXTS)
    other = CachedEmbeddings(use_model, "another-model", path)
    other.embed_documents(TEXTS)
    assert (other.embedded, other.reused) == (3, 0)


def test_a_damaged_cache_is_skipped_with_a_warning(
    use_model,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = CachedEmbeddings(use_model, "use-multilingual", path)
    with caplog.at_level(logging.WARNING):
        vectors = cache.embed_documents(TEXTS)
    assert vectors == _float32(use_model.embed_documents(TEXTS))
    assert "向量缓存不可用" in caplog.text and str(path) in caplog.text
    assert path.read_bytes().startswith(b"this is not a database")  # left as it was


def test_a_second_index_of_the_same_files_reuses_the_vectors(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(TEXTS):
        (docs / f"guide-{i}.md").write_text(f"# 指南{i}\n\n{text}\n", encoding="utf-8")
    cache_dir = tmp_path / "cache"
    first = build_assistant(load_settings(index_dir=tmp_path / "a", embedding_cache_dir=cache_dir))
    report = first.ingest_service.ingest([docs])
    assert report.embedded_chunks >= 3 and not report.failed
    second = build_assistant(load_settings(index_dir=tmp_path / "b", embedding_cache_dir=cache_dir))
    embedder = second.ingest_service.embeddings
    assert isinstance(embedder, CachedEmbeddings)
    again = second.ingest_service.ingest([docs])
    assert again.embedded_chunks == report.embedded_chunks and embedder.embedded == 0
    assert embedder.reused == report.embedded_chunks
    hits = second.retriever.retrieve("燃气泄漏怎么办", k=1).items
    assert hits and "燃气" in hits[0].chunk.text
    off = build_assistant(load_settings(index_dir=tmp_path / "c", embedding_cache=False))
    assert not isinstance(off.ingest_service.embeddings, CachedEmbeddings)
