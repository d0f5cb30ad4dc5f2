"""Reading the bundled knowledge pack: card front matter, citations and the vocabulary.

The pack (``corpus/``) is hand-written Markdown cards with YAML front matter. Its value
rests on two promises: every card is well-formed (so the index can filter by audience and
hazard) and every citation names something that really exists. This module holds the small,
pure functions both the pack's tests and the app use to keep those promises; it reads text
and YAML only, never the network or a model.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import PROJECT_ROOT

#: Keys every card's front matter must carry (see corpus/vocabulary.yaml for allowed values).
REQUIRED_KEYS: tuple[str, ...] = ("title", "doc_type", "audience", "hazards", "sources", "updated")

#: The seed paper's title exactly as cards cite it.
SEED_PAPER_TITLE = "上海全面建设安全韧性城市：经验、问题与策略"

_CN_NUM = "零〇一二三四五六七八九十百千"
_ARTICLE = f"第[{_CN_NUM}]+条"
# 《title》 followed by one article, or a run like 第五条、第六十条 (paragraph/item markers allowed).
_CITATION_RE = re.compile(
    rf"《(?P<title>[^《》\n]+)》(?P<run>{_ARTICLE}(?:第[{_CN_NUM}]+[款项])*"
    rf"(?:[、和及与]{_ARTICLE}(?:第[{_CN_NUM}]+[款项])*)*)"
)
_ARTICLE_RE = re.compile(_ARTICLE)
# Seed-paper sections: 二、 optionally followed by （三） and then 2. / 2 (ASCII or full-width brackets).
_SEED_RE = re.compile(
    rf"《{re.escape(SEED_PAPER_TITLE)}》\s*(?P<part>[一二三四五六七八九十]+)、"
    r"(?:[（(](?P<sub>[一二三四五六七八九十]+)[）)](?P<item>[0-9]+)?)?"
)
_DATE_SUFFIX_RE = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


class CardFormatError(ValueError):
    """A card is malformed; the message names the file and the field (shown to users as is)."""


@dataclass(frozen=True)
class CardMeta:
    """The validated front matter of one card."""

    title: str
    doc_type: str
    audience: tuple[str, ...]
    hazards: tuple[str, ...]
    sources: tuple[str, ...]
    updated: dt.date


@dataclass(frozen=True)
class Card:
    """A parsed card: its front matter and the Markdown body that follows it."""

    meta: CardMeta
    body: str


@dataclass(frozen=True)
class Vocabulary:
    """The controlled vocabulary of front matter values, key → label shown in the UI."""

    doc_types: dict[str, str]
    audiences: dict[str, str]
    hazards: dict[str, str]


def load_vocabulary(corpus_dir: Path | None = None) -> Vocabulary:
    """Read ``vocabulary.yaml`` from the pack (default: the bundled ``corpus/``)."""
    path = (corpus_dir if corpus_dir is not None else PROJECT_ROOT / "corpus") / "vocabulary.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CardFormatError(f"{path.name}: 无法读取词表：{exc}") from exc
    if not isinstance(data, dict):
        raise CardFormatError(f"{path.name}: 词表顶层应为映射")
    sections: dict[str, dict[str, str]] = {}
    for key in ("doc_types", "audiences", "hazards"):
        value = data.get(key)
        if not isinstance(value, dict) or not value:
            raise CardFormatError(f"{path.name}: 缺少或为空的词表项“{key}”")
        sections[key] = {str(k): str(v) for k, v in value.items()}
    return Vocabulary(sections["doc_types"], sections["audiences"], sections["hazards"])


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict[str, Any], str]:
    """Split a card into its raw front matter mapping and its body."""
    match = _FRONT_MATTER_RE.match(text.lstrip("\ufeff"))
    if match is None:
        raise CardFormatError(f"{source}: 缺少以“---”开头和结尾的 YAML 头部")
    try:
        data = yaml.safe_load(match.group("yaml"))
    except yaml.YAMLError as exc:
        raise CardFormatError(f"{source}: YAML 头部无法解析：{exc}") from exc
    if not isinstance(data, dict):
        raise CardFormatError(f"{source}: YAML 头部应为键值映射")
    return data, text.lstrip("\ufeff")[match.end() :]


def _string_list(data: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = data[key]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise CardFormatError(f"{source}: 字段“{key}”应为非空的文字列表")
    return tuple(i.strip() for i in items)


def parse_card(text: str, source: str = "<text>", vocabulary: Vocabulary | None = None) -> Card:
    """Parse and validate a card; with ``vocabulary`` its keys are checked against it too."""
    data, body = split_front_matter(text, source)
    missing = [key for key in REQUIRED_KEYS if key not in data or data[key] in (None, "", [])]
    if missing:
        raise CardFormatError(f"{source}: 头部缺少字段：{'、'.join(missing)}")
    title, doc_type = data["title"], data["doc_type"]
    if not isinstance(title, str) or not title.strip():
        raise CardFormatError(f"{source}: 字段“title”应为非空文字")
    if not isinstance(doc_type, str):
        raise CardFormatError(f"{source}: 字段“doc_type”应为单个取值")
    updated = data["updated"]
    if isinstance(updated, str):
        try:
            updated = dt.date.fromisoformat(updated)
        except ValueError as exc:
            raise CardFormatError(f"{source}: 字段“updated”应为 YYYY-MM-DD 日期") from exc
    if not isinstance(updated, dt.date):
        raise CardFormatError(f"{source}: 字段“updated”应为 YYYY-MM-DD 日期")
    meta = CardMeta(
        title=title.strip(),
        doc_type=doc_type,
        audience=_string_list(data, "audience", source),
        hazards=_string_list(data, "hazards", source),
        sources=_string_list(data, "sources", source),
        updated=updated,
    )
    if vocabulary is not None:
        _check_vocabulary(meta, vocabulary, source)
    return Card(meta, body)


def _check_vocabulary(meta: CardMeta, vocabulary: Vocabulary, source: str) -> None:
    if meta.doc_type not in vocabulary.doc_types:
        raise CardFormatError(f"{source}: doc_type“{meta.doc_type}”不在词表中")
    for field_name, values, allowed in (
        ("audience", meta.audience, vocabulary.audiences),
        ("hazards", meta.hazards, vocabulary.hazards),
    ):
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise CardFormatError(f"{source}: {field_name} 含词表外的取值：{'、'.join(unknown)}")


def extract_citations(text: str) -> list[tuple[str, str]]:
    """Every ``《title》第X条`` in ``text`` as (title, article), in order of appearance.

    A run such as ``《消防法》第五条、第四十四条`` yields one pair per article; paragraph and
    item markers (第二款) are dropped because existence is checked per article.
    """
    pairs: list[tuple[str, str]] = []
    for match in _CITATION_RE.finditer(text):
        title = match.group("title").strip()
        pairs.extend((title, article) for article in _ARTICLE_RE.findall(match.group("run")))
    return pairs


def cites(text: str, title: str, article: str) -> bool:
    """Whether ``text`` cites 《``title``》``article`` (titles compared by :func:`title_key`)."""
    want = (title_key(title), article)
    return any((title_key(t), a) == want for t, a in extract_citations(text))


def extract_seed_citations(text: str) -> list[tuple[str, str | None, str | None]]:
    """Every seed-paper citation as (part, subsection, item), e.g. ("三", "六", None)."""
    return [(m.group("part"), m.group("sub"), m.group("item")) for m in _SEED_RE.finditer(text)]


def title_key(name: str) -> str:
    """A title or file name reduced for matching: no ``.md``/``.txt``, ``(YYYY-MM-DD)`` suffix,
    brackets, whitespace or 中华人民共和国 — so 《上海市实施〈突发事件应对法〉办法》 and the file
    上海市实施《中华人民共和国突发事件应对法》办法(2018-05-24).md compare equal."""
    key = re.sub(r"\.(md|txt)$", "", name.strip())
    key = _DATE_SUFFIX_RE.sub("", key)
    return re.sub(r"[《》〈〉\s]|中华人民共和国", "", key)


def regulation_key(name: str) -> str:
    """Normalise a regulation's title or file name so citations and files compare equal.

    Drops ``.md``, a ``(YYYY-MM-DD)`` suffix and the 中华人民共和国 prefix, and writes nested
    titles with 《》 whether the citation used 〈〉 or not.
    """
    key = name.strip()
    key = key.removesuffix(".md")
    key = _DATE_SUFFIX_RE.sub("", key).strip()
    key = key.removeprefix("中华人民共和国")
    return key.replace("〈", "《").replace("〉", "》")


def regulation_articles(text: str) -> set[str]:
    """The article numbers that open a line of a regulation's body (``第十条 …``)."""
    return {m.group(0) for m in re.finditer(rf"(?m)^\s*({_ARTICLE})(?=[\s　]|$)", text)}


