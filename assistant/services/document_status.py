"""Document status over the indexed collection: kept in the manifest, attached at query time.

Why here and not in chunks: a law ingested later can repeal one indexed long ago, and removing
it makes the older one current again; re-embedding old documents for that would be absurd. So
ingest stores each document's parsed facts in the manifest, :func:`refresh_statuses` recomputes
every status after each run, and :class:`StatusAnnotator` stamps the statuses onto the chunks of
each new lexical index (one manifest read per index generation, none per passage), where the
ranker, the answer composer, search and citations read them from ``chunk.metadata``.

Metadata keys set on every chunk of the lexical index (all strings):
``status`` (in_force / repealed / amended / unknown), ``effective_date`` and ``version_date``
(YYYY-MM-DD or ''), ``repealed_by`` (title of the repealing or newer-version document, or ''),
``repealed_by_article`` (第X条 or ''), ``repealed_by_date`` (YYYY-MM-DD or ''), ``superseded_by``
(title when the repeal is a newer version of the same title, else '').
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from assistant.components.document_status import (
    FACTS_VERSION,
    DocumentFacts,
    DocumentRecord,
    DocumentStatus,
    compute_statuses,
    parse_document_facts,
    status_key,
)
from assistant.components.lexical_index import LexicalIndex
from assistant.components.manifest import Manifest, ManifestEntry
from assistant.domain import Chunk, LoadedDocument

#: The metadata keys :class:`StatusAnnotator` sets (the contract other components read).
STATUS_KEYS = (
    "status",
    "effective_date",
    "version_date",
    "repealed_by",
    "repealed_by_article",
    "repealed_by_date",
    "superseded_by",
)


class Loader(Protocol):
    def load(self, path: Path) -> LoadedDocument: ...


def facts_of(doc: LoadedDocument, chunks: list[Chunk]) -> tuple[str, str]:
    """``(effective_date, facts_json)`` of a loaded document, for its manifest row.

    Title and version date come from the chunks' metadata so they equal what citations show.
    """
    first = chunks[0].metadata if chunks else {}
    facts = parse_document_facts(
        str(first.get("title") or doc.path.stem),
        doc.text,
        doc.front_matter,
        str(first.get("version_date") or ""),
        doc.path.name,
    )
    return facts.effective_date, json.dumps(facts.to_json(), ensure_ascii=False, sort_keys=True)


def _facts(entry: ManifestEntry) -> DocumentFacts | None:
    if not entry.facts:
        return None
    try:
        facts = DocumentFacts.from_json(json.loads(entry.facts))
    except (ValueError, TypeError, AttributeError):
        return None
    return facts if facts.version == FACTS_VERSION else None


def records(entries: Mapping[str, ManifestEntry]) -> list[DocumentRecord]:
    """Status inputs of manifest rows; a row without parsed facts is judged by its dates alone."""
    out: list[DocumentRecord] = []
    for path, entry in entries.items():
        facts = _facts(entry) or DocumentFacts(
            key=status_key(entry.title),
            effective_date=entry.effective_date,
            version_date=entry.version_date,
        )
        out.append(DocumentRecord(path, entry.title, facts))
    return out


def refresh_statuses(manifest: Manifest, loader: Loader | None = None) -> dict[str, DocumentStatus]:
    """Recompute every document's status and store it; call after each ingest, prune or removal.

    Rows written before facts were parsed (an index from an older version) are parsed now from
    their files when ``loader`` is given; a file that is gone or fails to load keeps dates only.
    """
    entries = manifest.entries()
    if loader is not None:
        missing: dict[str, tuple[str, str]] = {}
        for path, entry in entries.items():
            if _facts(entry) is not None or not Path(path).is_file():
                continue
            try:
                doc = loader.load(Path(path))
            except Exception:  # a file that no longer loads keeps the row's dates; ingest reports it
                continue
            stub = Chunk("", "", "", {"title": entry.title, "version_date": entry.version_date})
            try:
                missing[path] = facts_of(doc, [stub])
            except ValueError:
                continue
        if missing:
            manifest.set_facts(missing)
            entries = manifest.entries()
    statuses = compute_statuses(records(entries))
    manifest.set_statuses(
        {
            path: (status.status, json.dumps(status.to_json(), ensure_ascii=False, sort_keys=True))
            for path, status in statuses.items()
        }
    )
    return statuses


def stored_status(entry: ManifestEntry) -> DocumentStatus:
    """The status a run stored for ``entry`` (stats and the library read this)."""
    try:
        data = json.loads(entry.status_detail or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict) or not data:
        data = {
            "status": entry.status,
            "version_date": entry.version_date,
            "effective_date": entry.effective_date,
        }
    return DocumentStatus.from_json(data)


def status_metadata(status: DocumentStatus) -> dict[str, str]:
    """The chunk metadata values of one status (see the module docstring for the keys)."""
    ref = status.repealed_by or {}
    return {
        "status": status.status,
        "effective_date": status.effective_date,
        "version_date": status.version_date,
        "repealed_by": ref.get("title", ""),
        "repealed_by_article": ref.get("article", ""),
        "repealed_by_date": ref.get("date", ""),
        "superseded_by": (status.superseded_by or {}).get("title", ""),
    }


def status_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Status fields of a passage for JSON output (search results, citations)."""
    repealed_by = None
    if meta.get("repealed_by"):
        repealed_by = {
            "title": str(meta.get("repealed_by", "")),
            "article": str(meta.get("repealed_by_article", "")),
            "date": str(meta.get("repealed_by_date", "")),
        }
    return {
        "status": str(meta.get("status") or "unknown"),
        "effective_date": str(meta.get("effective_date") or ""),
        "version_date": str(meta.get("version_date") or ""),
        "repealed_by": repealed_by,
    }


