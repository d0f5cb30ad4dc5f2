"""Follow-up questions resolved by slots: what the new question changes, what it carries over.

Gluing the previous question in front of any short question failed three ways: an unrelated
question (红烧肉怎么做？) was answered with the previous topic's cards instead of being refused;
a changed detail (那红色预警呢？ after an orange-warning question) was drowned by the old word
(橙色) still in the glued text; and a new topic (那如果被困在电梯里呢？ after a fire question)
got the fire answer again.

So a question is read as slots (warning colour, hazard, place, subject, phase; the words are
data in ``corpus/follow_up_slots.yaml``). An elliptical question takes the previous question's
slots, replaces the ones it fills, and is retrieved as the previous question with the changed
words substituted (暴雨橙色预警时居委会要做什么 + 那红色预警呢 → 暴雨红色预警时居委会要做什么).
A question that fills no slot and brings words of its own is a new question, not a follow-up.

Pure functions over strings (no models), deterministic and cheap: the caller may re-resolve
a whole conversation on every turn (:func:`resolve_history`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import PROJECT_ROOT

#: The bundled vocabulary (the factory may load another corpus folder's copy instead).
DEFAULT_SLOTS_FILE = PROJECT_ROOT / "corpus" / "follow_up_slots.yaml"
#: Only this many of the latest history items are looked at for the previous topic.
HISTORY_WINDOW = 3
#: A question of at most this many characters (letters, digits, 汉字) counts as "very short".
SHORT_CHARS = 6
#: A question with this many characters of its own (outside slots, markers and question words)
#: has a topic of its own, as has one naming a hazard the previous question did not.
TOPIC_CHARS = 6
HAZARD_SLOT = "hazard"

_PUNCTUATION = " \t\r\n，,。.？?！!、；;：:“”\"'‘’（）()《》〈〉…~～-—"


class FollowUpVocabularyError(ValueError):
    """The slot vocabulary file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class FollowUp:
    """How a question is retrieved given the conversation so far.

    ``text`` is what to retrieve with (the question itself unless it is a follow-up).
    ``carried`` are the previous question's slots kept (slot → canonical value, also those the
    new question merely repeats); ``replaced`` the slots the new question set to another value,
    including slots the previous question had not set. ``previous`` is the history item the
    question was resolved against; ``mode`` says how: ``alone``, ``substituted`` (the previous
    question with the changed words swapped), ``appended`` (the new question plus the carried
    slots' words) or ``joined`` (previous question + new one, for a pure "那谁负责呢").
    """

    text: str
    is_follow_up: bool
    carried: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, str] = field(default_factory=dict)
    previous: str = ""
    mode: str = "alone"


@dataclass(frozen=True)
class Mention:
    """A surface word of a slot value found in a question, at ``text[start:end]``."""

    slot: str
    value: str
    word: str
    start: int
    end: int


