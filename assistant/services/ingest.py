"""Ingest: turn files and folders into chunks in the index, incrementally and crash-safely.

Why it is shaped this way:

* **Cheap when nothing changed.** Every file's bytes are hashed and compared with the
  manifest before anything is parsed, so re-ingesting an unchanged corpus loads no PDF and no
  model.
* **Nothing already indexed is lost.** A file that fails to load is reported and its previous
  chunks stay. A changed file's new chunks are written *before* its stale ones are deleted,
  and the manifest is written last, so a kill at any point leaves an index that still answers.
* **Self-healing.** Each run first reconciles the store with the manifest: chunks no manifest
  entry claims (left by a killed run) are deleted, and documents whose chunks went missing are
  re-embedded. The result equals a clean build (chunk ids are deterministic).
* **Embedding dominates.** Loading and chunking of the next file runs in a worker thread
  while the current one is embedded.

Folder policy: files are found recursively, hidden files and folders are skipped, files with
a supported suffix are ingested, files that look like documents we cannot read
(:data:`DOCUMENT_LIKE_SUFFIXES`, e.g. ``.doc``, ``.wps``, ``.xlsx``) are reported as failed so
users learn they were not indexed, and anything else (``.yaml``, ``.json``, images, …) is
ignored silently. A file named explicitly is always either ingested or reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from langchain_core.embeddings import Embeddings

from assistant.components.index_lock import IndexLock
from assistant.components.manifest import Manifest, ManifestEntry
from assistant.components.vector_store import ChromaStore
from assistant.domain import Chunk, DocumentLoadError, FileResult, FileStatus, LoadedDocument, sha256_bytes
from assistant.settings import Settings

#: Suffixes of office/document formats we cannot read; inside folders they are reported as failed.
DOCUMENT_LIKE_SUFFIXES = frozenset(
    {
        ".doc",
        ".wps",
        ".xls",
        ".xlsx",
        ".et",
        ".ppt",
        ".pptx",
        ".dps",
        ".rtf",
        ".odt",
        ".ods",
        ".odp",
        ".epub",
        ".pages",
        ".key",
        ".numbers",
        ".ofd",
        ".caj",
        ".djvu",
    }
)

Progress = Callable[[int, int, str], None]


class Loader(Protocol):
    def load(self, path: Path) -> LoadedDocument: ...


class Chunker(Protocol):
    def chunk(self, doc: LoadedDocument) -> list[Chunk]: ...


@dataclass
class IngestReport:
    """Outcome of one ingest run."""

    files: list[FileResult] = field(default_factory=list)
    embedded_chunks: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [result for result in self.files if result.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [result.to_json() for result in self.files],
            "embedded_chunks": self.embedded_chunks,
            "total_chunks": self.total_chunks,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Job:
    """One file to look at: where it is, how to show it, and its manifest key."""

    path: Path
    display: str
    key: str
    data_hash: str = ""
    old: ManifestEntry | None = None


def _supported_suffixes() -> frozenset[str]:
    from assistant.components.loaders import SUPPORTED_SUFFIXES

    return frozenset(SUPPORTED_SUFFIXES)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class IngestService:
    """Adds, updates and prunes documents of one index (vectors + manifest) under its write lock."""

    def __init__(
        self,
        settings: Settings,
        loader: Loader,
        chunker: Chunker,
        embeddings: Embeddings,
        store: ChromaStore,
        manifest: Manifest,
        lock: IndexLock,
    ) -> None:
        self.settings = settings
        self.loader = loader
        self.chunker = chunker
        self.embeddings = embeddings
        self.store = store
        self.manifest = manifest
        self.lock = lock
        self._writing = False

    # --- public -----------------------------------------------------------------------
    def ingest(
        self, paths: list[Path], prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Index ``paths`` (files or folders); with ``prune`` forget documents whose files are gone."""
        started = time.perf_counter()
        report = IngestReport()
        with self.lock:
            entries = self.manifest.entries()
            # A clean manifest (last run finished) means the store holds exactly its chunks, so an
            # all-unchanged run never needs to open Chroma (importing it alone takes ~1 s).
            trusted = not self.manifest.is_dirty() and (self.store.may_exist() or not entries)
            self._writing = False
            forced: set[str] = set()
            if not trusted:
                self._begin_write()
                forced = self._reconcile(entries, full=True)
            jobs, results = self._discover(paths)
            report.files.extend(results)
            todo = self._triage(jobs, entries, forced, report)
            total = len(todo)
            for done, (job, prepared) in enumerate(self._prepared(todo), start=1):
                self._apply(job, prepared, report)
                if progress is not None:
                    progress(done, total, job.display)
            if prune:
                self._prune(paths, entries, report)
            if self._writing:
                self._reconcile(self.manifest.entries())
                report.total_chunks = self.store.count()
                self.manifest.set_dirty(False)
            else:
                report.total_chunks = sum(entry.chunk_count for entry in entries.values())
        order = {"failed": 0, "removed": 1, "added": 2, "updated": 3, "unchanged": 4}
        report.files.sort(key=lambda result: (order[result.status], result.file))
        report.seconds = time.perf_counter() - started
        return report

    # --- steps ------------------------------------------------------------------------
    def _discover(self, paths: list[Path]) -> tuple[list[_Job], list[FileResult]]:
        """Expand folders; report missing paths and unreadable document types."""
        supported = _supported_suffixes()
        jobs: dict[str, _Job] = {}
        failed: list[FileResult] = []

        def add(path: Path, display: str) -> None:
            key = str(path.resolve())
            jobs.setdefault(key, _Job(path=path, display=display, key=key))

        for given in paths:
            given = Path(given)
            if given.is_dir():
                for path in sorted(given.rglob("*")):
                    if not path.is_file() or _hidden(path, given):
                        continue
                    suffix = path.suffix.lower()
                    if suffix in supported:
                        add(path, str(path))
                    elif suffix in DOCUMENT_LIKE_SUFFIXES:
                        failed.append(
                            FileResult(str(path), "failed", reason=_unsupported_reason(suffix, supported))
                        )
            elif given.is_file():
                suffix = given.suffix.lower()
                if suffix in supported:
                    add(given, str(given))
                else:
                    failed.append(
                        FileResult(str(given), "failed", reason=_unsupported_reason(suffix, supported))
                    )
            else:
                failed.append(FileResult(str(given), "failed", reason="文件或文件夹不存在"))
        return sorted(jobs.values(), key=lambda job: job.display), failed

    def _triage(
        self, jobs: list[_Job], entries: dict[str, ManifestEntry], forced: set[str], report: IngestReport
    ) -> list[_Job]:
        """Hash every file; unchanged ones are reported at once and never parsed."""
        todo: list[_Job] = []
        owner_of_hash = {entry.content_hash: key for key, entry in entries.items()}
        for job in jobs:
            try:
                job.data_hash = sha256_bytes(job.path.read_bytes())
            except OSError as exc:
                report.files.append(
                    FileResult(job.display, "failed", reason=f"无法读取文件：{exc.strerror or exc}")
                )
                continue
            job.old = entries.get(job.key)
            if job.old and job.old.content_hash == job.data_hash and job.key not in forced:
                report.files.append(FileResult(job.display, "unchanged", chunks=job.old.chunk_count))
                continue
            owner = owner_of_hash.get(job.data_hash)
            if owner is not None and owner != job.key and Path(owner).is_file():
                # identical bytes give identical chunk ids: index the content once
                report.files.append(
                    FileResult(
                        job.display,
                        "unchanged",
                        reason=f"内容与已索引的 {Path(owner).name} 完全相同，未重复索引",
                    )
                )
                continue
            owner_of_hash[job.data_hash] = job.key
            todo.append(job)
        return todo

    def _prepare(self, job: _Job) -> list[Chunk] | str:
        """Load and chunk one file; a string is the reason it failed."""
        try:
            doc = self.loader.load(job.path)
            chunks = self.chunker.chunk(doc)
        except DocumentLoadError as exc:
            return exc.reason
        except Exception as exc:  # a bug or odd input in one file must not stop the batch
            return f"处理失败：{type(exc).__name__}: {exc}"
        if not chunks:
            return "文档中没有可索引的文字内容"
        return chunks

    def _prepared(self, jobs: list[_Job]) -> Iterator[tuple[_Job, list[Chunk] | str]]:
        """Yield each job with its chunks, preparing the next file while the caller embeds."""
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare") as pool:
            pending: Future[list[Chunk] | str] = pool.submit(self._prepare, jobs[0])
            for index, job in enumerate(jobs):
                current = pending.result()
                if index + 1 < len(jobs):
                    pending = pool.submit(self._prepare, jobs[index + 1])
                yield job, current

    def _apply(self, job: _Job, prepared: list[Chunk] | str, report: IngestReport) -> None:
        """Write one file's chunks: add new, delete stale, then record the manifest."""
        if isinstance(prepared, str):
            kept = f"（索引中保留了此前的 {job.old.chunk_count} 个片段）" if job.old else ""
            report.files.append(FileResult(job.display, "failed", reason=prepared + kept))
            return
        chunks = prepared
        new_ids = {chunk.id for chunk in chunks}
        doc_id = str(chunks[0].metadata.get("doc_id", ""))
        old_ids = set(job.old.chunk_ids) if job.old else set()
        try:
            vectors = self.embeddings.embed_documents([chunk.embed_text for chunk in chunks])
            self._begin_write()
            self.store.upsert(chunks, vectors)
        except Exception as exc:
            self.store.delete(new_ids - old_ids)  # best effort; the next run's reconcile also catches it
            report.files.append(
                FileResult(job.display, "failed", reason=f"写入索引失败：{type(exc).__name__}: {exc}")
            )
            return
        report.embedded_chunks += len(chunks)
        stale = set(old_ids)
        for stored_doc in {doc_id, job.old.doc_id if job.old else ""} - {""}:
            stale |= self.store.ids_for_doc(stored_doc)
        self.store.delete(stale - new_ids - self._claimed_by_others(job.key))
        first = chunks[0].metadata
        self.manifest.record(
            ManifestEntry(
                path=job.key,
                doc_id=doc_id,
                content_hash=job.data_hash,
                title=str(first.get("title") or ""),
                doc_type=str(first.get("doc_type") or ""),
                jurisdiction=str(first.get("jurisdiction") or ""),
                version_date=str(first.get("version_date") or ""),
                chunk_count=len(chunks),
                chunk_ids=sorted(new_ids),
            )
        )
        status: FileStatus = "updated" if job.old else "added"
        report.files.append(FileResult(job.display, status, chunks=len(chunks)))

    def _prune(self, paths: list[Path], entries: dict[str, ManifestEntry], report: IngestReport) -> None:
        """Forget documents whose files under the given folders no longer exist."""
        folders = [Path(path).resolve() for path in paths if Path(path).is_dir()]
        for key, entry in sorted(entries.items()):
            path = Path(key)
            if path.exists() or not any(path.is_relative_to(folder) for folder in folders):
                continue
            self._begin_write()
            ids = set(entry.chunk_ids) | self.store.ids_for_doc(entry.doc_id)
            self.store.delete(ids - self._claimed_by_others(key))
            self.manifest.remove(key)
            report.files.append(FileResult(str(path), "removed", chunks=entry.chunk_count))

    def _begin_write(self) -> None:
        """Mark the manifest dirty before the first store write of a run (kill-safety)."""
        if not self._writing:
            self.manifest.set_dirty(True)
            self._writing = True

    def _claimed_by_others(self, key: str) -> set[str]:
        """Chunk ids other manifest entries rely on (a moved copy of a file shares its ids)."""
        claimed: set[str] = set()
        for other_key, entry in self.manifest.entries().items():
            if other_key != key:
                claimed.update(entry.chunk_ids)
        return claimed

    def _reconcile(self, entries: dict[str, ManifestEntry], full: bool = False) -> set[str]:
        """Make the store hold exactly the manifest's chunks.

        Deletes chunks no manifest entry claims (left by a killed run) and returns the
        manifest keys whose chunks are missing from the store, to be re-embedded. ``full``
        compares every id (after a killed run, or when the store may have been tampered with);
        otherwise equal counts end the check, since this run itself can only leave extras.
        """
        expected: set[str] = set()
        for entry in entries.values():
            expected.update(entry.chunk_ids)
        if not full and self.store.count() == len(expected):
            return set()
        stored = self.store.ids()
        extra = stored - expected
        if extra:
            self.store.delete(extra)
            self.manifest.bump()
        missing = expected - stored
        return {key for key, entry in entries.items() if missing.intersection(entry.chunk_ids)}


def _unsupported_reason(suffix: str, supported: frozenset[str]) -> str:
    shown = "、".join(sorted(supported))
    name = suffix or "（无扩展名）"
    return f"不支持的文件类型 {name}；支持：{shown}。Word 97-2003/WPS 文件请另存为 .docx 或 PDF"
