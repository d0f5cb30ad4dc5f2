"""Split papers, guides and cases into sections by their headings.

Two heading systems exist. Markdown (and DOCX/HTML through the loaders) marks headings with
``#``; when a text has such headings they alone count, so a numbered list item in a guide
(1. 关闭阀门) stays body text. Plain text (like the seed paper) numbers its sections 一、,
（一）, 1. and those short numbered lines are the headings. Either way the heading path
(三、… > （二）…) is the locator users see in a citation.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.components.chunking.patterns import MD_HEADING_RE, SENTENCE_END
from assistant.components.chunking.text import Line, unwrap
from assistant.components.chunking.units import Unit

INTRO_LOCATOR = "引言"
WHOLE_LOCATOR = "全文"
PATH_SEPARATOR = " > "
#: Numbered heading patterns of plain Chinese texts, outermost first.
NUMBERED_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"^[一二三四五六七八九十]{1,3}、")),
    (2, re.compile(r"^[(（][一二三四五六七八九十]{1,3}[)）]")),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)")),
)
NUMBERED_HEADING_MAX_CHARS = 60
_SUB_PAREN_RE = re.compile(r"^\(([一二三四五六七八九十]{1,3})\)\s*")
_DIGIT_DOT_RE = re.compile(r"^(\d{1,2})[.．]\s*")


def numbered_heading_rank(text: str) -> int | None:
    """Rank (1 outermost) of a short numbered heading line of plain text, or None."""
    text = text.strip()
    if not text or len(text) > NUMBERED_HEADING_MAX_CHARS or text[-1] in SENTENCE_END + "，、,":
        return None
    for rank, pattern in NUMBERED_HEADINGS:
        if pattern.match(text):
            return rank
    return None


def _rank_by_prefix(text: str) -> int:
    for rank, pattern in NUMBERED_HEADINGS:
        if pattern.match(text):
            return rank
    return len(NUMBERED_HEADINGS) + 1


def normalise_heading(text: str) -> str:
    """``(一) 基本思路`` -> ``（一）基本思路``; ``1. 理念`` -> ``1.理念``: one spelling per heading."""
    text = _SUB_PAREN_RE.sub(lambda m: f"（{m.group(1)}）", text.strip())
    text = _DIGIT_DOT_RE.sub(lambda m: f"{m.group(1)}.", text)
    return re.sub(r"\s+", " ", text)


def section_units(lines: list[Line], title: str) -> list[Unit]:
    """Units of a text split at headings, with the text before the first heading as 引言.

    A document with nothing but its title (a one-line notice, a ``# heading`` alone) still
    gets one unit holding that text: the title line is all it says, so it must be findable.
    """
    units = _section_units(_drop_title_line(lines, title))
    if units:
        return units
    texts = [_heading_text(line) for line in lines if line.text]
    return [Unit(locator=WHOLE_LOCATOR, paragraphs=texts, whole=False)] if texts else []


def _heading_text(line: Line) -> Line:
    """The line without its Markdown heading marks (its text is then plain body text)."""
    found = MD_HEADING_RE.match(line.text)
    if not found or not found.group(2).strip():
        return line
    return replace(line, text=found.group(2).strip(), offset=line.offset + line.text.index(found.group(2)))


def _section_units(lines: list[Line]) -> list[Unit]:
    use_markdown = sum(1 for line in lines if MD_HEADING_RE.match(line.text)) >= 1

    def heading_of(text: str) -> tuple[int, str] | None:
        found = MD_HEADING_RE.match(text)
        if found:
            return len(found.group(1)), normalise_heading(found.group(2))
        if use_markdown:
            return None
        rank = numbered_heading_rank(text)
        return (rank, normalise_heading(text)) if rank is not None else None

    if use_markdown:
        # Markdown has no hard wrapping to undo: every line (list item, paragraph) stands alone.
        paragraphs = [replace(line, heading=heading_of(line.text) is not None) for line in lines if line.text]
    else:
        paragraphs = unwrap(lines, lambda text: heading_of(text) is not None)
    has_headings = any(line.heading for line in paragraphs)
    stack: list[tuple[int, str]] = []
    units: list[Unit] = []
    current = Unit(locator=INTRO_LOCATOR if has_headings else WHOLE_LOCATOR, whole=False)
    units.append(current)
    for line in paragraphs:
        if not line.heading:
            current.paragraphs.append(line)
            continue
        # Rank from the unwrapped line's start: a wrapped heading may now exceed the length limit.
        rank, name = heading_of(line.text) or (_rank_by_prefix(line.text), normalise_heading(line.text))
        while stack and stack[-1][0] >= rank:
            stack.pop()
        stack.append((rank, name))
        path = PATH_SEPARATOR.join(item[1] for item in stack)
        current = Unit(locator=path, section_path=path, context=path, whole=False)
        units.append(current)
    if units[0].paragraphs and units[0].locator == INTRO_LOCATOR:
        units[0].context = INTRO_LOCATOR
    return [unit for unit in units if unit.paragraphs]


def _drop_title_line(lines: list[Line], title: str) -> list[Line]:
    """Remove the first non-blank line when it is the title (``# 标题`` or a bare title line)."""
    for index, line in enumerate(lines):
        if not line.text:
            continue
        found = MD_HEADING_RE.match(line.text)
        bare = (found.group(2) if found else line.text).strip().strip("《》")
        if bare == title or (found and _is_sole_top_heading(found.group(1), lines)):
            # A document's only level-1 heading is its title, even when front matter words the
            # title differently; as a section it would only repeat itself in every locator.
            return lines[:index] + lines[index + 1 :]
        return lines
    return lines


def _is_sole_top_heading(marks: str, lines: list[Line]) -> bool:
    if marks != "#":
        return False
    tops = 0
    for line in lines:
        found = MD_HEADING_RE.match(line.text)
        tops += bool(found and found.group(1) == "#")
    return tops == 1
