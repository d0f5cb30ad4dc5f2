"""Hybrid retrieval: BM25 over jieba tokens fused with dense search from Chroma.

Why hybrid: statutes and questions share few words (电瓶车 vs 电动自行车) and the multilingual
embedder is coarse on Chinese legal text, so neither retriever alone finds the right article
reliably. The glossary bridges vocabulary, BM25 rewards exact terms, dense search rewards
paraphrase; reciprocal-rank fusion (weights tuned on ``eval/devset.jsonl``) combines them.
On top: direct article lookup, jurisdiction preference and title boosts, metadata filters,
and collapsing so that one article appears at most once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from assistant.components.chunking.numerals import parse_numeral
from assistant.components.dense_matrix import MAX_EXACT_CHUNKS, DenseMatrix
from assistant.components.glossary import Glossary
from assistant.components.knowledge_pack import extract_citations, title_key
from assistant.components.lexical_index import LexicalIndex
from assistant.domain import Chunk, ScoredChunk
from assistant.services.query_analysis import (
    AskKinds,
    QuestionCue,
    article_numbers,
    named_documents,
    place_in_question,
)
from assistant.services.ranking.candidates import DENSE_CANDIDATES, gather
from assistant.services.ranking.features import Candidate, QueryContext, feature_matrix
from assistant.services.ranking.intent import IntentModel
from assistant.services.ranking.model import RankerModel

_LIABILITY_WORDS = ("罚", "处分", "追责", "追究", "担责", "法律责任", "违法", "拘留", "赔偿", "吊销")

#: Document types of the knowledge pack's cards (plain-language, citing articles).
CARD_TYPES = frozenset({"guide", "procedure", "responsibility", "case", "weak_point", "strategy"})


class DenseSearch(Protocol):
    """What retrieval needs from the vector store."""

    def query(
        self, vector: list[float], k: int, where: dict[str, Any] | None = None
    ) -> list[ScoredChunk]: ...

    def vector_matrix(self, ids: list[str]) -> np.ndarray | None: ...


class QueryEmbedder(Protocol):
    def embed_query(self, text: str) -> list[float]: ...


class StatusSource(Protocol):
    """Stamps document status onto a lexical index's chunks (services.document_status)."""

    def annotate(self, lexical: LexicalIndex) -> None: ...


@dataclass(frozen=True)
class FusionParams:
    """Knobs of the fusion, tuned on the dev split (see ``eval/README.md``)."""

    mode: str = "linear"  # "linear" or "rrf"; "bm25" / "dense" use one retriever (for comparison)
    rrf_k: float = 20.0
    bm25_weight: float = 1.0
    dense_weight: float = 0.3
    candidates: int = 60
    other_place_factor: float = 0.35  # a document of another jurisdiction than wanted
    national_factor: float = 0.85  # national law when a local one was wanted
    title_boost: float = 1.6  # a document the question names by title
    expand_weight: float = 0.3  # relative weight of glossary-expanded terms in BM25
    bridge_weight: float = 0.5  # share of a knowledge card's score passed to the articles it cites
    bridge_top: int = 5  # how many top cards pass score on
    #: 法律责任 articles when the question asks about penalties (else its inverse).
    liability_factor: float = 2.0
    #: Passages carrying the kind of answer the question asks for (corpus/question_cues.yaml).
    cue_boost: float = 0.3
    card_factor: float = 0.3  # weight of cards themselves after lending (residents: 1.0, see retrieve)


#: The intent class of questions the sources cannot answer (see ranking/intent.py).
OUT_OF_SCOPE = "out_of_scope"


