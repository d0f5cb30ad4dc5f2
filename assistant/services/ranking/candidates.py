"""First stage: the passages the ranker looks at, and what each retriever said about them.

Candidates are the union of the BM25 top :data:`BM25_CANDIDATES`, the dense top
:data:`DENSE_CANDIDATES`, the articles cited by the best-matching knowledge cards (a card in
everyday words often matches when the statute's wording does not), and any article the
question names directly. Recall of this union on the dev split is what bounds the ranker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from assistant.components.lexical_index import LexicalIndex
from assistant.services.ranking.features import CARD_TYPES, Candidate

BM25_CANDIDATES = 100
DENSE_CANDIDATES = 100
BRIDGE_CARDS = 5


def gather(
    lex: LexicalIndex,
    bm25: np.ndarray,
    bm25_base: np.ndarray,
    dense_rank: Mapping[int, int],
    dense_sim: Mapping[int, float],
    mask: np.ndarray | None,
    cited_articles: Callable[[int], list[int]],
    direct: list[int],
) -> list[Candidate]:
    """The candidate passages, in a deterministic order (by index)."""
    allowed = (lambda i: True) if mask is None else (lambda i: bool(mask[i]))
    found: dict[int, Candidate] = {}

    def candidate(i: int) -> Candidate:
        cand = found.get(i)
        if cand is None:
            cand = found[i] = Candidate(i, lex.chunks[i], bm25=float(bm25[i]), bm25_base=float(bm25_base[i]))
        return cand

    order = np.argsort(-bm25, kind="stable")[:BM25_CANDIDATES]
    for rank, i in enumerate(int(x) for x in order):
        if bm25[i] > 0 and allowed(i):
            candidate(i).bm25_rank = rank
    for i, rank in dense_rank.items():
        if allowed(i):
            cand = candidate(i)
            cand.dense_rank, cand.dense = rank, float(dense_sim[i])
    # cards lend their match to the articles they cite (pre-score: plain mean of both retrievers)
    top_bm25 = max((c.bm25 for c in found.values()), default=0.0) or 1.0
    sims = [c.dense for c in found.values() if c.dense is not None]
    floor, span = (min(sims), (max(sims) - min(sims)) or 1.0) if sims else (0.0, 1.0)

    def pre(c: Candidate) -> float:
        dense = (c.dense - floor) / span if c.dense is not None else 0.0
        return 0.5 * c.bm25 / top_bm25 + 0.5 * dense

    cards = sorted(
        (c for c in found.values() if str(c.chunk.metadata.get("doc_type", "")) in CARD_TYPES),
        key=lambda c: (-pre(c), c.chunk.id),
    )[:BRIDGE_CARDS]
    for rank, card in enumerate(cards):
        score = pre(card)
        for target in cited_articles(card.index):
            if not allowed(target):
                continue
            cand = candidate(target)
            if score > cand.bridge:
                cand.bridge = score
            if cand.bridge_rank is None:
                cand.bridge_rank = rank
    for i in direct:
        if allowed(i):
            candidate(i).direct = True
    return [found[i] for i in sorted(found)]
