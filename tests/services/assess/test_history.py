"""History store: WAL, one transaction per assessment, crash safety, migration of old databases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.services.assess import HistoryError, HistoryStore
from assistant.services.assess.history import SCHEMA_VERSION
from assistant.settings import PROJECT_ROOT


def _result(total: float | None, level: str | None = "合格") -> dict[str, object]:
    return {
        "checklist": "small",
        "version": 1,
        "total": total,
        "level": level,
        "assessed_at": "2026-01-01T00:00:00",
    }


def test_entries_survive_a_new_store_and_filter(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path)
    first = store.add("甲街道", "small", 1, {"a1": "5"}, _result(61.0))
    store.add("乙街道", "small", 1, {"a1": "0"}, _result(20.0, "待改进"))
    store.add("甲街道", "other", 2, {"x": "1"}, _result(90.0, "优秀"))

    reopened = HistoryStore(tmp_path)  # a restart: nothing kept in memory
    assert [e.org for e in reopened.entries()] == ["甲街道", "乙街道", "甲街道"]
    only = reopened.entries(org="甲街道", checklist="small")
    assert [(e.id, e.total, e.level, e.answers) for e in only] == [(first, 61.0, "合格", {"a1": "5"})]
    assert reopened.entries(org="甲街道", before_id=first) == []


def test_database_uses_wal_and_current_schema(tmp_path: Path) -> None:
    HistoryStore(tmp_path).add("甲", "small", 1, {}, _result(1.0))
    conn = sqlite3.connect(tmp_path / "assessments.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_v1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "assessments.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        """CREATE TABLE assessments (id INTEGER PRIMARY KEY AUTOINCREMENT, org TEXT NOT NULL,
               checklist_id TEXT NOT NULL, checklist_version INTEGER NOT NULL, answers_json TEXT NOT NULL,
               result_json TEXT NOT NULL, assessed_at TEXT NOT NULL);
           PRAGMA user_version = 1;"""
    )
    old = _result(72.5, "良好")
    conn.execute(
        "INSERT INTO assessments (org, checklist_id, checklist_version, answers_json, result_json,"
        " assessed_at) VALUES (?, ?, ?, ?, ?, ?)",
        ("老单位", "small", 1, json.dumps({"a1": "5"}), json.dumps(old, ensure_ascii=False), "2025-05-01"),
    )
    conn.commit()
    conn.close()

    store = HistoryStore(tmp_path)
    [entry] = store.entries()
    assert (entry.org, entry.total, entry.level, entry.result) == ("老单位", 72.5, "良好", old)
    new_id = store.add("老单位", "small", 1, {"a1": "0"}, _result(10.0, "待改进"))
    assert new_id > entry.id
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "assessments.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="更新版本"):
        HistoryStore(tmp_path).add("甲", "small", 1, {}, _result(1.0))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("future",)]
    conn.close()


def test_a_crash_mid_write_loses_nothing_committed_before(tmp_path: Path) -> None:
    """A real process dies inside a large, uncommitted write; earlier assessments survive intact."""
    script = textwrap.dedent(
        f"""
        import os, sqlite3
        from assistant.services.assess import HistoryStore
        store = HistoryStore({str(tmp_path)!r})
        result = {{"total": 61.0, "level": "合格", "assessed_at": "t1"}}
        store.add("甲街道", "small", 1, {{"a1": "5"}}, result)
        conn = sqlite3.connect(store.path, isolation_level=None)
        conn.execute("PRAGMA cache_size = 10")  # force pages of the open transaction out to the WAL
        conn.execute("BEGIN IMMEDIATE")
        for i in range(300):
            conn.execute(
                "INSERT INTO assessments (org, checklist_id, checklist_version, answers_json, result_json,"
                " assessed_at) VALUES ('乙', 'small', 1, '{{}}', ?, 't2')", ("x" * 4000,)
            )
        os._exit(9)  # dies without commit or close
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()
    assert (tmp_path / "assessments.db-wal").stat().st_size > 100_000  # the torn write reached the disk

    store = HistoryStore(tmp_path)
    assert [(e.org, e.total) for e in store.entries()] == [("甲街道", 61.0)]
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store.add("甲街道", "small", 1, {"a1": "3"}, _result(70.0, "良好"))
    assert len(store.entries(org="甲街道")) == 2


def test_v2_database_of_the_previous_build_migrates_in_place_to_evidence(tmp_path: Path) -> None:
    """A DB written by the build before evidence existed (schema 2) keeps its rows and gains the column."""
    from assistant.services.assess.history import MIGRATIONS

    db = tmp_path / "assessments.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for migrate in MIGRATIONS[:2]:  # exactly the old build's schema: v1 then v2
        migrate(conn)
    conn.execute("PRAGMA user_version = 2")
    old = _result(64.0)
    conn.execute(
        "INSERT INTO assessments (org, checklist_id, checklist_version, answers_json, result_json,"
        " assessed_at, total, level) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "旧库单位",
            "small",
            1,
            json.dumps({"a1": "3"}),
            json.dumps(old, ensure_ascii=False),
            "2026-01-01",
            64.0,
            "合格",
        ),
    )
    conn.close()
    assert SCHEMA_VERSION == 3

    store = HistoryStore(tmp_path)
    evidence = {"a1": {"note": "预案已印发", "attachments": ["预案.pdf"]}}
    new_id = store.add("旧库单位", "small", 1, {"a1": "5"}, _result(90.0, "优秀"), evidence)
    first, second = store.entries(org="旧库单位")
    assert (first.total, first.result, first.evidence) == (64.0, old, {})
    assert second.id == new_id and second.evidence == evidence
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    columns = [row[1] for row in conn.execute("PRAGMA table_info(assessments)")]
    assert "evidence_json" in columns and conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 2
    conn.close()
