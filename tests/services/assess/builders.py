"""Builders of checklist files for the self-assessment tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def small_checklist_data() -> dict[str, Any]:
    """Three dimensions (weights 3, 1, 4) whose numbers are easy to compute by hand."""

    def options(*scores: int) -> list[dict[str, Any]]:
        return [{"label": str(score), "score": score} for score in scores]

    def item(item_id: str, weight: float, scores: tuple[int, ...], **extra: Any) -> dict[str, Any]:
        return {
            "id": item_id,
            "text": f"条目 {item_id} 是否落实？",
            "weight": weight,
            "basis": "《上海市防汛条例》第十三条",
            "advice": f"落实 {item_id}。",
            "options": options(*scores),
            **extra,
        }

    return {
        "id": "small",
        "title": "小清单",
        "version": 1,
        "audience": "staff",
        "critical_cap": "合格",
        "levels": [
            {"min": 60, "label": "合格"},
            {"min": 85, "label": "优秀"},
            {"min": 0, "label": "待改进"},
            {"min": 70, "label": "良好"},
        ],
        "dimensions": [
            {
                "id": "a",
                "title": "抵御力",
                "weight": 3,
                "items": [item("a1", 2, (0, 3, 5), critical=True), item("a2", 1, (0, 1), allow_na=True)],
            },
            {"id": "b", "title": "适应力", "weight": 1, "items": [item("b1", 1, (0, 2, 4), allow_na=True)]},
            {
                "id": "c",
                "title": "复原力",
                "weight": 4,
                "items": [item("c1", 1, (0, 5)), item("c2", 1, (0, 5))],
            },
        ],
    }


def write_checklist(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{data['id']}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
