"""Slot-based follow-up resolution: pure string rules over the bundled corpus/follow_up_slots.yaml."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.services.follow_up import (
    DEFAULT_SLOTS_FILE,
    HISTORY_WINDOW,
    FollowUp,
    FollowUpResolver,
    FollowUpVocabularyError,
    SlotVocabulary,
    StandAloneRule,
    default_resolver,
    resolve,
    resolve_history,
)

FIRE = "高层住宅着火了怎么逃生"
RAIN_ORANGE = "暴雨橙色预警时居委会要做什么"
SCHOOL = "学校发现传染病要报告吗"


class Recorder:
    """A stands_alone stand-in that answers a fixed value and records what it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, text: str) -> bool:
        self.asked.append(text)
        return self.answer


# --- the failures users saw ----------------------------------------------------------------
def test_unrelated_question_is_not_glued_so_refusal_applies_to_it_alone() -> None:
    got = resolve("红烧肉怎么做？", ["独居老人高温天怎么照顾"])
    assert got == FollowUp("红烧肉怎么做？", False)


def test_changed_warning_colour_replaces_the_old_one() -> None:
    got = resolve("那红色预警呢？", [RAIN_ORANGE])
    assert got.text == "暴雨红色预警时居委会要做什么"
    assert "橙色" not in got.text
    assert got.is_follow_up and got.mode == "substituted"
    assert got.replaced == {"colour": "红色"}
    assert got.carried == {"hazard": "暴雨", "subject": "居委会", "phase": "预警时"}
    assert got.previous == RAIN_ORANGE


def test_new_hazard_replaces_fire_instead_of_repeating_the_fire_question() -> None:
    got = resolve("那如果被困在电梯里呢？", [FIRE])
    assert got.is_follow_up
    assert "电梯" in got.text
    assert not any(w in got.text for w in ("着火", "火灾", "起火"))
    assert got.replaced == {"hazard": "电梯"}
    assert got.carried == {"subject": "高层建筑"}


def test_new_hazard_that_retrieves_well_alone_is_answered_alone() -> None:
    judge = Recorder(True)
    got = resolve("那如果被困在电梯里呢？", [FIRE], judge)
    assert got == FollowUp("那如果被困在电梯里呢？", False)
    assert judge.asked == ["那如果被困在电梯里呢？"]


def test_new_hazard_that_retrieves_badly_alone_is_resolved() -> None:
    judge = Recorder(False)
    got = resolve("那如果被困在电梯里呢？", [FIRE], judge)
    assert got.is_follow_up and "着火" not in got.text and "电梯" in got.text
    assert judge.asked == ["那如果被困在电梯里呢？"]


# --- the cases of the brief ---------------------------------------------------------------
def test_subject_replaced_hazard_carried() -> None:
    got = resolve("那幼儿园呢？", [SCHOOL])
    assert got.text == "幼儿园发现传染病要报告吗"
    assert got.carried == {"hazard": "传染病"}
    assert got.replaced == {"subject": "幼儿园"}


def test_place_replaced() -> None:
    got = resolve("北京呢？", ["上海市消防条例对高层建筑的消防车通道有什么规定"])
    assert got.text == "北京消防条例对高层建筑的消防车通道有什么规定"
    assert got.replaced == {"place": "北京"}
    assert got.carried == {"hazard": "火灾", "subject": "高层建筑"}


def test_standalone_new_question_is_not_glued() -> None:
    question = "高层着火了能坐电梯吗"
    judge = Recorder(False)
    got = resolve(question, ["台风来临前居委会要做什么"], judge)
    assert got == FollowUp(question, False)
    assert judge.asked == []  # not elliptical at all: retrieval is not even consulted


def test_chain_of_follow_ups_resolves_against_the_resolved_previous_question() -> None:
    typed = ["台风蓝色预警居委会做什么", "那橙色呢", "那红色呢"]
    second = resolve(typed[1], typed[:1])
    assert second.text == "台风橙色预警居委会做什么"
    third = resolve(typed[2], [typed[0], second.text])  # resolved history, as documented
    assert third.text == "台风红色预警居委会做什么"
    assert third.replaced == {"colour": "红色"}
    assert third.carried == {"hazard": "台风", "subject": "居委会"}
    assert resolve_history(typed) == [typed[0], second.text, third.text]


