"""关于 tab: what the pack holds, where its facts come from, and what it is not.

The fixed text lives in ``content/about.md``; the counts (documents by type, regulations
indexed) and the emergency numbers with their basis are read when the page loads, so they
always describe the index actually being served.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import gradio as gr

from assistant.web import present
from assistant.web.context import CONTENT_DIR, WebContext


def emergency_banner(ctx: WebContext) -> str:
    """The always-visible strip of emergency numbers (from ``corpus/emergency_numbers.yaml``)."""
    rules = ctx.emergency.get("rules") or []
    # tel: links so a phone dials with one tap (digits only: nothing else can reach the href)
    numbers = "".join(
        f'<a class="num" href="tel:{re.sub(r"[^0-9]", "", str(r.get("number", "")))}" '
        f'title="{present.escape_text(str(r.get("label", "")))}">'
        f"<b>{present.escape_text(str(r.get('number', '')))}</b> "
        f'<span class="lab">{present.escape_text(str(r.get("label", "")))}</span>'
        f'<span class="lab-short">{present.escape_text(str(r.get("short") or r.get("label", "")))}</span></a>'
        for r in rules
    )
    always = present.escape_text(str(ctx.emergency.get("always", "")))
    return (
        '<div id="emergency" class="emergency" role="region" aria-label="紧急求助电话">'
        f'<span class="em-h">紧急求助</span>{numbers}<span class="em-note">{always}</span></div>'
    )


def index_summary(ctx: WebContext) -> str:
    """Counts of the indexed documents by type and the regulations they include."""
    entries = ctx.assistant.manifest.entries().values()
    by_type = Counter(entry.doc_type for entry in entries)
    counts = "、".join(
        f"{present.escape_text(ctx.doc_types.get(t, t or '其他'))} {n} 份" for t, n in by_type.most_common()
    )
    regulations = sorted({e.title for e in entries if e.doc_type in ("regulation", "policy") and e.title})
    chunks = sum(entry.chunk_count for entry in entries)
    parts = [f"<p>当前索引共 {len(entries)} 份文档、{chunks} 个片段：{counts or '（空）'}。</p>"]
    if regulations:
        titles = "".join(f"<li>《{present.escape_text(t)}》</li>" for t in regulations)
        parts.append(
            f"<details><summary>收录的法规和政策文件（{len(regulations)} 部）</summary>"
            f"<ul>{titles}</ul></details>"
        )
    esc = present.escape_text
    basis = "".join(
        f"<li>{esc(str(r.get('number', '')))}（{esc(str(r.get('label', '')))}）："
        f"{esc(str(r.get('basis', '')))}</li>"
        for r in ctx.emergency.get("rules") or []
    )
    if basis:
        parts.append(f"<p>求助电话及其依据：</p><ul>{basis}</ul>")
    return f'<div class="about-index">{"".join(parts)}</div>'


def build(ctx: WebContext, demo: gr.Blocks) -> None:
    """The 关于 tab."""
    with gr.Tab("关于", id="about"):
        gr.Markdown((CONTENT_DIR / "about.md").read_text(encoding="utf-8"), elem_id="about-text")
        summary = gr.HTML(elem_id="about-index")

    def load() -> Any:
        return index_summary(ctx)

    demo.load(load, None, summary, api_visibility="private")
