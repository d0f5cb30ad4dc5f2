"""Rebuild running text from the printed lines of PDF pages (text layer or OCR).

A typeset regulation reaches us as lines broken wherever the page ran out of width, with a
running header and a page-number footer on every page and articles that continue on the
next page. Retrieval and citation need whole articles, so this module removes the page
furniture, joins hard-wrapped lines (without inventing spaces between Chinese characters),
keeps the breaks that carry structure (articles, chapters, list items, sentence ends) and
turns chapter/section lines into Markdown headings like the Markdown regulations have.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from assistant.components.loaders.normalize import display_width, is_cjk_like, normalise_text
from assistant.domain import PageSpan

_CN_DIGITS = {
    char: value
    for value, chars in enumerate(("〇零", "一", "二两", "三", "四", "五", "六", "七", "八", "九"))
    for char in chars
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[〇零一二三四五六七八九十百千两\d]+"
_ARTICLE = re.compile(rf"^第({_NUM})条(?:之[一二三四五六七八九十]+)?")
_DIVISION = re.compile(rf"^(第{_NUM}[编章节])\s*(\S.*)?$")
_NUMBERING = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]{1,3}[)）]"  # （一） (1)
    r"|[一二三四五六七八九十]{1,3}、"  # 一、
    r"|\d{1,2}[、．])"  # 1、
)
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~·•\s]*\d{1,4}[-—–－~·•\s]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[。！？：；!?;:][”’」』）)]*$")
_HEADING_PUNCT = re.compile(r"[。，；：、,;:]")
_LEADING_PUNCT = "，。、；：？！）】」』”’…%,.;:!?)"
# How many lines at the top and bottom of a page may be running headers/footers.
_EDGE_LINES = 3
# A line narrower than this share of the typical line width ended its paragraph on purpose.
_SHORT_LINE = 0.7


def chinese_number(token: str) -> int | None:
    """Value of a numeral like ``二十三``, ``一百零五`` or ``12``; None when not a numeral."""
    if token.isdigit():
        return int(token)
    total, current = 0, 0
    for char in token:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[char]
            current = 0
        else:
            return None
    return total + current


def strip_page_furniture(pages: Sequence[Sequence[str]]) -> list[list[str]]:
    """Drop running headers/footers and page-number lines from the edges of every page.

    A running line is one that, with digits masked, appears near the top or bottom of at
    least half of the pages (and of two pages at least).
    """

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))

    def edges(lines: Sequence[str]) -> list[int]:
        count = len(lines)
        return sorted(set(range(min(_EDGE_LINES, count))) | set(range(max(0, count - _EDGE_LINES), count)))

    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({key(lines[i]) for i in edges(lines)})
    needed = max(2, (len(pages) + 1) // 2)
    running = {k for k, n in counts.items() if n >= needed and len(pages) >= 2}

    cleaned: list[list[str]] = []
    for lines in pages:
        edge = set(edges(lines))
        cleaned.append(
            [
                line
                for i, line in enumerate(lines)
                if not (i in edge and (key(line) in running or _PAGE_NUMBER.match(line.strip())))
            ]
        )
    return cleaned


def _division_heading(line: str, typical: float) -> str | None:
    """``## 第一章 总则`` for a short chapter/section line; None for anything else."""
    match = _DIVISION.match(line)
    if not match or _HEADING_PUNCT.search(line) or display_width(line) > max(20.0, 0.6 * typical):
        return None
    marker, name = match.group(1), (match.group(2) or "").strip()
    level = "###" if marker.endswith("节") else "##"
    return f"{level} {marker} {name}".rstrip()


def _typical_width(pages: Sequence[Sequence[str]]) -> float:
    widths = sorted(w for lines in pages for w in map(display_width, lines) if w >= 4)
    return widths[int(0.9 * (len(widths) - 1))] if widths else 0.0


class _Builder:
    """Accumulates blocks (paragraphs/headings) and knows the current text length."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.length = 0
        self.open = False  # may the next line join the last block?
        self.heading = False  # is the last block a heading?

    def new_block(self, text: str, heading: bool) -> int:
        start = self.length + (2 if self.blocks else 0)
        self.blocks.append(text)
        self.length = start + len(text)
        self.open = not heading
        self.heading = heading
        return start

    def join(self, text: str) -> int:
        last = self.blocks[-1]
        joint = "" if is_cjk_like(last[-1]) or is_cjk_like(text[0]) else " "
        start = self.length + len(joint)
        self.blocks[-1] = last + joint + text
        self.length = start + len(text)
        return start


def rebuild_text(raw_pages: Sequence[Sequence[str]]) -> tuple[str, list[PageSpan]]:
    """Join the lines of all pages into Markdown-like text and record where each page starts."""
    pages = [
        [line for line in normalise_text("\n".join(lines)).split("\n") if line.strip()] for lines in raw_pages
    ]
    pages = strip_page_furniture(pages)
    typical = _typical_width(pages)
    has_structure = any(_ARTICLE.match(line) or _DIVISION.match(line) for lines in pages for line in lines)

    builder = _Builder()
    spans: list[PageSpan] = []
    next_article = 1
    first_line = True
    for page_number, lines in enumerate(pages, start=1):
        page_start: int | None = None
        for line in lines:
            line = line.strip()
            heading = _division_heading(line, typical)
            if first_line and heading is None and _is_title(line, typical, has_structure):
                heading = f"# {line}"
            first_line = False
            if heading is not None:
                start = builder.new_block(heading, heading=True)
            else:
                article = _article_start(line, next_article)
                if article is not None:
                    next_article = article[0] + 1
                    line = article[1]
                # punctuation pushed onto the next line always belongs to the line before it
                glue = builder.open and _continues(line, article is not None)
                if glue or (builder.blocks and not builder.heading and line[0] in _LEADING_PUNCT):
                    start = builder.join(line)
                else:
                    start = builder.new_block(line, heading=False)
                builder.open = not _ends_paragraph(line, typical)
            if page_start is None:
                page_start = start
        spans.append(PageSpan(offset=builder.length if page_start is None else page_start, page=page_number))
    return "\n\n".join(builder.blocks), spans


def _is_title(line: str, typical: float, has_structure: bool) -> bool:
    return (
        has_structure
        and not _ARTICLE.match(line)
        and not _HEADING_PUNCT.search(line)
        and 2 <= len(line) <= 40
        and display_width(line) < max(20.0, 0.8 * typical)
    )


def _article_start(line: str, expected: int) -> tuple[int, str] | None:
    """``(number, line)`` when ``line`` opens article ``第N条``, with a space after the marker.

    A wrapped line may also begin with a reference ("第十条规定的…"); a marker counts as an
    article start only when a space follows it (typeset text) or it is the expected next number
    (OCR drops the space).
    """
    match = _ARTICLE.match(line)
    if not match:
        return None
    number = chinese_number(match.group(1))
    if number is None:
        return None
    rest = line[match.end() :]
    if rest and not rest[0].isspace() and number != expected:
        return None
    if rest and not rest[0].isspace():
        line = line[: match.end()] + " " + rest
    return number, line


def _ends_paragraph(line: str, typical: float) -> bool:
    """A line ending a sentence, or clearly shorter than a full line, closes its paragraph."""
    if _SENTENCE_END.search(line):
        return True
    return typical > 0 and display_width(line) < _SHORT_LINE * typical


def _continues(line: str, is_article: bool) -> bool:
    """May ``line`` be glued to the open block before it (a hard wrap rather than a new block)?"""
    return not (is_article or _NUMBERING.match(line) or line.startswith("#"))
