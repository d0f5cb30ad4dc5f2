"""The assessment history: one SQLite file, WAL mode, one transaction per assessment.

Why SQLite with WAL and ``synchronous=FULL``: an assessment is written in a single
transaction, so a crash (or a killed process) mid-write leaves the database exactly as it
was before that write; nothing committed earlier can be lost or half-overwritten, and readers
(the web app) never block the writer.

Schema versions live in ``PRAGMA user_version``. Each migration upgrades one version in
its own transaction and keeps every row: a database written by an older build is
migrated in place, never dropped. A database from a *newer* build is refused untouched.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DB_NAME = "assessments.db"


class HistoryError(RuntimeError):
    """The history database cannot be used (e.g. written by a newer version)."""


def _v1(conn: sqlite3.Connection) -> None:
    """The first layout: results kept as JSON only."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS assessments (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               org TEXT NOT NULL,
               checklist_id TEXT NOT NULL,
               checklist_version INTEGER NOT NULL,
               answers_json TEXT NOT NULL,
               result_json TEXT NOT NULL,
               assessed_at TEXT NOT NULL
           )"""
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Total and level as columns (listing without parsing JSON) and an index for comparisons."""
    conn.execute("ALTER TABLE assessments ADD COLUMN total REAL")
    conn.execute("ALTER TABLE assessments ADD COLUMN level TEXT")
    for row_id, result_json in conn.execute("SELECT id, result_json FROM assessments").fetchall():
        result = json.loads(result_json)
        conn.execute(
            "UPDATE assessments SET total = ?, level = ? WHERE id = ?",
            (result.get("total"), result.get("level"), row_id),
        )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS assessments_org_checklist ON assessments (org, checklist_id, id)"
    )


def _v3(conn: sqlite3.Connection) -> None:
    """Evidence per item (a note and attachment file names) in its own column.

    Rows written before this version had no evidence: they get ``{}``, never a guess.
    """
    conn.execute("ALTER TABLE assessments ADD COLUMN evidence_json TEXT NOT NULL DEFAULT '{}'")


#: MIGRATIONS[i] upgrades a database from version i to version i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2, _v3)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    org: str
    checklist: str
    version: int
    total: float | None
    level: str | None
    assessed_at: str
    answers: dict[str, str]
    result: dict[str, Any]  # the stored AssessmentResult.to_dict()
    evidence: dict[str, Any] = field(default_factory=dict)  # item id → {"note", "attachments"}


class HistoryStore:
    """Append-only store of assessments in ``data_dir/assessments.db``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_NAME

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._migrate(conn)
            yield conn
        finally:
            conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path} 由更新版本的程序写入（结构版本 {version} > {SCHEMA_VERSION}），请升级后再用。"
            )
        while version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: another process may have migrated meanwhile.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:
                    MIGRATIONS[version](conn)
                    version += 1
                    conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def add(
        self,
        org: str,
        checklist: str,
        version: int,
        answers: dict[str, str],
        result: dict[str, Any],
        evidence: dict[str, Any] | None = None,
    ) -> int:
        """Store one assessment in one transaction; returns its id."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.execute(
                    """INSERT INTO assessments (org, checklist_id, checklist_version, answers_json,
                           result_json, assessed_at, total, level, evidence_json)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        org,
                        checklist,
                        version,
                        json.dumps(answers, ensure_ascii=False, sort_keys=True),
                        json.dumps(result, ensure_ascii=False),
                        result.get("assessed_at") or "",
                        result.get("total"),
                        result.get("level"),
                        json.dumps(evidence or {}, ensure_ascii=False, sort_keys=True),
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return int(cursor.lastrowid or 0)

    def entries(
        self, org: str | None = None, checklist: str | None = None, before_id: int | None = None
    ) -> list[HistoryEntry]:
        """Stored assessments, oldest first, optionally filtered."""
        if not self.path.exists():
            return []
        clauses: list[str] = []
        params: list[object] = []
        for column, value in (("org", org), ("checklist_id", checklist)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, org, checklist_id, checklist_version, total, level, assessed_at, "
                f"answers_json, result_json, evidence_json FROM assessments {where} ORDER BY id",
                params,
            ).fetchall()
        return [
            HistoryEntry(
                id=row[0],
                org=row[1],
                checklist=row[2],
                version=row[3],
                total=row[4],
                level=row[5],
                assessed_at=row[6],
                answers=json.loads(row[7]),
                result=json.loads(row[8]),
                evidence=json.loads(row[9] or "{}"),
            )
            for row in rows
        ]
