"""Turn user files (Markdown, text, PDF, DOCX, HTML) into normalised :class:`LoadedDocument` text.

One entry point, :class:`DocumentLoader`, so ingest treats every format alike: it either
returns text whose headings are Markdown ``#`` lines, or raises
:class:`~assistant.domain.DocumentLoadError` with a plain Chinese reason. Nothing else may
escape for a bad file: a broken upload must fail alone, never stop a batch.

No format is parsed in this process: decoding, HTML, DOCX and PDF parsing all run in the
sandbox child (:mod:`.sandbox`) under the same memory limit and timeout, so a hostile file
can cost a failed load, never the app. This module only reads the bytes (for the content
hash and the size cap) and assembles the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.domain import DocumentLoadError, LoadedDocument, PageSpan, sha256_bytes

if TYPE_CHECKING:  # the sandbox child imports this package: keep its start-up light
    from assistant.settings import Settings

__all__ = ["SUPPORTED_SUFFIXES", "DocumentLoader"]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"})

_MIB = 1024 * 1024
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
# Members of a DOCX together may declare at most this many times the file cap (media included).
_MAX_DOCX_INFLATION = 20


class DocumentLoader:
    """Loads one file at a time; every parser runs in a limited child process."""

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
        if not data or data.isspace():  # (no stripped copy of a 50 MB file)
            raise DocumentLoadError(path, "文件为空")
        source_format = _FORMATS[suffix]

        from assistant.components.loaders.sandbox import run_in_sandbox

        front_matter: dict[str, Any] = {}
        pages: list[PageSpan] = []
        notes: list[str] = []
        if source_format == "pdf":
            from assistant.components.loaders.pdf import load_pdf

            text, pages, notes = load_pdf(path, data, self._settings)
        elif source_format == "docx":
            options = {
                "max_xml_bytes": int(self._settings.docx_max_xml_mb * _MIB),
                "max_inflated_bytes": _MAX_DOCX_INFLATION * self._max_bytes(),
                "max_text_bytes": self._max_bytes(),
            }
            text = str(run_in_sandbox("docx", path, self._settings, options)["text"])
        else:
            result = run_in_sandbox(source_format, path, self._settings)
            text = str(result["text"])
            front_matter = dict(result.get("front_matter") or {})
            notes.extend(str(note) for note in result.get("notes", []))

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
        return int(self._settings.max_file_mb * _MIB)

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
