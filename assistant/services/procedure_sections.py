"""Which sections of a staff procedure card an answer quotes.

A procedure card has one section per warning colour or phase (台风蓝色、黄色预警 / 橙色 / 红色 /
解除后; 转移前的准备 / 现场怎么组织 / 返回和收尾). Its sections share the card's words, so the
ranker finds the card more reliably than the section: the plan corrects the section by the
colour or phase the question names, and otherwise quotes the ranker's two best sections when
both lead the ranking.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.components.lexical_index import LexicalIndex
from assistant.domain import Chunk, ScoredChunk
from assistant.services.follow_up import SlotVocabulary


def document_chunks(lexical: LexicalIndex, chunk: Chunk) -> list[Chunk]:
    """Every chunk of ``chunk``'s document, in reading order."""
    return [lexical.chunks[i] for i in lexical.document(str(chunk.metadata.get("doc_id", "")))]


#: The slots that divide a procedure card into sections, as the plans it summarises are divided:
#: by warning level and by phase. Hazard and actors are the card's topic, named in every section.
SECTION_SLOTS = frozenset({"colour", "phase"})


def asked_sections(question: str, slots: SlotVocabulary | None) -> set[tuple[str, str]]:
    """The warning colours and phases ``question`` names, as (slot, value) pairs."""
    if slots is None:
        return set()
    return {(m.slot, m.value) for m in slots.mentions(question) if m.slot in SECTION_SLOTS}


def matching_section(
    question: str, lead: ScoredChunk, lexical: LexicalIndex, slots: SlotVocabulary | None
) -> ScoredChunk:
    """The section of the lead card whose heading names the warning level or phase asked about.

    A procedure card has one section per warning colour or phase (台风蓝色、黄色预警 / 橙色 / 红色 /
    解除后). The ranker finds the card but often leads with its general section, because every
    section shares the card's words. A heading scores +1 per asked colour/phase value it names
    and -1 per such slot it names only with other values (蓝色、黄色 when 红色 was asked); another
    section replaces the lead only when it scores strictly higher.
    """
    asked = asked_sections(question, slots)
    if slots is None or not asked:
        return lead
    asked_slots = {slot for slot, _ in asked}

    def agreement(chunk: Chunk) -> int:
        heading = str(chunk.metadata.get("locator", ""))
        named = {(m.slot, m.value) for m in slots.mentions(heading) if m.slot in asked_slots}
        other = {slot for slot, _ in named} - {slot for slot, _ in named & asked}
        return len(named & asked) - len(other)

    best, best_score = lead.chunk, agreement(lead.chunk)
    for chunk in document_chunks(lexical, lead.chunk):
        score = agreement(chunk)
        if score > best_score:
            best, best_score = chunk, score
    return lead if best is lead.chunk else ScoredChunk(best, lead.score, dict(lead.sources))


def procedure_sections(
    section: ScoredChunk, items: Sequence[ScoredChunk], asked: set[tuple[str, str]]
) -> list[ScoredChunk]:
    """The procedure card's sections a staff answer quotes: the chosen one, and the runner-up
    when the ranker put another section of the same card second of all passages.

    Why: a staff question (谁说了算？居委会干啥？) often spans two phases of one procedure, and
    the ranker orders a card's sections poorly, since they share the card's words — the section
    that answers was often second. Ranked second of everything, ahead of every article, it is
    the next-best evidence there is; ranked lower, it is left out. A section picked for the
    asked warning colour or phase (``asked``) stands alone: another would be a different answer.
    """
    if asked or section.chunk is not items[0].chunk or len(items) < 2:
        return [section]
    runner_up = items[1]
    same_card = runner_up.chunk.metadata.get("doc_id") == section.chunk.metadata.get("doc_id")
    return [section, runner_up] if same_card else [section]
