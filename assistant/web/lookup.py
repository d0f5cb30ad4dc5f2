"""The 查条文 tab: the ranked articles for a question, each with its full text — no answer.

Staff looking up "which article says this" want the list the ranker produced, not a composed
reply: the same :class:`~assistant.services.search.SearchService` as ``python -m assistant
search``, one entry per article, best first, with status (a repealed rule is marked) and the
whole article a click away.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from assistant.services.input_limits import MAX_QUESTION_CHARS
from assistant.services.search import SearchHit, SearchService
from assistant.web import present
from assistant.web.context import WebContext

logger = logging.getLogger(__name__)

#: Articles shown per lookup (the ranker's candidates beyond this are rarely the one sought).
RESULTS = 10
_STATUS_LABELS = {"repealed": "已废止", "amended": "已修改"}


def hit_html(n: int, hit: SearchHit, terms: list[str], doc_types: dict[str, str], open_: bool) -> str:
    """One ranked article: a one-line summary (title · 第X条 · type · status), the text inside."""
    meta = hit.validity or {}
    status = _STATUS_LABELS.get(str(meta.get("status", "")), "")
    repealed_by = meta.get("repealed_by") or {}
    badge = f' · <span class="src-status">{present.escape_text(status)}</span>' if status else ""
    note = ""
    if status and repealed_by:
        by = present.escape_text(f"《{repealed_by.get('title', '')}》{repealed_by.get('article', '')}")
        note = f'<p class="src-note">该规定已被{by}废止，不再现行有效。</p>'
    kind = doc_types.get(hit.doc_type, hit.doc_type)
    summary = (
        f'<span class="src-n">&#91;{n}&#93;</span> '
        f'<span class="src-title">《{present.escape_text(hit.source)}》</span>'
        + (f' · <span class="src-loc">{present.escape_text(hit.locator)}</span>' if hit.locator else "")
        + (f' · <span class="src-type">{present.escape_text(kind)}</span>' if kind else "")
        + badge
    )
    body = present.highlight(present.plain_passage(hit.text), terms)
    return (
        f'<details class="src"{" open" if open_ else ""}><summary class="src-head">{summary}</summary>'
        f'{note}<div class="src-full">{body}</div></details>'
    )


def lookup_html(ctx: WebContext, question: str, only_regulations: bool) -> str:
    """The ranked list for ``question`` as HTML, or a notice saying why there is none."""
    question = (question or "").strip()[:MAX_QUESTION_CHARS]
    if not question:
        return '<p class="hint">输入要查的内容，例如：电动自行车在楼道充电罚多少钱、防汛条例第四十一条。</p>'
    filters = {"doc_type": "regulation"} if only_regulations else None
    try:
        result = SearchService(ctx.assistant.retriever).search(question, k=RESULTS, filters=filters)
    except ValueError as exc:
        return present.error_html(str(exc))
    except Exception as exc:  # one failed lookup must not break the session
        logger.exception("lookup failed")
        return present.error_html(f"查询时出错：{exc}")
    if not result.hits:
        return '<p class="hint">没有找到相关条文。可以换个说法，或取消“只看法规条文”。</p>'
    terms = ctx.highlight_terms(question)
    items = "".join(
        hit_html(n, hit, terms, ctx.doc_types, open_=n == 1) for n, hit in enumerate(result.hits, start=1)
    )
    return (
        f'<div class="sources lookup"><div class="sources-h">按相关程度排列（{len(result.hits)} 条）'
        f'<span class="hint">点击展开全文</span></div>{items}</div>'
    )


def build(ctx: WebContext) -> None:
    """The 查条文 tab (call inside a ``gr.Blocks``/``gr.Tabs`` context)."""
    with gr.Tab("查条文", id="lookup"):
        gr.Markdown("按问题或条文名查找原文，按相关程度排列；不生成回答。已废止的规定会标出。")
        with gr.Row(equal_height=True):
            query = gr.Textbox(
                label="要查的内容",
                placeholder="例如：电动自行车在楼道充电罚多少钱",
                max_length=MAX_QUESTION_CHARS,
                scale=5,
            )
            button = gr.Button("查找", variant="primary", scale=1, min_width=88)
        only_regulations = gr.Checkbox(value=True, label="只看法规条文（不含知识卡片和研究报告）")
        results = gr.HTML(lookup_html(ctx, "", True), elem_id="lookup-results")
        inputs: list[Any] = [query, only_regulations]
        for trigger in (query.submit, button.click):
            trigger(lambda q, only: lookup_html(ctx, q, only), inputs, results, api_visibility="private")
