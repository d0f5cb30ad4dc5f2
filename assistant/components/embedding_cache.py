"""Vectors already computed, kept on disk per embedder, so a text is embedded once per machine.

Why: e5-small needs ~0.1 s per passage on 2 cores (USE ~0.01 s). Rebuilding an index, a second
index of the same files (an evaluation index beside the app's, a test's fresh index, a new
deployment) or re-ingesting an edited document would embed every unchanged passage again.
The cache keys a vector by the SHA-256 of the embedder's name and the exact text, so a vector
is reused only for the same model and the same input — the vectors are the ones the model
would give, bit for bit (float32, as the index stores them).

A cache that cannot be opened or written (read-only disk, a damaged file) is skipped with a
warning: it is an optimisation, never a reason to fail an ingest. Queries are not cached (one
query costs one embedding either way). Delete the folder to reclaim its space.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

#: Rows read or written per SQL statement (SQLite's default variable limit is 32,766).
_BATCH = 500


class CachedEmbeddings(Embeddings):
    """``inner`` with a per-model SQLite cache of document vectors at ``path``."""

    def __init__(self, inner: Embeddings, model_name: str, path: Path) -> None:
        self.inner = inner
        self.model_name = model_name
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()
        #: Texts embedded by ``inner`` / served from the cache (reported by tests and benchmarks).
        self.embedded = 0
        self.reused = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()

    def _open(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
                db.commit()
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                self._skip(exc)
        return self._db

    def _skip(self, exc: Exception) -> None:
        log.warning("向量缓存不可用，本次不使用缓存（%s）：%s", self.path, exc)
        self._broken = True
        if self._db is not None:
            self._db.close()
        self._db = None

    def _lookup(self, keys: list[str]) -> dict[str, list[float]]:
        db = self._open()
        found: dict[str, list[float]] = {}
        if db is None:
            return found
        try:
            for start in range(0, len(keys), _BATCH):
                part = keys[start : start + _BATCH]
                marks = ",".join("?" * len(part))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):
                    found[key] = np.frombuffer(blob, dtype="<f4").astype(float).tolist()
        except sqlite3.Error as exc:
            self._skip(exc)
            return {}
        return found

    def _store(self, rows: list[tuple[str, list[float]]]) -> None:
        db = self._open()
        if db is None or not rows:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)",
                    [(key, np.asarray(vector, dtype="<f4").tobytes()) for key, vector in rows],
                )
        except sqlite3.Error as exc:
            self._skip(exc)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            keys = [self._key(text) for text in texts]
            found = self._lookup(keys)
            missing = [i for i, key in enumerate(keys) if key not in found]
            if missing:
                # float32 round trip first, so a fresh vector equals the one a later run reads back
                vectors = [
                    np.asarray(v, dtype="<f4").astype(float).tolist()
                    for v in self.inner.embed_documents([texts[i] for i in missing])
                ]
                self._store([(keys[i], vector) for i, vector in zip(missing, vectors, strict=True)])
                for i, vector in zip(missing, vectors, strict=True):
                    found[keys[i]] = vector
            self.embedded += len(missing)
            self.reused += len(texts) - len(missing)
            return [found[key] for key in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def close(self) -> None:
        """Close the database and the inner embedder's run (the ingest service calls it at the
        end of every run: a child-process embedder stops there)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
