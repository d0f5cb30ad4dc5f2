"""The ask use case: resolve follow-ups, retrieve, decide whether there is a basis, answer.

The extractive composer always runs (it is cheap and deterministic); when an LLM endpoint
is configured its streamed answer replaces the extractive one only if it cites nothing but
the passages it was given. Any failure falls back to the extractive answer with a note.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.components.llm import ChatStreamer, LLMError
from assistant.services.answer_plans import in_danger, make_plan
from assistant.services.compose import Citation, ExtractiveComposer, format_source, repeal_notices
from assistant.services.follow_up import FollowUp, FollowUpResolver, StandAloneRule, default_resolver
from assistant.services.input_limits import check_history, check_question
from assistant.services.llm_guard import check_generated
from assistant.services.ranking.card_router import CardChoice, CardRouter
from assistant.services.ranking.how_to import HowToModel
from assistant.services.refusal_rules import OutOfScopeGate, Refusal, RefusalPolicy, ScaledRefusal
from assistant.services.retrieve import HybridRetriever, Retrieval
from assistant.services.scope import ScopeRules

AUDIENCES = ("resident", "staff", "department")
__all__ = [
    "AnswerEvent",
    "AnswerResult",
    "AnswerService",
    "OutOfScopeGate",
    "Refusal",
    "RefusalPolicy",
    "ScaledRefusal",
]


@dataclass
class AnswerResult:
    """One answer; ``to_json`` is the CLI/API contract."""

    question: str
    audience: str
    answer: str
    refused: bool
    citations: list[Citation]
    timings_ms: dict[str, float]
    id: str | None = None
    resolved_question: str = ""
    notes: list[str] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)
    generated_by: str = "extractive"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass
class AnswerEvent:
    """A streamed piece of an answer (``delta``) or the finished result (``final``)."""

    kind: str
    text: str = ""
    result: AnswerResult | None = None


#: Passages retrieved for an answer: a plan picks from them (the guide, the article, the card).
PLAN_CANDIDATES = 8


class AnswerService:
    """Answers questions from the index, cited, for one of three audiences."""

    def __init__(
        self,
        retriever: HybridRetriever,
        composer: ExtractiveComposer,
        refusal: Refusal,
        templates: Mapping[str, str],
        prompts_dir: Path,
        top_k: int = 5,
        llm: ChatStreamer | None = None,
        scope: ScopeRules | None = None,
        follow_ups: FollowUpResolver | None = None,
        stands_alone: StandAloneRule | None = None,
        card_router: CardRouter | None = None,
        how_to: HowToModel | None = None,
    ) -> None:
        self.retriever = retriever
        self.card_router = card_router
        self.how_to = how_to
        self.composer = composer
        self.refusal = refusal
        self.templates = templates
        self.prompts_dir = prompts_dir
        self.top_k = top_k
        self.llm = llm
        self.scope = scope or ScopeRules()
        self.follow_ups = follow_ups or default_resolver()
        self.stands_alone = stands_alone or StandAloneRule()

    def ask(
        self,
        question: str,
        audience: str = "staff",
        history: Sequence[str] = (),
        k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> AnswerResult:
        result: AnswerResult | None = None
        for event in self.stream(question, audience, history, k, filters, id):
            if event.kind == "final":
                result = event.result
        assert result is not None
        return result

    def stream(
        self,
        question: str,
        audience: str = "staff",
        history: Sequence[str] = (),
        k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> Iterator[AnswerEvent]:
        if audience not in AUDIENCES:
            raise ValueError(f"audience 应为 {'/'.join(AUDIENCES)} 之一，收到“{str(audience)[:20]}”")
        # bounded before any work: one oversized field must not hold a worker for seconds
        question = check_question(question)
        history = check_history(history)
        started = time.perf_counter()
        depth = max(k or self.top_k, PLAN_CANDIDATES)
        follow_up, retrieval = self._resolve(question, history, depth, filters, audience)
        resolved = follow_up.text
        plan = make_plan(
            resolved,
            audience,
            retrieval.answer_intent,
            retrieval.items,
            retrieval.lexical or self.retriever.lexical,
            self.composer.emergency.danger_words,
            max_sources=min(k or 3, 3),
            slots=self.follow_ups.vocabulary,
            # the router scores every guide in the index; with filters only retrieved ones may show
            guide=None if filters else self._guide(resolved, retrieval),
            how_to=self._how_to(resolved, retrieval),
        )
        t_retrieved = time.perf_counter()
        notes: list[str] = []
        if follow_up.is_follow_up:
            notes.append(self.templates.get("follow_up_note", "").format(previous=follow_up.previous))

        titles = (title for _, title, _ in self.retriever.documents(retrieval.lexical))
        reason = self.scope.out_of_scope(resolved, titles)
        # a matched self-rescue guide for someone in danger is never withheld for weak wording
        weak = self.refusal.refuse(retrieval.signals) and not plan.urgent
        if reason or not plan.evidence or weak:
            # A refused question whose likeliest intent is an emergency, or with words of danger
            # to life, gets the emergency numbers first (prompts/refusal_emergency.txt), not a list
            # of topics: the library has no guide for it, but the person may be in danger.
            likeliest = max(retrieval.intent, key=retrieval.intent.__getitem__, default="")
            danger = likeliest == "emergency" or in_danger(resolved, self.composer.emergency.danger_words)
            text = self._refusal_text(reason, emergency=danger and not reason)
            result = self._result(
                question, resolved, audience, text, True, [], retrieval, started, t_retrieved, notes, id
            )
            yield AnswerEvent("delta", text)
            yield AnswerEvent("final", result=result)
            return

        assert retrieval.lexical is not None  # set whenever items were found
        composition = self.composer.compose(
            resolved,
            audience,
            plan.evidence,
            retrieval.expansions,
            retrieval.passage_text,
            retrieval.lexical,
            plan=plan,
        )
        if self.llm is not None:
            yield from self._stream_llm(
                question,
                resolved,
                audience,
                retrieval,
                composition.text,
                composition.citations,
                started,
                t_retrieved,
                notes,
                id,
            )
            return
        text = "\n".join([*notes, composition.text]) if notes else composition.text
        yield AnswerEvent("delta", text)
        yield AnswerEvent(
            "final",
            result=self._result(
                question,
                resolved,
                audience,
                text,
                False,
                composition.citations,
                retrieval,
                started,
                t_retrieved,
                notes,
                id,
            ),
        )

    def _how_to(self, question: str, retrieval: Retrieval) -> float | None:
        """Probability that an "emergency" question asks how to act rather than what the rules
        say (None: no model installed, or not needed — the plan consults it only for emergencies)."""
        if retrieval.answer_intent != "emergency" or self.how_to is None or not self.how_to.available():
            return None
        return self.how_to.how_to(question)

    def _guide(self, question: str, retrieval: Retrieval) -> CardChoice | None:
        """The card router's guide for the question (None when no router is installed or the
        retrieval kept no query vector, as in BM25-only mode)."""
        router = self.card_router
        if (
            router is None
            or not router.available()
            or retrieval.lexical is None
            or not retrieval.query_vector
        ):
            return None
        return router.choose(
            question, retrieval.lexical, "guide", retrieval.query_vector, retrieval.bm25, retrieval.items
        )

    def _resolve(
        self,
        question: str,
        history: Sequence[str],
        depth: int,
        filters: Mapping[str, Any] | None,
        audience: str,
    ) -> tuple[FollowUp, Retrieval]:
        """The question as retrieved (a follow-up takes the previous topic's slots) and its retrieval.

        An elliptical question with a topic of its own is first tried alone; when that retrieval
        holds (close passage, lexical lead, words covered, not refused) it is the one used, so a
        new topic after 那如果… is neither glued to the old one nor retrieved twice.
        """
        tried: dict[str, Retrieval] = {}

        def stands_alone(text: str) -> bool:
            retrieval = self.retriever.retrieve(text, k=depth, filters=filters, audience=audience)
            tried[text] = retrieval
            return self.stands_alone(retrieval.signals) and not self.refusal.refuse(retrieval.signals)

        earlier = self.follow_ups.resolve_history(history)
        follow_up = self.follow_ups.resolve(question, earlier, stands_alone)
        retrieval = tried.get(follow_up.text) or self.retriever.retrieve(
            follow_up.text, k=depth, filters=filters, audience=audience
        )
        return follow_up, retrieval

    # --- LLM path ------------------------------------------------------------------------
    def _stream_llm(
        self,
        question: str,
        resolved: str,
        audience: str,
        retrieval: Retrieval,
        fallback_text: str,
        fallback_citations: list[Citation],
        started: float,
        t_retrieved: float,
        notes: list[str],
        id: str | None,
    ) -> Iterator[AnswerEvent]:
        assert self.llm is not None
        given = self._numbered_citations(retrieval)
        system = self._prompt("llm_system.md") + "\n\n" + self._prompt(f"llm_{audience}.md")
        user = self._prompt("llm_user.md").format(passages=_quote_passages(given), question=resolved)
        pieces: list[str] = []
        try:
            for piece in self.llm.stream(system, user):
                pieces.append(piece)
                yield AnswerEvent("delta", piece)
        except LLMError as exc:
            notes = [*notes, str(exc)]
            failure = str(exc)
        else:
            failure = ""
        generated = "".join(pieces)
        # untrusted text: no links or images survive, and every statement must cite a given passage
        verdict = check_generated(generated, {c.n for c in given})
        if verdict.ok and not failure:
            citations = [c for c in given if c.n in verdict.cited]
            # a cited repealed rule is flagged above the generated text, as in extractive answers
            final = "\n".join([*repeal_notices(citations, dict(self.templates)), verdict.text])
            if final != generated:
                yield AnswerEvent("replace", final)
            result = self._result(
                question,
                resolved,
                audience,
                final,
                False,
                citations,
                retrieval,
                started,
                t_retrieved,
                notes,
                id,
            )
            result.generated_by = "llm"
        else:
            reason = "生成中断" if failure else verdict.reason
            note = self.templates.get("llm_fallback_note", "").format(reason=reason)
            text = "\n".join([*notes, note, fallback_text]) if note else fallback_text
            result = self._result(
                question,
                resolved,
                audience,
                text,
                False,
                fallback_citations,
                retrieval,
                started,
                t_retrieved,
                [*notes, note],
                id,
            )
            yield AnswerEvent("replace", text)
        yield AnswerEvent("final", result=result)

    def _numbered_citations(self, retrieval: Retrieval) -> list[Citation]:
        out = []
        for n, item in enumerate(retrieval.items, start=1):
            chunk = item.chunk
            out.append(
                Citation(
                    n,
                    chunk.title,
                    str(chunk.metadata.get("file", "")),
                    _locator(chunk.metadata),
                    retrieval.passage_text(chunk),
                    item.score,
                    chunk,
                )
            )
        return out

    # --- helpers ------------------------------------------------------------------------
    def _prompt(self, name: str) -> str:
        return (self.prompts_dir / name).read_text(encoding="utf-8").strip()

    def _refusal_text(self, reason: str | None = None, emergency: bool = False) -> str:
        text = self._prompt("refusal_emergency.txt" if emergency else "refusal.txt")
        return f"（{reason}。）\n{text}" if reason else text

    def _result(
        self,
        question: str,
        resolved: str,
        audience: str,
        text: str,
        refused: bool,
        citations: list[Citation],
        retrieval: Retrieval,
        started: float,
        t_retrieved: float,
        notes: list[str],
        id: str | None,
    ) -> AnswerResult:
        finished = time.perf_counter()
        return AnswerResult(
            question=question,
            audience=audience,
            answer=text,
            refused=refused,
            citations=citations,
            timings_ms={
                "retrieve": (t_retrieved - started) * 1000,
                "answer": (finished - t_retrieved) * 1000,
                "total": (finished - started) * 1000,
            },
            id=id,
            resolved_question=resolved,
            notes=[n for n in notes if n],
            signals=retrieval.signals,
        )


def _locator(meta: Mapping[str, Any]) -> str:
    locator = str(meta.get("locator", ""))
    page = int(meta.get("page") or 0)
    return f"{locator}（第{page}页）" if page and locator else (f"第{page}页" if page else locator)


def _quote_passages(citations: Sequence[Citation]) -> str:
    """Passages as quoted data; tag-like text inside documents is neutralised."""
    blocks = []
    for c in citations:
        body = c.text.replace("<", "＜").replace(">", "＞")
        blocks.append(f'<passage n="{c.n}" source="{format_source(c)}">\n{body}\n</passage>')
    return "\n".join(blocks)