def test_resolution_is_deterministic() -> None:
    runs = [resolve("那红色预警呢？", [SCHOOL, RAIN_ORANGE]) for _ in range(5)]
    assert all(r == runs[0] for r in runs)
    assert [list(r.carried) for r in runs] == [["hazard", "subject", "phase"]] * 5
    assert FollowUpResolver.load().resolve("那幼儿园呢？", [SCHOOL]) == resolve("那幼儿园呢？", [SCHOOL])


# --- what counts as elliptical -------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "红烧肉怎么做？",  # short, no slot, no pointer: length alone is never enough
        "那红烧肉呢？",  # marked, but no slot and words from outside the domain
        "要是红烧肉呢",
        "股票呢？",
        "那如果是晚上呢",
        "台风红色预警时居委会要组织哪些人员转移",  # long and unmarked
        "学校发现传染病要报告吗",  # a full question with slots of its own
    ],
)
def test_not_follow_ups_come_back_unchanged(question: str) -> None:
    assert resolve(question, [RAIN_ORANGE, FIRE]) == FollowUp(question, False)


def test_short_unmarked_question_on_a_new_hazard_is_a_new_question() -> None:
    assert resolve("台风怎么办", [FIRE]) == FollowUp("台风怎么办", False)
    # … but with a marker it is a follow-up: 那暴雨呢 after a typhoon question keeps its frame
    assert resolve("那暴雨呢", ["台风来临前物业要做什么"]).text == "暴雨来临前物业要做什么"


def test_short_unmarked_question_filling_a_slot_is_a_follow_up() -> None:
    got = resolve("红色预警？", [RAIN_ORANGE])
    assert got.text == "暴雨红色预警时居委会要做什么"


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("这个谁负责？", "学校发现传染病病人要怎么报告", "学校发现传染病病人要怎么报告 谁负责"),
        ("那谁负责呢？", RAIN_ORANGE, f"{RAIN_ORANGE} 谁负责"),
        ("那要报告吗", "学校发现传染病", "学校发现传染病 要报告吗"),
        ("还有呢？", "燃气泄漏怎么办", "燃气泄漏怎么办"),
    ],
)
def test_pure_references_back_join_the_previous_question(question: str, previous: str, expected: str) -> None:
    got = resolve(question, [previous])
    assert got.text == expected
    assert got.is_follow_up and got.mode == "joined" and got.replaced == {}


def test_pure_reference_back_joins_the_last_turn_even_without_slots() -> None:
    got = resolve("那怎么用呢？", ["小区里的除颤器放在哪里"])
    assert got.is_follow_up and got.text.startswith("小区里的除颤器放在哪里")


def test_own_topic_pure_reference_asks_stands_alone() -> None:
    judge = Recorder(True)
    question = "那应急预案多长时间要演练一次呢"
    assert resolve(question, [RAIN_ORANGE], judge) == FollowUp(question, False)
    assert judge.asked == [question]


def test_stands_alone_is_not_asked_when_only_a_detail_changes() -> None:
    judge = Recorder(True)
    got = resolve("那红色预警呢？", [RAIN_ORANGE], judge)
    assert got.mode == "substituted" and judge.asked == []


# --- how the text is built -----------------------------------------------------------------
def test_slot_missing_from_previous_question_is_appended_with_carried_words() -> None:
    got = resolve("那红色预警呢？", ["台风来临前居委会要做什么"])
    assert got.mode == "appended"
    assert got.text == "红色预警 台风 来临前 居委会"
    assert got.replaced == {"colour": "红色"}
    assert got.carried == {"hazard": "台风", "subject": "居委会", "phase": "预警前"}


def test_own_words_prevent_substitution_but_old_values_are_dropped() -> None:
    got = resolve("那如果是红色预警，学校要停课吗", [RAIN_ORANGE])
    assert got.mode == "appended"
    assert "停课" in got.text and "学校" in got.text and "暴雨" in got.text
    assert "橙色" not in got.text and "居委会" not in got.text
    assert got.replaced == {"colour": "红色", "subject": "学校"}
    assert not got.text.startswith("那")


