"""The SQLite ingest manifest and its migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.components.manifest import MIGRATIONS, Manifest, ManifestEntry


def manifest_entry(path: str, ids: list[str]) -> ManifestEntry:
    return ManifestEntry(
        path=path,
        doc_id="doc-" + path,
        content_hash="h-" + path,
        title="标题",
        doc_type="regulation",
        jurisdiction="上海",
        version_date="2021-11-25",
        chunk_count=len(ids),
        chunk_ids=ids,
    )


def test_record_read_remove_and_generation(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path, "chunks__a")
    assert manifest.generation() == 0
    assert not (tmp_path / "manifest.sqlite3").exists()  # reading an absent manifest creates nothing
    manifest.record(manifest_entry("/x/a.md", ["2", "1"]))
    manifest.record(manifest_entry("/x/b.md", ["3"]))
    assert manifest.generation() == 2
    got = Manifest(tmp_path, "chunks__a").get("/x/a.md")
    assert got is not None
    assert got.chunk_ids == ["1", "2"] and got.title == "标题" and got.ingested_at
    manifest.remove("/x/a.md")
    assert list(manifest.entries()) == ["/x/b.md"]
    assert manifest.generation() == 3


def test_collections_are_separate(tmp_path: Path) -> None:
    Manifest(tmp_path, "chunks__a").record(manifest_entry("/x/a.md", ["1"]))
    other = Manifest(tmp_path, "chunks__b")
    assert other.entries() == {}
    assert other.generation() == 0


def test_migrations_are_recorded_and_applied_once(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path, "chunks__a")
    manifest.record(manifest_entry("/x/a.md", ["1"]))
    Manifest(tmp_path, "chunks__a").record(manifest_entry("/x/b.md", ["2"]))  # reopening must not re-run them
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    assert len(Manifest(tmp_path, "chunks__a").entries()) == 2
