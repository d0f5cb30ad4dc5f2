"""Text plumbing for chunkers: lines with offsets, sentence splitting, size-bounded packing.

Every piece keeps the character offset where it starts in the document text, because a
chunk's page (for PDFs) is looked up from the offset where the chunk starts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from assistant.components.chunking.patterns import SENTENCE_END

_OPENERS = "（(【《“‘「『〈["
_CLOSERS = "）)】》”’」』〉]"
#: A bracket left open this long is a typo or an OCR slip: stop protecting its content.
_MAX_BRACKET_SPAN = 200
_CLAUSE_RE = re.compile(r"[^，、：,:]*[，、：,:]+|[^，、：,:]+")
#: Whitespace plus the zero-width characters some web-sourced texts leave on "empty" lines.
_BLANK = " \t\r\f\v\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff"
#: A line starting a list item or an article never continues the line above it.
_LIST_ITEM_RE = re.compile(
    r"^([-*+•·]\s|\d{1,2}[.．、)）](?!\d)|[(（][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|第\S{1,6}条)"
)
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


@dataclass(frozen=True)
class Line:
    """One non-normalised line: its stripped text and the offset of its first character."""

    text: str
    offset: int
    indented: bool = False  # the source line started with whitespace (a paragraph start in wrapped text)
    heading: bool = False  # set by :func:`unwrap` for lines its heading predicate accepted


@dataclass(frozen=True)
class Piece:
    """A sentence (or smaller fragment) of a paragraph; ``para_start`` marks a new paragraph."""

    text: str
    offset: int
    para_start: bool = False


def split_lines(text: str) -> list[Line]:
    """All lines of ``text`` (blank ones as empty strings) with their start offsets."""
    lines: list[Line] = []
    offset = 0
    for raw in text.split("\n"):
        stripped = raw.strip(_BLANK)
        lead = len(raw) - len(raw.lstrip(_BLANK))
        lines.append(Line(stripped, offset + lead, bool(stripped) and lead > 0))
        offset += len(raw) + 1
    return lines


def squash(text: str) -> str:
    """Text without any whitespace: how chunk text is compared with source text."""
    return re.sub(r"\s+", "", text)


def join_pieces(pieces: Iterable[Piece]) -> str:
    """Concatenate pieces, paragraphs separated by a newline."""
    out: list[str] = []
    for piece in pieces:
        if out and piece.para_start:
            out.append("\n")
        out.append(piece.text)
    return "".join(out).strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: cut after 。！？； unless inside brackets or quotes.

    A citation like （依据：《甲条例》第三条；《乙法》第五条） must never be cut at its ；.
    """
    spans: list[tuple[int, int]] = []
    start = depth = opened_at = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in _OPENERS:
            opened_at = index if depth == 0 else opened_at
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        elif char in SENTENCE_END and (depth == 0 or index - opened_at > _MAX_BRACKET_SPAN):
            depth = 0
            end = index + 1
            while end < len(text) and (text[end] in SENTENCE_END or text[end] in _CLOSERS):
                end += 1
            spans.append((start, end))
            start = index = end
            continue
        index += 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def sentences(paragraph: Line, max_chars: int) -> list[Piece]:
    """Split one paragraph at sentence ends; sentences over ``max_chars`` at clause marks, then hard."""
    pieces: list[Piece] = []
    for begin, end in sentence_spans(paragraph.text):
        sentence = paragraph.text[begin:end]
        if not sentence.strip():
            continue
        start = paragraph.offset + begin
        if len(sentence) <= max_chars:
            pieces.append(Piece(sentence, start))
            continue
        pieces.extend(_split_long(sentence, start, max_chars))
    if pieces:
        pieces[0] = Piece(pieces[0].text, pieces[0].offset, para_start=True)
    return pieces


def _split_long(sentence: str, start: int, max_chars: int) -> list[Piece]:
    """A sentence longer than a chunk: pack its clauses, hard-cutting a clause that is still too long."""
    pieces: list[Piece] = []
    for match in _CLAUSE_RE.finditer(sentence):
        clause = match.group(0)
        for cut in range(0, len(clause), max_chars):
            pieces.append(Piece(clause[cut : cut + max_chars], start + match.start() + cut))
    return [
        Piece("".join(p.text for p in group), group[0].offset)
        for group in pack(pieces, max_chars, max_chars, 0)
    ]


