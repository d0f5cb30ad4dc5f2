"""The MCP server over streamable HTTP: one real ``python -m assistant mcp --http PORT`` process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from mcp import Client

from assistant.settings import PROJECT_ROOT
from tests.integrations import mcp_checks
from tests.integrations.conftest import free_port, listening_addresses, server_env, server_process

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class McpServer:
    url: str
    port: int
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def mcp_http(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpServer]:
    root = tmp_path_factory.mktemp("mcp-http")
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with server_process(
        ["mcp", "--http", str(port)], server_env(sample_index, root / "data"), url, root / "server.log"
    ) as proc:
        yield McpServer(url, port, proc)


def run_check(server: McpServer, check: mcp_checks.Check) -> None:
    async def main() -> None:
        async with Client(server.url, read_timeout_seconds=120) as client:
            await check(client)

    anyio.run(main)


@pytest.mark.parametrize("check", mcp_checks.ALL_CHECKS, ids=lambda check: check.__name__)
def test_http_tool(mcp_http: McpServer, check: mcp_checks.Check) -> None:
    run_check(mcp_http, check)


def test_http_listens_on_loopback_only(mcp_http: McpServer) -> None:
    assert listening_addresses(mcp_http.port) == {"127.0.0.1"}


def test_http_server_survives_every_check(mcp_http: McpServer) -> None:
    assert mcp_http.proc.poll() is None  # still running after all the tool errors
    run_check(mcp_http, mcp_checks.check_list_documents)


def test_bad_ports_are_refused_by_both_commands() -> None:
    for args, flag in ((["mcp", "--http", "70000"], "--http"), (["serve-openai", "--port", "0"], "--port")):
        done = subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and flag in done.stderr, done.stderr
