"""``python -m assistant chunks FILE [--json]``: show how one document is chunked.

For authors of the knowledge pack and for debugging retrieval: it shows exactly which
units (articles, sections) a file becomes, where each one starts and how long it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.domain import Chunk, DocumentLoadError

PREVIEW_CHARS = 60


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "chunks",
        help="显示一个文件被切分成的片段（条款或章节）",
        description="读取一个文件并列出切分结果：定位（章/条或章节路径）、页码、字数和开头文字。",
    )
    parser.add_argument("file", type=Path, help="要切分的文件（.md/.txt/.pdf/.docx/.html）")
    parser.add_argument("--json", action="store_true", help="以 JSON 列表输出全部片段（含元数据）")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    # Imported here so the CLI starts (and --help works) even while a component is broken.
    from assistant.components.chunking import DocumentChunker
    from assistant.components.loaders import DocumentLoader
    from assistant.settings import load_settings

    settings = load_settings()
    path: Path = args.file
    if not path.is_file():
        print(f"无法读取 {path}：文件不存在", file=sys.stderr)
        return 1
    try:
        doc = DocumentLoader(settings).load(path)
    except DocumentLoadError as error:
        print(f"无法读取 {error}", file=sys.stderr)
        return 1
    chunks = DocumentChunker(settings).chunk(doc)
    if args.json:
        payload = [{"text": c.text, "locator": c.locator, "metadata": c.metadata} for c in chunks]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return 0
    _print_table(chunks, path)
    return 0


def _print_table(chunks: list[Chunk], path: Path) -> None:
    if not chunks:
        print(f"{path.name}：没有可索引的文字。")
        return
    meta = chunks[0].metadata
    print(
        f"《{meta['title']}》 类型：{meta['doc_type']}  地区：{meta['jurisdiction'] or '—'}  "
        f"版本日期：{meta['version_date'] or '—'}  片段：{len(chunks)}"
    )
    for chunk in chunks:
        part = f"（第{chunk.metadata['part']}部分）" if chunk.metadata["part"] else ""
        page = f"第{chunk.metadata['page']}页" if chunk.metadata["page"] else "—"
        preview = chunk.text.replace("\n", " ")[:PREVIEW_CHARS]
        print(
            f"{chunk.metadata['ordinal']:>4}  {chunk.locator}{part}  {page}  {len(chunk.text)}字  {preview}"
        )
