"""ChromaStore against a real persistent Chroma in a temp dir."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.components import vector_store
from assistant.components.vector_store import ChromaStore
from assistant.domain import Chunk
from assistant.settings import Settings


def _chunk(doc: str, n: int, **extra: object) -> Chunk:
    metadata: dict[str, object] = {
        "doc_id": doc,
        "title": f"文档{doc}",
        "file": f"{doc}.md",
        "doc_type": "regulation",
        "jurisdiction": "上海",
        "version_date": "2021-11-25",
        "locator": f"第{n}条",
        "hazards": ["flood", "typhoon"],
        "section_path": ["第一章 总则"],
        "page": None,
        **extra,
    }
    return Chunk(
        id=f"{doc}-{n:03d}", text=f"{doc} 正文 {n}", embed_text=f"文档{doc} 第{n}条 正文", metadata=metadata
    )


def _vector(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle), 0.0, 0.0]


def test_nothing_is_created_before_first_use(settings: Settings) -> None:
    ChromaStore(settings, "chunks__test")
    assert not settings.index_dir.exists()


def test_upsert_query_and_round_trip_metadata(settings: Settings) -> None:
    store = ChromaStore(settings, "chunks__test")
    chunks = [_chunk("a", 1), _chunk("a", 2), _chunk("b", 1, jurisdiction="北京")]
    store.upsert(chunks, [_vector(0.0), _vector(0.5), _vector(1.2)])
    assert store.count() == 3

    hits = store.query(_vector(0.1), k=2)
    assert [hit.chunk.id for hit in hits] == ["a-001", "a-002"]
    assert hits[0].score == pytest.approx(math.cos(0.1), abs=1e-4)  # cosine space: 1 - distance
    assert hits[0].chunk.metadata["hazards"] == ["flood", "typhoon"]
    assert "page" not in hits[0].chunk.metadata
    assert hits[0].chunk.embed_text == "文档a 第1条 正文"
    assert "embed_text" not in hits[0].chunk.metadata

    beijing = store.query(_vector(0.0), k=5, where={"jurisdiction": "北京"})
    assert [hit.chunk.id for hit in beijing] == ["b-001"]

    again = ChromaStore(settings, "chunks__test")  # persisted on disk
    assert again.get_chunks(ids=["b-001"])[0].text == "b 正文 1"


def test_ids_delete_and_documents(settings: Settings) -> None:
    store = ChromaStore(settings, "chunks__test")
    store.upsert([_chunk("a", 1), _chunk("a", 2), _chunk("b", 1)], [_vector(0), _vector(1), _vector(2)])
    assert store.ids_for_doc("a") == {"a-001", "a-002"}
    assert store.doc_ids() == {"a", "b"}
    docs = store.documents()
    assert [(row["doc_id"], row["chunks"], row["jurisdiction"]) for row in docs] == [
        ("a", 2, "上海"),
        ("b", 1, "上海"),
    ]
    store.delete_doc("a")
    assert store.ids() == {"b-001"}
    store.delete({"missing-id"})
    assert store.count() == 1


def test_get_chunks_pages_through_large_collections(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_store, "PAGE_SIZE", 7)  # exercise paging without 100k rows
    store = ChromaStore(settings, "chunks__test")
    chunks = [_chunk("d", n) for n in range(30)]
    store.upsert(chunks, [_vector(n / 10) for n in range(30)])
    got = store.get_chunks()
    assert [chunk.id for chunk in got] == sorted(chunk.id for chunk in chunks)
    assert len(store.get_chunks(where={"doc_id": "d"})) == 30
    assert len(store.get_chunks(ids=[chunk.id for chunk in chunks[:20]])) == 20


def test_mismatched_vectors_are_refused(settings: Settings) -> None:
    store = ChromaStore(settings, "chunks__test")
    with pytest.raises(ValueError):
        store.upsert([_chunk("a", 1)], [])


def test_collections_do_not_mix(settings: Settings) -> None:
    ChromaStore(settings, "chunks__one").upsert([_chunk("a", 1)], [_vector(0)])
    assert ChromaStore(settings, "chunks__two").count() == 0


WRITER = """
import sys
from pathlib import Path
from assistant.components.vector_store import ChromaStore
from assistant.domain import Chunk
from assistant.settings import load_settings
store = ChromaStore(load_settings(index_dir=Path(sys.argv[1])), "chunks__test")
store.upsert([Chunk("b-001", "乙", "乙", {"doc_id": "b"})], [[0.0, 1.0, 0.0, 0.0]])
"""


def test_refresh_sees_another_processes_writes(settings: Settings) -> None:
    store = ChromaStore(settings, "chunks__test")
    store.upsert([_chunk("a", 1)], [_vector(0.0)])
    assert [hit.chunk.id for hit in store.query(_vector(1.5), k=5)] == ["a-001"]
    subprocess.run(
        [sys.executable, "-c", WRITER, str(settings.index_dir)],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    store.refresh()
    assert [hit.chunk.id for hit in store.query(_vector(1.5), k=5)] == ["b-001", "a-001"]


def test_vector_matrix_is_in_the_order_asked_across_pages(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_store, "PAGE_SIZE", 2)  # several pages, each in the store's own order
    store = ChromaStore(settings, "test_vec")
    chunks = [_chunk("a", n) for n in range(5)]
    store.upsert(chunks, [_vector(n / 10) for n in range(5)])
    ids = [chunks[n].id for n in (3, 0, 4, 1, 2)]
    matrix = store.vector_matrix(ids)
    assert matrix is not None and matrix.dtype.name == "float32" and matrix.shape == (5, 4)
    by_id = store.vectors(ids)
    for row, cid in enumerate(ids):
        assert (matrix[row] == by_id[cid]).all()
    assert store.vector_matrix([*ids, "a-999"]) is None  # one vector missing: no matrix
    assert store.vector_matrix([]) is None
