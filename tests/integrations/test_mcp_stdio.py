"""The MCP server over stdio: the SDK's client spawns ``python -m assistant mcp`` itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from assistant.settings import PROJECT_ROOT
from tests.integrations import mcp_checks
from tests.integrations.conftest import server_env

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_stdio_session_lists_calls_every_tool_and_survives_bad_input(
    sample_index: Path, tmp_path: Path
) -> None:
    """One server process for the whole session: every check runs over the same connection."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "mcp"],
        env=server_env(sample_index, tmp_path / "data"),
        cwd=PROJECT_ROOT,
    )
    async with Client(params, read_timeout_seconds=120) as client:
        assert client.server_info is not None and client.server_info.name == "resilience-assistant"
        for check in mcp_checks.ALL_CHECKS:
            await check(client)
    assert (tmp_path / "data" / "assessments.db").is_file()  # assess wrote to the data dir we gave


async def test_stdio_reports_an_empty_index_as_a_tool_error(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "mcp", "--index", str(tmp_path / "none")],
        env=server_env(tmp_path / "none", tmp_path / "data"),
        cwd=PROJECT_ROOT,
    )
    async with Client(params, read_timeout_seconds=120) as client:
        result = await client.call_tool("search", {"question": "台风"})
        assert "索引为空" in mcp_checks.error_text(result)
        listed = mcp_checks.payload(await client.call_tool("list_documents", {}))
        assert listed == {"documents": [], "count": 0}
    assert not (tmp_path / "none").exists()  # asking created no index folder
