"""Exact in-memory dense search: Chroma's scores and order, masks, and rebuilding per index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.components.dense_matrix import DenseMatrix
from assistant.factory import build_assistant
from assistant.settings import load_settings
from tests.services.conftest import GUIDE, REGULATION


def test_best_first_ties_by_id_and_mask() -> None:
    vectors = np.array([[1, 0], [0, 1], [1, 0], [0.6, 0.8]], dtype=np.float32)
    matrix = DenseMatrix(["d", "a", "b", "c"], vectors)
    assert matrix.top([1, 0], 3) == [(2, 1.0), (0, 1.0), (3, 0.6)]  # "b" before "d" at equal score
    mask = np.array([True, True, False, True])
    assert [row for row, _ in matrix.top([1, 0], 2, mask)] == [0, 3]
    assert matrix.top([1, 0], 10) == sorted(matrix.top([1, 0], 10), key=lambda x: (-x[1], matrix.ids[x[0]]))
    assert len(matrix.top([1, 0], 10)) == 4
    assert matrix.top([0, 0], 3) == [] and matrix.top([1, 0], 0) == []
    assert matrix.top([1, 0], 2, np.zeros(4, dtype=bool)) == []


def test_vectors_are_normalised_and_incomplete_stores_give_none() -> None:
    matrix = DenseMatrix.from_vectors(["a", "b"], {"a": [3.0, 4.0], "b": [0.0, 2.0]})
    assert matrix is not None
    assert matrix.top([3.0, 4.0], 1) == [(0, 1.0)]
    assert DenseMatrix.from_vectors(["a", "b"], {"a": [1.0, 0.0]}) is None  # a vector is missing
    assert DenseMatrix.from_vectors(["a", "b"], {"a": [1.0], "b": [1.0, 0.0]}) is None
    with pytest.raises(ValueError):
        DenseMatrix(["a"], np.zeros((2, 2), dtype=np.float32))


@pytest.mark.slow
def test_retrieval_matches_chroma_and_follows_the_index(tmp_path: Path) -> None:
    sample_docs = tmp_path / "docs"
    sample_docs.mkdir()
    (sample_docs / "上海市社区防灾示例条例.md").write_text(REGULATION, encoding="utf-8")
    (sample_docs / "home-fire.md").write_text(GUIDE, encoding="utf-8")
    index = tmp_path / "index"
    assistant = build_assistant(load_settings(index_dir=index, data_dir=tmp_path / "data"))
    assistant.ingest_service.ingest([sample_docs])
    retriever, lexical = assistant.retriever, assistant.retriever.lexical
    matrix = retriever._dense_matrix(lexical)
    assert matrix is not None and len(matrix) == len(lexical)
    for question in ("台风红色预警居委会要做什么", "燃气泄漏怎么办", "楼道里能给电瓶车充电吗"):
        vector = assistant.embeddings.embed_query(question)
        exact = [(lexical.chunks[row].id, score) for row, score in matrix.top(vector, len(lexical))]
        chroma = [(hit.chunk.id, hit.score) for hit in assistant.store.query(vector, len(lexical))]
        assert [cid for cid, _ in exact] == [cid for cid, _ in chroma]  # a few chunks: HNSW is exact
        assert all(abs(a - b) < 2e-6 for (_, a), (_, b) in zip(exact, chroma, strict=True))
    # a new document: a new index generation, and the matrix follows it
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.md").write_text(
        "# 高温提示\n\n高温天气时居民应当减少午后外出，多喝水。\n", encoding="utf-8"
    )
    assistant.ingest_service.ingest([sample_docs, extra])
    fresh = build_assistant(load_settings(index_dir=index, data_dir=tmp_path / "data")).retriever
    new_lexical = fresh.lexical
    new_matrix = fresh._dense_matrix(new_lexical)
    assert new_matrix is not None and len(new_matrix) == len(new_lexical) > len(matrix)
    found = fresh.retrieve("高温天气居民要注意什么", k=3, audience="resident")
    assert found.items and found.items[0].chunk.metadata.get("file") == "note.md"


def test_a_handed_over_matrix_is_normalised_in_place_with_the_same_scores() -> None:
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(50, 8)).astype(np.float32)
    raw[7] = 0.0  # a zero vector stays zero
    ids = [f"c{i:02d}" for i in range(50)]
    copied = DenseMatrix(ids, raw.copy())
    owned = raw.copy()
    taken = DenseMatrix.from_matrix(ids, owned)
    assert taken is not None and taken.vectors is owned  # no second copy
    assert np.array_equal(taken.vectors, copied.vectors)
    for query in rng.normal(size=(5, 8)):
        assert taken.top(query.tolist(), 10) == copied.top(query.tolist(), 10)
    assert DenseMatrix.from_matrix(ids, None) is None
    assert DenseMatrix.from_matrix(ids[:3], owned) is None
