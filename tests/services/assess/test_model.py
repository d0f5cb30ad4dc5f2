"""Checklist loading: the bundled checklists meet the issue's rules; bad files are refused clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.services.assess import ChecklistError, load_checklist, load_checklists
from assistant.settings import PROJECT_ROOT

from .builders import small_checklist_data, write_checklist

BUNDLED = PROJECT_ROOT / "corpus" / "checklists"


def test_four_bundled_checklists_load_with_20_to_40_items_each() -> None:
    checklists = load_checklists(BUNDLED)
    assert set(checklists) == {
        "community-disaster-readiness",
        "department-resilience",
        "family-emergency",
        "district-resilience-scorecard",
    }
    assert {c.audience for c in checklists.values()} == {"staff", "department", "resident"}
    for checklist in checklists.values():
        assert 20 <= checklist.item_count() <= 40, checklist.id
        assert checklist.warnings == (), checklist.id


def test_bundled_checklists_keep_audience_basis_and_advice() -> None:
    """Optional for a department's own checklist, required of what we ship."""
    for path in sorted(BUNDLED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get("audience"), path.name
        for dim in data["dimensions"]:
            for item in dim["items"]:
                assert str(item.get("basis", "")).strip(), f"{path.name}: {item['id']}"
                assert str(item.get("advice", "")).strip(), f"{path.name}: {item['id']}"


def test_probe_checklist_without_audience_basis_advice_loads_with_a_warning_per_basis(
    tmp_path: Path,
) -> None:
    data = small_checklist_data()
    data.pop("audience")
    for dim in data["dimensions"]:
        for item in dim["items"]:
            item.pop("basis")
            item.pop("advice")
    checklist = load_checklist(write_checklist(tmp_path, data, "probe.yaml"))
    assert checklist.audience == "department"
    assert len(checklist.warnings) == checklist.item_count() == 5
    assert all("basis" in w for w in checklist.warnings)
    assert "条目 a1" in checklist.warnings[0]
    assert all(item.basis == "" and item.advice == "" for _, item in checklist.items())


def test_rubric_text_is_kept_per_option_and_unknown_option_keys_are_refused(tmp_path: Path) -> None:
    data = small_checklist_data()
    data["dimensions"][0]["items"][0]["options"][0]["rubric"] = "没有任何安排"
    checklist = load_checklist(write_checklist(tmp_path, data))
    a1 = checklist.dimensions[0].items[0]
    assert a1.rubric_of("0") == "没有任何安排" and a1.rubric_of("5") == "" and a1.has_rubric
    data["dimensions"][0]["items"][0]["options"][1]["rubirc"] = "拼错"
    error = _broken(tmp_path, lambda d: d.update(data))
    assert any("条目 a1" in p and "rubirc" in p for p in error.problems), error.problems


def test_department_checklist_is_organised_by_the_four_capacities() -> None:
    department = load_checklists(BUNDLED)["department-resilience"]
    assert [d.title for d in department.dimensions] == ["抵御力", "适应力", "复原力", "转型力"]


def test_levels_are_sorted_whatever_the_file_order(small_path: Path) -> None:
    checklist = load_checklist(small_path)
    assert [lv.label for lv in checklist.levels] == ["优秀", "良好", "合格", "待改进"]


def _broken(tmp_path: Path, mutate: Any) -> ChecklistError:
    data = small_checklist_data()
    mutate(data)
    path = write_checklist(tmp_path, data, "broken.yaml")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert "broken.yaml" in str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("mutate", "where", "what"),
    [
        (
            lambda d: d["dimensions"][2]["items"].append(dict(d["dimensions"][0]["items"][0])),
            "条目 a1",
            "重复",
        ),
        (lambda d: d["dimensions"][0]["items"][1].update(options=[]), "条目 a2", "options"),
        (lambda d: d["dimensions"][1]["items"][0].update(weight=0), "条目 b1", "weight"),
        (lambda d: d["dimensions"][1].update(weight=-1), "维度 b", "weight"),
        (lambda d: d.update(critical_cap="不存在"), "清单", "critical_cap"),
        (lambda d: d["dimensions"][0]["items"][0]["options"][1].update(label="5"), "条目 a1", "重复"),
        (lambda d: d["dimensions"][0]["items"][0]["options"][1].update(score=-1), "条目 a1", "score"),
        (lambda d: d["dimensions"][2]["items"][0].update(basis=12), "条目 c1", "basis"),
        (lambda d: d.update(audience="mayor"), "清单", "audience"),
        (lambda d: d.update(gates=[{"id": "g1", "text": "无事故", "cap": "满分"}]), "门槛条件 g1", "cap"),
        (lambda d: d.update(gates=[{"id": "a1", "text": "无事故", "cap": "合格"}]), "门槛条件 a1", "重复"),
        (lambda d: d.update(gates=[{"id": "g1", "cap": "合格"}]), "门槛条件 g1", "text"),
        (lambda d: d["dimensions"][2]["items"][0].update(wieght=2), "条目 c1", "wieght"),
        (lambda d: d.update(id="Bad Id"), "清单", "id"),
        (lambda d: d["levels"].pop(2), "levels", "min 为 0"),
        (
            lambda d: d["dimensions"][2]["items"][1].update(options=[{"label": "x", "score": 0}] * 2),
            "条目 c2",
            "",
        ),
    ],
)
def test_validation_names_the_item_and_the_problem(
    tmp_path: Path, mutate: Any, where: str, what: str
) -> None:
    error = _broken(tmp_path, mutate)
    assert any(where in p and what in p for p in error.problems), error.problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["dimensions"][0]["items"][0]["weight"] = 0
        d["dimensions"][2]["items"][1]["options"] = [{"label": "only", "score": 1}]

    error = _broken(tmp_path, mutate)
    assert len(error.problems) == 2


def test_unparseable_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ChecklistError, match=r"bad\.yaml"):
        load_checklist(path)


def test_duplicate_checklist_ids_across_files_are_refused(tmp_path: Path) -> None:
    write_checklist(tmp_path, small_checklist_data(), "one.yaml")
    write_checklist(tmp_path, small_checklist_data(), "two.yaml")
    with pytest.raises(ChecklistError, match="重复"):
        load_checklists(tmp_path)
