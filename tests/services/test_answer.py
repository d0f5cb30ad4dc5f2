"""The ask use case end to end on a real index (real Chroma, real embedder, real jieba)."""

from __future__ import annotations

import re

import pytest

from assistant.components.glossary import Glossary
from assistant.factory import Assistant
from assistant.services.answer import RefusalPolicy, ScaledRefusal
from assistant.services.compose import display_sentence, split_sentences

pytestmark = pytest.mark.slow


def _norm(text: str) -> str:
    return re.sub(r"[\s。；;，,]", "", text)


def test_answer_cites_and_never_states_what_sources_do_not_say(sample_assistant: Assistant) -> None:
    result = sample_assistant.answer_service.ask("台风红色预警来了，居委会要组织谁转移？", audience="staff")
    assert not result.refused
    assert result.citations, "an answer must cite its sources"
    first = result.citations[0]
    assert first.source == "上海市社区防灾示例条例" and "第三条" in first.locator
    numbers = {c.n for c in result.citations}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert cited and cited <= numbers
    passages = {c.n: _norm(c.text) for c in result.citations}
    # Every quoted line is a sentence of a cited passage.
    for line in result.answer.splitlines():
        if line.startswith("- "):
            body = _norm(line[2:])
            assert any(body in p for p in passages.values()), line
        match = re.match(r"^\d+\. (.*) \[(\d+)\]$", line)
        if match:
            assert _norm(match.group(1)) in passages[int(match.group(2))], line


def test_same_question_same_answer(sample_assistant: Assistant) -> None:
    one = sample_assistant.answer_service.ask("物业在台风前要检查什么", audience="staff").to_json()
    two = sample_assistant.answer_service.ask("物业在台风前要检查什么", audience="staff").to_json()
    one.pop("timings_ms")
    two.pop("timings_ms")
    assert one == two


def test_direct_article_lookup_comes_first(sample_assistant: Assistant) -> None:
    result = sample_assistant.answer_service.ask("《上海市社区防灾示例条例》第七条讲的啥")
    assert result.citations[0].locator.endswith("第七条")
    result = sample_assistant.answer_service.ask("社区防灾示例条例5条")
    assert result.citations[0].locator.endswith("第五条")


def test_resident_emergency_number_first_and_numbered_steps(sample_assistant: Assistant) -> None:
    result = sample_assistant.answer_service.ask("家里着火了怎么办", audience="resident")
    lines = result.answer.splitlines()
    assert "119" in lines[0]
    assert any(re.match(r"^1\. ", line) for line in lines)
    assert any(c.file == "home-fire.md" for c in result.citations)


def test_out_of_domain_is_refused(sample_assistant: Assistant) -> None:
    for question in ("红烧肉怎么做才好吃", "深圳暴雨红色预警时学校要停课吗", "帮我写一首关于台风的诗"):
        result = sample_assistant.answer_service.ask(question, audience="resident")
        assert result.refused, question
        assert result.citations == []
        assert "没有找到" in result.answer or "不在" in result.answer


def test_a_refused_emergency_leads_with_the_emergency_numbers(sample_assistant: Assistant) -> None:
    # among the regulations nothing covers a dog bite: still refused (nothing is made up), but
    # the numbers come first
    result = sample_assistant.answer_service.ask(
        "被狗咬了一口出血了，要怎么处理伤口", audience="resident", filters={"doc_type": "regulation"}
    )
    assert result.refused and result.citations == []
    first_line = result.answer.splitlines()[0]
    assert first_line.startswith("⚠️") and "120" in first_line
    assert "没有针对这一情况的处置指南" in result.answer
    calm = sample_assistant.answer_service.ask(
        "红烧肉怎么做才好吃", audience="resident", filters={"doc_type": "regulation"}
    )
    assert calm.refused and not calm.answer.startswith("⚠️")


