"""When the sources cannot answer: the evidence thresholds, the learned model, the intent gate.

Each is a :class:`Refusal`; the factory stacks them (thresholds or the learned model by library
size, then the intent model's out-of-scope gate). The answer service only asks ``refuse``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from assistant.services.query_analysis import ASK_PREFIX


class Refusal(Protocol):
    """Decides from retrieval signals that the sources cannot answer."""

    def refuse(self, signals: Mapping[str, float]) -> bool: ...


@dataclass(frozen=True)
class RefusalPolicy:
    """Refuse when the evidence is weak. Thresholds are calibrated on the dev split.

    ``coverage`` is the share of the question's content words found in the top passages;
    ``top_dense`` the best cosine similarity; ``known_ratio`` the share of question words the
    index knows at all. A direct article lookup is never refused. Defaults come from the dev
    split of ``eval/devset.jsonl`` (see ``eval/README.md``).
    """

    min_coverage: float = 0.55
    min_dense: float = 0.30
    min_known: float = 0.45
    known_dense: float = 0.55

    def refuse(self, signals: Mapping[str, float]) -> bool:
        if signals.get("direct"):
            return False
        if signals.get("n_tokens", 0) == 0:
            return True
        dense = signals.get("top_dense", 0.0)
        if signals.get("known_ratio", 0.0) < self.min_known and dense < self.known_dense:
            return True
        return signals.get("coverage", 0.0) < self.min_coverage and dense < self.min_dense


@dataclass(frozen=True)
class ScaledRefusal:
    """The learned refusal model on a library like the one it was trained on, thresholds otherwise.

    The learned model reads BM25 per question token and the share of question words the index
    knows. Both move with the size of the library: on a small one (a user's first documents, a
    test index of a few files) few words are known and BM25 scores are on another scale, and
    the model refused plain answerable questions. So below ``min_chunks`` indexed chunks the
    hand-set thresholds decide, which do not depend on the library's size.
    """

    learned: Refusal
    fallback: Refusal
    min_chunks: int

    def refuse(self, signals: Mapping[str, float]) -> bool:
        chosen = self.learned if signals.get("index_chunks", 0.0) >= self.min_chunks else self.fallback
        return chosen.refuse(signals)


def also_refuse(
    inner: Refusal, signals: Mapping[str, float], min_chunks: int, rule: Callable[[], bool]
) -> bool:
    """How a rule stacked on ``inner`` decides: refuse what ``inner`` refuses; otherwise, unless
    the question is :func:`exempt`, refuse when ``rule()`` says so (evaluated only then)."""
    return inner.refuse(signals) or (not exempt(signals, min_chunks) and rule())


def exempt(signals: Mapping[str, float], min_chunks: int) -> bool:
    """Whether the rules learned on the big library stay silent: a direct article lookup, or a
    library smaller than ``min_chunks`` (a user's own documents, where what is in scope is not
    what the models learned)."""
    return bool(signals.get("direct")) or signals.get("index_chunks", 0.0) < min_chunks


@dataclass(frozen=True)
class AskedForWhatNoDocumentHolds:
    """Also refuse, on a large library, a question that asks for what no document holds (live
    status, counts of real events, a named place or contact, an opinion: an ``ask_<kind>``
    signal) when the learned model finds it unanswerable too.

    Why both: near-domain traps (地铁2号线停运的那几站恢复了吗, 全市一共接到多少起积水报警) share
    words with the corpus, so the evidence thresholds pass them; the learned model catches them
    but, used everywhere, it also refuses residents' plainly worded answerable questions (on the
    team's dev split it doubled the answerable refused). A cue alone is not enough either (我现在
    被困在电梯里). Requiring the two confines the learned model to the questions it was shown to
    be right about.
    """

    inner: Refusal
    learned: Refusal
    min_chunks: int

    def refuse(self, signals: Mapping[str, float]) -> bool:
        def asks_and_unanswerable() -> bool:
            asks = any(value for name, value in signals.items() if name.startswith(ASK_PREFIX))
            return asks and self.learned.refuse(signals)

        return also_refuse(self.inner, signals, self.min_chunks, asks_and_unanswerable)


@dataclass(frozen=True)
class OutOfScopeGate:
    """Also refuse when the intent model finds the question out of scope, on a large library.

    Why: the evidence thresholds let near-domain traps through (a number no document gives,
    another city's rule, a writing task dressed as a question) because such questions share
    enough words with the corpus. The intent model reads the question's wording instead; its
    out-of-scope class was learned from questions several writers wrote blind. ``threshold``
    is chosen when the intent model is trained (:func:`~assistant.services.ranking.intent.
    choose_out_of_scope_threshold`). Direct article lookups are never refused; on a library
    smaller than ``min_chunks`` (a user's own documents) the gate is off, since what counts as
    in scope there is not what the model learned.
    """

    inner: Refusal
    threshold: float
    min_chunks: int

    def refuse(self, signals: Mapping[str, float]) -> bool:
        return also_refuse(
            self.inner, signals, self.min_chunks, lambda: signals.get("p_out_of_scope", 0.0) >= self.threshold
        )
