"""Training data and training of the card router (:mod:`.card_router`).

Labels: ``eval/card_labels.jsonl`` gives the card that answers each emergency and procedure
question of the blind-written intent set (``null`` when no card covers it; ``also`` lists other
acceptable cards), the blind set's questions whose gold passage is a guide or procedure card
count too, and ``eval/router_train.jsonl`` adds guide questions written blind for the router
alone (many describing only what the person sees, and situations no guide covers). The dev
splits of all three (the intent set's every fifth, the blind set's, the router set's every
fifth) choose C and the threshold; the pack's own questions (``eval/pack_questions.jsonl``) and
``eval/router_heldout.jsonl`` are only evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.components.lexical_index import LexicalIndex
from assistant.domain import ScoredChunk
from assistant.services.evaluate import EvalItem
from assistant.services.ranking.card_router import FEATURES, CardFeatures, probability

#: Card type → its folder in the pack, and the intent whose questions are routed among that type.
FOLDERS = {"guide": "guides", "procedure": "procedures"}
INTENTS = {"guide": "emergency", "procedure": "procedure"}


def card_questions(
    doc_type: str, labels: Path, intent_items: Sequence[EvalItem], blind_items: Sequence[EvalItem]
) -> list[CardQuestion]:
    """Labelled questions for routing among ``doc_type`` cards (train and dev splits)."""
    folder = FOLDERS[doc_type]
    by_id = {i.id: i for i in intent_items}
    out: list[CardQuestion] = []
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        item = by_id.get(str(row.get("id")))
        if item is None:
            raise ValueError(f"{labels.name} 第 {n} 行：问题 {row.get('id')} 不在意图问题集中")
        if item.intent != INTENTS[doc_type]:
            continue
        cards = [row["card"], *row.get("also", [])] if row.get("card") else []
        gold = frozenset(Path(c).name for c in cards if str(c).startswith(folder + "/"))
        out.append(CardQuestion(item.id, item.q, item.audience, doc_type, gold, item.split))
    for item in blind_items:
        files = {
            Path(g["file"]).name for g in item.gold if str(g.get("file", "")).startswith(f"corpus/{folder}/")
        }
        if files and item.split in ("train", "dev"):
            out.append(CardQuestion(item.id, item.q, item.audience, doc_type, frozenset(files), item.split))
    return out


def heldout_questions(path: Path) -> list[CardQuestion]:
    """Guide questions kept out of training (``{"id", "audience", "q", "card", "also"}`` per line;
    ``card`` null when no guide covers the question)."""
    return guide_questions(path, split="heldout")


def guide_questions(path: Path, split: str | None = None) -> list[CardQuestion]:
    """Guide questions of a router set, one JSON object per line: ``id``, ``audience``, ``q``,
    ``card`` (null when no guide covers the question), ``also`` (other acceptable guides) and,
    unless ``split`` is given, each row's ``split`` (``eval/router_train.jsonl``: train/dev)."""
    out: list[CardQuestion] = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        cards = [row["card"], *row.get("also", [])] if row.get("card") else []
        gold = frozenset(Path(c).name for c in cards)
        part = split or str(row["split"])
        out.append(CardQuestion(str(row["id"]), str(row["q"]), str(row["audience"]), "guide", gold, part))
    return out


@dataclass(frozen=True)
class CardQuestion:
    """A labelled question for the router: the card type it is routed among and its gold cards
    (file names; empty when no card of that type answers it)."""

    id: str
    q: str
    audience: str
    doc_type: str
    gold_files: frozenset[str]
    split: str


@dataclass
class CardRows:
    """Feature rows of one question (one per card) and which rows are gold."""

    question: CardQuestion
    doc_ids: list[str]
    files: list[str]
    rows: np.ndarray
    gold: np.ndarray  # bool per row


def collect(
    retrieve: Callable[
        [str, str], tuple[LexicalIndex, Sequence[float], np.ndarray | None, Sequence[ScoredChunk]]
    ],
    features: CardFeatures,
    questions: Sequence[CardQuestion],
) -> list[CardRows]:
    """Features of every card for every question (``retrieve(q, audience)`` → lex, vector, bm25, items)."""
    out = []
    for question in questions:
        lex, vector, bm25, items = retrieve(question.q, question.audience)
        doc_ids, rows = features.features(question.q, lex, question.doc_type, vector, bm25, items)
        files = []
        for doc_id in doc_ids:
            row = lex.document(doc_id)
            files.append(str(lex.chunks[row[0]].metadata.get("file", "")) if row else "")
        gold = np.array([f in question.gold_files for f in files], dtype=bool)
        out.append(CardRows(question, doc_ids, files, rows, gold))
    return out


def decisions(
    data: Sequence[CardRows], weights: Sequence[float], bias: float, threshold: float
) -> list[bool]:
    """Per question: right card chosen, or rightly none."""
    right = []
    for d in data:
        if not len(d.rows):
            right.append(not d.gold.any())
            continue
        probs = np.array([probability(r, weights, bias) for r in d.rows])
        order = sorted(range(len(probs)), key=lambda i: (-probs[i], d.doc_ids[i]))
        top = order[0]
        chosen = top if probs[top] >= threshold else None
        right.append(bool(d.gold[chosen]) if chosen is not None else not d.gold.any())
    return right


def train(train: Sequence[CardRows], dev: Sequence[CardRows]) -> dict[str, object]:
    """Logistic regression over card rows (balanced classes); C and the threshold chosen on dev.

    The model is fitted on standardised features and saved with weights for the raw ones (the
    same decision function), so the model file and :func:`.card_router.probability` stay as
    they are. Why: the L2 penalty weighs every coefficient alike, and the features' scales
    differ by more than ten times — e5's cosine similarities spread over about 0.02, BM25
    ratios over about 0.3 — so unscaled, the penalty all but silenced the similarities, the
    features that say how well the best card fits at all (a question no guide covers).

    Returns the model and its figures (right-decision rates on train and dev); :func:`save`
    writes them, once the caller has added any evaluation-only figures.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X = np.vstack([d.rows for d in train if len(d.rows)])
    y = np.concatenate([d.gold for d in train if len(d.rows)]).astype(int)
    scaler = StandardScaler().fit(X)  # a constant feature keeps scale 1
    mean, scale = scaler.mean_, scaler.scale_
    best: tuple[float, float, float, list[float], float] | None = None
    for c in (0.1, 0.3, 1.0, 3.0, 10.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit(scaler.transform(X), y)
        standardised = model.coef_[0]
        weights = [float(w) for w in standardised / scale]
        bias = float(model.intercept_[0] - float(np.sum(standardised * mean / scale)))
        for threshold in np.round(np.arange(0.05, 0.96, 0.05), 2):
            score = float(np.mean(decisions(dev, weights, bias, float(threshold))))
            # ties: the smaller C (simpler model), then the lower threshold (answer rather than not)
            if best is None or score > best[0] + 1e-9:
                best = (score, c, float(threshold), weights, bias)
    assert best is not None
    score, c, threshold, weights, bias = best
    figures: dict[str, object] = {
        "features": list(FEATURES),
        "weights": weights,
        "bias": bias,
        "threshold": threshold,
        "C": c,
        "train_right": round(float(np.mean(decisions(train, weights, bias, threshold))), 3),
        "dev_right": round(score, 3),
        "train_questions": len(train),
        "dev_questions": len(dev),
    }
    return figures


def save(figures: Mapping[str, object], path: Path) -> None:
    """Write the router's model file (JSON: features, weights, bias, threshold, figures)."""
    path.write_text(json.dumps(dict(figures), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
