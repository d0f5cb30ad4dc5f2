"""Ranking features one by one, the model-file guard, the intent model, and determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.domain import Chunk
from assistant.services.ranking import features as f
from assistant.services.ranking.intent import CLASSES, IntentModel, train_intent
from assistant.services.ranking.model import RankerModel, RankerModelError, member_path, member_paths


def chunk(text: str, **meta: object) -> Chunk:
    base = {
        "doc_id": "d1",
        "doc_type": "regulation",
        "jurisdiction": "上海",
        "chapter": "第二章 预警",
        "article_no": 7,
    }
    base.update(meta)
    return Chunk(id=f"c-{len(text)}", text=text, embed_text=text, metadata=base)


def ctx(question: str = "电动自行车在楼道充电罚多少", **kw: object) -> f.QueryContext:
    args: dict[str, object] = {
        "question": question,
        "words": ["电动自行车", "楼道", "充电", "罚"],
        "audience": "resident",
        "wanted_place": "上海",
        "place_named": False,
        "named_docs": frozenset({"d1"}),
        "intent": {"penalty": 0.8, "obligation": 0.2},
        "cue_words": ["罚款"],
        "max_bm25": 10.0,
        "max_bm25_base": 5.0,
        "top_dense": 0.6,
    }
    args.update(kw)
    return f.QueryContext(**args)  # type: ignore[arg-type]


def test_lexical_and_dense_features() -> None:
    c = f.Candidate(
        0, chunk("不得在楼道为电动自行车充电，违者处二百元以下罚款。"), bm25=5.0, bm25_base=5.0, bm25_rank=0
    )
    c.dense, c.dense_rank = 0.5, 3
    q = ctx()
    assert f.bm25_norm(q, c) == 0.5 and f.bm25_base_norm(q, c) == 1.0
    assert f.bm25_rank(q, c) == 1.0 and f.dense_rank(q, c) == 0.25
    assert f.dense_gap(q, c) == pytest.approx(-0.1)
    assert f.word_coverage(q, c) == 1.0
    assert f.cue_match(q, c) == 1.0
    missing = f.Candidate(1, chunk("别的内容"))
    assert (
        f.dense_sim(q, missing) == 0.0 and f.dense_gap(q, missing) == -1.0 and f.bm25_rank(q, missing) == 0.0
    )


def test_structure_features() -> None:
    q = ctx()
    shanghai = f.Candidate(0, chunk("条文", chapter="第五章 法律责任"))
    beijing = f.Candidate(
        1, chunk("条文", jurisdiction="北京", doc_id="d2", chapter="第一章 总则", article_no=1)
    )
    national = f.Candidate(2, chunk("条文", jurisdiction="国家", doc_id="d3"))
    card = f.Candidate(3, chunk("卡片", doc_type="guide", jurisdiction="", audience="resident", article_no=0))
    assert f.named_document(q, shanghai) == 1.0 and f.named_document(q, beijing) == 0.0
    assert f.jurisdiction_match(q, shanghai) == 1.0 and f.other_place(q, beijing) == 1.0
    assert f.national_law(q, national) == 1.0 and f.other_place(q, national) == 0.0
    assert f.jurisdiction_match(q, card) == 1.0  # cards have no place
    assert f.liability_chapter(q, shanghai) == 1.0 and f.asks_penalty(q, shanghai) == 1.0
    assert f.general_provisions(q, beijing) == 1.0 and f.general_provisions(q, shanghai) == 0.0
    assert f.is_card(q, card) == f.is_guide(q, card) == f.card_for_audience(q, card) == 1.0
    assert f.is_regulation(q, shanghai) == 1.0 and f.is_card(q, shanghai) == 0.0
    assert ctx("家里着火怎么办").asks_penalty is False


def test_doc_repealed_reads_query_time_status() -> None:
    q = ctx()
    repealed = f.Candidate(0, chunk("旧条文", status="repealed"))
    in_force = f.Candidate(1, chunk("新条文", status="in_force"))
    old_index = f.Candidate(2, chunk("没有状态的条文"))
    assert f.doc_repealed(q, repealed) == 1.0
    assert f.doc_repealed(q, in_force) == f.doc_repealed(q, old_index) == 0.0
    col = f.FEATURE_NAMES.index("doc_repealed")
    assert list(f.feature_matrix(q, [repealed, in_force, old_index])[:, col]) == [1.0, 0.0, 0.0]


def test_feature_matrix_is_deterministic_and_named() -> None:
    cands = [f.Candidate(i, chunk(f"第{i}条 内容{i} 楼道 充电"), bm25=float(i)) for i in range(5)]
    first, second = f.feature_matrix(ctx(), cands), f.feature_matrix(ctx(), cands)
    assert first.shape == (5, len(f.FEATURES)) and np.array_equal(first, second)
    assert len(set(f.FEATURE_NAMES)) == len(f.FEATURE_NAMES)
    assert "intent_penalty" in f.FEATURE_NAMES and "audience_resident" in f.FEATURE_NAMES
    col = f.FEATURE_NAMES.index("intent_penalty")
    assert (first[:, col] == 0.8).all()


def test_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    x, y = rng.random((40, 3)), rng.integers(0, 2, 40)
    booster = lgb.train(
        {"objective": "binary", "verbose": -1}, lgb.Dataset(x, y, feature_name=["a", "b", "c"]), 3
    )
    path = tmp_path / "ranker.txt"
    booster.save_model(str(path))
    with pytest.raises(RankerModelError, match="other features"):
        RankerModel(path).score(np.zeros((1, len(f.FEATURES))))
    with pytest.raises(RankerModelError, match="not found"):
        RankerModel(tmp_path / "missing.txt").score(np.zeros((1, len(f.FEATURES))))


def _member(path: Path, seed: int, n_rows: int = 60) -> None:
    import lightgbm as lgb

    rng = np.random.default_rng(seed)
    x, y = rng.random((n_rows, len(f.FEATURES))), rng.integers(0, 2, n_rows)
    data = lgb.Dataset(x, y, feature_name=list(f.FEATURE_NAMES), params={"min_data_in_leaf": 5})
    lgb.train({"objective": "binary", "verbose": -1, "seed": seed}, data, 5).save_model(str(path))


def test_ensemble_scores_the_mean_of_its_members(tmp_path: Path) -> None:
    path = tmp_path / "ranker-x.txt"
    for number in (1, 2, 3):
        _member(member_path(path, number), seed=number)
    assert member_paths(path) == [tmp_path / f"ranker-x.m{n}.txt" for n in (1, 2, 3)]
    rows = np.random.default_rng(9).random((4, len(f.FEATURES)))
    singles = [RankerModel(member_path(path, n)).score(rows) for n in (1, 2, 3)]
    ensemble = RankerModel(path)
    assert ensemble.available() and ensemble.members == 3
    np.testing.assert_allclose(ensemble.score(rows), np.mean(singles, axis=0))
    assert not np.allclose(singles[0], singles[1])  # members differ, so the mean is not one of them


def test_ensemble_refuses_a_member_trained_on_other_features(tmp_path: Path) -> None:
    import lightgbm as lgb

    path = tmp_path / "ranker-x.txt"
    _member(member_path(path, 1), seed=1)
    rng = np.random.default_rng(0)
    stale = lgb.train(
        {"objective": "binary", "verbose": -1},
        lgb.Dataset(rng.random((40, 3)), rng.integers(0, 2, 40), feature_name=["a", "b", "c"]),
        3,
    )
    stale.save_model(str(member_path(path, 2)))
    with pytest.raises(RankerModelError, match=r"ranker-x\.m2\.txt: trained on other features"):
        RankerModel(path).score(np.zeros((1, len(f.FEATURES))))


def test_intent_model_learns_and_is_deterministic(tmp_path: Path) -> None:
    questions = [
        "楼道充电罚多少钱",
        "违规停车罚款多少",
        "着火了怎么逃生",
        "被困电梯怎么办",
        "谁负责管理排水",
        "哪个部门管燃气",
    ] * 3
    labels = ["penalty", "penalty", "emergency", "emergency", "responsibility", "responsibility"] * 3
    path = tmp_path / "intent.npz"
    train_intent(questions, labels, path)
    model = IntentModel(path)
    probs = model.predict("乱停车要罚多少")
    assert set(probs) == set(CLASSES) and sum(probs.values()) == pytest.approx(1.0)
    assert model.top("乱停车要罚多少") == "penalty" and model.top("电梯困住了怎么办") == "emergency"
    assert IntentModel(path).predict("乱停车要罚多少") == probs
    assert probs["policy"] < 0.01  # a class never seen in training is never predicted


def test_shipped_models_load() -> None:
    from assistant.factory import MODELS_DIR

    model = RankerModel(MODELS_DIR / "ranker-use-multilingual.txt")
    scores = model.score(np.zeros((3, len(f.FEATURES))))
    assert scores.shape == (3,) and np.all(scores == scores[0])
    assert model.members >= 5  # the shipped ranker is a bagged ensemble
    assert IntentModel(MODELS_DIR / "intent.npz").top("高层着火了能不能坐电梯") in CLASSES
