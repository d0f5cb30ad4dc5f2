"""Scoring: hand-computed cases of the issue's rules, bad answers, and properties (hypothesis)."""

from __future__ import annotations

import dataclasses
import functools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.services.assess import (
    GATE_NO,
    GATE_YES,
    NA,
    AnswerError,
    Checklist,
    Dimension,
    Gate,
    Item,
    Level,
    Option,
    load_checklists,
    score_assessment,
)
from assistant.settings import PROJECT_ROOT


def answers(a1: str, a2: str, b1: str, c1: str, c2: str) -> dict[str, str]:
    return {"a1": a1, "a2": a2, "b1": b1, "c1": c1, "c2": c2}


def test_hand_computed_dimension_total_level_and_weak_points(small: Checklist) -> None:
    result = score_assessment(small, answers("5", "0", "2", "5", "0"))
    scores = {d.id: d.score for d in result.dimensions}
    # a: 100·(2·1 + 1·0)/3; b: 100·0.5; c: 100·(1 + 0)/2; total: (3·66.67 + 1·50 + 4·50)/8
    assert scores["a"] == pytest.approx(200 / 3)
    assert scores["b"] == pytest.approx(50.0)
    assert scores["c"] == pytest.approx(50.0)
    assert result.total == pytest.approx(56.25)
    assert result.level == "待改进"
    assert result.critical_failed == ()
    # gains: c2 = 100·4/8·1/2·1 = 25; a2 = 100·3/8·1/3·1 = 12.5; b1 = 100·1/8·1·0.5 = 6.25
    assert [(w.item, round(w.gain, 6)) for w in result.weak_points] == [
        ("c2", 25.0),
        ("a2", 12.5),
        ("b1", 6.25),
    ]
    assert result.weak_points[2].ratio == pytest.approx(0.5)


def test_gain_is_the_rise_of_the_total_when_the_item_is_fully_met(small: Checklist) -> None:
    base = answers("5", "0", "2", "5", "0")
    result = score_assessment(small, base)
    items = {item.id: item for _, item in small.items()}
    for weak in result.weak_points:
        best = max(items[weak.item].options, key=lambda option: option.score).label
        improved = score_assessment(small, {**base, weak.item: best})
        assert improved.total - result.total == pytest.approx(weak.gain)  # type: ignore[operator]


def test_na_items_leave_the_sums_and_an_all_na_dimension_leaves_the_total(small: Checklist) -> None:
    result = score_assessment(small, answers("5", NA, NA, "5", "0"))
    scores = {d.id: d.score for d in result.dimensions}
    assert scores == {"a": pytest.approx(100.0), "b": None, "c": pytest.approx(50.0)}
    assert result.total == pytest.approx((3 * 100 + 4 * 50) / 7)  # b's weight is not in ΣW
    assert result.level == "良好"
    # c2's gain uses ΣW over scored dimensions only: 100·4/7·1/2·1
    assert [(w.item, w.gain) for w in result.weak_points] == [("c2", pytest.approx(400 / 14))]


def test_failed_critical_item_caps_the_level(small: Checklist) -> None:
    result = score_assessment(small, answers("0", "1", "4", "5", "5"))
    assert result.total == pytest.approx(75.0)  # (3·33.33 + 1·100 + 4·100)/8 would be 良好
    assert result.critical_failed == ("a1",)
    assert result.level == "合格"


def test_failed_critical_item_never_raises_a_lower_level(small: Checklist) -> None:
    result = score_assessment(small, answers("0", "0", "0", "5", "0"))
    assert result.level == "待改进"
    assert result.critical_failed == ("a1",)


def test_ties_among_weak_points_keep_checklist_order(small: Checklist) -> None:
    result = score_assessment(small, answers("5", "0", "0", "0", "0"))
    # c1 and c2 both gain 25; a2 (100·3/8·1/3) and b1 (100·1/8) both gain 12.5
    assert [w.item for w in result.weak_points] == ["c1", "c2", "a2", "b1"]
    assert [round(w.gain, 6) for w in result.weak_points] == [25.0, 25.0, 12.5, 12.5]


