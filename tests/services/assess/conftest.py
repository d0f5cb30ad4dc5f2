"""Fixtures of the self-assessment tests: a small hand-checkable checklist written to disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.services.assess import Checklist, load_checklist

from .builders import small_checklist_data, write_checklist


@pytest.fixture
def small_path(tmp_path: Path) -> Path:
    return write_checklist(tmp_path / "checklists", small_checklist_data())


@pytest.fixture
def small(small_path: Path) -> Checklist:
    return load_checklist(small_path)
