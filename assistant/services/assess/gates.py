"""Gate conditions: yes/no preconditions a checklist may declare before its higher levels.

Real schemes (全国综合减灾示范社区 and similar) refuse a high rating outright when a basic
condition fails — a major accident in the last three years, no plan, no drill — however
well the rest scores. A gate models exactly that and nothing more: it is answered "是" or
"否", never weighted, never part of the total; when it is answered "否" the level is capped
at the gate's ``cap`` (a level above ``cap`` is not reachable). Gates are shown separately
from the dimension scores so the reader sees why a level was capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

GATE_YES = "是"
GATE_NO = "否"
GATE_LABELS: tuple[str, ...] = (GATE_YES, GATE_NO)
_GATE_KEYS = {"id", "text", "cap", "basis"}
_ID_RE = re.compile(r"^[a-z0-9-]+$")


class _Collects(Protocol):
    def add(self, where: str, problem: str) -> None: ...

    def unknown_keys(self, where: str, data: Any, allowed: set[str]) -> None: ...


@dataclass(frozen=True)
class Gate:
    """One yes/no precondition; failing it caps the level at ``cap``."""

    id: str
    text: str
    cap: str
    basis: str = ""


@dataclass(frozen=True)
class GateResult:
    id: str
    text: str
    passed: bool
    cap: str


def parse_gates(v: _Collects, raw: Any, level_labels: set[str]) -> tuple[Gate, ...]:
    """Validate the optional ``gates`` list; problems go to the checklist's validator."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        v.add("gates", "应为列表（每项含 id、text、cap）")
        return ()
    gates: list[Gate] = []
    for index, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            v.add(f"第 {index} 个门槛条件", "应为映射（id、text、cap）")
            continue
        gate_id = entry.get("id")
        where = f"门槛条件 {gate_id}" if isinstance(gate_id, str) and gate_id else f"第 {index} 个门槛条件"
        v.unknown_keys(where, entry, _GATE_KEYS)
        if not isinstance(gate_id, str) or not _ID_RE.match(gate_id):
            v.add(where, f"id 必须由小写字母、数字和连字符组成，实际为 {gate_id!r}")
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            v.add(where, "缺少 text（必须是非空文字）")
        cap = entry.get("cap")
        if cap not in level_labels:
            v.add(where, f"cap“{cap}”不是 levels 中的等级")
        basis = entry.get("basis", "")
        gates.append(Gate(str(gate_id), str(text or "").strip(), str(cap), str(basis or "").strip()))
    return tuple(gates)


def gate_results(gates: tuple[Gate, ...], answers: dict[str, Any]) -> tuple[GateResult, ...]:
    """Each gate with its outcome; answers were checked before (only 是/否 reach here)."""
    return tuple(GateResult(g.id, g.text, answers[g.id] == GATE_YES, g.cap) for g in gates)
