"""``python -m assistant ingest PATH...``: add files and folders to the index."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json
from assistant.services.ingest import IngestReport

STATUS_LABELS = {
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "failed": "失败",
    "removed": "移除",
    "skipped": "跳过",
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="把文件或文件夹加入索引（增量，未变化的文件不会重新处理）",
        description=(
            "把文档（文件或文件夹，递归）加入知识索引。内容未变化的文件直接跳过；"
            "某个文件失败不影响其他文件，已在索引中的旧内容会保留。任何文件失败时退出码为 1。"
        ),
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="文件或文件夹")
    parser.add_argument("--index", type=Path, metavar="DIR", help="索引文件夹（默认：项目的 index/）")
    parser.add_argument("--prune", action="store_true", help="从索引中移除所给文件夹下已被删除的文件")
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象（便于脚本处理）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.components.embeddings import EmbeddingModelError
    from assistant.components.index_lock import IndexBusyError
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    assistant = build_assistant(load_settings(index_dir=args.index))
    bar: Any = None
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=0, unit="个文件", desc="索引", file=sys.stderr, leave=False)

        def progress(done: int, total: int, current: str) -> None:
            bar.total = total
            bar.set_postfix_str(Path(current).name[:40], refresh=False)
            bar.update(done - bar.n)

    try:
        report = assistant.ingest_service.ingest(list(args.paths), prune=args.prune, progress=progress)
    except (EmbeddingModelError, IndexBusyError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    published = None
    if assistant.settings.lexical_dir is not None:
        # The worker of a multi-machine deployment: replicas load this instead of rebuilding.
        try:
            published = assistant.lexical_keeper.publish()
        except OSError as exc:
            print(f"错误：检索索引未能发布到 {assistant.settings.lexical_dir}：{exc}", file=sys.stderr)
            return 2
    if args.json:
        body = report.to_json()
        if published is not None:
            body["published"] = str(published)
        print_json(body)
    else:
        print_summary(report, assistant.store.location)
        if published is not None:
            print(f"检索索引已发布：{published}")
    return 1 if report.failed else 0


def display_width(text: str) -> int:
    """Terminal columns of ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def print_summary(report: IngestReport, location: str) -> None:
    """A plain table: status, chunk count, file, reason; then one summary line."""
    width = min(max((display_width(result.file) for result in report.files), default=4), 80)
    print(f"状态  {'片段':>4}  {pad('文件', width)}  原因")
    for result in report.files:
        label = STATUS_LABELS[result.status]
        print(f"{label}  {result.chunks:>6}  {pad(result.file, width)}  {result.reason}".rstrip())
    counts: Counter[str] = Counter(result.status for result in report.files)
    parts = "，".join(f"{label} {counts[status]}" for status, label in STATUS_LABELS.items())
    print(
        f"\n共 {len(report.files)} 个文件：{parts}。本次嵌入 {report.embedded_chunks} 个片段，"
        f"索引共 {report.total_chunks} 个片段（{location}），用时 {report.seconds:.1f} 秒。"
    )