@dataclass
class Retrieval:
    """What retrieval found and why (the answer composer and refusal use the signals)."""

    question: str
    items: list[ScoredChunk]
    query_tokens: list[str]
    expansions: list[str]
    direct_hit: bool = False
    #: The best knowledge card when articles lead (staff, departments) and it is not among
    #: ``items``: the answer shows its plain-language steps next to the articles.
    card: ScoredChunk | None = None
    signals: dict[str, float] = field(default_factory=dict)
    #: The lexical index this retrieval used; answering reads the same one (no second lookup).
    lexical: LexicalIndex | None = None
    #: Probability of each question intent (empty when no intent model is installed).
    intent: dict[str, float] = field(default_factory=dict)
    #: The question's embedding and every chunk's BM25 score (glossary expansions included), kept
    #: so the card router scores whole cards without embedding or scoring the question again.
    query_vector: list[float] = field(default_factory=list)
    bm25: np.ndarray | None = None

    @property
    def top_intent(self) -> str:
        return max(sorted(self.intent), key=lambda name: self.intent[name]) if self.intent else ""

    @property
    def answer_intent(self) -> str:
        """The most likely intent among those an answer can take (``out_of_scope`` left out).

        Whether to answer at all is the refusal's decision, made from retrieval signals; once an
        answer is given, its shape must be one of the answerable intents. Taking the overall top
        class instead let a short everyday question (被困在电梯里了怎么办) that the classifier
        found unfamiliar fall to ``out_of_scope`` and lose the emergency plan.
        """
        answerable = {name: p for name, p in self.intent.items() if name != OUT_OF_SCOPE}
        return max(sorted(answerable), key=lambda name: answerable[name]) if answerable else ""

    def passage_text(self, chunk: Chunk) -> str:
        """The whole article of ``chunk`` from the index this retrieval used."""
        return article_text(self.lexical, chunk) if self.lexical is not None else chunk.text

    timings_ms: dict[str, float] = field(default_factory=dict)


