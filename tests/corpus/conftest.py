"""Fixtures for the knowledge-pack checks: the pack's files, parsed cards and the shared indexes.

The pack is data, so its tests read the real files in ``corpus/`` (and, where a check needs
the source texts, the real ``../shared/corpus``; those skip cleanly when it is absent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.components.knowledge_pack import (
    Card,
    Vocabulary,
    index_regulations,
    index_seed_sections,
    load_vocabulary,
    parse_card,
)
from assistant.settings import PROJECT_ROOT

CORPUS_DIR = PROJECT_ROOT / "corpus"
GUIDES_DIR = CORPUS_DIR / "guides"
SEED_FILE = "seed/000_62d0c2eaf4a88b7b.txt"


def pack_cards() -> list[Path]:
    """Every Markdown card in the pack, all folders."""
    return sorted(CORPUS_DIR.rglob("*.md"))


def pack_text_files() -> list[Path]:
    """Every text file of the pack that can carry citations or prose (cards and YAML data)."""
    return sorted([*CORPUS_DIR.rglob("*.md"), *CORPUS_DIR.rglob("*.yaml"), *CORPUS_DIR.rglob("*.yml")])


def rel(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    return load_vocabulary(CORPUS_DIR)


@pytest.fixture(scope="session")
def guide_cards(vocabulary: Vocabulary) -> dict[str, Card]:
    paths = sorted(GUIDES_DIR.glob("*.md"))
    return {rel(p): parse_card(p.read_text(encoding="utf-8"), rel(p), vocabulary) for p in paths}


@pytest.fixture(scope="session")
def regulation_index(shared_regulations: Path) -> dict[str, set[str]]:
    return index_regulations(shared_regulations)


@pytest.fixture(scope="session")
def seed_sections(shared_corpus: Path) -> set[tuple[str, str | None, str | None]]:
    return index_seed_sections((shared_corpus / SEED_FILE).read_text(encoding="utf-8"))