def _fold(text: str) -> str:
    """ASCII lower-case (AED = aed) without changing any position."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


class _WordScanner:
    """Leftmost-longest matching of a fixed word list (so 被困电梯 wins over 电梯)."""

    def __init__(self, words: Iterable[str]) -> None:
        by_first: dict[str, list[str]] = {}
        for word in {_fold(w) for w in words if w}:
            by_first.setdefault(word[0], []).append(word)
        self._by_first = {k: sorted(v, key=lambda w: (-len(w), w)) for k, v in by_first.items()}

    def spans(self, text: str) -> list[tuple[int, int]]:
        folded = _fold(text)
        out: list[tuple[int, int]] = []
        i = 0
        while i < len(folded):
            hit = next((w for w in self._by_first.get(folded[i], ()) if folded.startswith(w, i)), None)
            if hit:
                out.append((i, i + len(hit)))
                i += len(hit)
            else:
                i += 1
        return out

    def remove(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        """``text`` with every matched word (except those in ``keep``) replaced by a space, so
        neighbours never join."""
        out, last = [], 0
        for start, end in self.spans(text):
            if _fold(text[start:end]) in keep:
                continue
            out.append(text[last:start])
            out.append(" ")
            last = end
        out.append(text[last:])
        return "".join(out)


class SlotVocabulary:
    """Slots with their values' surface words, plus the marker and filler word lists."""

    def __init__(
        self,
        slots: Mapping[str, Mapping[str, Sequence[str]]],
        lead: Sequence[str] = (),
        trail: Sequence[str] = (),
        refer: Sequence[str] = (),
        generic_words: Sequence[str] = (),
        domain_words: Sequence[str] = (),
    ) -> None:
        self.slot_names = tuple(slots)
        self._value_of: dict[str, tuple[str, str]] = {}
        for slot, values in slots.items():
            for value, words in values.items():
                for word in dict.fromkeys([value, *words]):
                    key = _fold(word)
                    if key in self._value_of and self._value_of[key] != (slot, value):
                        other = "/".join(self._value_of[key])
                        raise FollowUpVocabularyError(
                            f"词语“{word}”同时属于 {other} 和 {slot}/{value}，每个词只能属于一个槽位取值"
                        )
                    self._value_of[key] = (slot, value)
        self._slots = _WordScanner(self._value_of)
        self.lead = tuple(sorted(dict.fromkeys(lead), key=lambda w: (-len(w), w)))
        self.trail = tuple(sorted(dict.fromkeys(trail), key=lambda w: (-len(w), w)))
        self.refer = tuple(refer)
        self._refer = _WordScanner(refer)
        # one scanner for both lists, so the longest word wins (多长时间 over 时)
        self._fillers = _WordScanner([*lead, *trail, *refer, *generic_words, *domain_words])
        self._domain = frozenset(_fold(w) for w in domain_words) - {
            _fold(w) for w in [*lead, *trail, *refer, *generic_words]
        }

    @classmethod
    def load(cls, path: Path) -> SlotVocabulary:
        """Read ``follow_up_slots.yaml``; a missing file gives an empty vocabulary (like the other
        corpus rule files), a malformed one a :class:`FollowUpVocabularyError` naming the field."""
        if not path.is_file():
            return cls({})
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise FollowUpVocabularyError(f"{path.name}: 不是有效的 YAML（{exc}）") from exc
        if not isinstance(data, dict):
            raise FollowUpVocabularyError(f"{path.name}: 顶层应为包含 slots、markers 等字段的映射")
        raw_slots = data.get("slots") or {}
        if not isinstance(raw_slots, dict):
            raise FollowUpVocabularyError(f"{path.name}: slots 应为“槽位: {{取值: [词语, …]}}”的映射")
        slots: dict[str, dict[str, list[str]]] = {}
        for slot, values in raw_slots.items():
            if not isinstance(values, dict):
                raise FollowUpVocabularyError(f"{path.name}: slots.{slot} 应为“取值: [词语, …]”的映射")
            slots[str(slot)] = {
                str(value): _words(words, f"{path.name}: slots.{slot}.{value}")
                for value, words in values.items()
            }
        markers = data.get("markers") or {}
        if not isinstance(markers, dict):
            raise FollowUpVocabularyError(f"{path.name}: markers 应为包含 lead、trail、refer 的映射")
        lists = {
            "lead": _words(markers.get("lead"), f"{path.name}: markers.lead"),
            "trail": _words(markers.get("trail"), f"{path.name}: markers.trail"),
            "refer": _words(markers.get("refer"), f"{path.name}: markers.refer"),
            "generic_words": _words(data.get("generic_words"), f"{path.name}: generic_words"),
            "domain_words": _words(data.get("domain_words"), f"{path.name}: domain_words"),
        }
        try:
            return cls(slots, **lists)
        except FollowUpVocabularyError as exc:
            raise FollowUpVocabularyError(f"{path.name}: {exc}") from None

    def value_of(self, word: str) -> tuple[str, str] | None:
        """(slot, value) of a surface word, or None."""
        return self._value_of.get(_fold(word))

    def mentions(self, text: str) -> list[Mention]:
        """Slot words in ``text``, left to right, never overlapping."""
        out = []
        for start, end in self._slots.spans(text):
            slot, value = self._value_of[_fold(text[start:end])]
            out.append(Mention(slot, value, text[start:end], start, end))
        return out

    def own_text(self, text: str) -> str:
        """What remains of ``text`` without slot words, markers, question words and particles."""
        return self._fillers.remove(self._slots.remove(text), keep=self._domain)

    def foreign_text(self, text: str) -> str:
        """What remains once the on-topic non-slot words (报告, 停课) go too: words from outside
        the domain (红烧肉)."""
        return self._fillers.remove(self._slots.remove(text))

    def refers_back(self, text: str) -> bool:
        return bool(self._refer.spans(text))


def _words(raw: Any, where: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(w, str | int) and str(w).strip() for w in raw):
        raise FollowUpVocabularyError(f"{where} 应为非空词语的列表")
    return [str(w).strip() for w in raw]


