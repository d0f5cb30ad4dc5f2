"""Turning results into HTML for the web app — and nothing from a document into markup.

Document text is untrusted: a regulation pasted from a web page, or an uploaded file, may hold
``<script>``, ``<img src=…>`` or a Markdown image ``![](http://…)`` whose URL would leak what a
user reads the moment it renders. Gradio's chatbot runs Markdown over messages, so escaping
HTML alone is not enough: :func:`escape_text` also turns every ASCII punctuation character
into a numeric character reference. The browser shows the same characters, but no Markdown
or HTML syntax (image, link, autolink, emphasis, LaTeX) can form from them. Every string that
came from a document, a user or an uploaded file passes through it; only the fixed tags
written in this module are markup.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: ASCII punctuation → numeric references (covers & < > " ' as well as Markdown syntax).
_ENTITIES = {ord(ch): f"&#{ord(ch)};" for ch in string.punctuation}
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CITE_MARK = re.compile(r"\[(\d{1,2})\]")
_ORDERED = re.compile(r"^(\d{1,2})[.．]\s+")
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)


def escape_text(text: str) -> str:
    """Text shown as itself in HTML *and* Markdown; newlines become ``<br>``."""
    escaped = str(text).translate(_ENTITIES)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` escaped, with every occurrence of ``terms`` wrapped in ``<mark>`` (longest first)."""
    words = sorted({t for t in terms if len(t.strip()) >= 2}, key=lambda t: (-len(t), t))
    if not words:
        return escape_text(text)
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out: list[str] = []
    pos = 0
    for match in pattern.finditer(text):
        out.append(escape_text(text[pos : match.start()]))
        out.append(f"<mark>{escape_text(match.group(0))}</mark>")
        pos = match.end()
    out.append(escape_text(text[pos:]))
    return "".join(out)


def _inline(line: str) -> str:
    """One line of an answer: ``**bold**`` and ``[n]`` markers kept as markup, the rest escaped."""
    parts: list[str] = []
    pos = 0
    for match in _BOLD.finditer(line):
        parts.append(_cites(line[pos : match.start()]))
        parts.append(f"<strong>{_cites(match.group(1))}</strong>")
        pos = match.end()
    parts.append(_cites(line[pos:]))
    return "".join(parts)


