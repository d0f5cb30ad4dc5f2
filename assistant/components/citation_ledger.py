"""The reviewed citation ledger: which (card, claim, article) pairs a person checked, and against what.

An article citation is a promise that the article says what the card claims. Existence is
checked elsewhere (``knowledge_pack``); this module records that a reviewer read the claim
next to the article and found it supported. Each ledger entry pins the claim text and the
article text by hash, so editing either one sends the pair back for review instead of
silently keeping a verdict that was given to different words.

Pure functions over text and YAML; the regulation texts are read from a folder the caller
passes (``../shared/corpus/regulations`` for developers).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.components.knowledge_pack import extract_citations, regulation_key

#: The only verdict an entry may carry; anything else is a pair still to be fixed.
SUPPORTED = "supported"
#: Length of the hex digests kept in the ledger (first 16 of sha256: short, collision-safe here).
DIGEST_CHARS = 16
#: Longest claim excerpt stored for humans (our own text, never the article's).
MAX_EXCERPT_CHARS = 30
#: Upper bound on a ledger file, so a corrupt or runaway file fails loudly instead of hanging.
MAX_LEDGER_BYTES = 2_000_000

_BASIS_RE = re.compile(r"（依据：(?P<basis>[^（）]*(?:（[^（）]*）[^（）]*)*)）")
_LIST_MARKER_RE = re.compile(r"^\s*(?:\d+\.|[-*])\s+")
_NORMALISE_RE = re.compile(r"[\s*`_>#]+")
_TRIM_PUNCT = "。；，、：！？ "
_ARTICLE_LINE_RE = re.compile(r"(?m)^\s*(第[零〇一二三四五六七八九十百千]+条)(?=[\s　]|$)")
_HEADING_LINE_RE = re.compile(r"(?m)^\s*(?:#+\s*)?第[零〇一二三四五六七八九十百千]+[章节编]")


class LedgerError(ValueError):
    """The ledger file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class CitedPair:
    """One claim of one card together with one article it cites."""

    card: str
    claim: str
    article: str  # 《title》第X条, title as the card wrote it

    @property
    def claim_sha(self) -> str:
        return digest(self.claim)

    @property
    def excerpt(self) -> str:
        return self.claim[:MAX_EXCERPT_CHARS]


@dataclass(frozen=True)
class Pending:
    """A pair that needs (re-)review, and why."""

    pair: CitedPair
    reason: str


def normalise(text: str) -> str:
    """Claim or article text reduced so reflowing lines or Markdown emphasis is not a change."""
    return _NORMALISE_RE.sub("", text).strip(_TRIM_PUNCT)


