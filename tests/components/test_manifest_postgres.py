"""The manifest and writer lock in a real PostgreSQL server (started on loopback for this module).

The same behaviour as the SQLite manifest (rows, generations, dirty mark, separate collections)
plus what only a shared database must do: replicas migrating at the same moment, a second
writer waiting and then failing clearly, and a killed writer's lock freed by the server.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.components.index_lock import WAITING_MESSAGE, IndexBusyError
from assistant.components.manifest import MIGRATIONS, Manifest
from assistant.components.manifest_postgres import PostgresIndexLock, PostgresManifest, redact
from tests.components.test_manifest import manifest_entry
from tests.postgres_server import postgres_available, running_postgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not postgres_available(), reason="PostgreSQL is not installed (make servers)"),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_postgres(tmp_path_factory.mktemp("pg")) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def make_manifest(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A factory of manifests on one back end (the same contract holds for both)."""
    if request.param == "sqlite":
        return lambda collection: Manifest(tmp_path, collection)
    pg_url = request.getfixturevalue("url")
    prefix = f"{request.node.name}-{time.monotonic_ns()}"
    return lambda collection: PostgresManifest(pg_url, f"{prefix}-{collection}")


def test_rows_generations_and_dirty_mark_behave_alike(make_manifest) -> None:  # type: ignore[no-untyped-def]
    manifest = make_manifest("a")
    assert manifest.generation() == 0 and not manifest.is_dirty()
    manifest.record(manifest_entry("/x/a.md", ["2", "1"]))
    manifest.record(manifest_entry("/x/b.md", ["3"]))
    manifest.record(manifest_entry("/x/b.md", ["4", "3"]))  # replace: the upsert path
    assert manifest.generation() == 3
    assert manifest.written_generation == 3
    reopened = make_manifest("a").get("/x/b.md")
    assert reopened is not None and reopened.chunk_ids == ["3", "4"] and reopened.chunk_count == 2
    manifest.set_dirty(True)
    assert make_manifest("a").is_dirty()
    manifest.set_dirty(False)
    assert manifest.set_statuses({"/x/a.md": ("current", "{}")}) == 1
    assert manifest.set_statuses({"/x/a.md": ("current", "{}")}) == 0  # unchanged rows are not counted
    manifest.record(manifest_entry("/x/a.md", ["1"]))
    assert make_manifest("a").get("/x/a.md").status == "current"  # record keeps the computed status
    manifest.remove("/x/a.md")
    assert list(manifest.entries()) == ["/x/b.md"]
    assert make_manifest("b").entries() == {} and make_manifest("b").generation() == 0


def test_replicas_migrating_at_once_apply_each_migration_once(url: str) -> None:
    import psycopg

    errors: list[BaseException] = []

    def start(n: int) -> None:
        try:
            PostgresManifest(url, f"race-{n}").entries()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with psycopg.connect(url) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


HOLDER = (
    "import sys, time\n"
    "from assistant.components.manifest_postgres import PostgresIndexLock\n"
    "lock = PostgresIndexLock(sys.argv[1], sys.argv[2], 5)\n"
    "lock.acquire()\n"
    "print('HELD', flush=True)\n"
    "time.sleep(60)\n"
)


def _hold(url: str, collection: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, collection], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "HELD"
    return child


def test_a_second_writer_on_another_process_waits_then_fails_clearly(url: str) -> None:
    child = _hold(url, "busy")
    messages: list[str] = []
    try:
        started = time.monotonic()
        with (
            pytest.raises(IndexBusyError, match="清单数据库"),
            PostgresIndexLock(url, "busy", 0.6, messages.append),
        ):
            pass
        assert time.monotonic() - started >= 0.5
        assert messages == [WAITING_MESSAGE]
        with PostgresIndexLock(url, "other-collection", 0.5):  # another collection is not blocked
            pass
    finally:
        child.kill()
        child.wait()


def test_a_killed_writer_frees_the_lock_at_once(url: str) -> None:
    child = _hold(url, "killed")
    child.kill()
    child.wait()
    started = time.monotonic()
    with PostgresIndexLock(url, "killed", 10, notify=lambda _m: None) as lock:
        with lock:  # re-entrant within one process
            pass
        assert lock._depth == 1
    assert time.monotonic() - started < 5


def test_unreachable_database_is_named_without_its_password() -> None:
    manifest = PostgresManifest("postgresql://u:secret@127.0.0.1:1/db", "x")
    with pytest.raises(ConnectionError) as caught:
        manifest.entries()
    assert "secret" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)
    assert redact("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_one_connection_is_reused_and_replaced_after_the_server_drops_it(url: str) -> None:
    import psycopg

    manifest = PostgresManifest(url, "reconnect")
    manifest.record(manifest_entry("/x/a.md", ["1"]))
    first = manifest._conn
    assert manifest.generation() == 1 and manifest._conn is first  # reads reuse the connection
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError):
        manifest.generation()  # this read fails (the replica's health check says so) …
    assert manifest.generation() == 1 and manifest._conn is not first  # … the next one reconnects
    manifest.close()
