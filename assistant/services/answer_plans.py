"""Answer plans: what an answer is built from, chosen by the question's intent, not its audience.

Why plans: an answer assembled from whichever chunk matched reads like fragments — the
"prepare in advance" section of the lift guide for someone trapped in a lift, a resident's
card for a department's legal question. A person acts on a whole answer of the right kind:

* **emergency** (someone in danger now): the matching guide's emergency numbers first (the
  guide declares them in front matter), then its 先做什么, 千万不要 and 打给谁 sections — the
  section the ranker matched first, the others in that order. With no guide but words of
  danger to life (被困, 出不去, 昏迷…), 110/119/120 still come first.
* **article** (obligation, penalty, deadline, responsibility — any audience): the one best
  article leads; a second article only when it answers another part (the prohibition and its
  penalty); a card may follow as a plain-language summary, never first.
* **procedure** (staff): the procedure card's steps for the asked warning colour or phase
  (:mod:`.procedure_sections`), then the article behind them.
* **policy**: the paper's (or case/strategy card's) section.

Which passage leads is the ranker's decision (it was trained with the question's intent,
audience and each passage's type as features); measured on the blind dev split, forcing an
article first for legal intents changed nothing for article-gold questions and lost a fifth
of the card-gold ones, so a plan never overrides the lead — it chooses what goes with it.

Every line is still a sentence quoted from a cited passage (:mod:`.compose` renders them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.components.knowledge_pack import cites
from assistant.components.lexical_index import LexicalIndex
from assistant.domain import Chunk, ScoredChunk
from assistant.services.follow_up import SlotVocabulary
from assistant.services.procedure_sections import (
    asked_sections,
    document_chunks,
    matching_section,
    procedure_sections,
)
from assistant.services.ranking.card_router import CardChoice
from assistant.services.ranking.how_to import RIGHTS_INTENTS

CARD_TYPES = frozenset({"guide", "procedure", "responsibility", "case", "weak_point", "strategy"})
POLICY_TYPES = frozenset({"paper", "case", "strategy", "weak_point"})
#: Intents an article answers (the "rights" side of the how-to model).
ARTICLE_INTENTS = RIGHTS_INTENTS
#: The guide sections an emergency answer reads, in this order.
EMERGENCY_SECTIONS = ("先做什么", "千万不要", "打给谁")
#: Shown first when someone's life is in danger and no guide matched (the pack's `always` rule).
GENERAL_NUMBERS = ("110", "119", "120")


@dataclass
class AnswerPlan:
    """The passages of an answer in reading order, and how to render them."""

    kind: str  # emergency / article / procedure / policy / general
    evidence: list[ScoredChunk]
    numbers: list[str] = field(default_factory=list)
    #: Card sections are quoted whole and in order (emergency guides, procedures).
    whole_cards: bool = False
    #: Rank of a card that only summarises the leading article(s) (rendered as such).
    summary_rank: int | None = None
    #: Evidence rank of a passage from a repealed document → rank of the current passage shown
    #: with it (None: no current indexed passage); the composer says so plainly.
    current_for: dict[int, int | None] = field(default_factory=dict)
    #: Someone may be in danger (emergency intent or words of danger to life): the guide is
    #: shown even on weak retrieval signals. Not set when only the ranked guide section made
    #: the plan an emergency one — an off-topic question's best weak match may be a guide.
    urgent: bool = False


def _type(chunk: Chunk) -> str:
    return str(chunk.metadata.get("doc_type", "") or "regulation")


def _is_liability(chunk: Chunk) -> bool:
    return "法律责任" in str(chunk.metadata.get("chapter", ""))


def in_danger(question: str, danger_words: Sequence[str]) -> bool:
    return any(word in question for word in danger_words)


def about_the_question(
    question: str, guide: Chunk, lexical: LexicalIndex, danger_words: Sequence[str] = ()
) -> bool:
    """Whether the guide shares a content word (or a danger word) with the question.

    An urgent plan shows a guide even on weak evidence, so the guide must at least be about what
    was asked: for 外婆噎住了喘不上气 the best-ranked guide was heat stroke's, and its steps were
    shown under the 120 line. Without a shared word the question is answered, or refused with
    the emergency numbers first, like any other.
    """
    words = set(lexical.tokenizer.words(question)) | {w for w in danger_words if w in question}
    if not words:
        return False
    text = str(guide.metadata.get("title", "")) + "".join(c.text for c in document_chunks(lexical, guide))
    return any(word in text for word in words)


def guide_sections(lexical: LexicalIndex, guide: Chunk) -> list[Chunk]:
    """The guide's 先做什么 / 千万不要 / 打给谁 chunks, in that order (all parts of each)."""
    chunks = document_chunks(lexical, guide)
    out: list[Chunk] = []
    for word in EMERGENCY_SECTIONS:
        out.extend(c for c in chunks if word in str(c.metadata.get("locator", "")) and c not in out)
    return out


