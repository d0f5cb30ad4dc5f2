"""Keeps the BM25 index beside the Chroma store in step with it, and publishes it to replicas.

The manifest's generation counter changes on every committed ingest; the saved BM25 index
carries the generation it was built from. A match loads in well under a second; a mismatch
(or a missing index) rebuilds and saves the result.

A rebuild is *incremental* when it can be: the saved index of the previous generation records
which manifest rows (path and content hash) its chunks came from, so the manifest tells which
documents were added, replaced or removed since. Only their chunks are read from the store
(reading all 100,000 chunks back from Chroma took 49 s); every other chunk, with its term
counts, comes from the saved index. The result must hold exactly the chunks a full read would
give: when the manifest is marked dirty (a run unfinished or killed), when the store lacks a
chunk the manifest claims, or when the store holds a different number of chunks than the
manifest claims, the rebuild reads every chunk from the store instead.

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

from assistant.components.lexical_index import LexicalIndex, PreviousIndex, previous_index
from assistant.components.manifest import ManifestEntry
from assistant.components.tokenizer import ChineseTokenizer
from assistant.domain import Chunk

#: Published generations kept besides the newest (a replica may still be loading one of them).
KEEP_PUBLISHED = 2
_GENERATION_FOLDER = re.compile(r"^gen-(\d+)$")
#: While a new generation is not yet published, a replica looks for it at most this often
#: (every question asks for the current index; the poller asks every few seconds).
MISSING_RETRY_S = 1.0


class ChunkSource(Protocol):
    def get_chunks(self, ids: list[str] | None = None) -> list[Chunk]: ...

    def count(self) -> int: ...

    def refresh(self) -> None: ...

    def vectors(self, ids: list[str]) -> Mapping[str, Sequence[float] | np.ndarray]: ...


class GenerationSource(Protocol):
    written_generation: int | None

    def generation(self) -> int: ...

    def entries(self) -> dict[str, ManifestEntry]: ...

    def is_dirty(self) -> bool: ...


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
        self._fetched = 0
        #: How the last rebuild went: mode ("incremental" or "full"), chunks read from the store,
        #: and seconds spent reading, building and saving (for ``bench query`` and logs).
        self.last_rebuild: dict[str, float | int | str] = {}

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
        self._rebuild(fresh, generation)
        return fresh, "built"

    def _rebuild(self, fresh: LexicalIndex, generation: int) -> None:
        started = time.perf_counter()
        entries = self.manifest.entries()  # before any store read: see _changed_chunks
        previous = previous_index(self.folder)
        loaded = time.perf_counter()
        chunks = self._changed_chunks(entries, previous) if previous is not None else None
        mode = "incremental"
        if chunks is None:
            mode, chunks = "full", self.store.get_chunks()
        read_s = time.perf_counter() - started
        fetched = self._fetched if mode == "incremental" else len(chunks)
        fresh.build(chunks, generation, previous=previous)
        fresh.sources = {path: entry.content_hash for path, entry in entries.items()}
        built = time.perf_counter()
        if self.persist:
            # A read-only index folder still answers; it just rebuilds at the next start.
            with contextlib.suppress(OSError):
                fresh.save(self.folder)
        self.last_rebuild = {
            "mode": mode,
            "chunks": len(chunks),
            "store_read_chunks": fetched,
            "previous_load_seconds": round(loaded - started, 2),  # manifest rows + saved index
            "store_read_seconds": round(read_s - (loaded - started), 2),
            "build_seconds": round(built - started - read_s, 2),
            "save_seconds": round(time.perf_counter() - built, 2),
        }

    def _changed_chunks(
        self, entries: dict[str, ManifestEntry], previous: PreviousIndex
    ) -> list[Chunk] | None:
        """This generation's chunks from ``previous`` plus the changed documents' from the store.

        None means "read everything": nothing records what ``previous`` was read from, or the
        store and the manifest disagree. ``entries`` were read before the store, so a document
        changed meanwhile has a newer hash than ``sources`` records and is read again next time.
        """
        self._fetched = 0
        if previous.sources is None or self.manifest.is_dirty():
            return None
        expected: set[str] = set()
        reread: set[str] = set()
        for path, entry in entries.items():
            expected.update(entry.chunk_ids)
            if previous.sources.get(path) != entry.content_hash:
                reread.update(entry.chunk_ids)  # added or replaced since the previous build
        kept = [c for c in previous.chunks if c.id in expected and c.id not in reread]
        reread |= expected - reread - {c.id for c in kept}  # claimed, yet not in the previous build
        fetched = self.store.get_chunks(ids=sorted(reread)) if reread else []
        self._fetched = len(fetched)
        if len(fetched) != len(reread) or len(kept) + len(fetched) != self.store.count():
            return None  # a chunk the manifest claims is missing, or chunks it does not claim remain
        return kept + fetched

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
