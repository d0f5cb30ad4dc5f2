"""Regulations are cut into one chunk per article, located by chapter/section/article."""

from __future__ import annotations

import pytest

from assistant.components.chunking import CONTINUED, DocumentChunker
from assistant.domain import Chunk, PageSpan
from assistant.settings import Settings
from tests.components.chunking.conftest import MakeDoc

REGULATION = """# 某市防灾条例

2001年3月5日 某市人民代表大会常务委员会第一次会议通过

2019年10月2日 某市人民代表大会常务委员会第九次会议修正

<!-- INFO END -->

目录

第一章 总则

第二章 预防

第一节 一般规定

第二节 专项规定

第三章 附则

## 第一章  总则

第一条 为了减轻灾害损失，制定本条例。

第二条 本条例适用于本市行政区域。

## 第二章  预防

### 第一节　一般规定

第三条 区人民政府应当做好下列工作：

（一）编制预案；

（二）组织演练。

第四条 依照本条例第二条的规定，街道办事处协助开展工作。
第三条规定的预案应当每年修订。

### 第二节　专项规定

第5条 居民委员会应当配合做好转移工作。

## 第三章　附　　则

第六条 本条例自2030年1月1日起施行。
"""


def _by_article(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
    grouped: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        grouped.setdefault(str(chunk.metadata["article"]), []).append(chunk)
    return grouped


def test_each_article_is_one_chunk_with_its_chapter_and_section(
    settings: Settings, make_doc: MakeDoc
) -> None:
    chunks = DocumentChunker(settings).chunk(make_doc("某市防灾条例(2019-10-02).md", REGULATION))
    assert [c.locator for c in chunks] == [
        "第一章 第一条",
        "第一章 第二条",
        "第二章 第一节 第三条",
        "第二章 第一节 第四条",
        "第二章 第二节 第5条",
        "第三章 第六条",
    ]
    assert [c.metadata["article_no"] for c in chunks] == [1, 2, 3, 4, 5, 6]
    assert [c.metadata["ordinal"] for c in chunks] == [0, 1, 2, 3, 4, 5]
    third = chunks[2]
    assert third.text == "第三条 区人民政府应当做好下列工作：\n（一）编制预案；\n（二）组织演练。"
    assert third.metadata["chapter"] == "第二章 预防"
    assert third.metadata["section_path"] == "第二章 预防 > 第一节 一般规定"
    assert third.metadata["part"] == 0
    assert third.embed_text == f"《某市防灾条例》 第二章 预防 第一节 一般规定 第三条\n{third.text}"
    assert chunks[-1].metadata["chapter"] == "第三章 附则"  # spaced heading names are squeezed


def test_quoted_article_references_do_not_start_articles(settings: Settings, make_doc: MakeDoc) -> None:
    chunks = DocumentChunker(settings).chunk(make_doc("某市防灾条例.md", REGULATION))
    fourth = _by_article(chunks)["第四条"]
    assert len(fourth) == 1
    # Both the mid-sentence reference and the line starting 第三条规定的… stay in article 4.
    assert fourth[0].text.endswith("第三条规定的预案应当每年修订。")
    assert len(_by_article(chunks)["第三条"]) == 1


def test_preamble_history_and_table_of_contents_are_not_indexed(
    settings: Settings, make_doc: MakeDoc
) -> None:
    chunks = DocumentChunker(settings).chunk(make_doc("某市防灾条例.md", REGULATION))
    joined = "\n".join(c.text for c in chunks)
    assert "会议通过" not in joined and "目录" not in joined and "INFO END" not in joined
    assert chunks[0].locator == "第一章 第一条"


def test_substantial_preamble_becomes_one_chunk_located_at_preface(
    settings: Settings, make_doc: MakeDoc
) -> None:
    preface = "为了让城市在各类灾害面前更安全，本市的居民、企业和政府部门共同承担防灾责任。" * 3
    text = f"# 某市防灾条例\n\n{preface}\n\n第一条 甲。\n\n第二条 乙。\n\n第三条 丙。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("某市防灾条例.md", text))
    assert chunks[0].locator == "序言"
    assert chunks[0].text == preface
    assert chunks[0].metadata["article_no"] == 0
    assert [c.locator for c in chunks[1:]] == ["第一条", "第二条", "第三条"]


def test_long_article_is_split_at_sentence_ends_into_labelled_parts(make_doc: MakeDoc) -> None:
    settings = Settings(chunk_max_chars=120, chunk_target_chars=80, chunk_min_chars=10)
    sentences = [f"第{n}句说明有关单位应当履行的一项具体职责和工作要求。" for n in range(1, 13)]
    body = "".join(sentences[:6]) + "\n" + "".join(sentences[6:])
    text = f"# 某条例\n\n第一条 {body}\n\n第二条 短条。\n\n第三条 另一短条。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("某条例.md", text))
    parts = [c for c in chunks if c.metadata["article"] == "第一条"]
    assert len(parts) >= 3
    assert [c.metadata["part"] for c in parts] == list(range(1, len(parts) + 1))
    assert {c.locator for c in parts} == {"第一条"}
    assert len({c.id for c in parts}) == len(parts)
    assert parts[0].text.startswith("第一条 ")
    for part in parts[1:]:
        assert part.text.startswith(f"第一条{CONTINUED} ")
    for part in parts:
        assert len(part.text) <= 120
        assert part.text.rstrip()[-1] == "。"  # every part ends at a sentence end
    rebuilt = "".join(p.text.removeprefix(f"第一条{CONTINUED} ") for p in parts)
    assert rebuilt.replace("\n", "") == f"第一条 {body}".replace("\n", "")
    sizes = [len(p.text) for p in parts]
    assert max(sizes) - min(sizes) < 60  # balanced, not 118 + 5
    assert chunks[-1].metadata["part"] == 0


def test_short_articles_are_not_merged(settings: Settings, make_doc: MakeDoc) -> None:
    text = "# 某条例\n\n第一条 甲。\n\n第二条 乙。\n\n第三条 丙。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("某条例.md", text))
    assert [c.text for c in chunks] == ["第一条 甲。", "第二条 乙。", "第三条 丙。"]


def test_glued_label_counts_only_when_it_is_the_next_article(settings: Settings, make_doc: MakeDoc) -> None:
    text = "# 某条例\n\n第一条 甲。\n\n第二条乙。\n\n第九条所称的丙，是指丁。\n\n第三条 戊。\n\n第四条 己。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("某条例.md", text))
    assert [c.locator for c in chunks] == ["第一条", "第二条", "第三条", "第四条"]
    assert chunks[1].text == "第二条乙。\n第九条所称的丙，是指丁。"


def test_pdf_chunks_record_the_page_where_they_start(settings: Settings, make_doc: MakeDoc) -> None:
    text = "某条例\n第一章 总则\n第一条 甲。\n第二条 乙。\n第三条 丙。\n"
    pages = [PageSpan(0, 1), PageSpan(text.index("第二条"), 2), PageSpan(text.index("第三条") + 3, 3)]
    doc = make_doc("某条例.pdf", text, pages=pages)
    chunks = DocumentChunker(settings).chunk(doc)
    assert [(c.locator, c.metadata["page"]) for c in chunks] == [
        ("第一章 第一条", 1),
        ("第一章 第二条", 2),
        ("第一章 第三条", 2),  # starts on page 2 even though it runs onto page 3
    ]


@pytest.mark.parametrize("label", ["第四十一条", "第41条"])
def test_article_numbers_from_chinese_or_digit_labels(
    settings: Settings, make_doc: MakeDoc, label: str
) -> None:
    text = f"# 某条例\n\n第三十九条 甲。\n\n第四十条 乙。\n\n{label} 丙。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("某条例.md", text))
    assert chunks[-1].metadata["article_no"] == 41
    assert chunks[-1].metadata["article"] == label


def test_appendix_heading_after_the_last_article_is_its_own_unit(
    settings: Settings, make_doc: MakeDoc
) -> None:
    text = "# 某条例\n\n第一条 甲。\n\n第二条 乙。\n\n第三条 丙。\n\n## 附件\n\n术语说明若干。\n"
    chunks = DocumentChunker(settings).chunk(make_doc("某条例.md", text))
    assert chunks[2].text == "第三条 丙。"
    assert (chunks[3].locator, chunks[3].text, chunks[3].metadata["article"]) == (
        "附件",
        "术语说明若干。",
        "",
    )
