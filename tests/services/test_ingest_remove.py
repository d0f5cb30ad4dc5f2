"""IngestService.remove: one document leaves the store and the manifest together (web app delete)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.factory import build_assistant
from assistant.settings import Settings

pytestmark = pytest.mark.slow  # real USE embedder and Chroma


def _write(folder: Path, name: str, title: str, topic: str) -> Path:
    path = folder / name
    path.write_text(
        f"# {title}\n\n## 第一章 总则\n\n第一条 {topic}工作由街道办事处负责组织实施。\n\n"
        f"第二条 居民委员会应当协助做好{topic}宣传和演练。\n",
        encoding="utf-8",
    )
    return path


def test_remove_by_doc_id_and_by_path_keeps_other_documents(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    a = _write(docs, "a.md", "甲社区防汛办法", "防汛")
    b = _write(docs, "b.md", "乙社区消防办法", "消防")
    c = _write(docs, "c.md", "丙社区燃气办法", "燃气")
    assistant = build_assistant(settings)
    service = assistant.ingest_service
    service.ingest([docs])
    entries = assistant.manifest.entries()
    assert len(entries) == 3
    before = assistant.store.count()
    generation = assistant.manifest.generation()
    doc_a = entries[str(a.resolve())].doc_id

    removed = service.remove(doc_a)
    assert [r.status for r in removed] == ["removed"]
    assert removed[0].chunks == entries[str(a.resolve())].chunk_count
    assert str(a.resolve()) not in assistant.manifest.entries()
    assert assistant.store.ids_for_doc(doc_a) == set()
    assert assistant.store.count() == before - removed[0].chunks
    assert assistant.manifest.generation() > generation  # the BM25 index knows to rebuild
    assert not assistant.manifest.is_dirty()

    removed = service.remove(str(b))
    assert len(removed) == 1 and removed[0].file == str(b.resolve())
    assert set(assistant.manifest.entries()) == {str(c.resolve())}
    assert {row["title"] for row in assistant.store.documents()} == {"丙社区燃气办法"}

    assert service.remove("no-such-document") == []
    # the files stay; a later ingest adds the removed ones back, so nothing is lost for good
    report = service.ingest([docs])
    assert sorted(r.status for r in report.files) == ["added", "added", "unchanged"]
