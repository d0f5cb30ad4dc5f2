"""``bench query``: latency of retrieval plus the extractive answer, and memory at scale.

1. On the evaluation index (``../shared/corpus`` + ``corpus/``): every question of the dev set
   is asked twice (the second pass is measured), giving p50/p95 of retrieval + answer, next to
   the embedder's own time for one query, which is the floor.
2. With ``--scale N``: a synthetic index of N chunks made by varying the real ones (text gets
   a variant marker and a new document id; vectors get small Gaussian noise, so no extra
   embedding is needed; each variant document gets its manifest row, as ingest writes it),
   then the same measurement plus start-up time and peak RSS. With ``--scale-dir`` the
   synthetic index is kept and re-used by the next run of the same size.
3. At that size, an ingest-like change (one document added, one replaced, one removed) and
   the BM25 rebuild the worker then does, next to a full rebuild read from the store; the two
   must hold the same chunks and give the same scores.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
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


_SCALE_MARK = "bench-scale.json"


def _scaled(
    source: Any, target: int, questions: list[tuple[str, str]], keep: Path | None = None
) -> dict[str, Any]:
    """Copy the real chunks with variations until ``target`` chunks, then measure."""
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    collection = source.store._open()  # the benchmark reads vectors directly from Chroma
    data = collection.get(include=["embeddings"])
    vectors = {
        cid: np.asarray(vec, dtype=np.float32)
        for cid, vec in zip(data["ids"], data["embeddings"], strict=True)
    }
    originals = source.store.get_chunks()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    place = contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="bench-scale-")
    with place as tmp:
        assistant = build_assistant(load_settings(index_dir=Path(tmp)))
        store = assistant.store
        mark = Path(tmp) / _SCALE_MARK
        previous = json.loads(mark.read_text(encoding="utf-8")) if mark.is_file() else {}
        reused = previous.get("target") == target and store.may_exist() and store.count() > 0
        started = time.perf_counter()
        if not reused:
            _synthesise(assistant, originals, vectors, target, Path(tmp))
        build_s = time.perf_counter() - started
        runs = int(previous.get("runs", 0)) + 1 if reused else 1
        mark.write_text(json.dumps({"target": target, "runs": runs}), encoding="utf-8")
        t0 = time.perf_counter()
        assistant.warm_up()  # BM25 over every chunk, built from the store and saved (loaded if kept)
        bm25_build_s = time.perf_counter() - t0
        change = _ingest_like_change(assistant, originals, vectors, runs, Path(tmp))
        rebuild = _lexical_rebuild_and_load(assistant, questions)
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
            "store_build_seconds": None if reused else round(build_s, 1),
            "store_reused_from_scale_dir": reused,
            "bm25_build_seconds": None if reused else round(bm25_build_s, 1),
            "change": change,
            **rebuild,
            "serving_process": serving,
        }


def _synthesise(
    assistant: Any, originals: list[Any], vectors: dict[str, np.ndarray], target: int, root: Path
) -> None:
    """Write ``target`` variant chunks to the store, and one manifest row per variant document."""
    from assistant.domain import Chunk

    rng = np.random.default_rng(0)
    batch_chunks: list[Chunk] = []
    batch_vectors: list[list[float]] = []
    documents: dict[str, list[Chunk]] = {}
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
            copy = Chunk(f"{chunk.id}v{variant}", text, f"{chunk.embed_text} 变体{variant}", meta)
            batch_chunks.append(copy)
            documents.setdefault(meta["doc_id"], []).append(copy)
            vec = vectors[chunk.id] + rng.normal(0, 0.02, size=vectors[chunk.id].shape).astype(np.float32)
            batch_vectors.append((vec / np.linalg.norm(vec)).tolist())
            made += 1
            if len(batch_chunks) >= 2000:
                assistant.store.upsert(batch_chunks, batch_vectors)
                batch_chunks, batch_vectors = [], []
    if batch_chunks:
        assistant.store.upsert(batch_chunks, batch_vectors)
    for doc_id, chunks in documents.items():
        assistant.manifest.record(_entry(root, doc_id, chunks, "v0"))


def _entry(root: Path, doc_id: str, chunks: list[Any], version: str) -> Any:
    """The manifest row ingest would write for a synthetic document (one made-up file per doc_id)."""
    from assistant.components.manifest import ManifestEntry

    digest = hashlib.sha256(f"{doc_id}|{version}".encode()).hexdigest()
    return ManifestEntry(
        path=str(root / "synthetic" / f"{doc_id}.md"),
        doc_id=doc_id,
        content_hash=digest,
        title=str(chunks[0].metadata.get("title", "")),
        doc_type=str(chunks[0].metadata.get("doc_type", "")),
        chunk_count=len(chunks),
        chunk_ids=sorted(c.id for c in chunks),
    )


def _ingest_like_change(
    assistant: Any, originals: list[Any], vectors: dict[str, np.ndarray], run: int, root: Path
) -> dict[str, int]:
    """One document added, one replaced, one removed, written in ingest's order (store, row, stale)."""
    from assistant.domain import Chunk

    store, manifest = assistant.store, assistant.manifest
    entries = sorted(manifest.entries().values(), key=lambda e: e.path)
    replaced, removed = entries[run % len(entries)], entries[(run + 1) % len(entries)]
    first_doc = str(originals[0].metadata.get("doc_id", ""))
    base = [c for c in originals if str(c.metadata.get("doc_id", "")) == first_doc]
    doc_id = f"{first_doc}n{run}"
    added = [
        Chunk(
            f"{c.id}n{run}",
            f"{c.text}（新增{run}）",
            f"{c.embed_text} 新增{run}",
            {**c.metadata, "doc_id": doc_id},
        )
        for c in base
    ]
    store.upsert(added, [vectors[c.id].tolist() for c in base])
    manifest.record(_entry(root, doc_id, added, "v0"))
    old = store.get_chunks(ids=list(replaced.chunk_ids))
    old_vectors = store.vectors([c.id for c in old])
    new = [
        Chunk(f"{c.id}r{run}", f"{c.text}（修订{run}）", f"{c.embed_text} 修订{run}", c.metadata) for c in old
    ]
    store.upsert(new, [old_vectors[c.id].tolist() for c in old])
    manifest.record(_entry(root, replaced.doc_id, new, f"r{run}"))
    store.delete(set(replaced.chunk_ids))
    manifest.remove(removed.path)
    store.delete(set(removed.chunk_ids))
    return {"added_chunks": len(added), "replaced_chunks": len(new), "removed_chunks": len(removed.chunk_ids)}


