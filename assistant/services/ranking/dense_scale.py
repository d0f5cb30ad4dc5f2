"""Bars on the dense-similarity scale, one set per embedder profile.

Why: three rules compare the best cosine similarity (``top_dense``) with a fixed bar — the
refusal thresholds' ``min_dense`` and ``known_dense`` and the follow-up rule's "retrieves well
alone" ``stand_alone_dense``. The bars were read on the USE embedder, whose answerable questions
score 0.4–0.6. multilingual-e5 puts nearly every question, answerable or not, between 0.85 and
0.93, so USE's bars never fired there: with e5, 诸葛亮为什么要六出祁山 was answered.

A bar is kept as what it means — the share of answerable questions that fall below it — and
each profile's bar is the quantile of its own answerable blind-train questions' ``top_dense`` at
the share the reference bar leaves below on the reference embedder (quantile matching). It is
computed on the train split only; dev and test never choose it. ``train-ranker`` recalibrates
the profile it trains; the reference profile keeps its hand-set bars.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BARS = ("min_dense", "known_dense", "stand_alone_dense")


@dataclass(frozen=True)
class DenseBars:
    """The three bars of one profile (see the module docstring)."""

    min_dense: float
    known_dense: float
    stand_alone_dense: float


def load_dense_bars(path: Path, profile: str) -> DenseBars | None:
    """The profile's bars, the reference profile's for a profile never calibrated, or None
    without a file."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    entry = data["profiles"].get(profile) or data["profiles"][data["reference"]]
    return DenseBars(**{bar: float(entry[bar]) for bar in BARS})


def match_quantiles(top_dense: Sequence[float], shares: Mapping[str, float]) -> dict[str, float]:
    """For each bar, the value below which ``shares[bar]`` of ``top_dense`` lies (linear
    interpolation between order statistics, as numpy's default quantile)."""
    import numpy as np

    if not top_dense:
        raise ValueError("no answerable questions to calibrate the dense bars on")
    values = np.asarray(top_dense, dtype=float)
    return {bar: round(float(np.quantile(values, share)), 4) for bar, share in shares.items()}


def calibrate_profile(path: Path, profile: str, answerable_top_dense: Sequence[float]) -> dict[str, Any]:
    """Recalibrate ``profile``'s bars from its answerable train questions and save them; the
    reference profile is left as set. Returns the profile's entry."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if profile != data["reference"]:
        bars = match_quantiles(answerable_top_dense, data["reference_answerable_below"])
        data["profiles"][profile] = {**bars, "questions": len(answerable_top_dense)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return dict(data["profiles"][profile])