def index_regulations(regulations_dir: Path) -> dict[str, set[str]]:
    """Map each regulation's normalised title to the articles its file contains."""
    return {
        regulation_key(path.name): {a.strip() for a in regulation_articles(path.read_text(encoding="utf-8"))}
        for path in sorted(regulations_dir.glob("*.md"))
    }


def index_seed_sections(text: str) -> set[tuple[str, str | None, str | None]]:
    """The section numbers present in the seed paper, shaped like :func:`extract_seed_citations`.

    Parts are lines opening with ``三、``, subsections lines opening with ``(六)``/``（六）``
    and items lines opening with ``2.``; each is recorded under the part and subsection it
    falls in, so ``三、（九）`` only exists if part three really has a ninth subsection.
    """
    found: set[tuple[str, str | None, str | None]] = set()
    part: str | None = None
    sub: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if m := re.match(r"([一二三四五六七八九十]+)、", line):
            part, sub = m.group(1), None
            found.add((part, None, None))
        elif (m := re.match(r"[（(]([一二三四五六七八九十]+)[）)]", line)) and part is not None:
            sub = m.group(1)
            found.add((part, sub, None))
        elif (
            (m := re.match(r"([0-9]{1,2})\s*[.．、](?![0-9])", line)) and part is not None and sub is not None
        ):
            found.add((part, sub, m.group(1)))
    return found