class HybridRetriever:
    """Finds the articles and sections that answer a question, best first, one per article."""

    def __init__(
        self,
        lexical: LexicalIndex | Callable[[], LexicalIndex],
        dense: DenseSearch,
        embedder: QueryEmbedder,
        glossary: Glossary,
        default_jurisdiction: str = "上海",
        params: FusionParams | None = None,
        cues: Sequence[QuestionCue] = (),
        ranker: RankerModel | None = None,
        intent_model: IntentModel | None = None,
        statuses: StatusSource | None = None,
        ask_kinds: AskKinds | None = None,
    ) -> None:
        self._lexical_source = lexical
        #: Sets metadata["status"], dates and repealed_by on chunks, once per index generation.
        self.statuses = statuses
        self.dense = dense
        self.embedder = embedder
        self.glossary = glossary
        self.default_jurisdiction = default_jurisdiction
        self.params = params or FusionParams()
        self._documents: list[tuple[str, str, str]] | None = None
        self._documents_of: LexicalIndex | None = None
        self._citation_cache: dict[str, Any] = {}
        self.cues = tuple(cues)
        #: What the question asks for that no passage holds (signals for the refusal model).
        self.ask_kinds = ask_kinds or AskKinds()
        self.ranker = ranker
        self.intent_model = intent_model
        #: Every chunk's vector, aligned with one lexical index (rebuilt when that index changes).
        self._matrix: tuple[LexicalIndex, int | None, DenseMatrix | None] | None = None

    @property
    def lexical(self) -> LexicalIndex:
        """The current lexical index (a provider may swap it after an ingest)."""
        source = self._lexical_source
        lexical = source if isinstance(source, LexicalIndex) else source()
        if self.statuses is not None:
            self.statuses.annotate(lexical)  # cached: a no-op until the index changes
        return lexical

    # --- public ------------------------------------------------------------------------
    def retrieve(
        self,
        question: str,
        k: int = 5,
        filters: Mapping[str, Any] | None = None,
        params: FusionParams | None = None,
        audience: str | None = None,
    ) -> Retrieval:
        """Best passages first. Residents get plain-language cards first; staff and departments
        get the articles themselves first, with cards only lending them their match."""
        p = params or self.params
        if p.mode == "learned" and (self.ranker is None or not self.ranker.available()):
            p = replace(p, mode="linear")  # no trained model installed: the hand-set fusion
        if audience == "resident":
            p = replace(p, card_factor=1.0)
        lex = self.lexical
        started = time.perf_counter()
        expansions = self.glossary.expand(question)
        base_tokens = lex.tokenizer.tokenize(question)
        expanded_tokens = [t for t in lex.tokenizer.tokenize(" ".join(expansions)) if t not in base_tokens]
        mask = lex.mask(filters)
        n = len(lex)
        if n == 0:
            return Retrieval(question, [], base_tokens, expansions)

        learned = p.mode == "learned" and self.ranker is not None and self.ranker.available()
        bm25_base = lex.scores(base_tokens)
        bm25 = bm25_base
        if expanded_tokens:
            bm25 = bm25 + p.expand_weight * lex.scores(expanded_tokens)
        t_lex = time.perf_counter()

        dense_rank: dict[int, int] = {}
        dense_sim: dict[int, float] = {}
        vector: list[float] = []
        if p.mode != "bm25":
            vector = self.embedder.embed_query(question + (" " + " ".join(expansions) if expansions else ""))
            want = DENSE_CANDIDATES if learned else p.candidates
            matrix = self._dense_matrix(lex)
            if matrix is not None:
                for rank, (row, score) in enumerate(matrix.top(vector, want, mask)):
                    dense_rank[row] = rank
                    dense_sim[row] = score
            else:
                for rank, hit in enumerate(self.dense.query(vector, want, _chroma_where(filters))):
                    idx = lex.index_of(hit.chunk.id)
                    if idx is not None and (mask is None or mask[idx]):
                        dense_rank.setdefault(idx, rank)
                        dense_sim.setdefault(idx, hit.score)
        t_dense = time.perf_counter()

        if mask is not None:
            bm25 = np.where(mask, bm25, 0.0)
            bm25_base = np.where(mask, bm25_base, 0.0)
        intent = (
            self.intent_model.predict(question) if self.intent_model and self.intent_model.available() else {}
        )
        direct = self._direct_lookup(lex, question, mask)
        card = None
        if learned:
            ranked = self._learned_order(
                lex, question, audience, bm25, bm25_base, dense_rank, dense_sim, mask, direct, intent
            )
            items = self._collapse(lex, ranked, bm25, dense_sim, k)
        else:
            items, card = self._fused_items(lex, question, p, bm25, dense_rank, dense_sim, mask, direct, k)
        finished = time.perf_counter()
        return Retrieval(
            question=question,
            items=items,
            query_tokens=base_tokens,
            expansions=expansions,
            direct_hit=bool(direct),
            card=card,
            signals={
                **self._signals(lex, question, items, bm25, dense_sim, bool(direct)),
                "top_score": items[0].score if items else 0.0,
                "p_out_of_scope": intent.get("out_of_scope", 0.0),
            },
            lexical=lex,
            intent=intent,
            query_vector=list(vector),
            bm25=bm25,
            timings_ms={
                "lexical": (t_lex - started) * 1000,
                "dense": (t_dense - t_lex) * 1000,
                "rank": (finished - t_dense) * 1000,
            },
        )

    def _fused_items(
        self,
        lex: LexicalIndex,
        question: str,
        p: FusionParams,
        bm25: np.ndarray,
        dense_rank: Mapping[int, int],
        dense_sim: Mapping[int, float],
        mask: np.ndarray | None,
        direct: list[int],
        k: int,
    ) -> tuple[list[ScoredChunk], ScoredChunk | None]:
        """The hand-set fusion (used when no trained ranker is installed, and for comparison)."""
        bm25_order = [int(i) for i in np.argsort(-bm25, kind="stable")[: p.candidates] if bm25[i] > 0]
        bm25_rank = {idx: r for r, idx in enumerate(bm25_order)}
        fused = _fuse(p, bm25, bm25_rank, dense_rank, dense_sim)
        best_card = self._bridge(lex, fused, p, mask)
        self._apply_preferences(lex, question, fused, p)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], lex.chunks[kv[0]].id))
        if direct:
            top = max(fused.values(), default=1.0) * 2 + 1.0
            ranked = [(i, top) for i in direct] + [(i, s) for i, s in ranked if i not in set(direct)]
        items = self._collapse(lex, ranked, bm25, dense_sim, k)
        card = None
        if (
            best_card is not None
            and p.card_factor < 1.0
            and all(i.chunk.id != lex.chunks[best_card].id for i in items)
        ):
            card = ScoredChunk(
                lex.chunks[best_card], fused.get(best_card, 0.0), {"bm25": float(bm25[best_card])}
            )
        return items, card

    def article_text(self, chunk: Chunk, lexical: LexicalIndex | None = None) -> str:
        """The whole article (all parts) a chunk belongs to, for display and sentence selection."""
        return article_text(lexical or self.lexical, chunk)

    # --- internals ---------------------------------------------------------------------
    def query_context(
        self,
        lex: LexicalIndex,
        question: str,
        audience: str | None,
        bm25: np.ndarray,
        bm25_base: np.ndarray,
        dense_sim: Mapping[int, float],
        intent: Mapping[str, float],
    ) -> QueryContext:
        """Question-level facts the ranking features share."""
        named = frozenset(
            d.doc_id for d in named_documents(question, self.documents(lex), self.default_jurisdiction)
        )
        place = place_in_question(question)
        return QueryContext(
            question=question,
            words=list(dict.fromkeys(w for w in lex.tokenizer.words(question) if len(w) >= 2)),
            audience=audience or "staff",
            wanted_place=place or self.default_jurisdiction,
            place_named=place is not None,
            named_docs=named,
            intent=dict(intent),
            cue_words=[w for cue in self.cues if cue.asked_by(question) for w in cue.answer],
            max_bm25=float(bm25.max()) if len(bm25) else 0.0,
            max_bm25_base=float(bm25_base.max()) if len(bm25_base) else 0.0,
            top_dense=max(dense_sim.values(), default=0.0),
        )

    def candidates(
        self,
        lex: LexicalIndex,
        bm25: np.ndarray,
        bm25_base: np.ndarray,
        dense_rank: Mapping[int, int],
        dense_sim: Mapping[int, float],
        mask: np.ndarray | None,
        direct: list[int],
    ) -> list[Candidate]:
        return gather(
            lex, bm25, bm25_base, dense_rank, dense_sim, mask, lambda i: self._cited_articles(lex, i), direct
        )

    def _learned_order(
        self,
        lex: LexicalIndex,
        question: str,
        audience: str | None,
        bm25: np.ndarray,
        bm25_base: np.ndarray,
        dense_rank: Mapping[int, int],
        dense_sim: Mapping[int, float],
        mask: np.ndarray | None,
        direct: list[int],
        intent: Mapping[str, float],
    ) -> list[tuple[int, float]]:
        """Candidates ordered by the trained model; an article named by number comes first."""
        assert self.ranker is not None
        cands = self.candidates(lex, bm25, bm25_base, dense_rank, dense_sim, mask, direct)
        ctx = self.query_context(lex, question, audience, bm25, bm25_base, dense_sim, intent)
        scores = self.ranker.score(feature_matrix(ctx, cands), cands)
        ranked = sorted(
            ((c.index, float(s)) for c, s in zip(cands, scores, strict=True)),
            key=lambda kv: (-kv[1], lex.chunks[kv[0]].id),
        )
        if direct:
            top = (ranked[0][1] if ranked else 0.0) + 1.0
            ranked = [(i, top) for i in direct] + [(i, s) for i, s in ranked if i not in set(direct)]
        return ranked

    def documents(self, lexical: LexicalIndex | None = None) -> list[tuple[str, str, str]]:
        """(doc_id, title, jurisdiction) of every indexed document."""
        lexical = lexical or self.lexical
        if self._documents is None or self._documents_of is not lexical:
            seen: dict[str, tuple[str, str, str]] = {}
            for c in lexical.chunks:
                doc_id = str(c.metadata.get("doc_id", ""))
                if doc_id not in seen:
                    seen[doc_id] = (doc_id, c.title, str(c.metadata.get("jurisdiction", "")))
            self._documents = list(seen.values())
            self._documents_of = lexical
        return self._documents

    def _direct_lookup(self, lex: LexicalIndex, question: str, mask: np.ndarray | None) -> list[int]:
        numbers = article_numbers(question)
        if not numbers:
            return []
        for named in named_documents(question, self.documents(lex), self.default_jurisdiction):
            hits: list[int] = []
            for no in numbers:
                hits.extend(i for i in lex.article(named.doc_id, no) if mask is None or mask[i])
            if hits:
                return hits
        return []

    def _bridge(
        self, lex: LexicalIndex, fused: dict[int, float], p: FusionParams, mask: np.ndarray | None
    ) -> int | None:
        """Knowledge cards are written in everyday words and cite the articles behind them, so a
        card that matches a question well lends part of its score to each article it cites."""
        cards = sorted(
            (i for i in fused if str(lex.chunks[i].metadata.get("doc_type", "")) in CARD_TYPES),
            key=lambda i: -fused[i],
        )[: p.bridge_top]
        lent: dict[int, float] = {}
        for card in cards:
            for target in self._cited_articles(lex, card):
                if mask is None or mask[target]:
                    lent[target] = max(lent.get(target, 0.0), p.bridge_weight * fused[card])
        for target, score in lent.items():
            fused[target] = fused.get(target, 0.0) + score
        if p.card_factor != 1.0:
            for i in fused:
                if str(lex.chunks[i].metadata.get("doc_type", "")) in CARD_TYPES:
                    fused[i] *= p.card_factor
        return cards[0] if cards else None

    def _cited_articles(self, lex: LexicalIndex, idx: int) -> list[int]:
        """First-part indices of the articles a chunk cites as 《title》第X条 (cached per index)."""
        cache = self._citation_cache
        if cache.get("of") is not lex:
            cache.clear()
            cache["of"] = lex
            cache["titles"] = {title_key(title): doc_id for doc_id, title, _ in self.documents(lex)}
        key = lex.chunks[idx].id
        if key not in cache:
            titles: dict[str, str] = cache["titles"]
            found: list[int] = []
            for title, article in extract_citations(lex.chunks[idx].text):
                doc_id = titles.get(title_key(title))
                number = parse_numeral(article[1:-1])
                if doc_id and number:
                    parts = lex.article(doc_id, number)
                    if parts and parts[0] not in found:
                        found.append(parts[0])
            cache[key] = found
        result: list[int] = cache[key]
        return result

    def _apply_preferences(
        self, lex: LexicalIndex, question: str, fused: dict[int, float], p: FusionParams
    ) -> None:
        wanted = place_in_question(question) or self.default_jurisdiction
        named = {d.doc_id for d in named_documents(question, self.documents(lex), self.default_jurisdiction)}
        # Penalty questions are answered by the 法律责任 chapter; other questions rarely are.
        asks_liability = any(w in question for w in _LIABILITY_WORDS)
        liability = p.liability_factor if asks_liability else 1.0 / p.liability_factor
        answer_words = [w for cue in self.cues if cue.asked_by(question) for w in cue.answer]
        for idx in fused:
            meta = lex.chunks[idx].metadata
            jurisdiction = str(meta.get("jurisdiction", ""))
            factor = 1.0
            if jurisdiction and jurisdiction != wanted:
                if jurisdiction == "国家":
                    factor *= p.national_factor if wanted != "国家" else 1.0
                else:
                    factor *= p.other_place_factor
            if str(meta.get("doc_id", "")) in named:
                factor *= p.title_boost
            if "法律责任" in str(meta.get("chapter", "")):
                factor *= liability
            if answer_words and p.cue_boost and any(w in lex.chunks[idx].text for w in answer_words):
                factor *= 1.0 + p.cue_boost
            fused[idx] *= factor

    def _collapse(
        self,
        lex: LexicalIndex,
        ranked: Sequence[tuple[int, float]],
        bm25: np.ndarray,
        dense_sim: Mapping[int, float],
        k: int,
    ) -> list[ScoredChunk]:
        """One chunk per article (or section) and no duplicated text, best first."""
        out: list[ScoredChunk] = []
        seen_units: set[tuple[str, str]] = set()
        seen_text: set[str] = set()
        for idx, score in ranked:
            chunk = lex.chunks[idx]
            meta = chunk.metadata
            no = int(meta.get("article_no") or 0)
            unit = (str(meta.get("doc_id", "")), f"a{no}" if no else str(meta.get("locator", "")))
            digest = hashlib.sha1("".join(chunk.text.split()).encode()).hexdigest()
            if unit in seen_units or digest in seen_text:
                continue
            seen_units.add(unit)
            seen_text.add(digest)
            sources = {"bm25": float(bm25[idx])}
            if idx in dense_sim:
                sources["dense"] = float(dense_sim[idx])
            out.append(ScoredChunk(chunk=chunk, score=float(score), sources=sources))
            if len(out) >= k:
                break
        return out

    def _dense_matrix(self, lex: LexicalIndex) -> DenseMatrix | None:
        """The in-memory vectors of ``lex``'s chunks, loaded once per index generation.

        None (so Chroma is asked per question) when the store cannot give every vector, or the
        index is too large to hold them (:data:`~assistant.components.dense_matrix.MAX_EXACT_CHUNKS`).
        """
        cached = self._matrix
        if cached is not None and cached[0] is lex and cached[1] == lex.generation:
            return cached[2]
        matrix = None
        if 0 < len(lex) <= MAX_EXACT_CHUNKS:
            ids = [c.id for c in lex.chunks]
            if lex.vectors is not None:  # a published index brings its own, aligned vectors
                matrix = DenseMatrix(ids, lex.vectors)
            else:
                matrix = DenseMatrix.from_matrix(ids, self.dense.vector_matrix(ids))
        self._matrix = (lex, lex.generation, matrix)
        return matrix

    def _signals(
        self,
        lex: LexicalIndex,
        question: str,
        items: Sequence[ScoredChunk],
        bm25: np.ndarray,
        dense_sim: Mapping[int, float],
        direct: bool,
    ) -> dict[str, float]:
        """Evidence strength features for the refusal decision."""
        content = list(dict.fromkeys(lex.tokenizer.words(question)))
        # an everyday word stands for its statutory terms (电瓶车 → 电动自行车): it is known, or
        # covered by the passages, when one of its terms is, as retrieval already searched for it
        said = {t: [t, *self._term_words(lex, t)] for t in content}
        known = [t for t in content if lex.known_tokens(said[t])]
        top_tokens: set[str] = set()
        for item in items[:3]:
            top_tokens.update(lex.tokenizer.words(item.chunk.embed_text or item.chunk.text))
        covered = [t for t in content if any(w in top_tokens for w in said[t])]
        return {
            "direct": float(direct),
            "index_chunks": float(len(lex)),
            "n_tokens": float(len(content)),
            "known_ratio": len(known) / len(content) if content else 0.0,
            "coverage": len(covered) / len(content) if content else 0.0,
            "top_bm25": float(items[0].sources.get("bm25", 0.0)) if items else 0.0,
            "max_bm25": float(bm25.max()) if len(bm25) else 0.0,
            "top_dense": max(dense_sim.values(), default=0.0),
            **self.ask_kinds.signals(question),
        }

    def _term_words(self, lex: LexicalIndex, word: str) -> list[str]:
        """The content words of ``word``'s glossary terms (none for a word outside the glossary)."""
        return [w for term in self.glossary.terms_for(word) for w in lex.tokenizer.words(term)]


