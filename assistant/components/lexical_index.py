"""BM25 over jieba tokens, kept beside the Chroma store, plus the in-memory chunk catalogue.

The catalogue (every chunk's text and metadata) is what retrieval needs for direct article
lookup, metadata filters and collapsing parts of one article; BM25 needs the same list in
the same order, so both are saved together under ``index_dir/bm25/<collection>/`` stamped
with the manifest generation. When the stamp matches, loading takes a fraction of a second;
otherwise the index is rebuilt from the store.

A published copy (the ingest worker's, for replicas on other machines) also carries every
chunk's vector in the same order (``vectors.npy``), so a replica's exact dense search needs
nothing from the store either: one generation's passages, BM25 and vectors travel together.

The index folder of the process that builds also keeps what the *next* build re-uses: every
chunk's term counts (:class:`~assistant.components.bm25_terms.TermMatrix`, ``terms.npz``) and
which manifest rows, at which content hash, the chunks came from (``sources.json``). With both,
a rebuild after an ingest reads only the changed documents from the store (see
:mod:`assistant.services.lexical_sync`) and tokenises only their chunks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from assistant.components.bm25_terms import TermMatrix, build_bm25
from assistant.components.tokenizer import ChineseTokenizer
from assistant.domain import Chunk

_FORMAT_VERSION = 1
SOURCES_FILE = "sources.json"


@dataclass
class PreviousIndex:
    """A saved index of any generation, as the next build re-uses it (see :func:`previous_index`)."""

    generation: int | None
    chunks: list[Chunk]
    #: Term counts, row ``i`` for ``chunks[i]``.
    terms: TermMatrix
    #: Manifest path -> content hash of the rows the chunks were read for; None when unknown.
    sources: dict[str, str] | None


class LexicalIndex:
    """Chunks in a fixed order with a BM25 index over their ``embed_text``."""

    def __init__(self, tokenizer: ChineseTokenizer) -> None:
        self.tokenizer = tokenizer
        self.chunks: list[Chunk] = []
        self.generation: int | None = None
        self._bm25: bm25s.BM25 | None = None
        self._vocab: dict[str, int] = {}
        self._by_id: dict[str, int] = {}
        self._by_article: dict[tuple[str, int], list[int]] = {}
        self._by_doc: dict[str, list[int]] = {}
        self._meta_values: dict[str, np.ndarray] = {}
        #: Row ``i`` is the vector of ``chunks[i]`` when known (a published index), else None.
        self.vectors: np.ndarray | None = None
        #: Term counts of ``chunks`` between a build and its save, for the next build to re-use.
        self._terms: TermMatrix | None = None
        #: Manifest path -> content hash the chunks came from, saved with the terms (see lexical_sync).
        self.sources: dict[str, str] | None = None

    # --- building and persistence -----------------------------------------------------
    def build(
        self,
        chunks: Sequence[Chunk],
        generation: int | None = None,
        previous: PreviousIndex | None = None,
    ) -> None:
        """Index ``chunks``; ``previous`` (:func:`previous_index`, any generation) spares
        re-tokenising every chunk whose text is unchanged — jieba is most of a first build's time —
        and its term counts are re-used as they are (no per-token work for those chunks)."""
        ordered = sorted(chunks, key=lambda c: (str(c.metadata.get("doc_id", "")), _ordinal(c), c.id))
        old = previous.terms if previous is not None else TermMatrix.empty()
        old_row = {c.id: i for i, c in enumerate(previous.chunks)} if previous is not None else {}
        old_chunks = previous.chunks if previous is not None else []
        picks = np.empty(len(ordered), dtype=np.int64)
        fresh: list[list[str]] = []
        for position, c in enumerate(ordered):
            text = c.embed_text or c.text
            row = old_row.get(c.id)
            if row is not None and (old_chunks[row].embed_text or old_chunks[row].text) == text:
                picks[position] = row
            else:
                picks[position] = old.rows + len(fresh)
                fresh.append(self.tokenizer.tokenize(text) or ["∅"])
        added = TermMatrix.from_tokens(fresh, vocab=list(old.vocab))
        terms = old.stacked(added).take(picks).compacted()
        self._install(list(ordered), build_bm25(terms) if ordered else None, generation)
        self._terms = terms  # written by save() for the next rebuild, then dropped

    def save(self, folder: Path) -> None:
        """Write atomically: a temp folder renamed over the old one, so a crash leaves one or the other."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=folder.parent))
        try:
            if self._bm25 is not None:
                self._bm25.save(str(tmp / "bm25"), show_progress=False)
            rows = [
                {"id": c.id, "text": c.text, "embed_text": c.embed_text, "metadata": c.metadata}
                for c in self.chunks
            ]
            (tmp / "chunks.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            if self._terms is not None:
                self._terms.save(tmp)
                if self.sources is not None:
                    (tmp / SOURCES_FILE).write_text(
                        json.dumps(self.sources, ensure_ascii=False), encoding="utf-8"
                    )
            if self.vectors is not None:
                np.save(tmp / "vectors.npy", self.vectors, allow_pickle=False)
            stamp = {"format": _FORMAT_VERSION, "generation": self.generation, "count": len(self.chunks)}
            (tmp / "stamp.json").write_text(json.dumps(stamp), encoding="utf-8")
            old = folder.with_name(folder.name + ".old")
            if folder.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._terms = None  # a serving process does not keep them (about 200 MB at 100,000 chunks)

    def load(self, folder: Path, generation: int | None) -> bool:
        """Load a saved index if its stamp matches ``generation``; False means rebuild."""
        try:
            stamp = json.loads((folder / "stamp.json").read_text(encoding="utf-8"))
            if stamp.get("format") != _FORMAT_VERSION or stamp.get("generation") != generation:
                return False
            rows = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
            chunks = [Chunk(r["id"], r["text"], r["embed_text"], r["metadata"]) for r in rows]
            bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False) if chunks else None
            vectors = None
            if (folder / "vectors.npy").is_file():
                vectors = np.load(folder / "vectors.npy", allow_pickle=False)
                if vectors.ndim != 2 or len(vectors) != len(chunks):
                    return False
        except (OSError, ValueError, KeyError):
            return False
        self._install(chunks, bm25, generation)
        self.vectors = vectors
        return True

    def attach_vectors(self, by_id: Mapping[str, Sequence[float] | np.ndarray]) -> bool:
        """Keep every chunk's vector in chunk order (for publication); False if any is missing."""
        if not self.chunks or any(c.id not in by_id for c in self.chunks):
            return False
        rows = [by_id[c.id] for c in self.chunks]
        if len({len(r) for r in rows}) != 1:
            return False
        self.vectors = np.asarray(rows, dtype=np.float32)
        return True

    def _install(self, chunks: list[Chunk], bm25: bm25s.BM25 | None, generation: int | None) -> None:
        self.chunks = chunks
        self.generation = generation
        self._bm25 = bm25
        self._vocab = dict(bm25.vocab_dict) if bm25 is not None else {}
        self._by_id = {c.id: i for i, c in enumerate(chunks)}
        by_article: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, c in enumerate(chunks):
            no = int(c.metadata.get("article_no") or 0)
            if no:
                by_article[(str(c.metadata.get("doc_id", "")), no)].append(i)
        self._by_article = dict(by_article)
        by_doc: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(chunks):
            by_doc[str(c.metadata.get("doc_id", ""))].append(i)
        self._by_doc = {d: sorted(ix, key=lambda i: _ordinal(chunks[i])) for d, ix in by_doc.items()}
        self._meta_values = {}
        self.vectors = None
        self._terms = None
        self.sources = None

    # --- lookups ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.chunks)

    def index_of(self, chunk_id: str) -> int | None:
        return self._by_id.get(chunk_id)

    def article(self, doc_id: str, article_no: int) -> list[int]:
        """Indices of every part of one article, in order."""
        return self._by_article.get((doc_id, article_no), [])

    def document(self, doc_id: str) -> list[int]:
        """Indices of every chunk of one document, in reading order (a guide's sections, a card's)."""
        return self._by_doc.get(doc_id, [])

    def known_tokens(self, tokens: Sequence[str]) -> list[str]:
        return [t for t in tokens if t in self._vocab]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk (zeros when no token is known)."""
        known = self.known_tokens(tokens)
        if self._bm25 is None or not known:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def document_frequency(self, token: str) -> int:
        """How many chunks contain ``token`` (for IDF weights in the answer composer)."""
        if self._bm25 is None or token not in self._vocab:
            return 0
        tid = self._vocab[token]
        indptr = self._bm25.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid])

    def mask(self, filters: Mapping[str, Any] | None) -> np.ndarray | None:
        """Boolean mask of chunks whose metadata match every filter (values: str or list of str).

        Comma-joined metadata (audience, hazards) match when any listed value is present.
        """
        if not filters:
            return None
        keep = np.ones(len(self.chunks), dtype=bool)
        for key, wanted in filters.items():
            if wanted in (None, "", []):
                continue
            allowed = {wanted} if isinstance(wanted, str) else set(wanted)
            column = self._column(key)
            keep &= np.array([bool(allowed & set(v.split(","))) for v in column], dtype=bool)
        return keep

    def _column(self, key: str) -> np.ndarray:
        if key not in self._meta_values:
            self._meta_values[key] = np.array(
                [str(c.metadata.get(key, "")) for c in self.chunks], dtype=object
            )
        return self._meta_values[key]


def previous_index(folder: Path) -> PreviousIndex | None:
    """The saved index in ``folder`` of any generation, for the next build (None when unreadable).

    Term counts come from ``terms.npz``; a folder saved before they existed still has every
    chunk's tokens (``tokens.json``, space-joined) and is converted once. Without either, or
    when their rows do not match the chunks, there is nothing to re-use.
    """
    try:
        stamp = json.loads((folder / "stamp.json").read_text(encoding="utf-8"))
        rows = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        chunks = [Chunk(r["id"], r["text"], r["embed_text"], r["metadata"]) for r in rows]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    terms = TermMatrix.load(folder)
    if terms is None:
        try:
            lines = json.loads((folder / "tokens.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            return None
        terms = TermMatrix.from_tokens([line.split(" ") for line in lines])
    if terms.rows != len(chunks):
        return None
    sources: dict[str, str] | None = None
    try:
        loaded = json.loads((folder / SOURCES_FILE).read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            sources = {str(k): str(v) for k, v in loaded.items()}
    except (OSError, ValueError):
        sources = None
    generation = stamp.get("generation") if isinstance(stamp, dict) else None
    return PreviousIndex(generation if isinstance(generation, int) else None, chunks, terms, sources)


def _ordinal(chunk: Chunk) -> int:
    try:
        return int(chunk.metadata.get("ordinal", 0))
    except (TypeError, ValueError):
        return 0
