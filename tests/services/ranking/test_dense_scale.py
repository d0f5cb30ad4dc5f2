"""Cosine-similarity bars per embedder profile (services/ranking/dense_scale.py) and their use
by the factory's refusal thresholds and follow-up rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.factory import DENSE_BARS_FILE, build_assistant
from assistant.services.ranking.dense_scale import (
    DenseBars,
    calibrate_profile,
    load_dense_bars,
    match_quantiles,
    match_rule,
)
from assistant.services.refusal_rules import RefusalPolicy
from assistant.settings import load_settings


def _write(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "reference": "ref",
                "reference_on_answerable": {
                    "rules": {
                        "min_dense": {"with": "coverage", "below": 0.55, "refused": 0.02},
                        "known_dense": {"with": "known_ratio", "below": 0.45, "refused": 0.05},
                    },
                    "below": {"stand_alone_dense": 0.25},
                },
                "profiles": {"ref": {"min_dense": 0.3, "known_dense": 0.55, "stand_alone_dense": 0.45}},
            }
        ),
        encoding="utf-8",
    )
    return path


def test_match_quantiles_finds_the_value_below_which_the_share_lies() -> None:
    values = [i / 100 for i in range(101)]  # 0.00 … 1.00
    assert match_quantiles(values, {"a": 0.25, "b": 0.5}) == {"a": 0.25, "b": 0.5}
    assert match_quantiles(list(reversed(values)), {"a": 0.1}) == {"a": 0.1}  # order does not matter
    with pytest.raises(ValueError, match="no answerable questions"):
        match_quantiles([], {"a": 0.1})


def _compressed() -> list[dict[str, float]]:
    """100 answerable questions of an embedder scoring everything 0.85–0.95; every tenth has
    few known words, every fifth low coverage."""
    return [
        {
            "top_dense": 0.85 + i * 0.001,
            "known_ratio": 0.2 if i % 10 == 0 else 0.9,
            "coverage": 0.3 if i % 5 == 0 else 0.9,
        }
        for i in range(100)
    ]


def test_a_rule_bar_refuses_the_reference_share_of_answerable_questions() -> None:
    answerable = _compressed()
    bar = match_rule(answerable, "known_ratio", 0.45, rate=0.02)  # 2 of 100 may be refused
    refused = [s for s in answerable if s["known_ratio"] < 0.45 and s["top_dense"] < bar]
    assert len(refused) == 2 and bar == pytest.approx(0.87)  # the third such question's similarity
    assert match_rule(answerable, "known_ratio", 0.45, rate=0.5) == 1.0  # fewer meet it than allowed
    with pytest.raises(ValueError, match="no answerable questions"):
        match_rule([], "known_ratio", 0.45, rate=0.02)


def test_calibration_moves_a_profile_onto_its_own_scale_and_leaves_the_reference(tmp_path: Path) -> None:
    path = _write(tmp_path / "bars.json")
    entry = calibrate_profile(path, "other", _compressed())
    # coverage < 0.55 for i = 0, 5, 10 …: 2 of 100 may be refused -> the third (i = 10)
    assert entry["min_dense"] == pytest.approx(0.86)
    # known_ratio < 0.45 for i = 0, 10, 20 …: 5 of 100 may be refused -> the sixth (i = 50)
    assert entry["known_dense"] == pytest.approx(0.9)
    assert entry["stand_alone_dense"] == pytest.approx(0.8748, abs=1e-4) and entry["questions"] == 100
    assert load_dense_bars(path, "other") == DenseBars(entry["min_dense"], 0.9, entry["stand_alone_dense"])
    assert calibrate_profile(path, "ref", _compressed())["min_dense"] == 0.3  # hand-set, kept
    assert load_dense_bars(path, "ref") == DenseBars(0.3, 0.55, 0.45)
    assert load_dense_bars(path, "never-calibrated") == DenseBars(0.3, 0.55, 0.45)
    assert load_dense_bars(tmp_path / "absent.json", "ref") is None


def _thresholds(refusal: object) -> RefusalPolicy:
    while not isinstance(refusal, RefusalPolicy):
        refusal = refusal.inner  # type: ignore[attr-defined]
    return refusal


def test_factory_uses_the_profile_bars_unless_a_setting_overrides(tmp_path: Path) -> None:
    shipped = json.loads(DENSE_BARS_FILE.read_text(encoding="utf-8"))["profiles"]
    e5 = build_assistant(load_settings(index_dir=tmp_path / "a", embedding_model="e5-small")).answer_service
    assert _thresholds(e5.refusal).min_dense == shipped["e5-small"]["min_dense"]
    assert _thresholds(e5.refusal).known_dense == shipped["e5-small"]["known_dense"]
    assert e5.stands_alone.min_dense == shipped["e5-small"]["stand_alone_dense"]
    use = build_assistant(
        load_settings(index_dir=tmp_path / "b", embedding_model="use-multilingual")
    ).answer_service
    assert (_thresholds(use.refusal).min_dense, _thresholds(use.refusal).known_dense) == (0.3, 0.55)
    assert use.stands_alone.min_dense == 0.45
    chosen = build_assistant(
        load_settings(index_dir=tmp_path / "c", embedding_model="e5-small", refusal_min_dense=0.5)
    ).answer_service
    assert _thresholds(chosen.refusal).min_dense == 0.5
    assert _thresholds(chosen.refusal).known_dense == shipped["e5-small"]["known_dense"]


@pytest.mark.slow
def test_e5_refuses_an_off_domain_question_and_answers_an_emergency_one(tmp_path: Path) -> None:
    """With USE's bars e5 answered 诸葛亮为什么要六出祁山 (its cosine for it is 0.83)."""
    assistant = build_assistant(load_settings(index_dir=tmp_path / "index", embedding_model="e5-small"))
    assistant.ingest_service.ingest([assistant.settings.corpus_dir])
    service = assistant.answer_service
    assert service.ask("诸葛亮为什么要六出祁山", audience="resident").refused
    assert service.ask("小龙虾买回来怎么洗才干净？", audience="resident").refused
    stuck = service.ask("被困在电梯里了怎么办", audience="resident")
    assert not stuck.refused and "电梯" in stuck.answer
