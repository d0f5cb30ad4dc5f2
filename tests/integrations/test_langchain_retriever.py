"""``ResilienceRetriever`` under langchain-tests' standard retriever suite and in a real LCEL chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.factory import build_assistant
from assistant.integrations.langchain_retriever import ResilienceRetriever, format_docs
from assistant.settings import Settings, load_settings

# anyio runs the coroutine tests (ours and the standard suite's ainvoke test) on asyncio
pytestmark = [pytest.mark.slow, pytest.mark.anyio]

METADATA_KEYS = {"source", "file", "locator", "citation", "doc_type", "jurisdiction", "score", "intent"}


@pytest.fixture(scope="module")
def index_settings(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(index_dir=sample_index, data_dir=tmp_path_factory.mktemp("lc-data"))


class TestResilienceRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's own contract: k in the constructor and in invoke, invoke/ainvoke return Documents."""

    @pytest.fixture(autouse=True)
    def _index(self, index_settings: Settings) -> None:
        self._settings = index_settings

    @property
    def retriever_constructor(self) -> type[ResilienceRetriever]:
        return ResilienceRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"settings": self._settings}

    @property
    def retriever_query_example(self) -> str:
        return "台风红色预警后居委会要做什么"


@pytest.fixture(scope="module")
def retriever(index_settings: Settings) -> ResilienceRetriever:
    return ResilienceRetriever(assistant=build_assistant(index_settings), k=3)


def test_documents_carry_the_article_and_its_citation(retriever: ResilienceRetriever) -> None:
    docs = retriever.invoke("楼道里给电瓶车充电罚多少")
    assert 1 <= len(docs) <= 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert set(top.metadata) == METADATA_KEYS
    assert top.metadata["locator"] == "第七条" and top.metadata["doc_type"] == "regulation"
    assert top.metadata["jurisdiction"] == "上海" and top.metadata["file"] == "上海市社区防灾示例条例.md"
    assert top.metadata["citation"] == "《上海市社区防灾示例条例》第七条"
    assert "二百元以下罚款" in top.page_content  # the whole article, both of its lines
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)


def test_audience_and_filters_change_what_comes_back(retriever: ResilienceRetriever) -> None:
    only_guides = retriever.invoke("着火了怎么办", filters={"doc_type": ["guide"]})
    assert only_guides and {d.metadata["doc_type"] for d in only_guides} == {"guide"}
    only_rules = retriever.invoke("着火了怎么办", filters={"doc_type": "regulation"})
    assert only_rules and {d.metadata["doc_type"] for d in only_rules} == {"regulation"}
    resident = retriever.invoke("家里着火怎么办", audience="resident")
    assert resident[0].metadata["source"] == "家中着火怎么办"  # residents get the plain-language card first


def test_bad_input_names_the_field(retriever: ResilienceRetriever) -> None:
    with pytest.raises(ValueError, match="问题过长"):
        retriever.invoke("台" * 501)
    with pytest.raises(ValueError, match="filters 不支持"):
        retriever.invoke("台风", filters={"path": ["/etc"]})
    with pytest.raises(ValueError, match="k 应为"):
        retriever.invoke("台风", k=51)
    with pytest.raises(ValueError):  # pydantic bound on the field
        ResilienceRetriever(settings=retriever.assistant.settings, k=0)


def test_two_line_lcel_chain(retriever: ResilienceRetriever) -> None:
    """The README's example: retriever | format_docs, then a prompt-shaped step."""
    chain = retriever | RunnableLambda(format_docs)
    text = chain.invoke("燃气泄漏时要先做什么")
    assert text.startswith("[1] 《上海市社区防灾示例条例》第六条") and "关闭燃气总阀" in text

    prompt = {"context": chain, "question": RunnablePassthrough()} | RunnableLambda(
        lambda x: f"依据以下资料回答：{x['question']}\n\n{x['context']}"
    )
    filled = prompt.invoke("燃气泄漏时要先做什么")
    assert filled.startswith("依据以下资料回答：燃气泄漏时要先做什么") and "[1] 《" in filled


async def test_async_batch_matches_sync(retriever: ResilienceRetriever) -> None:
    questions = ["楼道里给电瓶车充电罚多少", "台风来临前物业要检查什么"]
    together = await retriever.abatch(questions)
    assert [[d.metadata["locator"] for d in docs] for docs in together] == [
        [d.metadata["locator"] for d in retriever.invoke(q)] for q in questions
    ]
    assert together[1][0].metadata["locator"] == "第四条"
