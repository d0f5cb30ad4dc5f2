"""Unit tests of the knowledge-pack helpers on small texts written by the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assistant.components.knowledge_pack import (
    CardFormatError,
    extract_citations,
    extract_seed_citations,
    index_regulations,
    index_seed_sections,
    load_vocabulary,
    parse_card,
    regulation_articles,
    regulation_key,
)

CARD = """---
title: 家中燃气泄漏怎么办
doc_type: guide
audience: [resident]
hazards: [gas]
sources:
  - 《上海市燃气管理条例》第四十五条
  - 公共安全常识
updated: 2026-11-25
---

# 家中燃气泄漏怎么办

## 燃气泄漏：先做什么

1. 开窗通风（依据：公共安全常识）。
"""


def test_parse_card_reads_front_matter_and_body() -> None:
    card = parse_card(CARD, "gas.md", load_vocabulary())
    assert card.meta.title == "家中燃气泄漏怎么办"
    assert card.meta.audience == ("resident",)
    assert card.meta.hazards == ("gas",)
    assert card.meta.sources[0] == "《上海市燃气管理条例》第四十五条"
    assert card.meta.updated == dt.date(2026, 11, 25)
    assert card.body.lstrip().startswith("# 家中燃气泄漏怎么办")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (CARD.replace("doc_type: guide\n", ""), "doc_type"),
        (CARD.replace("hazards: [gas]", "hazards: [gas, meteor]"), "meteor"),
        (CARD.replace("doc_type: guide", "doc_type: poem"), "poem"),
        (CARD.replace("audience: [resident]", "audience: []"), "audience"),
        (CARD.replace("2026-11-25", "昨天"), "updated"),
        (CARD.replace("title: 家中燃气泄漏怎么办", "title: [a: b"), "YAML"),
        (CARD.removeprefix("---\n"), "YAML 头部"),
    ],
)
def test_parse_card_names_the_problem(broken: str, message: str) -> None:
    with pytest.raises(CardFormatError) as info:
        parse_card(broken, "gas.md", load_vocabulary())
    assert "gas.md" in str(info.value)
    assert message in str(info.value)


def test_unknown_hazard_passes_without_a_vocabulary() -> None:
    card = parse_card(CARD.replace("hazards: [gas]", "hazards: [meteor]"), "gas.md")
    assert card.meta.hazards == ("meteor",)


def test_extract_citations_handles_runs_nesting_and_paragraphs() -> None:
    text = (
        "（依据：《上海市实施〈突发事件应对法〉办法》第二十五条）"
        "（依据：《上海市非机动车安全管理条例》第二十九条第二款、第四十四条）"
        "《中华人民共和国消防法》第四十四条；《上海全面建设安全韧性城市：经验、问题与策略》三、（六）"
    )
    assert extract_citations(text) == [
        ("上海市实施〈突发事件应对法〉办法", "第二十五条"),
        ("上海市非机动车安全管理条例", "第二十九条"),
        ("上海市非机动车安全管理条例", "第四十四条"),
        ("中华人民共和国消防法", "第四十四条"),
    ]


def test_extract_seed_citations_reads_part_subsection_and_item() -> None:
    title = "《上海全面建设安全韧性城市：经验、问题与策略》"
    text = f"{title}三、（六） {title}四、(二)5 {title}一、"
    assert extract_seed_citations(text) == [("三", "六", None), ("四", "二", "5"), ("一", None, None)]


def test_regulation_key_matches_citations_to_file_names() -> None:
    assert regulation_key("上海市实施《突发事件应对法》办法(2018-05-24).md") == regulation_key(
        "上海市实施〈突发事件应对法〉办法"
    )
    assert regulation_key("消防法(2021-04-29).md") == regulation_key("中华人民共和国消防法")
    assert regulation_key("上海市燃气管理条例.md") == "上海市燃气管理条例"


def test_index_regulations_lists_articles_that_open_a_line(tmp_path: Path) -> None:
    (tmp_path / "示例条例(2020-01-01).md").write_text(
        "# 示例条例\n\n## 第一章 总则\n\n第一条 目的。\n\n"
        "第十条 见本条例第十一条。\n\n第十二条\u3000内容。\n",
        encoding="utf-8",
    )
    index = index_regulations(tmp_path)
    assert index == {"示例条例": {"第一条", "第十条", "第十二条"}}
    assert "第十一条" not in regulation_articles("第十条 见本条例第十一条。")


def test_index_seed_sections_nests_subsections_under_parts() -> None:
    paper = "一、风险\n(一)气候\n(二)流动\n二、经验\n（一）防疫\n1.领导\n2. 法治\n1329.35万人次\n"
    sections = index_seed_sections(paper)
    assert ("一", "二", None) in sections
    assert ("二", "一", "2") in sections
    assert ("二", "二", None) not in sections
    assert ("二", "一", "1329") not in sections


def test_load_vocabulary_reports_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.yaml").write_text("doc_types: {guide: 指南}\naudiences: {}\n", encoding="utf-8")
    with pytest.raises(CardFormatError, match="audiences"):
        load_vocabulary(tmp_path)
    assert "gas" in load_vocabulary().hazards


def test_title_key_matches_citations_and_file_names() -> None:
    from assistant.components.knowledge_pack import title_key

    assert title_key("《上海市实施〈突发事件应对法〉办法》") == title_key(
        "上海市实施《中华人民共和国突发事件应对法》办法(2018-05-24).md"
    )
    assert title_key("消防法") == title_key("中华人民共和国消防法")
    assert title_key("上海市防汛条例") != title_key("防汛条例")
