"""The refusal rules stacked by the factory: the intent model's out-of-scope gate on top of the
evidence thresholds (services/refusal_rules.py)."""

from __future__ import annotations

from pathlib import Path

from assistant.factory import LEARNED_REFUSAL_MIN_CHUNKS, build_assistant
from assistant.services.refusal_rules import OutOfScopeGate, RefusalPolicy
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
    assert isinstance(off.answer_service.refusal, RefusalPolicy)
