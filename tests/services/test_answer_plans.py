"""Answer plans on a real small index of the pack's own cards: whole guides for emergencies
(the guide's numbers first), the number rule for danger without a guide, the article plan with
a card only as a summary, and the procedure plan."""

from __future__ import annotations

import shutil

import pytest

from assistant.domain import ScoredChunk
from assistant.factory import Assistant, build_assistant
from assistant.services.answer_plans import GENERAL_NUMBERS, guide_sections, in_danger, make_plan
from assistant.services.retrieve import Retrieval
from assistant.settings import PROJECT_ROOT, load_settings
from tests.services.conftest import REGULATION

CARDS = (
    "guides/elevator-trapped.md",
    "guides/gas-leak.md",
    "guides/high-rise-fire.md",
    "procedures/typhoon-warning.md",
)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("plans")
    docs = root / "docs"
    for card in CARDS:
        (docs / card).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / "corpus" / card, docs / card)
    (docs / "上海市社区防灾示例条例.md").write_text(REGULATION, encoding="utf-8")
    a = build_assistant(load_settings(index_dir=root / "index", data_dir=root / "data"))
    a.ingest_service.ingest([docs])
    return a


def test_emergency_reads_the_whole_guide_with_its_numbers_first(assistant: Assistant) -> None:
    result = assistant.answer_service.ask("被困在电梯里了怎么办", audience="resident")
    assert not result.refused
    assert "119" in result.answer[:120]
    sections = [c.locator for c in result.citations]
    assert len(sections) <= 3 and "先做什么" in sections[0]
    assert not any("提前准备" in s or "法律规定" in s for s in sections)
    order = [result.answer.find(word) for word in ("先做什么", "千万不要") if word in result.answer]
    assert order == sorted(order)
    assert "警铃" in result.answer  # the first action of the guide


def test_guide_numbers_come_from_front_matter(assistant: Assistant) -> None:
    chunks = [c for c in assistant.retriever.lexical.chunks if c.metadata.get("file") == "gas-leak.md"]
    assert chunks and all(c.metadata["emergency_numbers"] == "119,120" for c in chunks)
    sections = guide_sections(assistant.retriever.lexical, chunks[0])
    assert [s.metadata["locator"].split("：")[-1] for s in sections][:3] == ["先做什么", "千万不要", "打给谁"]


def test_danger_to_life_without_a_guide_shows_the_general_numbers() -> None:
    danger = ("被困", "昏迷", "出不去")
    assert in_danger("一楼进水了，老母亲腿脚不好出不去", danger)
    plan = make_plan("老人在家昏迷了", "resident", "obligation", [], None, danger)  # type: ignore[arg-type]
    assert plan.numbers == list(GENERAL_NUMBERS)
    plan = make_plan("物业费怎么交", "resident", "obligation", [], None, danger)  # type: ignore[arg-type]
    assert plan.numbers == []


def test_a_legal_question_is_not_given_a_keyword_number(assistant: Assistant) -> None:
    result = assistant.answer_service.ask("楼道里给电瓶车充电违法吗，会被罚多少", audience="resident")
    assert not result.refused
    assert "119" not in result.answer[:60] and "紧急" not in result.answer[:60]
    assert any("第七条" in c.locator for c in result.citations)


def test_article_plan_keeps_a_card_as_summary_only(assistant: Assistant) -> None:
    result = assistant.answer_service.ask("台风红色预警后居委会应当组织哪些居民转移", audience="department")
    assert not result.refused and result.citations
    first = result.citations[0]
    assert first.chunk is not None and first.chunk.metadata["doc_type"] == "regulation"
    for citation in result.citations[1:]:
        if citation.chunk is not None and citation.chunk.metadata["doc_type"] != "regulation":
            assert "通俗说明" in result.answer
    assert len(result.citations) <= 3


def test_citations_are_at_most_three_and_never_repeat(assistant: Assistant) -> None:
    for question, audience in (
        ("家里煤气味很重怎么办", "resident"),
        ("台风蓝色预警时居委会要做什么", "staff"),
        ("燃气泄漏时用户应当怎么做", "department"),
    ):
        result = assistant.answer_service.ask(question, audience=audience)
        keys = [(c.file, c.locator) for c in result.citations]
        assert len(keys) <= 3 and len(keys) == len(set(keys)), question


def _section(assistant: Assistant, file: str, heading_word: str) -> ScoredChunk:
    lexical = assistant.retriever.lexical
    chunk = next(
        c for c in lexical.chunks if c.metadata.get("file") == file and heading_word in c.metadata["locator"]
    )
    return ScoredChunk(chunk, 1.0)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("红色台风预警来了居委会要干啥？", "红色"),
        ("台风蓝色预警的时候居委会做什么", "蓝色"),
        ("台风预警解除后居委会还要做什么", "解除后"),
    ],
)
def test_procedure_plan_reads_the_section_the_question_names(
    assistant: Assistant, question: str, expected: str
) -> None:
    # the ranker found the card but led with its general section
    lead = _section(assistant, "typhoon-warning.md", "颜色代表什么")
    plan = make_plan(
        question,
        "staff",
        "procedure",
        [lead],
        assistant.retriever.lexical,
        (),
        slots=assistant.answer_service.follow_ups.vocabulary,
    )
    assert plan.kind == "procedure"
    assert expected in plan.evidence[0].chunk.metadata["locator"]


