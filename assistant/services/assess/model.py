"""Checklists as data: the typed model and its validation at load.

A checklist is a YAML file in ``corpus/checklists/`` written by people, so it gets the same
treatment as any user input: it is checked completely when it is loaded and refused with
every problem named (file, item, what is wrong), never half-loaded. The scoring code can
then trust the model: weights are positive, every item has at least two options and a
positive highest score, the critical cap names a real level.

``audience``, ``basis`` and ``advice`` are optional: a department drafting a checklist
from its own plan rarely has a legal basis for every line, and refusing such a checklist
helps nobody. A missing ``basis`` is a *warning* (kept in ``Checklist.warnings``), not an
error; the bundled checklists keep all three, which their tests enforce. Options may carry
``rubric`` text (what that level means), and a checklist may declare ``gates``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.services.assess.gates import Gate, parse_gates

#: The answer that marks an item as not applicable (only where ``allow_na`` is true).
NA = "N/A"
AUDIENCES: tuple[str, ...] = ("resident", "staff", "department")
DEFAULT_WEAK_BELOW = 0.6
_ID_RE = re.compile(r"^[a-z0-9-]+$")

_TOP_KEYS = {
    "id",
    "title",
    "version",
    "audience",
    "weak_below",
    "critical_cap",
    "levels",
    "dimensions",
    "description",
    "gates",
}
_DIMENSION_KEYS = {"id", "title", "weight", "items"}
_ITEM_KEYS = {"id", "text", "weight", "critical", "allow_na", "basis", "advice", "options"}


class ChecklistError(ValueError):
    """A checklist file cannot be loaded; ``problems`` holds one line per fault."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"清单文件 {self.path.name} 无法加载：\n{lines}")


@dataclass(frozen=True)
class Option:
    label: str
    score: float
    rubric: str = ""  # what answering this level means (shown in the form and the report)


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    weight: float
    options: tuple[Option, ...]
    basis: str = ""
    advice: str = ""
    critical: bool = False
    allow_na: bool = False

    @property
    def max_score(self) -> float:
        """The score that means "fully met" (ratio 1)."""
        return max(option.score for option in self.options)

    @property
    def labels(self) -> list[str]:
        """The answers this item accepts, in the file's order (plus N/A where allowed)."""
        labels = [option.label for option in self.options]
        return [*labels, NA] if self.allow_na else labels

    def rubric_of(self, label: str) -> str:
        """The rubric text of one answer ("" when the checklist gives none)."""
        return next((o.rubric for o in self.options if o.label == label), "")

    @property
    def has_rubric(self) -> bool:
        return any(option.rubric for option in self.options)

    def score_of(self, label: str) -> float:
        for option in self.options:
            if option.label == label:
                return option.score
        raise KeyError(label)


@dataclass(frozen=True)
class Dimension:
    id: str
    title: str
    weight: float
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Level:
    min: float
    label: str


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    version: int
    audience: str
    levels: tuple[Level, ...]  # sorted by ``min``, highest first
    critical_cap: str
    dimensions: tuple[Dimension, ...]
    weak_below: float = DEFAULT_WEAK_BELOW
    description: str = ""
    gates: tuple[Gate, ...] = ()
    path: Path | None = field(default=None, compare=False)
    #: Non-fatal remarks from loading (one per item without a basis).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def items(self) -> list[tuple[Dimension, Item]]:
        """Every item with its dimension, in checklist order."""
        return [(dim, item) for dim in self.dimensions for item in dim.items]

    def item_count(self) -> int:
        return sum(len(dim.items) for dim in self.dimensions)

    def level_rank(self, label: str) -> float:
        """The ``min`` of a level: higher means better."""
        return next(level.min for level in self.levels if level.label == label)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


