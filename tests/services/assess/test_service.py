"""AssessmentService: assess stores history, compares with the previous run, writes the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.services.assess import AnswerError, AssessmentService, ChecklistError, basis_citations
from assistant.settings import Settings

from .builders import small_checklist_data, write_checklist

GOOD = {"a1": "5", "a2": "0", "b1": "2", "c1": "5", "c2": "0"}
BETTER = {"a1": "5", "a2": "1", "b1": "4", "c1": "5", "c2": "0"}


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> AssessmentService:
    corpus = tmp_path / "corpus"
    write_checklist(corpus / "checklists", small_checklist_data())
    return AssessmentService(settings.model_copy(update={"corpus_dir": corpus}))


class RecordingFinder:
    """A real EvidenceFinder implementation over a fixed passage list."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, int]] = []

    def find_evidence(self, query: str, k: int) -> list[dict[str, Any]]:
        self.queries.append((query, k))
        return [
            {
                "n": 1,
                "source": "上海市防汛条例",
                "file": "f.md",
                "locator": "第十三条",
                "text": "正文",
                "score": 0.9,
            }
        ]


def test_basis_fallback_names_title_and_article() -> None:
    assert basis_citations("《上海市实施〈突发事件应对法〉办法》第二十条") == [
        {
            "n": 1,
            "source": "上海市实施〈突发事件应对法〉办法",
            "file": "",
            "locator": "第二十条",
            "text": "《上海市实施〈突发事件应对法〉办法》第二十条",
            "score": None,
        }
    ]
    seed = basis_citations("《上海全面建设安全韧性城市：经验、问题与策略》三、（二）")
    assert (seed[0]["source"], seed[0]["locator"]) == (
        "上海全面建设安全韧性城市：经验、问题与策略",
        "三、（二）",
    )


def test_assess_by_id_and_by_path_stores_history(service: AssessmentService, tmp_path: Path) -> None:
    result = service.assess("small", GOOD, org="甲街道")
    assert result.assessment_id is not None and result.assessed_at
    assert result.weak_points[0].evidence[0]["locator"] == "第十三条"
    by_path = service.assess(tmp_path / "corpus" / "checklists" / "small.yaml", GOOD, org="乙街道")
    assert by_path.total == result.total
    history = service.history()
    assert [(e.org, e.total) for e in history] == [("甲街道", result.total), ("乙街道", result.total)]
    assert history[0].result == result.to_dict()


def test_bad_answers_store_nothing(service: AssessmentService) -> None:
    with pytest.raises(AnswerError):
        service.assess("small", {"a1": "5"}, org="甲街道")
    assert service.history() == []


def test_unknown_checklist_names_the_available_ones(service: AssessmentService) -> None:
    with pytest.raises(ChecklistError, match="small"):
        service.assess("nope", GOOD)


def test_compare_with_previous_of_same_org_and_checklist(service: AssessmentService) -> None:
    first = service.assess("small", GOOD, org="甲街道")
    assert service.compare_with_previous(first) is None
    service.assess("small", GOOD, org="乙街道")  # another org never counts
    second = service.assess("small", BETTER, org="甲街道")
    comparison = service.compare_with_previous(second)
    assert comparison is not None and comparison.previous_id == first.assessment_id
    assert comparison.total_change == pytest.approx(second.total - first.total)  # type: ignore[operator]
    changes = {d.id: d.change for d in comparison.dimensions}
    assert changes["a"] == pytest.approx(100 / 3)  # a2: 0 → 1
    assert changes["b"] == pytest.approx(50.0)
    assert changes["c"] == pytest.approx(0.0)


def test_evidence_finder_is_used_for_weak_points(settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_checklist(corpus / "checklists", small_checklist_data())
    finder = RecordingFinder()
    service = AssessmentService(settings.model_copy(update={"corpus_dir": corpus}), finder, evidence_k=2)
    result = service.assess("small", GOOD, org="甲")
    assert len(finder.queries) == len(result.weak_points) == 3
    assert all(k == 2 and "条目" in query for query, k in finder.queries)
    assert result.weak_points[0].evidence[0]["file"] == "f.md"


def test_write_report_with_chart_and_comparison(service: AssessmentService, tmp_path: Path) -> None:
    service.assess("small", GOOD, org="甲街道")
    result = service.assess("small", BETTER, org="甲街道")
    md_path, chart = service.write_report(result, tmp_path / "out" / "report.md")
    text = md_path.read_text(encoding="utf-8")
    assert chart.path == tmp_path / "out" / "report.radar.png" and chart.path.stat().st_size > 1000
    assert "](data:image/png;base64," in text  # self-contained: the chart travels with the file
    assert "`a1`" not in text and "条目 a1 是否落实？" in text  # items named by their text
    assert f"总分：{result.total:.2f}" in text and f"等级：{result.level}" in text
    assert "与上次" in text and "| 抵御力 |" in text
    weak = result.weak_points[0]
    assert f"依据：{weak.basis}" in text and f"建议：{weak.advice}" in text
    assert "[1] 上海市防汛条例 第十三条" in text
