"""The trained ranker: a bagged ensemble of LightGBM LambdaMART models over :data:`features.FEATURES`.

Why an ensemble: single models retrained after small index changes varied by several points
of hit@1 (0.72–0.80 on the blind test split), so one seed's luck decided what shipped. The
ranker is now the mean score of K members trained with different seeds (row and feature
bagging); averaging cancels most of that variance. Members are LightGBM text files named
``<stem>.m<N>.txt`` beside the model path (``ranker-<embedder>.m1.txt`` …); a single
``<stem>.txt`` is still accepted (older checkouts). Every member is refused (with the reason)
when its features differ from the code's, so a feature change without retraining cannot
silently mis-rank. Prediction is single-threaded and deterministic; ties are broken by chunk
id by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.services.ranking.features import FEATURE_NAMES, Candidate


class RankerModelError(ValueError):
    """The model file is missing, unreadable, or made for other features."""


def member_path(path: Path, number: int) -> Path:
    """Where ensemble member ``number`` (1-based) of the model at ``path`` is stored."""
    return path.with_name(f"{path.stem}.m{number}.txt")


def member_paths(path: Path) -> list[Path]:
    """The model files of ``path``: its ensemble members in order, else ``path`` itself if present."""
    pattern = re.compile(re.escape(path.stem) + r"\.m(\d+)\.txt$")
    found = [
        (int(m.group(1)), p) for p in path.parent.glob(f"{path.stem}.m*.txt") if (m := pattern.match(p.name))
    ]
    if found:
        return [p for _, p in sorted(found)]
    return [path] if path.is_file() else []


class RankerModel:
    """Mean score of the ensemble members stored for ``path`` (loaded on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._boosters: list[object] | None = None

    def available(self) -> bool:
        return bool(member_paths(self.path))

    @property
    def members(self) -> int:
        return len(self._load())

    def _load(self) -> list[object]:
        if self._boosters is None:
            import lightgbm as lgb

            paths = member_paths(self.path)
            if not paths:
                raise RankerModelError(f"{self.path}: ranker model not found; run train-ranker")
            boosters: list[object] = []
            for path in paths:
                booster = lgb.Booster(model_file=str(path))
                names = tuple(booster.feature_name())
                if names != FEATURE_NAMES:
                    raise RankerModelError(
                        f"{path}: trained on other features ({len(names)} vs {len(FEATURE_NAMES)}); "
                        "run `python -m assistant train-ranker`"
                    )
                boosters.append(booster)
            self._boosters = boosters
        return self._boosters

    def score(self, matrix: np.ndarray, candidates: Sequence[Candidate] = ()) -> np.ndarray:
        """Mean model score of the rows of ``matrix`` (``candidates`` are for recording rankers)."""
        if len(matrix) == 0:
            return np.zeros(0)
        boosters = self._load()
        total = np.zeros(len(matrix))
        for booster in boosters:
            total += np.asarray(booster.predict(matrix, num_threads=1))  # type: ignore[attr-defined]
        return total / len(boosters)
