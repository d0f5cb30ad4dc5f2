"""Reports a department submits (DOCX with the chart, self-contained Markdown), evidence, trend, district."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from assistant.services.assess import AssessmentService, split_answers
from assistant.services.input_limits import InputLimitError
from assistant.settings import Settings

from .builders import small_checklist_data, write_checklist

GOOD = {"a1": "5", "a2": "0", "b1": "4", "c1": "5", "c2": "0", "g-plan": "否"}


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> AssessmentService:
    data = small_checklist_data()
    data["gates"] = [{"id": "g-plan", "text": "已编制应急预案", "cap": "待改进"}]
    data["dimensions"][2]["items"][1]["options"][0]["rubric"] = "完全没有落实"
    write_checklist(tmp_path / "corpus" / "checklists", data)
    return AssessmentService(settings.model_copy(update={"corpus_dir": tmp_path / "corpus"}))


def _assess(service: AssessmentService, org: str = "甲街道") -> object:
    answers = {**GOOD, "c2": {"answer": "0", "note": "物资清单待补", "attachments": ["/home/u/台账.xlsx"]}}
    return service.assess("small", answers, org=org)


def test_docx_report_opens_and_embeds_the_chart(service: AssessmentService, tmp_path: Path) -> None:
    result = _assess(service)
    path, chart = service.write_report(result, tmp_path / "out" / "报告.docx")  # type: ignore[arg-type]
    doc = Document(str(path))
    assert len(doc.inline_shapes) == 1
    images = [rel for rel in doc.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 1 and images[0].target_part.blob == chart.path.read_bytes()
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "单位：甲街道" in text and "清单：小清单（small，第 1 版）" in text
    assert "+08:00" not in text and "评估时间：20" in text  # local time, not an ISO stamp
    assert "条目 c2 是否落实？" in text and "（完全没有落实）" in text  # named by text, rubric shown
    assert "依据：《上海市防汛条例》第十三条" in text and "建议：落实 c2。" in text
    assert "已编制应急预案" in cells and "未通过" in cells  # gate results
    assert "物资清单待补" in cells and "台账.xlsx" in cells and "/home/u" not in cells  # evidence, names only
    assert "抵御力" in cells


def test_markdown_report_is_self_contained_and_shows_gates_and_evidence(
    service: AssessmentService, tmp_path: Path
) -> None:
    result = _assess(service)
    path, _ = service.write_report(result, tmp_path / "r.md")  # type: ignore[arg-type]
    text = path.read_text(encoding="utf-8")
    assert "](data:image/png;base64,iVBOR" in text
    assert "## 门槛条件" in text and "**未通过**" in text and "## 证据说明" in text
    assert (result.level_before_gates, result.level) == ("合格", "待改进")  # type: ignore[attr-defined]
    assert "按得分应为“合格”，因门槛条件未通过，等级为“待改进”" in text


def test_times_are_stamped_in_the_configured_zone(settings: Settings, tmp_path: Path) -> None:
    write_checklist(tmp_path / "c2" / "checklists", small_checklist_data())
    update = {"corpus_dir": tmp_path / "c2", "timezone": "Europe/London", "data_dir": tmp_path / "d2"}
    london = AssessmentService(settings.model_copy(update=update))
    result = london.assess("small", {k: v for k, v in GOOD.items() if k != "g-plan"})
    assert result.assessed_at is not None and result.assessed_at.endswith(("+00:00", "+01:00"))
    shanghai = AssessmentService(
        settings.model_copy(update={**update, "timezone": "Asia/Shanghai", "data_dir": tmp_path / "d3"})
    )
    stamp = shanghai.assess("small", {k: v for k, v in GOOD.items() if k != "g-plan"}).assessed_at
    assert stamp is not None and stamp.endswith("+08:00")


def test_evidence_is_kept_in_history_with_file_names_only(service: AssessmentService) -> None:
    result = _assess(service)
    [entry] = service.history(org="甲街道")
    expected = {"c2": {"note": "物资清单待补", "attachments": ["台账.xlsx"]}}
    assert entry.evidence == expected == json.loads(json.dumps(result.to_dict()["item_evidence"]))  # type: ignore[attr-defined]


def test_evidence_fields_are_bounded() -> None:
    with pytest.raises(InputLimitError, match="note"):
        split_answers({"a1": {"answer": "5", "note": "长" * 1001}})
    with pytest.raises(InputLimitError, match="attachments"):
        split_answers({"a1": {"answer": "5", "attachments": ["x"] * 21}})


def test_trend_and_district_tables(service: AssessmentService, tmp_path: Path) -> None:
    _assess(service, "甲街道")
    better = {**GOOD, "c2": "5", "g-plan": "是"}
    service.assess("small", better, org="甲街道")
    service.assess("small", {**GOOD, "c1": "0"}, org="乙街道")
    points = service.trend("甲街道", "small")
    assert [p.total for p in points] == sorted(p.total or 0 for p in points) and len(points) == 2
    assert [d[0] for d in points[0].dimensions] == ["a", "b", "c"]
    chart = service.write_trend_chart("甲街道", "small", tmp_path / "trend.png")
    assert chart.read_bytes()[:4] == b"\x89PNG"
    rows = service.district("small")
    assert [r.org for r in rows] == ["甲街道", "乙街道"]  # latest per org, best total first
    assert rows[0].total == points[-1].total
    assert service.district("small", version=2) == []