def test_procedure_plan_keeps_the_lead_when_no_heading_fits_better(assistant: Assistant) -> None:
    lead = _section(assistant, "typhoon-warning.md", "颜色代表什么")
    plan = make_plan(
        "台风预警信号由谁发布",
        "staff",
        "procedure",
        [lead],
        assistant.retriever.lexical,
        (),
        slots=assistant.answer_service.follow_ups.vocabulary,
    )
    assert plan.evidence[0].chunk is lead.chunk


def _procedure_plan(assistant: Assistant, question: str, ranked: list[ScoredChunk]) -> list[str]:
    plan = make_plan(
        question,
        "staff",
        "procedure",
        ranked,
        assistant.retriever.lexical,
        (),
        slots=assistant.answer_service.follow_ups.vocabulary,
    )
    assert plan.kind == "procedure"
    return [str(e.chunk.metadata.get("locator", "")) for e in plan.evidence]


def test_procedure_plan_quotes_the_runner_up_section_when_it_leads_every_other_passage(
    assistant: Assistant,
) -> None:
    general = _section(assistant, "typhoon-warning.md", "颜色代表什么")
    after = _section(assistant, "typhoon-warning.md", "解除后")
    chunks = assistant.retriever.lexical.chunks
    article = next(ScoredChunk(c, 0.5) for c in chunks if c.metadata.get("article") == "第三条")
    # two sections of the card first, then an article: both sections, then the article
    sections = _procedure_plan(assistant, "台风过程中居委会要做哪些工作", [general, after, article])
    assert sections == [general.chunk.metadata["locator"], after.chunk.metadata["locator"], "第二章 第三条"]
    # an article between them: the card's lower section is not the next-best evidence
    sections = _procedure_plan(assistant, "台风过程中居委会要做哪些工作", [general, article, after])
    assert sections == [general.chunk.metadata["locator"], "第二章 第三条"]


def test_a_procedure_section_chosen_for_the_asked_colour_stands_alone(assistant: Assistant) -> None:
    red = _section(assistant, "typhoon-warning.md", "红色")
    orange = _section(assistant, "typhoon-warning.md", "橙色")
    sections = _procedure_plan(assistant, "台风红色预警时居委会要做什么", [red, orange])
    assert sections == [red.chunk.metadata["locator"]]


def test_a_guide_action_section_ranked_first_means_an_emergency_answer(assistant: Assistant) -> None:
    lead = _section(assistant, "elevator-trapped.md", "先做什么")
    plan = make_plan("电梯卡住了，人在里面", "staff", "obligation", [lead], assistant.retriever.lexical, ())
    assert plan.kind == "emergency" and plan.whole_cards
    assert [c.chunk.metadata["locator"].split("：")[-1] for c in plan.evidence] == [
        "先做什么",
        "千万不要",
        "打给谁",
    ]
    # a guide's preparation section is not an emergency
    prepare = _section(assistant, "elevator-trapped.md", "提前准备")
    assert make_plan(
        "电梯要怎么保养", "staff", "obligation", [prepare], assistant.retriever.lexical, ()
    ).kind != ("emergency")


def test_emergency_answer_leads_with_the_section_the_ranker_matched(assistant: Assistant) -> None:
    lead = _section(assistant, "elevator-trapped.md", "千万不要")
    plan = make_plan(
        "电梯困人时千万不能做什么", "resident", "emergency", [lead], assistant.retriever.lexical, ()
    )
    read = [c.chunk.metadata["locator"].split("：")[-1] for c in plan.evidence]
    assert read == ["千万不要", "先做什么", "打给谁"]


def test_only_danger_to_life_makes_a_plan_urgent(assistant: Assistant) -> None:
    """Urgent plans are never withheld for weak evidence, so only someone in danger gets one: an
    emergency intent alone let near-domain traps through (追尾了…保险公司管不管 matched a guide)."""
    lead = _section(assistant, "elevator-trapped.md", "先做什么")
    lexical = assistant.retriever.lexical
    # an off-topic question whose weakest-best match is a guide section: whole guide, not urgent
    assert not make_plan("红烧肉怎么做", "resident", "out_of_scope", [lead], lexical, ()).urgent
    # the guide's plan, but without words of danger it must pass the refusal like any answer
    plan = make_plan("电梯里出不去了", "resident", "emergency", [lead], lexical, ())
    assert plan.kind == "emergency" and not plan.urgent
    assert make_plan("电梯里出不去了", "resident", "emergency", [lead], lexical, ("出不去",)).urgent
    assert make_plan("人被困住了", "resident", "obligation", [lead], lexical, ("被困",)).urgent
    # an emergency the guide is not about (no shared word): not shown regardless of evidence
    assert not make_plan("外婆噎住了喘不上气", "resident", "emergency", [lead], lexical, ("喘不上气",)).urgent


