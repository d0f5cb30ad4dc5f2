"""Answer measures of the evaluator on the small real index: the hidden sets' headline figures
(first citation is gold, gold among citations) count a refused answerable question as a miss."""

from __future__ import annotations

from assistant.factory import Assistant
from assistant.services.evaluate import EvalItem, Evaluator


def test_first_citation_and_gold_among_citations(sample_assistant: Assistant) -> None:
    gold_4 = [{"title": "上海市社区防灾示例条例", "article": "第四条"}]
    items = [
        EvalItem("a", "台风来之前物业要检查小区里的什么", gold=gold_4),
        # answered, but from another article: a miss for both measures
        EvalItem("b", "在楼道里给电动自行车充电会被罚多少钱", gold=gold_4),
        EvalItem("c", "红烧肉怎么做", answerable=False),
    ]
    evaluator = Evaluator(sample_assistant.answer_service, sample_assistant.retriever, None)
    metrics = evaluator._answer_metrics(items)
    assert metrics["first_citation"] == 0.5
    assert metrics["gold_among_citations"] == 0.5
    assert metrics["out_of_scope_answered"] == 0
