"""Whether the sources can answer: a small logistic model over evidence signals, per embedder.

Why learned: the hand-set thresholds were calibrated on the team's 23 dev out-of-scope
questions for one embedder, and near-domain traps (a number no document gives, another city's
rule, a writing task dressed as a question) share enough words with the corpus to pass them.
The model reads the retrieval signals (word coverage of the top passages, how many question
words the index knows, dense similarity, BM25 strength per question token) and the ranker's
top score, and what the question asks for that no passage holds (live status, counts of real
events, a named place or contact, an opinion: ``ask_<kind>`` signals from
``corpus/ask_kinds.yaml``; near-domain traps share words with the corpus but ask for these).
Two inputs were tried and dropped because they did not transfer to questions
written by other people: the intent model's out-of-scope probability (all out-of-scope
training questions came from one writer, so it learned that writer's style: 63% of the older
dev set's answerable questions were refused) and raw BM25 (it grows with question length).
(The intent model has since been retrained on questions from several writers, and its
out-of-scope probability now refuses on its own, behind a threshold set on held-out answerable
questions: :class:`~assistant.services.refusal_rules.OutOfScopeGate`.)
It is trained on the blind set's train split plus the older set's dev split, and its
threshold is chosen on the blind dev split so that at most :data:`MAX_ANSWERABLE_REFUSED` of
answerable dev questions are refused. The file (JSON: feature names, weights, threshold)
sits beside the ranker of the same embedder, since dense similarities differ by model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from assistant.services.query_analysis import ASK_PREFIX

SIGNALS: tuple[str, ...] = (
    "coverage",
    "known_ratio",
    "top_dense",
    "bm25_per_token",
    "max_bm25_per_token",
    "top_score",
)
MAX_ANSWERABLE_REFUSED = 0.05
# Signals named ``ask_<kind>`` come from :class:`~assistant.services.query_analysis.AskKinds`
# (``corpus/ask_kinds.yaml``); which of them a model reads is stored in its file.


def training_signals(rows: Sequence[tuple[Mapping[str, float], bool]]) -> list[str]:
    """The signals a new model is trained on: the evidence signals and every ask kind present."""
    kinds = sorted({name for signals, _ in rows for name in signals if name.startswith(ASK_PREFIX)})
    return [*SIGNALS, *kinds]


def derived(signals: Mapping[str, float]) -> dict[str, float]:
    """The retrieval signals plus length-free versions (BM25 grows with the question's length)."""
    out = {key: float(value) for key, value in signals.items()}
    tokens = max(out.get("n_tokens", 0.0), 1.0)
    out["bm25_per_token"] = out.get("top_bm25", 0.0) / tokens
    out["max_bm25_per_token"] = out.get("max_bm25", 0.0) / tokens
    return out


def _vector(signals: Mapping[str, float], names: Sequence[str] | None = None) -> list[float]:
    values = derived(signals)
    return [values.get(name, 0.0) for name in (names or SIGNALS)]


class RefusalModel:
    """``refuse(signals)``: True when the model's probability of 'unanswerable' passes its threshold."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._model: dict[str, object] | None = None

    def available(self) -> bool:
        return self.path.is_file()

    def probability(self, signals: Mapping[str, float]) -> float:
        if self._model is None:
            model = json.loads(self.path.read_text(encoding="utf-8"))
            unknown = [n for n in model["signals"] if n not in SIGNALS and not str(n).startswith(ASK_PREFIX)]
            if unknown:
                raise ValueError(f"{self.path}: trained on other signals ({unknown}); run train-ranker")
            self._model = model
        weights = [float(w) for w in self._model["weights"]]  # type: ignore[union-attr]
        mean = [float(m) for m in self._model["mean"]]  # type: ignore[union-attr]
        scale = [float(s) for s in self._model["scale"]]  # type: ignore[union-attr]
        z = float(self._model["bias"])  # type: ignore[arg-type]
        names = [str(n) for n in self._model["signals"]]  # type: ignore[union-attr]
        for w, x, m, s in zip(weights, _vector(signals, names), mean, scale, strict=True):
            z += w * (x - m) / s
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def refuse(self, signals: Mapping[str, float]) -> bool:
        if signals.get("direct"):
            return False
        if signals.get("n_tokens", 0) == 0:
            return True
        probability = self.probability(signals)
        assert self._model is not None
        return probability >= float(self._model["threshold"])  # type: ignore[arg-type]


def train_refusal(
    train: Sequence[tuple[Mapping[str, float], bool]],
    dev: Sequence[tuple[Mapping[str, float], bool]],
    path: Path,
) -> dict[str, float]:
    """Fit on ``train`` (signals, unanswerable?); pick the threshold on ``dev``; save JSON."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    names = training_signals(train)
    x = np.array([_vector(s, names) for s, _ in train])
    y = np.array([int(label) for _, label in train])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000, random_state=0)
    model.fit(scaler.transform(x), y)
    saved = {
        "signals": names,
        "weights": [float(w) for w in model.coef_[0]],
        "bias": float(model.intercept_[0]),
        "mean": [float(m) for m in scaler.mean_],
        "scale": [float(s) for s in scaler.scale_],
        "threshold": 0.5,
    }
    path.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    scorer = RefusalModel(path)
    answerable = sorted(scorer.probability(s) for s, label in dev if not label)
    # the lowest threshold that refuses at most MAX_ANSWERABLE_REFUSED of answerable dev questions
    allowed = int(MAX_ANSWERABLE_REFUSED * len(answerable))
    threshold = answerable[-allowed - 1] + 1e-9 if len(answerable) > allowed else 0.5
    saved["threshold"] = threshold
    path.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    scorer = RefusalModel(path)
    oos = [s for s, label in dev if label]
    return {
        "threshold": round(float(saved["threshold"]), 4),  # type: ignore[arg-type]
        "dev_out_of_scope_refused": round(sum(scorer.refuse(s) for s in oos) / max(len(oos), 1), 3),
        "dev_answerable_refused": round(
            sum(scorer.refuse(s) for s, label in dev if not label) / max(len(dev) - len(oos), 1), 3
        ),
    }
