"""The ``python -m assistant`` command line: a thin shell over :func:`assistant.factory.build_assistant`.

Each sub-command lives in its own module exposing ``add_parser(subparsers)``; the parser it
adds sets ``func`` to a handler ``(args) -> int`` (the exit status). Handlers only parse
input, call the library and present the result.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "assistant.cli.ask_cmd",
    "assistant.cli.search_cmd",
    "assistant.cli.ingest_cmd",
    "assistant.cli.stats_cmd",
    "assistant.cli.chunks_cmd",
    "assistant.cli.eval_cmd",
    "assistant.cli.train_ranker_cmd",
    "assistant.cli.train_router_cmd",
    "assistant.cli.train_how_to_cmd",
    "assistant.cli.bench_cmd",
    "assistant.cli.assess_cmd",
    "assistant.cli.mcp_cmd",
    "assistant.cli.serve_openai_cmd",
    "assistant.cli.ledger_cmd",
    "assistant.cli.deploy_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="韧性城市知识助手：离线的城市安全与韧性知识问答、文档索引与自评工具。",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
