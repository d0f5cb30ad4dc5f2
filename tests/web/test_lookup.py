"""The 查条文 tab's HTML over a real small index: ranked articles with their text, the filter,
a repealed rule marked, and bad input answered with a notice (no answer is composed)."""

from __future__ import annotations

import pytest

from assistant.factory import build_assistant
from assistant.settings import load_settings
from assistant.web.context import WebContext
from assistant.web.lookup import lookup_html
from tests.services.conftest import GUIDE, REGULATION
from tests.services.test_repealed_answers import NEW, NEW_NAME, OLD, OLD_NAME

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> WebContext:
    root = tmp_path_factory.mktemp("lookup")
    docs = root / "docs"
    docs.mkdir()
    for name, text in (
        ("上海市社区防灾示例条例.md", REGULATION),
        ("home-fire.md", GUIDE),
        (OLD_NAME, OLD),
        (NEW_NAME, NEW),
    ):
        (docs / name).write_text(text, encoding="utf-8")
    assistant = build_assistant(load_settings(index_dir=root / "index", data_dir=root / "data"))
    assistant.ingest_service.ingest([docs])
    return WebContext.create(assistant)


def test_ranked_articles_with_their_full_text(ctx: WebContext) -> None:
    html = lookup_html(ctx, "楼道里给电瓶车充电罚多少钱", True)
    first = html.split('<details class="src"', 2)[1]
    assert " open" in first.split(">", 1)[0]  # the best article is shown open
    assert "第七条" in first and "二百元以下罚款" in first
    assert "家中着火" not in html  # only regulations
    assert "<script" not in html


def test_cards_are_included_when_the_filter_is_off(ctx: WebContext) -> None:
    assert "家中着火" in lookup_html(ctx, "家里着火了不要坐电梯", False)


def test_a_repealed_rule_is_marked(ctx: WebContext) -> None:
    html = lookup_html(ctx, "小区的避雷装置要多久检测一次", True)
    old = next(part for part in html.split('<details class="src"')[1:] if "示例防雷法" in part)
    assert "已废止" in old and "上海市示例防雷条例" in old
    current = next(part for part in html.split('<details class="src"')[1:] if "示例防雷条例》" in part[:200])
    assert "已废止" not in current.split("</summary>", 1)[0]


def test_empty_and_oversized_questions_get_a_notice(ctx: WebContext) -> None:
    assert "输入要查的内容" in lookup_html(ctx, "   ", True)
    html = lookup_html(ctx, "台风" * 400, True)  # cut to the question limit, never an error page
    assert "出错" not in html
