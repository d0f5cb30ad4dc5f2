"""Named ranking features: one small function each, computed for every candidate passage.

Why features and a model instead of multipliers: the old fusion had thirteen hand-set knobs
(title boost, national factor, liability factor, card factor…) tuned on the team's own dev
questions, and it fit those questions rather than the ones people ask. Each knob is now a
feature with a reason, and a model trained on a large blind-written set decides how much it
counts (:mod:`assistant.services.ranking.model`). Features are pure functions of the question
context and one candidate, so they are deterministic and testable one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.domain import Chunk

CARD_TYPES = frozenset({"guide", "procedure", "responsibility", "case", "weak_point", "strategy"})
INTENTS = ("emergency", "obligation", "penalty", "responsibility", "procedure", "deadline", "policy")
AUDIENCES = ("resident", "staff", "department")
_PENALTY_WORDS = ("罚", "处分", "追责", "追究", "担责", "法律责任", "违法", "拘留", "吊销", "处理")


@dataclass
class Candidate:
    """One passage with what the first-stage retrievers said about it."""

    index: int
    chunk: Chunk
    bm25: float = 0.0
    bm25_base: float = 0.0
    bm25_rank: int | None = None
    dense: float | None = None
    dense_rank: int | None = None
    bridge: float = 0.0  # best first-stage score of a card citing this article
    bridge_rank: int | None = None
    direct: bool = False


@dataclass
class QueryContext:
    """What is known about the question, shared by every candidate's features."""

    question: str
    words: list[str]
    audience: str
    wanted_place: str
    place_named: bool
    named_docs: frozenset[str]
    intent: dict[str, float]
    cue_words: list[str]
    max_bm25: float
    max_bm25_base: float
    top_dense: float
    asks_penalty: bool = field(init=False)

    def __post_init__(self) -> None:
        self.asks_penalty = any(w in self.question for w in _PENALTY_WORDS)


Feature = Callable[[QueryContext, Candidate], float]


def _meta(c: Candidate, key: str) -> str:
    return str(c.chunk.metadata.get(key, "") or "")


