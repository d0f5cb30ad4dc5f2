"""The numpy BM25 builder gives bm25s's own index, weight for weight and score for score."""

from __future__ import annotations

import random
from pathlib import Path

import bm25s
import numpy as np

from assistant.components.bm25_terms import TermMatrix, build_bm25

WORDS = [
    "防汛",
    "台风",
    "燃气",
    "泄漏",
    "电梯",
    "困人",
    "消防",
    "通道",
    "居民",
    "委员会",
    "街道",
    "物业",
    "预警",
    "转移",
    "避难",
    "场所",
    "应急",
    "预案",
    "演练",
    "隐患",
    "排查",
    "整改",
    "值班",
    "报送",
    "窨井",
    "巡查",
    "排水",
    "泵站",
    "积水",
    "停电",
    "照明",
    "救援",
    "器材",
    "培训",
    "宣传",
    "处罚",
]


def _corpus(docs: int, seed: int) -> list[list[str]]:
    """Chunks of 1..120 tokens with Zipf-like word frequencies and repeats (several tf values)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    out = [rng.choices(WORDS, weights, k=rng.randint(1, 120)) for _ in range(docs)]
    out.append(["∅"])  # an empty chunk is indexed as this one token
    return out


def test_scores_equal_bm25s_index_bit_for_bit() -> None:
    corpus = _corpus(600, seed=3)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(corpus, show_progress=False)
    ours = build_bm25(TermMatrix.from_tokens(corpus))
    assert set(ours.vocab_dict) == set(reference.vocab_dict)
    for word in WORDS:
        a, b = reference.vocab_dict[word], ours.vocab_dict[word]
        ref_col = slice(reference.scores["indptr"][a], reference.scores["indptr"][a + 1])
        our_col = slice(ours.scores["indptr"][b], ours.scores["indptr"][b + 1])
        assert np.array_equal(reference.scores["indices"][ref_col], ours.scores["indices"][our_col])
        assert np.array_equal(reference.scores["data"][ref_col], ours.scores["data"][our_col])
    rng = random.Random(5)
    for _ in range(40):
        query = rng.sample(WORDS, rng.randint(1, 6))
        assert np.array_equal(reference.get_scores(query), ours.get_scores(query))


def test_rows_taken_stacked_and_compacted_equal_counting_afresh(tmp_path: Path) -> None:
    old = _corpus(200, seed=1)
    new = [*_corpus(30, seed=2), ["新词", "新词", "防汛"]]
    matrix = TermMatrix.from_tokens(old)
    matrix.save(tmp_path)
    loaded = TermMatrix.load(tmp_path)
    assert loaded is not None and loaded.vocab == matrix.vocab
    # keep every other old chunk (reversed), then the new ones, as a rebuild after deletions does
    keep = list(range(len(old) - 1, -1, -2))
    added = TermMatrix.from_tokens(new, vocab=list(loaded.vocab))
    picks = np.array(keep + [loaded.rows + i for i in range(len(new))])
    combined = loaded.stacked(added).take(picks).compacted()
    expected_docs = [old[i] for i in keep] + new
    direct = build_bm25(TermMatrix.from_tokens(expected_docs))
    ours = build_bm25(combined)
    assert set(ours.vocab_dict) == set(direct.vocab_dict)
    for query in (["新词"], ["防汛", "台风"], WORDS[:8], ["∅"]):
        present = [w for w in query if w in direct.vocab_dict]
        assert np.array_equal(ours.get_scores(present), direct.get_scores(present))


def test_an_inconsistent_saved_matrix_is_refused(tmp_path: Path) -> None:
    matrix = TermMatrix.from_tokens(_corpus(10, seed=4))
    matrix.vocab = matrix.vocab[:3]  # columns beyond the vocabulary
    matrix.save(tmp_path)
    assert TermMatrix.load(tmp_path) is None
    assert TermMatrix.load(tmp_path / "missing") is None
