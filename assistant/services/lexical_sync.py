"""Keeps the BM25 index beside the Chroma store in step with it, and publishes it to replicas.

The manifest's generation counter changes on every committed ingest; the saved BM25 index
carries the generation it was built from. A match loads in well under a second; a mismatch
(or a missing index) rebuilds from the chunks stored in Chroma and saves the result.

In a multi-machine deployment (``RESILIENCE_LEXICAL_DIR``) the ingest worker *publishes* each
generation's index, with every chunk's vector, to a shared folder (``<collection>/gen-<N>/``,
written under a temporary name and renamed, so a reader sees a whole generation or none).
Replicas load the published generation instead of rebuilding it (at 100,000 chunks a rebuild
takes minutes, a load seconds). A replica told never to build (``RESILIENCE_LEXICAL_REBUILD=false``)
keeps serving the last whole generation it has until the worker's publication of the new one
appears: it never mixes the passages of one generation with the vectors of another.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.components.lexical_index import LexicalIndex, saved_tokens
from assistant.components.tokenizer import ChineseTokenizer
from assistant.domain import Chunk

#: Published generations kept besides the newest (a replica may still be loading one of them).
KEEP_PUBLISHED = 2
_GENERATION_FOLDER = re.compile(r"^gen-(\d+)$")
#: While a new generation is not yet published, a replica looks for it at most this often
#: (every question asks for the current index; the poller asks every few seconds).
MISSING_RETRY_S = 1.0


class ChunkSource(Protocol):
    def get_chunks(self) -> list[Chunk]: ...

    def refresh(self) -> None: ...

    def vectors(self, ids: list[str]) -> Mapping[str, Sequence[float] | np.ndarray]: ...


class GenerationSource(Protocol):
    written_generation: int | None

    def generation(self) -> int: ...


class LexicalNotReady(RuntimeError):
    """A replica that may not build its index has none yet: the worker has not published it."""


class LexicalIndexKeeper:
    """Hands out the current :class:`LexicalIndex`, loading or rebuilding it when the store changed."""

    def __init__(
        self,
        tokenizer: ChineseTokenizer,
        store: ChunkSource,
        manifest: GenerationSource,
        folder: Path,
        persist: bool = True,
        published: Path | None = None,
        rebuild: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.store = store
        self.manifest = manifest
        self.folder = folder
        self.persist = persist
        self.published = published
        self.rebuild = rebuild
        #: Where the index in use came from: "loaded" (own saved copy), "published", "built".
        self.source = ""
        self._current: LexicalIndex | None = None
        self._lock = threading.Lock()
        #: The generation last found unpublished, and when (see :data:`MISSING_RETRY_S`).
        self._missing: int | None = None
        self._missing_at = 0.0

    def current(self) -> LexicalIndex:
        """The index for the store's present generation (cheap when nothing changed)."""
        generation = self.manifest.generation()
        index = self._current
        if index is not None and index.generation == generation:
            return index
        with self._lock:
            if self._current is not None and self._current.generation == generation:
                return self._current
            if (
                self._current is not None
                and self._missing == generation
                and time.monotonic() - self._missing_at < MISSING_RETRY_S
            ):
                return self._current  # asked again before the publication could have appeared
            fresh, source = self._obtain(generation)
            if fresh is None:
                self._missing, self._missing_at = generation, time.monotonic()
                if self._current is not None:
                    return self._current  # the last whole generation, until the new one is published
                raise LexicalNotReady(
                    f"第 {generation} 代检索索引尚未发布到 {self.published}（本副本不自行构建，"
                    "RESILIENCE_LEXICAL_REBUILD=false）；请先运行入库进程。"
                )
            self._current, self.source = fresh, source
            return fresh

    def _obtain(self, generation: int) -> tuple[LexicalIndex | None, str]:
        # Another process changed the index: reopen the store so dense search and a rebuild see
        # its writes (a local Chroma client caches its vectors) — once, when the swap happens.
        stale_store = self._current is not None and self.manifest.written_generation != generation
        fresh = LexicalIndex(self.tokenizer)
        source = ""
        if fresh.load(self.folder, generation):
            source = "loaded"
        elif self.published is not None and fresh.load(self.published / f"gen-{generation}", generation):
            source = "published"
        elif not self.rebuild:
            return None, ""
        if stale_store:
            self.store.refresh()
        if source:
            return fresh, source
        fresh.build(self.store.get_chunks(), generation, known_tokens=saved_tokens(self.folder))
        if self.persist:
            # A read-only index folder still answers; it just rebuilds at the next start.
            with contextlib.suppress(OSError):
                fresh.save(self.folder)
        return fresh, "built"

    def publish(self) -> Path:
        """Publish the current generation (passages, BM25, vectors) for replicas; return its folder.

        Run by the ingest worker after each run. Publishing a generation already published is a
        no-op; generations older than the newest ``KEEP_PUBLISHED + 1`` are removed.
        """
        if self.published is None:
            raise ValueError("未设置 RESILIENCE_LEXICAL_DIR：没有发布位置")
        index = self.current()
        target = self.published / f"gen-{index.generation}"
        if not (target / "stamp.json").is_file():
            if index.vectors is None:
                index.attach_vectors(self.store.vectors([c.id for c in index.chunks]))
            index.save(target)
        self._prune(int(index.generation or 0))
        return target

    def _prune(self, newest: int) -> None:
        assert self.published is not None
        numbers = sorted(
            int(m.group(1))
            for p in self.published.iterdir()
            if (m := _GENERATION_FOLDER.match(p.name)) and p.is_dir()
        )
        for number in numbers:
            if number < newest and number not in numbers[-(KEEP_PUBLISHED + 1) :]:
                shutil.rmtree(self.published / f"gen-{number}", ignore_errors=True)
