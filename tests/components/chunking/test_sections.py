"""Papers, guides and cases are cut at headings; the heading path is the locator."""

from __future__ import annotations

from assistant.components.chunking import DocumentChunker
from assistant.components.chunking.sections import normalise_heading, numbered_heading_rank
from assistant.settings import Settings
from tests.components.chunking.conftest import MakeDoc

CARD = """# 家中燃气泄漏怎么办

## 燃气泄漏：第一时间要做的事

1. 不要开关任何电器
2. 打开门窗通风。

## 燃气泄漏：离开以后

到室外安全地点再打电话报修。

### 燃气泄漏：报修时说清什么

说清地址和闻到气味的位置。
"""


def test_markdown_card_is_cut_at_headings_only(settings: Settings, make_doc: MakeDoc) -> None:
    doc = make_doc(
        "gas-leak.md",
        CARD,
        front_matter={"title": "家中燃气泄漏怎么办", "doc_type": "guide", "audience": ["resident"]},
    )
    chunks = DocumentChunker(settings).chunk(doc)
    assert [c.locator for c in chunks] == [
        "燃气泄漏：第一时间要做的事",
        "燃气泄漏：离开以后",
        "燃气泄漏：离开以后 > 燃气泄漏：报修时说清什么",
    ]
    # The numbered list stays body text of its section (Markdown headings alone count).
    assert chunks[0].text == "1. 不要开关任何电器\n2. 打开门窗通风。"
    assert chunks[2].metadata["section_path"] == "燃气泄漏：离开以后 > 燃气泄漏：报修时说清什么"
    assert chunks[2].embed_text.startswith(
        "《家中燃气泄漏怎么办》 燃气泄漏：离开以后 > 燃气泄漏：报修时说清什么\n"
    )
    assert all(c.metadata["audience"] == "resident" for c in chunks)
    assert all(c.metadata["article"] == "" and c.metadata["article_no"] == 0 for c in chunks)


def test_plain_text_with_chinese_numbering(settings: Settings, make_doc: MakeDoc) -> None:
    text = (
        "城市韧性的几点思考\n\n这是开头的说明文字。\n\n一、面临的风险\n\n(一)气候风险\n\n台风频繁。\n\n"
        "（二）基础设施\n\n管网老化。\n\n1.排水管网\n\n部分管网标准偏低。\n\n二、对策\n\n加强统筹。\n"
    )
    chunks = DocumentChunker(settings).chunk(make_doc("essay.txt", text))
    assert [(c.locator, c.text) for c in chunks] == [
        ("引言", "这是开头的说明文字。"),
        ("一、面临的风险 > （一）气候风险", "台风频繁。"),
        ("一、面临的风险 > （二）基础设施", "管网老化。"),
        ("一、面临的风险 > （二）基础设施 > 1.排水管网", "部分管网标准偏低。"),
        ("二、对策", "加强统筹。"),
    ]
    assert chunks[0].metadata["title"] == "城市韧性的几点思考"


def test_text_without_headings_is_located_as_whole(settings: Settings, make_doc: MakeDoc) -> None:
    chunks = DocumentChunker(settings).chunk(make_doc("note.md", "# 一则提示\n\n夏季注意防暑。\n"))
    assert [(c.locator, c.text, c.metadata["part"]) for c in chunks] == [("全文", "夏季注意防暑。", 0)]


def test_long_sections_are_packed_at_sentence_ends(make_doc: MakeDoc) -> None:
    settings = Settings(chunk_max_chars=100, chunk_target_chars=60, chunk_min_chars=15)
    paragraphs = ["".join(f"第{p}段第{s}句讲一件事情。" for s in range(1, 5)) for p in range(1, 6)]
    text = "# 指南\n\n## 一节\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = DocumentChunker(settings).chunk(make_doc("guide.md", text))
    assert len(chunks) > 2
    assert [c.metadata["part"] for c in chunks] == list(range(1, len(chunks) + 1))
    for chunk in chunks:
        assert len(chunk.text) <= 100
        assert chunk.text.endswith("。")
        assert chunk.locator == "一节"
    assert "".join(c.text for c in chunks).replace("\n", "") == "".join(paragraphs)


def test_one_overlong_sentence_is_cut_at_clauses(make_doc: MakeDoc) -> None:
    settings = Settings(chunk_max_chars=60, chunk_target_chars=40, chunk_min_chars=5)
    sentence = "，".join(f"第{n}个分句内容" for n in range(1, 20)) + "。"
    chunks = DocumentChunker(settings).chunk(make_doc("g.md", f"# 指南\n\n{sentence}\n"))
    assert len(chunks) > 1
    assert all(len(c.text) <= 60 for c in chunks)
    assert "".join(c.text for c in chunks) == sentence


