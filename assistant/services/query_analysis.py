"""Understanding a question before retrieval: places, named regulations, articles, question cues.

Pure functions over strings (no models), so they are cheap, deterministic and easy to test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.components.chunking.numerals import parse_numeral

_ARTICLE_REF = re.compile(r"第?\s*([零〇一二两三四五六七八九十百千\d]{1,6})\s*条")
_PLACE_PREFIXES = ("中华人民共和国", "上海市", "北京市")

#: Place words in questions → jurisdiction values of the metadata.
_PLACES: tuple[tuple[str, str], ...] = (
    ("北京", "北京"),
    ("上海", "上海"),
    ("国家层面", "国家"),
    ("国家", "国家"),
    ("全国", "国家"),
    ("国务院", "国家"),
)


def article_numbers(question: str) -> list[int]:
    """Article numbers a question names (第四十一条, 41条)."""
    out = []
    for match in _ARTICLE_REF.finditer(question):
        value = parse_numeral(match.group(1))
        if value:
            out.append(value)
    return out


def place_in_question(question: str) -> str | None:
    """The jurisdiction a question names, or None (then the default applies)."""
    for word, jurisdiction in _PLACES:
        if word in question:
            return jurisdiction
    return None


def title_keys(title: str) -> set[str]:
    """Ways a question may name a document: '上海市防汛条例' → {上海市防汛条例, 防汛条例}."""
    clean = title.strip("《》 ")
    keys = {clean}
    for prefix in _PLACE_PREFIXES:
        if clean.startswith(prefix):
            keys.add(clean[len(prefix) :])
    for key in list(keys):
        if "管理" in key:
            keys.add(key.replace("管理", ""))
        inner = re.sub(r"[《》〈〉]", "", key)
        keys.add(inner)
    return {k for k in keys if len(k) >= 3}


@dataclass(frozen=True)
class NamedDocument:
    doc_id: str
    title: str
    jurisdiction: str
    exact: bool  # named in 《》 with its full title


def named_documents(
    question: str, documents: Iterable[tuple[str, str, str]], default_jurisdiction: str
) -> list[NamedDocument]:
    """Documents a question names by title, best first.

    ``documents`` are (doc_id, title, jurisdiction). A full title in 《》 wins; otherwise the
    longest matching key, then the question's place (or the default jurisdiction), then 国家.
    """
    bracketed = set(re.findall(r"《([^》]+)》", question))
    place = place_in_question(question) or default_jurisdiction
    scored: list[tuple[tuple[int, int, int], NamedDocument]] = []
    for doc_id, title, jurisdiction in documents:
        clean = title.strip("《》 ")
        exact = clean in bracketed or re.sub(r"[〈〉《》]", "", clean) in {
            re.sub(r"[〈〉《》]", "", b) for b in bracketed
        }
        matched = [k for k in title_keys(clean) if k in question]
        matched += [m for m in _abbreviations(question) if _is_abbreviation(m, clean)]
        if not exact and not matched:
            continue
        longest = max((len(k) for k in matched), default=len(clean))
        place_rank = 2 if jurisdiction == place else (1 if jurisdiction == "国家" else 0)
        scored.append(((int(exact), longest, place_rank), NamedDocument(doc_id, clean, jurisdiction, exact)))
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [doc for _, doc in scored]


_TITLE_MENTION = re.compile(r"[\u4e00-\u9fff]{2,12}?(?:条例|办法|规定|法)")


def _abbreviations(question: str) -> list[str]:
    """Title-like mentions in a question: '急救条例42条' → ['急救条例']."""
    out = []
    for match in _TITLE_MENTION.finditer(question):
        mention = match.group(0)
        for prefix in ("上海市", "上海", "北京市", "北京", "国家", "按", "根据", "依照"):
            mention = mention.removeprefix(prefix)
        if len(mention) >= 3:
            out.append(mention)
    return out


def _is_abbreviation(mention: str, title: str) -> bool:
    """'急救条例' abbreviates '上海市急救医疗服务条例': same first character after the place,
    the same ending, and every character in order."""
    core = title
    for prefix in _PLACE_PREFIXES:
        core = core.removeprefix(prefix)
    core = re.sub(r"[《》〈〉]", "", core)
    if not core or mention[0] != core[0] or mention[-1] != core[-1]:
        return False
    it = iter(core)
    return all(ch in it for ch in mention)


@dataclass(frozen=True)
class QuestionCue:
    """A kind of question (how long, may I, who is responsible…) and the words its answer carries."""

    name: str
    question: tuple[str, ...]
    answer: tuple[str, ...]

    def asked_by(self, question: str) -> bool:
        return any(w in question for w in self.question)

    @staticmethod
    def load(path: Path) -> list[QuestionCue]:
        if not path.is_file():
            return []
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return [QuestionCue(str(r["name"]), tuple(r["question"]), tuple(r["answer"])) for r in rows]


#: Prefix of the signal names :class:`AskKinds` gives (``ask_<kind>``), read by the refusal model.
ASK_PREFIX = "ask_"


@dataclass(frozen=True)
class AskKinds:
    """What a question asks for that regulations, guides and the research paper never hold: the
    live state of things (现在…恢复了吗), counts of real events (去年一共多少起), a named shop,
    address or contact (哪家医院、地址), an opinion (你怎么看).

    Why: such questions share words with the corpus (停运、积水、消防站), so evidence strength
    alone lets them through, yet no passage can answer them. Each kind becomes one 0/1 signal
    (``ask_<kind>``) of the learned refusal model, which weighs it against the evidence: an
    answerable question may carry a cue (我现在被困在电梯里) and still be answered. The words
    are data (``corpus/ask_kinds.yaml``), drawn from the blind set's train-split questions.
    """

    kinds: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @staticmethod
    def load(path: Path) -> AskKinds:
        if not path.is_file():
            return AskKinds()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path.name}: 顶层应为“类别: [词语, …]”的映射")
        return AskKinds(tuple((str(k), tuple(str(w) for w in v or [])) for k, v in data.items()))

    def signals(self, question: str) -> dict[str, float]:
        """``{"ask_<kind>": 1.0 or 0.0}`` for every kind."""
        return {f"{ASK_PREFIX}{name}": float(any(w in question for w in words)) for name, words in self.kinds}
