"""The deterministic, extractive answer composer.

It never writes a fact of its own: every line of an answer is a sentence (or list item)
copied from a cited passage, followed by that passage's [n]. What it adds is only framing
text from ``prompts/`` and, for residents in an emergency, the emergency number first
(from ``corpus/emergency_numbers.yaml``, which states its basis).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.components.document_status import describe_date
from assistant.components.lexical_index import LexicalIndex
from assistant.components.tokenizer import ChineseTokenizer
from assistant.domain import Chunk, ScoredChunk
from assistant.services.answer_plans import AnswerPlan
from assistant.services.document_status import status_json

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")
_LEADING_LABEL = re.compile(
    r"^\s*(?:#+\s*|第[零〇一二两三四五六七八九十百千\d]+条\s*|[（(][一二三四五六七八九十\d]+[）)]\s*"
    r"|\d+[.．、)]\s*|[-*•]\s*)+"
)

#: How many lines each audience gets, and how many sources at most (three: a reader checks them).
_LIMITS = {"resident": (16, 3), "staff": (16, 3), "department": (16, 3)}
#: Lines quoted from one card section: whole sections for plans that read a card as a whole.
_CARD_LINES, _WHOLE_CARD_LINES = 6, 10


@dataclass(frozen=True)
class EmergencyRule:
    number: str
    label: str
    words: tuple[str, ...]


@dataclass
class EmergencyNumbers:
    """Emergency numbers with their labels, and the words of danger to life (110/119/120 first)."""

    rules: list[EmergencyRule] = field(default_factory=list)
    danger_words: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> EmergencyNumbers:
        if not path.is_file():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rules = [
            EmergencyRule(str(r["number"]), str(r["label"]), tuple(str(w) for w in r.get("words", [])))
            for r in data.get("rules", [])
        ]
        return cls(rules, tuple(str(w) for w in data.get("danger_words", [])))

    def for_question(self, question: str) -> list[EmergencyRule]:
        hits = [rule for rule in self.rules if any(w in question for w in rule.words)]
        return hits[:2]

    def label(self, number: str) -> str:
        return next((rule.label for rule in self.rules if rule.number == number), "")


@dataclass
class Citation:
    n: int
    source: str
    file: str
    locator: str
    text: str
    score: float
    chunk: Chunk | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "file": self.file,
            "locator": self.locator,
            "text": self.text,
            "score": round(self.score, 6),
            **status_json(self.chunk.metadata if self.chunk is not None else {}),
        }


@dataclass
class Composition:
    text: str
    citations: list[Citation]


#: Card types whose sections are lists of steps written to be read in order.
_CARD_TYPES = frozenset({"guide", "procedure", "responsibility", "case", "weak_point", "strategy"})
_BASIS = re.compile(r"（依据：[^（）]*(?:（[^（）]*）[^（）]*)*）")


#: Section-heading words of the pack's resident guides, in the order residents need them.
_READING_ORDER = ("先做什么", "千万不要", "打给谁", "提前准备")


def _reading_priority(chunk: Chunk) -> int:
    locator = str(chunk.metadata.get("locator", ""))
    for n, word in enumerate(_READING_ORDER):
        if word in locator:
            return n
    return len(_READING_ORDER) + (1 if locator in ("引言", "全文") else 0)


def _is_card(chunk: Chunk) -> bool:
    return str(chunk.metadata.get("doc_type", "")) in _CARD_TYPES


def _lines(chunk: Chunk, text: str) -> list[str]:
    """A card's list items and lines as they stand; a regulation's sentences."""
    if _is_card(chunk):
        lines = [line.strip().strip("*").strip() for line in text.splitlines()]
        return [line for line in lines if len(re.sub(r"\W", "", line)) >= 4 and not line.startswith("#")]
    return split_sentences(text)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage, labels kept (they are stripped for display)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p and len(re.sub(r"\W", "", p)) >= 4]


def display_sentence(sentence: str) -> str:
    """A sentence without its article label or list marker, ending in proper punctuation."""
    core = _LEADING_LABEL.sub("", sentence).strip()
    if core.endswith(("；", ";", "，", ",", "：", ":")):
        core = core[:-1] + "。"
    elif not core.endswith(("。", "！", "？", "!", "?", "）", ")")):
        core += "。"
    return core


class ExtractiveComposer:
    """Selects the sentences that best answer a question and cites them by [n]."""

    def __init__(
        self,
        tokenizer: ChineseTokenizer,
        emergency: EmergencyNumbers,
        templates: dict[str, str],
    ) -> None:
        self.tokenizer = tokenizer
        self.emergency = emergency
        self.templates = templates

    def compose(
        self,
        question: str,
        audience: str,
        evidence: Sequence[ScoredChunk],
        expansions: Sequence[str],
        passage_text: Callable[[Chunk], str],
        lexical: LexicalIndex,
        plan: AnswerPlan | None = None,
    ) -> Composition:
        """Pick sources, then lines: a knowledge card's steps in its own order (they are written
        to be read as a whole), a regulation's best-matching sentences. With a ``plan`` its
        passages are used as given, all of them, in its order."""
        max_lines, max_sources = _LIMITS.get(audience, _LIMITS["staff"])
        planned = plan is not None and plan.kind != "general"
        if plan is not None:
            evidence = plan.evidence
        card_lines = _WHOLE_CARD_LINES if plan is not None and plan.whole_cards else _CARD_LINES
        # the current rule shown beside a repealed one is always quoted
        forced = {c for c in plan.current_for.values() if c is not None} if plan is not None else set()
        weights = self._term_weights(question, expansions, lexical)
        units: list[list[tuple[float, int, str]]] = []  # per evidence rank: (score, position, line)
        for rank, item in enumerate(evidence[:max_sources]):
            lines = _lines(item.chunk, passage_text(item.chunk))
            units.append(
                [
                    (self._sentence_score(line, weights) / (1.0 + 0.35 * rank), pos, line)
                    for pos, line in enumerate(lines)
                ]
            )
        best = max((score for unit in units for score, _, _ in unit), default=0.0)
        chosen: list[tuple[int, int, str]] = []
        seen: set[str] = set()
        for rank, unit in enumerate(units):
            if not unit:
                continue
            top = max(score for score, _, _ in unit)
            # Rank 0 always answers; a further source only when it answers nearly as well.
            if rank > 0 and not planned and rank not in forced and (best <= 0 or top < 0.5 * best):
                continue
            if _is_card(evidence[rank].chunk):
                limit = 4 if plan is not None and plan.summary_rank == rank else card_lines
                picked = [(pos, line) for _, pos, line in unit][:limit]
            else:
                floor = 0.2 * best if best > 0 else 0.0
                ranked = sorted(unit, key=lambda u: (-u[0], u[1]))
                picked = sorted((pos, line) for score, pos, line in ranked[:3] if score > floor or rank == 0)
                picked = picked or [(unit[0][1], unit[0][2])]
            for pos, line in picked:
                key = display_sentence(line)
                if key not in seen and len(chosen) < max_lines:
                    seen.add(key)
                    chosen.append((rank, pos, line))
        used_ranks = sorted({rank for rank, _, _ in chosen})
        if audience == "resident" and not planned:
            # Residents read what to do first: action sections before background ones.
            used_ranks.sort(key=lambda r: (_reading_priority(evidence[r].chunk), r))
            chosen.sort(key=lambda c: (used_ranks.index(c[0]), c[1]))
        number_of = {rank: n for n, rank in enumerate(used_ranks, start=1)}
        citations = [self._citation(number_of[r], evidence[r], passage_text) for r in used_ranks]
        numbers = list(plan.numbers) if plan is not None else []
        summary = (
            number_of.get(plan.summary_rank) if plan is not None and plan.summary_rank is not None else None
        )
        notices = self._status_notices(evidence, number_of, plan.current_for if plan is not None else {})
        kind = plan.kind if plan is not None else "general"
        text = self._render(question, audience, chosen, number_of, citations, numbers, summary, notices, kind)
        return Composition(text=text, citations=citations)

    def intro(self, audience: str, kind: str) -> str:
        """The line before a staff or department answer: the plan's own (``staff_intro_procedure``:
        steps and who does them; ``*_intro_article``: the article that answers) when the templates
        have one, else the audience's general line — a reader learns what kind of answer follows."""
        base = "department_intro" if audience == "department" else "staff_intro"
        return self.templates.get(f"{base}_{kind}") or self.templates.get(base, "相关依据如下：")

    def _status_notices(
        self, evidence: Sequence[ScoredChunk], number_of: dict[int, int], current_for: dict[int, int | None]
    ) -> list[str]:
        """One plain line per cited passage of a repealed document, and where the rule is now."""
        notices: list[str] = []
        for rank, current in sorted(current_for.items()):
            if rank not in number_of:
                continue
            shown = (evidence[current].chunk, number_of[current]) if current in number_of else None
            notices.append(status_notice(self.templates, evidence[rank].chunk, number_of[rank], shown))
        return notices

    # --- scoring -------------------------------------------------------------------------
    def _term_weights(
        self, question: str, expansions: Sequence[str], lexical: LexicalIndex
    ) -> dict[str, float]:
        n = max(len(lexical), 1)
        weights: dict[str, float] = {}
        for factor, text in ((1.0, question), (0.6, " ".join(expansions))):
            for token in self.tokenizer.tokenize(text):
                df = lexical.document_frequency(token)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                weights[token] = max(weights.get(token, 0.0), factor * idf)
        return weights

    def _sentence_score(self, sentence: str, weights: dict[str, float]) -> float:
        tokens = set(self.tokenizer.tokenize(sentence))
        hit = sum(w for t, w in weights.items() if t in tokens)
        return hit / (1.0 + len(sentence) / 400.0)

    # --- rendering --------------------------------------------------------------------
    def _citation(self, n: int, item: ScoredChunk, passage_text: Callable[[Chunk], str]) -> Citation:
        chunk = item.chunk
        return Citation(
            n=n,
            source=chunk.title,
            file=str(chunk.metadata.get("file", "")),
            locator=citation_locator(chunk),
            text=passage_text(chunk),
            score=item.score,
            chunk=chunk,
        )

    def _render(
        self,
        question: str,
        audience: str,
        chosen: Sequence[tuple[int, int, str]],
        number_of: dict[int, int],
        citations: Sequence[Citation],
        numbers: Sequence[str] = (),
        summary: int | None = None,
        notices: Sequence[str] = (),
        kind: str = "general",
    ) -> str:
        lines: list[str] = []
        if numbers:  # the plan's numbers (the guide's own, or 110/119/120 for danger to life) first
            shown = "，".join(
                f"{n}（{self.emergency.label(n)}）" if self.emergency.label(n) else n for n in numbers
            )
            lines.append(
                self.templates.get("resident_emergency", "紧急情况请先拨打：{numbers}").format(numbers=shown)
            )
        lines.extend(notices)  # a repealed rule is flagged before anything quotes it
        if audience == "resident":
            lines.append(self.templates.get("resident_intro", "根据知识库中的资料，可以这样做："))
            step = 0
            for index, (rank, _, sentence) in enumerate(chosen):
                if len(number_of) > 1 and (index == 0 or chosen[index - 1][0] != rank):
                    citation = citations[number_of[rank] - 1]
                    name = _section_name(citation)
                    if citation.n == summary:
                        name += self.templates.get("card_summary_label", "（知识卡片：通俗说明）")
                    lines.append(f"\n**{name}**")
                    step = 0
                step += 1
                plain = _BASIS.sub("", display_sentence(sentence)).strip()  # the basis is in [n]
                lines.append(f"{step}. {plain} [{number_of[rank]}]")
        else:
            lines.append(self.intro(audience, kind))
            by_rank: dict[int, list[str]] = {}
            for rank, _, sentence in chosen:
                by_rank.setdefault(rank, []).append(display_sentence(sentence))
            for citation in citations:
                rank = next(r for r, n in number_of.items() if n == citation.n)
                heading = format_source(citation)
                if citation.n == summary:
                    heading += self.templates.get("card_summary_label", "（知识卡片：通俗说明）")
                lines.append(f"\n**{heading}** [{citation.n}]")
                lines.extend(f"- {s}" for s in by_rank.get(rank, []))
        footer = self.templates.get(f"{audience}_footer")
        if footer:
            lines.append("\n" + footer)
        return "\n".join(lines).strip()


