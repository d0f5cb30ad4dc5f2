"""Does the question ask what to do in an emergency, or what the rules say about it?

Why a second, binary model beside the intent model: the intent model spreads its probability
over eight classes, and a question about an emergency *topic* that asks a legal question
(电梯坏了检测机构要求停运，维修钱从哪出; 居民把电瓶车放家里客厅充电…该向哪个部门报告;
暴雨红色预警了，工厂老板说照常开工，他能这样吗) came out "emergency" with 0.2–0.4, because
no single legal class beat it. The answer then read a self-rescue guide first although the
ranker had put the answering article first. On the team's dev split 18 of 90 questions whose
ranker lead was right were lost that way.

This model answers only the question the answer plan has to decide — *how to act* against
*obligation, penalty, responsibility or deadline* — from the same hashed character n-grams as
the intent model (the form words 怎么办 / 往哪躲 against 能不能…吗 / 要负责吗 / 谁出钱 carry
it), trained with balanced classes on the blind-written set and the intent-only set (train
splits); C is chosen on their dev splits; 0.5 is the decision point (balanced training makes
the classes' priors equal). It only arbitrates when the intent model says emergency and the
ranker's first passage is not a guide: see :func:`assistant.services.answer_plans.make_plan`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.services.ranking.intent import N_FEATURES, _vectorizer

#: Intents whose questions are answered by an article (the "rights" side of the model).
RIGHTS_INTENTS = frozenset({"obligation", "penalty", "responsibility", "deadline"})
#: Regularisation strengths tried; the best dev accuracy wins (ties: the smaller C).
C_GRID = (0.3, 1.0, 4.0, 10.0)


class HowToModel:
    """Loads the weights on first use; :meth:`how_to` is the probability of an emergency how-to."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._weights: np.ndarray | None = None
        self._bias = 0.0
        self._vec: Any = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        return self.path.is_file()

    def _load(self) -> None:
        with self._lock:  # vectoriser before the weights readers test (see IntentModel._load)
            if self._weights is not None:
                return
            with np.load(self.path) as data:
                weights = data["weights"].astype(np.float64)
                if weights.shape != (N_FEATURES,):
                    shape = f"{weights.shape}, expected ({N_FEATURES},)"
                    raise ValueError(f"{self.path}: weights of shape {shape}; retrain (train-how-to)")
                self._bias = float(data["bias"])
            self._vec = _vectorizer()
            self._weights = weights

    def how_to(self, question: str) -> float:
        if self._weights is None:
            self._load()
        assert self._weights is not None
        x = self._vec.transform([question])
        z = float(np.asarray(x @ self._weights).ravel()[0]) + self._bias
        return float(1.0 / (1.0 + np.exp(-max(min(z, 50.0), -50.0))))


def labelled(rows: Sequence[tuple[str, str]]) -> tuple[list[str], list[int]]:
    """(question, intent) pairs → the questions of the two sides and 1 for emergency, 0 for rights."""
    questions: list[str] = []
    labels: list[int] = []
    for question, intent in rows:
        if intent == "emergency" or intent in RIGHTS_INTENTS:
            questions.append(question)
            labels.append(int(intent == "emergency"))
    return questions, labels


def train_how_to(
    train: tuple[list[str], list[int]], dev: tuple[list[str], list[int]], path: Path
) -> dict[str, Any]:
    """Fit on ``train``, choose C by dev accuracy, save the weights; returns the figures."""
    from sklearn.linear_model import LogisticRegression

    if len(set(train[1])) < 2 or len(set(dev[1])) < 2:
        raise ValueError("both sides (emergency and rights questions) are needed in train and dev")
    vec = _vectorizer()
    x_train = vec.transform(train[0])  # type: ignore[attr-defined]
    x_dev = vec.transform(dev[0])  # type: ignore[attr-defined]
    y_dev = np.array(dev[1])
    scores: dict[float, float] = {}
    models: dict[float, Any] = {}
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=3000, random_state=0, class_weight="balanced")
        model.fit(x_train, np.array(train[1]))
        predicted = model.predict_proba(x_dev)[:, 1] >= 0.5
        scores[c] = round(float(np.mean(predicted == y_dev.astype(bool))), 4)
        models[c] = model
    best = max(sorted(scores), key=lambda c: (scores[c], -c))
    model = models[best]
    predicted = model.predict_proba(x_dev)[:, 1] >= 0.5
    figures: dict[str, Any] = {
        "C": best,
        "dev_accuracy": scores,
        "dev_emergency_recall": round(float(np.mean(predicted[y_dev == 1])), 4),
        "dev_rights_recall": round(float(np.mean(~predicted[y_dev == 0])), 4),
        "train_questions": len(train[0]),
        "dev_questions": len(dev[0]),
    }
    np.savez_compressed(
        path,
        weights=model.coef_[0].astype(np.float32),
        bias=np.array(model.intercept_[0], dtype=np.float64),
        figures=np.array(json.dumps(figures, ensure_ascii=False)),
    )
    return figures
