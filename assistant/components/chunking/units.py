"""The structural unit a chunker produces before size limits are applied."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.components.chunking.text import Line


@dataclass
class Unit:
    """An article, a preamble or a section of a paper/guide, with where it sits in the document.

    ``context`` is what goes between the title and the text in ``embed_text`` (chapter and
    article for regulations, the section path otherwise). ``label`` is repeated at the head of
    every continuation part so each part still names its article (第四十一条（续）).
    ``whole`` units are only split when longer than the maximum (articles); other units are
    packed to the target size (sections of papers and guides).
    """

    locator: str
    paragraphs: list[Line] = field(default_factory=list)
    section_path: str = ""
    chapter: str = ""
    article: str = ""
    article_no: int = 0
    context: str = ""
    label: str = ""
    whole: bool = True

    @property
    def offset(self) -> int:
        return self.paragraphs[0].offset if self.paragraphs else 0
