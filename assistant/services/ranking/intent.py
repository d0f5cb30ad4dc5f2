"""What a question asks for (emergency how-to, obligation, penalty, …), predicted from its text.

Why a trained classifier and not the audience: a resident asking 谁来修 wants the article, a
staff member asking what to do when a pipe bursts may want the procedure card. The model is a
logistic regression over hashed character 1–3-grams (no vocabulary to ship, so the file is
just the weights), trained on the intents of the blind-written question set and of the
intent-only set (eval/intent_questions.jsonl). Scoring is a
sparse dot product: deterministic and well under a millisecond.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.services.ranking.features import INTENTS

#: Classes of the intent model: the ranking intents plus questions the sources cannot answer.
CLASSES: tuple[str, ...] = (*INTENTS, "out_of_scope")
N_FEATURES = 2**15
#: The out-of-scope threshold refuses at most this share of the answerable dev questions by
#: itself (the evidence thresholds refuse a few more; the issue's cap is 5% in all).
MAX_ANSWERABLE_OUT_OF_SCOPE = 0.02


def _vectorizer() -> object:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char", ngram_range=(1, 3), n_features=N_FEATURES, alternate_sign=False, norm="l2"
    )


class IntentModel:
    """Loads the weights on first use; ``predict`` returns a probability per class."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._weights: np.ndarray | None = None
        self._bias: np.ndarray | None = None
        self._vec: object | None = None
        self._threshold: float | None = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        return self.path.is_file()

    def _load(self) -> None:
        # Under a lock, and the vectoriser set before the weights that readers test: a replica's
        # first burst of requests once saw weights without a vectoriser (AttributeError, HTTP 500,
        # and nginx took both replicas out for 5 s).
        with self._lock:
            if self._weights is not None:
                return
            data = np.load(self.path)
            classes = tuple(str(c) for c in data["classes"])
            if classes != CLASSES:
                raise ValueError(f"{self.path}: classes {classes} differ from {CLASSES}; retrain")
            self._vec = _vectorizer()
            if "out_of_scope_threshold" in data.files:
                self._threshold = float(data["out_of_scope_threshold"])
            self._bias = data["bias"].astype(np.float64)
            self._weights = data["weights"].astype(np.float64)

    @property
    def out_of_scope_threshold(self) -> float | None:
        """The probability from which a question is refused as out of scope (None: not calibrated)."""
        if self._weights is None:
            self._load()
        return self._threshold

    def predict(self, question: str) -> dict[str, float]:
        if self._weights is None:
            self._load()
        assert self._weights is not None and self._bias is not None and self._vec is not None
        x = self._vec.transform([question])  # type: ignore[attr-defined]
        logits = np.asarray(x @ self._weights.T).ravel() + self._bias
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        return {name: float(p) for name, p in zip(CLASSES, probs, strict=True)}

    def top(self, question: str) -> str:
        probs = self.predict(question)
        return max(CLASSES, key=lambda c: (probs[c], -CLASSES.index(c)))


#: Regularisation strengths tried by :func:`choose_c`; the one with the best dev macro-F1 is kept.
C_GRID = (1.0, 4.0, 16.0)


def _fit(questions: list[str], labels: list[str], c: float) -> object:
    """Logistic regression with balanced class weights.

    Balanced because the classes are far from even (hundreds of obligation questions, a few
    dozen emergency ones): unweighted, the rare classes were predicted for almost nothing and
    a plain 家里燃气泄漏了怎么办 came out as an obligation question.
    """
    from sklearn.linear_model import LogisticRegression

    x = _vectorizer().transform(questions)  # type: ignore[attr-defined]
    y = np.array([CLASSES.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=3000, random_state=0, class_weight="balanced")
    model.fit(x, y)
    return model


def choose_c(
    train: tuple[list[str], list[str]], dev: tuple[list[str], list[str]], grid: tuple[float, ...] = C_GRID
) -> tuple[float, dict[float, float]]:
    """The C of ``grid`` with the best macro-F1 on ``dev`` (ties: the smaller C), and every score."""
    from sklearn.metrics import f1_score

    scores: dict[float, float] = {}
    x_dev = _vectorizer().transform(dev[0])  # type: ignore[attr-defined]
    y_dev = np.array([CLASSES.index(label) for label in dev[1]])
    for c in grid:
        predicted = _fit(*train, c).predict(x_dev)  # type: ignore[attr-defined]
        scores[c] = round(float(f1_score(y_dev, predicted, average="macro")), 4)
    best = max(sorted(scores), key=lambda c: (scores[c], -c))
    return best, scores


def train_intent(questions: list[str], labels: list[str], path: Path, c: float = 4.0) -> None:
    """Fit the classifier and save its weights (float32) beside the ranker."""
    model: Any = _fit(questions, labels, c)
    weights = np.zeros((len(CLASSES), N_FEATURES), dtype=np.float32)
    bias = np.zeros(len(CLASSES), dtype=np.float32)
    if len(model.classes_) == 2:  # binary: one row of weights, for the second class (softmax-equal)
        weights[model.classes_[1]] = model.coef_[0]
        bias[model.classes_[1]] = model.intercept_[0]
    else:
        for row, cls in enumerate(model.classes_):
            weights[cls] = model.coef_[row]
            bias[cls] = model.intercept_[row]
    # classes never seen in training get a very low bias so they are never predicted
    for cls in set(range(len(CLASSES))) - set(int(v) for v in model.classes_):
        bias[cls] = -1e3
    np.savez_compressed(path, weights=weights, bias=bias, classes=np.array(CLASSES))


def choose_out_of_scope_threshold(
    answerable: list[float], max_share: float = MAX_ANSWERABLE_OUT_OF_SCOPE
) -> float:
    """The lowest out-of-scope probability that refuses at most ``max_share`` of ``answerable``.

    ``answerable`` holds the model's out-of-scope probabilities for held-out answerable
    questions. The threshold sits just above the highest probability that must still be
    answered, so the rule reads "refuse what is more out of scope than the ``max_share``
    most out-of-scope-looking answerable questions".
    """
    if not answerable:
        raise ValueError("no answerable questions to choose the out-of-scope threshold on")
    ordered = sorted(answerable)
    allowed = int(max_share * len(ordered))
    return float(ordered[-allowed - 1]) + 1e-6


def save_out_of_scope_threshold(path: Path, threshold: float) -> None:
    """Store the chosen threshold in the model file beside the weights."""
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["out_of_scope_threshold"] = np.array(threshold, dtype=np.float64)
    np.savez_compressed(path, **arrays)
