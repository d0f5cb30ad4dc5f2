"""Keeps the BM25 index beside the Chroma store in step with it.

The manifest's generation counter changes on every committed ingest; the saved BM25 index
carries the generation it was built from. A match loads in well under a second; a mismatch
(or a missing index) rebuilds from the chunks stored in Chroma and saves the result.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Protocol

from assistant.components.lexical_index import LexicalIndex
from assistant.components.tokenizer import ChineseTokenizer
from assistant.domain import Chunk


class ChunkSource(Protocol):
    def get_chunks(self) -> list[Chunk]: ...

    def refresh(self) -> None: ...


class GenerationSource(Protocol):
    written_generation: int | None

    def generation(self) -> int: ...


class LexicalIndexKeeper:
    """Hands out the current :class:`LexicalIndex`, rebuilding it when the store has changed."""

    def __init__(
        self,
        tokenizer: ChineseTokenizer,
        store: ChunkSource,
        manifest: GenerationSource,
        folder: Path,
        persist: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.store = store
        self.manifest = manifest
        self.folder = folder
        self.persist = persist
        self._current: LexicalIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> LexicalIndex:
        """The index for the store's present generation (cheap when nothing changed)."""
        generation = self.manifest.generation()
        index = self._current
        if index is not None and index.generation == generation:
            return index
        with self._lock:
            if self._current is not None and self._current.generation == generation:
                return self._current
            if self._current is not None and self.manifest.written_generation != generation:
                # Another process changed the index: reopen the store so dense search and the
                # rebuild below see its writes (a local Chroma client caches its vectors).
                self.store.refresh()
            fresh = LexicalIndex(self.tokenizer)
            if not fresh.load(self.folder, generation):
                fresh.build(self.store.get_chunks(), generation)
                if self.persist:
                    # A read-only index folder still answers; it just rebuilds at the next start.
                    with contextlib.suppress(OSError):
                        fresh.save(self.folder)
            self._current = fresh
            return fresh
