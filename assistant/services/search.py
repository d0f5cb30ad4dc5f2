"""Search: ranked passages without an answer (what staff use to look up articles, 查条文).

The same retrieval as answering — candidates, learned ranking, one entry per article — but
the result is the ranked list itself, each entry with the whole article's text, and the
question's predicted intent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.services.document_status import status_json
from assistant.services.input_limits import check_question
from assistant.services.retrieve import HybridRetriever

AUDIENCES = ("resident", "staff", "department")
MAX_K = 50


@dataclass
class SearchHit:
    source: str
    file: str
    locator: str
    text: str
    score: float
    #: Not part of the CLI JSON contract; integrations (LangChain metadata) read them.
    doc_type: str = ""
    jurisdiction: str = ""
    #: status, effective_date, version_date, repealed_by (see services.document_status.status_json)
    validity: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "locator": self.locator,
            "text": self.text,
            "score": round(self.score, 6),
            **(self.validity or status_json({})),
        }


@dataclass
class SearchResult:
    question: str
    intent: str
    hits: list[SearchHit] = field(default_factory=list)
    total_ms: float = 0.0
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "intent": self.intent,
            "results": [hit.to_json() for hit in self.hits],
            "timings_ms": {"total": round(self.total_ms, 2)},
        }


class SearchService:
    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def search(
        self,
        question: str,
        k: int = 10,
        audience: str = "staff",
        filters: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> SearchResult:
        question = check_question(question)
        if audience not in AUDIENCES:
            raise ValueError(f"audience 应为 {'/'.join(AUDIENCES)} 之一，收到“{str(audience)[:20]}”")
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k 应在 1 到 {MAX_K} 之间")
        started = time.perf_counter()
        retrieval = self.retriever.retrieve(question, k=k, filters=filters, audience=audience)
        hits = []
        for item in retrieval.items:
            meta = item.chunk.metadata
            hits.append(
                SearchHit(
                    source=item.chunk.title,
                    file=str(meta.get("file", "")),
                    locator=str(meta.get("article") or meta.get("locator", "")),
                    text=retrieval.passage_text(item.chunk),
                    score=item.score,
                    doc_type=str(meta.get("doc_type", "")),
                    jurisdiction=str(meta.get("jurisdiction", "")),
                    validity=status_json(meta),
                )
            )
        return SearchResult(question, retrieval.top_intent, hits, (time.perf_counter() - started) * 1000, id)
