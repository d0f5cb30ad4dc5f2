from __future__ import annotations

import random

import pytest

from assistant.components.chunking.text import Line, Piece, join_pieces, pack, sentences, split_balanced


def _pieces(seed: int) -> list[Piece]:
    rng = random.Random(seed)
    out: list[Piece] = []
    offset = 0
    for index in range(rng.randint(1, 40)):
        text = "字" * rng.randint(1, 90) + "。"
        out.append(Piece(text, offset, para_start=index == 0 or rng.random() < 0.3))
        offset += len(text)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_pack_keeps_order_and_bounds(seed: int) -> None:
    pieces = _pieces(seed)
    groups = pack(pieces, target=120, max_chars=200, min_chars=30)
    assert [p for g in groups for p in g] == pieces  # nothing lost, nothing reordered
    for group in groups:
        assert len(join_pieces(group)) <= 200 or len(group) == 1


@pytest.mark.parametrize("seed", range(30))
def test_split_balanced_uses_fewest_parts_that_fit(seed: int) -> None:
    pieces = _pieces(seed)
    groups = split_balanced(pieces, max_chars=150, min_chars=20)
    assert [p for g in groups for p in g] == pieces
    assert all(len(join_pieces(g)) <= 150 for g in groups)


def test_sentences_split_after_end_marks_and_closing_quotes() -> None:
    parts = sentences(
        Line("他说：“快走。”然后离开！！最后；（依据：《甲》第一条；《乙》第二条）。尾", 10), max_chars=100
    )
    assert [p.text for p in parts] == [
        "他说：“快走。”然后离开！！",
        "最后；",
        "（依据：《甲》第一条；《乙》第二条）。",
        "尾",
    ]
    assert [p.offset for p in parts] == [10, 24, 27, 46]
    assert parts[0].para_start and not parts[1].para_start
