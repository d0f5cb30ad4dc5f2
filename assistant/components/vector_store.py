"""The Chroma collection holding chunk vectors, text and metadata.

Local by default (``PersistentClient`` under ``index_dir/chroma``), or a Chroma server when
``settings.chroma_host`` is set (the way to let several processes write). Vectors are computed
by our own embedder and passed in, so the collection has no embedding function and Chroma never
tries to download its default model. Distances are cosine; scores are ``1 - distance``.

Chroma metadata values must be scalars, so list-valued chunk metadata (``hazards``,
``section_path``) is stored as JSON text and decoded on the way out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from assistant.domain import Chunk, ScoredChunk
from assistant.settings import Settings

#: Rows per Chroma request when reading or writing; keeps requests well below Chroma's limits.
PAGE_SIZE = 1000
#: Prefix marking metadata values that were encoded as JSON (lists, dicts).
_JSON_PREFIX = "\x00json:"
#: Metadata keys describing a whole document (used by :meth:`ChromaStore.documents`).
DOC_KEYS = ("title", "file", "doc_type", "jurisdiction", "version_date")


def _encode_metadata(chunk: Chunk) -> dict[str, str | int | float | bool]:
    out: dict[str, str | int | float | bool] = {}
    for key, value in chunk.metadata.items():
        if value is None:
            continue  # Chroma rejects None; absence means the same thing
        if isinstance(value, bool | int | float | str):
            out[key] = value
        else:
            out[key] = _JSON_PREFIX + json.dumps(value, ensure_ascii=False, sort_keys=True)
    out["embed_text"] = chunk.embed_text
    return out


def _decode_metadata(meta: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    data = dict(meta or {})
    embed_text = str(data.pop("embed_text", ""))
    for key, value in data.items():
        if isinstance(value, str) and value.startswith(_JSON_PREFIX):
            data[key] = json.loads(value[len(_JSON_PREFIX) :])
    return data, embed_text


class ChromaStore:
    """One Chroma collection of chunks; the client opens on first use."""

    def __init__(self, settings: Settings, collection_name: str) -> None:
        self.settings = settings
        self.collection_name = collection_name
        self._client: Any = None
        self._collection: Any = None

    # --- connection -------------------------------------------------------------------
    @property
    def location(self) -> str:
        """Where the vectors live, for people (a folder or a server URL)."""
        if self.settings.chroma_host:
            return f"http://{self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.index_dir / "chroma")

    def may_exist(self) -> bool:
        """False only when a local store has certainly never been written (its folder is gone)."""
        if self.settings.chroma_host:
            return True
        return (self.settings.index_dir / "chroma" / "chroma.sqlite3").is_file()

    def _open(self) -> Any:
        if self._collection is not None:
            return self._collection
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_host:
            self._client = chromadb.HttpClient(
                host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings
            )
        else:
            path = self.settings.index_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self._collection = self._client.get_or_create_collection(
            name=self.collection_name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        return self._collection

    def refresh(self) -> None:
        """Close the client so the next use reopens the store from disk.

        A local Chroma keeps its vector index in memory: after *another process* wrote to
        the index (the CLI ingesting while the web app runs), this process's queries miss the
        new vectors until it reopens. Readers call this when the manifest generation changed.
        All stores of one folder in a process share Chroma's client, so close them all.
        """
        client, self._client, self._collection = self._client, None, None
        if client is not None and not self.settings.chroma_host:
            client.close()

    # --- writing ----------------------------------------------------------------------
    def upsert(self, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        """Add or replace ``chunks`` with their ``vectors`` (same order)."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        collection = self._open()
        for start in range(0, len(chunks), PAGE_SIZE):
            part = chunks[start : start + PAGE_SIZE]
            collection.upsert(
                ids=[chunk.id for chunk in part],
                embeddings=vectors[start : start + PAGE_SIZE],
                documents=[chunk.text for chunk in part],
                metadatas=[_encode_metadata(chunk) for chunk in part],
            )

    def delete(self, ids: list[str] | set[str]) -> None:
        """Remove the chunks with these ids (unknown ids are ignored)."""
        ordered = sorted(ids)
        if not ordered:
            return
        collection = self._open()
        for start in range(0, len(ordered), PAGE_SIZE):
            collection.delete(ids=ordered[start : start + PAGE_SIZE])

    def delete_doc(self, doc_id: str) -> None:
        """Remove every chunk of document ``doc_id``."""
        self.delete(self.ids_for_doc(doc_id))

    # --- reading ----------------------------------------------------------------------
    def _pages(
        self, ids: list[str] | None, where: dict[str, Any] | None, include: list[str]
    ) -> Iterator[Any]:
        collection = self._open()
        if ids is not None:
            for start in range(0, len(ids), PAGE_SIZE):
                yield collection.get(ids=ids[start : start + PAGE_SIZE], where=where, include=include)
            return
        offset = 0
        while True:
            page = collection.get(where=where, include=include, limit=PAGE_SIZE, offset=offset)
            if not page["ids"]:
                return
            yield page
            if len(page["ids"]) < PAGE_SIZE:
                return
            offset += PAGE_SIZE

    def ids_for_doc(self, doc_id: str) -> set[str]:
        """Ids of every chunk stored for document ``doc_id``."""
        return self.ids(where={"doc_id": doc_id})

    def ids(self, where: dict[str, Any] | None = None) -> set[str]:
        """Ids of every chunk (matching ``where``)."""
        found: set[str] = set()
        for page in self._pages(None, where, include=[]):
            found.update(page["ids"])
        return found

    def doc_ids(self) -> set[str]:
        """Every ``doc_id`` present in the collection."""
        found: set[str] = set()
        for page in self._pages(None, None, include=["metadatas"]):
            found.update(str((meta or {}).get("doc_id", "")) for meta in page["metadatas"])
        found.discard("")
        return found

    def get_chunks(self, ids: list[str] | None = None, where: dict[str, Any] | None = None) -> list[Chunk]:
        """Stored chunks (all, by id, or matching ``where``), sorted by id for determinism."""
        chunks: list[Chunk] = []
        for page in self._pages(ids, where, include=["documents", "metadatas"]):
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                metadata, embed_text = _decode_metadata(meta)
                chunks.append(Chunk(id=cid, text=text or "", embed_text=embed_text, metadata=metadata))
        chunks.sort(key=lambda chunk: chunk.id)
        return chunks

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id (ids not stored are absent), for an in-memory exact search.

        float32 arrays, not lists: at 100,000 chunks lists of Python floats took ~1.6 GB while
        the matrix was built (a serving process peaked at 3.6 GB; the matrix itself is 200 MB).
        """
        found: dict[str, np.ndarray] = {}
        for page in self._pages(ids, None, include=["embeddings"]):
            for cid, vector in zip(page["ids"], page["embeddings"], strict=True):
                found[cid] = np.asarray(vector, dtype=np.float32)
        return found

    def vector_matrix(self, ids: list[str]) -> np.ndarray | None:
        """The vectors of ``ids`` as one float32 matrix, row ``i`` for ``ids[i]``; None if any is missing.

        Filled page by page into one preallocated array, so a serving process never holds more
        than the matrix plus one page: going through :meth:`vectors` (a dict of 100,000 small
        arrays, then a stacked copy, then a normalised copy) cost ~600 MB more at its peak.
        """
        position = {cid: row for row, cid in enumerate(ids)}
        if not ids or len(position) != len(ids):
            return None
        matrix: np.ndarray | None = None
        filled = np.zeros(len(ids), dtype=bool)
        for page in self._pages(ids, None, include=["embeddings"]):
            embeddings = page["embeddings"]
            if embeddings is None or len(embeddings) == 0:
                continue
            block = np.asarray(embeddings, dtype=np.float32)
            if block.ndim != 2 or (matrix is not None and block.shape[1] != matrix.shape[1]):
                return None  # vectors of different lengths cannot share a matrix
            if matrix is None:
                matrix = np.empty((len(ids), block.shape[1]), dtype=np.float32)
            rows = np.fromiter((position[cid] for cid in page["ids"]), dtype=np.int64, count=len(page["ids"]))
            matrix[rows] = block
            filled[rows] = True
            del block
        return matrix if matrix is not None and bool(filled.all()) else None

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[ScoredChunk]:
        """The ``k`` chunks nearest to ``vector``; ties broken by id so results are stable."""
        collection = self._open()
        total = collection.count()
        if total == 0 or k <= 0:
            return []
        result = collection.query(
            query_embeddings=[vector],
            n_results=min(k, total),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        scored: list[ScoredChunk] = []
        for cid, text, meta, distance in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            metadata, embed_text = _decode_metadata(meta)
            chunk = Chunk(id=cid, text=text or "", embed_text=embed_text, metadata=metadata)
            score = round(1.0 - float(distance), 6)
            scored.append(ScoredChunk(chunk=chunk, score=score, sources={"vector": score}))
        scored.sort(key=lambda item: (-item.score, item.chunk.id))
        return scored

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._open().count())

    def documents(self) -> list[dict[str, Any]]:
        """One row per stored document: doc_id, title, file, doc_type, jurisdiction, version_date, chunks."""
        docs: dict[str, dict[str, Any]] = {}
        for page in self._pages(None, None, include=["metadatas"]):
            for meta in page["metadatas"]:
                meta = meta or {}
                doc_id = str(meta.get("doc_id", ""))
                row = docs.get(doc_id)
                if row is None:
                    row = {"doc_id": doc_id, **{key: meta.get(key, "") for key in DOC_KEYS}, "chunks": 0}
                    docs[doc_id] = row
                row["chunks"] += 1
        return sorted(docs.values(), key=lambda row: (str(row["file"]), row["doc_id"]))
