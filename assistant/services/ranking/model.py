"""The trained ranker: a LightGBM LambdaMART model over :data:`features.FEATURES`.

The model file is LightGBM's text format with our feature names; it is loaded on first use
and refused (with the reason) when its features differ from the code's, so a feature change
without retraining cannot silently mis-rank. Prediction is single-threaded and deterministic;
ties are broken by chunk id by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.services.ranking.features import FEATURE_NAMES, Candidate


class RankerModelError(ValueError):
    """The model file is missing, unreadable, or made for other features."""


class RankerModel:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._booster: object | None = None

    def available(self) -> bool:
        return self.path.is_file()

    def _load(self) -> object:
        if self._booster is None:
            import lightgbm as lgb

            if not self.path.is_file():
                raise RankerModelError(f"{self.path}: ranker model not found; run train-ranker")
            booster = lgb.Booster(model_file=str(self.path))
            names = tuple(booster.feature_name())
            if names != FEATURE_NAMES:
                raise RankerModelError(
                    f"{self.path}: trained on other features ({len(names)} vs {len(FEATURE_NAMES)}); "
                    "run `python -m assistant train-ranker`"
                )
            self._booster = booster
        return self._booster

    def score(self, matrix: np.ndarray, candidates: Sequence[Candidate] = ()) -> np.ndarray:
        """Model scores of the rows of ``matrix`` (``candidates`` are for recording rankers)."""
        if len(matrix) == 0:
            return np.zeros(0)
        booster = self._load()
        return np.asarray(booster.predict(matrix, num_threads=1))  # type: ignore[attr-defined]
