"""The ingest manifest: which file produced which chunks, from which bytes.

A small SQLite file (``index_dir/manifest.sqlite3``) beside the vectors. Ingest compares a
file's content hash with the manifest to skip unchanged files without parsing them, and the
per-collection ``generation`` counter tells other components (e.g. a BM25 index kept beside
Chroma) that the index changed and must be rebuilt. It stays under ``index_dir`` even when the
vectors live on a Chroma server, unless ``RESILIENCE_MANIFEST_URL`` names a PostgreSQL database
that several machines share (:mod:`assistant.components.manifest_postgres`).

Schema changes are explicit numbered migrations (a list of SQL scripts applied in order and
recorded in ``schema_migrations``), so an old index folder upgrades itself in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.sqlite3"

#: Migration N is ``MIGRATIONS[N - 1]``. Append only; never edit a released entry.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE documents (
        collection    TEXT NOT NULL,
        path          TEXT NOT NULL,
        doc_id        TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        title         TEXT NOT NULL DEFAULT '',
        doc_type      TEXT NOT NULL DEFAULT '',
        jurisdiction  TEXT NOT NULL DEFAULT '',
        version_date  TEXT NOT NULL DEFAULT '',
        chunk_count   INTEGER NOT NULL DEFAULT 0,
        chunk_ids     TEXT NOT NULL DEFAULT '[]',
        ingested_at   TEXT NOT NULL,
        PRIMARY KEY (collection, path)
    );
    CREATE INDEX documents_doc_id ON documents (collection, doc_id);
    CREATE TABLE generations (
        collection  TEXT PRIMARY KEY,
        generation  INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: a write in progress marks the collection dirty; a killed run leaves the mark behind
    """
    ALTER TABLE generations ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
    """,
    # 3: validity per document (see assistant.components.document_status): the facts parsed from
    # its text ('' = not parsed yet, e.g. a row written before this migration) and the status
    # computed over the whole collection after each run.
    """
    ALTER TABLE documents ADD COLUMN effective_date TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN facts TEXT NOT NULL DEFAULT '';
    ALTER TABLE documents ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown';
    ALTER TABLE documents ADD COLUMN status_detail TEXT NOT NULL DEFAULT '{}';
    """,
]


@dataclass
class ManifestEntry:
    """What the index holds for one file."""

    path: str
    doc_id: str
    content_hash: str
    title: str = ""
    doc_type: str = ""
    jurisdiction: str = ""
    version_date: str = ""
    chunk_count: int = 0
    chunk_ids: list[str] = field(default_factory=list)
    ingested_at: str = ""
    effective_date: str = ""
    #: JSON of :class:`~assistant.components.document_status.DocumentFacts`; '' = not parsed yet.
    facts: str = ""
    #: Computed over the collection (see :meth:`Manifest.set_statuses`), never by ``record``.
    status: str = "unknown"
    #: JSON of the full :class:`~assistant.components.document_status.DocumentStatus`.
    status_detail: str = "{}"


class Manifest:
    """Manifest rows of one Chroma collection. The file is created on first use.

    The SQL is written once for SQLite and PostgreSQL (upserts with ``ON CONFLICT``, ``?``
    placeholders); :class:`~assistant.components.manifest_postgres.PostgresManifest` replaces
    only the connection (which rewrites placeholders), the existence check and the migrations.
    """

    def __init__(self, index_dir: Path, collection: str) -> None:
        self.path = Path(index_dir) / MANIFEST_FILE
        self.collection = collection
        self._migrated = False
        #: The generation this process itself last wrote: a reader whose store client is this
        #: process's own already sees those writes; any other generation came from elsewhere.
        self.written_generation: int | None = None

    def exists(self) -> bool:
        """False until the first write: readers of an absent manifest create nothing."""
        return self.path.exists()

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            if not self._migrated:
                migrate(conn)
                self._migrated = True
            with conn:  # one transaction: commit on success, roll back on error
                yield conn
        finally:
            conn.close()

    # --- reading ----------------------------------------------------------------------
    def entries(self) -> dict[str, ManifestEntry]:
        """All rows of this collection by path."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT path, doc_id, content_hash, title, doc_type, jurisdiction, version_date,"
                " chunk_count, chunk_ids, ingested_at, effective_date, facts, status, status_detail"
                " FROM documents WHERE collection = ? ORDER BY path",
                (self.collection,),
            ).fetchall()
        return {row[0]: _entry(row) for row in rows}

    def get(self, path: str) -> ManifestEntry | None:
        return self.entries().get(path)

    def generation(self) -> int:
        """Bumped on every committed change of this collection; 0 for a new index."""
        if not self.exists():
            return 0
        with self._connect() as conn:
            row = conn.execute(
                "SELECT generation FROM generations WHERE collection = ?", (self.collection,)
            ).fetchone()
        return int(row[0]) if row else 0

    def is_dirty(self) -> bool:
        """True while (or if a killed run left) a write unfinished: the store may hold extra chunks."""
        if not self.exists():
            return False
        with self._connect() as conn:
            row = conn.execute(
                "SELECT dirty FROM generations WHERE collection = ?", (self.collection,)
            ).fetchone()
        return bool(row and row[0])

    # --- writing ----------------------------------------------------------------------
    def set_dirty(self, dirty: bool) -> None:
        """Mark a write as started (True) or completed and reconciled (False)."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO generations (collection, generation, dirty) VALUES (?, 0, ?)"
                " ON CONFLICT (collection) DO UPDATE SET dirty = excluded.dirty",
                (self.collection, int(dirty)),
            )

    def record(self, entry: ManifestEntry) -> None:
        """Insert or replace the row for ``entry.path`` and bump the generation.

        The stored status is kept when the row already exists (statuses are computed over the
        whole collection after the run, :meth:`set_statuses`).
        """
        ingested_at = entry.ingested_at or datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            old = conn.execute(
                "SELECT status, status_detail FROM documents WHERE collection = ? AND path = ?",
                (self.collection, entry.path),
            ).fetchone()
            status, detail = (str(old[0]), str(old[1])) if old else (entry.status, entry.status_detail)
            conn.execute(
                "INSERT INTO documents (collection, path, doc_id, content_hash, title, doc_type,"
                " jurisdiction, version_date, chunk_count, chunk_ids, ingested_at, effective_date, facts,"
                " status, status_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (collection, path) DO UPDATE SET doc_id = excluded.doc_id,"
                " content_hash = excluded.content_hash, title = excluded.title,"
                " doc_type = excluded.doc_type, jurisdiction = excluded.jurisdiction,"
                " version_date = excluded.version_date, chunk_count = excluded.chunk_count,"
                " chunk_ids = excluded.chunk_ids, ingested_at = excluded.ingested_at,"
                " effective_date = excluded.effective_date, facts = excluded.facts,"
                " status = excluded.status, status_detail = excluded.status_detail",
                (
                    self.collection,
                    entry.path,
                    entry.doc_id,
                    entry.content_hash,
                    entry.title,
                    entry.doc_type,
                    entry.jurisdiction,
                    entry.version_date,
                    entry.chunk_count,
                    json.dumps(sorted(entry.chunk_ids)),
                    ingested_at,
                    entry.effective_date,
                    entry.facts,
                    status,
                    detail,
                ),
            )
            self.written_generation = _bump(conn, self.collection)

    def set_facts(self, facts: dict[str, tuple[str, str]]) -> None:
        """Store parsed facts ``{path: (effective_date, facts_json)}`` of existing rows.

        Used for rows indexed before facts were parsed (an upgraded index). Bumps the generation
        when anything was written, because readers cache statuses derived from facts per generation.
        """
        if not facts:
            return
        with self._connect() as conn:
            changed = 0
            for path, (effective_date, facts_json) in sorted(facts.items()):
                changed += conn.execute(
                    "UPDATE documents SET effective_date = ?, facts = ? WHERE collection = ? AND path = ?",
                    (effective_date, facts_json, self.collection, path),
                ).rowcount
            if changed:
                self.written_generation = _bump(conn, self.collection)

    def set_statuses(self, statuses: dict[str, tuple[str, str]]) -> int:
        """Store computed ``{path: (status, status_detail_json)}``; return how many rows changed.

        Does not bump the generation: statuses are a pure function of the rows' facts, which
        readers recompute themselves per generation; the stored copy serves stats and the library.
        """
        changed = 0
        with self._connect() as conn:
            for path, (status, detail) in sorted(statuses.items()):
                changed += conn.execute(
                    "UPDATE documents SET status = ?, status_detail = ? WHERE collection = ? AND path = ?"
                    " AND (status != ? OR status_detail != ?)",
                    (status, detail, self.collection, path, status, detail),
                ).rowcount
        return changed

    def remove(self, path: str) -> None:
        """Forget ``path`` and bump the generation."""
        with self._connect() as conn:
            conn.execute("DELETE FROM documents WHERE collection = ? AND path = ?", (self.collection, path))
            self.written_generation = _bump(conn, self.collection)

    def bump(self) -> None:
        """Bump the generation after a change that touched no row (e.g. orphan cleanup)."""
        with self._connect() as conn:
            self.written_generation = _bump(conn, self.collection)


def _entry(row: tuple[object, ...]) -> ManifestEntry:
    return ManifestEntry(
        path=str(row[0]),
        doc_id=str(row[1]),
        content_hash=str(row[2]),
        title=str(row[3]),
        doc_type=str(row[4]),
        jurisdiction=str(row[5]),
        version_date=str(row[6]),
        chunk_count=int(row[7]),  # type: ignore[call-overload]
        chunk_ids=list(json.loads(str(row[8]))),
        ingested_at=str(row[9]),
        effective_date=str(row[10]),
        facts=str(row[11]),
        status=str(row[12]),
        status_detail=str(row[13]),
    )


def _bump(conn: Any, collection: str) -> int:
    conn.execute(
        "INSERT INTO generations (collection, generation) VALUES (?, 1)"
        " ON CONFLICT (collection) DO UPDATE SET generation = generations.generation + 1",
        (collection,),
    )
    row = conn.execute("SELECT generation FROM generations WHERE collection = ?", (collection,)).fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database has not seen; return the schema version.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction and re-checks the
    version inside it, so two processes opening a fresh index at once cannot both apply it.
    """
    saved = conn.isolation_level
    conn.isolation_level = None  # manual transactions
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        for number, script in enumerate(MIGRATIONS, start=1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (number,)).fetchone():
                    conn.execute("COMMIT")
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)",
                    (number, datetime.now(UTC).isoformat(timespec="seconds")),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.isolation_level = saved
    return len(MIGRATIONS)
