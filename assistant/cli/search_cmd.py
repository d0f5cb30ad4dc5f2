"""``search``: ranked passages for a question (or a JSONL batch), one entry per article, no answer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.ask_cmd import AUDIENCE_CHOICES
from assistant.cli.common import print_json


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "search",
        help="查条文：按相关度列出条文和段落（不生成回答）",
        description="检索并排序条文、论文段落和知识卡片，每条一项，附全文。",
    )
    parser.add_argument("question", nargs="?", help="问题或关键词")
    parser.add_argument("--k", type=int, default=10, help="返回条数（默认 10，最多 50）")
    parser.add_argument(
        "--audience", choices=AUDIENCE_CHOICES, default="staff", help="提问对象（默认 staff）"
    )
    parser.add_argument("--batch", type=Path, help='JSONL 文件，每行 {"id", "q", "audience"}')
    parser.add_argument("--index", type=Path, help="索引目录（默认 index/）")
    parser.add_argument("--doc-type", action="append", help="只在这些文档类型中检索（可重复）")
    parser.add_argument("--jurisdiction", action="append", help="只在这些地域的文档中检索（可重复）")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.factory import build_assistant
    from assistant.services.search import MAX_K, SearchService
    from assistant.settings import load_settings

    if not args.batch and not args.question:
        print("请给出问题，或用 --batch 指定问题文件。", file=sys.stderr)
        return 2
    if not 1 <= args.k <= MAX_K:
        print(f"--k 应在 1 到 {MAX_K} 之间。", file=sys.stderr)
        return 2
    assistant = build_assistant(load_settings(index_dir=args.index))
    if not assistant.store.may_exist() or assistant.store.count() == 0:
        print(f"索引为空（{assistant.store.location}）：请先运行 make run 或 ingest。", file=sys.stderr)
        return 1
    service = SearchService(assistant.retriever)
    filters = {
        key: value
        for key, value in {"doc_type": args.doc_type, "jurisdiction": args.jurisdiction}.items()
        if value
    }
    if args.batch:
        return _batch(service, args.batch, args.k, filters or None)
    try:
        result = service.search(args.question, k=args.k, audience=args.audience, filters=filters or None)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print_json(result.to_json())
        return 0
    print(f"意图：{result.intent or '（未知）'}  用时 {result.total_ms:.0f} ms")
    for n, hit in enumerate(result.hits, start=1):
        first = hit.text.strip().splitlines()[0] if hit.text.strip() else ""
        head = f"{n:>2}. 《{hit.source}》{hit.locator}  {hit.score:.3f}{_validity(hit.validity)}"
        print(f"{head}\n    {first[:80]}")
    return 0


def _batch(service: Any, path: Path, k: int, filters: Any) -> int:
    if not path.is_file():
        print(f"{path}: 文件不存在", file=sys.stderr)
        return 2
    status = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            result = service.search(
                str(row["q"]), k=k, audience=row.get("audience") or "staff", filters=filters, id=row.get("id")
            )
        except (ValueError, KeyError, TypeError) as exc:
            print(f"{path.name} 第 {n} 行无效：{exc}", file=sys.stderr)
            status = 1
            continue
        print_json(result.to_json())
    return status


def _validity(validity: dict[str, Any]) -> str:
    """'  [已废止：《上海市气象条例》第四十一条，2024-11-01]' for a repealed passage, else its status."""
    status = validity.get("status", "unknown")
    by = validity.get("repealed_by")
    if status == "repealed" and by:
        return f"  [已废止：《{by['title']}》{by['article']}，{by['date'] or '日期不详'}]"
    label = {"in_force": "现行有效", "amended": "已修改", "repealed": "已废止"}.get(status, "")
    dates = validity.get("effective_date") or validity.get("version_date") or ""
    return f"  [{label}{'，' + dates if dates and label else ''}]" if label else ""
