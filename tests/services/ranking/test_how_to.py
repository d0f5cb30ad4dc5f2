"""The how-to/rights model: the shipped weights on questions written for this test (never in
its training sets), training on a small labelled set, and a model file of the wrong shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.factory import MODELS_DIR
from assistant.services.ranking.how_to import HowToModel, labelled, train_how_to

HOW_TO = (
    "楼下冒黑烟了，楼道里全是烟，我现在往楼上跑还是往下跑",
    "孩子把硬币吞下去卡住了，喘不上气，怎么办",
    "车开到地道里水已经到车门一半了，该怎么逃出来",
    "厨房里燃气味越来越重，我要不要先把总阀关了",
    "外面风太大把窗户玻璃吹裂了，人躲在哪里安全",
    "地下室的水一直往上涨，家里老人还在下面",
)
RIGHTS = (
    "物业把消防通道锁起来堆杂物，这样违法吗",
    "电梯年检过期了还在用，使用单位会被怎么处罚",
    "台风天公司让我们照常上班，单位这样做合不合规定",
    "燃气公司上门安检发现隐患，整改费用该谁出",
    "小区的应急避难场所被改成了停车场，谁来管",
    "发生安全事故后单位迟报了，负责人要担什么责任",
)
#: A model over character n-grams misreads some phrasings (电梯年检过期…会被怎么处罚 scored 0.52
#: when this test was written); such a question keeps the guide plan, as before the model.
ALLOWED_MISSES = 1


def test_shipped_model_tells_how_to_from_rights_questions() -> None:
    model = HowToModel(MODELS_DIR / "how-to.npz")
    assert model.available()
    misses = [q for q in HOW_TO if model.how_to(q) < 0.5] + [q for q in RIGHTS if model.how_to(q) >= 0.5]
    assert len(misses) <= ALLOWED_MISSES, misses


def test_labelled_keeps_only_the_two_sides() -> None:
    questions, labels = labelled(
        [("a", "emergency"), ("b", "penalty"), ("c", "policy"), ("d", "out_of_scope")]
    )
    assert questions == ["a", "b"] and labels == [1, 0]


def test_training_writes_a_model_that_loads(tmp_path: Path) -> None:
    train = (["着火了怎么办", "被困电梯怎么办", "违规会罚多少", "这样违法吗"] * 5, [1, 1, 0, 0] * 5)
    dev = (["煤气漏了怎么办", "不整改会被罚吗"], [1, 0])
    path = tmp_path / "how-to.npz"
    figures = train_how_to(train, dev, path)
    assert figures["C"] in figures["dev_accuracy"] and figures["dev_questions"] == 2
    model = HowToModel(path)
    assert model.how_to("漏水了怎么办") > model.how_to("乱停车会被罚吗")
    with pytest.raises(ValueError, match="both sides"):
        train_how_to((["怎么办"], [1]), dev, tmp_path / "x.npz")


def test_a_model_file_of_the_wrong_shape_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez_compressed(path, weights=np.zeros(7, dtype=np.float32), bias=np.array(0.0))
    with pytest.raises(ValueError, match=r"bad\.npz"):
        HowToModel(path).how_to("怎么办")