def test_the_answer_takes_the_likeliest_answerable_intent_not_out_of_scope() -> None:
    # Refusal decides whether to answer; the plan's shape must be an answerable intent even when
    # the classifier finds the question unfamiliar (its top class is out_of_scope).
    unfamiliar = Retrieval(
        "被困在电梯里了怎么办", [], [], [], intent={"out_of_scope": 0.5, "emergency": 0.3, "obligation": 0.2}
    )
    assert unfamiliar.top_intent == "out_of_scope"
    assert unfamiliar.answer_intent == "emergency"
    tie = Retrieval("q", [], [], [], intent={"penalty": 0.4, "deadline": 0.4})
    assert tie.answer_intent == "deadline"  # ties broken by name: deterministic
    assert Retrieval("q", [], [], []).answer_intent == ""


def test_the_intro_line_says_which_kind_of_answer_follows(assistant: Assistant) -> None:
    """Staff read "what to do, with its basis" before a procedure card's steps and "the article"
    before an article; an audience or plan without its own line keeps the general one."""
    composer = assistant.answer_service.composer
    templates = composer.templates
    procedure = assistant.answer_service.ask("台风蓝色预警时居委会要做什么", audience="staff")
    assert not procedure.refused
    assert procedure.citations[0].chunk is not None
    assert procedure.citations[0].chunk.metadata["doc_type"] == "procedure"
    assert templates["staff_intro_procedure"] in procedure.answer
    assert templates["staff_intro"] not in procedure.answer
    assert composer.intro("staff", "article") == templates["staff_intro_article"]
    assert composer.intro("department", "article") == templates["department_intro"]
    assert composer.intro("staff", "general") == templates["staff_intro"]


#: Our own wording, numbered as the article the e-bike guide cites (not the regulation's text).
EBIKE_RULES = """# 上海市非机动车安全管理条例

## 第一章 总则

第一条 为了管好非机动车的停放和充电，防止火灾，制定本条例。

## 第四章 停放与充电

第二十九条 电动自行车和它的电池不得带进电梯轿厢，也不得放在楼道、门厅等共用部位充电。

## 第六章 法律责任

第四十四条 违反本条例第二十九条，把电动自行车带进电梯轿厢的，由有关部门处以罚款。
"""


@pytest.fixture(scope="module")
def ebike(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("ebike")
    docs = root / "docs"
    (docs / "guides").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "corpus" / "guides" / "ebike-battery-fire.md", docs / "guides")
    (docs / "上海市非机动车安全管理条例.md").write_text(EBIKE_RULES, encoding="utf-8")
    a = build_assistant(load_settings(index_dir=root / "index", data_dir=root / "data"))
    a.ingest_service.ingest([docs])
    return a


def _ebike_items(ebike: Assistant) -> tuple[ScoredChunk, ScoredChunk]:
    chunks = ebike.retriever.lexical.chunks
    article = next(c for c in chunks if c.metadata.get("article") == "第二十九条")
    intro = next(
        c
        for c in chunks
        if c.metadata.get("file") == "ebike-battery-fire.md"
        and not any(
            w in c.metadata["locator"] for w in ("先做什么", "千万不要", "打给谁", "提前准备", "法律规定")
        )
    )
    return ScoredChunk(article, 2.0), ScoredChunk(intro, 1.0)


def test_a_rights_question_on_an_emergency_topic_is_answered_by_its_article(ebike: Assistant) -> None:
    """电瓶车能推进电梯带上楼吗 read as "emergency" by the intent model, the ranker's lead the
    article: when the question reads as asking what the rules say, the article leads and the
    guide follows as its note — the guide's section that restates that article, not its 引言."""
    article, intro = _ebike_items(ebike)
    lexical = ebike.retriever.lexical
    plan = make_plan(
        "电瓶车能推进电梯带上楼吗", "resident", "emergency", [article, intro], lexical, (), how_to=0.2
    )
    assert plan.kind == "article"
    assert plan.evidence[0].chunk is article.chunk
    assert plan.summary_rank == len(plan.evidence) - 1
    note = plan.evidence[plan.summary_rank].chunk
    assert note.metadata["file"] == "ebike-battery-fire.md" and note is not intro.chunk
    assert "第二十九条" in note.text
    # asked as how to act, or with the form unknown, it stays the guide's plan
    for how_to in (0.8, None):
        plan = make_plan(
            "电瓶车能推进电梯带上楼吗", "resident", "emergency", [article, intro], lexical, (), how_to=how_to
        )
        assert plan.kind == "emergency", how_to
    # a guide section in the lead is an emergency answer whatever the form says
    plan = make_plan(
        "电瓶车能推进电梯带上楼吗", "resident", "emergency", [intro, article], lexical, (), how_to=0.1
    )
    assert plan.kind == "emergency"
