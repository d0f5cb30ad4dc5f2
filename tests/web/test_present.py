"""Escaping and highlighting: document text can never become HTML or Markdown markup."""

from __future__ import annotations

import html
import re

from assistant.domain import Chunk
from assistant.services.compose import Citation
from assistant.web.present import answer_html, escape_text, highlight, reply_html

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "![图](http://evil.example/x.png)",
    "[点我](javascript:alert(3))",
    "<https://evil.example/a>",
    "www.evil.example/track.png",
    "$\\href{http://evil.example}{x}$",
    "**粗体** _斜体_ `代码` # 标题",
]


def _visible(markup: str) -> str:
    """What a browser shows for markup without tags (entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup.replace("<br>", "\n")))


def test_escape_text_leaves_no_markup_characters() -> None:
    for text in HOSTILE:
        escaped = escape_text(text)
        bare = re.sub(r"&#\d+;", "", escaped)  # numeric references are inert text
        assert not re.search(r"[<>\"'\[\]()!*_`#$:/\\&]", bare), escaped
        assert _visible(escaped) == text  # the reader still sees exactly the document's characters


def test_escape_text_keeps_chinese_and_line_breaks() -> None:
    assert escape_text("第一条 防汛工作。\n第二条") == "第一条 防汛工作。<br>第二条"


def test_highlight_marks_terms_and_escapes_everything_else() -> None:
    marked = highlight("发现燃气泄漏<script>x</script>，先关燃气阀门", ["燃气", "阀门", "泄"])
    assert marked.count("<mark>燃气</mark>") == 2 and "<mark>阀门</mark>" in marked
    assert "<mark>泄</mark>" not in marked  # one-character words would light up everything
    assert "<script>" not in marked and _visible(marked) == "发现燃气泄漏<script>x</script>，先关燃气阀门"


def test_highlight_prefers_the_longest_term() -> None:
    assert highlight("燃气管理条例", ["燃气", "燃气管理"]) == "<mark>燃气管理</mark>条例"


def test_answer_html_keeps_structure_but_escapes_sentences() -> None:
    text = (
        "相关依据如下：\n\n**《上海市防汛条例》第四十一条** [1]\n- 立即通知停课<img src=x>。\n1. 先撤离 [2]"
    )
    out = answer_html(text)
    assert "<strong>《上海市防汛条例》第四十一条</strong>" in out
    assert "<ul><li>立即通知停课&#60;img src&#61;x&#62;。</li></ul>" in out
    assert '<ol><li>先撤离 <sup class="cite">&#91;2&#93;</sup></li></ol>' in out
    assert "<img" not in out


def test_reply_html_shows_sources_with_passage_and_folded_article() -> None:
    chunk = Chunk("c1", "第二款 通知停课<img src=x>。", "", {"doc_type": "regulation"})
    citation = Citation(
        1, "上海市防汛条例", "f.md", "第四十一条", "第四十一条 全文……第二款 通知停课<img src=x>。", 1.0, chunk
    )
    out = reply_html("回答 [1]", [citation], ["停课"], refused=False, doc_type_labels={"regulation": "法规"})
    assert "\n" not in out  # one raw HTML block: Markdown never parses inside it
    assert "《上海市防汛条例》" in out and "第四十一条" in out and "法规" in out
    assert "<mark>停课</mark>" in out and "<details" in out and "展开全文" in out
    assert "<img" not in out


def test_reply_html_marks_a_refusal() -> None:
    out = reply_html("知识库中没有相关依据。", [], [], refused=True)
    assert 'class="refusal"' in out and "未找到可靠依据" in out and "sources" not in out


def test_sources_are_folded_one_line_each_and_show_card_markdown_as_text() -> None:
    chunk = Chunk("c2", "**第一件事：按警铃。**\n## 小节\n等待救援", "", {"doc_type": "guide"})
    citation = Citation(2, "被困电梯怎么办", "g.md", "电梯困人：先做什么", chunk.text, 1.0, chunk)
    cited = {
        2: [("《特种设备安全法》第四十三条", "第四十三条 维保单位应当及时赶到。"), ("《某条例》第九条", None)]
    }
    out = reply_html(
        "回答 [2]", [citation], ["警铃"], refused=False, doc_type_labels={"guide": "自救指南"}, cited=cited
    )
    assert '<details class="src">' in out and "<details open" not in out  # folded by default
    summary = out.split("<summary")[1].split("</summary>")[0]
    assert "被困电梯怎么办" in summary and "电梯困人" in summary and "自救指南" in summary
    assert "&#42;&#42;" not in out and "**" not in out and "&#35;&#35;" not in out  # no raw Markdown
    assert "<mark>警铃</mark>" in out
    assert 'class="src-article"' in out and "维保单位应当及时赶到" in out  # indexed: opens in place
    assert "《某条例》第九条（未收录原文）" in out  # not indexed: named only


def test_highlight_terms_are_whole_words_without_fragments_or_everyday_words() -> None:
    from types import SimpleNamespace

    from assistant.components.tokenizer import ChineseTokenizer
    from assistant.web.context import WebContext

    skip = frozenset(["已经", "怎么办"])
    holder = SimpleNamespace(tokenizer=ChineseTokenizer())
    web = WebContext(assistant=holder, policy=None, highlight_skip=skip)  # type: ignore[arg-type]
    terms = web.highlight_terms("我已经被困在电梯里了怎么办")
    assert "电梯" in terms
    assert not {"已经", "怎么办", "里的", "梯里", "在电"} & set(terms), terms
    assert all(len(t) >= 2 for t in terms)