def _lexical_rebuild_and_load(assistant: Any, questions: list[tuple[str, str]]) -> dict[str, Any]:
    """What an ingest worker and a starting replica pay at this size.

    After the change the worker's keeper rebuilds: the previous generation's saved chunks and
    term counts plus the changed documents read from the store. A full rebuild (every chunk
    read from the store, saved term counts re-used) is measured beside it and must give the
    same index. A replica's start loads a saved index instead of building one.
    """
    from assistant.components.lexical_index import LexicalIndex, previous_index

    keeper = assistant.lexical_keeper
    folder = assistant.settings.index_dir / "bm25" / assistant.collection_name
    started = time.perf_counter()
    incremental = keeper.current()
    rebuild_s = time.perf_counter() - started
    figures: dict[str, Any] = {
        "bm25_rebuild_seconds": round(rebuild_s - float(keeper.last_rebuild.get("save_seconds", 0)), 1),
        "bm25_rebuild_store_read_seconds": keeper.last_rebuild.get("store_read_seconds"),
        "bm25_rebuild_previous_load_seconds": keeper.last_rebuild.get("previous_load_seconds"),
        "bm25_rebuild_save_seconds": keeper.last_rebuild.get("save_seconds"),
        "bm25_rebuild_mode": keeper.last_rebuild.get("mode"),
        "bm25_rebuild_store_read_chunks": keeper.last_rebuild.get("store_read_chunks"),
    }
    started = time.perf_counter()
    chunks = assistant.store.get_chunks()
    read_s = time.perf_counter() - started
    full = LexicalIndex(assistant.tokenizer)
    full.build(chunks, incremental.generation, previous=previous_index(folder))
    figures["bm25_full_rebuild_seconds"] = round(time.perf_counter() - started, 1)
    figures["bm25_full_rebuild_store_read_seconds"] = round(read_s, 1)
    same = [c.id for c in full.chunks] == [c.id for c in incremental.chunks]
    for q, _ in questions:
        tokens = assistant.tokenizer.tokenize(q)
        same = same and bool(np.array_equal(full.scores(tokens), incremental.scores(tokens)))
    figures["incremental_equals_full_rebuild"] = same
    del full, chunks
    started = time.perf_counter()
    loaded = LexicalIndex(assistant.tokenizer)
    ok = loaded.load(folder, assistant.manifest.generation())
    figures["lexical_load_seconds"] = round(time.perf_counter() - started, 1) if ok else -1.0
    return figures
