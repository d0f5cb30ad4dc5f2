"""Which files an ingest looks at: expanding folders and the folder policy.

Files are found recursively; hidden files and folders are skipped; files with a supported
suffix are ingested; files that look like documents we cannot read
(:data:`DOCUMENT_LIKE_SUFFIXES`, e.g. ``.doc``, ``.wps``, ``.xlsx``) are reported as failed so
users learn they were not indexed; anything else inside a folder (``.yaml``, ``.json``, images,
…) is ignored silently. A file named explicitly is always either ingested or reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.components.manifest import ManifestEntry
from assistant.domain import FileResult

#: Suffixes of office/document formats we cannot read; inside folders they are reported as failed.
DOCUMENT_LIKE_SUFFIXES = frozenset(
    (
        ".doc .wps .xls .xlsx .et .ppt .pptx .dps .rtf .odt .ods .odp "
        ".epub .pages .key .numbers .ofd .caj .djvu"
    ).split()
)


@dataclass
class FileJob:
    """One file to look at: where it is, how to show it, and its manifest key."""

    path: Path
    display: str
    key: str
    data_hash: str = ""
    old: ManifestEntry | None = None


def supported_suffixes() -> frozenset[str]:
    from assistant.components.loaders import SUPPORTED_SUFFIXES

    return frozenset(SUPPORTED_SUFFIXES)


def is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(paths: list[Path]) -> tuple[list[FileJob], list[FileResult]]:
    """Expand folders; report missing paths and unreadable document types."""
    supported = supported_suffixes()
    jobs: dict[str, FileJob] = {}
    failed: list[FileResult] = []

    def add(path: Path, display: str) -> None:
        key = str(path.resolve())
        jobs.setdefault(key, FileJob(path=path, display=display, key=key))

    for given in paths:
        given = Path(given)
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                if not path.is_file() or is_hidden(path, given):
                    continue
                suffix = path.suffix.lower()
                if suffix in supported:
                    add(path, str(path))
                elif suffix in DOCUMENT_LIKE_SUFFIXES:
                    failed.append(
                        FileResult(str(path), "failed", reason=unsupported_reason(suffix, supported))
                    )
        elif given.is_file():
            suffix = given.suffix.lower()
            if suffix in supported:
                add(given, str(given))
            else:
                failed.append(FileResult(str(given), "failed", reason=unsupported_reason(suffix, supported)))
        else:
            failed.append(FileResult(str(given), "failed", reason="文件或文件夹不存在"))
    return sorted(jobs.values(), key=lambda job: job.display), failed


def unsupported_reason(suffix: str, supported: frozenset[str]) -> str:
    shown = "、".join(sorted(supported))
    name = suffix or "（无扩展名）"
    return f"不支持的文件类型 {name}；支持：{shown}。Word 97-2003/WPS 文件请另存为 .docx 或 PDF"
