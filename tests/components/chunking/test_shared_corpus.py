"""The chunker over the real corpus in ../shared (skips when it is absent).

Every regulation must come out as exactly its articles: the reference parse below reads the
source files independently (line-start markers only) and the chunks must reproduce it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.components.chunking import CONTINUED, DocumentChunker
from assistant.components.chunking.numerals import parse_numeral
from assistant.components.loaders import DocumentLoader
from assistant.domain import Chunk, LoadedDocument, sha256_bytes
from assistant.settings import Settings

pytestmark = pytest.mark.shared

NUM = "[零〇一二三四五六七八九十百千0-9]+"
ARTICLE_LINE = re.compile(rf"^(第({NUM})条)[ \u3000]")
CHAPTER_LINE = re.compile(rf"^#*\s*(第{NUM}章)")
SECTION_LINE = re.compile(rf"^#*\s*(第{NUM}节)")
SEED_PAPER = "seed/000_62d0c2eaf4a88b7b.txt"
#: Whitespace and zero-width characters: ignored when texts are compared.
BLANKS = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


def _raw(path: Path, settings: Settings) -> LoadedDocument:
    return LoadedDocument(
        path, path.read_text(encoding="utf-8"), "md", content_hash=sha256_bytes(path.read_bytes())
    )


def _loaded(path: Path, settings: Settings) -> LoadedDocument:
    return DocumentLoader(settings).load(path)


READERS: dict[str, Callable[[Path, Settings], LoadedDocument]] = {"read_text": _raw, "loader": _loaded}


def reference_articles(text: str) -> list[tuple[str, str, str]]:
    """(chapter label, article label, whitespace-free article text) for each line-start article."""
    articles: list[tuple[str, str, list[str]]] = []
    chapter = ""
    in_article = False
    for raw in text.splitlines():
        line = BLANKS.sub(" ", raw).strip()
        if not line:
            continue
        if CHAPTER_LINE.match(line):
            chapter = CHAPTER_LINE.match(line).group(1)  # type: ignore[union-attr]
            in_article = False
        elif SECTION_LINE.match(line):
            in_article = False
        elif ARTICLE_LINE.match(line):
            articles.append((chapter, ARTICLE_LINE.match(line).group(1), [line]))  # type: ignore[union-attr]
            in_article = True
        elif in_article:
            articles[-1][2].append(line)
    return [(ch, label, BLANKS.sub("", "".join(lines))) for ch, label, lines in articles]


def _regulation_files(shared_regulations: Path) -> list[Path]:
    files = sorted(shared_regulations.glob("*.md"))
    assert len(files) >= 30
    return files


def _articles_of(chunks: list[Chunk]) -> list[tuple[str, str, int, str]]:
    """(locator, article, article_no, joined text) per article, parts merged in order."""
    out: list[tuple[str, str, int, str]] = []
    for chunk in chunks:
        meta = chunk.metadata
        if not meta["article"]:
            continue
        text = chunk.text
        if meta["part"] > 1:
            prefix = f"{meta['article']}{CONTINUED}"
            assert text.startswith(prefix), (meta["file"], meta["locator"], text[:30])
            text = text[len(prefix) :]
            assert out and out[-1][0] == meta["locator"]
            out[-1] = (*out[-1][:3], out[-1][3] + text)
        else:
            out.append((str(meta["locator"]), str(meta["article"]), int(meta["article_no"]), text))
    return out


@pytest.mark.parametrize("reader", READERS)
def test_every_regulation_chunks_into_exactly_its_articles(
    shared_regulations: Path, settings: Settings, reader: str
) -> None:
    chunker = DocumentChunker(settings)
    for path in _regulation_files(shared_regulations):
        source = path.read_text(encoding="utf-8")
        expected = reference_articles(source)
        chunks = chunker.chunk(READERS[reader](path, settings))
        got = _articles_of(chunks)
        name = path.name
        assert [label for _, label, _ in expected] == [a[1] for a in got], name
        assert [a[2] for a in got] == list(range(1, len(got) + 1)), f"{name}: numbers not consecutive"
        assert [parse_numeral(label[1:-1]) for _, label, _ in expected] == [a[2] for a in got], name
        for (chapter, label, text), (locator, _, _, chunk_text) in zip(expected, got, strict=True):
            assert locator.split(" ")[0] == (chapter or label), f"{name} {label}: locator {locator}"
            assert BLANKS.sub("", chunk_text) == text, f"{name} {label}: text differs"
        assert all(c.metadata["doc_type"] == "regulation" for c in chunks), name
        assert all(len(c.text) <= settings.chunk_max_chars for c in chunks), name
        assert len({c.id for c in chunks}) == len(chunks), name


def test_regulation_metadata_over_the_corpus(shared_regulations: Path, settings: Settings) -> None:
    chunker = DocumentChunker(settings)
    for path in _regulation_files(shared_regulations):
        meta = chunker.chunk(_loaded(path, settings))[0].metadata
        dated = re.search(r"\((\d{4}-\d{2}-\d{2})\)", path.name)
        if dated:
            assert meta["version_date"] == dated.group(1), path.name
        expected_place = (
            "上海" if path.name.startswith("上海") else "北京" if path.name.startswith("北京") else "国家"
        )
        assert meta["jurisdiction"] == expected_place, path.name
        assert meta["title"] and "《" not in meta["title"][:1], path.name


def test_seed_paper_sections(shared_corpus: Path, settings: Settings) -> None:
    path = shared_corpus / SEED_PAPER
    chunks = DocumentChunker(settings).chunk(_loaded(path, settings))
    meta = chunks[0].metadata
    assert meta["doc_type"] == "paper" and meta["jurisdiction"] == "上海"
    assert meta["title"].startswith("上海全面建设安全韧性城市")
    locators = [c.locator for c in chunks]
    assert locators[0] == "引言"
    tops = list(dict.fromkeys(loc.split(" > ")[0] for loc in locators if loc != "引言"))
    assert [t[:2] for t in tops] == ["一、", "二、", "三、", "四、"]
    # Every section of the form 三、… > （二）… appears, in document order, with full-width brackets.
    subs = [loc.split(" > ")[1][:3] for loc in locators if loc.startswith("三、")]
    assert subs == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）"]
    for chunk in chunks:
        assert len(chunk.text) <= settings.chunk_max_chars
        assert "\n\n" not in chunk.text
    # No text is lost: every source line (but the title) is in a chunk's text or in a heading.
    chunk_text = BLANKS.sub("", "".join(c.text for c in chunks))
    headings = "\n".join(BLANKS.sub("", c.locator) for c in chunks)
    source_lines = [BLANKS.sub("", line) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in filter(None, source_lines[1:]):
        full_width = re.sub(r"^\(([一二三四五六七八九十]+)\)", r"（\1）", line)
        assert line in chunk_text or full_width in headings, line


FORMAT_ORIGINALS = {
    "上海市防汛条例-排版.pdf": "上海市防汛条例(2021-11-25).md",
    "上海市消防条例.docx": "上海市消防条例(2020-03-19).md",
    "上海市燃气管理条例-GBK.txt": "上海市燃气管理条例.md",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", FORMAT_ORIGINALS)
def test_other_formats_chunk_into_the_same_articles_as_the_markdown(
    shared_formats: Path, shared_regulations: Path, settings: Settings, name: str
) -> None:
    """A regulation read from PDF/DOCX/GBK text gives the same articles, chapters and wording."""
    chunker = DocumentChunker(settings)
    original = _articles_of(chunker.chunk(_loaded(shared_regulations / FORMAT_ORIGINALS[name], settings)))
    chunks = chunker.chunk(_loaded(shared_formats / name, settings))
    converted = _articles_of(chunks)
    assert [(loc, no) for loc, _, no, _ in converted] == [(loc, no) for loc, _, no, _ in original]
    for (locator, _, _, text), (_, _, _, expected) in zip(converted, original, strict=True):
        assert BLANKS.sub("", text) == BLANKS.sub("", expected), f"{name} {locator}"
    pages = [int(c.metadata["page"]) for c in chunks]
    if name.endswith(".pdf"):
        assert pages[0] == 1 and pages == sorted(pages) and pages[-1] > 1
    else:
        assert set(pages) == {0}
