"""Evidence for self-assessment weak points, found by the same retrieval that answers questions."""

from __future__ import annotations

from typing import Any

from assistant.services.retrieve import HybridRetriever


class RetrievalEvidenceFinder:
    """Evidence for self-assessment weak points: the passages behind an item's basis.

    The item's basis (e.g. 《上海市防汛条例》第十三条) is part of the query, so when that
    regulation is indexed the article itself comes first through direct lookup; otherwise
    the knowledge cards that restate it are found by their words.
    """

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def find_evidence(self, query: str, k: int) -> list[dict[str, Any]]:
        found = self.retriever.retrieve(query, k=k, audience="department").items
        out = []
        for n, item in enumerate(found, start=1):
            chunk = item.chunk
            page = int(chunk.metadata.get("page") or 0)
            locator = str(chunk.metadata.get("locator", ""))
            out.append(
                {
                    "n": n,
                    "source": chunk.title,
                    "file": str(chunk.metadata.get("file", "")),
                    "locator": f"{locator}（第{page}页）" if page else locator,
                    "text": self.retriever.article_text(chunk),
                    "score": round(item.score, 6),
                }
            )
        return out
