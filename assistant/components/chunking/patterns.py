"""Line patterns of Chinese legal and report texts, shared by metadata inference and chunkers.

Only markers at the start of a line count: laws quote other articles inside sentences
(依照本法第三十二条的规定) and those must never start a new article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.components.chunking.numerals import NUMERAL_CHARS, parse_numeral

_NUM = f"[{NUMERAL_CHARS}]+"
_SEP = r"[ \t\u3000]"

#: ``第四十一条 …`` (label, then a separator or end of line); optional indentation.
ARTICLE_RE = re.compile(rf"^{_SEP}*(第({_NUM})条(?:之[一二三四五六七八九十]+)?)(?:{_SEP}+|[:：]|$)")
#: ``第四十一条…`` with no separator: only trusted when the number is the expected next one.
ARTICLE_TIGHT_RE = re.compile(rf"^{_SEP}*(第({_NUM})条)(?!{_SEP})")
#: ``## 第五章 防汛抢险`` / ``第七章　附　　则`` (the heading marks are optional).
CHAPTER_RE = re.compile(rf"^{_SEP}*#*{_SEP}*(第({_NUM})章)(?:{_SEP}*(.*))?$")
#: ``### 第二节 个人信息特别保护``.
SECTION_RE = re.compile(rf"^{_SEP}*#*{_SEP}*(第({_NUM})节)(?:{_SEP}*(.*))?$")
#: Sentence ends where a long unit may be cut.
SENTENCE_END = "。！？；!?;"
#: A Markdown heading line.
MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Marker:
    """A structural label found at the start of a line: its kind, label, number and heading name."""

    kind: str  # "chapter" | "section" | "article"
    label: str  # 第五章 / 第二节 / 第四十一条
    number: int
    name: str = ""  # chapter/section name with inner spaces removed (附　　则 -> 附则)

    @property
    def heading(self) -> str:
        """``第五章 防汛抢险``: label and name, as shown in metadata and embed text."""
        return f"{self.label} {self.name}".strip()


def _heading_name(raw: str | None) -> str:
    return re.sub(r"[\s\u3000]+", "", raw or "").strip("#").strip()


def match_heading(line: str) -> Marker | None:
    """A chapter or section heading line, or None.

    A heading is short and is not a sentence; this keeps a paragraph that happens to begin
    with 第三章规定的… from being taken as a chapter.
    """
    for kind, pattern in (("chapter", CHAPTER_RE), ("section", SECTION_RE)):
        found = pattern.match(line)
        if not found:
            continue
        name = _heading_name(found.group(3))
        number = parse_numeral(found.group(2))
        if number is None or len(name) > 40 or name.endswith(tuple("。；，")):
            return None
        return Marker(kind, found.group(1), number, name)
    return None


def match_article(line: str, expected: int | None = None) -> Marker | None:
    """An article marker at the start of ``line``, or None.

    ``expected`` is the next article number; a label glued to its text (第五条本条例…) only
    counts when it carries that number, because such lines are usually quotations.
    """
    found = ARTICLE_RE.match(line)
    if found:
        number = parse_numeral(found.group(2))
        if number is not None and number > 0:
            return Marker("article", found.group(1), number)
        return None
    if expected is None:
        return None
    tight = ARTICLE_TIGHT_RE.match(line)
    if tight and parse_numeral(tight.group(2)) == expected:
        return Marker("article", tight.group(1), expected)
    return None


def count_article_lines(text: str) -> int:
    """How many lines start with an article marker (used to recognise regulations)."""
    return sum(1 for line in text.splitlines() if ARTICLE_RE.match(line))