def test_previous_question_with_two_values_in_the_slot_is_not_substituted() -> None:
    got = resolve("那高温呢？", ["台风暴雨期间学校要停课吗"])
    assert got.mode == "appended"
    assert "高温" in got.text and "学校" in got.text
    assert "台风" not in got.text and "暴雨" not in got.text


def test_every_mention_of_a_replaced_value_is_substituted() -> None:
    got = resolve("那幼儿园呢？", ["学校停课后学校的传染病怎么报告"])
    assert got.text == "幼儿园停课后幼儿园的传染病怎么报告"


def test_repeating_a_value_replaces_nothing() -> None:
    got = resolve("那暴雨呢？", [RAIN_ORANGE])
    assert got.text == RAIN_ORANGE and got.replaced == {} and got.carried["hazard"] == "暴雨"


def test_restating_every_slot_carries_nothing_and_stays_alone() -> None:
    question = "那暴雨红色预警时学校停课呢"
    assert resolve(question, ["台风橙色预警时居委会停课吗"]) == FollowUp(question, False)


# --- which history is looked at ------------------------------------------------------------
def test_no_history_or_blank_history_changes_nothing() -> None:
    assert resolve("那幼儿园呢？", []) == FollowUp("那幼儿园呢？", False)
    assert resolve("那幼儿园呢？", ["", "   "]) == FollowUp("那幼儿园呢？", False)
    assert resolve("   ", [SCHOOL]) == FollowUp("   ", False)


def test_blank_and_slotless_turns_are_skipped_for_the_topic() -> None:
    got = resolve("那红色预警呢？", [RAIN_ORANGE, "红烧肉怎么做？", ""])
    assert got.text == "暴雨红色预警时居委会要做什么" and got.previous == RAIN_ORANGE


def test_only_the_last_few_history_items_are_looked_at() -> None:
    unrelated = ["红烧肉怎么做？"] * HISTORY_WINDOW
    assert resolve("那红色预警呢？", [RAIN_ORANGE, *unrelated]) == FollowUp("那红色预警呢？", False)
    assert resolve("那红色预警呢？", [RAIN_ORANGE, *unrelated[1:]]).is_follow_up


def test_most_recent_topic_wins() -> None:
    got = resolve("那幼儿园呢？", [RAIN_ORANGE, SCHOOL])
    assert got.text == "幼儿园发现传染病要报告吗"


def test_resolved_history_is_stable_when_resolved_again() -> None:
    typed = [SCHOOL, "那幼儿园呢？", "那养老院呢？", "这个谁负责？"]
    once = resolve_history(typed)
    assert once[1:3] == ["幼儿园发现传染病要报告吗", "养老院发现传染病要报告吗"]
    assert once[3] == "养老院发现传染病要报告吗 谁负责"
    assert resolve_history(once) == once


# --- the vocabulary ------------------------------------------------------------------------
def test_bundled_vocabulary_has_the_slots_and_values_of_the_brief() -> None:
    vocab = default_resolver().vocabulary
    assert vocab.slot_names == ("colour", "hazard", "place", "subject", "phase")
    expected = {
        "蓝色": ("colour", "蓝色"),
        "红色": ("colour", "红色"),
        "台风": ("hazard", "台风"),
        "暴雨": ("hazard", "暴雨"),
        "高温": ("hazard", "高温"),
        "寒潮": ("hazard", "寒潮"),
        "大雾": ("hazard", "大雾"),
        "雷电": ("hazard", "雷电"),
        "着火": ("hazard", "火灾"),
        "煤气泄漏": ("hazard", "燃气泄漏"),
        "被困电梯": ("hazard", "电梯"),
        "地震": ("hazard", "地震"),
        "内涝": ("hazard", "积水"),
        "疫情": ("hazard", "传染病"),
        "停电": ("hazard", "停电"),
        "化学品泄漏": ("hazard", "化学品泄漏"),
        "上海市": ("place", "上海"),
        "全国": ("place", "国家"),
        "养老院": ("subject", "养老院"),
        "工地": ("subject", "工地"),
        "物业": ("subject", "物业"),
        "居委会": ("subject", "居委会"),
        "商场": ("subject", "商场"),
        "地铁": ("subject", "地铁"),
        "医院": ("subject", "医院"),
        "预警前": ("phase", "预警前"),
        "预警时": ("phase", "预警时"),
        "之后": ("phase", "之后"),
        "恢复": ("phase", "恢复"),
    }
    assert {word: vocab.value_of(word) for word in expected} == expected


