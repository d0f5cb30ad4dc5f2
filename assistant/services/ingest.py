"""Ingest: turn files and folders into chunks in the index, incrementally and crash-safely.

Why it is shaped this way:

* **Cheap when nothing changed.** Every file's bytes are hashed and compared with the
  manifest before anything is parsed, so re-ingesting an unchanged corpus loads no PDF and no
  model.
* **Nothing already indexed is lost.** A file that fails to load is reported and its previous
  chunks stay. A changed file's new chunks are stored first, then the manifest records them,
  and only then are its stale chunks deleted: the manifest never claims a chunk the store
  lacks, so a kill at any point leaves an index that still answers.
* **Self-healing.** Each run first reconciles the store with the manifest: chunks no manifest
  entry claims (left by a killed run) are deleted, and documents whose chunks went missing are
  re-embedded. The result equals a clean build (chunk ids are deterministic).
* **Embedding dominates.** Loading and chunking of the next file runs in a worker thread
  while the current one is embedded, and each batch is written to Chroma in another while the
  next files are embedded (Chroma's local writes took 6.8 s of a 45 s ingest of the shared
  corpus, all of it on the embedding's critical path). One write at a time, in order, and each
  batch keeps its store → manifest → stale-deletion order, so kill-safety is unchanged.
  Chroma's writes hold the GIL, so a large run embeds in a child process
  (:mod:`assistant.components.embedding_process`); :meth:`IngestService.ingest` stops it at the end.

Which files are looked at (folder policy) lives in :mod:`assistant.services.ingest_files`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from langchain_core.embeddings import Embeddings

from assistant.components.index_lock import WriteLock
from assistant.components.manifest import Manifest, ManifestEntry
from assistant.components.vector_store import ChromaStore
from assistant.domain import Chunk, DocumentLoadError, FileResult, FileStatus, LoadedDocument, sha256_bytes
from assistant.services.document_status import facts_of, refresh_statuses
from assistant.services.ingest_files import FileJob, discover
from assistant.settings import Settings

Progress = Callable[[int, int, str], None]

#: Version of the loading and chunking output; part of each file's recorded hash so that an
#: index built by an older pipeline is re-chunked by the next ingest instead of kept as is.
PIPELINE_VERSION = 3


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
class _Embedded:
    """A file's chunks and vectors, waiting to be written with others in one Chroma call."""

    job: FileJob
    chunks: list[Chunk]
    vectors: list[list[float]]

    @property
    def new_ids(self) -> set[str]:
        return {chunk.id for chunk in self.chunks}


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
        lock: WriteLock,
    ) -> None:
        self.settings = settings
        self.loader = loader
        self.chunker = chunker
        self.embeddings = embeddings
        self.store = store
        self.manifest = manifest
        self.lock = lock
        self._writing = False
        self._twins: list[tuple[FileJob, FileJob]] = []
        #: (effective_date, facts JSON) parsed while preparing each file, recorded with its row.
        self._facts: dict[str, tuple[str, str]] = {}

    # --- public -----------------------------------------------------------------------
    def ingest(
        self, paths: list[Path], prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Index ``paths`` (files or folders); with ``prune`` forget documents whose files are gone."""
        started = time.perf_counter()
        report = IngestReport()
        try:
            with self.lock:
                self._run(paths, prune, progress, report)
        finally:
            self._end_embedding_run()
        order = {"failed": 0, "skipped": 1, "removed": 2, "added": 3, "updated": 4, "unchanged": 5}
        report.files.sort(key=lambda result: (order[result.status], result.file))
        report.seconds = time.perf_counter() - started
        return report

    def _end_embedding_run(self) -> None:
        """Stop an embedding child the run started (:mod:`~assistant.components.embedding_process`)."""
        close = getattr(self.embeddings, "close", None)
        if callable(close):
            close()

    def _run(self, paths: list[Path], prune: bool, progress: Progress | None, report: IngestReport) -> None:
        """The ingest itself, under the write lock."""
        entries = self.manifest.entries()
        # A clean manifest (last run finished) means the store holds exactly its chunks, so an
        # all-unchanged run never needs to open Chroma (importing it alone takes ~1 s).
        trusted = not self.manifest.is_dirty() and (self.store.may_exist() or not entries)
        self._writing = False
        forced: set[str] = set()
        if not trusted:
            self._begin_write()
            forced = self._reconcile(entries, full=True)
        self._twins = []
        jobs, results = discover(paths)
        report.files.extend(results)
        todo = self._triage(jobs, entries, forced, report)
        total = len(todo)
        batch: list[_Embedded] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write") as writer:
            writing: Future[None] | None = None
            for done, (job, prepared) in enumerate(self._prepared(todo), start=1):
                embedded = self._embed(job, prepared, report)
                if embedded is not None:
                    batch.append(embedded)
                if sum(len(item.chunks) for item in batch) >= self.settings.index_write_batch:
                    writing = self._write_behind(writer, writing, batch, report)
                    batch = []
                if progress is not None:
                    progress(done, total, job.display)
            writing = self._write_behind(writer, writing, batch, report)
            if writing is not None:
                writing.result()
        self._report_twins(report)
        if prune:
            self._prune(paths, entries, report)
        if self._writing:
            self._reconcile(self.manifest.entries())
            report.total_chunks = self.store.count()
            self.manifest.set_dirty(False)
        else:
            report.total_chunks = sum(entry.chunk_count for entry in entries.values())
        # validity depends on the whole collection: a law added or removed here flips others
        refresh_statuses(self.manifest, self.loader)
        self._facts.clear()

    def remove(self, doc_id_or_path: str) -> list[FileResult]:
        """Forget one document (by doc_id or file path): its chunks and manifest row, under the lock.

        The file itself is left alone; the next ingest of its folder adds it again unless it is
        deleted too. Returns one ``removed`` result per manifest row dropped (empty: not indexed).
        """
        wanted = str(doc_id_or_path)
        key_of_path = str(Path(wanted).resolve())
        results: list[FileResult] = []
        with self.lock:
            entries = self.manifest.entries()
            matches = [
                (key, entry)
                for key, entry in sorted(entries.items())
                if entry.doc_id == wanted or key == key_of_path
            ]
            if not matches:
                return results
            self._writing = False
            for key, entry in matches:
                self._begin_write()
                ids = set(entry.chunk_ids) | self.store.ids_for_doc(entry.doc_id)
                self.manifest.remove(key)  # first, as in _prune: a kill leaves only extra chunks
                self.store.delete(ids - self._claimed_by_others(key))
                results.append(FileResult(key, "removed", chunks=entry.chunk_count))
            self._reconcile(self.manifest.entries())
            self.manifest.set_dirty(False)
            refresh_statuses(self.manifest, self.loader)
        return results

    # --- steps ------------------------------------------------------------------------
    def _pipeline_stamp(self) -> bytes:
        """What else decides a file's chunks besides its bytes: a change re-chunks every file.

        Bump :data:`PIPELINE_VERSION` whenever loaders or chunkers change their output.
        """
        s = self.settings
        return (
            f"\x00{PIPELINE_VERSION}|{s.chunk_max_chars}|{s.chunk_target_chars}|{s.chunk_min_chars}".encode()
        )

    def _triage(
        self, jobs: list[FileJob], entries: dict[str, ManifestEntry], forced: set[str], report: IngestReport
    ) -> list[FileJob]:
        """Hash every file; unchanged ones are reported at once and never parsed."""
        todo: list[FileJob] = []
        # Only what is already indexed may stand in for a file: a hash is never claimed before
        # its file parsed and was recorded, so a failed twin cannot hide a good one. The suffix
        # is part of the key: the same bytes read as .docx and as .md are different documents.
        owner_of_hash = {
            (entry.content_hash, Path(key).suffix.lower()): key
            for key, entry in entries.items()
            if key not in forced
        }
        in_run: dict[tuple[str, str], FileJob] = {}
        for job in jobs:
            try:
                job.data_hash = sha256_bytes(job.path.read_bytes() + self._pipeline_stamp())
            except OSError as exc:
                report.files.append(
                    FileResult(job.display, "failed", reason=f"无法读取文件：{exc.strerror or exc}")
                )
                continue
            job.old = entries.get(job.key)
            if job.old and job.old.content_hash == job.data_hash and job.key not in forced:
                report.files.append(FileResult(job.display, "unchanged", chunks=job.old.chunk_count))
                continue
            twin_key = (job.data_hash, job.path.suffix.lower())
            owner = owner_of_hash.get(twin_key)
            if owner is not None and owner != job.key and Path(owner).is_file() and job.old is None:
                # identical bytes give identical chunk ids: index the content once
                report.files.append(
                    FileResult(
                        job.display,
                        "skipped",
                        reason=f"内容与已索引的 {Path(owner).name} 完全相同，未重复索引",
                    )
                )
                continue
            first = in_run.get(twin_key)
            if first is not None and job.old is None:
                self._twins.append((job, first))  # judged by what happens to its first copy
                continue
            in_run.setdefault(twin_key, job)
            todo.append(job)
        return todo

    def _report_twins(self, report: IngestReport) -> None:
        """Report each file whose bytes equal another file's of this run by that file's outcome."""
        outcome = {result.file: result for result in report.files}
        for twin, first in self._twins:
            result = outcome.get(first.display)
            name = Path(first.display).name
            if result is not None and result.status == "failed":
                reason = f"内容与 {name} 完全相同，{name} 未能索引：{result.reason}"
                report.files.append(FileResult(twin.display, "failed", reason=reason))
            else:
                reason = f"内容与已索引的 {name} 完全相同，未重复索引"
                report.files.append(FileResult(twin.display, "skipped", reason=reason))

    def _prepare(self, job: FileJob) -> list[Chunk] | str:
        """Load and chunk one file; a string is the reason it failed."""
        try:
            doc = self.loader.load(job.path)
            chunks = self.chunker.chunk(doc)
            if chunks:
                self._facts[job.key] = facts_of(doc, chunks)
        except DocumentLoadError as exc:
            return exc.reason
        except Exception as exc:  # a bug or odd input in one file must not stop the batch
            return f"处理失败：{type(exc).__name__}: {exc}"
        if not chunks:
            return "文档中没有可索引的文字内容"
        return chunks

    def _prepared(self, jobs: list[FileJob]) -> Iterator[tuple[FileJob, list[Chunk] | str]]:
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

    def _embed(self, job: FileJob, prepared: list[Chunk] | str, report: IngestReport) -> _Embedded | None:
        """Embed one file's chunks; a load or embedding failure is reported for that file alone."""
        if isinstance(prepared, str):
            kept = f"（索引中保留了此前的 {job.old.chunk_count} 个片段）" if job.old else ""
            report.files.append(FileResult(job.display, "failed", reason=prepared + kept))
            return None
        try:
            vectors = self.embeddings.embed_documents([chunk.embed_text for chunk in prepared])
        except Exception as exc:
            report.files.append(
                FileResult(job.display, "failed", reason=f"向量化失败：{type(exc).__name__}: {exc}")
            )
            return None
        return _Embedded(job, prepared, vectors)

    def _write_behind(
        self,
        writer: ThreadPoolExecutor,
        writing: Future[None] | None,
        batch: list[_Embedded],
        report: IngestReport,
    ) -> Future[None] | None:
        """Wait for the previous write (re-raising its error), then start writing ``batch``."""
        if writing is not None:
            writing.result()
        return writer.submit(self._flush, list(batch), report) if batch else None

    def _flush(self, batch: list[_Embedded], report: IngestReport) -> None:
        """Write several files' chunks in one Chroma call, then record each file and drop its stale chunks.

        Chroma's local writes cost ~0.1 s per call plus a little per row, so one call for
        hundreds of chunks is several times faster than one per file.
        """
        if not batch:
            return
        self._begin_write()
        try:
            self.store.upsert(
                [chunk for item in batch for chunk in item.chunks],
                [vector for item in batch for vector in item.vectors],
            )
        except Exception as exc:
            for item in batch:
                old_ids = set(item.job.old.chunk_ids) if item.job.old else set()
                self.store.delete(item.new_ids - old_ids)  # best effort; the next run reconciles too
                reason = f"写入索引失败：{type(exc).__name__}: {exc}"
                report.files.append(FileResult(item.job.display, "failed", reason=reason))
            return
        for item in batch:
            self._replace(item, report)
        batch.clear()

    def _replace(self, item: _Embedded, report: IngestReport) -> None:
        """After a file's new chunks are stored: record the manifest, then delete stale chunks.

        In this order the manifest never claims a chunk the store lacks; a kill before the
        deletion leaves only extra chunks, which the next run removes (the run is marked dirty).
        """
        job, chunks = item.job, item.chunks
        doc_id = str(chunks[0].metadata.get("doc_id", ""))
        first = chunks[0].metadata
        effective_date, facts = self._facts.pop(job.key, ("", ""))
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
                chunk_ids=sorted(item.new_ids),
                effective_date=effective_date,
                facts=facts,
            )
        )
        stale = set(job.old.chunk_ids) if job.old else set()
        for stored_doc in {doc_id, job.old.doc_id if job.old else ""} - {""}:
            stale |= self.store.ids_for_doc(stored_doc)
        self.store.delete(stale - item.new_ids - self._claimed_by_others(job.key))
        report.embedded_chunks += len(chunks)
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
            self.manifest.remove(key)  # first: a kill now leaves only extra chunks, removed next run
            self.store.delete(ids - self._claimed_by_others(key))
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