def _count(text: str) -> int:
    """Letters, digits and 汉字 (punctuation and spaces do not count)."""
    return sum(ch.isalnum() for ch in text)


def _slot_values(vocabulary: SlotVocabulary, mentions: Sequence[Mention]) -> dict[str, str]:
    """The first value of each slot, in the vocabulary's slot order (deterministic)."""
    first: dict[str, str] = {}
    for m in mentions:
        first.setdefault(m.slot, m.value)
    return {slot: first[slot] for slot in vocabulary.slot_names if slot in first}


class FollowUpResolver:
    """Decides whether a question continues the previous one and what to retrieve with."""

    def __init__(self, vocabulary: SlotVocabulary) -> None:
        self.vocabulary = vocabulary

    @classmethod
    def load(cls, path: Path = DEFAULT_SLOTS_FILE) -> FollowUpResolver:
        return cls(SlotVocabulary.load(path))

    def resolve(
        self,
        question: str,
        history: Sequence[str],
        stands_alone: Callable[[str], bool] | None = None,
    ) -> FollowUp:
        """Resolve ``question`` against ``history`` (earlier questions, oldest first).

        ``history`` should hold the *resolved* earlier questions (each one's ``FollowUp.text``),
        so that a chain 台风蓝色预警居委会做什么 → 那橙色呢 → 那红色呢 resolves each step against the
        resolved previous one; :func:`resolve_history` turns typed questions into that form.
        ``stands_alone(question)`` is asked only for an elliptical question with a topic of its
        own; True means the question retrieves well by itself and is answered alone.

        Elliptical means: the form (opens with 那/那如果/要是…, ends with 呢, or is very short)
        *and* something to resolve (a slot it fills, or a word pointing back); length alone is
        never enough. A very short question without markers that names a new hazard (台风怎么办)
        is a new question.
        """
        vocab = self.vocabulary
        alone = FollowUp(question, False)
        q = question.strip()
        window = [h.strip() for h in history[-HISTORY_WINDOW:] if h and h.strip()]
        if not q or not window:
            return alone
        mentions = vocab.mentions(q)
        marked = self._marked(q)
        if not (marked or _count(q) <= SHORT_CHARS) or not (mentions or vocab.refers_back(q)):
            return alone  # elliptical = the form (marked or very short) + something to resolve
        own = vocab.own_text(q)
        own_chars = _count(own)
        core = self._core(q)

        if not mentions:
            # Pure reference back ("那谁负责呢？"): the previous question gives the whole topic,
            # unless the question brings words from outside the domain (那红烧肉呢？).
            if _count(vocab.foreign_text(q)):
                return alone
            if own_chars >= TOPIC_CHARS and stands_alone is not None and stands_alone(question):
                return alone
            previous = window[-1]
            carried = _slot_values(vocab, vocab.mentions(previous))
            text = f"{previous} {core}" if core else previous
            return FollowUp(text, True, carried, {}, previous, "joined")

        anchor = next((h for h in reversed(window) if vocab.mentions(h)), None)
        if anchor is None:
            return alone
        anchor_mentions = vocab.mentions(anchor)
        anchor_values = _slot_values(vocab, anchor_mentions)
        new_values = _slot_values(vocab, mentions)
        replaced = {s: v for s, v in new_values.items() if anchor_values.get(s) != v}
        carried = {s: v for s, v in anchor_values.items() if s not in replaced}

        anchor_hazards = {m.value for m in anchor_mentions if m.slot == HAZARD_SLOT}
        new_hazard = any(m.slot == HAZARD_SLOT and m.value not in anchor_hazards for m in mentions)
        if new_hazard and not marked:
            return alone  # short but unmarked and on a new hazard (台风怎么办): a new question
        if (new_hazard or own_chars >= TOPIC_CHARS) and stands_alone is not None and stands_alone(question):
            return alone

        if own_chars == 0:
            substituted = self._substitute(anchor, anchor_mentions, mentions, replaced)
            if substituted is not None:
                return FollowUp(substituted, True, carried, replaced, anchor, "substituted")

        filled = {m.slot for m in mentions}
        carried_words = list(dict.fromkeys(m.word for m in anchor_mentions if m.slot not in filled))
        if not carried_words:
            return alone  # the question restates every slot: nothing to carry over
        text = " ".join([core or q, *carried_words])
        return FollowUp(text, True, carried, replaced, anchor, "appended")

    def resolve_history(self, history: Sequence[str]) -> list[str]:
        """Typed questions → resolved questions, each against the resolved ones before it.

        ``stands_alone`` is not replayed (it needs retrieval), so a turn that was answered alone
        because it retrieved well may be re-read here as a follow-up; callers that keep each
        turn's ``FollowUp.text`` should pass those instead.
        """
        resolved: list[str] = []
        for item in history:
            resolved.append(self.resolve(item, resolved).text)
        return resolved

    # --- rules ---------------------------------------------------------------------------
    def _marked(self, q: str) -> bool:
        """Opens with an ellipsis marker (那, 那如果, 要是…) or ends with one (呢)."""
        vocab = self.vocabulary
        head = q.lstrip(_PUNCTUATION)
        tail = q.rstrip(_PUNCTUATION)
        return any(head.startswith(m) for m in vocab.lead) or any(tail.endswith(m) for m in vocab.trail)

    def _core(self, q: str) -> str:
        """The question without its opening marker, pointer word and closing 呢 (and punctuation):
        '那如果被困在电梯里呢？' → '被困在电梯里'. Those words carry nothing for retrieval."""
        vocab = self.vocabulary
        text = q.strip(_PUNCTUATION)
        for marker in vocab.trail:
            if text.endswith(marker):
                text = text[: -len(marker)].rstrip(_PUNCTUATION)
                break
        for marker in vocab.lead:
            if text.startswith(marker):
                text = text[len(marker) :].lstrip(_PUNCTUATION)
                break
        for word in sorted(vocab.refer, key=lambda w: (-len(w), w)):
            if len(word) > 1 and text.startswith(word):
                text = text[len(word) :].lstrip(_PUNCTUATION)
                break
        return text

    @staticmethod
    def _substitute(
        anchor: str,
        anchor_mentions: Sequence[Mention],
        mentions: Sequence[Mention],
        replaced: Mapping[str, str],
    ) -> str | None:
        """The previous question with each replaced slot's words swapped for the new question's
        word, or None when a replaced slot is absent from it or holds two values (台风暴雨)."""
        swaps: list[tuple[int, int, str]] = []
        for slot in replaced:
            spans = [m for m in anchor_mentions if m.slot == slot]
            if not spans or len({m.value for m in spans}) != 1:
                return None
            word = next(m.word for m in mentions if m.slot == slot)
            swaps.extend((m.start, m.end, word) for m in spans)
        text = anchor
        for start, end, word in sorted(swaps, reverse=True):
            text = text[:start] + word + text[end:]
        return text


