"""Training pieces without the corpus: the ensemble files, graded labels for repealed golds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.domain import Chunk
from assistant.services.evaluate import EvalItem
from assistant.services.ranking import training
from assistant.services.ranking.features import FEATURE_NAMES
from assistant.services.ranking.model import RankerModel, member_path


def _samples(n: int, seed: int) -> list[training.QuerySample]:
    """Queries whose relevant candidate has a high first feature (learnable)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        matrix = rng.random((12, len(FEATURE_NAMES)))
        labels = np.zeros(12)
        labels[k % 12] = 1.0
        matrix[k % 12, 0] += 2.0
        out.append(training.QuerySample(EvalItem(id=f"q{k}", q="问题"), matrix, labels))
    return out


def test_train_ranker_writes_one_member_per_seed_and_removes_stale_files(tmp_path: Path) -> None:
    path = tmp_path / "ranker-x.txt"
    path.write_text("old single model", encoding="utf-8")
    member_path(path, 4).write_text("member of a larger old ensemble", encoding="utf-8")
    fitted = training.train_ranker(_samples(60, 1), _samples(20, 2), path, seeds=(3, 8))
    assert not path.exists() and not member_path(path, 4).exists()
    assert member_path(path, 1).is_file() and member_path(path, 2).is_file()
    assert fitted["seeds"] == [3, 8] and len(fitted["rounds"]) == 2
    assert set(fitted["importance"]) == set(FEATURE_NAMES)
    model = RankerModel(path)
    assert model.members == 2
    probe = _samples(5, 3)
    hits = sum(int(np.argmax(model.score(s.matrix)) == np.argmax(s.labels)) for s in probe)
    assert hits >= 4  # it learned the signal
    again = tmp_path / "again" / "ranker-x.txt"
    training.train_ranker(_samples(60, 1), _samples(20, 2), again, seeds=(3, 8))
    assert member_path(again, 1).read_text() == member_path(path, 1).read_text()  # reproducible


def _article(title: str, article: str) -> Chunk:
    meta = {"doc_id": title, "article": article, "file": f"{title}.md", "doc_type": "regulation"}
    return Chunk(id=f"{title}-{article}", text="条文", embed_text="条文", metadata={**meta, "title": title})


def test_current_articles_outrank_the_repealed_gold(tmp_path: Path) -> None:
    versions = tmp_path / "current_versions.jsonl"
    versions.write_text(
        '{"id": "q1", "repealed_gold": {"title": "旧办法", "article": "第六条"},'
        ' "current": [{"title": "新条例", "article": "第七条"}]}\n'
        '{"id": "q2", "repealed_gold": {"title": "旧办法", "article": "第十条"}, "current": []}\n',
        encoding="utf-8",
    )
    current = training.load_current_versions(versions)
    assert current == {"q1": [{"title": "新条例", "article": "第七条"}], "q2": []}
    q1 = EvalItem(id="q1", q="问题", gold=[{"title": "旧办法", "article": "第六条"}])
    q2 = EvalItem(id="q2", q="问题", gold=[{"title": "旧办法", "article": "第十条"}])
    new, old, other = _article("新条例", "第七条"), _article("旧办法", "第六条"), _article("新条例", "第八条")
    assert [training.grade(q1, c, c.text, current) for c in (new, old, other)] == [2, 1, 0]
    assert training.grade(q2, _article("旧办法", "第十条"), "条文", current) == training.GOLD_GRADE
    assert training.grade(q1, new, "条文", {}) == 0  # without the file the old gold is the only gold
    assert training.load_current_versions(tmp_path / "absent.jsonl") == {}


def test_bad_current_versions_row_names_file_and_line(tmp_path: Path) -> None:
    versions = tmp_path / "current_versions.jsonl"
    versions.write_text('{"id": "q1", "current": []}\n{"id": "q2"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"current_versions\.jsonl:2: bad row"):
        training.load_current_versions(versions)