def test_level_boundaries_use_the_highest_min_not_above_the_total(small: Checklist) -> None:
    perfect = score_assessment(small, answers("5", "1", "4", "5", "5"))
    assert (perfect.total, perfect.level, perfect.weak_points) == (pytest.approx(100.0), "优秀", ())


def test_bad_answers_are_all_listed_with_allowed_labels(small: Checklist) -> None:
    bad = {"a1": NA, "a2": "2", "b1": "4", "c1": "5", "zz": "5"}  # c2 missing
    with pytest.raises(AnswerError) as info:
        score_assessment(small, bad)
    problems = {p.item: p for p in info.value.problems}
    assert set(problems) == {"a1", "a2", "c2", "zz"}
    assert problems["a1"].allowed == ("0", "3", "5")  # N/A not allowed there
    assert problems["a2"].allowed == ("0", "1", NA)
    assert problems["zz"].allowed == ()
    message = str(info.value)
    for item_id in ("a1", "a2", "c2", "zz"):
        assert item_id in message
    assert "“3”" in message


def test_non_string_answer_is_rejected(small: Checklist) -> None:
    with pytest.raises(AnswerError) as info:
        score_assessment(small, {**answers("5", "1", "4", "5", "5"), "c1": 5})  # type: ignore[dict-item]
    assert [p.item for p in info.value.problems] == ["c1"]


# --- properties -------------------------------------------------------------------------------


@st.composite
def checklists(draw: st.DrawFn) -> Checklist:
    """Random valid checklists: 1–4 dimensions of 1–4 items, arbitrary positive weights."""
    weights = st.floats(min_value=0.1, max_value=10, allow_nan=False)
    dims = []
    counter = 0
    for d in range(draw(st.integers(1, 4))):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            counter += 1
            scores = draw(st.lists(st.integers(0, 10), min_size=2, max_size=4).filter(lambda s: max(s) > 0))
            items.append(
                Item(
                    id=f"i{counter}",
                    text="条目",
                    weight=draw(weights),
                    options=tuple(Option(f"o{k}", float(s)) for k, s in enumerate(scores)),
                    basis="《上海市防汛条例》第十三条",
                    advice="改进",
                    critical=draw(st.booleans()),
                    allow_na=draw(st.booleans()),
                )
            )
        dims.append(Dimension(id=f"d{d}", title=f"维度{d}", weight=draw(weights), items=tuple(items)))
    levels = (Level(85, "优秀"), Level(70, "良好"), Level(60, "合格"), Level(0, "待改进"))
    caps = draw(st.lists(st.sampled_from([lv.label for lv in levels]), max_size=3))
    gates = tuple(Gate(f"g{n}", f"门槛{n}", cap) for n, cap in enumerate(caps))
    return Checklist("random", "随机清单", 1, "staff", levels, "合格", tuple(dims), gates=gates)


@functools.cache
def bundled() -> list[Checklist]:
    return list(load_checklists(PROJECT_ROOT / "corpus" / "checklists").values())


@st.composite
def checklist_and_answers(draw: st.DrawFn) -> tuple[Checklist, dict[str, str]]:
    checklist = draw(st.one_of(checklists(), st.sampled_from(bundled())))
    chosen = {item.id: draw(st.sampled_from(item.labels)) for _, item in checklist.items()}
    chosen.update({gate.id: draw(st.sampled_from([GATE_YES, GATE_NO])) for gate in checklist.gates})
    return checklist, chosen


