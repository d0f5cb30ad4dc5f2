"""Which card a person would open: a whole-document choice among guides or procedure cards.

Why: the ranker orders sections, and an emergency answer reads the whole guide of the first
guide section it ranked. Sections share everyday words (家里, 怎么办, 水), so a wrong guide's
section can lead — 家里进水了怎么办 was answered with heat stroke's 打给谁 — and a guide whose
sections each match only weakly may not be ranked at all (跨年人太多被挤得喘不过气: the crowd
guide was not in the top five; 地震了在家里往哪躲: only articles). A person chooses a guide by
what it is about, so every card of the type is scored as a whole:

* ``title_dense`` / ``title_gap`` — the question's embedding against the card's title (titles
  are written as the question a reader has: 暴雨积水进家门怎么办), and its margin to the best
  title;
* ``section_dense`` / ``section_gap`` — the best of the card's section vectors, and its margin;
* ``bm25_best`` / ``bm25_total`` — the best and summed BM25 of its sections, each relative to
  the best card's (a card answers with all its sections, not one);
* ``title_words`` — the share of the question's content words found in the title;
* ``hazard`` — the question and the title name the same hazard (slot vocabulary of the
  follow-up resolver: 进水 and 积水 are one hazard);
* ``ranked`` — 1 / (1 + rank) of the card's best section among the ranker's passages;
* ``text_ngram`` / ``text_ngram_gap`` — TF-IDF cosine of character 1–2-grams between the
  question and the card's whole text (idf over the cards of the type), and its margin. USE is
  weak on Chinese and word BM25 depends on the tokenizer: 锅里的油烧起来了 went to the
  road-flooding guide on dense similarity, while the fire guide says 油锅起火 in so many
  characters. Added 2026-12-07: router held-out accuracy 0.680 → 0.721.

A logistic model over these, trained on blind-written questions labelled with the card that
answers them (or none), gives each card a probability; the best card is chosen when its
probability reaches the model's threshold, else no card covers the question (a dog bite, a hand
caught in a machine) and the answer says so instead of showing another guide's steps. The
threshold is chosen on the dev split; the pack's own questions are never used to train it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

import numpy as np

from assistant.components.lexical_index import LexicalIndex
from assistant.domain import ScoredChunk

FEATURES: tuple[str, ...] = (
    "title_dense",
    "title_gap",
    "section_dense",
    "section_gap",
    "bm25_best",
    "bm25_total",
    "title_words",
    "hazard",
    "ranked",
    "text_ngram",
    "text_ngram_gap",
)
#: Card types a question is routed among (a resident's emergency → guides; a staff procedure → procedures).
ROUTED_TYPES: tuple[str, ...] = ("guide", "procedure")


class HazardReader:
    """Hazard values named in a text (the follow-up slot vocabulary's ``hazard`` slot)."""

    def __init__(self, mentions: Callable[[str], Sequence[tuple[str, str]]] | None = None) -> None:
        self._mentions = mentions

    def hazards(self, text: str) -> set[str]:
        if self._mentions is None:
            return set()
        return {value for slot, value in self._mentions(text) if slot == "hazard"}


@dataclass
class _Cards:
    """The cards of one type in one index generation: ids, titles, section rows and vectors."""

    doc_ids: list[str]
    titles: list[str]
    rows: list[np.ndarray]
    title_vectors: np.ndarray  # unit length, one per card
    section_vectors: list[np.ndarray]  # unit length, one matrix per card (may be empty)
    title_hazards: list[set[str]] = field(default_factory=list)
    ngrams: CardNgrams | None = None


class CardNgrams:
    """Character 1–2-gram TF-IDF of each card's whole text (idf over the cards of one type)."""

    def __init__(self, texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(list(texts))

    def similarity(self, question: str) -> np.ndarray:
        """Cosine of the question with every card (rows are unit length; so is the question)."""
        return np.asarray((self._matrix @ self._vectorizer.transform([question]).T).todense()).ravel()


@dataclass(frozen=True)
class CardChoice:
    """The router's decision for one card type: the card (or None) and every card's probability."""

    doc_type: str
    doc_id: str | None
    probability: float
    ranked: list[tuple[str, float]]
    #: Index row of the chosen card's section with the highest BM25 (None when nothing matched):
    #: the section shown when the card accompanies an answer but the ranker kept none of its own.
    best_section: int | None = None


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class CardFeatures:
    """Computes the per-card features above; card profiles are cached per index generation."""

    def __init__(
        self,
        embed: Callable[[str], Sequence[float]],
        vector_matrix: Callable[[list[str]], np.ndarray | None],
        hazards: HazardReader | None = None,
    ) -> None:
        self._embed = embed
        self._vector_matrix = vector_matrix
        self.hazards = hazards or HazardReader()
        self._cache: dict[tuple[int, int | None, str], _Cards] = {}
        self._lock = Lock()

    def cards(self, lex: LexicalIndex, doc_type: str) -> _Cards:
        key = (id(lex), lex.generation, doc_type)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = self._profile(lex, doc_type)
                self._cache = {k: v for k, v in self._cache.items() if k[:2] == key[:2]}
                self._cache[key] = cached
        return cached

    def _profile(self, lex: LexicalIndex, doc_type: str) -> _Cards:
        by_doc: dict[str, list[int]] = {}
        titles: dict[str, str] = {}
        for row, chunk in enumerate(lex.chunks):
            if chunk.metadata.get("doc_type") != doc_type:
                continue
            doc_id = str(chunk.metadata.get("doc_id", ""))
            by_doc.setdefault(doc_id, []).append(row)
            titles.setdefault(doc_id, str(chunk.metadata.get("title", "") or chunk.title))
        doc_ids = sorted(by_doc)
        ids = [lex.chunks[r].id for d in doc_ids for r in by_doc[d]]
        # one matrix read for every section (None when any vector is missing: no section scores)
        matrix = self._vector_matrix(ids) if ids else None
        sections = []
        start = 0
        for d in doc_ids:
            count = len(by_doc[d])
            block = matrix[start : start + count] if matrix is not None else None
            start += count
            sections.append(
                _unit(block) if block is not None and count else np.zeros((0, 1), dtype=np.float32)
            )
        title_list = [titles[d] for d in doc_ids]
        texts = ["\n".join(lex.chunks[r].text for r in by_doc[d]) for d in doc_ids]
        title_vectors = (
            _unit(np.asarray([self._embed(t) for t in title_list], dtype=np.float32))
            if title_list
            else np.zeros((0, 1), dtype=np.float32)
        )
        return _Cards(
            doc_ids,
            title_list,
            [np.asarray(by_doc[d]) for d in doc_ids],
            title_vectors,
            sections,
            [self.hazards.hazards(t) for t in title_list],
            CardNgrams(texts) if texts else None,
        )

    def features(
        self,
        question: str,
        lex: LexicalIndex,
        doc_type: str,
        query_vector: Sequence[float],
        bm25: np.ndarray | None,
        items: Sequence[ScoredChunk],
    ) -> tuple[list[str], np.ndarray]:
        """(card doc ids, one feature row per card in :data:`FEATURES` order)."""
        cards = self.cards(lex, doc_type)
        n = len(cards.doc_ids)
        if not n:
            return [], np.zeros((0, len(FEATURES)))
        q = np.asarray(query_vector, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        title = cards.title_vectors @ q if len(q) == cards.title_vectors.shape[1] else np.zeros(n)
        section = np.array(
            [float((s @ q).max()) if len(s) and s.shape[1] == len(q) else 0.0 for s in cards.section_vectors]
        )
        scores = bm25 if bm25 is not None else np.zeros(len(lex))
        best = np.array([float(scores[r].max()) if len(r) else 0.0 for r in cards.rows])
        total = np.array([float(scores[r].sum()) if len(r) else 0.0 for r in cards.rows])
        words = list(dict.fromkeys(lex.tokenizer.words(question)))
        asked = self.hazards.hazards(question)
        rank_of: dict[str, int] = {}
        for rank, item in enumerate(items):
            rank_of.setdefault(str(item.chunk.metadata.get("doc_id", "")), rank)
        rows = np.zeros((n, len(FEATURES)))
        rows[:, 0] = title
        rows[:, 1] = title - title.max()
        rows[:, 2] = section
        rows[:, 3] = section - section.max()
        rows[:, 4] = best / best.max() if best.max() > 0 else 0.0
        rows[:, 5] = total / total.max() if total.max() > 0 else 0.0
        for i, doc_id in enumerate(cards.doc_ids):
            name = cards.titles[i]
            rows[i, 6] = sum(1 for w in words if w in name) / len(words) if words else 0.0
            rows[i, 7] = float(bool(asked & cards.title_hazards[i]))
            rows[i, 8] = 1.0 / (1 + rank_of[doc_id]) if doc_id in rank_of else 0.0
        if cards.ngrams is not None:
            similarity = cards.ngrams.similarity(question)
            rows[:, 9] = similarity
            rows[:, 10] = similarity - similarity.max()
        return list(cards.doc_ids), rows


class CardRouter:
    """``choose``: the card of a type that answers the question, or None; weights from a JSON file."""

    def __init__(self, path: Path, features: CardFeatures) -> None:
        self.path = Path(path)
        self.features = features
        self._model: tuple[list[float], float, float] | None = None

    def available(self) -> bool:
        return self.path.is_file()

    def reload(self) -> None:
        """Read the weights file again on next use (after ``train-router`` rewrote it)."""
        self._model = None

    def _weights(self) -> tuple[list[float], float, float]:
        """(weights, bias, threshold), read once; a file for other features is an error, not a guess."""
        if self._model is None:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            names = [str(n) for n in data.get("features", [])]
            if names != list(FEATURES):
                raise ValueError(
                    f"{self.path.name}: 特征 {names} 与代码中的 {list(FEATURES)} 不一致，请重新训练"
                )
            self._model = ([float(w) for w in data["weights"]], float(data["bias"]), float(data["threshold"]))
        return self._model

    def choose(
        self,
        question: str,
        lex: LexicalIndex,
        doc_type: str,
        query_vector: Sequence[float],
        bm25: np.ndarray | None,
        items: Sequence[ScoredChunk],
    ) -> CardChoice:
        weights, bias, threshold = self._weights()
        doc_ids, rows = self.features.features(question, lex, doc_type, query_vector, bm25, items)
        if not doc_ids:
            return CardChoice(doc_type, None, 0.0, [])
        probs = [probability(row, weights, bias) for row in rows]
        ranked = sorted(zip(doc_ids, probs, strict=True), key=lambda kv: (-kv[1], kv[0]))
        top_id, top_p = ranked[0]
        if top_p < threshold:
            return CardChoice(doc_type, None, top_p, ranked)
        section = None
        if bm25 is not None:
            card_rows = self.features.cards(lex, doc_type).rows[doc_ids.index(top_id)]
            scores = bm25[card_rows]
            if len(scores) and float(scores.max()) > 0:
                section = int(card_rows[int(np.argmax(scores))])
        return CardChoice(doc_type, top_id, top_p, ranked, section)


def probability(row: Sequence[float], weights: Sequence[float], bias: float) -> float:
    z = bias + sum(float(w) * float(x) for w, x in zip(weights, row, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
