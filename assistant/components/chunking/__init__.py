"""Structure-aware chunking: a loaded document becomes citable, embeddable chunks.

Regulations (and policies numbered in articles) are cut at 章/节/条 so every chunk is one
article — the unit users cite — and long articles are split at sentence ends into parts
that all name their article. Papers, guides and cases are cut at their headings; a section
that fits ``chunk_max_chars`` stays whole, a longer one is cut at sentence ends into balanced
parts of about ``chunk_target_chars``. Sentences never end inside brackets or quotes, so a
citation （依据：《甲》第三条；《乙》第五条） is never torn apart.

Short neighbouring articles are deliberately NOT merged: an article is the citation unit
(本条例自…起施行 is exactly what a user asks about), and the title and chapter prefixed to
``embed_text`` already give a short article enough context for retrieval.
"""

from __future__ import annotations

from assistant.components.chunking.articles import article_units, first_article_index
from assistant.components.chunking.metadata import DocumentMeta, infer_document_meta
from assistant.components.chunking.patterns import count_article_lines
from assistant.components.chunking.sections import section_units
from assistant.components.chunking.text import (
    Piece,
    join_pieces,
    sentences,
    split_balanced,
    split_lines,
)
from assistant.components.chunking.units import Unit
from assistant.domain import Chunk, LoadedDocument, chunk_id
from assistant.settings import Settings

__all__ = ["CONTINUED", "DocumentChunker", "DocumentMeta", "infer_document_meta"]

#: Mark after the article label at the head of a continuation part: 第四十一条（续）…
CONTINUED = "（续）"
ARTICLE_DOC_TYPES = frozenset({"regulation", "policy"})
MIN_ARTICLES = 3


class DocumentChunker:
    """Turns a :class:`LoadedDocument` into chunks; the same document always gives the same chunks."""

    def __init__(self, settings: Settings) -> None:
        self.max_chars = settings.chunk_max_chars
        self.target_chars = min(settings.chunk_target_chars, settings.chunk_max_chars)
        self.min_chars = settings.chunk_min_chars

    def chunk(self, doc: LoadedDocument) -> list[Chunk]:
        meta = infer_document_meta(doc)
        lines = split_lines(doc.text)
        if (
            meta.doc_type in ARTICLE_DOC_TYPES
            and count_article_lines(doc.text) >= MIN_ARTICLES
            and first_article_index(lines) is not None
        ):
            units = article_units(lines, meta.title)
        else:
            units = section_units(lines, meta.title)
        chunks: list[Chunk] = []
        for unit in units:
            parts = self._parts(unit)
            for part_no, pieces in enumerate(parts, start=1 if len(parts) > 1 else 0):
                text = join_pieces(pieces)
                if part_no > 1 and unit.label:
                    text = f"{unit.label}{CONTINUED} {text}"
                chunks.append(self._make_chunk(doc, meta, unit, text, part_no, pieces[0].offset, len(chunks)))
        return chunks

    def _parts(self, unit: Unit) -> list[list[Piece]]:
        """The unit's sentences grouped into chunk-sized parts (one part when it fits)."""
        if not unit.whole:
            # A section that fits stays whole (it was written to stand alone); a longer one is
            # cut into balanced parts of about the target size.
            pieces = [piece for line in unit.paragraphs for piece in sentences(line, self.max_chars)]
            if not pieces or len(join_pieces(pieces)) <= self.max_chars:
                return [pieces] if pieces else []
            return split_balanced(pieces, self.target_chars, self.min_chars)
        # Room for the 第X条（续） label repeated at the head of continuation parts.
        room = max(self.max_chars - len(unit.label) - len(CONTINUED) - 1, self.max_chars // 2)
        pieces = [piece for line in unit.paragraphs for piece in sentences(line, room)]
        if not pieces:
            return []
        if len(join_pieces(pieces)) <= self.max_chars:
            return [pieces]
        return split_balanced(pieces, room, self.min_chars)

    @staticmethod
    def _make_chunk(
        doc: LoadedDocument,
        meta: DocumentMeta,
        unit: Unit,
        text: str,
        part: int,
        offset: int,
        ordinal: int,
    ) -> Chunk:
        context = f"《{_bracket_safe(meta.title)}》 {unit.context}".strip()
        metadata: dict[str, str | int | float] = {
            "doc_id": meta.doc_id,
            "title": meta.title,
            "file": meta.file,
            "doc_type": meta.doc_type,
            "jurisdiction": meta.jurisdiction,
            "version_date": meta.version_date,
            "locator": unit.locator,
            "section_path": unit.section_path,
            "chapter": unit.chapter,
            "article": unit.article,
            "article_no": unit.article_no,
            "part": part,
            "page": doc.page_at(offset) or 0,
            "audience": ",".join(meta.audience),
            "hazards": ",".join(meta.hazards),
            "emergency_numbers": ",".join(meta.emergency_numbers),
            "ordinal": ordinal,
        }
        return Chunk(
            id=chunk_id(doc.content_hash or meta.doc_id, unit.locator, part, ordinal),
            text=text,
            embed_text=f"{context}\n{text}",
            metadata=metadata,
        )


def _bracket_safe(title: str) -> str:
    """Inner 《》 become 〈〉 so the title can sit inside 《》 (上海市实施〈气象法〉办法)."""
    return title.replace("《", "〈").replace("》", "〉")
