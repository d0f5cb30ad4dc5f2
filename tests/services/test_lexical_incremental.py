"""After an ingest the BM25 index is rebuilt from the previous one plus the changed documents.

Real ingest (loader, chunker, USE embedder, embedded Chroma, SQLite manifest) of documents the
tests write; the incremental result is compared with a full rebuild read from the store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.components.lexical_index import LexicalIndex
from assistant.domain import Chunk
from assistant.factory import Assistant, build_assistant
from assistant.settings import load_settings
from tests.services.test_ingest import regulation_text

pytestmark = pytest.mark.slow

QUESTIONS = (
    "防汛工作应急预案",
    "燃气隐患排查整改",
    "电梯救援器材",
    "居民转移安置",
    "版本9 第3项",
    "台风预警",
)


def _full_rebuild(assistant: Assistant) -> LexicalIndex:
    full = LexicalIndex(assistant.tokenizer)
    full.build(assistant.store.get_chunks(), assistant.manifest.generation())
    return full


def _assert_same(incremental: LexicalIndex, full: LexicalIndex) -> None:
    assert [c.id for c in incremental.chunks] == [c.id for c in full.chunks]
    assert [(c.text, c.embed_text, c.metadata) for c in incremental.chunks] == [
        (c.text, c.embed_text, c.metadata) for c in full.chunks
    ]
    for question in QUESTIONS:
        tokens = full.tokenizer.tokenize(question)
        assert incremental.known_tokens(tokens) == full.known_tokens(tokens)
        assert np.array_equal(incremental.scores(tokens), full.scores(tokens)), question
    assert set(incremental._vocab) == set(full._vocab)


@pytest.fixture
def library(tmp_path: Path) -> tuple[Assistant, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    for seed in range(4):
        (docs / f"条例{seed}.md").write_text(
            regulation_text(f"示例防灾条例{seed}", 12, seed), encoding="utf-8"
        )
    assistant = build_assistant(load_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data"))
    assistant.ingest_service.ingest([docs])
    assistant.lexical_keeper.current()
    assert assistant.lexical_keeper.last_rebuild["mode"] == "full"  # nothing saved before
    return assistant, docs


def test_rebuild_after_adds_replacements_and_deletions_equals_a_full_rebuild(
    library: tuple[Assistant, Path],
) -> None:
    assistant, docs = library
    (docs / "条例1.md").write_text(regulation_text("示例防灾条例1", 14, 9), encoding="utf-8")  # replaced
    (docs / "条例2.md").unlink()  # deleted
    (docs / "新增条例.md").write_text(regulation_text("新增防灾条例", 5, 11), encoding="utf-8")  # added
    report = assistant.ingest_service.ingest([docs], prune=True)
    assert sorted(f.status for f in report.files) == ["added", "removed", "unchanged", "unchanged", "updated"]

    keeper = assistant.lexical_keeper
    incremental = keeper.current()
    assert keeper.source == "built" and incremental.generation == assistant.manifest.generation()
    assert keeper.last_rebuild["mode"] == "incremental"
    # only the replaced and the added document were read from the store
    changed = [
        e for e in assistant.manifest.entries().values() if Path(e.path).name in {"条例1.md", "新增条例.md"}
    ]
    assert len(changed) == 2
    assert keeper.last_rebuild["store_read_chunks"] == sum(e.chunk_count for e in changed) > 0
    assert {c.metadata["file"] for c in incremental.chunks} == {
        "条例0.md",
        "条例1.md",
        "条例3.md",
        "新增条例.md",
    }
    _assert_same(incremental, _full_rebuild(assistant))

    # and the next generation builds on this one in turn (its saved terms and sources)
    (docs / "条例3.md").unlink()
    assistant.ingest_service.ingest([docs], prune=True)
    again = keeper.current()
    assert keeper.last_rebuild["mode"] == "incremental" and keeper.last_rebuild["store_read_chunks"] == 0
    _assert_same(again, _full_rebuild(assistant))


def test_a_store_the_manifest_does_not_describe_is_read_in_full(library: tuple[Assistant, Path]) -> None:
    assistant, docs = library
    (docs / "新增条例.md").write_text(regulation_text("新增防灾条例", 5, 11), encoding="utf-8")
    assistant.ingest_service.ingest([docs])
    # a chunk no manifest row claims (as a killed run leaves): the full read serves what the store holds
    stray = Chunk(
        "stray-1", "孤立片段：防汛物资仓库每月盘点。", "孤立片段：防汛物资仓库每月盘点。", {"doc_id": "x"}
    )
    assistant.store.upsert([stray], [assistant.embeddings.embed_query(stray.text)])
    assistant.manifest.bump()
    keeper = assistant.lexical_keeper
    served = keeper.current()
    assert keeper.last_rebuild["mode"] == "full"
    assert served.index_of("stray-1") is not None
    _assert_same(served, _full_rebuild(assistant))


def test_without_recorded_sources_the_rebuild_reads_everything(library: tuple[Assistant, Path]) -> None:
    assistant, docs = library
    (assistant.settings.index_dir / "bm25" / assistant.collection_name / "sources.json").unlink()
    (docs / "新增条例.md").write_text(regulation_text("新增防灾条例", 5, 11), encoding="utf-8")
    assistant.ingest_service.ingest([docs])
    keeper = assistant.lexical_keeper
    served = keeper.current()
    assert keeper.last_rebuild["mode"] == "full"
    _assert_same(served, _full_rebuild(assistant))