def routed_guide(choice: CardChoice, ranked: list[ScoredChunk], lexical: LexicalIndex) -> list[ScoredChunk]:
    """The ranked sections of the router's guide (its first action section when none was
    ranked); empty when the router found that no guide covers the question."""
    if choice.doc_id is None:
        return []
    own = [i for i in ranked if str(i.chunk.metadata.get("doc_id", "")) == choice.doc_id]
    if own:
        return own
    rows = lexical.document(choice.doc_id)
    if not rows:
        return []
    chunks = [lexical.chunks[r] for r in rows]
    first = next((c for c in chunks if is_action_section(c)), chunks[0])
    return [ScoredChunk(first, choice.probability, {"router": choice.probability})]


def _summary_card(
    lead: Chunk, cards: list[ScoredChunk], guide: CardChoice | None, lexical: LexicalIndex
) -> ScoredChunk:
    """The card shown after the article ``lead``: the ranker's best card, unless it is a section
    of another guide than the one the router chose (电瓶车能推进电梯带上楼吗 had the lift guide's
    千万不要 under the e-bike article) — then the chosen guide's own best section; and of that
    guide, the section that restates the lead article when the chosen one does not."""
    card = _summary_guide_card(cards, guide, lexical)
    if _type(card.chunk) != "guide" or _cites(card.chunk, lead):
        return card
    # the guide's 引言 under 禁止携带电动自行车…进入电梯轿厢 says why batteries burn, not the rule
    restating = [c for c in document_chunks(lexical, card.chunk) if _cites(c, lead)]
    if not restating:
        return card
    return ScoredChunk(restating[0], card.score, dict(card.sources))


def _cites(card: Chunk, article: Chunk) -> bool:
    """The card names ``article`` as its basis (《title》第X条 in its text)."""
    number = str(article.metadata.get("article", ""))
    return bool(number) and cites(card.text, article.title, number)


def _summary_guide_card(
    cards: list[ScoredChunk], guide: CardChoice | None, lexical: LexicalIndex
) -> ScoredChunk:
    best = cards[0]
    if guide is None or guide.doc_id is None or _type(best.chunk) != "guide":
        return best
    if str(best.chunk.metadata.get("doc_id", "")) == guide.doc_id:
        return best
    own = [c for c in cards if str(c.chunk.metadata.get("doc_id", "")) == guide.doc_id]
    if own:
        return own[0]
    if guide.best_section is None:
        return best
    return ScoredChunk(lexical.chunks[guide.best_section], guide.probability, {"router": guide.probability})


def _matched_first(sections: list[Chunk], matched: Chunk) -> list[Chunk]:
    """The guide's sections with the one the ranker matched first (all its parts), the rest in order.

    Someone in danger is matched to 先做什么 and reads the guide in its order; a question about
    what not to do (寒潮时千万不要做什么) or whom to call is answered by that section first — the
    ranker decides the lead, the plan only adds the rest of the guide.
    """
    locator = str(matched.metadata.get("locator", ""))
    word = next((w for w in EMERGENCY_SECTIONS if w in locator), None)
    if word is None:
        return sections
    first = [c for c in sections if word in str(c.metadata.get("locator", ""))]
    return first + [c for c in sections if c not in first]


def asks_for_section(question: str, chunk: Chunk, lexical: LexicalIndex) -> bool:
    """Whether the question names the heading of the guide section the ranker matched.

    An emergency answer reads 先做什么 / 千万不要 / 打给谁, so a matched 提前准备 is left out —
    right for 被困在电梯里了怎么办, wrong for 台风要来了，家里要准备点什么: that question asks
    for the preparation section by its name, and it comes first.
    """
    heading = str(chunk.metadata.get("locator", "")).split("：")[-1]
    if not heading or is_action_section(chunk):
        return False
    return any(word in heading for word in lexical.tokenizer.words(question))


