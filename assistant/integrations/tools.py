"""The operations every integration exposes, over :func:`assistant.factory.build_assistant`.

Why one class: the MCP server, the OpenAI-compatible endpoint and the LangChain retriever
must behave exactly like the CLI and the web API — the same bounds on every field, the same
JSON objects (``search --json``, ``ask --json``, ``assess --json``), the same error texts —
so they all call these methods and only translate results and errors into their protocol.
Every method checks its inputs with :mod:`assistant.services.input_limits` before any work
and raises :class:`ToolInputError` (a ``ValueError``) naming the field on bad input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assistant.services.input_limits import (
    MAX_AUDIENCE_CHARS,
    MAX_CHECKLIST_ID_CHARS,
    InputLimitError,
    check_history,
    check_org,
    check_question,
    check_short,
    parse_answers,
)
from assistant.services.search import AUDIENCES, MAX_K, SearchResult, SearchService

if TYPE_CHECKING:
    from assistant.factory import Assistant
    from assistant.services.answer import AnswerEvent

#: Metadata keys a caller may filter on, and how many values / characters each may carry.
FILTER_KEYS = ("doc_type", "jurisdiction")
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_CHARS = 50
#: A document title and an article reference (第一百二十三条) are short; these bounds are generous.
MAX_TITLE_CHARS = 200
MAX_ARTICLE_CHARS = 20


class ToolInputError(ValueError):
    """Bad input or nothing found; the Chinese message names the field and what is wrong."""


class IndexEmptyError(RuntimeError):
    """The index has no documents yet (the same advice the CLI gives)."""


def check_audience(audience: object) -> str:
    value = check_short("audience", audience if isinstance(audience, str) else "", MAX_AUDIENCE_CHARS)
    value = value or "staff"
    if value not in AUDIENCES:
        raise ToolInputError(f"audience 应为 {'/'.join(AUDIENCES)} 之一，收到“{value}”。")
    return value


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ToolInputError(f"k 应为 1 到 {MAX_K} 之间的整数。")
    return k


def check_filters(filters: Mapping[str, Any] | None) -> dict[str, list[str]] | None:
    """``{"doc_type": [...], "jurisdiction": [...]}`` (a single string counts as one value)."""
    if not filters:
        return None
    if not isinstance(filters, Mapping):
        raise ToolInputError('filters 应为对象，例如 {"doc_type": ["regulation"]}。')
    out: dict[str, list[str]] = {}
    for key, raw in filters.items():
        if key not in FILTER_KEYS:
            raise ToolInputError(f"filters 不支持“{str(key)[:20]}”；可用：{'、'.join(FILTER_KEYS)}。")
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, Sequence) or not all(isinstance(v, str) for v in values):
            raise ToolInputError(f"filters.{key} 应为文字或文字列表。")
        if len(values) > MAX_FILTER_VALUES:
            raise ToolInputError(f"filters.{key} 过多：{len(values)} 个，上限 {MAX_FILTER_VALUES} 个。")
        kept = [check_short(f"filters.{key}", v, MAX_FILTER_VALUE_CHARS) for v in values]
        if kept := [v for v in kept if v]:
            out[key] = kept
    return out or None


def citation_label(source: str, locator: str) -> str:
    """《标题》第X条 — how answers and cards cite a passage."""
    return f"《{source}》{locator}" if locator else f"《{source}》"


class IntegrationTools:
    """Search, ask, article lookup, document list and self-assessment for one assistant."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    # --- readiness -----------------------------------------------------------------------
    def ensure_index(self) -> None:
        store = self.assistant.store
        if not store.may_exist() or store.count() == 0:
            raise IndexEmptyError(
                f"索引为空（{store.location}）：请先运行 make run，"
                "或用 python -m assistant ingest corpus 建立索引。"
            )

    def warm_up(self) -> None:
        """Build the services once, before concurrent callers race to build them.

        Without an index there is nothing to load (and nothing must be created): calls then
        get the empty-index error until ``make run`` or ``ingest`` has built one.
        """
        if not self.assistant.store.may_exist():
            return
        self.assistant.warm_up()
        _ = self.assistant.answer_service, self.assistant.assessor

    # --- retrieval -------------------------------------------------------------------------
    def search_result(
        self,
        question: object,
        k: object = 10,
        audience: object = "staff",
        filters: Mapping[str, Any] | None = None,
    ) -> SearchResult:
        text = check_question(question if isinstance(question, str) else "")
        wanted, who, where = check_k(k), check_audience(audience), check_filters(filters)
        self.ensure_index()
        return SearchService(self.assistant.retriever).search(text, k=wanted, audience=who, filters=where)

    def search(
        self,
        question: object,
        k: object = 10,
        audience: object = "staff",
        filters: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``search --json`` object; each result also carries its citation label."""
        result = self.search_result(question, k, audience, filters)
        data = result.to_json()
        for row, hit in zip(data["results"], result.hits, strict=True):
            row["citation"] = citation_label(hit.source, hit.locator)
            row["doc_type"], row["jurisdiction"] = hit.doc_type, hit.jurisdiction
        return data

    # --- answering -------------------------------------------------------------------------
    def check_ask(
        self, question: object, audience: object, history: object, filters: Mapping[str, Any] | None
    ) -> tuple[str, str, list[str], dict[str, list[str]] | None]:
        text = check_question(question if isinstance(question, str) else "")
        previous = check_history(history)  # type: ignore[arg-type]
        return text, check_audience(audience), previous, check_filters(filters)

    def ask(
        self,
        question: object,
        audience: object = "staff",
        history: object = None,
        filters: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``ask --json`` object (answer, refused, citations, timings)."""
        text, who, previous, where = self.check_ask(question, audience, history, filters)
        self.ensure_index()
        result = self.assistant.answer_service.ask(text, audience=who, history=previous, filters=where)
        return result.to_json()

    def ask_stream(
        self,
        question: object,
        audience: object = "staff",
        history: object = None,
        filters: Mapping[str, Any] | None = None,
    ) -> Iterator[AnswerEvent]:
        """The answer service's events (``delta``/``replace``/``final``); inputs checked first."""
        text, who, previous, where = self.check_ask(question, audience, history, filters)
        self.ensure_index()
        return self.assistant.answer_service.stream(text, audience=who, history=previous, filters=where)

    # --- the library -------------------------------------------------------------------------
    def get_article(self, title: object, article: object) -> dict[str, Any]:
        """The whole text of one article (第X条) of an indexed document, found by its title."""
        from assistant.components.chunking.numerals import parse_numeral
        from assistant.components.knowledge_pack import title_key
        from assistant.services.query_analysis import article_numbers, named_documents, title_keys
        from assistant.services.retrieve import article_text

        name = check_short("title", title if isinstance(title, str) else "", MAX_TITLE_CHARS).strip("《》 ")
        ref = check_short("article", article if isinstance(article, str) else "", MAX_ARTICLE_CHARS)
        if not name:
            raise ToolInputError("title 不能为空：请给出文档标题，例如“上海市防汛条例”。")
        numbers = article_numbers(ref) or [n for n in [parse_numeral(ref.strip("第条 "))] if n]
        if not numbers:
            raise ToolInputError(f"article 应为“第X条”（例如 第七条 或 第7条），收到“{ref}”。")
        self.ensure_index()
        retriever = self.assistant.retriever
        lexical = retriever.lexical
        named = named_documents(f"《{name}》", retriever.documents(lexical), retriever.default_jurisdiction)
        # the whole title, or its short form (防汛条例): never a document whose title merely
        # occurs inside the one asked for (《…条例》 inside 《…条例实施细则》)
        wanted = title_key(name)
        found = [d for d in named if wanted in {title_key(key) for key in title_keys(d.title)}]
        if not found:
            raise ToolInputError(f"索引中没有标题为《{name}》的文档；可用 list_documents 查看已索引的文档。")
        doc = found[0]
        parts = lexical.article(doc.doc_id, numbers[0])
        if not parts:
            label = ref if ref.startswith("第") else f"第{ref.removesuffix('条')}条"
            raise ToolInputError(f"《{doc.title}》中没有{label}。")
        chunk = lexical.chunks[parts[0]]
        locator = str(chunk.metadata.get("article") or chunk.metadata.get("locator", ""))
        return {
            "source": doc.title,
            "file": str(chunk.metadata.get("file", "")),
            "locator": locator,
            "citation": citation_label(doc.title, locator),
            "doc_type": str(chunk.metadata.get("doc_type", "")),
            "jurisdiction": str(chunk.metadata.get("jurisdiction", "")),
            "text": article_text(lexical, chunk),
        }

    def list_documents(self) -> dict[str, Any]:
        """Every indexed document: title, file, doc_type, jurisdiction, version date, chunk count."""
        store = self.assistant.store
        rows = store.documents() if store.may_exist() else []
        return {"documents": rows, "count": len(rows)}

    # --- self-assessment -----------------------------------------------------------------------
    def list_checklists(self) -> dict[str, Any]:
        """The ``checklists --json`` object."""
        return {
            "checklists": [
                {
                    "id": c.id,
                    "title": c.title,
                    "version": c.version,
                    "audience": c.audience,
                    "items": c.item_count(),
                }
                for c in self.assistant.assessor.checklists().values()
            ]
        }

    def assess(self, checklist: object, answers: object, org: object = "") -> dict[str, Any]:
        """The ``assess --json`` object; the result is stored in the assessment history."""
        from assistant.cli.assess_cmd import round_numbers
        from assistant.services.assess import AnswerError, ChecklistError, HistoryError

        ident = check_short(
            "checklist", checklist if isinstance(checklist, str) else "", MAX_CHECKLIST_ID_CHARS
        )
        if not ident or "/" in ident or "\\" in ident or ident.endswith((".yaml", ".yml")):
            raise ToolInputError("checklist 应为内置清单的 id（见 list_checklists）。")  # no server paths
        who = check_org(org if isinstance(org, str) else "")
        if not isinstance(answers, str | dict):
            raise ToolInputError('answers 应为 JSON 对象 {"条目id": "选项标签", …}')
        parsed = parse_answers(answers)
        try:
            result = self.assistant.assessor.assess(ident, parsed, org=who)
        except (ChecklistError, AnswerError, HistoryError) as exc:
            raise ToolInputError(str(exc)) from exc
        return dict(round_numbers(result.to_dict()))


__all__ = [
    "FILTER_KEYS",
    "IndexEmptyError",
    "InputLimitError",
    "IntegrationTools",
    "ToolInputError",
    "check_audience",
    "check_filters",
    "check_k",
    "citation_label",
]
