"""Exact dense search over every chunk's vector, held in memory beside the lexical index.

Why not ask Chroma per question: measured on the shared corpus (2,735 chunks, 2 cores), a
Chroma ``query`` for the 100 nearest chunks took about 20 ms, almost half of an answer, and
most of it is fetching and decoding documents and metadata the retriever throws away (it only
needs ids and scores; the passages are in the lexical index). One matrix product over all
vectors takes well under a millisecond at this size and about 10 ms at 100,000 chunks, and it
is exact where HNSW is approximate.

The matrix is aligned with the lexical index (row ``i`` is ``lexical.chunks[i]``), so filters
are the lexical index's boolean mask. Scores reproduce Chroma's: cosine similarity
(``1 - cosine distance``) rounded to 6 places, ties broken by chunk id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Above this many chunks the vectors stay in Chroma (the matrix would cost 2 KB per chunk).
MAX_EXACT_CHUNKS = 300_000

_blas_limited = False


def _one_blas_thread() -> None:
    """Run BLAS on one thread in this process, once.

    Measured on the 2-core target while other work ran: the product of a 2,735×512 matrix and
    a vector took 10–15 ms with OpenBLAS' default two threads (a thread spin-waits for the busy
    core) and 1.1 ms with one. A server answering several questions at once gains nothing from
    a second BLAS thread per product; the USE embedder already runs single-threaded for the
    same reason.
    """
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True


class DenseMatrix:
    """Unit-length float32 vectors of ``ids``, in that order."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray, owned: bool = False) -> None:
        """``owned``: the caller hands ``vectors`` over (float32), so they are normalised in place
        instead of copied — at 100,000 chunks each copy is another 205 MB at the peak."""
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids but {len(vectors)} vectors")
        _one_blas_thread()
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(vectors) else np.ones((0, 1))
        safe = np.where(norms == 0, 1.0, norms).astype(np.float32)
        self.ids = list(ids)
        if owned and vectors.dtype == np.float32 and vectors.flags.writeable:
            np.divide(vectors, safe, out=vectors)
            self.vectors = vectors
        else:
            self.vectors = np.asarray(vectors / safe, dtype=np.float32)

    @classmethod
    def from_vectors(
        cls, ids: Sequence[str], by_id: Mapping[str, Sequence[float] | np.ndarray]
    ) -> DenseMatrix | None:
        """The matrix for ``ids`` if every one has a vector of the same length, else None."""
        if not ids or len(ids) > MAX_EXACT_CHUNKS or any(i not in by_id for i in ids):
            return None
        rows = [by_id[i] for i in ids]
        if len({len(r) for r in rows}) != 1:
            return None
        return cls(ids, np.asarray(rows, dtype=np.float32))

    @classmethod
    def from_matrix(cls, ids: Sequence[str], matrix: np.ndarray | None) -> DenseMatrix | None:
        """Take over ``matrix`` (row ``i`` for ``ids[i]``, e.g. the store's :meth:`vector_matrix`)."""
        if matrix is None or not ids or len(ids) > MAX_EXACT_CHUNKS or len(matrix) != len(ids):
            return None
        return cls(ids, np.asarray(matrix, dtype=np.float32), owned=True)

    def __len__(self) -> int:
        return len(self.ids)

    def top(self, vector: Sequence[float], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` rows nearest to ``vector`` (inside ``mask``) as (row, score), best first."""
        if k <= 0 or not len(self.ids):
            return []
        query = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        if norm == 0.0:
            return []
        scores = np.round((self.vectors @ (query / norm)).astype(np.float64), 6)
        allowed = np.arange(len(scores)) if mask is None else np.flatnonzero(mask)
        if not len(allowed):
            return []
        if len(allowed) > k:
            # every row scoring at least the k-th best, so ties at the cut are decided by id
            cut = np.partition(scores[allowed], len(allowed) - k)[len(allowed) - k]
            allowed = allowed[scores[allowed] >= cut]
        ranked = sorted(allowed.tolist(), key=lambda i: (-scores[i], self.ids[i]))[:k]
        return [(i, float(scores[i])) for i in ranked]
