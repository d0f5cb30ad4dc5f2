"""``python -m assistant stats``: what the index holds."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="显示索引概况：文档数、片段数、文档类型与地区分布、向量模型",
        description="显示索引中的文档与片段统计、使用的向量模型、集合名称和索引位置。",
    )
    parser.add_argument("--index", type=Path, metavar="DIR", help="索引文件夹（默认：项目的 index/）")
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    parser.set_defaults(func=run)


def collect_stats(index: Path | None) -> dict[str, Any]:
    """Figures about the index; an absent local index reads as empty and is not created."""
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    assistant = build_assistant(load_settings(index_dir=index))
    settings = assistant.settings
    exists = bool(settings.chroma_host) or (settings.index_dir / "chroma").is_dir()
    documents = assistant.store.documents() if exists else []
    _add_status(documents, assistant.manifest)
    return {
        "documents": len(documents),
        "chunks": sum(int(row["chunks"]) for row in documents),
        "by_doc_type": dict(sorted(Counter(str(row["doc_type"] or "未知") for row in documents).items())),
        "by_jurisdiction": dict(
            sorted(Counter(str(row["jurisdiction"] or "未知") for row in documents).items())
        ),
        "embedding_model": settings.embedding_model,
        "collection": assistant.collection_name,
        "index_location": assistant.store.location,
        "manifest": str(assistant.manifest.path),
        "by_status": dict(sorted(Counter(str(row["status"]) for row in documents).items())),
        "generation": assistant.manifest.generation() if exists else 0,
        "document_list": documents,
    }


def run(args: argparse.Namespace) -> int:
    stats = collect_stats(args.index)
    if args.json:
        print_json(stats)
        return 0
    print(f"索引位置：{stats['index_location']}")
    print(f"向量模型：{stats['embedding_model']}（集合 {stats['collection']}）")
    print(f"文档 {stats['documents']} 个，片段 {stats['chunks']} 个，版本号 {stats['generation']}")
    if not stats["documents"]:
        print("索引为空：请先运行 python -m assistant ingest <文件或文件夹>。")
        return 0
    print("按文档类型：" + "，".join(f"{key} {value}" for key, value in stats["by_doc_type"].items()))
    print("按地区：" + "，".join(f"{key} {value}" for key, value in stats["by_jurisdiction"].items()))
    print("按效力：" + "，".join(f"{key} {value}" for key, value in stats["by_status"].items()))
    print()
    for row in stats["document_list"]:
        print(
            f"{row['chunks']:>5}  {row['doc_type'] or '-':<12} {row['jurisdiction'] or '-':<6} {row['title']}"
            f"  [{row['status_label']}；施行 {row['effective_date'] or '-'}"
            f"；版本 {row['version_date'] or '-'}]"
        )
    return 0


def _add_status(documents: list[dict[str, Any]], manifest: Any) -> None:
    """Each document row gets the status, dates and repealed_by the last ingest computed."""
    from assistant.services.document_status import status_label, stored_status

    entries = manifest.entries() if manifest.path.exists() else {}
    by_doc = {entry.doc_id: stored_status(entry) for entry in entries.values()}
    for row in documents:
        status = by_doc.get(str(row.get("doc_id", "")))
        row["status"] = status.status if status else "unknown"
        row["status_label"] = status_label(status) if status else "未知"
        row["effective_date"] = status.effective_date if status else ""
        row["version_date"] = (status.version_date if status else "") or str(row.get("version_date") or "")
        row["repealed_by"] = status.repealed_by if status else None