def is_action_section(chunk: Chunk) -> bool:
    """A guide section that tells someone in danger what to do (not 提前准备 or the legal duties)."""
    return _type(chunk) == "guide" and any(
        w in str(chunk.metadata.get("locator", "")) for w in EMERGENCY_SECTIONS
    )


def make_plan(
    question: str,
    audience: str,
    intent: str,
    items: Sequence[ScoredChunk],
    lexical: LexicalIndex,
    danger_words: Sequence[str],
    max_sources: int = 3,
    slots: SlotVocabulary | None = None,
    guide: CardChoice | None = None,
    how_to: float | None = None,
) -> AnswerPlan:
    """Choose the plan and its passages; a repealed passage is paired with a current one.

    ``guide`` is the card router's choice among the guides (None: no router installed, the
    ranker's first guide section decides). ``how_to`` is the probability that an emergency
    question asks how to act rather than what the rules say (:mod:`.ranking.how_to`; None:
    not known, the intent alone decides).
    """
    plan = _make_plan(
        question, audience, intent, items, lexical, danger_words, max_sources, slots, guide, how_to
    )
    return pair_repealed(plan, items, max_sources)


def pair_repealed(plan: AnswerPlan, items: Sequence[ScoredChunk], max_sources: int = 3) -> AnswerPlan:
    """Put the best current passage right after each passage of a repealed document.

    The current passage is the best-ranked one of the document that repealed it (the rule's
    new home), else the best-ranked regulation passage that is not repealed; it displaces the
    plan's last passage when the plan is full. Status is read from ``metadata["status"]``.
    """
    evidence = list(plan.evidence)
    if not any(_repealed(i.chunk) for i in evidence[:max_sources]):
        return plan
    summary = plan.summary_rank
    current_for: dict[int, int | None] = {}
    rank = 0
    while rank < min(len(evidence), max_sources):
        chunk = evidence[rank].chunk
        if not _repealed(chunk) or rank in current_for.values():
            rank += 1
            continue
        current = _current_for(chunk, items)
        position: int | None = None
        if current is not None:
            ids = [i.chunk.id for i in evidence]
            if current.chunk.id in ids:
                position = ids.index(current.chunk.id)
            else:
                position = rank + 1
                evidence.insert(position, current)
                if summary is not None and summary >= position:
                    summary += 1
                current_for = {
                    r + (r >= position): (c + (c >= position) if c is not None else None)
                    for r, c in current_for.items()
                }
        current_for[rank] = position if position is not None and position < max_sources else None
        rank += 1
    evidence = evidence[:max_sources]
    if summary is not None and summary >= len(evidence):
        summary = None
    plan.evidence, plan.summary_rank, plan.current_for = evidence, summary, current_for
    return plan


def _repealed(chunk: Chunk) -> bool:
    return chunk.metadata.get("status") == "repealed"


def _current_for(chunk: Chunk, items: Sequence[ScoredChunk]) -> ScoredChunk | None:
    successor = str(chunk.metadata.get("repealed_by", ""))
    current = [i for i in items if not _repealed(i.chunk) and _type(i.chunk) == "regulation"]
    same_home = [i for i in current if successor and i.chunk.title == successor]
    best = same_home or current
    return best[0] if best else None


