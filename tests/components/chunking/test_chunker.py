"""The DocumentChunker contract: metadata keys and types, deterministic ids."""

from __future__ import annotations

import pytest

from assistant.components.chunking import DocumentChunker
from assistant.domain import chunk_id
from assistant.settings import Settings
from tests.components.chunking.conftest import MakeDoc

METADATA_KEYS = {
    "doc_id", "title", "file", "doc_type", "jurisdiction", "version_date", "locator", "section_path",
    "chapter", "article", "article_no", "part", "page", "audience", "hazards", "ordinal",
    "emergency_numbers",
}  # fmt: skip
INT_KEYS = {"article_no", "part", "page", "ordinal"}
REGULATION = (
    "# 某市排水条例\n\n## 第一章 总则\n\n第一条 甲。\n\n第二条 乙。\n\n## 第二章 管理\n\n第三条 丙。\n"
)


def test_metadata_has_exactly_the_contract_keys_with_flat_types(
    settings: Settings, make_doc: MakeDoc
) -> None:
    doc = make_doc("guide.md", "# 指南\n\n## 一节\n\n内容。\n", front_matter={"hazards": ["gas", "fire"]})
    for chunks in (
        DocumentChunker(settings).chunk(make_doc("某市排水条例.md", REGULATION)),
        DocumentChunker(settings).chunk(doc),
    ):
        assert chunks
        for chunk in chunks:
            assert set(chunk.metadata) == METADATA_KEYS
            for key, value in chunk.metadata.items():
                assert isinstance(value, int if key in INT_KEYS else str), key
    assert chunks[0].metadata["hazards"] == "gas,fire"


def test_ids_follow_domain_chunk_id_and_are_deterministic(settings: Settings, make_doc: MakeDoc) -> None:
    doc = make_doc("某市排水条例.md", REGULATION)
    first = DocumentChunker(settings).chunk(doc)
    second = DocumentChunker(settings).chunk(doc)
    assert [(c.id, c.text, c.embed_text, c.metadata) for c in first] == [
        (c.id, c.text, c.embed_text, c.metadata) for c in second
    ]
    for chunk in first:
        meta = chunk.metadata
        assert chunk.id == chunk_id(doc.content_hash, meta["locator"], meta["part"], meta["ordinal"])
        assert meta["doc_id"] == doc.content_hash[:16]
    assert len({c.id for c in first}) == len(first)


def test_changed_content_changes_ids(settings: Settings, make_doc: MakeDoc) -> None:
    before = DocumentChunker(settings).chunk(make_doc("a.md", REGULATION))
    after = DocumentChunker(settings).chunk(make_doc("b.md", REGULATION.replace("丙", "丁")))
    assert {c.id for c in before}.isdisjoint({c.id for c in after})


def test_inner_title_brackets_become_angle_brackets_in_embed_text(
    settings: Settings, make_doc: MakeDoc
) -> None:
    text = "# 某市实施《防洪法》办法\n\n第一条 甲。\n\n第二条 乙。\n\n第三条 丙。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("x.md", text))
    assert chunks[0].metadata["title"] == "某市实施《防洪法》办法"
    assert chunks[0].embed_text.startswith("《某市实施〈防洪法〉办法》 第一条\n第一条 甲。")


def test_blank_document_gives_no_chunks(settings: Settings, make_doc: MakeDoc) -> None:
    assert DocumentChunker(settings).chunk(make_doc("blank.md", "\n\n \n")) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("heading.md", "# 只有标题\n\n", "只有标题"),
        ("notice.txt", "台风来了要关好门窗，远离广告牌。", "台风来了要关好门窗，远离广告牌。"),
        ("notice.md", "\n台风来了要关好门窗，远离广告牌。\n", "台风来了要关好门窗，远离广告牌。"),
    ],
)
def test_document_that_is_only_its_title_is_indexed_as_that_text(
    settings: Settings, make_doc: MakeDoc, name: str, text: str, expected: str
) -> None:
    doc = make_doc(name, text)
    chunks = DocumentChunker(settings).chunk(doc)
    assert [chunk.text for chunk in chunks] == [expected]
    assert chunks[0].metadata["title"] == expected
    assert chunks[0].metadata["locator"] == "全文"
    assert chunks[0].embed_text.endswith(f"\n{expected}")
