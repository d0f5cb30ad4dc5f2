"""Bars on the dense-similarity scale, one set per embedder profile.

Why: three rules compare the best cosine similarity (``top_dense``) with a fixed bar — the
refusal thresholds' ``min_dense`` (with low word coverage) and ``known_dense`` (with few words
the index knows) and the follow-up rule's "retrieves well alone" ``stand_alone_dense``. The bars
were read on the USE embedder, whose answerable questions score 0.4–0.6. multilingual-e5 puts
nearly every question, answerable or not, between 0.85 and 0.93, so USE's bars never fired
there: with e5, 诸葛亮为什么要六出祁山 was answered.

A bar is kept as what it does on the reference embedder, measured on the answerable blind-train
questions, and each profile's bar is set to do the same on its own scale: a refusal bar refuses
the same share of answerable train questions *together with its companion condition* (a rule
is a conjunction, so matching the similarity's marginal share alone refused twice as many
answerable questions with e5's ``known_dense``); the stand-alone bar, which has no labelled
data of its own, leaves the same share of answerable questions below it. Computed on the train
split only; dev and test never choose it. ``train-ranker`` recalibrates the profile it trains;
the reference profile keeps its hand-set bars.
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


def match_rule(answerable: Sequence[Mapping[str, float]], signal: str, below: float, rate: float) -> float:
    """The bar at which "``signal`` < ``below`` and top_dense < bar" refuses ``rate`` of the
    ``answerable`` questions' signals: just above the similarity of the last one it may refuse."""
    if not answerable:
        raise ValueError("no answerable questions to calibrate the dense bars on")
    meeting = sorted(s.get("top_dense", 0.0) for s in answerable if s.get(signal, 0.0) < below)
    allowed = int(rate * len(answerable) + 1e-9)
    if allowed >= len(meeting):
        return 1.0  # the rule may refuse every answerable question that meets its condition
    return round(meeting[allowed], 4)  # strictly below it: exactly ``allowed`` are refused


def calibrate_profile(path: Path, profile: str, answerable: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """Recalibrate ``profile``'s bars from its answerable train questions' retrieval signals and
    save them; the reference profile is left as set. Returns the profile's entry."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if profile != data["reference"]:
        reference = data["reference_on_answerable"]
        bars: dict[str, Any] = {
            bar: match_rule(answerable, rule["with"], rule["below"], rule["refused"])
            for bar, rule in reference["rules"].items()
        }
        bars.update(match_quantiles([s.get("top_dense", 0.0) for s in answerable], reference["below"]))
        data["profiles"][profile] = {**bars, "questions": len(answerable)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return dict(data["profiles"][profile])
