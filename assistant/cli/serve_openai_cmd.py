"""``serve-openai``: an OpenAI-compatible chat endpoint for chat clients and the ``openai`` SDK."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "serve-openai",
        help="提供 OpenAI 兼容的对话接口（/v1/chat/completions、/v1/models）",
        description=(
            "让 Open WebUI、Cherry Studio、ChatBox 等客户端或 openai SDK 直接对话。模型名选择回答对象："
            "resilience-resident、resilience-staff、resilience-department。"
            "设置 RESILIENCE_API_KEYS 后需带 Bearer 密钥。"
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"监听地址（默认 {DEFAULT_HOST}）")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）")
    parser.add_argument("--index", type=Path, help="索引目录（默认 index/）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.factory import build_assistant
    from assistant.integrations.openai_guards import parse_api_keys
    from assistant.integrations.openai_server import serve
    from assistant.settings import load_settings

    if not 1 <= args.port <= 65535:
        print("--port 应在 1 到 65535 之间。", file=sys.stderr)
        return 2
    settings = load_settings(index_dir=args.index)
    if not _is_loopback(args.host) and not parse_api_keys(settings.api_keys):
        print(
            f"警告：在 {args.host} 上监听但未设置 RESILIENCE_API_KEYS，任何能访问该地址的人都可以调用。",
            file=sys.stderr,
        )
    assistant = build_assistant(settings)
    if not assistant.store.may_exist() or assistant.store.count() == 0:
        print(f"提示：索引为空（{assistant.store.location}），请先运行 make run 或 ingest。", file=sys.stderr)
    print(f"OpenAI 兼容接口：http://{args.host}:{args.port}/v1", file=sys.stderr, flush=True)
    serve(assistant, args.host, args.port)
    return 0
