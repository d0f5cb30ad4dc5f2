"""``mcp``: serve the assistant's tools over the Model Context Protocol (stdio or loopback HTTP)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "mcp",
        help="作为 MCP 服务运行（供大模型客户端和智能体调用工具）",
        description=(
            "提供 MCP 工具 search、ask、get_article、list_documents、list_checklists 和 assess。"
            "默认通过标准输入输出（stdio）通信；--http PORT 改为在 127.0.0.1 上提供 streamable HTTP（/mcp）。"
        ),
    )
    parser.add_argument("--http", type=int, metavar="PORT", help="在 127.0.0.1:PORT/mcp 提供 streamable HTTP")
    parser.add_argument("--index", type=Path, help="索引目录（默认 index/）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.factory import build_assistant
    from assistant.integrations.mcp_server import HTTP_HOST, serve
    from assistant.settings import load_settings

    if args.http is not None and not 1 <= args.http <= 65535:
        print("--http 端口应在 1 到 65535 之间。", file=sys.stderr)
        return 2
    assistant = build_assistant(load_settings(index_dir=args.index))
    if args.http is not None:
        print(f"MCP 服务：http://{HTTP_HOST}:{args.http}/mcp", file=sys.stderr, flush=True)
    serve(assistant, http_port=args.http)
    return 0