def _recip(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (1.0 + rank)


def _overlap(words: Sequence[str], text: str) -> float:
    return sum(1 for w in words if w in text) / len(words) if words else 0.0


# --- lexical and dense evidence ---------------------------------------------------------
def bm25_norm(q: QueryContext, c: Candidate) -> float:
    """BM25 (with glossary expansion) relative to the best passage for this question."""
    return c.bm25 / q.max_bm25 if q.max_bm25 > 0 else 0.0


def bm25_base_norm(q: QueryContext, c: Candidate) -> float:
    """BM25 of the question's own words only: expansion can drift, the user's words do not."""
    return c.bm25_base / q.max_bm25_base if q.max_bm25_base > 0 else 0.0


def bm25_log(q: QueryContext, c: Candidate) -> float:
    """Absolute BM25: a weak best match across the corpus is weak evidence."""
    return math.log1p(max(c.bm25, 0.0))


def bm25_rank(q: QueryContext, c: Candidate) -> float:
    return _recip(c.bm25_rank)


def dense_sim(q: QueryContext, c: Candidate) -> float:
    """Cosine similarity of question and passage embeddings (paraphrase)."""
    return c.dense if c.dense is not None else 0.0


def dense_gap(q: QueryContext, c: Candidate) -> float:
    """How far below the best dense match this passage is (scale-free across embedders)."""
    return (c.dense - q.top_dense) if c.dense is not None else -1.0


def dense_rank(q: QueryContext, c: Candidate) -> float:
    return _recip(c.dense_rank)


def word_coverage(q: QueryContext, c: Candidate) -> float:
    """Share of the question's content words found in the passage."""
    return _overlap(q.words, c.chunk.text)


def title_overlap(q: QueryContext, c: Candidate) -> float:
    """Share of the question's words in the document title (the topic of the law)."""
    return _overlap(q.words, c.chunk.title)


def chapter_overlap(q: QueryContext, c: Candidate) -> float:
    """Share of the question's words in the chapter or section heading."""
    return _overlap(q.words, _meta(c, "chapter") + _meta(c, "section_path") + _meta(c, "locator"))


def cue_match(q: QueryContext, c: Candidate) -> float:
    """The passage carries the kind of answer asked for (日内, 罚款, 负责…; corpus/question_cues.yaml)."""
    return float(bool(q.cue_words) and any(w in c.chunk.text for w in q.cue_words))


# --- structure ----------------------------------------------------------------------------
def bridge(q: QueryContext, c: Candidate) -> float:
    """A knowledge card in everyday words matched the question and cites this article."""
    return c.bridge


def bridge_rank(q: QueryContext, c: Candidate) -> float:
    return _recip(c.bridge_rank)


def direct_lookup(q: QueryContext, c: Candidate) -> float:
    """The question names this document and article number."""
    return float(c.direct)


def named_document(q: QueryContext, c: Candidate) -> float:
    """The question names this document by title."""
    return float(_meta(c, "doc_id") in q.named_docs)


def jurisdiction_match(q: QueryContext, c: Candidate) -> float:
    """Same place as asked (or Shanghai by default); cards have no place and count as a match."""
    place = _meta(c, "jurisdiction")
    return float(not place or place == q.wanted_place)


def national_law(q: QueryContext, c: Candidate) -> float:
    """A national law: right when the question names 国家, a fallback otherwise."""
    return float(_meta(c, "jurisdiction") == "国家")


def other_place(q: QueryContext, c: Candidate) -> float:
    """Another local place than asked (the Beijing look-alikes)."""
    place = _meta(c, "jurisdiction")
    return float(bool(place) and place not in (q.wanted_place, "国家"))


def place_named(q: QueryContext, c: Candidate) -> float:
    return float(q.place_named)


def liability_chapter(q: QueryContext, c: Candidate) -> float:
    """Articles of the 法律责任 chapter answer penalty questions and little else."""
    return float("法律责任" in _meta(c, "chapter"))


def asks_penalty(q: QueryContext, c: Candidate) -> float:
    return float(q.asks_penalty)


def general_provisions(q: QueryContext, c: Candidate) -> float:
    """总则 and purpose clauses rarely answer a concrete question."""
    return float("总则" in _meta(c, "chapter") or "附则" in _meta(c, "chapter"))


def article_position(q: QueryContext, c: Candidate) -> float:
    no = int(c.chunk.metadata.get("article_no") or 0)
    return math.log1p(no)


def is_card(q: QueryContext, c: Candidate) -> float:
    return float(_meta(c, "doc_type") in CARD_TYPES)


def is_guide(q: QueryContext, c: Candidate) -> float:
    return float(_meta(c, "doc_type") == "guide")


def is_procedure(q: QueryContext, c: Candidate) -> float:
    return float(_meta(c, "doc_type") == "procedure")


def is_paper_or_case(q: QueryContext, c: Candidate) -> float:
    return float(_meta(c, "doc_type") in ("paper", "case", "strategy", "weak_point"))


def is_regulation(q: QueryContext, c: Candidate) -> float:
    return float(_meta(c, "doc_type") in ("regulation", ""))


def card_for_audience(q: QueryContext, c: Candidate) -> float:
    """The card is written for the asker's audience (front matter ``audience``)."""
    return float(q.audience in _meta(c, "audience").split(","))


def passage_length(q: QueryContext, c: Candidate) -> float:
    return math.log1p(len(c.chunk.text))


def doc_repealed(q: QueryContext, c: Candidate) -> float:
    """The passage's document is no longer in force (query-time metadata ``status``).

    A repealed regulation still answers in its old words, but the article now in force should
    rank above it; old indexes carry no status and count as not repealed."""
    return float(_meta(c, "status") == "repealed")


def _intent_feature(name: str) -> Feature:
    def feature(q: QueryContext, c: Candidate) -> float:
        return q.intent.get(name, 0.0)

    feature.__name__ = f"intent_{name}"
    feature.__doc__ = f"Predicted probability that the question's intent is {name}."
    return feature


def _audience_feature(name: str) -> Feature:
    def feature(q: QueryContext, c: Candidate) -> float:
        return float(q.audience == name)

    feature.__name__ = f"audience_{name}"
    return feature


#: The model's inputs, in order. Adding, removing or reordering one requires retraining
#: (``python -m assistant train-ranker``); the model file records these names and is refused
#: when they differ.
FEATURES: tuple[Feature, ...] = (
    bm25_norm,
    bm25_base_norm,
    bm25_log,
    bm25_rank,
    dense_sim,
    dense_gap,
    dense_rank,
    word_coverage,
    title_overlap,
    chapter_overlap,
    cue_match,
    bridge,
    bridge_rank,
    direct_lookup,
    named_document,
    jurisdiction_match,
    national_law,
    other_place,
    place_named,
    liability_chapter,
    asks_penalty,
    general_provisions,
    article_position,
    is_card,
    is_guide,
    is_procedure,
    is_paper_or_case,
    is_regulation,
    card_for_audience,
    passage_length,
    doc_repealed,
    *(_intent_feature(name) for name in INTENTS),
    *(_audience_feature(name) for name in AUDIENCES),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.__name__ for f in FEATURES)


def reference_matrix(q: QueryContext, candidates: Sequence[Candidate]) -> np.ndarray:
    """The features computed one function call at a time: the definition :func:`feature_matrix`
    must reproduce exactly (tests compare the two on real questions)."""
    out = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
    for row, cand in enumerate(candidates):
        for col, feature in enumerate(FEATURES):
            out[row, col] = feature(q, cand)
    return out


_COLUMN = {name: n for n, name in enumerate(FEATURE_NAMES)}


def _ratio(count: float, total: float) -> float:
    return count / total if total > 0 else 0.0


def feature_matrix(q: QueryContext, candidates: Sequence[Candidate]) -> np.ndarray:
    """Rows: candidates; columns: :data:`FEATURES` — the same values as :func:`reference_matrix`.

    Why a second implementation: calling 41 small functions (each re-reading metadata) for
    each of ~200 candidates was the largest Python cost of ranking (p50 3.4 ms per question,
    measured in-process against this path's 1.7 ms). Here each candidate is visited once, one
    metadata read per key, and the question-level columns are filled as whole numpy columns."""
    n = len(candidates)
    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return out
    words, n_words = q.words, len(q.words)
    cues = q.cue_words
    place_default, audience, named = q.wanted_place, q.audience, q.named_docs
    rows = []
    for c in candidates:
        meta = c.chunk.metadata
        text = c.chunk.text
        place = str(meta.get("jurisdiction", "") or "")
        chapter = str(meta.get("chapter", "") or "")
        heading = chapter + str(meta.get("section_path", "") or "") + str(meta.get("locator", "") or "")
        doc_type = str(meta.get("doc_type", "") or "")
        title = c.chunk.title
        rows.append(
            (
                _ratio(c.bm25, q.max_bm25),
                _ratio(c.bm25_base, q.max_bm25_base),
                math.log1p(max(c.bm25, 0.0)),
                0.0 if c.bm25_rank is None else 1.0 / (1.0 + c.bm25_rank),
                c.dense if c.dense is not None else 0.0,
                (c.dense - q.top_dense) if c.dense is not None else -1.0,
                0.0 if c.dense_rank is None else 1.0 / (1.0 + c.dense_rank),
                sum(1 for w in words if w in text) / n_words if n_words else 0.0,
                sum(1 for w in words if w in title) / n_words if n_words else 0.0,
                sum(1 for w in words if w in heading) / n_words if n_words else 0.0,
                float(bool(cues) and any(w in text for w in cues)),
                c.bridge,
                0.0 if c.bridge_rank is None else 1.0 / (1.0 + c.bridge_rank),
                float(c.direct),
                float(str(meta.get("doc_id", "") or "") in named),
                float(not place or place == place_default),
                float(place == "国家"),
                float(bool(place) and place not in (place_default, "国家")),
                float("法律责任" in chapter),
                float("总则" in chapter or "附则" in chapter),
                math.log1p(int(meta.get("article_no") or 0)),
                float(doc_type in CARD_TYPES),
                float(doc_type == "guide"),
                float(doc_type == "procedure"),
                float(doc_type in ("paper", "case", "strategy", "weak_point")),
                float(doc_type in ("regulation", "")),
                float(audience in str(meta.get("audience", "") or "").split(",")),
                math.log1p(len(text)),
                float(str(meta.get("status", "") or "") == "repealed"),
            )
        )
    out[:, _PER_CANDIDATE] = np.array(rows, dtype=np.float64)
    out[:, _COLUMN["place_named"]] = float(q.place_named)
    out[:, _COLUMN["asks_penalty"]] = float(q.asks_penalty)
    for name in INTENTS:
        out[:, _COLUMN[f"intent_{name}"]] = q.intent.get(name, 0.0)
    for name in AUDIENCES:
        out[:, _COLUMN[f"audience_{name}"]] = float(q.audience == name)
    return out


#: Columns filled per candidate by :func:`feature_matrix`: every feature but the question-level
#: ones, in :data:`FEATURES` order (its per-candidate tuple follows that order).
_QUESTION_LEVEL = frozenset(
    {"place_named", "asks_penalty", *(f"intent_{n}" for n in INTENTS), *(f"audience_{n}" for n in AUDIENCES)}
)
_PER_CANDIDATE = [n for n, name in enumerate(FEATURE_NAMES) if name not in _QUESTION_LEVEL]
