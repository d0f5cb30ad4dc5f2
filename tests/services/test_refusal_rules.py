"""The refusal rules stacked by the factory: the intent model's out-of-scope gate on top of the
evidence thresholds (services/refusal_rules.py)."""

from __future__ import annotations

from pathlib import Path

from assistant.factory import LEARNED_REFUSAL_MIN_CHUNKS, build_assistant
from assistant.services.refusal_rules import AskedForWhatNoDocumentHolds, OutOfScopeGate, RefusalPolicy
from assistant.settings import load_settings

STRONG = {"n_tokens": 4.0, "known_ratio": 1.0, "coverage": 1.0, "top_dense": 0.7, "index_chunks": 2735.0}


def test_gate_refuses_an_out_of_scope_question_the_thresholds_let_through() -> None:
    gate = OutOfScopeGate(RefusalPolicy(), threshold=0.36, min_chunks=1000)
    assert not RefusalPolicy().refuse({**STRONG, "p_out_of_scope": 0.9})
    assert gate.refuse({**STRONG, "p_out_of_scope": 0.9})
    assert gate.refuse({**STRONG, "p_out_of_scope": 0.36})  # the threshold itself refuses
    assert not gate.refuse({**STRONG, "p_out_of_scope": 0.35})


def test_gate_never_refuses_a_direct_lookup_nor_on_a_small_library() -> None:
    gate = OutOfScopeGate(RefusalPolicy(), threshold=0.36, min_chunks=1000)
    assert not gate.refuse({**STRONG, "p_out_of_scope": 0.9, "direct": 1.0})
    assert not gate.refuse({**STRONG, "p_out_of_scope": 0.9, "index_chunks": 40.0})


def test_gate_keeps_the_inner_refusals() -> None:
    gate = OutOfScopeGate(RefusalPolicy(), threshold=0.36, min_chunks=1000)
    weak = {"n_tokens": 4.0, "known_ratio": 0.1, "coverage": 0.1, "top_dense": 0.1, "index_chunks": 40.0}
    assert gate.refuse({**weak, "p_out_of_scope": 0.0})


def test_factory_stacks_the_gate_with_the_shipped_threshold_and_the_setting_overrides(tmp_path: Path) -> None:
    shipped = build_assistant(load_settings(index_dir=tmp_path / "a")).answer_service.refusal
    assert isinstance(shipped, OutOfScopeGate)
    assert 0.0 < shipped.threshold < 1.0 and shipped.min_chunks == LEARNED_REFUSAL_MIN_CHUNKS
    chosen = build_assistant(load_settings(index_dir=tmp_path / "b", refusal_max_out_of_scope=0.5))
    assert isinstance(chosen.answer_service.refusal, OutOfScopeGate)
    assert chosen.answer_service.refusal.threshold == 0.5
    off = build_assistant(load_settings(index_dir=tmp_path / "c", refusal_max_out_of_scope=1.0))
    assert isinstance(off.answer_service.refusal, AskedForWhatNoDocumentHolds)  # the gate alone is off
    bare = build_assistant(
        load_settings(index_dir=tmp_path / "d", refusal_max_out_of_scope=1.0, refusal_on_asks=False)
    )
    assert isinstance(bare.answer_service.refusal, RefusalPolicy)


class _AlwaysUnanswerable:
    """A learned model that finds every question unanswerable (records what it was asked)."""

    def __init__(self) -> None:
        self.asked: list[dict[str, float]] = []

    def refuse(self, signals: dict[str, float]) -> bool:
        self.asked.append(dict(signals))
        return True


def test_asks_rule_refuses_only_when_the_question_asks_for_what_no_document_holds() -> None:
    learned = _AlwaysUnanswerable()
    rule = AskedForWhatNoDocumentHolds(RefusalPolicy(), learned, min_chunks=1000)
    assert not rule.refuse({**STRONG, "ask_live_status": 0.0, "ask_opinion": 0.0})
    assert learned.asked == []  # without a cue the learned model is not consulted
    assert rule.refuse({**STRONG, "ask_live_status": 1.0})


def test_asks_rule_needs_the_learned_model_to_agree() -> None:
    class Answerable:
        def refuse(self, signals: dict[str, float]) -> bool:
            return False

    rule = AskedForWhatNoDocumentHolds(RefusalPolicy(), Answerable(), min_chunks=1000)
    assert not rule.refuse({**STRONG, "ask_live_status": 1.0})  # 我现在被困在电梯里: answered


def test_asks_rule_spares_direct_lookups_and_small_libraries_and_keeps_inner_refusals() -> None:
    rule = AskedForWhatNoDocumentHolds(RefusalPolicy(), _AlwaysUnanswerable(), min_chunks=1000)
    assert not rule.refuse({**STRONG, "ask_opinion": 1.0, "direct": 1.0})
    assert not rule.refuse({**STRONG, "ask_opinion": 1.0, "index_chunks": 40.0})
    weak = {"n_tokens": 4.0, "known_ratio": 0.1, "coverage": 0.1, "top_dense": 0.1, "index_chunks": 40.0}
    assert rule.refuse(weak)


def test_factory_adds_the_asks_rule_under_the_gate_unless_turned_off(tmp_path: Path) -> None:
    shipped = build_assistant(load_settings(index_dir=tmp_path / "a")).answer_service.refusal
    assert isinstance(shipped, OutOfScopeGate) and isinstance(shipped.inner, AskedForWhatNoDocumentHolds)
    off = build_assistant(
        load_settings(index_dir=tmp_path / "b", refusal_on_asks=False)
    ).answer_service.refusal
    assert isinstance(off, OutOfScopeGate) and not isinstance(off.inner, AskedForWhatNoDocumentHolds)
