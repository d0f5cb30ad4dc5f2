"""Replacing an uploaded file without ever losing the copy that is indexed.

The kept copy in ``data_dir/uploads`` is what re-scans and restarts index, so it may only be
replaced by bytes that parsed and indexed. An upload is first copied into a staging folder
beside ``uploads/`` (never scanned); the previous copy gets a second name there (a hard link),
the new bytes are moved into place atomically, and after the ingest either the backup is
dropped (indexed) or moved back (failed). A crash in between is repaired at the next start by
:func:`recover_staged_uploads`, which puts every uncommitted backup back.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

#: Folder beside ``uploads/`` (same file system, so links and renames are atomic) for the bytes
#: of uploads being indexed and the previous copies they would replace.
STAGING = ".upload-staging"


@dataclass
class StagedUpload:
    """One upload put in place with the previous copy kept until the new one is indexed.

    The kept copy in ``uploads/`` is what re-scans and restarts index, so it may only be
    replaced by bytes that parsed and indexed: a failed re-upload must leave both the old file
    and its chunks exactly as they were (and say so).
    """

    target: Path
    backup: Path | None

    @classmethod
    def put(cls, source: Path, target: Path, staging: Path) -> StagedUpload:
        token = uuid.uuid4().hex[:12]
        incoming = staging / f"{token}.new.{target.name}"
        shutil.copyfile(source, incoming)
        backup = None
        if target.exists():
            backup = staging / f"{token}.old.{target.name}"
            os.link(target, backup)  # a second name for the old bytes; the target never vanishes
        os.replace(incoming, target)  # atomic: readers see the old or the new file, never none
        return cls(target, backup)

    def commit(self) -> None:
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)

    def roll_back(self) -> str:
        """Put the previous file back (or remove a new one); the note for the result row."""
        if self.backup is not None:
            os.replace(self.backup, self.target)
            return "；原文件已恢复，未作任何改动"
        self.target.unlink(missing_ok=True)
        return "；文件未保存"


def staging_dir(uploads: Path) -> Path:
    return uploads.parent / STAGING


def recover_staged_uploads(folder: Path) -> list[str]:
    """After a crash mid-upload: put back previous copies whose replacement was never committed.

    A backup left in the staging folder means its upload never finished, so the bytes in
    ``uploads/`` are unverified; the backup's are the ones that were indexed. Returns the names
    restored.
    """
    staging = staging_dir(folder)
    restored: list[str] = []
    if not staging.is_dir():
        return restored
    for leftover in sorted(staging.iterdir()):
        _token, kind, name = [*leftover.name.split(".", 2), "", ""][:3]
        if kind == "old" and name:
            os.replace(leftover, folder / name)
            restored.append(name)
        else:
            leftover.unlink(missing_ok=True)
    return restored