def digest(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def _pairs(card: str, claim: str, basis: str) -> list[CitedPair]:
    claim = normalise(claim)
    seen: list[CitedPair] = []
    for title, article in extract_citations(basis):
        pair = CitedPair(card, claim, f"《{title}》{article}")
        if pair not in seen:
            seen.append(pair)
    return seen


def pairs_in_markdown(text: str, card: str) -> list[CitedPair]:
    """Every (claim, article) of a Markdown card; the claim is the text before its （依据：…）.

    A line may hold several claims, each closed by its own basis; the front matter's
    ``sources`` list is a summary of the body, not a claim, and is skipped.
    """
    body = text
    if body.startswith("---"):
        end = body.find("\n---", 3)
        body = body[end + 4 :] if end != -1 else body
    pairs: list[CitedPair] = []
    for line in body.splitlines():
        start = 0
        for match in _BASIS_RE.finditer(line):
            claim = _LIST_MARKER_RE.sub("", line[start : match.start()])
            pairs.extend(p for p in _pairs(card, claim, match.group("basis")) if p not in pairs)
            start = match.end()
    return pairs


def pairs_in_checklist(text: str, card: str) -> list[CitedPair]:
    """Every (item text, article) of a checklist YAML; ``basis`` backs the item's question."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LedgerError(f"{card}: YAML 无法解析：{exc}") from exc
    pairs: list[CitedPair] = []
    for dimension in (data or {}).get("dimensions", []) or []:
        for item in dimension.get("items", []) or []:
            basis, claim = item.get("basis"), item.get("text")
            if isinstance(basis, str) and isinstance(claim, str):
                pairs.extend(p for p in _pairs(card, claim, basis) if p not in pairs)
    return pairs


def pairs_in_files(root: Path, paths: Iterable[Path]) -> list[CitedPair]:
    """Pairs of every given card (``.md``) or checklist (``.yaml``), card names relative to ``root``."""
    pairs: list[CitedPair] = []
    for path in sorted(paths):
        name, text = str(path.relative_to(root)), path.read_text(encoding="utf-8")
        found = (
            pairs_in_checklist(text, name)
            if path.suffix in {".yaml", ".yml"}
            else pairs_in_markdown(text, name)
        )
        pairs.extend(found)
    return pairs


def article_texts(regulations_dir: Path) -> dict[str, str]:
    """``《key》第X条`` → the article's normalised text, for every regulation in the folder."""
    texts: dict[str, str] = {}
    for path in sorted(regulations_dir.glob("*.md")):
        source = path.read_text(encoding="utf-8")
        body = source.split("<!-- INFO END -->", 1)[-1]
        key = regulation_key(path.name)
        starts = list(_ARTICLE_LINE_RE.finditer(body))
        for i, match in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
            chunk = body[match.start() : end]
            heading = _HEADING_LINE_RE.search(chunk, len(match.group(0)))
            texts.setdefault(
                f"《{key}》{match.group(1)}", normalise(chunk[: heading.start()] if heading else chunk)
            )
    return texts


def article_key(article: str) -> str:
    """The lookup key of a citation written ``《title》第X条`` (title normalised like the files)."""
    match = re.fullmatch(r"《(.+)》(第.+条)", article)
    if match is None:
        raise LedgerError(f"不是“《法规名》第X条”形式的引用：{article}")
    return f"《{regulation_key(match.group(1))}》{match.group(2)}"


def load_ledger(path: Path) -> list[dict[str, Any]]:
    """The ledger's entries; a missing file is an empty ledger, a malformed one an error."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    if len(raw) > MAX_LEDGER_BYTES:
        raise LedgerError(f"{path.name}: 文件超过 {MAX_LEDGER_BYTES} 字节")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LedgerError(f"{path.name}: 无法解析：{exc}") from exc
    entries = (data or {}).get("entries", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LedgerError(f"{path.name}: 顶层应为含 entries 列表的映射")
    required = ("card", "article", "claim_sha", "article_sha", "verdict", "reason")
    for i, entry in enumerate(entries):
        missing = [k for k in required if not isinstance(entry, dict) or not str(entry.get(k) or "").strip()]
        if missing:
            raise LedgerError(f"{path.name}: 第 {i + 1} 条缺少字段：{'、'.join(missing)}")
    return entries


def pending(pairs: list[CitedPair], entries: list[dict[str, Any]], articles: dict[str, str]) -> list[Pending]:
    """Pairs without a valid, current, ``supported`` entry, each with the reason it needs review."""
    by_key = {(e["card"], e["article"], e["claim_sha"]): e for e in entries}
    live = {(p.card, p.article, p.claim_sha) for p in pairs}
    # An entry whose claim is no longer cited is what a changed claim leaves behind.
    stale = {(card, article) for card, article, sha in by_key if (card, article, sha) not in live}
    result: list[Pending] = []
    for pair in pairs:
        text = articles.get(article_key(pair.article))
        entry = by_key.get((pair.card, pair.article, pair.claim_sha))
        if text is None:
            result.append(Pending(pair, "被引条文在法规库中找不到"))
        elif entry is None:
            changed = (pair.card, pair.article) in stale
            result.append(Pending(pair, "主张文字已改动，需要重新核对" if changed else "尚无核对记录"))
        elif entry["article_sha"] != digest(text):
            result.append(Pending(pair, "条文文本已变化，需要重新核对"))
        elif entry["verdict"] != SUPPORTED:
            result.append(Pending(pair, f"核对结论为“{entry['verdict']}”，不是 {SUPPORTED}"))
    return result


def make_entry(pair: CitedPair, articles: dict[str, str], reason: str) -> dict[str, str]:
    """A ``supported`` entry for a pair a reviewer read against its article."""
    text = articles.get(article_key(pair.article))
    if text is None:
        raise LedgerError(f"{pair.card}: 找不到被引条文 {pair.article}")
    if not reason.strip():
        raise LedgerError(f"{pair.card}: {pair.article} 的核对理由为空")
    return {
        "card": pair.card,
        "claim": pair.excerpt,
        "article": pair.article,
        "claim_sha": pair.claim_sha,
        "article_sha": digest(text),
        "verdict": SUPPORTED,
        "reason": reason.strip(),
    }


def write_ledger(path: Path, entries: list[dict[str, Any]], keep: list[CitedPair] | None = None) -> None:
    """Write entries sorted by card then article; with ``keep``, drop entries of pairs no longer cited."""
    if keep is not None:
        live = {(p.card, p.article, p.claim_sha) for p in keep}
        entries = [e for e in entries if (e["card"], e["article"], e["claim_sha"]) in live]
    unique = {(e["card"], e["article"], e["claim_sha"]): e for e in entries}
    ordered = sorted(unique.values(), key=lambda e: (e["card"], e["article"], e["claim_sha"]))
    header = (
        "# Reviewed citations of the pack: one entry per (card, claim, cited article).\n"
        "# Written by `python -m assistant ledger --accept`; a changed claim or article needs re-review.\n"
    )
    body = yaml.safe_dump({"entries": ordered}, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(header + body, encoding="utf-8")


#: The pack folders whose citations the ledger must cover (resident-facing advice).
LEDGER_SCOPE: tuple[str, ...] = ("guides/*.md", "checklists/*.yaml")
#: The ledger's file name inside the pack.
LEDGER_FILE = "citations.lock.yaml"


def scope_pairs(corpus_dir: Path) -> list[CitedPair]:
    """Every cited pair of the files the ledger covers, card names relative to ``corpus_dir``."""
    return pairs_in_files(corpus_dir, [p for pattern in LEDGER_SCOPE for p in corpus_dir.glob(pattern)])


def accept(
    ledger: Path, pairs: list[CitedPair], articles: dict[str, str], reviews: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """Record reviewed pairs as ``supported``; each review names card, article, claim_sha, reason.

    A review that matches no currently cited pair is an error (a typo would otherwise be a
    silent no-op). Entries of pairs no longer cited are dropped, so the ledger stays exact.
    """
    by_key = {(p.card, p.article, p.claim_sha): p for p in pairs}
    entries = load_ledger(ledger)
    for i, review in enumerate(reviews):
        key = (str(review.get("card", "")), str(review.get("article", "")), str(review.get("claim_sha", "")))
        pair = by_key.get(key)
        if pair is None:
            raise LedgerError(f"第 {i + 1} 条核对记录不对应任何现有引用：{'｜'.join(key)}")
        entries.append(make_entry(pair, articles, str(review.get("reason", ""))))
    write_ledger(ledger, entries, keep=pairs)
    return load_ledger(ledger)
