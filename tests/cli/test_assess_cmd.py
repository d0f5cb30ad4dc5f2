"""``assess``, ``checklists`` and ``history`` through the real command line (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.services.assess import load_checklists
from assistant.settings import PROJECT_ROOT

BUNDLED = PROJECT_ROOT / "corpus" / "checklists"


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # An empty index of its own: evidence then falls back to each item's basis (deterministic).
    env = {
        **os.environ,
        "RESILIENCE_DATA_DIR": str(data_dir),
        "RESILIENCE_INDEX_DIR": str(data_dir / "index"),
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def family_answers(best: bool) -> dict[str, str]:
    checklist = load_checklists(BUNDLED)["family-emergency"]
    pick = max if best else min
    return {
        item.id: pick(item.options, key=lambda option: option.score).label for _, item in checklist.items()
    }


@pytest.mark.slow
def test_assess_prints_json_writes_report_and_history_survives_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    weak = tmp_path / "weak.json"
    weak.write_text(json.dumps(family_answers(best=False), ensure_ascii=False), encoding="utf-8")
    first = run_cli(data, "assess", "family-emergency", str(weak), "--org", "张家", "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert list(out) == [
        "checklist", "version", "org", "total", "level", "dimensions",
        "weak_points", "critical_failed", "gates", "level_before_gates", "item_evidence", "assessed_at",
    ]  # fmt: skip
    assert (out["checklist"], out["org"], out["total"], out["level"]) == (
        "family-emergency",
        "张家",
        0.0,
        "亟需改进",
    )
    assert "ebike-indoor" in out["critical_failed"]
    top = out["weak_points"][0]
    assert set(top) == {"item", "text", "ratio", "gain", "basis", "advice", "evidence"}
    assert top["evidence"][0]["source"] in top["basis"]
    assert all(round(w["gain"], 2) == w["gain"] for w in out["weak_points"])

    good = tmp_path / "good.json"
    good.write_text(json.dumps(family_answers(best=True), ensure_ascii=False), encoding="utf-8")
    report = tmp_path / "report.md"
    second = run_cli(data, "assess", "family-emergency", str(good), "--org", "张家", "--report", str(report))
    assert second.returncode == 0, second.stderr
    assert "总分 100.00" in second.stdout and "准备充分" in second.stdout
    assert "与上次" in second.stdout and "+100.00" in second.stdout
    assert report.exists() and (tmp_path / "report.radar.png").stat().st_size > 1000

    history = run_cli(data, "history", "--org", "张家", "--json")  # a new process: read from disk
    assert history.returncode == 0, history.stderr
    totals = [(a["checklist"], a["total"]) for a in json.loads(history.stdout)["assessments"]]
    assert totals == [("family-emergency", 0.0), ("family-emergency", 100.0)]


@pytest.mark.slow
def test_bad_answers_exit_2_listing_items_and_labels(tmp_path: Path) -> None:
    answers = family_answers(best=True)
    answers["kit-bag"] = "也许"
    del answers["plan-escape"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = run_cli(tmp_path / "data", "assess", "family-emergency", str(path))
    assert result.returncode == 2
    assert "kit-bag" in result.stderr and "plan-escape" in result.stderr and "“齐全”" in result.stderr
    assert run_cli(tmp_path / "data", "history", "--json").stdout.strip() == '{"assessments": []}'


@pytest.mark.slow
def test_checklists_lists_the_bundled_ones(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "data", "checklists", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)["checklists"]}
    assert set(rows) == {
        "community-disaster-readiness",
        "department-resilience",
        "family-emergency",
        "district-resilience-scorecard",
    }
    assert rows["family-emergency"]["audience"] == "resident"
    assert all(20 <= row["items"] <= 40 for row in rows.values())


def test_round_numbers_only_rounds_floats() -> None:
    from assistant.cli.assess_cmd import round_numbers

    assert round_numbers({"a": [1.23456, 2], "b": None, "c": "x"}) == {"a": [1.23, 2], "b": None, "c": "x"}


@pytest.mark.slow
def test_excel_round_trip_docx_report_trend_and_district_from_the_command_line(tmp_path: Path) -> None:
    """A department's whole Excel route: export its checklist and a blank sheet, fill the sheet,
    score it with a Word report, then compare over time and across organisations."""
    from docx import Document
    from openpyxl import load_workbook

    data = tmp_path / "data"
    checklist_xlsx, sheet_xlsx = tmp_path / "清单.xlsx", tmp_path / "答题表.xlsx"
    exported = run_cli(data, "assess", "family-emergency", "--export-checklist-template", str(checklist_xlsx))
    assert exported.returncode == 0, exported.stderr
    blank = run_cli(data, "assess", str(checklist_xlsx), "--export", str(sheet_xlsx))
    assert blank.returncode == 0, blank.stderr
    assert history_count(data) == 0  # exporting scores nothing

    best = family_answers(best=True)
    workbook = load_workbook(sheet_xlsx)
    sheet = workbook["答案"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 5).value = best[str(sheet.cell(row, 2).value)]
    sheet.cell(2, 7).value = "已在客厅张贴疏散路线图"
    sheet.cell(2, 8).value = "路线图.jpg；照片2.png"
    workbook.save(sheet_xlsx)

    report = tmp_path / "自评报告.docx"
    scored = run_cli(
        data,
        "assess",
        str(checklist_xlsx),
        str(sheet_xlsx),
        "--org",
        "李家",
        "--report",
        str(report),
        "--json",
    )
    assert scored.returncode == 0, scored.stderr
    out = json.loads(scored.stdout)
    twin = json.loads(  # the same answers as JSON against the bundled YAML: the same result
        run_cli(tmp_path / "twin", "assess", "family-emergency", str(_json(tmp_path, best)), "--json").stdout
    )
    assert (out["total"], out["level"], out["dimensions"]) == (
        twin["total"],
        twin["level"],
        twin["dimensions"],
    )
    first_item = str(sheet.cell(2, 2).value)
    assert out["item_evidence"][first_item] == {
        "note": "已在客厅张贴疏散路线图",
        "attachments": ["路线图.jpg", "照片2.png"],
    }
    document = Document(str(report))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = "\n".join([p.text for p in document.paragraphs] + cells)
    assert "李家" in text and "已在客厅张贴疏散路线图" in text
    assert any(r.reltype.endswith("/image") for r in document.part.rels.values())

    weak = _json(tmp_path, family_answers(best=False))
    assert run_cli(data, "assess", "family-emergency", str(weak), "--org", "李家").returncode == 0
    assert run_cli(data, "assess", "family-emergency", str(weak), "--org", "王家").returncode == 0
    chart = tmp_path / "trend.png"
    trend = run_cli(
        data,
        "history",
        "--trend",
        "--org",
        "李家",
        "--checklist",
        "family-emergency",
        "--chart",
        str(chart),
        "--json",
    )
    assert trend.returncode == 0, trend.stderr
    totals = [point["total"] for point in json.loads(trend.stdout)["trend"]]
    assert totals == [100.0, 0.0] and chart.stat().st_size > 1000
    district = run_cli(data, "history", "--district", "--checklist", "family-emergency", "--json")
    assert district.returncode == 0, district.stderr
    rows = json.loads(district.stdout)["district"]
    assert {row["org"] for row in rows} == {"李家", "王家"}  # the latest of each organisation

    bad = load_workbook(sheet_xlsx)
    bad["答案"].cell(3, 5).value = "部分完成"
    bad.save(sheet_xlsx)
    refused = run_cli(data, "assess", str(checklist_xlsx), str(sheet_xlsx))
    assert refused.returncode == 2 and "答案!E3" in refused.stderr and "部分完成" in refused.stderr


def _json(folder: Path, answers: dict[str, str]) -> Path:
    path = folder / f"answers-{len(list(folder.glob('answers-*.json')))}.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return path


def history_count(data: Path) -> int:
    result = run_cli(data, "history", "--json")
    return len(json.loads(result.stdout)["assessments"])
