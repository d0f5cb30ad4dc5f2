"""Deterministic scoring of a self-assessment: the rules of the issue, and nothing else.

``score_assessment`` is a pure function of (checklist, answers): no clock, no I/O, no
randomness, no dependence on the order of the answers. Every number it produces can be
re-derived by hand from the rules below, which is what makes the score defensible:

* item ratio r = option score / the item's highest option score; N/A items do not count;
* dimension score = 100 × Σ(wᵢ·rᵢ) / Σwᵢ over counted items (null when all are N/A);
* total = Σ(W_d·D_d) / ΣW_d over dimensions with a score;
* level = label with the highest ``min`` ≤ total, capped at ``critical_cap`` when a
  critical item has r = 0, and capped at each failed gate's ``cap`` (a gate answered
  "否"); gates never change the total or any dimension score; the level before the gate
  caps is kept as ``level_before_gates`` so the result shows what the gates did;
* weak points: r < ``weak_below``, gain = 100 × (W_d/ΣW_d) × (wᵢ/Σw_dim) × (1 − rᵢ),
  sorted by gain (descending) then checklist order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.services.assess.gates import GATE_LABELS, GateResult, gate_results
from assistant.services.assess.model import NA, Checklist

#: Gains equal to this many decimals count as ties (so float noise never reorders ties).
_TIE_DECIMALS = 9


@dataclass(frozen=True)
class AnswerProblem:
    item: str
    reason: str
    allowed: tuple[str, ...]


class AnswerError(ValueError):
    """Answers that cannot be scored; ``problems`` lists every bad item with its allowed labels."""

    def __init__(self, checklist_id: str, problems: list[AnswerProblem]) -> None:
        self.checklist_id = checklist_id
        self.problems = problems
        lines = []
        for p in problems:
            allowed = "、".join(f"“{label}”" for label in p.allowed) if p.allowed else "（无）"
            lines.append(f"  - {p.item}：{p.reason}；可选答案：{allowed}")
        super().__init__(f"清单 {checklist_id} 的答案有 {len(problems)} 处问题：\n" + "\n".join(lines))


@dataclass(frozen=True)
class ItemScore:
    item: str
    dimension: str
    text: str
    answer: str
    weight: float
    ratio: float | None  # None when answered N/A
    critical: bool


@dataclass(frozen=True)
class DimensionScore:
    id: str
    title: str
    weight: float
    score: float | None  # None when every item is N/A


@dataclass(frozen=True)
class WeakPoint:
    item: str
    text: str
    ratio: float
    gain: float
    basis: str
    advice: str
    evidence: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class AssessmentResult:
    """The outcome of one assessment. ``assessed_at``, ``org`` and evidence are filled by the service."""

    checklist: str
    title: str
    version: int
    total: float | None
    level: str | None
    dimensions: tuple[DimensionScore, ...]
    weak_points: tuple[WeakPoint, ...]
    critical_failed: tuple[str, ...]
    items: tuple[ItemScore, ...]
    answers: Mapping[str, str] = field(default_factory=dict)
    gates: tuple[GateResult, ...] = ()
    level_before_gates: str | None = None
    #: item id → {"note": str, "attachments": [file names]} (filled by the service)
    item_evidence: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    org: str = ""
    checklist_path: str = ""  # the file scored (reports re-read rubrics from it)
    assessed_at: str | None = None
    assessment_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the issue, full precision (round only when printing)."""
        return {
            "checklist": self.checklist,
            "version": self.version,
            "org": self.org,
            "total": self.total,
            "level": self.level,
            "dimensions": [
                {"id": d.id, "title": d.title, "weight": d.weight, "score": d.score} for d in self.dimensions
            ],
            "weak_points": [
                {
                    "item": w.item,
                    "text": w.text,
                    "ratio": w.ratio,
                    "gain": w.gain,
                    "basis": w.basis,
                    "advice": w.advice,
                    "evidence": [dict(c) for c in w.evidence],
                }
                for w in self.weak_points
            ],
            "critical_failed": list(self.critical_failed),
            "gates": [{"id": g.id, "text": g.text, "passed": g.passed, "cap": g.cap} for g in self.gates],
            "level_before_gates": self.level_before_gates,
            "item_evidence": {key: dict(value) for key, value in sorted(self.item_evidence.items())},
            "assessed_at": self.assessed_at,
        }


