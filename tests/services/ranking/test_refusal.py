"""The learned refusal model: length-free inputs, no intent-model input, and a threshold chosen
on dev under the answerable-refused cap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.services.ranking.refusal import MAX_ANSWERABLE_REFUSED, SIGNALS, RefusalModel, train_refusal


def _rows(n: int, seed: int) -> list[tuple[dict[str, float], bool]]:
    """Answerable questions have strong evidence, out-of-scope ones weak, with overlap."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        unanswerable = k % 3 == 0
        strength = rng.normal(0.3 if unanswerable else 0.7, 0.15)
        tokens = float(rng.integers(2, 20))
        rows.append(
            (
                {
                    "coverage": strength,
                    "known_ratio": strength + rng.normal(0, 0.05),
                    "top_dense": 0.3 + 0.4 * strength,
                    "n_tokens": tokens,
                    "top_bm25": 4.0 * strength * tokens,
                    "max_bm25": 5.0 * strength * tokens,
                    "top_score": 2.0 * strength - 1.0,
                    "p_out_of_scope": float(unanswerable),  # a give-away the model must not read
                },
                unanswerable,
            )
        )
    return rows


def test_inputs_are_length_free_and_exclude_the_intent_model() -> None:
    assert "p_out_of_scope" not in SIGNALS
    assert not {"n_tokens", "top_bm25", "max_bm25"} & set(SIGNALS)  # these grow with length


def test_threshold_keeps_answerable_refusals_under_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "refusal.json"
    dev = _rows(300, seed=2)
    figures = train_refusal(_rows(300, seed=1), dev, path)
    model = RefusalModel(path)
    answerable = [s for s, unanswerable in dev if not unanswerable]
    oos = [s for s, unanswerable in dev if unanswerable]
    refused = sum(model.refuse(s) for s in answerable) / len(answerable)
    assert refused <= MAX_ANSWERABLE_REFUSED
    assert figures["dev_answerable_refused"] == pytest.approx(refused, abs=0.001)
    assert sum(model.refuse(s) for s in oos) / len(oos) > 0.5  # it still refuses most weak questions
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["signals"] == list(SIGNALS) and 0.0 < saved["threshold"] < 1.0
    # the give-away input changes nothing: the model never reads it
    probe = dict(dev[1][0])
    assert model.probability({**probe, "p_out_of_scope": 1.0}) == model.probability(
        {**probe, "p_out_of_scope": 0.0}
    )


def test_direct_lookup_is_never_refused_and_no_words_always_is(tmp_path: Path) -> None:
    path = tmp_path / "refusal.json"
    train_refusal(_rows(120, seed=3), _rows(120, seed=4), path)
    model = RefusalModel(path)
    weak = {"coverage": 0.0, "known_ratio": 0.0, "top_dense": 0.0, "n_tokens": 3.0, "top_score": -3.0}
    assert model.refuse(weak) and not model.refuse({**weak, "direct": 1.0})
    assert model.refuse({**weak, "coverage": 1.0, "n_tokens": 0.0})


def test_model_trained_on_other_signals_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "refusal.json"
    train_refusal(_rows(60, seed=5), _rows(60, seed=6), path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["signals"] = [*saved["signals"][:-1], "p_out_of_scope"]
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(ValueError, match="other signals"):
        RefusalModel(path).probability({"coverage": 0.5})


def _with_asks(rows: list[tuple[dict[str, float], bool]], seed: int) -> list[tuple[dict[str, float], bool]]:
    """The same rows plus an ask-kind signal that out-of-scope questions carry more often."""
    rng = np.random.default_rng(seed)
    out = []
    for signals, unanswerable in rows:
        asks = float(rng.random() < (0.6 if unanswerable else 0.05))
        out.append(({**signals, "ask_live_status": asks}, unanswerable))
    return out


def test_ask_kind_signals_are_learned_and_stored(tmp_path: Path) -> None:
    path = tmp_path / "refusal.json"
    train_refusal(_with_asks(_rows(300, seed=7), 1), _with_asks(_rows(300, seed=8), 2), path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["signals"] == [*SIGNALS, "ask_live_status"]
    assert saved["weights"][-1] > 0  # asking for live status makes refusal likelier
    model = RefusalModel(path)
    probe = dict(_rows(3, seed=9)[1][0])
    assert model.probability({**probe, "ask_live_status": 1.0}) > model.probability(probe)


def test_a_model_without_ask_signals_still_reads_its_own(tmp_path: Path) -> None:
    """A model file trained before the ask kinds existed (another embedder's) keeps working:
    each file names the signals it reads."""
    path = tmp_path / "refusal.json"
    train_refusal(_rows(120, seed=10), _rows(120, seed=11), path)
    model = RefusalModel(path)
    probe = dict(_rows(3, seed=12)[1][0])
    assert model.probability({**probe, "ask_live_status": 1.0}) == model.probability(probe)