class StatusAnnotator:
    """Stamps each lexical index's chunks with their document's status, once per index object.

    The lexical keeper hands out a new index per manifest generation, so the identity check is
    the per-generation cache: a repeated query costs one ``is`` comparison.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._done: LexicalIndex | None = None
        self._done_generation: int | None = None
        self._lock = threading.Lock()

    def annotate(self, lexical: LexicalIndex) -> None:
        """Stamp ``lexical`` unless this very index (at this generation) was stamped already."""
        if self._done is lexical and self._done_generation == lexical.generation:
            return
        with self._lock:
            if self._done is lexical and self._done_generation == lexical.generation:
                return
            entries = self.manifest.entries() if self.manifest.exists() else {}
            self.stamp(lexical.chunks, entries)
            self._done, self._done_generation = lexical, lexical.generation

    @staticmethod
    def stamp(chunks: Iterable[Chunk], entries: Mapping[str, ManifestEntry]) -> None:
        """Set the status keys on ``chunks`` from statuses computed over ``entries``."""
        statuses = compute_statuses(records(entries))
        by_doc: dict[str, dict[str, str]] = {}
        for path, entry in entries.items():
            by_doc.setdefault(entry.doc_id, status_metadata(statuses[path]))
        for chunk in chunks:
            values = by_doc.get(str(chunk.metadata.get("doc_id", "")))
            if values is None:
                values = status_metadata(
                    DocumentStatus("unknown", version_date=str(chunk.metadata.get("version_date") or ""))
                )
            chunk.metadata.update(values)


#: How each status reads in the UI and the CLI.
STATUS_LABELS = {"in_force": "现行有效", "repealed": "已废止", "amended": "已修改", "unknown": "未知"}


def status_label(status: DocumentStatus) -> str:
    """'已废止（《上海市气象条例》第四十一条，2024-11-01）', '现行有效', … for tables."""
    label = STATUS_LABELS.get(status.status, status.status)
    ref = status.repealed_by or status.amended_by
    if ref and ref.get("title"):
        kind = "新版本" if status.superseded_by else ""
        detail = "，".join(part for part in (ref.get("article", ""), ref.get("date", "")) if part)
        return f"{label}（{kind}《{ref['title']}》{detail}）"
    return label
