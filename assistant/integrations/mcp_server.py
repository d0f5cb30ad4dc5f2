"""The assistant as a Model Context Protocol server (official ``mcp`` SDK, ``MCPServer``).

Why these tools: an agent needs to find passages (``search``), get a cited answer (``ask``),
read one article in full (``get_article``), know what the library holds (``list_documents``,
``list_checklists``) and score a self-assessment (``assess``). Each tool is a shell over
:class:`~assistant.integrations.tools.IntegrationTools`; its schema carries the bounds of
:mod:`assistant.services.input_limits`, and the same limits are checked again inside (a client
may skip schema validation). Bad input raises ``ToolError`` — the client gets a tool result
with ``isError`` and the Chinese message, and the server keeps serving.

Transports: stdio (``python -m assistant mcp``) and streamable HTTP on loopback only
(``--http PORT``, endpoint ``/mcp``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from assistant.factory import Assistant
from assistant.integrations.tools import (
    MAX_ARTICLE_CHARS,
    MAX_FILTER_VALUE_CHARS,
    MAX_FILTER_VALUES,
    MAX_TITLE_CHARS,
    IndexEmptyError,
    IntegrationTools,
)
from assistant.services.input_limits import (
    MAX_ANSWER_ITEMS,
    MAX_CHECKLIST_ID_CHARS,
    MAX_HISTORY_ITEM_CHARS,
    MAX_HISTORY_ITEMS,
    MAX_ORG_CHARS,
    MAX_QUESTION_CHARS,
)
from assistant.services.search import MAX_K

SERVER_NAME = "resilience-assistant"
#: Only loopback: the server has no authentication of its own.
HTTP_HOST = "127.0.0.1"

INSTRUCTIONS = (
    "韧性城市知识助手：离线检索城市安全与韧性相关的法规条文、应急预案和自救指南，"
    "回答时附出处（《标题》第X条）；也可按自评清单给单位或家庭打分。"
    "先用 search 或 ask，需要条文全文时用 get_article，不确定有哪些文档时用 list_documents。"
)

Question = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="问题或关键词（中文），例如“台风红色预警时居委会要做什么”",
    ),
]
AudienceField = Annotated[
    Literal["resident", "staff", "department"],
    Field(
        description=(
            "提问对象：resident 居民（通俗自救步骤优先）、"
            "staff 街道/居委会工作人员（条文优先）、department 部门"
        )
    ),
]
FilterValues = Annotated[
    list[Annotated[str, Field(max_length=MAX_FILTER_VALUE_CHARS)]] | None,
    Field(max_length=MAX_FILTER_VALUES),
]


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one tool; bad input and an empty index become tool errors with the Chinese message."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, IndexEmptyError) as exc:  # ToolInputError and InputLimitError are ValueErrors
        raise ToolError(str(exc)) from exc


def build_server(assistant: Assistant) -> MCPServer:
    """An MCP server whose tools call ``assistant``'s services."""
    tools = IntegrationTools(assistant)
    server: MCPServer = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(
        name="search",
        title="检索条文",
        description="按相关度检索条文、论文段落和知识卡片（不生成回答），每条附全文、出处和得分，同一条文只出现一次。",
        annotations=read_only,
    )
    def search(
        question: Question,
        k: Annotated[int, Field(ge=1, le=MAX_K, description=f"返回条数，1 到 {MAX_K}")] = 10,
        audience: AudienceField = "staff",
        doc_type: Annotated[
            FilterValues, Field(description="只在这些文档类型中检索，例如 regulation、guide")
        ] = None,
        jurisdiction: Annotated[
            FilterValues, Field(description="只在这些地域的文档中检索，例如 上海、国家")
        ] = None,
    ) -> dict[str, Any]:
        filters = {"doc_type": doc_type, "jurisdiction": jurisdiction}
        return dict(_call(tools.search, question, k, audience, {k_: v for k_, v in filters.items() if v}))

    @server.tool(
        name="ask",
        title="提问",
        description=(
            "回答一个城市安全与韧性问题，附引用（与 python -m assistant ask --json 的对象相同）。"
            "资料不足时拒答（refused 为 true），不会编造。history 为此前的问题，用于理解追问。"
        ),
        annotations=read_only,
    )
    def ask(
        question: Question,
        audience: AudienceField = "staff",
        history: Annotated[
            list[Annotated[str, Field(max_length=MAX_HISTORY_ITEM_CHARS)]] | None,
            Field(
                max_length=MAX_HISTORY_ITEMS,
                description=f"此前的问题（最早的在前），最多 {MAX_HISTORY_ITEMS} 条",
            ),
        ] = None,
    ) -> dict[str, Any]:
        return dict(_call(tools.ask, question, audience, history or []))

    @server.tool(
        name="get_article",
        title="查看条文全文",
        description=(
            "按文档标题和条号取出一条条文的全文，例如 title=“上海市防汛条例”、"
            "article=“第四十一条”。找不到时返回错误。"
        ),
        annotations=read_only,
    )
    def get_article(
        title: Annotated[
            str, Field(min_length=1, max_length=MAX_TITLE_CHARS, description="文档标题，可带或不带书名号")
        ],
        article: Annotated[
            str,
            Field(min_length=1, max_length=MAX_ARTICLE_CHARS, description="条号：第X条，如“第七条”或“第7条”"),
        ],
    ) -> dict[str, Any]:
        return dict(_call(tools.get_article, title, article))

    @server.tool(
        name="list_documents",
        title="已索引的文档",
        description="列出索引中的全部文档：标题、文件、文档类型、地域、版本日期和分块数。",
        annotations=read_only,
    )
    def list_documents() -> dict[str, Any]:
        return dict(_call(tools.list_documents))

    @server.tool(
        name="list_checklists",
        title="自评清单",
        description="列出内置的自评清单（id、标题、版本、适用对象、条目数），供 assess 使用。",
        annotations=read_only,
    )
    def list_checklists() -> dict[str, Any]:
        return dict(_call(tools.list_checklists))

    @server.tool(
        name="assess",
        title="自评打分",
        description=(
            "按内置自评清单给一份答案打分，返回总分、等级、各维度得分、薄弱环节及其依据"
            "（与 python -m assistant assess --json 的对象相同），并保存到自评历史。"
            "答案有误时返回错误，列出有问题的条目及可选答案。"
        ),
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False),
    )
    def assess(
        checklist: Annotated[
            str,
            Field(
                min_length=1,
                max_length=MAX_CHECKLIST_ID_CHARS,
                description="内置清单 id（见 list_checklists）",
            ),
        ],
        answers: Annotated[
            dict[str, str],
            Field(max_length=MAX_ANSWER_ITEMS, description='答案：{"条目id": "选项标签" 或 "N/A"}'),
        ],
        org: Annotated[
            str, Field(max_length=MAX_ORG_CHARS, description="单位或社区名称（用于历史对比）")
        ] = "",
    ) -> dict[str, Any]:
        return dict(_call(tools.assess, checklist, answers, org))

    return server


def serve(assistant: Assistant, http_port: int | None = None) -> None:
    """Serve over stdio, or over streamable HTTP on ``127.0.0.1:http_port`` (endpoint ``/mcp``)."""
    import contextlib
    import sys

    import anyio

    # Load models now, so the first tool call answers at once and no worker threads race to
    # build them; on stdio, stdout is the protocol wire, so stray library output goes to stderr
    # (while serving, the SDK itself points fd 1 at stderr).
    with contextlib.redirect_stdout(sys.stderr):
        IntegrationTools(assistant).warm_up()
    server = build_server(assistant)
    if http_port is None:
        anyio.run(server.run_stdio_async)
    else:
        anyio.run(lambda: server.run_streamable_http_async(host=HTTP_HOST, port=http_port))
