"""The ranking report (assistant/services/ranking/report.py) on the small real index."""

from __future__ import annotations

from assistant.factory import Assistant
from assistant.services.evaluate import EvalItem
from assistant.services.ranking import training
from assistant.services.ranking.report import (
    SYSTEMS,
    breakdown,
    ranking_report,
    render_ranking_markdown,
    subset,
)

TITLE = "上海市社区防灾示例条例"


def _item(qid: str, q: str, article: str, intent: str, audience: str) -> EvalItem:
    return EvalItem(
        id=qid,
        q=q,
        audience=audience,
        split="test",
        intent=intent,
        gold=[{"title": TITLE, "article": article}],
    )


ITEMS = [
    _item("t1", "楼道里给电动自行车充电会被罚多少钱？", "第七条", "penalty", "resident"),
    _item("t2", "台风红色预警发布后居委会要组织谁转移？", "第三条", "obligation", "staff"),
    _item("t3", "台风来之前物业要检查哪些东西？", "第四条", "obligation", "department"),
    # a gold the index cannot have: a certain miss in every system
    _item("t4", "社区防灾规划每几年修编一次？", "第九十九条", "deadline", "staff"),
    EvalItem(id="o1", q="红烧肉怎么做？", split="test", answerable=False, intent="out_of_scope"),
]


def test_the_report_measures_every_system_and_breaks_the_ranker_down(sample_assistant: Assistant) -> None:
    report = ranking_report(sample_assistant.retriever, {"test": ITEMS})
    block = report["splits"]["test"]
    assert block["questions"] == 4  # the out-of-scope question is not ranked
    assert list(block["systems"]) == list(SYSTEMS)
    ranker = block["systems"]["ranker"]
    assert 0.5 <= ranker["hit@1"] <= 0.75  # t4 can never be found
    assert ranker["hit@1"] <= ranker["hit@5"] <= ranker["hit@10"]

    intents = block["by_intent"]
    assert list(intents) == ["obligation", "deadline", "penalty"]  # largest group first, then by name
    assert intents["obligation"]["questions"] == 2
    assert intents["deadline"] == {
        "questions": 1,
        **{k: 0.0 for k in intents["deadline"] if k != "questions"},
    }
    assert set(block["by_audience"]) == {"resident", "staff", "department"}
    assert block["by_audience"]["staff"]["questions"] == 2
    assert "ranker" in block["comparison"] and "bm25" in block["comparison"]

    # deterministic for a fixed index
    assert ranking_report(sample_assistant.retriever, {"test": ITEMS}) == report

    markdown = render_ranking_markdown(report, "use-multilingual", 12)
    assert "## test (4 answerable questions)" in markdown
    assert "| deadline (n=1, small) | 0.000 |" in markdown
    assert "Ranker by audience:" in markdown


def test_a_subset_keeps_only_the_named_questions() -> None:
    system = training.SystemRun(
        "x",
        run={"a": {"u1": 2.0, "u2": 1.0}, "b": {"u3": 1.0}},
        qrels={"a": {"u2": 1}, "b": {"u3": 1}},
    )
    only_a = subset(system, {"a"})
    assert only_a.run == {"a": {"u1": 2.0, "u2": 1.0}} and only_a.qrels == {"a": {"u2": 1}}
    groups = breakdown(
        system, [EvalItem(id="a", q="", intent="p"), EvalItem(id="b", q="", intent="q")], lambda i: i.intent
    )
    assert groups["p"]["hit@1"] == 0.0 and groups["p"]["mrr@10"] == 0.5
    assert groups["q"]["hit@1"] == 1.0