def status_notice(templates: dict[str, str], chunk: Chunk, n: int, current: tuple[Chunk, int] | None) -> str:
    """注意：[n] 该规定已于…被《…》废止（《…》第X条）… and the current passage [m], if any."""
    meta = chunk.metadata
    by = str(meta.get("repealed_by", ""))
    when = describe_date(str(meta.get("repealed_by_date", "")))
    article = str(meta.get("repealed_by_article", ""))
    if meta.get("superseded_by"):
        line = templates.get(
            "superseded_notice", "注意：[{n}] 出自的文本已有更新版本《{by}》{when}，请以新版本为准。"
        ).format(n=n, by=by, when=f"（{when}）" if when else "")
    else:
        line = templates.get(
            "repealed_notice", "注意：[{n}] 该规定已{when}被《{by}》废止{where}，不再现行有效。"
        ).format(
            n=n, by=by, when=f"于{when}" if when else "", where=f"（《{by}》{article}）" if article else ""
        )
    if current is None:
        return line + templates.get(
            "no_current_rule_notice", "知识库中未找到对应的现行条文，请核实现行规定。"
        )
    cited, m = current
    where = str(cited.metadata.get("article", "")) or citation_locator(cited)
    return line + templates.get(
        "current_rule_notice", "现行有效的相关规定可参见《{title}》{where} [{n}]。"
    ).format(title=cited.title, where=where, n=m)