def article_text(lex: LexicalIndex, chunk: Chunk) -> str:
    """All parts of the article ``chunk`` belongs to, joined in order (the chunk itself if whole)."""
    no = int(chunk.metadata.get("article_no") or 0)
    if not no or not int(chunk.metadata.get("part") or 0):
        return chunk.text
    parts = [lex.chunks[i] for i in lex.article(str(chunk.metadata.get("doc_id")), no)]
    parts.sort(key=lambda c: int(c.metadata.get("part") or 0))
    return "\n".join(c.text for c in parts) if parts else chunk.text


def _fuse(
    p: FusionParams,
    bm25: np.ndarray,
    bm25_rank: Mapping[int, int],
    dense_rank: Mapping[int, int],
    dense_sim: Mapping[int, float],
) -> dict[int, float]:
    """Combine the two candidate lists: reciprocal ranks ("rrf") or normalised scores ("linear")."""
    fused: dict[int, float] = {}
    top_bm25 = float(max((bm25[i] for i in bm25_rank), default=0.0)) or 1.0
    floor = min(dense_sim.values(), default=0.0)
    span = (max(dense_sim.values(), default=0.0) - floor) or 1.0
    for idx in set(bm25_rank) | set(dense_rank):
        score = 0.0
        if p.mode == "linear":
            score += p.bm25_weight * float(bm25[idx]) / top_bm25
            if idx in dense_sim:
                score += p.dense_weight * (dense_sim[idx] - floor) / span
        else:
            if p.mode != "dense" and idx in bm25_rank:
                score += p.bm25_weight / (p.rrf_k + bm25_rank[idx] + 1)
            if p.mode != "bm25" and idx in dense_rank:
                score += p.dense_weight / (p.rrf_k + dense_rank[idx] + 1)
        fused[idx] = score
    return fused


def _chroma_where(filters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Exact-match filters Chroma can apply itself (multi-valued ones are applied by the mask)."""
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    for key in ("doc_type", "jurisdiction"):
        value = filters.get(key)
        if isinstance(value, str) and value:
            clauses.append({key: value})
        elif isinstance(value, (list, tuple)) and value:
            clauses.append({key: {"$in": list(value)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