def test_follow_up_keeps_the_topic_and_swaps_the_subject(sample_assistant: Assistant) -> None:
    history = ["台风红色预警后居委会要做什么"]
    result = sample_assistant.answer_service.ask("那物业呢？", audience="staff", history=history)
    assert result.resolved_question == "台风红色预警后物业要做什么"
    assert not result.refused
    assert result.citations and "第四条" in result.citations[0].locator
    assert any(history[0] in note for note in result.notes)


def test_unrelated_question_after_a_topic_is_not_glued_to_it(sample_assistant: Assistant) -> None:
    history = ["台风红色预警后居委会要做什么"]
    result = sample_assistant.answer_service.ask("红烧肉怎么做？", audience="resident", history=history)
    assert result.resolved_question == "红烧肉怎么做？"
    assert result.refused
    assert not any(history[0] in note for note in result.notes)


def test_filters_restrict_sources(sample_assistant: Assistant) -> None:
    result = sample_assistant.answer_service.ask(
        "着火了不要乘坐电梯吗", audience="resident", filters={"doc_type": "regulation"}
    )
    assert all(c.chunk is not None and c.chunk.metadata["doc_type"] == "regulation" for c in result.citations)


def test_json_contract(sample_assistant: Assistant) -> None:
    data = sample_assistant.answer_service.ask("居民要服从转移安排吗", id="q1").to_json()
    assert set(data) == {"id", "answer", "refused", "citations", "timings_ms"}
    assert data["id"] == "q1"
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    for c in data["citations"]:
        assert set(c) == {
            "n",
            "source",
            "file",
            "locator",
            "text",
            "score",
            "status",
            "effective_date",
            "version_date",
            "repealed_by",
        }
        assert c["status"] in {"in_force", "repealed", "amended", "unknown"}


def test_sentence_helpers() -> None:
    parts = split_sentences("第三条 居民应当转移；物业应当协助。\n（一）检查树木")
    assert parts == ["第三条 居民应当转移；", "物业应当协助。", "（一）检查树木"]
    assert display_sentence("第三条 居民应当转移；") == "居民应当转移。"


def test_learned_refusal_decides_only_on_a_library_of_its_scale() -> None:
    always = RefusalPolicy(min_coverage=2.0, min_dense=2.0, min_known=2.0, known_dense=2.0)
    scaled = ScaledRefusal(learned=always, fallback=RefusalPolicy(), min_chunks=1000)
    strong = {"n_tokens": 3.0, "known_ratio": 1.0, "coverage": 1.0, "top_dense": 0.6}
    assert not scaled.refuse({**strong, "index_chunks": 40.0})  # small library: thresholds
    assert scaled.refuse({**strong, "index_chunks": 2735.0})  # the learned model's scale
    assert scaled.refuse({"n_tokens": 3.0, "known_ratio": 0.0, "coverage": 0.0, "top_dense": 0.1})


def test_retrieval_reports_the_library_size(sample_assistant: Assistant) -> None:
    signals = sample_assistant.retriever.retrieve("居民要服从转移安排吗", k=3).signals
    assert signals["index_chunks"] == len(sample_assistant.retriever.lexical)


def test_an_everyday_word_counts_as_known_and_covered_through_its_glossary_term(
    sample_assistant: Assistant,
) -> None:
    """The sample documents say 电动自行车, never 电瓶车: the evidence signals must not count a
    resident's word as unknown when retrieval searched for its statutory term."""
    retriever = sample_assistant.retriever
    question = "电瓶车在楼道充电行不行"
    assert "电瓶车" not in retriever.lexical.known_tokens(["电瓶车"])  # the premise
    with_glossary = retriever.retrieve(question, k=3).signals
    kept = retriever.glossary
    try:
        retriever.glossary = Glossary({})
        without = retriever.retrieve(question, k=3).signals
    finally:
        retriever.glossary = kept
    n = with_glossary["n_tokens"]
    assert with_glossary["known_ratio"] == pytest.approx(without["known_ratio"] + 1 / n)
    assert with_glossary["coverage"] == pytest.approx(without["coverage"] + 1 / n)