def test_hard_wrapped_text_is_rejoined_into_paragraphs(settings: Settings, make_doc: MakeDoc) -> None:
    paragraph = "城市安全需要全社会共同参与，社区要定期组织演练并检查设施，居民要掌握基本的自救互救技能。" * 4
    width = 30
    wrapped = [paragraph[i : i + width] for i in range(0, len(paragraph), width)]
    heading_line = "一、这是一个很长的小节标题，它正好占满了一整行所以被折到下一"  # 30 chars
    text = "某研究报告\n\n" + "\n\n".join([heading_line, "行去了", *wrapped, "（一）第二层", *wrapped]) + "\n"
    chunks = DocumentChunker(settings).chunk(make_doc("wrapped.txt", text))
    assert chunks[0].locator == "一、这是一个很长的小节标题，它正好占满了一整行所以被折到下一行去了"
    assert chunks[0].text == paragraph  # lines joined with no stray newlines or spaces
    assert chunks[1].locator.endswith(" > （一）第二层")


def test_numbered_heading_rules() -> None:
    assert numbered_heading_rank("三、主要问题") == 1
    assert numbered_heading_rank("(二)基础设施") == 2
    assert numbered_heading_rank("2. 筑牢防线") == 3
    assert numbered_heading_rank("2.2 个台风。") is None  # sentence, and a decimal number
    assert numbered_heading_rank("一、" + "很长" * 40) is None
    assert numbered_heading_rank("（一）编制预案；") is None  # list item, not a heading
    assert normalise_heading("(一) 基本思路") == "（一）基本思路"
    assert normalise_heading("3. 精准施策") == "3.精准施策"


def test_list_items_of_similar_length_are_not_glued_together(settings: Settings, make_doc: MakeDoc) -> None:
    items = [f"{n}. 第{n}条建议：离开房间前关闭燃气总阀门，并且打开窗户保持空气流通。" for n in range(1, 10)]
    text = "居家安全提示\n\n" + "\n".join(items) + "\n"
    chunks = DocumentChunker(settings).chunk(make_doc("tips.txt", text))
    assert chunks[0].text.split("\n") == items


def test_policy_without_articles_is_cut_at_numbered_sections(settings: Settings, make_doc: MakeDoc) -> None:
    text = (
        "关于加强社区防汛工作的意见\n\n一、总体要求\n\n做好准备。\n\n"
        "二、主要任务\n\n（一）排查隐患\n\n逐户排查。\n"
    )
    chunks = DocumentChunker(settings).chunk(make_doc("意见.txt", text))
    assert chunks[0].metadata["doc_type"] == "policy"
    assert [c.locator for c in chunks] == ["一、总体要求", "二、主要任务 > （一）排查隐患"]


def test_section_that_fits_the_maximum_stays_whole(make_doc: MakeDoc) -> None:
    settings = Settings(chunk_max_chars=200, chunk_target_chars=60, chunk_min_chars=10)
    body = "".join(f"第{n}句（依据：《甲条例》第{n}条；《乙法》第{n}条）。" for n in range(1, 6))
    assert 60 < len(body) <= 200
    chunks = DocumentChunker(settings).chunk(make_doc("g.md", f"# 指南\n\n## 一节\n\n{body}\n"))
    assert [(c.text, c.metadata["part"]) for c in chunks] == [(body, 0)]


def test_citations_are_not_cut_at_their_semicolons(make_doc: MakeDoc) -> None:
    settings = Settings(chunk_max_chars=80, chunk_target_chars=50, chunk_min_chars=10)
    body = "".join(f"第{n}句（依据：《甲条例》第{n}条；《乙法》第{n}条）。" for n in range(1, 9))
    chunks = DocumentChunker(settings).chunk(make_doc("g.md", f"# 指南\n\n## 一节\n\n{body}\n"))
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.startswith("第") and chunk.text.endswith("）。")


def test_sole_top_heading_is_the_title_even_when_worded_differently(make_doc) -> None:  # type: ignore[no-untyped-def]
    from assistant.components.chunking import DocumentChunker
    from assistant.settings import load_settings

    text = "# 收到台风预警后怎么做\n\n## 红色预警：要做的事\n\n立即通知停课，停止户外作业。\n"
    doc = make_doc(
        "card.md",
        text,
        front_matter={"title": "收到台风预警后怎么做（蓝、黄、橙、红）", "doc_type": "procedure"},
    )
    chunks = DocumentChunker(load_settings()).chunk(doc)
    assert [c.metadata["locator"] for c in chunks] == ["红色预警：要做的事"]
