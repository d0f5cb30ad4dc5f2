"""IngestService with the real loader, chunker, USE embedder, Chroma and manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.domain import Chunk
from assistant.factory import Assistant, build_assistant
from assistant.settings import Settings

TOPICS = [
    "防汛",
    "消防",
    "燃气",
    "电梯",
    "台风",
    "地震",
    "疫情",
    "救援",
    "避难",
    "物业",
    "排水",
    "气象",
    "民防",
]
DUTIES = [
    "应当制定应急预案并定期组织演练",
    "负责本辖区隐患排查和整改督促",
    "应当及时向社会发布预警信息",
    "负责组织居民转移安置和生活保障",
    "应当配备必要的救援器材和物资",
    "负责值班值守和信息报送工作",
    "应当开展宣传教育和培训活动",
]
DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 as Chinese numerals (第十二条)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    head = "" if tens == 1 else DIGITS[tens]
    return head + "十" + (DIGITS[ones] if ones else "")


def regulation_text(title: str, articles: int, seed: int) -> str:
    """A made-up regulation in the shape the chunker splits by article."""
    lines = [f"# {title}", "", "## 第一章 总则", ""]
    for i in range(1, articles + 1):
        topic = TOPICS[(i + seed) % len(TOPICS)]
        duty = DUTIES[(i * (seed + 3)) % len(DUTIES)]
        lines += [
            f"第{chinese_number(i)}条 {topic}工作中，街道办事处和居民委员会{duty}（版本{seed}，第{i}项）。",
            "",
        ]
    return "\n".join(lines)


def write_regulation(folder: Path, name: str, articles: int = 6, seed: int = 1) -> Path:
    path = folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(regulation_text(f"上海市{name}条例", articles, seed), encoding="utf-8")
    return path


def statuses(report_json: dict[str, object]) -> dict[str, str]:
    files = report_json["files"]
    assert isinstance(files, list)
    return {Path(row["file"]).name: row["status"] for row in files}


@pytest.fixture
def assistant(settings: Settings) -> Assistant:
    return build_assistant(settings)


def test_factory_builds_lazily(settings: Settings) -> None:
    built = build_assistant(settings)
    assert not settings.index_dir.exists()
    assert "embeddings" not in built.__dict__  # nothing loaded until first use
    assert built.ingest_service.store is built.store
    assert not settings.index_dir.exists()


def test_add_then_unchanged_then_update(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_regulation(docs, "防汛", seed=1)
    write_regulation(docs, "消防", seed=2)
    progress: list[tuple[int, int, str]] = []
    first = assistant.ingest_service.ingest([docs], progress=lambda *args: progress.append(args))
    assert statuses(first.to_json()) == {"消防.md": "added", "防汛.md": "added"}
    assert first.embedded_chunks == first.total_chunks == assistant.store.count() > 0
    assert [(done, total) for done, total, _ in progress] == [(1, 2), (2, 2)]
    assert set(first.to_json()) == {"files", "embedded_chunks", "total_chunks", "seconds"}
    assert set(first.to_json()["files"][0]) == {"file", "status", "chunks", "reason"}
    generation = assistant.manifest.generation()

    again = build_assistant(assistant.settings).ingest_service.ingest([docs])
    assert statuses(again.to_json()) == {"消防.md": "unchanged", "防汛.md": "unchanged"}
    assert again.embedded_chunks == 0 and again.total_chunks == first.total_chunks
    assert assistant.manifest.generation() == generation  # nothing changed, nothing bumped

    old_ids = assistant.store.ids_for_doc(
        assistant.manifest.entries()[str((docs / "防汛.md").resolve())].doc_id
    )
    write_regulation(docs, "防汛", articles=4, seed=9)
    third = assistant.ingest_service.ingest([docs])
    assert statuses(third.to_json()) == {"消防.md": "unchanged", "防汛.md": "updated"}
    assert third.embedded_chunks == next(f.chunks for f in third.files if f.file.endswith("防汛.md"))
    assert not old_ids & assistant.store.ids()  # the old version's chunks are gone
    assert assistant.manifest.generation() > generation

    clean = build_assistant(assistant.settings.model_copy(update={"index_dir": tmp_path / "clean"}))
    clean.ingest_service.ingest([docs])
    assert clean.store.ids() == assistant.store.ids()  # incremental == clean build


def test_failed_file_keeps_its_previous_chunks(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    path = write_regulation(docs, "燃气", seed=3)
    assistant.ingest_service.ingest([docs])
    before = assistant.store.ids()
    path.write_bytes(b"")  # now unreadable (empty)
    report = assistant.ingest_service.ingest([docs])
    [result] = report.files
    assert result.status == "failed" and "空" in result.reason and "保留" in result.reason
    assert assistant.store.ids() == before
    hits = assistant.store.query(assistant.embeddings.embed_query("燃气工作应急预案"), k=3)
    assert hits and all(hit.chunk.metadata["doc_id"] for hit in hits)


def test_folder_policy_and_explicit_unsupported_files(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_regulation(docs, "排水", seed=4)
    write_regulation(docs / ".git", "隐藏", seed=5)
    (docs / ".draft.md").write_text("# 草稿\n\n不应被索引的隐藏文件。\n", encoding="utf-8")
    (docs / "清单.yaml").write_text("items: []\n", encoding="utf-8")
    (docs / "旧版通知.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy word")
    (docs / "empty.txt").write_bytes(b"")
    yaml_file = docs / "清单.yaml"
    report = assistant.ingest_service.ingest([docs, yaml_file, tmp_path / "missing.md"])
    got = statuses(report.to_json())
    assert got == {
        "排水.md": "added",
        "旧版通知.doc": "failed",
        "empty.txt": "failed",
        "清单.yaml": "failed",
        "missing.md": "failed",
    }
    reasons = {Path(result.file).name: result.reason for result in report.files}
    assert ".docx" in reasons["旧版通知.doc"] and "不存在" in reasons["missing.md"]
    assert [result.status for result in report.files][:4] == ["failed"] * 4  # failures listed first
    assert {chunk.metadata["file"] for chunk in assistant.store.get_chunks()} == {"排水.md"}


def test_prune_removes_documents_of_deleted_files(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    keep = write_regulation(docs, "气象", seed=6)
    gone = write_regulation(docs / "sub", "地震", seed=7)
    assistant.ingest_service.ingest([docs])
    gone.unlink()
    not_pruned = assistant.ingest_service.ingest([docs])
    assert "removed" not in statuses(not_pruned.to_json()).values()
    report = assistant.ingest_service.ingest([docs], prune=True)
    assert statuses(report.to_json()) == {"地震.md": "removed", "气象.md": "unchanged"}
    assert list(assistant.manifest.entries()) == [str(keep.resolve())]
    kept = assistant.manifest.get(str(keep.resolve()))
    assert kept is not None
    assert assistant.store.count() == report.total_chunks == kept.chunk_count


def test_identical_copy_is_indexed_once(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    original = write_regulation(docs, "民防", seed=8)
    shutil.copy(original, docs / "民防-副本.md")
    report = assistant.ingest_service.ingest([docs])
    [added] = [result for result in report.files if result.status == "added"]
    [copy] = [result for result in report.files if result.status == "skipped"]
    assert "相同" in copy.reason and Path(added.file).name in copy.reason
    assert assistant.store.count() == added.chunks
    again = assistant.ingest_service.ingest([docs])
    assert again.embedded_chunks == 0 and assistant.store.count() == added.chunks


def test_run_after_an_interrupted_one_heals_the_store(assistant: Assistant, tmp_path: Path) -> None:
    """Leftovers of a killed run (extra chunks, a dirty mark) and lost chunks are repaired."""
    docs = tmp_path / "docs"
    write_regulation(docs, "物业", seed=10)
    write_regulation(docs, "救援", seed=11)
    assistant.ingest_service.ingest([docs])
    expected = assistant.store.ids()
    stray = assistant.store.get_chunks()[0]
    stray.id, stray.metadata = "stray-chunk", {**stray.metadata, "doc_id": "from-a-killed-run"}
    assistant.manifest.set_dirty(True)
    assistant.store.upsert([stray], [assistant.embeddings.embed_query("残留")])
    lost = sorted(expected)[0]
    assistant.store.delete([lost])

    report = assistant.ingest_service.ingest([docs])
    assert assistant.store.ids() == expected
    assert report.embedded_chunks > 0  # the document that lost a chunk was embedded again
    assert not assistant.manifest.is_dirty()


def test_changed_chunking_settings_rechunk_unchanged_files(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_regulation(docs, "防汛", seed=1)
    assistant.ingest_service.ingest([docs])
    same = build_assistant(assistant.settings).ingest_service.ingest([docs])
    assert statuses(same.to_json()) == {"防汛.md": "unchanged"}
    # The bytes did not change but the pipeline did: the file must be chunked again.
    other = build_assistant(assistant.settings.model_copy(update={"chunk_max_chars": 300}))
    again = other.ingest_service.ingest([docs])
    assert statuses(again.to_json()) == {"防汛.md": "updated"}
    assert again.embedded_chunks > 0


def test_a_failed_chroma_write_fails_its_files_once_and_later_batches_are_written(
    settings: Settings, tmp_path: Path
) -> None:
    """Batches are written behind the embedding; a write that fails is reported for its files
    alone (once), records nothing in the manifest, and the next batch is still written."""
    assistant = build_assistant(settings.model_copy(update={"index_write_batch": 1}))  # a write per file
    docs = tmp_path / "docs"
    for seed, name in enumerate(("甲", "乙", "丙"), start=1):
        write_regulation(docs, name, seed=seed)
    store = assistant.store
    real_upsert = store.upsert
    calls: list[int] = []

    def upsert_failing_once(chunks: list[Chunk], vectors: list[list[float]]) -> None:
        calls.append(len(chunks))
        if len(calls) == 1:
            raise OSError("磁盘已满")  # what a full disk under Chroma looks like to us
        real_upsert(chunks, vectors)

    store.upsert = upsert_failing_once  # type: ignore[method-assign]
    report = assistant.ingest_service.ingest([docs])
    rows = report.to_json()["files"]
    assert len(calls) == 3 and len(rows) == 3
    failed = [row for row in rows if row["status"] == "failed"]
    assert len(failed) == 1 and "写入索引失败" in failed[0]["reason"] and "磁盘已满" in failed[0]["reason"]
    added = {Path(row["file"]).name for row in rows if row["status"] == "added"}
    assert len(added) == 2
    assert {Path(path).name for path in assistant.manifest.entries()} == added
    assert report.total_chunks == store.count() == report.embedded_chunks
