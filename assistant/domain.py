"""Plain data types shared by every layer (no behaviour, no heavy imports).

The pipeline is: a loader turns a file into a :class:`LoadedDocument`; a chunker
turns that into :class:`Chunk` objects; the index stores chunks; retrieval
returns :class:`ScoredChunk` objects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DocType = Literal[
    "regulation",
    "policy",
    "paper",
    "case",
    "guide",
    "procedure",
    "checklist",
    "responsibility",
    "weak_point",
    "strategy",
]
DOC_TYPES: tuple[str, ...] = (
    "regulation",
    "policy",
    "paper",
    "case",
    "guide",
    "procedure",
    "checklist",
    "responsibility",
    "weak_point",
    "strategy",
)

#: ``skipped``: found but deliberately not read (a symlink leaving its folder, a second path to one file).
FileStatus = Literal["added", "updated", "unchanged", "failed", "removed", "skipped"]


class DocumentLoadError(Exception):
    """A file could not be turned into text. The message is a plain reason for users."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass(frozen=True)
class PageSpan:
    """The text of ``page`` (1-based) starts at character ``offset`` of the document text."""

    offset: int
    page: int


@dataclass
class LoadedDocument:
    """A file turned into normalised text.

    ``text`` is Markdown-like: headings that the source marks as such (Markdown ``#``,
    DOCX heading styles, HTML ``<h1>``…) appear as ``#`` lines so one chunker handles all
    formats. ``pages`` maps character offsets to page numbers for paged formats (PDF).
    """

    path: Path
    text: str
    source_format: str  # "md", "txt", "pdf", "docx", "html"
    front_matter: dict[str, Any] = field(default_factory=dict)
    pages: list[PageSpan] = field(default_factory=list)
    content_hash: str = ""  # sha256 of the file's bytes
    notes: list[str] = field(default_factory=list)  # e.g. "OCR used on pages 1-3"

    def page_at(self, offset: int) -> int | None:
        """The page holding character ``offset``, or None for unpaged formats."""
        page: int | None = None
        for span in self.pages:
            if span.offset > offset:
                break
            page = span.page
        return page


@dataclass
class Chunk:
    """One retrievable unit: an article (or part of one) or a section of a paper/guide.

    ``text`` is what users see and what is cited; ``embed_text`` carries the title and
    chapter in front so the embedder and BM25 know the context.
    """

    id: str
    text: str
    embed_text: str
    metadata: dict[str, Any]

    @property
    def locator(self) -> str:
        return str(self.metadata.get("locator", ""))

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", ""))


@dataclass
class ScoredChunk:
    """A chunk with a retrieval score (higher is better)."""

    chunk: Chunk
    score: float
    sources: dict[str, float] = field(default_factory=dict)  # per-retriever scores


@dataclass
class FileResult:
    """What happened to one file during an ingest."""

    file: str
    status: FileStatus
    chunks: int = 0
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "chunks": self.chunks, "reason": self.reason}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_id(doc_hash: str, locator: str, part: int, ordinal: int = 0) -> str:
    """Deterministic id: the same document content, locator and part always give the same id.

    ``ordinal`` separates units that share a locator inside one document (rare; e.g. two
    untitled preambles) so ids never collide.
    """
    key = f"{doc_hash}\x1f{locator}\x1f{part}\x1f{ordinal}".encode()
    return hashlib.sha256(key).hexdigest()[:32]
