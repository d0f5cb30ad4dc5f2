"""The ingest manifest and the one-writer lock in a shared PostgreSQL database.

A city deployment runs several app replicas on several machines over one Chroma server. They
must agree on what the index holds and notice when it changes, and only one ingest worker may
write at a time. A file beside the vectors cannot do that across machines; a PostgreSQL table
can (Debian's package, which operators already run and back up), and a session-level advisory
lock is released by the server itself when the writer's connection drops — a killed worker
never leaves the index locked.

The SQL is :class:`~assistant.components.manifest.Manifest`'s own (written to run on both
databases); only the connection, the existence check and the migration runner differ.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from assistant.components.index_lock import WAITING_MESSAGE, IndexBusyError, _print_to_stderr
from assistant.components.manifest import MIGRATIONS, Manifest

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
#: Key of the advisory lock that serialises migrations (any constant unique to this schema).
MIGRATION_LOCK_KEY = 0x7265_7369_6C69_656E  # "resilien"
LOCK_POLL_S = 0.2


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user_pass = head.partition("//")
    return f"{scheme}//{user_pass.split(':', 1)[0]}:***@{tail}"


class _Connection:
    """A psycopg connection that takes the manifest's ``?`` placeholders."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), params)


def _connect_raw(url: str, autocommit: bool = False) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise ConnectionError(f"无法连接清单数据库 {redact(url)}：{str(exc).strip()}") from exc


class PostgresManifest(Manifest):
    """Manifest rows of one collection in a PostgreSQL database shared by every replica."""

    def __init__(self, url: str, collection: str) -> None:
        if not is_postgres_url(url):
            raise ValueError(f"RESILIENCE_MANIFEST_URL 须为 postgresql://… 地址：{redact(url)}")
        self.url = url
        self.collection = collection
        self._migrated = False
        self.written_generation: int | None = None
        # One connection per manifest, reused: every question reads the generation, and a new
        # connection per read cost 13 ms on loopback (a reused one well under a millisecond).
        self._conn: Any = None
        self._conn_lock = threading.Lock()

    @property
    def location(self) -> str:
        return redact(self.url)

    def exists(self) -> bool:
        """A database is always there; its tables are created on first use."""
        return True

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """The shared connection, one transaction at a time; a broken one is replaced next call."""
        import psycopg

        with self._conn_lock:
            if self._conn is None or self._conn.closed:
                self._conn = _connect_raw(self.url, autocommit=True)
            conn = self._conn
            try:
                if not self._migrated:
                    migrate_postgres(conn)
                    self._migrated = True
                with conn.transaction():
                    yield _Connection(conn)
            except psycopg.OperationalError:
                conn.close()  # the server went away or restarted: reconnect on the next call
                self._conn = None
                raise

    def close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def migrate_postgres(conn: Any) -> int:
    """Apply the migrations this database has not seen, all in one transaction.

    PostgreSQL's DDL is transactional, and a transaction-level advisory lock makes a second
    replica starting at the same moment wait and then find the migrations applied.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        done = {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for number, script in enumerate(MIGRATIONS, start=1):
            if number in done:
                continue
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (%s, %s)",
                (number, datetime.now(UTC).isoformat(timespec="seconds")),
            )
    return len(MIGRATIONS)


def lock_key(collection: str) -> int:
    """A stable signed 64-bit advisory-lock key for one collection's writer."""
    digest = hashlib.sha256(f"resilience-ingest:{collection}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresIndexLock:
    """One writer per collection across machines: a session-level ``pg_advisory_lock``.

    Same behaviour as :class:`~assistant.components.index_lock.IndexLock` (wait up to
    ``timeout_s``, say so once, then :class:`IndexBusyError`; re-entrant in one process). The lock
    lives as long as its connection, so a writer killed mid-run frees it at once.
    """

    def __init__(
        self,
        url: str,
        collection: str,
        timeout_s: float,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.collection = collection
        self.timeout_s = timeout_s
        self.notify = notify or _print_to_stderr
        self._conn: Any = None
        self._depth = 0

    def _try(self) -> bool:
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(self.collection),)).fetchone()
        return bool(row[0])

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        self._conn = _connect_raw(self.url, autocommit=True)
        try:
            if not self._try():
                log.info(WAITING_MESSAGE)
                self.notify(WAITING_MESSAGE)
                deadline = time.monotonic() + self.timeout_s
                while not self._try():
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"索引正被另一个写入进程占用（清单数据库 {redact(self.url)}，集合 "
                            f"{self.collection}，已等待 {self.timeout_s:g} 秒）；请稍后重试。"
                        )
                    time.sleep(LOCK_POLL_S)
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        self._depth = 1

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth == 0 and self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(self.collection),))
            finally:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> PostgresIndexLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
