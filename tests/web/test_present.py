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
