"""``python -m assistant ledger``: list citations that need review, record reviewed ones.

Thin shell over :mod:`assistant.components.citation_ledger`. Reading the cited articles
needs the regulation texts (``../shared/corpus/regulations`` by default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from assistant.cli.common import print_json

INPUT_ERROR = 2


def add_parser(subparsers: Any) -> None:
    from assistant.settings import PROJECT_ROOT

    parser = subparsers.add_parser(
        "ledger",
        help="核对知识包引用：列出待核对的（卡片、主张、条文），记录已核对的结论",
        description="引用核对台账（corpus/citations.lock.yaml）：主张或条文改动后需要重新核对。",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--pending", action="store_true", help="列出尚未核对或需要重新核对的引用")
    mode.add_argument(
        "--accept", type=Path, metavar="FILE", help="YAML 列表：card、article、claim_sha、reason"
    )
    parser.add_argument(
        "--regulations",
        type=Path,
        default=PROJECT_ROOT.parent / "shared" / "corpus" / "regulations",
        metavar="DIR",
        help="法规全文所在文件夹（默认：../shared/corpus/regulations）",
    )
    parser.add_argument("--json", action="store_true", help="每条待核对引用输出一行 JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.components import citation_ledger as cl
    from assistant.settings import load_settings

    corpus = load_settings().corpus_dir
    ledger = corpus / cl.LEDGER_FILE
    if not args.regulations.is_dir():
        print(f"找不到法规文件夹：{args.regulations}", file=sys.stderr)
        return INPUT_ERROR
    try:
        pairs = cl.scope_pairs(corpus)
        articles = cl.article_texts(args.regulations)
        if args.accept is not None:
            reviews = yaml.safe_load(args.accept.read_text(encoding="utf-8")) or []
            if not isinstance(reviews, list):
                raise cl.LedgerError(f"{args.accept.name}: 应为核对记录的列表")
            entries = cl.accept(ledger, pairs, articles, reviews)
            print(f"已记录 {len(reviews)} 条核对结论；台账共 {len(entries)} 条。")
            return 0
        pending = cl.pending(pairs, cl.load_ledger(ledger), articles)
    except (OSError, yaml.YAMLError, cl.LedgerError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return INPUT_ERROR
    for item in pending:
        row = {"card": item.pair.card, "article": item.pair.article, "claim_sha": item.pair.claim_sha,
               "claim": item.pair.claim, "reason": item.reason}  # fmt: skip
        if args.json:
            print_json(row)
        else:
            print(f"{row['card']}｜{row['article']}｜{row['claim_sha']}｜{item.reason}\n  {item.pair.claim}")
    print(f"共 {len(pairs)} 条引用，待核对 {len(pending)} 条。", file=sys.stderr)
    return 1 if pending else 0