def test_matching_is_leftmost_longest_and_ascii_case_blind() -> None:
    vocab = default_resolver().vocabulary
    found = vocab.mentions("那如果被困在电梯里呢，煤气泄漏怎么办")
    assert [(m.slot, m.value, m.word) for m in found] == [
        ("hazard", "电梯", "被困在电梯"),
        ("hazard", "燃气泄漏", "煤气泄漏"),
    ]
    assert [m.value for m in vocab.mentions("小区的aed在哪")] == ["小区", "心脏骤停"]


def test_bundled_file_loads_without_duplicates() -> None:
    # SlotVocabulary refuses a word in two slot values, so loading at all proves uniqueness.
    vocab = SlotVocabulary.load(DEFAULT_SLOTS_FILE)
    assert vocab.value_of("电梯") == ("hazard", "电梯")


def test_word_in_two_values_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "follow_up_slots.yaml"
    path.write_text("slots:\n  hazard:\n    火灾: [着火]\n    燃气泄漏: [着火]\n", encoding="utf-8")
    with pytest.raises(FollowUpVocabularyError, match=r"follow_up_slots\.yaml.*着火"):
        SlotVocabulary.load(path)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("- 一个列表\n", "顶层"),
        ("slots: [火灾]\n", "slots"),
        ("slots:\n  hazard: [火灾]\n", "slots.hazard"),
        ("slots:\n  hazard:\n    火灾: 着火\n", "slots.hazard.火灾"),
        ("slots: {}\nmarkers: [那]\n", "markers"),
        ("slots: {}\nmarkers:\n  lead: ['']\n", "markers.lead"),
        ("slots: {}\ngeneric_words: 怎么\n", "generic_words"),
        ("slots: {hazard: [\n", "YAML"),
    ],
)
def test_malformed_vocabulary_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "follow_up_slots.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FollowUpVocabularyError) as info:
        SlotVocabulary.load(path)
    assert "follow_up_slots.yaml" in str(info.value) and field in str(info.value)


def test_missing_vocabulary_resolves_nothing(tmp_path: Path) -> None:
    resolver = FollowUpResolver.load(tmp_path / "absent.yaml")
    assert resolver.resolve("那红色预警呢？", [RAIN_ORANGE]) == FollowUp("那红色预警呢？", False)


def test_follow_up_is_frozen() -> None:
    got = resolve("那幼儿园呢？", [SCHOOL])
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.text = "x"  # type: ignore[misc]


# --- the stands-alone rule over retrieval signals ------------------------------------------
@pytest.mark.parametrize(
    ("signals", "alone"),
    [
        # figures read on the evaluation index (see StandAloneRule)
        ({"coverage": 0.667, "top_bm25": 16.6, "max_bm25": 22.5, "top_dense": 0.52}, True),  # 被困电梯
        ({"coverage": 0.5, "top_bm25": 22.5, "max_bm25": 24.2, "top_dense": 0.636}, True),  # 煤气泄漏
        ({"coverage": 1.0, "top_bm25": 5.9, "max_bm25": 6.7, "top_dense": 0.335}, False),  # 那暴雨呢
        ({"coverage": 1.0, "top_bm25": 16.1, "max_bm25": 16.1, "top_dense": 0.297}, False),  # 那高温天呢
        ({"coverage": 0.5, "top_bm25": 5.4, "max_bm25": 10.9, "top_dense": 0.526}, False),  # lead not best
        ({"coverage": 0.25, "top_bm25": 20.0, "max_bm25": 20.0, "top_dense": 0.6}, False),  # words missing
        ({"coverage": 0.0, "top_bm25": 0.0, "max_bm25": 0.0, "top_dense": 0.6}, False),  # nothing lexical
        ({"direct": 1.0}, True),  # an article named by number
        ({}, False),
    ],
)
def test_stand_alone_rule(signals: dict[str, float], alone: bool) -> None:
    assert StandAloneRule()(signals) is alone
