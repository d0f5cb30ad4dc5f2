"""``ask``: answer one question, or a JSONL batch, from the index."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json

AUDIENCE_CHOICES = ("resident", "staff", "department")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "ask",
        help="回答一个问题（带引用）",
        description="从索引中检索依据并回答问题；默认离线摘录式回答，配置大模型后由大模型生成。",
    )
    parser.add_argument("question", nargs="?", help="问题，例如“台风红色预警时居委会要做什么？”")
    parser.add_argument(
        "--audience", choices=AUDIENCE_CHOICES, default="staff", help="回答对象（默认 staff）"
    )
    parser.add_argument("--index", type=Path, help="索引目录（默认 index/）")
    parser.add_argument("--k", type=int, default=None, help="引用的段落数（默认 5）")
    parser.add_argument("--batch", type=Path, help='JSONL 文件，每行 {"id", "q", "audience"}')
    parser.add_argument("--doc-type", action="append", help="只在这些文档类型中检索（可重复）")
    parser.add_argument("--jurisdiction", action="append", help="只在这些地域的文档中检索（可重复）")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    if not args.batch and not args.question:
        print("请给出问题，或用 --batch 指定问题文件。", file=sys.stderr)
        return 2
    if args.k is not None and not 1 <= args.k <= 50:
        print("--k 应在 1 到 50 之间。", file=sys.stderr)
        return 2
    assistant = build_assistant(load_settings(index_dir=args.index))
    if not assistant.store.may_exist() or assistant.store.count() == 0:
        print(
            f"索引为空（{assistant.store.location}）：请先运行 make run，"
            "或用 python -m assistant ingest corpus 建立索引。",
            file=sys.stderr,
        )
        return 1
    service = assistant.answer_service
    filters = {"doc_type": args.doc_type, "jurisdiction": args.jurisdiction}
    filters = {key: value for key, value in filters.items() if value}
    if args.batch:
        return _run_batch(service, args.batch, args.k, filters)
    result = service.ask(args.question, audience=args.audience, k=args.k, filters=filters or None)
    if args.json:
        print_json(result.to_json())
        return 0
    print(result.answer)
    if result.citations:
        print("\n引用：")
        for c in result.citations:
            print(f"[{c.n}] 《{c.source}》{c.locator}  ({c.file})")
    return 0


def _run_batch(service: Any, path: Path, k: int | None, filters: dict[str, Any]) -> int:
    if not path.is_file():
        print(f"{path}: 文件不存在", file=sys.stderr)
        return 2
    status = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = str(row["q"])
            audience = row.get("audience") or "staff"
            if audience not in AUDIENCE_CHOICES:
                raise ValueError(f"audience 应为 {'/'.join(AUDIENCE_CHOICES)} 之一")
            history = row.get("history") or []
            if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
                raise ValueError("history 应为字符串列表（之前的问题，先问的在前）")
            result = service.ask(
                question, audience=audience, history=history, k=k, filters=filters or None, id=row.get("id")
            )
        except (ValueError, KeyError, TypeError) as exc:  # InputLimitError is a ValueError
            print(f"{path.name} 第 {n} 行无效：{exc}", file=sys.stderr)
            status = 1
            continue
        print_json(result.to_json())
    return status
