"""Fixtures shared by the whole suite.

Tests that read the real corpus in ``../shared`` use the ``shared_dir`` fixture (or the
``shared_corpus``/``shared_formats`` ones), which skip cleanly when the folder is absent —
a user's clone does not have it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings, load_settings

SHARED_DIR = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED_DIR / "corpus").is_dir():
        pytest.skip("../shared is absent (only developers and CI have it)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def shared_corpus(shared_dir: Path) -> Path:
    return shared_dir / "corpus"


@pytest.fixture(scope="session")
def shared_regulations(shared_corpus: Path) -> Path:
    return shared_corpus / "regulations"


@pytest.fixture(scope="session")
def shared_formats(shared_dir: Path) -> Path:
    path = shared_dir / "formats"
    if not path.is_dir():
        pytest.skip("../shared/formats is absent")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing every writable folder into a fresh temp dir."""
    return load_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data")