def repeal_notices(citations: Sequence[Citation], templates: dict[str, str]) -> list[str]:
    """Notices for an answer written elsewhere (the LLM path): each cited repealed passage, paired
    with the first cited regulation passage that is not repealed."""
    current = next(
        (
            (c.chunk, c.n)
            for c in citations
            if c.chunk is not None
            and c.chunk.metadata.get("status") != "repealed"
            and c.chunk.metadata.get("doc_type") == "regulation"
        ),
        None,
    )
    return [
        status_notice(templates, c.chunk, c.n, current)
        for c in citations
        if c.chunk is not None and c.chunk.metadata.get("status") == "repealed"
    ]


def _section_name(citation: Citation) -> str:
    """A short heading for a group of steps: the card's section, or the article's source."""
    if citation.chunk is not None and _is_card(citation.chunk):
        return citation.locator.split(" > ")[-1] or citation.source
    return format_source(citation)


def citation_locator(chunk: Chunk) -> str:
    """'第五章 第四十一条', a section path, or the page for PDFs, whichever the chunk has."""
    meta = chunk.metadata
    locator = str(meta.get("locator", "")).strip()
    page = int(meta.get("page") or 0)
    if page:
        locator = f"{locator}（第{page}页）" if locator else f"第{page}页"
    return locator


def format_source(citation: Citation) -> str:
    """《上海市防汛条例》第四十一条 — the title with the article (or section) it cites."""
    meta = citation.chunk.metadata if citation.chunk else {}
    article = str(meta.get("article", "")) if meta else ""
    where = article or citation.locator
    return f"《{citation.source}》{where}" if where else f"《{citation.source}》"
