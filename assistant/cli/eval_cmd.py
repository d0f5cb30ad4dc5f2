"""``eval``: measure retrieval and answers on the team's question sets.

The evaluation index holds ``../shared/corpus`` plus the project's ``corpus/`` and lives in
``index/eval`` (incremental: a second run embeds nothing). The vanilla LangChain baseline
sits beside it in ``index/eval-vanilla``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json
from assistant.settings import PROJECT_ROOT

DEFAULT_SET = PROJECT_ROOT / "eval" / "devset.jsonl"
PACK_SET = PROJECT_ROOT / "eval" / "pack_questions.jsonl"
SHARED_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
BLIND_SET = PROJECT_ROOT / "eval" / "blindset.jsonl"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "eval",
        help="评测检索与回答（hit@1、hit@5、MRR、nDCG@5、引用精度、拒答、延迟）",
        description="在评测问题集上对比混合检索、单独 BM25、单独向量检索和原始 LangChain 流程。",
    )
    parser.add_argument(
        "--set", type=Path, default=DEFAULT_SET, help="问题集 JSONL（默认 eval/devset.jsonl）"
    )
    parser.add_argument(
        "--pack-set", type=Path, default=PACK_SET, help="知识包问题集（默认 eval/pack_questions.jsonl）"
    )
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS, help="外部语料目录（默认 ../shared/corpus）"
    )
    parser.add_argument("--index", type=Path, help="评测索引目录（默认 index/eval）")
    parser.add_argument("--split", action="append", help="只评测这些 split（dev/test，可重复）")
    parser.add_argument("--no-baseline", action="store_true", help="不运行原始 LangChain 基线")
    parser.add_argument("--report", type=Path, default=PROJECT_ROOT / "eval" / "reports" / "latest.md")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    parser.add_argument(
        "--ranking",
        action="store_true",
        help=(
            "只评测检索排序：盲测集 dev/test 与开发集 test 上的 BM25、向量、旧融合与排序模型，"
            "按意图与对象分组，附 ranx 配对检验；写入 eval/reports/ranking-<嵌入模型>.md"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.cli.eval_index import open_evaluation_index
    from assistant.services.baseline import VanillaLangChainBaseline
    from assistant.services.evaluate import Evaluator, load_eval_set, render_markdown

    if not args.set.is_file():
        print(f"{args.set}: 问题集不存在", file=sys.stderr)
        return 2
    opened = open_evaluation_index(args.corpus, args.index, "评测")
    if opened is None:
        return 2
    assistant = opened.assistant
    _say(
        f"评测索引：{opened.total_chunks} 个片段（本次嵌入 {opened.embedded_chunks} 个），"
        f"{opened.seconds:.1f} 秒"
    )
    if args.ranking:
        return _ranking(assistant, opened.total_chunks, args.json)
    items = load_eval_set(args.set)
    if args.split:
        items = [i for i in items if i.split in set(args.split)]
    baseline = None
    if not args.no_baseline:
        index_dir = assistant.settings.index_dir
        baseline = VanillaLangChainBaseline(
            assistant.loader, assistant.embeddings, index_dir.parent / (index_dir.name + "-vanilla")
        )
        files = [p for p in sorted(args.corpus.rglob("*")) if p.is_file() and p.suffix in {".md", ".txt"}]
        files += [p for p in sorted(assistant.settings.corpus_dir.rglob("*.md"))]
        _say(f"原始 LangChain 基线：{baseline.build(files)} 个片段")
    evaluator = Evaluator(assistant.answer_service, assistant.retriever, baseline)
    report = evaluator.run(items, progress=_say)
    pack = None
    if args.pack_set and args.pack_set.is_file():
        _say("知识包问题集")
        pack = evaluator.run_pack(load_eval_set(args.pack_set))
    markdown = render_markdown(report, pack)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(markdown + "\n", encoding="utf-8")
    if args.json:
        print_json({"report": report, "pack": pack, "report_file": str(args.report)})
    else:
        print(markdown)
        print(f"\n报告已写入 {args.report}")
    return 0


def _ranking(assistant: Any, chunks: int, as_json: bool) -> int:
    from assistant.services.evaluate import load_eval_set
    from assistant.services.ranking import training
    from assistant.services.ranking.report import ranking_report, render_ranking_markdown

    blind = load_eval_set(BLIND_SET)
    old = load_eval_set(DEFAULT_SET)
    splits = {
        "blind-dev": [i for i in blind if i.split == "dev"],
        "blind-test": [i for i in blind if i.split == "test"],
        "devset-test": [i for i in old if i.split == "test"],
    }
    _say("排序评测：" + "，".join(f"{name} {len(items)} 题" for name, items in splits.items()))
    report = ranking_report(assistant.retriever, splits, training.load_current_versions())
    profile = assistant.settings.embedding_model
    path = PROJECT_ROOT / "eval" / "reports" / f"ranking-{profile}.md"
    markdown = render_ranking_markdown(report, profile, chunks)
    path.write_text(markdown + "\n", encoding="utf-8")
    if as_json:
        print_json({"report": report, "report_file": str(path)})
    else:
        print(markdown)
        print(f"\n报告已写入 {path}")
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
