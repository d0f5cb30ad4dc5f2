"""Training the intent classifier: balanced classes, C chosen on dev, and the out-of-scope
threshold chosen on dev answerable questions and stored with the weights (ranking/intent.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.services.evaluate import EvalItem
from assistant.services.ranking.intent import (
    C_GRID,
    IntentModel,
    choose_c,
    choose_out_of_scope_threshold,
    train_intent,
)
from assistant.services.ranking.training import calibrate_out_of_scope

# Many obligation questions, few emergency ones: 20:1 (the blind set: 416 obligation, 26 emergency).
OBLIGATION = [f"{x}号楼物业不修漏水怎么办" for x in range(1, 61)]
EMERGENCY = ["厨房有煤气味怎么办", "被困电梯里了怎么办", "楼下着火烟很大"]


def test_a_rare_class_is_still_learned(tmp_path: Path) -> None:
    questions = OBLIGATION + EMERGENCY
    labels = ["obligation"] * len(OBLIGATION) + ["emergency"] * len(EMERGENCY)
    path = tmp_path / "intent.npz"
    train_intent(questions, labels, path, c=4.0)
    model = IntentModel(path)
    # without class weights the prior pulled short emergency questions to obligation
    assert model.top("煤气味很重怎么办") == "emergency"
    assert model.top("7号楼物业不修外墙怎么办") == "obligation"


def test_c_is_chosen_on_dev_by_macro_f1_deterministically() -> None:
    train = (OBLIGATION + EMERGENCY, ["obligation"] * len(OBLIGATION) + ["emergency"] * len(EMERGENCY))
    dev = (["电梯突然停了人在里面", "物业要不要修外墙"], ["emergency", "obligation"])
    best, scores = choose_c(train, dev)
    assert set(scores) == set(C_GRID) and best in C_GRID
    assert scores[best] == max(scores.values())
    assert all(best <= c for c in C_GRID if scores[c] == scores[best])  # ties go to the smaller C
    assert choose_c(train, dev) == (best, scores)


def test_the_first_predictions_from_many_threads_at_once_all_succeed() -> None:
    """A replica's first burst of requests: every thread finds the model whole."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.factory import MODELS_DIR
    from assistant.services.ranking.intent import IntentModel

    for _ in range(5):
        model = IntentModel(MODELS_DIR / "intent.npz")
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(model.predict, ["家里燃气泄漏了怎么办"] * 64))
        assert all(abs(sum(r.values()) - 1.0) < 1e-9 for r in results)
        assert len({max(r, key=r.__getitem__) for r in results}) == 1


OFF_TOPIC = ["红烧肉怎么做好吃", "帮我写一首关于秋天的诗", "周末去哪里看电影", "股票明天会涨吗"]


def test_out_of_scope_threshold_refuses_at_most_the_allowed_share_of_answerable() -> None:
    answerable = [k / 100 for k in range(100)]  # 0.00 … 0.99
    threshold = choose_out_of_scope_threshold(answerable, max_share=0.02)
    assert sum(p >= threshold for p in answerable) == 2  # 0.98 and 0.99
    assert choose_out_of_scope_threshold(answerable, max_share=0.0) > 0.99  # refuses none of them
    with pytest.raises(ValueError):
        choose_out_of_scope_threshold([])


def test_calibration_stores_the_threshold_with_the_weights(tmp_path: Path) -> None:
    questions = OBLIGATION + EMERGENCY + OFF_TOPIC * 3
    labels = ["obligation"] * len(OBLIGATION) + ["emergency"] * len(EMERGENCY) + ["out_of_scope"] * 12
    path = tmp_path / "intent.npz"
    train_intent(questions, labels, path, c=4.0)
    assert IntentModel(path).out_of_scope_threshold is None  # not calibrated yet: no gate
    dev = [EvalItem(f"d{k}", q) for k, q in enumerate(["3号楼物业不修电梯怎么办", "煤气味很重怎么办"])]
    dev.append(EvalItem("o1", "糖醋排骨怎么做", answerable=False))  # only answerable ones count
    threshold = calibrate_out_of_scope(path, dev)
    model = IntentModel(path)
    assert model.out_of_scope_threshold == pytest.approx(threshold)
    answerable_probabilities = [model.predict(i.q)["out_of_scope"] for i in dev if i.answerable]
    assert max(answerable_probabilities) < threshold  # 2 questions: 2% of them rounds to none
    assert model.top("7号楼物业不修外墙怎么办") == "obligation"  # weights unchanged by the save
