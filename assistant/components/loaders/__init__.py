"""Turn user files (Markdown, text, PDF, DOCX, HTML) into normalised :class:`LoadedDocument` text.

One entry point, :class:`DocumentLoader`, so ingest treats every format alike: it either
returns text whose headings are Markdown ``#`` lines, or raises
:class:`~assistant.domain.DocumentLoadError` with a plain Chinese reason. Nothing else may
escape for a bad file: a broken upload must fail alone, never stop a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.components.loaders.normalize import normalise_text
from assistant.components.loaders.text_decoding import NotTextError, decode_text
from assistant.domain import DocumentLoadError, LoadedDocument, PageSpan, sha256_bytes
from assistant.settings import Settings

__all__ = ["SUPPORTED_SUFFIXES", "DocumentLoader"]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"})

_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
# Advice for formats users commonly have but we cannot read.
_CONVERT_HINTS = {
    ".doc": "请另存为 .docx 或 PDF",
    ".wps": "请另存为 .docx 或 PDF",
    ".rtf": "请另存为 .docx 或 PDF",
    ".xls": "请另存为 .docx、PDF 或文本",
    ".xlsx": "请另存为 .docx、PDF 或文本",
    ".ppt": "请另存为 PDF",
    ".pptx": "请另存为 PDF",
    ".odt": "请另存为 .docx 或 PDF",
}
_ENCODING_NAMES = {"gb18030": "GB18030/GBK", "utf-16": "UTF-16", "utf-32": "UTF-32"}


class DocumentLoader:
    """Loads one file at a time; heavy work (PDF parsing, OCR) runs in a limited child process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def load(self, path: Path) -> LoadedDocument:
        """Read ``path`` and return its normalised text, or raise DocumentLoadError with a reason."""
        path = Path(path)
        try:
            return self._load(path)
        except DocumentLoadError:
            raise
        except MemoryError as exc:
            raise DocumentLoadError(path, "文件过大，内存不足，无法读取") from exc
        except Exception as exc:  # a bad file must fail alone, with a reason, whatever broke
            raise DocumentLoadError(path, f"读取失败：{type(exc).__name__}: {str(exc)[:160]}") from exc

    # --- internals ---------------------------------------------------------------------
    def _load(self, path: Path) -> LoadedDocument:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise DocumentLoadError(path, _unsupported_reason(suffix))
        data = self._read_bytes(path)
        if not data.strip():
            raise DocumentLoadError(path, "文件为空")
        source_format = _FORMATS[suffix]

        front_matter: dict[str, Any] = {}
        pages: list[PageSpan] = []
        notes: list[str] = []
        if source_format == "pdf":
            from assistant.components.loaders.pdf import load_pdf

            text, pages, notes = load_pdf(path, data, self._settings)
        elif source_format == "docx":
            from assistant.components.loaders.docx_text import docx_to_text

            text = normalise_text(docx_to_text(path, self._max_bytes()))
        else:
            text, encoding_note = _decode(path, data)
            notes.extend(encoding_note)
            if source_format == "html":
                from assistant.components.loaders.html_text import html_to_text

                text, title = html_to_text(text)
                text = normalise_text(text)
                if title:
                    front_matter["title"] = title
            else:
                text = normalise_text(text)
                if source_format == "md":
                    from assistant.components.loaders.markdown_text import split_front_matter

                    front_matter, text, md_notes = split_front_matter(text)
                    notes.extend(md_notes)

        if not text.strip():
            raise DocumentLoadError(path, "文件为空")
        return LoadedDocument(
            path=path,
            text=text,
            source_format=source_format,
            front_matter=front_matter,
            pages=pages,
            content_hash=sha256_bytes(data),
            notes=notes,
        )

    def _max_bytes(self) -> int:
        return int(self._settings.max_file_mb * 1024 * 1024)

    def _read_bytes(self, path: Path) -> bytes:
        try:
            if not path.is_file():
                raise DocumentLoadError(path, "文件不存在或不是普通文件")
            size = path.stat().st_size
            if size > self._max_bytes():
                raise DocumentLoadError(path, f"文件超过大小上限 {self._settings.max_file_mb:g} MB")
            return path.read_bytes()
        except PermissionError as exc:
            raise DocumentLoadError(path, "没有读取该文件的权限") from exc
        except OSError as exc:
            raise DocumentLoadError(path, f"无法读取文件：{exc.strerror or exc}") from exc


def _unsupported_reason(suffix: str) -> str:
    if not suffix:
        return "没有文件扩展名，无法判断文件类型（支持 .md .txt .pdf .docx .html）"
    hint = _CONVERT_HINTS.get(suffix, "支持 .md .txt .pdf .docx .html")
    return f"不支持的文件类型 {suffix}（{hint}）"


def _decode(path: Path, data: bytes) -> tuple[str, list[str]]:
    try:
        text, encoding = decode_text(data)
    except NotTextError as exc:
        raise DocumentLoadError(path, str(exc)) from exc
    name = _ENCODING_NAMES.get(encoding.lower())
    if name is None and encoding.lower() not in ("utf-8", "utf-8-sig", "utf_8", "ascii"):
        name = encoding
    return text, [f"文本编码为 {name}，已转换为 UTF-8"] if name else []
