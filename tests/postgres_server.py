"""A real, throw-away PostgreSQL server on loopback for tests (Debian's ``postgresql`` package).

``running_postgres()`` runs ``initdb`` into a fresh folder, starts ``postgres`` on a free
127.0.0.1 port with trust authentication and no Unix socket, yields its URL, and stops it (fast
shutdown, then SIGKILL) however the test ends. PostgreSQL refuses to run as root, so under root
the server runs as the ``postgres`` system user the package creates (through ``runuser``).
Every wait is bounded. Tests call :func:`postgres_available` and skip when the binaries are absent
(``make servers`` installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SEARCH = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")
START_TIMEOUT_S = 30.0


def postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None when PostgreSQL is not installed."""
    for folder in SEARCH:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "postgres").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).resolve().parent
    return None


def postgres_available() -> bool:
    if postgres_bin() is None:
        return False
    return os.geteuid() != 0 or _has_user("postgres")


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> dict[str, str]:
    """Popen arguments that run a command as the server's user (directly, so signals reach it)."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_postgres(log_dir: Path | None = None) -> Iterator[str]:
    """Start a server and yield ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    folder = postgres_bin()
    if folder is None:
        raise RuntimeError("PostgreSQL is not installed (make servers installs Debian's postgresql)")
    # Not under pytest's tmp_path: its parents are private to root, and the server user must
    # be able to reach its data folder.
    root = Path(tempfile.mkdtemp(prefix="resilience-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    log_path = (log_dir or root) / "postgres.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [
                str(folder / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            **_server_user(),  # type: ignore[arg-type]
            cwd=root,
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = _free_port()
        with log_path.open("ab") as log:
            server = subprocess.Popen(
                [
                    str(folder / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=100",
                ],
                **_server_user(),  # type: ignore[arg-type]
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _accepts(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL did not start; see {log_path}:\n{log_path.read_text()[-2000:]}"
                )
            time.sleep(0.1)
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(url, deadline)
        yield url
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: open sessions are ended
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(url: str, deadline: float) -> None:
    """The port opens before recovery ends; wait until a query succeeds."""
    import psycopg

    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
