"""``python -m assistant bench NAME``: benchmarks that print figures (targets live here, not in tests).

Benchmarks are registered in :data:`BENCHES` (name → :class:`Bench`), so adding one (e.g.
``bench query``) means writing its ``add_arguments``/``run`` pair and one dict entry.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json
from assistant.settings import PROJECT_ROOT

DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Bench:
    """One benchmark: its help text, its own options, and a runner returning figures."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], dict[str, Any]]


class BenchError(Exception):
    """A benchmark cannot run (e.g. its corpus is absent); the message is for users."""


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB.

    Linux's VmHWM belongs to the process's own address space; ``ru_maxrss`` survives
    fork+exec, so a child started by a large parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- bench ingest ---------------------------------------------------------------------------
def _ingest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        metavar="DIR",
        help=f"要索引的文档文件夹（默认：{DEFAULT_CORPUS}）",
    )


def run_ingest_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Full ingest, embedder alone on the same chunks, and an unchanged re-ingest, in a temp index."""
    from assistant.components.embeddings import warm_up
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise BenchError(f"找不到基准语料文件夹 {corpus}；请用 --corpus 指定一个文档文件夹。")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        # the vector cache off: this measures embedding, not reading vectors back
        settings = load_settings(index_dir=Path(tmp) / "index", embedding_cache=False)
        assistant = build_assistant(settings)
        started = time.perf_counter()
        warm_up(assistant.embeddings)  # timed apart so both runs below exclude model loading
        model_load_s = time.perf_counter() - started

        cpu_started = time.process_time()
        report = assistant.ingest_service.ingest([corpus])
        full_cpu_s = time.process_time() - cpu_started
        full_s = report.seconds
        texts = [chunk.embed_text for chunk in assistant.store.get_chunks()]
        started, cpu_started = time.perf_counter(), time.process_time()
        assistant.embeddings.embed_documents(texts)
        embed_s = time.perf_counter() - started
        embed_cpu_s = time.process_time() - cpu_started

        again = build_assistant(settings).ingest_service.ingest([corpus])
        started = time.perf_counter()
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "assistant",
                "ingest",
                "--json",
                "--index",
                str(settings.index_dir),
                str(corpus),
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
        )
        cli_s = time.perf_counter() - started
    return {
        "corpus": str(corpus),
        "files": len(report.files),
        "failed_files": len(report.failed),
        "chunks": report.embedded_chunks,
        "model_load_seconds": round(model_load_s, 2),
        "full_ingest_seconds": round(full_s, 2),
        "chunks_per_second": round(report.embedded_chunks / full_s, 1) if full_s else None,
        "embedder_alone_seconds": round(embed_s, 2),
        "ingest_to_embedder_ratio": round(full_s / embed_s, 3) if embed_s else None,
        "ratio_target": 1.15,  # issue 15
        # CPU seconds of this process: steadier than wall time when other programs share the cores
        "full_ingest_cpu_seconds": round(full_cpu_s, 2),
        "embedder_alone_cpu_seconds": round(embed_cpu_s, 2),
        "cpu_ratio": round(full_cpu_s / embed_cpu_s, 3) if embed_cpu_s else None,
        "reingest_seconds": round(again.seconds, 3),
        "reingest_embedded_chunks": again.embedded_chunks,
        "reingest_cli_wall_seconds": round(cli_s, 2),
        "reingest_cli_exit_status": cli.returncode,
        "reingest_target_seconds": 2.0,
        "peak_rss_mb": peak_rss_mb(),
    }


#: Benchmarks by name. Add an entry to add a benchmark.
BENCHES: dict[str, Bench] = {
    "ingest": Bench(
        help="索引速度：完整索引、仅嵌入、未变化文件的重新索引，以及峰值内存",
        add_arguments=_ingest_arguments,
        run=run_ingest_bench,
    ),
    "query": Bench(
        help="问答速度：检索加摘录式回答的 p50/p95、单次查询嵌入耗时，可选 10 万片段规模与内存",
        add_arguments=lambda parser: _query_module().add_arguments(parser),
        run=lambda args: _query_module().run(args),
    ),
    "serve": Bench(
        help="多副本服务：经 nginx 的吞吐量与 p50/p95（8/16/32 并发），Chroma 服务器 + N 个只读副本",
        add_arguments=lambda parser: _serve_module().add_arguments(parser),
        run=lambda args: _serve_module().run(args),
    ),
}


def _query_module() -> Any:
    from assistant.cli import bench_query

    return bench_query


def _serve_module() -> Any:
    from assistant.cli import bench_serve

    return bench_serve


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="运行性能基准并打印数据",
        description="运行性能基准（在临时索引中进行），打印测得的数据。",
    )
    benches = parser.add_subparsers(dest="bench", metavar="NAME")
    benches.required = True
    for name, bench in BENCHES.items():
        sub = benches.add_parser(name, help=bench.help, description=bench.help)
        bench.add_arguments(sub)
        sub.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        figures = BENCHES[args.bench].run(args)
    except BenchError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json(figures)
    else:
        width = max(len(key) for key in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0