def _cites(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _CITE_MARK.finditer(text):
        out.append(escape_text(text[pos : match.start()]))
        out.append(f'<sup class="cite">&#91;{match.group(1)}&#93;</sup>')
        pos = match.end()
    out.append(escape_text(text[pos:]))
    return "".join(out)


def answer_html(text: str) -> str:
    """An answer's text (lines, ``- `` items, ``1. `` steps, ``**source**`` heads) as safe HTML."""
    blocks: list[str] = []
    items: list[str] = []
    kind = ""

    def flush() -> None:
        nonlocal items, kind
        if items:
            blocks.append(f"<{kind}>{''.join(items)}</{kind}>")
        items, kind = [], ""

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        ordered = _ORDERED.match(line)
        if line.startswith(("- ", "• ")) or ordered:
            wanted = "ol" if ordered else "ul"
            if kind != wanted:
                flush()
                kind = wanted
            body = line[ordered.end() :] if ordered else line[2:]
            items.append(f"<li>{_inline(body)}</li>")
            continue
        flush()
        if line:
            blocks.append(f"<p>{_inline(line)}</p>")
    flush()
    return "".join(blocks)


def plain_passage(text: str) -> str:
    """A passage without the Markdown emphasis and heading marks its card was written with.

    The text is escaped afterwards anyway (``**`` would show literally); removing the marks
    first shows the words as a reader expects instead of ``**第一件事……**``.
    """
    text = _BOLD.sub(r"\1", text)
    return _HEADING.sub("", text)


def _source_line(citation: Any, doc_type_label: str) -> str:
    """The one-line summary of a source: [n] 《title》 · locator · type."""
    loc = f' · <span class="src-loc">{escape_text(citation.locator)}</span>' if citation.locator else ""
    tag = f' · <span class="src-type">{escape_text(doc_type_label)}</span>' if doc_type_label else ""
    return (
        f'<span class="src-n">&#91;{int(citation.n)}&#93;</span> '
        f'<span class="src-title">《{escape_text(citation.source)}》</span>{loc}{tag}'
    )


def _cited_html(articles: Sequence[tuple[str, str | None]], terms: Sequence[str]) -> str:
    """The articles a card cites: each indexed one folded in place, the others named only."""
    if not articles:
        return ""
    items = []
    for label, text in articles:
        if text:
            items.append(
                f'<details class="src-article"><summary>{escape_text(label)}</summary>'
                f'<div class="src-full">{highlight(plain_passage(text), terms)}</div></details>'
            )
        else:
            items.append(f'<div class="src-article missing">{escape_text(label)}（未收录原文）</div>')
    return f'<div class="src-cites"><div class="src-cites-h">所依据的条文</div>{"".join(items)}</div>'


def citation_html(
    citation: Any,
    terms: Sequence[str],
    doc_type_label: str = "",
    cited: Sequence[tuple[str, str | None]] = (),
) -> str:
    """One source, folded to a single line; opened: the passage, the whole article, what it cites."""
    chunk = getattr(citation, "chunk", None)
    passage = chunk.text if chunk is not None else citation.text
    full = citation.text
    body = f'<div class="src-passage">{highlight(plain_passage(passage), terms)}</div>'
    more = ""
    if full and full.strip() != passage.strip():
        more = (
            '<details class="src-more"><summary>展开全文</summary>'
            f'<div class="src-full">{highlight(plain_passage(full), terms)}</div></details>'
        )
    return (
        f'<details class="src"><summary class="src-head">{_source_line(citation, doc_type_label)}</summary>'
        f"{body}{more}{_cited_html(cited, terms)}</details>"
    )


def reply_html(
    answer: str,
    citations: Sequence[Any],
    terms: Sequence[str],
    refused: bool,
    notes: Sequence[str] = (),
    doc_type_labels: dict[str, str] | None = None,
    cited: Mapping[int, Sequence[tuple[str, str | None]]] | None = None,
) -> str:
    """A finished reply: refusal notice or answer, then its sources — one line, no blank lines.

    Gradio runs Markdown over chat messages; a single ``<div>`` line is one raw HTML block,
    so Markdown never touches the (already escaped) contents. Sources start folded (one line
    each) so that on a phone the answer, not the passages it already quotes, fills the screen.
    ``cited`` maps a citation number to the articles that source cites (label, text or None).
    """
    labels = doc_type_labels or {}
    if refused:
        notice = (
            f'<div class="refusal"><strong>未找到可靠依据，暂不作答。</strong>{answer_html(answer)}</div>'
        )
        return f'<div class="reply">{notice}</div>'
    parts = [f'<div class="answer">{answer_html(answer)}</div>']
    shown_notes = [n for n in notes if n and n not in answer]
    if shown_notes:
        parts.append(f'<div class="notes">{"".join(f"<p>{escape_text(n)}</p>" for n in shown_notes)}</div>')
    if citations:
        sources = "".join(
            citation_html(
                c,
                terms,
                labels.get(str((c.chunk.metadata if c.chunk else {}).get("doc_type", "")), ""),
                (cited or {}).get(int(c.n), ()),
            )
            for c in citations
        )
        parts.append(
            f'<div class="sources"><div class="sources-h">来源（{len(citations)}）'
            f'<span class="hint">点击展开原文</span></div>{sources}</div>'
        )
    return f'<div class="reply">{"".join(parts)}</div>'


def streaming_html(text: str) -> str:
    """A reply while it streams in (plain lines; sources follow when it is complete)."""
    return f'<div class="reply streaming">{answer_html(text) or "<p>正在查找依据…</p>"}</div>'


def user_html(question: str) -> str:
    """The user's own message, shown as typed."""
    return f'<div class="question">{escape_text(question)}</div>'


def error_html(message: str) -> str:
    return f'<div class="error-box">{escape_text(message)}</div>'


def table_rows(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> list[list[Any]]:
    """Rows for a ``gr.Dataframe`` (Gradio renders cells as text)."""
    return [[row.get(key, "") for key, _ in columns] for row in rows]
