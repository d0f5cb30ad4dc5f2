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