def check_answers(checklist: Checklist, answers: Mapping[str, Any]) -> None:
    """Reject bad answers, never guess: raises :class:`AnswerError` listing every problem."""
    problems: list[AnswerProblem] = []
    known = {item.id for _, item in checklist.items()} | {gate.id for gate in checklist.gates}
    for _, item in checklist.items():
        allowed = tuple(item.labels)
        if item.id not in answers:
            problems.append(AnswerProblem(item.id, "缺少答案", allowed))
            continue
        answer = answers[item.id]
        if answer == NA and not item.allow_na:
            problems.append(AnswerProblem(item.id, f"该条目不允许回答“{NA}”", allowed))
        elif answer != NA and (not isinstance(answer, str) or answer not in allowed):
            problems.append(AnswerProblem(item.id, f"答案 {answer!r} 不是该条目的选项", allowed))
    for gate in checklist.gates:
        if gate.id not in answers:
            problems.append(AnswerProblem(gate.id, "门槛条件缺少答案", GATE_LABELS))
        elif answers[gate.id] not in GATE_LABELS:
            problems.append(AnswerProblem(gate.id, f"答案 {answers[gate.id]!r} 不是“是”或“否”", GATE_LABELS))
    for unknown in sorted(set(map(str, answers)) - set(known)):
        problems.append(AnswerProblem(unknown, "清单中没有这个条目", ()))
    if problems:
        raise AnswerError(checklist.id, problems)


def score_assessment(checklist: Checklist, answers: Mapping[str, str]) -> AssessmentResult:
    """Score ``answers`` (item id → option label or "N/A") against ``checklist``."""
    check_answers(checklist, answers)
    item_scores: list[ItemScore] = []
    ratios: dict[str, float] = {}
    for dim, item in checklist.items():
        answer = answers[item.id]
        ratio = None if answer == NA else item.score_of(answer) / item.max_score
        if ratio is not None:
            ratios[item.id] = ratio
        item_scores.append(ItemScore(item.id, dim.id, item.text, answer, item.weight, ratio, item.critical))

    dim_scores: list[DimensionScore] = []
    counted_weight: dict[str, float] = {}  # Σw of counted items per dimension
    for dim in checklist.dimensions:
        counted = [item for item in dim.items if item.id in ratios]
        if counted:
            weight_sum = sum(item.weight for item in counted)
            score = 100.0 * sum(item.weight * ratios[item.id] for item in counted) / weight_sum
            counted_weight[dim.id] = weight_sum
        else:
            score = None
        dim_scores.append(DimensionScore(dim.id, dim.title, dim.weight, score))

    scored = [(d.weight, d.score) for d in dim_scores if d.score is not None]
    total_weight = sum(weight for weight, _ in scored)
    total = sum(weight * score for weight, score in scored) / total_weight if scored else None

    critical_failed = tuple(
        item.id for _, item in checklist.items() if item.critical and ratios.get(item.id) == 0.0
    )
    level: str | None = None
    if total is not None:
        level = next(lv.label for lv in checklist.levels if lv.min <= total + 1e-9)
        cap = checklist.critical_cap
        if critical_failed and checklist.level_rank(level) > checklist.level_rank(cap):
            level = cap
    gates = gate_results(checklist.gates, dict(answers))
    level_before_gates = level
    if level is not None:
        for gate in gates:
            if not gate.passed and checklist.level_rank(level) > checklist.level_rank(gate.cap):
                level = gate.cap

    weak: list[tuple[float, int, WeakPoint]] = []
    for order, (dim, item) in enumerate(checklist.items()):
        ratio = ratios.get(item.id)
        if ratio is None or ratio >= checklist.weak_below:
            continue
        gain = 100.0 * (dim.weight / total_weight) * (item.weight / counted_weight[dim.id]) * (1 - ratio)
        point = WeakPoint(item.id, item.text, ratio, gain, item.basis, item.advice)
        weak.append((-round(gain, _TIE_DECIMALS), order, point))
    weak.sort(key=lambda entry: (entry[0], entry[1]))

    return AssessmentResult(
        checklist=checklist.id,
        title=checklist.title,
        version=checklist.version,
        total=total,
        level=level,
        dimensions=tuple(dim_scores),
        weak_points=tuple(point for _, _, point in weak),
        critical_failed=critical_failed,
        items=tuple(item_scores),
        answers=dict(sorted(answers.items())),
        gates=gates,
        level_before_gates=level_before_gates,
    )
