"""Checks of the MCP server run over either transport (stdio and streamable HTTP share them).

Each takes a connected ``mcp.Client``; the test modules decide how it is connected.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

from assistant.services.assess import load_checklists
from assistant.settings import PROJECT_ROOT

Check = Callable[[Client], Awaitable[None]]
TOOLS = {"search", "ask", "get_article", "list_documents", "list_checklists", "assess"}
TITLE = "上海市社区防灾示例条例"


def payload(result: CallToolResult) -> dict[str, Any]:
    """The tool's JSON object (structured content, and the same JSON as text)."""
    assert not result.is_error, result.content
    text = next(block.text for block in result.content if isinstance(block, TextContent))
    data: dict[str, Any] = json.loads(text)
    if result.structured_content is not None:
        assert result.structured_content == data
    return data


def error_text(result: CallToolResult) -> str:
    assert result.is_error, result
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


async def check_tools_listed(client: Client) -> None:
    listed = (await client.list_tools()).tools
    assert {t.name for t in listed} == TOOLS
    by_name = {t.name: t for t in listed}
    for tool in listed:  # Chinese descriptions for the model that picks the tool
        assert tool.description and any("\u4e00" <= ch <= "\u9fff" for ch in tool.description), tool.name
    question = by_name["search"].input_schema["properties"]["question"]
    assert question["maxLength"] == 500 and question["description"]
    assert by_name["search"].input_schema["properties"]["k"]["maximum"] == 50
    history = by_name["ask"].input_schema["properties"]["history"]
    assert "10" in json.dumps(history) and "500" in json.dumps(history)  # items and their length bounded
    assert set(by_name["get_article"].input_schema["required"]) == {"title", "article"}


async def check_search(client: Client) -> None:
    data = payload(await client.call_tool("search", {"question": "楼道里给电瓶车充电罚多少", "k": 3}))
    assert set(data) >= {"intent", "results", "timings_ms"} and 1 <= len(data["results"]) <= 3
    top = data["results"][0]
    assert top["locator"] == "第七条" and "二百元以下罚款" in top["text"]
    assert top["citation"] == f"《{TITLE}》第七条" and top["doc_type"] == "regulation"
    guides = payload(
        await client.call_tool("search", {"question": "着火了怎么办", "k": 5, "doc_type": ["guide"]})
    )
    assert guides["results"] and {r["doc_type"] for r in guides["results"]} == {"guide"}


async def check_ask(client: Client) -> None:
    data = payload(await client.call_tool("ask", {"question": "家里着火怎么办", "audience": "resident"}))
    assert list(data) == ["id", "answer", "refused", "citations", "timings_ms"]  # the ask --json object
    assert data["refused"] is False and "119" in data["answer"]
    assert data["citations"][0]["source"] == "家中着火怎么办"
    follow = payload(
        await client.call_tool("ask", {"question": "那物业呢", "history": ["台风来临前居委会要做什么"]})
    )
    assert follow["answer"].startswith("（已结合上一轮问题“台风来临前居委会要做什么”理解本问题）")
    assert not follow["refused"] and any("第四条" in c["locator"] for c in follow["citations"])


async def check_get_article(client: Client) -> None:
    data = payload(await client.call_tool("get_article", {"title": f"《{TITLE}》", "article": "第3条"}))
    assert data["locator"] == "第三条" and data["source"] == TITLE
    assert "独居老人和残疾人" in data["text"]
    missing = await client.call_tool("get_article", {"title": TITLE, "article": "第九十条"})
    assert "没有第九十条" in error_text(missing)
    unknown = await client.call_tool("get_article", {"title": "不存在的条例", "article": "第一条"})
    assert "list_documents" in error_text(unknown)
    short = payload(await client.call_tool("get_article", {"title": "社区防灾示例条例", "article": "七"}))
    assert short["citation"] == f"《{TITLE}》第七条"  # the title without its place, the number alone
    longer = await client.call_tool("get_article", {"title": f"{TITLE}实施细则", "article": "第七条"})
    assert "没有标题为" in error_text(longer)  # never the document whose title is only part of it


async def check_list_documents(client: Client) -> None:
    data = payload(await client.call_tool("list_documents", {}))
    titles = {row["title"] for row in data["documents"]}
    assert data["count"] == 3 and titles == {TITLE, "家中着火怎么办", "社区停电应对说明"}
    row = next(r for r in data["documents"] if r["title"] == TITLE)
    assert row["doc_type"] == "regulation" and row["chunks"] >= 7


def family_answers() -> dict[str, str]:
    checklist = load_checklists(PROJECT_ROOT / "corpus" / "checklists")["family-emergency"]
    return {item.id: max(item.options, key=lambda o: o.score).label for _, item in checklist.items()}


async def check_assess(client: Client) -> None:
    listed = payload(await client.call_tool("list_checklists", {}))
    assert "family-emergency" in {c["id"] for c in listed["checklists"]}
    data = payload(
        await client.call_tool(
            "assess", {"checklist": "family-emergency", "answers": family_answers(), "org": "测试家庭"}
        )
    )
    assert (data["checklist"], data["org"], data["total"]) == ("family-emergency", "测试家庭", 100.0)
    assert data["weak_points"] == [] and data["assessed_at"]
    wrong = await client.call_tool("assess", {"checklist": "family-emergency", "answers": {"nope": "是"}})
    assert "nope" in error_text(wrong)
    path = await client.call_tool("assess", {"checklist": "../../etc/passwd", "answers": {}})
    assert "内置清单的 id" in error_text(path)


async def check_bad_input_is_a_tool_error(client: Client) -> None:
    too_long = await client.call_tool("search", {"question": "台" * 501})
    assert "question" in error_text(too_long)
    bad_k = await client.call_tool("search", {"question": "台风", "k": 0})
    assert "k" in error_text(bad_k)
    audience = await client.call_tool("ask", {"question": "台风", "audience": "mayor"})
    assert "audience" in error_text(audience)
    history = await client.call_tool("ask", {"question": "台风", "history": ["问"] * 11})
    assert "history" in error_text(history)
    blank = await client.call_tool("ask", {"question": "   "})
    assert "问题不能为空" in error_text(blank)
    # the server is still there and answers normally
    again = payload(await client.call_tool("get_article", {"title": TITLE, "article": "第七条"}))
    assert again["locator"] == "第七条"


ALL_CHECKS: tuple[Check, ...] = (
    check_tools_listed,
    check_search,
    check_ask,
    check_get_article,
    check_list_documents,
    check_assess,
    check_bad_input_is_a_tool_error,
)
