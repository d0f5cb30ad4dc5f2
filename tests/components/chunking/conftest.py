"""Builders of LoadedDocument objects for chunking tests.

The chunker's input is a LoadedDocument; building it here from text written by the tests
keeps these tests independent of the loaders (Markdown is read as-is, like the loader does
minus front matter).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.domain import LoadedDocument, PageSpan, sha256_bytes

MakeDoc = Callable[..., LoadedDocument]


@pytest.fixture
def make_doc(tmp_path: Path) -> MakeDoc:
    """``make_doc(name, text, front_matter=None, pages=None)``: write the file and wrap it."""

    def build(
        name: str,
        text: str,
        front_matter: dict[str, Any] | None = None,
        pages: list[PageSpan] | None = None,
    ) -> LoadedDocument:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return LoadedDocument(
            path=path,
            text=text,
            source_format=path.suffix.lstrip(".") or "txt",
            front_matter=dict(front_matter or {}),
            pages=list(pages or []),
            content_hash=sha256_bytes(path.read_bytes()),
        )

    return build
