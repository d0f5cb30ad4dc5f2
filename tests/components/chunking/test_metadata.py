from __future__ import annotations

import datetime as dt

import pytest

from assistant.components.chunking import DocumentMeta, infer_document_meta
from assistant.components.chunking.metadata import clean_title, infer_doc_type, infer_jurisdiction
from tests.components.chunking.conftest import MakeDoc

ARTICLES = "\n\n".join(f"第{n}条 本条规定第{n}项事务。" for n in "一二三四")


def test_front_matter_wins_over_inference(make_doc: MakeDoc) -> None:
    doc = make_doc(
        "gas-leak(2020-01-01).md",
        "# 另一个标题\n\n正文。",
        front_matter={
            "title": "《家中燃气泄漏怎么办》",
            "doc_type": "guide",
            "jurisdiction": "上海",
            "updated": dt.date(2026, 11, 25),
            "audience": ["resident", "staff"],
            "hazards": ["gas", "fire"],
        },
    )
    meta = infer_document_meta(doc)
    assert meta == DocumentMeta(
        doc_id=doc.content_hash[:16],
        title="家中燃气泄漏怎么办",
        file="gas-leak(2020-01-01).md",
        doc_type="guide",
        jurisdiction="上海",
        version_date="2026-11-25",
        audience=("resident", "staff"),
        hazards=("gas", "fire"),
    )


def test_unknown_front_matter_doc_type_is_inferred_instead(make_doc: MakeDoc) -> None:
    doc = make_doc("x.md", f"# 某市排水条例\n\n{ARTICLES}", front_matter={"doc_type": "law"})
    assert infer_document_meta(doc).doc_type == "regulation"


def test_regulation_metadata_from_heading_file_name_and_articles(make_doc: MakeDoc) -> None:
    doc = make_doc("上海市排水条例(2021-11-25).md", f"# 上海市排水条例\n\n{ARTICLES}")
    meta = infer_document_meta(doc)
    assert (meta.title, meta.doc_type, meta.jurisdiction, meta.version_date) == (
        "上海市排水条例",
        "regulation",
        "上海",
        "2021-11-25",
    )
    assert meta.audience == () and meta.hazards == ()


def test_version_date_falls_back_to_latest_preamble_date(make_doc: MakeDoc) -> None:
    text = (
        "# 城镇应急条例\n\n2001年3月5日 某次会议通过\n\n2019年10月2日 某次会议第二次修正\n\n"
        f"2008年1月1日 某次会议第一次修正\n\n## 第一章 总则\n\n{ARTICLES}\n\n第五条 自2030年1月1日起施行。"
    )
    meta = infer_document_meta(make_doc("城镇应急条例.md", text))
    assert meta.version_date == "2019-10-02"  # latest preamble date; dates inside articles ignored
    assert meta.jurisdiction == "国家"


def test_version_date_from_loader_preamble_and_chinese_numeral_dates(make_doc: MakeDoc) -> None:
    doc = make_doc(
        "某条例.md",
        f"# 某条例\n\n{ARTICLES}",
        front_matter={"preamble": "二〇一一年五月二十七日 修订\n2003年8月8日 通过"},
    )
    assert infer_document_meta(doc).version_date == "2011-05-27"


def test_guides_without_dates_have_empty_version_date(make_doc: MakeDoc) -> None:
    meta = infer_document_meta(make_doc("note.md", "# 高温防护\n\n2020年7月1日那天很热。"))
    assert meta.version_date == ""
    assert meta.doc_type == "guide"
    assert meta.jurisdiction == ""


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("某市防汛条例", ARTICLES, "regulation"),
        ("某市物业管理规定（试行）", ARTICLES, "regulation"),
        ("某市防汛条例", "只有一段说明。", "guide"),  # no articles: not treated as a regulation
        ("关于加强城市安全工作的意见", "一、总体要求\n（一）指导思想", "policy"),
        ("某区防汛工作方案", "内容。", "policy"),
        ("城市韧性研究", "【摘 要】：本文讨论……\n关键词：韧性", "paper"),
        ("城市韧性研究", "一、问题\n（一）基础设施\n二、对策", "paper"),
        ("居家安全小贴士", "关好门窗。", "guide"),
    ],
)
def test_infer_doc_type(title: str, text: str, expected: str) -> None:
    assert infer_doc_type(title, text) == expected


@pytest.mark.parametrize(
    ("title", "doc_type", "expected"),
    [
        ("上海市防汛条例", "regulation", "上海"),
        ("北京市消防条例", "regulation", "北京"),
        ("浙江省某某条例", "regulation", "浙江"),
        ("黑龙江省某某办法", "regulation", "黑龙江"),
        ("中华人民共和国消防法", "regulation", "国家"),
        ("防汛条例", "regulation", "国家"),
        ("国务院关于某事的通知", "policy", "国家"),
        ("上海全面建设安全韧性城市", "paper", "上海"),
        ("家中燃气泄漏怎么办", "guide", ""),
    ],
)
def test_infer_jurisdiction(title: str, doc_type: str, expected: str) -> None:
    assert infer_jurisdiction(title, doc_type) == expected


def test_title_falls_back_to_first_short_line_then_file_stem(make_doc: MakeDoc) -> None:
    assert infer_document_meta(make_doc("a.txt", "\n  城市韧性报告  \n\n正文。")).title == "城市韧性报告"
    long_line = "这是一段很长的正文" * 10
    assert infer_document_meta(make_doc("报告(2020-01-02).txt", long_line)).title == "报告"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("《上海市防汛条例》", "上海市防汛条例"),
        ("  上海市防汛条例 ", "上海市防汛条例"),
        ("上海市实施《中华人民共和国气象法》办法", "上海市实施《中华人民共和国气象法》办法"),
        ("《甲》与《乙》", "《甲》与《乙》"),
    ],
)
def test_clean_title_strips_only_enclosing_brackets(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected
