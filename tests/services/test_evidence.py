"""Weak points of a self-assessment carry the indexed passage behind each item's basis."""

from __future__ import annotations

import pytest

from assistant.factory import Assistant
from assistant.services.evidence import RetrievalEvidenceFinder

pytestmark = pytest.mark.slow


def test_basis_article_is_found_first(sample_assistant: Assistant) -> None:
    finder = RetrievalEvidenceFinder(sample_assistant.retriever)
    found = finder.find_evidence("是否组织危险区域居民转移？ 《上海市社区防灾示例条例》第三条", k=3)
    assert found[0]["source"] == "上海市社区防灾示例条例"
    assert found[0]["locator"].endswith("第三条")
    assert "转移到避难场所" in found[0]["text"]
    assert [c["n"] for c in found] == list(range(1, len(found) + 1))
    assert set(found[0]) == {"n", "source", "file", "locator", "text", "score"}


def test_assessor_uses_retrieval_for_evidence(sample_assistant: Assistant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    checklist = tmp_path / "mini.yaml"
    checklist.write_text(
        """id: mini
title: 迷你自评
version: 1
audience: staff
levels:
  - {min: 60, label: 合格}
  - {min: 0, label: 待改进}
critical_cap: 待改进
dimensions:
  - id: d1
    title: 转移
    weight: 1
    items:
      - id: i1
        text: 是否组织危险区域居民转移到避难场所？
        weight: 1
        basis: 《上海市社区防灾示例条例》第三条
        advice: 汛前明确转移对象和避难场所。
        options:
          - {label: 否, score: 0}
          - {label: 是, score: 1}
""",
        encoding="utf-8",
    )
    service = sample_assistant.assessor
    result = service.assess(checklist, {"i1": "否"}, org="测试街道")
    evidence = result.weak_points[0].evidence
    assert evidence[0]["locator"].endswith("第三条")
    assert evidence[0]["file"] == "上海市社区防灾示例条例.md"