@settings(max_examples=150, deadline=None)
@given(checklist_and_answers())
def test_a_failed_gate_caps_the_level_and_never_touches_the_scores(
    case: tuple[Checklist, dict[str, str]],
) -> None:
    checklist, chosen = case
    result = score_assessment(checklist, chosen)
    ungated = dataclasses.replace(checklist, gates=())
    plain = score_assessment(
        ungated, {k: v for k, v in chosen.items() if k not in {g.id for g in checklist.gates}}
    )
    assert result.total == plain.total and result.dimensions == plain.dimensions
    assert result.weak_points == plain.weak_points
    assert result.level_before_gates == plain.level
    if result.level is None:
        return
    rank = checklist.level_rank(result.level)
    assert rank <= checklist.level_rank(plain.level or result.level)
    for gate in result.gates:
        if not gate.passed:
            assert rank <= checklist.level_rank(gate.cap)
    if all(g.passed for g in result.gates):
        assert result.level == plain.level
    else:  # the cap is exact: the lowest of the failed caps, or the score's level if lower
        caps = [checklist.level_rank(g.cap) for g in result.gates if not g.passed]
        assert rank == min([checklist.level_rank(plain.level or ""), *caps])


@settings(max_examples=150, deadline=None)
@given(checklist_and_answers(), st.randoms(use_true_random=False))
def test_same_answers_same_result_whatever_the_key_order(
    case: tuple[Checklist, dict[str, str]], rnd: random.Random
) -> None:
    checklist, chosen = case
    keys = list(chosen)
    rnd.shuffle(keys)
    shuffled = {key: chosen[key] for key in keys}
    first = score_assessment(checklist, chosen)
    assert score_assessment(checklist, chosen) == first
    assert score_assessment(checklist, shuffled) == first


@settings(max_examples=150, deadline=None)
@given(checklist_and_answers())
def test_scores_stay_within_0_and_100(case: tuple[Checklist, dict[str, str]]) -> None:
    result = score_assessment(*case)
    for value in [result.total, *(d.score for d in result.dimensions)]:
        assert value is None or -1e-9 <= value <= 100 + 1e-9
    assert all(w.gain > 0 for w in result.weak_points)
    gains = [round(w.gain, 9) for w in result.weak_points]
    assert gains == sorted(gains, reverse=True)


@settings(max_examples=150, deadline=None)
@given(checklist_and_answers(), st.data())
def test_raising_one_answer_never_lowers_the_total(
    case: tuple[Checklist, dict[str, str]], data: st.DataObject
) -> None:
    checklist, chosen = case
    scored = [item for _, item in checklist.items() if chosen[item.id] != NA]
    if not scored:
        return
    item = data.draw(st.sampled_from(scored))
    current = item.score_of(chosen[item.id])
    higher = [o.label for o in item.options if o.score >= current]
    better = data.draw(st.sampled_from(higher))
    before = score_assessment(checklist, chosen)
    after = score_assessment(checklist, {**chosen, item.id: better})
    assert after.total is not None and before.total is not None
    assert after.total >= before.total - 1e-9


def test_gate_answered_no_caps_a_high_score_and_is_shown_separately(small: Checklist) -> None:
    gated = dataclasses.replace(small, gates=(Gate("g-plan", "已编制应急预案", "合格"),))
    full = {"a1": "5", "a2": "1", "b1": "4", "c1": "5", "c2": "5"}
    passed = score_assessment(gated, {**full, "g-plan": GATE_YES})
    failed = score_assessment(gated, {**full, "g-plan": GATE_NO})
    assert passed.level == "优秀" and passed.total == pytest.approx(100)
    assert failed.total == passed.total and failed.level == "合格" and failed.level_before_gates == "优秀"
    assert [(g.id, g.passed, g.cap) for g in failed.gates] == [("g-plan", False, "合格")]
    assert failed.to_dict()["gates"] == [
        {"id": "g-plan", "text": "已编制应急预案", "passed": False, "cap": "合格"}
    ]


def test_gate_answers_are_required_and_only_yes_or_no(small: Checklist) -> None:
    gated = dataclasses.replace(small, gates=(Gate("g-plan", "已编制应急预案", "合格"),))
    full = {"a1": "5", "a2": "1", "b1": "4", "c1": "5", "c2": "5"}
    with pytest.raises(AnswerError) as missing:
        score_assessment(gated, full)
    assert [p.item for p in missing.value.problems] == ["g-plan"]
    with pytest.raises(AnswerError) as wrong:
        score_assessment(gated, {**full, "g-plan": "有"})
    assert wrong.value.problems[0].allowed == (GATE_YES, GATE_NO)
