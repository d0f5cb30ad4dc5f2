"""Our hybrid retrieval as a LangChain ``BaseRetriever``, so it drops into LCEL chains and agents.

Why a shell over :class:`~assistant.integrations.tools.IntegrationTools`: the passages, their
order and the bounds on the question are exactly those of ``python -m assistant search``.
Each ``Document`` is one article (or card section) with its whole text; its metadata carry
what a chain needs to cite it. Async calls run the sync path in an executor (LangChain's
default for ``BaseRetriever``): retrieval is CPU-bound, so there is nothing to await.

Example::

    retriever = ResilienceRetriever.from_settings(k=3)
    chain = retriever | RunnableLambda(format_docs)
    print(chain.invoke("台风红色预警时居委会要做什么"))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from assistant.integrations.tools import IntegrationTools, citation_label
from assistant.services.search import MAX_K
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.factory import Assistant


class ResilienceRetriever(BaseRetriever):
    """Ranked articles and sections from the local index, best first, one per article.

    Give either ``assistant`` (a built :class:`~assistant.factory.Assistant`, shared with the
    rest of your program) or ``settings`` (one is built lazily); with neither, the settings
    come from the ``RESILIENCE_*`` environment like every other shell. The question's predicted
    intent (emergency, penalty, procedure, …) is in every document's metadata rather than a
    field: the intent model reads it from the question, so a caller has nothing to set.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any = Field(default=None, description="A built Assistant (assistant.factory).")
    settings: Settings | None = Field(default=None, description="Settings used when no assistant is given.")
    k: int = Field(default=5, ge=1, le=MAX_K, description="Documents returned per query.")
    audience: Literal["resident", "staff", "department"] = Field(
        default="staff", description="Who asks: residents get plain-language cards first."
    )
    filters: dict[str, list[str]] | None = Field(
        default=None,
        description='Metadata filters, e.g. {"doc_type": ["regulation"], "jurisdiction": ["上海"]}.',
    )

    _tools: IntegrationTools | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **fields: Any) -> ResilienceRetriever:
        """A retriever over the index named by ``settings`` (the environment when omitted)."""
        from assistant.factory import build_assistant

        return cls(assistant=build_assistant(settings), **fields)

    def _service(self) -> IntegrationTools:
        if self._tools is None:
            from assistant.factory import build_assistant

            built: Assistant = (
                self.assistant if self.assistant is not None else build_assistant(self.settings)
            )
            self._tools = IntegrationTools(built)
        return self._tools

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        audience: str | None = None,
        filters: dict[str, Sequence[str]] | None = None,
    ) -> list[Document]:
        """Keyword arguments of ``invoke`` (k, audience, filters) override the fields for one call."""
        result = self._service().search_result(
            query,
            k=self.k if k is None else k,
            audience=audience or self.audience,
            filters=self.filters if filters is None else filters,
        )
        return [
            Document(
                page_content=hit.text,
                metadata={
                    "source": hit.source,
                    "file": hit.file,
                    "locator": hit.locator,
                    "citation": citation_label(hit.source, hit.locator),
                    "doc_type": hit.doc_type,
                    "jurisdiction": hit.jurisdiction,
                    "score": round(hit.score, 6),
                    "intent": result.intent,
                },
            )
            for hit in result.hits
        ]


def format_docs(docs: Sequence[Document]) -> str:
    """Numbered passages with their citations: the usual step between a retriever and a prompt."""
    return "\n\n".join(
        f"[{n}] {doc.metadata.get('citation', '')}\n{doc.page_content}" for n, doc in enumerate(docs, start=1)
    )
