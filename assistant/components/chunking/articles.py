"""Split a regulation (or an article-numbered policy) into chapter/section/article units.

The article is the unit users cite (《上海市防汛条例》第四十一条), so each article becomes
exactly one unit holding all its paragraphs and items （一）（二）. Text before the first
article is the preamble: adoption history and a table of contents are dropped, anything
substantial left becomes a unit located at 序言.
"""

from __future__ import annotations

import re

from assistant.components.chunking.patterns import MD_HEADING_RE, Marker, match_article, match_heading
from assistant.components.chunking.text import Line
from assistant.components.chunking.units import Unit

PREAMBLE_LOCATOR = "序言"
#: A preamble shorter than this (after history lines and the contents are removed) is dropped.
PREAMBLE_MIN_CHARS = 100
_HISTORY_RE = re.compile(
    r"(\d{4}|[〇○零一二三四五六七八九]{4})\s*年.*(通过|修正|修订|公布|发布|批准|施行|颁布)"
)
_TOC_RE = re.compile(r"^目\s*录$")


def first_article_index(lines: list[Line]) -> int | None:
    """Index of the first line that starts an article, or None."""
    for index, line in enumerate(lines):
        if match_article(line.text, expected=1):
            return index
    return None


def article_units(lines: list[Line], title: str) -> list[Unit]:
    """Units of a text with line-start article markers (the caller checked there are some)."""
    first = first_article_index(lines)
    if first is None:
        return []
    start = _body_start(lines, first)
    units = _preamble_units(lines[:start], title)
    chapter: Marker | None = None
    section: Marker | None = None
    current: Unit | None = None
    last_no = 0
    for line in lines[start:]:
        text = line.text
        if not text or text.startswith("<!--"):
            continue
        heading = match_heading(text)
        if heading is not None:
            current = None
            if heading.kind == "chapter":
                chapter, section = heading, None
            else:
                section = heading
            continue
        marker = match_article(text, expected=last_no + 1)
        if marker is not None:
            last_no = marker.number
            current = _article_unit(marker, chapter, section)
            units.append(current)
        elif other := MD_HEADING_RE.match(text):
            # A heading that is no chapter (附件, 附表): its text is no part of the last article.
            name = other.group(2)
            current = Unit(locator=name, section_path=name, context=name, label=name)
            units.append(current)
            continue
        elif current is None:
            # Text between a heading and the first article of a chapter: keep it, located there.
            path = [m.heading for m in (chapter, section) if m is not None]
            locator = " ".join(m.label for m in (chapter, section) if m is not None) or PREAMBLE_LOCATOR
            current = Unit(
                locator=locator,
                section_path=" > ".join(path),
                chapter=chapter.heading if chapter else "",
                context=" ".join(path),
            )
            units.append(current)
        current.paragraphs.append(line)
    return [unit for unit in units if unit.paragraphs]


def _article_unit(marker: Marker, chapter: Marker | None, section: Marker | None) -> Unit:
    labels = [m.label for m in (chapter, section) if m is not None]
    headings = [m.heading for m in (chapter, section) if m is not None]
    return Unit(
        locator=" ".join([*labels, marker.label]),
        section_path=" > ".join(headings),
        chapter=chapter.heading if chapter else "",
        article=marker.label,
        article_no=marker.number,
        context=" ".join([*headings, marker.label]),
        label=marker.label,
    )


def _body_start(lines: list[Line], first_article: int) -> int:
    """Where the body begins: the chapter (and section) headings right above the first article.

    Scanning back stops at the first chapter heading, so a table of contents listing every
    chapter just above it stays in the preamble.
    """
    start = first_article
    for index in range(first_article - 1, -1, -1):
        text = lines[index].text
        if not text:
            continue
        heading = match_heading(text)
        if heading is None:
            break
        start = index
        if heading.kind == "chapter":
            break
    return start


def _preamble_units(lines: list[Line], title: str) -> list[Unit]:
    """The preamble as one unit if it says something beyond history, title and contents."""
    kept: list[Line] = []
    in_toc = False
    for line in lines:
        text = line.text
        if not text or text.startswith("<!--"):
            continue
        heading = MD_HEADING_RE.match(text)
        bare = (heading.group(2) if heading else text).strip("《》 ")
        if bare == title or (_HISTORY_RE.search(text) and len(text) < 200):
            continue
        if _TOC_RE.match(bare):
            in_toc = True
            continue
        if match_heading(text) is not None or (in_toc and len(text) <= 40):
            continue  # contents entries (第一章 总则 …) and headings carry nothing to retrieve
        in_toc = False
        kept.append(line)
    if sum(len(line.text) for line in kept) < PREAMBLE_MIN_CHARS:
        return []
    return [
        Unit(
            locator=PREAMBLE_LOCATOR,
            paragraphs=kept,
            section_path=PREAMBLE_LOCATOR,
            context=PREAMBLE_LOCATOR,
            label=PREAMBLE_LOCATOR,
        )
    ]
