"""Layout repair rules on hand-made page lines (the cases generated PDFs rarely hit)."""

from __future__ import annotations

import pytest

from assistant.components.loaders.ocr_lines import boxes_to_lines
from assistant.components.loaders.pdf import page_ranges
from assistant.components.loaders.pdf_layout import chinese_number, rebuild_text, strip_page_furniture

FULL = "这是一行排满的正文内容用来设定典型行宽度而已"  # 23 CJK characters


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("三十五", 35),
        ("一百零五", 105),
        ("两百", 200),
        ("42", 42),
    ],
)
def test_chinese_number(token: str, value: int) -> None:
    assert chinese_number(token) == value


def test_chinese_number_rejects_other_text() -> None:
    assert chinese_number("甲") is None


@pytest.mark.parametrize("footer", ["— 3 —", "- 3 -", "第3页", "3", "3/10", "第 3 页 共 10 页", "Page 3"])
def test_page_number_lines_are_removed_at_page_edges(footer: str) -> None:
    pages = strip_page_furniture([[FULL, "第一条 正文。", footer]])
    assert pages == [[FULL, "第一条 正文。"]]


def test_numbers_inside_the_page_are_kept() -> None:
    lines = ["甲", "乙", "丙", "3", "丁", "戊", "己"]
    assert strip_page_furniture([lines]) == [lines]


def test_running_header_with_changing_digits_is_removed() -> None:
    bodies = ["第一条 甲。", "第二条 乙。", "第三条 丙。", "第四条 丁。"]
    pages = [[f"示例公报 2024年第{n}期", body, f"第{n}页"] for n, body in enumerate(bodies, start=1)]
    assert strip_page_furniture(pages) == [[body] for body in bodies]


def test_wrapped_reference_does_not_start_a_new_article() -> None:
    text, _ = rebuild_text(
        [["第六条 违反本条例规定的，依照本条例", "第三条规定的程序处理；情节严重的，依法追究责任。", FULL]]
    )
    assert text.startswith("第六条 违反本条例规定的，依照本条例第三条规定的程序处理；")


def test_ocr_article_without_space_is_recognised_and_spaced() -> None:
    text, _ = rebuild_text(
        [
            [
                "第一条为了做好防灾工作，保障居民的生命安全和",
                "财产安全，制定本条例。",
                "第二条本条例适用于本市。",
            ]
        ]
    )
    assert text.split("\n\n") == [
        "第一条 为了做好防灾工作，保障居民的生命安全和财产安全，制定本条例。",
        "第二条 本条例适用于本市。",
    ]


def test_breaks_kept_after_sentence_end_before_items_and_at_headings() -> None:
    lines = [
        "第一章总则",
        "第一条 各单位应当做好下列工作：",
        "（一）检查设施；",
        "一、总体要求",
        FULL,
        FULL,
        FULL,
        "，其余部分。",
        "第二节 专门规定",
        "第二条 正文。",
    ]
    text, _ = rebuild_text([lines])
    assert text.split("\n\n") == [
        "## 第一章 总则",
        "第一条 各单位应当做好下列工作：",
        "（一）检查设施；",
        "一、总体要求",
        FULL * 3 + "，其余部分。",  # wrapped lines join; punctuation pushed down joins back
        "### 第二节 专门规定",
        "第二条 正文。",
    ]


def test_latin_words_join_with_a_space() -> None:
    text, _ = rebuild_text(
        [["The emergency hotline number for the city water", "authority is listed below."]]
    )
    assert text == "The emergency hotline number for the city water authority is listed below."


def test_blank_pages_still_get_a_page_span() -> None:
    text, spans = rebuild_text([["第一条 正文。"], [], ["第二条 正文。"]])
    assert [span.page for span in spans] == [1, 2, 3]
    assert text[spans[2].offset :] == "第二条 正文。"


def test_ocr_boxes_are_grouped_into_lines_in_reading_order() -> None:
    def box(x: float, y: float, w: float, h: float = 30) -> list[list[float]]:
        return [[x, y], [x + w, y + 2], [x + w, y + h + 2], [x, y + h]]

    results = [
        (box(400, 102, 300), "为了做好工作", 0.98),
        (box(100, 100, 250), "第一条", 0.99),
        (box(100, 150, 500), "下一行内容", 0.97),
        (box(100, 200, 500), "噪点", 0.2),
    ]
    assert boxes_to_lines(results) == ["第一条为了做好工作", "下一行内容"]


def test_page_ranges() -> None:
    assert page_ranges([1, 2, 3, 5, 7, 8]) == "1-3、5、7-8"
