"""Change since the previous assessment of the same organisation and checklist.

Pure, like scoring: it compares two result dictionaries (the stored JSON shape), so the
comparison of a fresh result and one read back from the history are the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


@dataclass(frozen=True)
class DimensionChange:
    id: str
    title: str
    before: float | None
    after: float | None
    change: float | None  # None when either side has no score (N/A or a new/removed dimension)


@dataclass(frozen=True)
class Comparison:
    previous_id: int
    previous_assessed_at: str
    previous_version: int
    same_version: bool  # a new checklist version may score differently by construction
    total_before: float | None
    total_after: float | None
    total_change: float | None
    level_before: str | None
    level_after: str | None
    dimensions: tuple[DimensionChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous_id": self.previous_id,
            "previous_assessed_at": self.previous_assessed_at,
            "previous_version": self.previous_version,
            "same_version": self.same_version,
            "total_before": self.total_before,
            "total_after": self.total_after,
            "total_change": self.total_change,
            "level_before": self.level_before,
            "level_after": self.level_after,
            "dimensions": [
                {"id": d.id, "title": d.title, "before": d.before, "after": d.after, "change": d.change}
                for d in self.dimensions
            ],
        }


def compare_results(previous_id: int, previous: dict[str, Any], current: dict[str, Any]) -> Comparison:
    """Per-dimension and total change from ``previous`` to ``current`` (both ``to_dict`` shapes)."""
    before_dims = {d["id"]: d for d in previous.get("dimensions", [])}
    changes = []
    for dim in current.get("dimensions", []):
        before = before_dims.get(dim["id"], {}).get("score")
        changes.append(
            DimensionChange(dim["id"], dim["title"], before, dim["score"], _delta(before, dim["score"]))
        )
    return Comparison(
        previous_id=previous_id,
        previous_assessed_at=str(previous.get("assessed_at") or ""),
        previous_version=int(previous.get("version") or 0),
        same_version=previous.get("version") == current.get("version"),
        total_before=previous.get("total"),
        total_after=current.get("total"),
        total_change=_delta(previous.get("total"), current.get("total")),
        level_before=previous.get("level"),
        level_after=current.get("level"),
        dimensions=tuple(changes),
    )


@dataclass(frozen=True)
class TrendPoint:
    """One assessment in an organisation's trend."""

    id: int
    assessed_at: str
    version: int
    title: str
    total: float | None
    level: str | None
    dimensions: tuple[tuple[str, str, float | None], ...]  # (id, title, score)


def trend(entries: list[Any]) -> list[TrendPoint]:
    """History entries (one org, one checklist, oldest first) as trend points."""
    points = []
    for entry in entries:
        result = entry.result
        dims = tuple((d["id"], d["title"], d.get("score")) for d in result.get("dimensions", []))
        title = str(result.get("title") or entry.checklist)
        points.append(
            TrendPoint(entry.id, entry.assessed_at, entry.version, title, entry.total, entry.level, dims)
        )
    return points


@dataclass(frozen=True)
class DistrictRow:
    """An organisation's latest assessment of one checklist version, for a district table."""

    org: str
    assessment_id: int
    assessed_at: str
    version: int
    total: float | None
    level: str | None
    dimensions: tuple[tuple[str, str, float | None], ...]


def district(entries: list[Any], version: int | None = None) -> list[DistrictRow]:
    """Latest assessment per organisation on one checklist version (default: the newest version).

    Different versions may have different items, so only one version is ever compared.
    Sorted by total (best first, unscored last), then by organisation name, deterministically.
    """
    if not entries:
        return []
    wanted = version if version is not None else max(entry.version for entry in entries)
    latest: dict[str, Any] = {}
    for entry in entries:
        if entry.version == wanted:
            latest[entry.org] = entry  # entries are oldest first: the last one wins
    rows = [
        DistrictRow(
            e.org,
            e.id,
            e.assessed_at,
            e.version,
            e.total,
            e.level,
            tuple((d["id"], d["title"], d.get("score")) for d in e.result.get("dimensions", [])),
        )
        for e in latest.values()
    ]
    return sorted(rows, key=lambda r: (r.total is None, -(r.total or 0.0), r.org))