def _make_plan(
    question: str,
    audience: str,
    intent: str,
    items: Sequence[ScoredChunk],
    lexical: LexicalIndex,
    danger_words: Sequence[str],
    max_sources: int = 3,
    slots: SlotVocabulary | None = None,
    guide: CardChoice | None = None,
    how_to: float | None = None,
) -> AnswerPlan:
    """Choose the plan and its passages from the ranked ``items`` (best first)."""
    danger = in_danger(question, danger_words)
    guides = [i for i in items if _type(i.chunk) == "guide"]
    # a guide's action section ranked first is itself the sign of an emergency question
    lead_acts = bool(items) and is_action_section(items[0].chunk)
    if intent == "emergency" or lead_acts or (danger and audience == "resident"):
        if not (lead_acts or (danger and audience == "resident") or asks_how_to(items, how_to)):
            # an emergency topic asked as a rights question (电梯坏了…维修钱从哪出), with the
            # ranker's lead an article: the article answers, the guide follows as its note. The
            # model read it as a rights question, so it is answered as one (any audience).
            return _article_or_general(
                question, "obligation", audience, items, lexical, max_sources, slots, guide
            )
        if guide is not None:
            guides = routed_guide(guide, guides, lexical)
            if not guides:
                # no guide covers it: no other guide's steps, wherever the ranker put them
                items = [i for i in items if _type(i.chunk) != "guide"]
        if guides:
            lead = guides[0]
            sections = _matched_first(guide_sections(lexical, lead.chunk) or [lead.chunk], lead.chunk)
            if asks_for_section(question, lead.chunk, lexical) and lead.chunk not in sections:
                sections = [lead.chunk, *sections]
            numbers = [n for n in str(lead.chunk.metadata.get("emergency_numbers", "")).split(",") if n]
            evidence = [ScoredChunk(c, lead.score, dict(lead.sources)) for c in sections[:max_sources]]
            return AnswerPlan(
                "emergency",
                evidence,
                numbers or list(GENERAL_NUMBERS),
                whole_cards=True,
                # urgent (never withheld for weak evidence) only for someone in danger: with an
                # emergency intent alone, near-domain traps the router found a guide for were
                # answered (追尾了…保险公司管不管, 2号线现在恢复了吗)
                urgent=danger and about_the_question(question, lead.chunk, lexical, danger_words),
            )
        if danger:
            return AnswerPlan("general", list(items[:max_sources]), list(GENERAL_NUMBERS))
    numbers = list(GENERAL_NUMBERS) if danger else []
    return _article_or_general(question, intent, audience, items, lexical, max_sources, slots, guide, numbers)


def asks_how_to(items: Sequence[ScoredChunk], how_to: float | None) -> bool:
    """Whether an "emergency" question gets the guide plan: always when the ranker's lead is a
    guide section or the form is unknown; otherwise only when the question reads as asking how to
    act (``how_to`` ≥ 0.5, the decision point of a model trained with balanced classes)."""
    if how_to is None or (items and _type(items[0].chunk) == "guide"):
        return True
    return how_to >= 0.5


def _article_or_general(
    question: str,
    intent: str,
    audience: str,
    items: Sequence[ScoredChunk],
    lexical: LexicalIndex,
    max_sources: int,
    slots: SlotVocabulary | None,
    guide: CardChoice | None,
    numbers: list[str] | None = None,
) -> AnswerPlan:
    """The plans led by the ranker's first passage: article, procedure, policy or general."""
    numbers = numbers or []
    if not items:
        return AnswerPlan("general", [], numbers)
    # The ranker's first passage leads (it weighs intent, audience and document type); the
    # plan decides what accompanies it.
    lead = items[0]
    lead_type = _type(lead.chunk)
    articles = [i for i in items if _type(i.chunk) == "regulation"]
    cards = [i for i in items if _type(i.chunk) in CARD_TYPES]
    if lead_type == "regulation" and (intent in ARTICLE_INTENTS or audience != "resident"):
        evidence = [lead]
        for other in articles[1:3]:
            same_doc = other.chunk.metadata.get("doc_id") == lead.chunk.metadata.get("doc_id")
            if same_doc and _is_liability(other.chunk) != _is_liability(lead.chunk):
                evidence.append(other)  # the prohibition and its penalty answer two parts
                break
        summary = None
        if cards and len(evidence) < max_sources:
            summary = len(evidence)
            evidence.append(_summary_card(lead.chunk, cards, guide, lexical))
        return AnswerPlan("article", evidence, numbers, summary_rank=summary)
    if lead_type == "procedure":
        section = matching_section(question, lead, lexical, slots)
        return AnswerPlan(
            "procedure",
            [*procedure_sections(section, items, asked_sections(question, slots)), *articles[:1]],
            numbers,
            whole_cards=True,
        )
    if lead_type in POLICY_TYPES and intent == "policy":
        policy = [i for i in items if _type(i.chunk) in POLICY_TYPES]
        return AnswerPlan("policy", policy[:2], numbers)
    return AnswerPlan("general", list(items[:max_sources]), numbers)
