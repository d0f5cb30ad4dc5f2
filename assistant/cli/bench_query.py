"""``bench query``: latency of retrieval plus the extractive answer, and memory at scale.

1. On the evaluation index (``../shared/corpus`` + ``corpus/``): every question of the dev set
   is asked twice (the second pass is measured), giving p50/p95 of retrieval + answer, next to
   the embedder's own time for one query, which is the floor.
2. With ``--scale N``: a synthetic index of N chunks made by varying the real ones (text gets
   a variant marker and a new document id; vectors get small Gaussian noise, so no extra
   embedding is needed), then the same measurement plus start-up time and peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import PROJECT_ROOT

DEVSET = PROJECT_ROOT / "eval" / "devset.jsonl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assistant.cli.bench_cmd import DEFAULT_CORPUS

    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR", help="外部语料目录")
    parser.add_argument("--index", type=Path, default=None, help="评测索引目录（默认 index/eval）")
    parser.add_argument("--scale", type=int, default=0, help="再在 N 个片段的合成索引上测量（如 100000）")
    parser.add_argument("--questions", type=Path, default=DEVSET, help="问题集 JSONL")
    parser.add_argument(
        "--scale-dir", type=Path, default=None, help="把合成索引保留在这个目录（默认用临时目录，测完删除）"
    )
    parser.add_argument(
        "--existing", action="store_true", help="只在 --index 指定的现有索引上测量（不索引语料；用于测内存）"
    )


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))], 2),
        "max": round(ordered[-1], 2),
    }


def _measure(assistant: Any, questions: list[tuple[str, str]]) -> dict[str, Any]:
    service = assistant.answer_service
    for q, audience in questions:  # warm pass: caches, first-touch of pages
        service.ask(q, audience=audience)
    totals, retrieve, embed = [], [], []
    for q, audience in questions:
        result = service.ask(q, audience=audience)
        totals.append(result.timings_ms["total"])
        retrieve.append(result.timings_ms["retrieve"])
    for q, _ in questions:
        t0 = time.perf_counter()
        assistant.embeddings.embed_query(q)
        embed.append((time.perf_counter() - t0) * 1000)
    return {
        "questions": len(questions),
        "total_ms": _percentiles(totals),
        "retrieve_ms": _percentiles(retrieve),
        "embed_one_query_ms": _percentiles(embed),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.cli.bench_cmd import BenchError, peak_rss_mb
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    if args.existing:
        return _run_existing(args)
    if not args.corpus.is_dir():
        raise BenchError(f"语料目录 {args.corpus} 不存在（基准需要 ../shared/corpus）")
    questions = _load_questions(args.questions)
    base = load_settings()
    index_dir = args.index or base.index_dir / "eval"
    assistant = build_assistant(load_settings(index_dir=index_dir))
    assistant.ingest_service.ingest([args.corpus, assistant.settings.corpus_dir])
    assistant.warm_up()
    figures: dict[str, Any] = {"index_chunks": assistant.store.count()}
    figures["shared_corpus"] = _measure(assistant, questions)
    figures["targets"] = {
        "p50_ms": 30,
        "p95_ms": 80,
        "scaled_p50_ms": 150,
        "scaled_rss_mb": 1536,
        "scaled_bm25_rebuild_s": 20,
        "scaled_lexical_load_s": 10,
    }
    if args.scale:
        figures["scaled"] = _scaled(assistant, args.scale, questions[:60], args.scale_dir)
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def _load_questions(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["q"], row.get("audience", "staff")) for row in rows]


def _run_existing(args: argparse.Namespace) -> dict[str, Any]:
    """Measure a serving process on an index that already exists: start-up, latency, peak RSS."""
    from assistant.cli.bench_cmd import BenchError, peak_rss_mb
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    if args.index is None or not args.index.is_dir():
        raise BenchError("--existing 需要用 --index 指定已有的索引目录")
    assistant = build_assistant(load_settings(index_dir=args.index))
    started = time.perf_counter()
    assistant.warm_up()
    figures: dict[str, Any] = {
        "index_chunks": assistant.store.count(),
        "warm_up_seconds": round(time.perf_counter() - started, 2),
    }
    figures.update(_measure(assistant, _load_questions(args.questions)))
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def _scaled(
    source: Any, target: int, questions: list[tuple[str, str]], keep: Path | None = None
) -> dict[str, Any]:
    """Copy the real chunks with variations until ``target`` chunks, then measure."""
    from assistant.domain import Chunk
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    collection = source.store._open()  # the benchmark reads vectors directly from Chroma
    data = collection.get(include=["embeddings"])
    vectors = {
        cid: np.asarray(vec, dtype=np.float32)
        for cid, vec in zip(data["ids"], data["embeddings"], strict=True)
    }
    originals = source.store.get_chunks()
    rng = np.random.default_rng(0)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    place = contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="bench-scale-")
    with place as tmp:
        assistant = build_assistant(load_settings(index_dir=Path(tmp)))
        store = assistant.store
        started = time.perf_counter()
        batch_chunks: list[Chunk] = []
        batch_vectors: list[list[float]] = []
        made = 0
        variant = 0
        while made < target:
            variant += 1
            for chunk in originals:
                if made >= target:
                    break
                meta = dict(chunk.metadata)
                meta["doc_id"] = f"{meta.get('doc_id', '')}v{variant}"
                meta["title"] = f"{meta.get('title', '')}（合成变体{variant}）"
                text = f"{chunk.text}（合成变体{variant}）"
                batch_chunks.append(
                    Chunk(f"{chunk.id}v{variant}", text, f"{chunk.embed_text} 变体{variant}", meta)
                )
                vec = vectors[chunk.id] + rng.normal(0, 0.02, size=vectors[chunk.id].shape).astype(np.float32)
                batch_vectors.append((vec / np.linalg.norm(vec)).tolist())
                made += 1
                if len(batch_chunks) >= 2000:
                    store.upsert(batch_chunks, batch_vectors)
                    batch_chunks, batch_vectors = [], []
        if batch_chunks:
            store.upsert(batch_chunks, batch_vectors)
        build_s = time.perf_counter() - started
        t0 = time.perf_counter()
        assistant.warm_up()  # BM25 over every chunk, built from the store and saved
        bm25_build_s = time.perf_counter() - t0
        rebuild = _lexical_rebuild_and_load(assistant)
        # A fresh serving process on the scaled index: its own latency and memory, nothing else.
        sample = Path(tmp) / "questions.jsonl"
        sample.write_text(
            "\n".join(json.dumps({"q": q, "audience": a}, ensure_ascii=False) for q, a in questions),
            encoding="utf-8",
        )
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "assistant",
                "bench",
                "query",
                "--existing",
                "--index",
                tmp,
                "--questions",
                str(sample),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise RuntimeError(f"scaled measurement failed: {child.stderr[-2000:]}")
        serving = json.loads(child.stdout.strip().splitlines()[-1])
        return {
            "chunks": store.count(),
            "store_build_seconds": round(build_s, 1),
            "bm25_build_seconds": round(bm25_build_s, 1),
            **rebuild,
            "serving_process": serving,
        }


def _lexical_rebuild_and_load(assistant: Any) -> dict[str, float]:
    """What an ingest worker and a starting replica pay at this size.

    A rebuild after an ingest reads the chunks from the store and reuses the saved tokens of
    the previous generation (only changed chunks are tokenised; here none changed); a
    replica's start loads a saved index instead of building one.
    """
    from assistant.components.lexical_index import LexicalIndex, saved_tokens

    folder = assistant.settings.index_dir / "bm25" / assistant.collection_name
    started = time.perf_counter()
    chunks = assistant.store.get_chunks()
    read_s = time.perf_counter() - started
    known = saved_tokens(folder)
    rebuilt = LexicalIndex(assistant.tokenizer)
    rebuilt.build(chunks, rebuilt.generation, known_tokens=known)
    rebuild_s = time.perf_counter() - started
    started = time.perf_counter()
    loaded = LexicalIndex(assistant.tokenizer)
    ok = loaded.load(folder, assistant.manifest.generation())
    load_s = time.perf_counter() - started
    return {
        "bm25_rebuild_seconds": round(rebuild_s, 1),
        "bm25_rebuild_store_read_seconds": round(read_s, 1),
        "lexical_load_seconds": round(load_s, 1) if ok else -1.0,
    }
