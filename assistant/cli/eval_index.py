"""The evaluation index every training and evaluation command works on.

``eval``, ``train-ranker`` and ``train-router`` all need the same thing first: the shared corpus
plus the bundled knowledge pack, ingested (incrementally) into ``index/eval`` or ``--index``.
One function so the three cannot drift apart (a different corpus or index for training than for
the figures reported).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.factory import Assistant


@dataclass(frozen=True)
class EvaluationIndex:
    assistant: Assistant
    total_chunks: int
    embedded_chunks: int
    seconds: float


def open_evaluation_index(corpus: Path, index: Path | None, purpose: str) -> EvaluationIndex | None:
    """Ingest ``corpus`` and the bundled pack into the evaluation index; None (and a message on
    stderr naming the folder) when the corpus folder is absent."""
    from assistant.factory import build_assistant
    from assistant.settings import load_settings

    if not corpus.is_dir():
        print(f"{corpus}: 语料目录不存在（{purpose}需要 ../shared/corpus）", file=sys.stderr)
        return None
    base = load_settings()
    assistant = build_assistant(load_settings(index_dir=index or base.index_dir / "eval"))
    started = time.perf_counter()
    report = assistant.ingest_service.ingest([corpus, assistant.settings.corpus_dir])
    return EvaluationIndex(
        assistant, report.total_chunks, report.embedded_chunks, time.perf_counter() - started
    )
