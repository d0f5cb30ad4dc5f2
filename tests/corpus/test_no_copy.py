"""The pack is written in our own words: no long sentence is copied from ../shared/corpus.

Same rule as the repository's copy hook: split at 。！？； and newlines, strip whitespace,
and flag any piece of 30 or more characters found verbatim in a shared source. Whitespace is
removed on both sides first, because the seed paper breaks lines in mid-sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import pack_text_files, rel

MIN_COPY_CHARS = 30
_SPLIT = re.compile(r"[。！？；\n]")
_SPACE = re.compile(r"\s+")


def long_sentences(text: str) -> list[str]:
    pieces = (_SPACE.sub("", piece) for piece in _SPLIT.split(text))
    return [p for p in pieces if len(p) >= MIN_COPY_CHARS]


@pytest.fixture(scope="session")
def shared_text(shared_corpus: Path) -> str:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(shared_corpus.rglob("*"))
             if p.is_file() and p.suffix in {".md", ".txt"}]  # fmt: skip
    return "\x00".join(_SPACE.sub("", t) for t in texts)


def copied_sentences(text: str, shared_text: str) -> list[str]:
    return [sentence for sentence in long_sentences(text) if sentence in shared_text]


def test_no_sentence_is_copied_from_shared(shared_text: str) -> None:
    copied = [
        f"{rel(path)}: {sentence[:40]}…"
        for path in pack_text_files()
        for sentence in copied_sentences(path.read_text(encoding="utf-8"), shared_text)
    ]
    assert not copied, "sentences copied verbatim from ../shared/corpus:\n" + "\n".join(copied)


def test_copy_detector_catches_a_copied_article(shared_regulations: Path, shared_text: str) -> None:
    # A card that lifts a regulation sentence must be caught even when it re-wraps the lines,
    # while our own paraphrase of the same rule must not.
    source = (shared_regulations / "上海市防汛条例(2021-11-25).md").read_text(encoding="utf-8")
    article = next(line for line in source.splitlines() if line.startswith("第四十二条"))
    lifted = article.removeprefix("第四十二条").strip().split("，", 1)
    card = f"## 撤离\n\n1. {lifted[0]}， \n  {lifted[1]}\n"
    assert len(copied_sentences(card, shared_text)) == 1
    own = "1. 区政府会按防汛预案组织受严重威胁的居民撤离，其他单位要帮忙一起做好撤离工作（依据：…）"
    assert copied_sentences(own, shared_text) == []