def pack(pieces: list[Piece], target: int, max_chars: int, min_chars: int) -> list[list[Piece]]:
    """Group consecutive pieces into chunks of about ``target`` and at most ``max_chars`` characters.

    A chunk closes once it reaches the target, or when the next piece would push it past the
    target and it already holds half of it; it never grows past ``max_chars`` unless a single
    piece is longer. A final group shorter than ``min_chars`` joins the previous one when it fits.
    """
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    size = 0
    for piece in pieces:
        extra = len(piece.text) + (1 if piece.para_start and current else 0)
        if current and (
            size >= target or size + extra > max_chars or (size + extra > target and size * 2 >= target)
        ):
            groups.append(current)
            current, size = [], 0
            extra = len(piece.text)
        current.append(piece)
        size += extra
    if current:
        groups.append(current)
    if len(groups) >= 2:
        tail, previous = groups[-1], groups[-2]
        if len(join_pieces(tail)) < min_chars and len(join_pieces(previous + tail)) <= max_chars:
            groups[-2:] = [previous + tail]
    return groups


def split_balanced(pieces: list[Piece], max_chars: int, min_chars: int) -> list[list[Piece]]:
    """Split a unit longer than ``max_chars`` into as few parts as fit, of similar size.

    Each piece goes to the part whose share of the text its middle falls in, so a 620-char
    article becomes two parts of about 310 rather than 590 + 30.
    """
    lengths = [
        len(piece.text) + (1 if piece.para_start and index else 0) for index, piece in enumerate(pieces)
    ]
    total = sum(lengths)
    for parts in range(max(1, math.ceil(total / max_chars)), len(pieces) + 1):
        share = total / parts
        groups: list[list[Piece]] = [[]]
        sizes = [0]
        position = 0
        for piece, length in zip(pieces, lengths, strict=True):
            middle = position + length / 2
            position += length
            wanted = min(int(middle // share), parts - 1)
            if groups[-1] and (len(groups) - 1 < wanted or sizes[-1] + length > max_chars):
                groups.append([])
                sizes.append(0)
            groups[-1].append(piece)
            sizes[-1] += length
        if len(groups) <= parts:
            return groups
    return pack(pieces, max_chars, max_chars, min_chars)


def unwrap(lines: list[Line], is_heading: Callable[[str], bool]) -> list[Line]:
    """Join hard-wrapped lines back into paragraphs (text files broken at a fixed width).

    A text counts as hard-wrapped when most of its lines are about as long as its longest
    ones. A line then continues the previous one when the previous line reached the wrap
    width and the line itself does not start a paragraph (indentation) or a heading.
    ``is_heading`` is a predicate on line text; blank lines in wrapped text mean nothing.
    """
    heading = is_heading
    body = [line for line in lines if line.text and not heading(line.text)]
    marked = [replace(line, heading=heading(line.text)) for line in lines if line.text]
    if len(body) < 8:
        return marked
    lengths = sorted(len(line.text) for line in body)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    near_width = sum(1 for n in lengths if n >= 0.8 * width)
    if width < 20 or near_width < 0.45 * len(lengths):
        return marked
    out: list[Line] = []
    previous_full = False
    for line in marked:
        if (
            out
            and previous_full
            and not line.heading
            and not line.indented
            and not _LIST_ITEM_RE.match(line.text)
        ):
            last = out[-1]
            if last.heading and (len(line.text) >= 0.85 * width or line.text[-1] in SENTENCE_END):
                out.append(line)  # a full heading line followed by body text, not by its own tail
            else:
                glue = (
                    " " if _ASCII_WORD_END.search(last.text) and _ASCII_WORD_START.search(line.text) else ""
                )
                out[-1] = replace(last, text=last.text + glue + line.text)
        else:
            out.append(line)
        previous_full = len(line.text) >= 0.85 * width
    return out
