"""Training the intent classifier: balanced classes and C chosen on dev (ranking/intent.py)."""

from __future__ import annotations

from pathlib import Path

from assistant.services.ranking.intent import C_GRID, IntentModel, choose_c, train_intent

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