@dataclass(frozen=True)
class StandAloneRule:
    """Whether a question retrieves well by itself, from :class:`Retrieval` signals.

    Asked only for an elliptical question with its own topic (那如果被困在电梯里呢？): it is answered
    alone when the best passage is close in meaning (``top_dense``), the lead item is the
    lexically best match or near it (``top_bm25`` against ``max_bm25``, so a card or article
    really about the question leads) and at least half its words are found (``coverage``, which
    also counts 那如果 and the like, hence the low bar). Read on the evaluation index (shared
    corpus + pack, USE embedder): own-topic follow-ups that retrieve their card alone score
    dense 0.46–0.66; bare ones (那暴雨呢, 那高温天呢, 那踩踏呢) 0.29–0.39. Other embedders score
    on another scale: the factory passes the profile's bar (``services/ranking/dense_scale.py``).
    """

    min_dense: float = 0.45
    min_lead_share: float = 0.6
    min_coverage: float = 0.5

    def __call__(self, signals: Mapping[str, float]) -> bool:
        if signals.get("direct"):
            return True  # an article named by number is found by itself
        best = signals.get("max_bm25", 0.0)
        return (
            best > 0
            and signals.get("top_bm25", 0.0) >= self.min_lead_share * best
            and signals.get("top_dense", 0.0) >= self.min_dense
            and signals.get("coverage", 0.0) >= self.min_coverage
        )


@lru_cache(maxsize=1)
def default_resolver() -> FollowUpResolver:
    """The resolver of the bundled vocabulary, read on first use (never at import)."""
    return FollowUpResolver.load(DEFAULT_SLOTS_FILE)


def resolve(
    question: str,
    history: Sequence[str],
    stands_alone: Callable[[str], bool] | None = None,
) -> FollowUp:
    """:meth:`FollowUpResolver.resolve` with the bundled vocabulary. Pass *resolved* history."""
    return default_resolver().resolve(question, history, stands_alone)


def resolve_history(history: Sequence[str]) -> list[str]:
    """:meth:`FollowUpResolver.resolve_history` with the bundled vocabulary."""
    return default_resolver().resolve_history(history)
