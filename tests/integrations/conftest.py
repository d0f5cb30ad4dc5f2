"""Fixtures of the integration tests: the small real index of the answer tests, and servers.

The index is the one ``tests/services/conftest.py`` builds (real Chroma in a temp dir, the
real USE embedder, three documents written by the team); it is imported here, not copied.
Servers run as real ``python -m assistant …`` processes on a free loopback port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.services.conftest import sample_docs, sample_index
from tests.web.conftest import free_port

__all__ = ["free_port", "listening_addresses", "sample_docs", "sample_index", "server_process"]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Coroutine tests here are marked ``anyio`` (langchain-tests' ainvoke test among them)."""
    return "asyncio"


def server_env(index: Path, data: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RESILIENCE_INDEX_DIR": str(index),
        "RESILIENCE_DATA_DIR": str(data),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("RESILIENCE_API_KEYS", None)
    env.update(extra)
    return env


@contextmanager
def server_process(
    args: list[str], env: dict[str, str], url: str, log: Path, timeout: float = 180
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``python -m assistant ARGS``, wait until ``url`` answers any HTTP status, stop it after."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')}"
                )
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # it answered (401, 405, 406 …): it is up
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server not up in {timeout} s:\n{log.read_text(errors='replace')}"
                    ) from None
                time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses with a socket listening on ``port`` (from /proc/net, Linux)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.is_file():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found
