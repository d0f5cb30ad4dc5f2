"""Excel in and out: twins of YAML/JSON give the same result; bad cells are named; bombs refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.services.assess import (
    ChecklistError,
    XlsxError,
    load_checklist,
    read_answers_xlsx,
    score_assessment,
    write_answers_template,
    write_checklist_xlsx,
)
from assistant.services.assess.xlsx_io import MAX_XLSX_UNCOMPRESSED
from assistant.settings import PROJECT_ROOT

from .builders import small_checklist_data, write_checklist

ANSWERS = {"a1": "3", "a2": "N/A", "b1": "4", "c1": "5", "c2": "0"}


def _with_gate_and_rubric(tmp_path: Path) -> Path:
    data = small_checklist_data()
    data["gates"] = [{"id": "g-plan", "text": "已编制应急预案", "cap": "合格"}]
    data["dimensions"][0]["items"][0]["options"][1]["rubric"] = "有预案但未演练"
    data["dimensions"][2]["items"][0].pop("basis")
    return write_checklist(tmp_path, data)


def _fill(template: Path, answers: dict[str, str], notes: dict[str, tuple[str, str]] | None = None) -> Path:
    workbook = load_workbook(template)
    sheet = workbook["答案"]
    for row in range(2, sheet.max_row + 1):
        row_id = sheet.cell(row, 2).value
        if row_id in answers:
            sheet.cell(row, 5).value = "不适用" if answers[row_id] == "N/A" else answers[row_id]
        if notes and row_id in notes:
            sheet.cell(row, 7).value, sheet.cell(row, 8).value = notes[row_id]
    filled = template.with_name("filled.xlsx")
    workbook.save(filled)
    return filled


def test_xlsx_checklist_is_the_same_checklist_and_scores_the_same(tmp_path: Path) -> None:
    yaml_checklist = load_checklist(_with_gate_and_rubric(tmp_path))
    xlsx_path = write_checklist_xlsx(yaml_checklist, tmp_path / "small.xlsx")
    xlsx_checklist = load_checklist(xlsx_path)
    assert xlsx_checklist == yaml_checklist  # every field: items, options, rubrics, gates, levels
    assert xlsx_checklist.warnings == yaml_checklist.warnings and len(xlsx_checklist.warnings) == 1
    answers = {**ANSWERS, "g-plan": "否"}
    assert score_assessment(xlsx_checklist, answers) == score_assessment(yaml_checklist, answers)


@pytest.mark.parametrize("checklist_id", ["family-emergency", "district-resilience-scorecard"])
def test_bundled_checklists_survive_the_xlsx_round_trip(tmp_path: Path, checklist_id: str) -> None:
    original = load_checklist(PROJECT_ROOT / "corpus" / "checklists" / f"{checklist_id}.yaml")
    assert load_checklist(write_checklist_xlsx(original, tmp_path / "c.xlsx")) == original


def test_xlsx_answers_give_the_same_result_as_the_json_twin(tmp_path: Path) -> None:
    checklist = load_checklist(_with_gate_and_rubric(tmp_path))
    template = write_answers_template(checklist, tmp_path / "answers-template.xlsx")
    sheet = load_workbook(template)["答案"]
    validations = sheet.data_validations.dataValidation
    assert len(validations) == checklist.item_count() + 1  # one drop-down per item and gate
    assert all(v.type == "list" for v in validations)
    filled = _fill(
        template, {**ANSWERS, "g-plan": "是"}, {"c2": ("尚未配备", r"C:\材料\照片1.jpg；清单.docx")}
    )
    answers = read_answers_xlsx(filled, checklist)
    assert answers["c2"] == {
        "answer": "0",
        "note": "尚未配备",
        "attachments": [r"C:\材料\照片1.jpg", "清单.docx"],
    }
    labels = {key: value["answer"] if isinstance(value, dict) else value for key, value in answers.items()}
    assert score_assessment(checklist, labels) == score_assessment(checklist, {**ANSWERS, "g-plan": "是"})


def test_bad_answer_cells_are_named_by_sheet_and_cell_all_at_once(tmp_path: Path) -> None:
    checklist = load_checklist(_with_gate_and_rubric(tmp_path))
    template = write_answers_template(checklist, tmp_path / "t.xlsx")
    filled = _fill(template, {"g-plan": "是", "a1": "部分完成", "a2": "1", "b1": "4", "c1": "5"})
    with pytest.raises(XlsxError) as info:
        read_answers_xlsx(filled, checklist)
    problems = info.value.problems
    # row 1 header, row 2 the gate, then a1 (row 3) … c2 (row 7)
    assert any(p.startswith("答案!E3：选项“部分完成”不在允许范围内") for p in problems), problems
    assert any(p.startswith("答案!E7：") and "未作答" in p for p in problems), problems
    assert len(problems) == 2


def test_bad_checklist_cells_are_named_and_model_problems_still_reported(tmp_path: Path) -> None:
    checklist = load_checklist(_with_gate_and_rubric(tmp_path))
    path = write_checklist_xlsx(checklist, tmp_path / "c.xlsx")
    workbook = load_workbook(path)
    workbook["条目"]["K2"] = "没有等号"
    workbook["条目"]["G3"] = "也许"
    workbook.save(path)
    with pytest.raises(XlsxError) as info:
        load_checklist(path)
    assert any(p.startswith("条目!K2：") for p in info.value.problems)
    assert any(p.startswith("条目!G3：") for p in info.value.problems)
    workbook = load_workbook(write_checklist_xlsx(checklist, tmp_path / "d.xlsx"))
    workbook["条目"]["F2"] = 0  # a weight of zero: the same model validation as YAML
    workbook.save(tmp_path / "d.xlsx")
    with pytest.raises(ChecklistError, match="weight"):
        load_checklist(tmp_path / "d.xlsx")


def test_corrupt_and_zip_bomb_workbooks_are_refused_before_parsing(tmp_path: Path) -> None:
    checklist = load_checklist(_with_gate_and_rubric(tmp_path))
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(XlsxError, match=r"不是有效的 \.xlsx"):
        read_answers_xlsx(corrupt, checklist)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (MAX_XLSX_UNCOMPRESSED + 1))
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(XlsxError, match="压缩炸弹"):
        load_checklist(bomb)
