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
    """Expand folders; report missing paths, unreadable document types and skipped links.

    Every file found is in the result exactly once: as a job, or as a ``failed``/``skipped``
    result. Inside a folder a symbolic link is followed only when its target stays inside that
    folder (``ln -s /etc/passwd docs/passwd.md`` must never publish /etc/passwd to every user);
    a second path to a file already found (a link, a hard-to-see duplicate) is reported as
    skipped with the first path, instead of vanishing from the report.
    """
    supported = supported_suffixes()
    jobs: dict[str, FileJob] = {}
    results: list[FileResult] = []

    def add(path: Path, display: str) -> None:
        key = str(path.resolve())
        first = jobs.get(key)
        if first is None:
            jobs[key] = FileJob(path=path, display=display, key=key)
        elif first.display != display:
            results.append(
                FileResult(display, "skipped", reason=f"与 {first.display} 是同一个文件，未重复索引")
            )

    for given in paths:
        given = Path(given)
        if given.is_dir():
            root = given.resolve()
            for path in sorted(given.rglob("*")):
                if is_hidden(path, given):
                    continue
                escape = _link_escape(path, root)
                if escape:
                    if path.suffix.lower() in supported or path.is_dir():
                        results.append(FileResult(str(path), "skipped", reason=escape))
                    continue
                if not path.is_file():
                    continue
                suffix = path.suffix.lower()
                if suffix in supported:
                    add(path, str(path))
                elif suffix in DOCUMENT_LIKE_SUFFIXES:
                    results.append(
                        FileResult(str(path), "failed", reason=unsupported_reason(suffix, supported))
                    )
        elif given.is_file():
            suffix = given.suffix.lower()
            if suffix in supported:
                add(given, str(given))
            else:
                results.append(FileResult(str(given), "failed", reason=unsupported_reason(suffix, supported)))
        else:
            results.append(FileResult(str(given), "failed", reason="文件或文件夹不存在"))
    return sorted(jobs.values(), key=lambda job: job.display), results


def _link_escape(path: Path, root: Path) -> str:
    """Why ``path`` (found under ``root``) must not be read because it is a link out of ``root``."""
    if not path.is_symlink() and not any(parent.is_symlink() for parent in _parents_below(path, root)):
        return ""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "符号链接指向的文件不存在，已跳过"
    if target.is_relative_to(root):
        return ""
    return "符号链接指向所给文件夹之外，出于安全考虑未读取"


def _parents_below(path: Path, root: Path) -> list[Path]:
    """The folders between ``root`` and ``path`` (a linked folder must not lead outside either)."""
    parents = []
    for parent in path.parents:
        if parent.resolve() == root or parent == parent.parent:
            break
        parents.append(parent)
    return parents


def unsupported_reason(suffix: str, supported: frozenset[str]) -> str:
    shown = "、".join(sorted(supported))
    name = suffix or "（无扩展名）"
    return f"不支持的文件类型 {name}；支持：{shown}。Word 97-2003/WPS 文件请另存为 .docx 或 PDF"