class _Validator:
    """Collects every problem in one file so the author fixes them all in one go."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def warn(self, where: str, remark: str) -> None:
        self.warnings.append(f"{where}：{remark}")

    def add(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}：{problem}")

    def unknown_keys(self, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(map(str, data)) - allowed):
            self.add(where, f"未知字段“{key}”（可能拼写错误）")

    def positive(self, where: str, name: str, value: Any) -> float:
        if not _is_number(value) or value <= 0:
            self.add(where, f"{name} 必须是大于 0 的数，实际为 {value!r}")
            return 1.0
        return float(value)

    def flag(self, where: str, name: str, value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(where, f"{name} 必须是 true 或 false，实际为 {value!r}")
            return False
        return value


def _parse_options(v: _Validator, where: str, raw: Any) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        v.add(where, "options 至少需要两个选项")
        return ()
    options: list[Option] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            v.add(where, f"第 {index} 个选项应为 {{label, score}}")
            continue
        label: Any = entry.get("label")
        score: Any = entry.get("score")
        rubric: Any = entry.get("rubric", "")
        if set(map(str, entry)) - {"label", "score", "rubric"}:
            extra = "、".join(sorted(set(map(str, entry)) - {"label", "score", "rubric"}))
            v.add(where, f"第 {index} 个选项有未知字段：{extra}")
        if rubric is not None and not isinstance(rubric, str):
            v.add(where, f"第 {index} 个选项的 rubric 必须是文字")
            rubric = ""
        if not _text(label):
            v.add(where, f"第 {index} 个选项的 label 必须是非空文字（数字或是/否请加引号）")
            continue
        if label == NA:
            v.add(where, f"选项标签不能是保留值“{NA}”（用 allow_na: true 表示可不适用）")
        if label in seen:
            v.add(where, f"选项标签“{label}”重复")
        seen.add(label)
        if not _is_number(score) or score < 0:
            v.add(where, f"选项“{label}”的 score 必须是不小于 0 的数，实际为 {score!r}")
            continue
        options.append(Option(label=label, score=float(score), rubric=str(rubric or "").strip()))
    if options and max(option.score for option in options) <= 0:
        v.add(where, "最高选项分必须大于 0（否则得分率无法计算）")
    return tuple(options)


def _parse_item(v: _Validator, dim_id: str, raw: Any, index: int) -> Item | None:
    if not isinstance(raw, dict):
        v.add(f"维度 {dim_id} 第 {index} 个条目", "应为映射（id、text、options…）")
        return None
    item_id = raw.get("id")
    where = f"条目 {item_id}" if _text(item_id) else f"维度 {dim_id} 第 {index} 个条目"
    if not isinstance(item_id, str) or not _ID_RE.match(item_id):
        v.add(where, f"id 必须由小写字母、数字和连字符组成，实际为 {item_id!r}")
    v.unknown_keys(where, raw, _ITEM_KEYS)
    if not _text(raw.get("text")):
        v.add(where, "缺少 text（必须是非空文字）")
    for key in ("basis", "advice"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            v.add(where, f"{key} 必须是文字，实际为 {value!r}")
    if not _text(raw.get("basis")):
        v.warn(where, "未填写 basis（依据），报告中该条目显示“未注明依据”")
    return Item(
        id=str(item_id),
        text=str(raw.get("text", "")).strip(),
        weight=v.positive(where, "weight", raw.get("weight", 1)),
        options=_parse_options(v, where, raw.get("options")),
        basis=str(raw.get("basis") or "").strip(),
        advice=str(raw.get("advice") or "").strip(),
        critical=v.flag(where, "critical", raw.get("critical")),
        allow_na=v.flag(where, "allow_na", raw.get("allow_na")),
    )


def _parse_levels(v: _Validator, raw: Any) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not raw:
        v.add("levels", "至少需要一个等级")
        return ()
    levels: list[Level] = []
    for index, entry in enumerate(raw, 1):
        if not isinstance(entry, dict) or not _text(entry.get("label")):
            v.add("levels", f"第 {index} 个等级应为 {{min, label}}，label 为非空文字")
            continue
        low: Any = entry.get("min")
        if not _is_number(low) or not 0 <= low <= 100:
            v.add(f"等级 {entry['label']}", f"min 必须是 0–100 之间的数，实际为 {low!r}")
            continue
        levels.append(Level(min=float(low), label=entry["label"]))
    labels = [level.label for level in levels]
    for label in sorted({label for label in labels if labels.count(label) > 1}):
        v.add(f"等级 {label}", "标签重复")
    mins = [level.min for level in levels]
    for low in sorted({low for low in mins if mins.count(low) > 1}):
        v.add("levels", f"min={low:g} 出现多次，等级无法区分")
    if levels and min(mins) > 0:
        v.add("levels", "必须有一个 min 为 0 的等级，否则低分无等级可归")
    return tuple(sorted(levels, key=lambda level: level.min, reverse=True))


def parse_checklist(data: Any, path: Path) -> Checklist:
    """Validate parsed YAML and build the model; raises :class:`ChecklistError` with all faults."""
    v = _Validator()
    if not isinstance(data, dict):
        raise ChecklistError(path, ["顶层应为映射（id、title、dimensions…）"])
    v.unknown_keys("清单", data, _TOP_KEYS)
    checklist_id = data.get("id")
    if not isinstance(checklist_id, str) or not _ID_RE.match(checklist_id):
        v.add("清单", f"id 必须由小写字母、数字和连字符组成，实际为 {checklist_id!r}")
    if not _text(data.get("title")):
        v.add("清单", "缺少 title")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        v.add("清单", f"version 必须是正整数，实际为 {version!r}")
    audience = data.get("audience", "department")  # optional: a department's own checklist
    if audience not in AUDIENCES:
        v.add("清单", f"audience 必须是 {' | '.join(AUDIENCES)} 之一，实际为 {audience!r}")
    weak_below = data.get("weak_below", DEFAULT_WEAK_BELOW)
    if not _is_number(weak_below) or not 0 < weak_below <= 1:
        v.add("清单", f"weak_below 必须在 (0, 1] 之内，实际为 {weak_below!r}")
        weak_below = DEFAULT_WEAK_BELOW
    levels = _parse_levels(v, data.get("levels"))
    critical_cap = data.get("critical_cap")
    if critical_cap not in {level.label for level in levels}:
        v.add("清单", f"critical_cap“{critical_cap}”不是 levels 中的等级")

    dimensions: list[Dimension] = []
    raw_dims = data.get("dimensions")
    if not isinstance(raw_dims, list) or not raw_dims:
        v.add("清单", "dimensions 至少需要一个维度")
        raw_dims = []
    dim_ids: list[str] = []
    item_ids: list[str] = []
    for d_index, raw_dim in enumerate(raw_dims, 1):
        if not isinstance(raw_dim, dict):
            v.add(f"第 {d_index} 个维度", "应为映射（id、title、weight、items）")
            continue
        dim_id = raw_dim.get("id")
        where = f"维度 {dim_id}" if _text(dim_id) else f"第 {d_index} 个维度"
        if not isinstance(dim_id, str) or not _ID_RE.match(dim_id):
            v.add(where, f"id 必须由小写字母、数字和连字符组成，实际为 {dim_id!r}")
        v.unknown_keys(where, raw_dim, _DIMENSION_KEYS)
        if not _text(raw_dim.get("title")):
            v.add(where, "缺少 title")
        raw_items = raw_dim.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            v.add(where, "items 至少需要一个条目")
            raw_items = []
        items = [_parse_item(v, str(dim_id), raw, i) for i, raw in enumerate(raw_items, 1)]
        kept = tuple(item for item in items if item is not None)
        dim_ids.append(str(dim_id))
        item_ids.extend(item.id for item in kept)
        dimensions.append(
            Dimension(
                id=str(dim_id),
                title=str(raw_dim.get("title", "")).strip(),
                weight=v.positive(where, "weight", raw_dim.get("weight", 1)),
                items=kept,
            )
        )
    for dup in sorted({d for d in dim_ids if dim_ids.count(d) > 1}):
        v.add(f"维度 {dup}", "id 重复")
    for dup in sorted({i for i in item_ids if item_ids.count(i) > 1}):
        v.add(f"条目 {dup}", "id 重复（条目 id 在整份清单内必须唯一）")
    gates = parse_gates(v, data.get("gates"), {level.label for level in levels})
    for gate in gates:
        if gate.id in item_ids:
            v.add(f"门槛条件 {gate.id}", "id 与某个条目重复（答案按 id 对应，必须唯一）")
    gate_ids = [gate.id for gate in gates]
    for dup in sorted({g for g in gate_ids if gate_ids.count(g) > 1}):
        v.add(f"门槛条件 {dup}", "id 重复")
    if v.problems:
        raise ChecklistError(path, v.problems)
    return Checklist(
        id=str(checklist_id),
        title=str(data["title"]).strip(),
        version=int(version),  # type: ignore[arg-type]
        audience=str(audience),
        levels=levels,
        critical_cap=str(critical_cap),
        dimensions=tuple(dimensions),
        weak_below=float(weak_below),
        description=str(data.get("description", "") or "").strip(),
        gates=gates,
        path=path,
        warnings=tuple(v.warnings),
    )


def load_checklist(path: Path | str) -> Checklist:
    """Read and validate one checklist file."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from assistant.services.assess.xlsx_io import read_checklist_xlsx

        return parse_checklist(read_checklist_xlsx(path), path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError(path, [f"无法读取文件：{exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChecklistError(path, [f"不是有效的 YAML：{exc}"]) from exc
    return parse_checklist(data, path)


def load_checklists(folder: Path | str) -> dict[str, Checklist]:
    """Every checklist in ``folder`` by id; any bad file (or a duplicate id) refuses the load."""
    folder = Path(folder)
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    found: dict[str, Checklist] = {}
    for path in paths:
        checklist = load_checklist(path)
        if checklist.id in found:
            other = found[checklist.id].path
            raise ChecklistError(path, [f"清单 id“{checklist.id}”与 {other.name if other else '?'} 重复"])
        found[checklist.id] = checklist
    return found
