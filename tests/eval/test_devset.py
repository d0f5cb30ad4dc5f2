"""Validation of the retrieval evaluation set ``eval/devset.jsonl``.

The set is the yardstick for retrieval quality, so a wrong gold label silently turns a good
retriever into a "bad" one. These tests keep every label checkable: each gold points at an
article or section that really exists in ``../shared/corpus``, each phrase really occurs in it,
and no question is made easy by copying the passage's own wording.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import PROJECT_ROOT

DEVSET = PROJECT_ROOT / "eval" / "devset.jsonl"
SEED_TITLE = "上海全面建设安全韧性城市：经验、问题与策略"
AUDIENCES = {"staff", "resident", "department"}
SPLITS = {"dev", "test"}
REQUIRED_KEYS = {"id", "split", "audience", "q", "answerable", "gold", "phrase"}
COPY_RUN = 10  # a question sharing this many consecutive characters with its passage is too easy

ARTICLE_LINE = re.compile(r"^(第[一二三四五六七八九十百零]+条)[\s　]")
CHAPTER_LINE = re.compile(r"^\s*([一二三四五六七八九十]+、)")
SUBSECTION_LINE = re.compile(r"^\s*(\([一二三四五六七八九十]+\))")
DATE_SUFFIX = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")


def load_devset() -> list[dict[str, Any]]:
    """Parse the set, naming the line of any malformed record."""
    records = []
    for number, line in enumerate(DEVSET.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"devset.jsonl line {number}: invalid JSON ({exc})")
    return records


@dataclass(frozen=True)
class Corpus:
    """Passages of the shared corpus keyed the way gold labels name them."""

    articles: dict[str, dict[str, str]]  # regulation title -> article label -> text
    sections: dict[str, str]  # seed section path, e.g. "三、(二)" -> text


def regulation_articles(path: Path) -> dict[str, str]:
    """Article label -> text of that article (up to the next article line or heading)."""
    body = path.read_text(encoding="utf-8").split("<!-- INFO END -->")[-1]
    articles: dict[str, str] = {}
    current: str | None = None
    for line in body.splitlines():
        match = ARTICLE_LINE.match(line)
        if match:
            current = match.group(1)
            articles[current] = line
        elif line.startswith("#"):
            current = None
        elif current is not None:
            articles[current] += "\n" + line
    return articles


def seed_sections(path: Path) -> dict[str, str]:
    """Section path -> text, where a section runs to the next chapter or sub-section heading."""
    sections: dict[str, str] = {}
    chapter = ""
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        chapter_match = CHAPTER_LINE.match(line)
        sub_match = SUBSECTION_LINE.match(line)
        if chapter_match:
            chapter = chapter_match.group(1)
            current = chapter
            sections[current] = line
        elif sub_match and chapter:
            current = chapter + sub_match.group(1)
            sections[current] = line
        elif current is not None:
            sections[current] += "\n" + line
    return sections


@pytest.fixture(scope="module")
def devset() -> list[dict[str, Any]]:
    return load_devset()


@pytest.fixture(scope="module")
def corpus(shared_corpus: Path) -> Corpus:
    articles = {
        DATE_SUFFIX.sub("", path.stem): regulation_articles(path)
        for path in sorted((shared_corpus / "regulations").glob("*.md"))
    }
    seeds = sorted((shared_corpus / "seed").glob("*.txt"))
    assert seeds, "the seed paper is missing from ../shared/corpus/seed"
    assert SEED_TITLE in seeds[0].read_text(encoding="utf-8")[:200]
    return Corpus(articles=articles, sections=seed_sections(seeds[0]))


def gold_passage(corpus: Corpus, gold: dict[str, str]) -> str | None:
    if gold["title"] == SEED_TITLE:
        return corpus.sections.get(gold["section"])
    return corpus.articles.get(gold["title"], {}).get(gold["article"])


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- shape of the file (no corpus needed) -----------------------------------------------------


def test_every_record_has_the_required_keys_and_types(devset: list[dict[str, Any]]) -> None:
    for record in devset:
        assert set(record) >= REQUIRED_KEYS, f"{record.get('id')}: missing {REQUIRED_KEYS - set(record)}"
        assert record["split"] in SPLITS, record["id"]
        assert record["audience"] in AUDIENCES, record["id"]
        assert isinstance(record["q"], str) and record["q"].strip(), record["id"]
        assert isinstance(record["answerable"], bool), record["id"]
        assert isinstance(record["gold"], list), record["id"]
        assert isinstance(record["phrase"], str), record["id"]


def test_ids_and_questions_are_unique(devset: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for r in devset)
    assert [i for i, n in ids.items() if n > 1] == []
    questions = Counter(r["q"] for r in devset)
    assert [q for q, n in questions.items() if n > 1] == []


def test_size_and_mix(devset: list[dict[str, Any]]) -> None:
    answerable = [r for r in devset if r["answerable"]]
    refused = [r for r in devset if not r["answerable"]]
    assert len(devset) >= 130
    assert len(answerable) >= 100
    assert len(refused) >= 30
    audiences = Counter(r["audience"] for r in devset)
    shares = {a: audiences[a] / len(devset) for a in AUDIENCES}
    assert 0.35 <= shares["staff"] <= 0.55, shares
    assert 0.22 <= shares["resident"] <= 0.38, shares
    assert 0.17 <= shares["department"] <= 0.33, shares


def test_both_splits_hold_answerable_and_out_of_scope_questions(devset: list[dict[str, Any]]) -> None:
    for answerable in (True, False):
        subset = [r for r in devset if r["answerable"] is answerable]
        test_share = sum(r["split"] == "test" for r in subset) / len(subset)
        assert 0.25 <= test_share <= 0.42, (answerable, test_share)


def test_answerable_records_have_well_formed_gold(devset: list[dict[str, Any]]) -> None:
    for record in (r for r in devset if r["answerable"]):
        assert record["gold"], record["id"]
        assert 6 <= len(record["phrase"]) <= 20, record["id"]
        for gold in record["gold"]:
            assert gold.get("title"), record["id"]
            key = "section" if gold["title"] == SEED_TITLE else "article"
            assert set(gold) == {"title", key}, record["id"]


def test_out_of_scope_records_have_no_gold(devset: list[dict[str, Any]]) -> None:
    for record in (r for r in devset if not r["answerable"]):
        assert record["gold"] == [] and record["phrase"] == "", record["id"]


# --- labels against the real corpus (skips without ../shared) -------------------------------


@pytest.mark.shared
def test_every_gold_passage_exists(devset: list[dict[str, Any]], corpus: Corpus) -> None:
    missing = [(r["id"], g) for r in devset for g in r["gold"] if gold_passage(corpus, g) is None]
    assert missing == []


@pytest.mark.shared
def test_every_phrase_occurs_in_every_gold_passage(devset: list[dict[str, Any]], corpus: Corpus) -> None:
    wrong = [
        (r["id"], r["phrase"], g)
        for r in devset
        for g in r["gold"]
        if r["phrase"] not in (gold_passage(corpus, g) or "")
    ]
    assert wrong == []


@pytest.mark.shared
def test_no_question_copies_its_passage(devset: list[dict[str, Any]], corpus: Corpus) -> None:
    copied = []
    for record in (r for r in devset if r["answerable"]):
        question = squeeze(record["q"])
        passages = [squeeze(gold_passage(corpus, g) or "") for g in record["gold"]]
        for start in range(len(question) - COPY_RUN + 1):
            run = question[start : start + COPY_RUN]
            if any(run in passage for passage in passages):
                copied.append((record["id"], run))
                break
    assert copied == []


@pytest.mark.shared
def test_the_set_spreads_over_the_corpus(devset: list[dict[str, Any]], corpus: Corpus) -> None:
    titles = Counter(g["title"] for r in devset for g in r["gold"][:1])
    regulations = [t for t in titles if t != SEED_TITLE]
    assert len(regulations) >= 25
    assert titles[SEED_TITLE] >= 10
    assert set(regulations) <= set(corpus.articles)


def test_questions_naming_beijing_are_golded_to_beijing(devset: list[dict[str, Any]]) -> None:
    for record in (r for r in devset if r["answerable"]):
        names_beijing = "北京" in record["q"]
        beijing_gold = any(g["title"].startswith("北京市") for g in record["gold"])
        assert names_beijing == beijing_gold, record["id"]


def test_passage_parsers_split_where_the_corpus_does(tmp_path: Path) -> None:
    """The parsers above decide what "the gold passage" is; check them on a synthetic file."""
    regulation = tmp_path / "示例条例(2020-01-01).md"
    regulation.write_text(
        "# 示例条例\n\n元数据\n\n<!-- INFO END -->\n\n## 第一章  总则\n\n第一条 甲。\n\n乙。\n\n"
        "## 第二章  附则\n\n第二条 丙。\n",
        encoding="utf-8",
    )
    articles = regulation_articles(regulation)
    assert list(articles) == ["第一条", "第二条"]
    assert "乙" in articles["第一条"] and "附则" not in articles["第一条"]

    seed = tmp_path / "seed.txt"
    seed.write_text("导语\n一、风险\n(一)气候\n台风\n(二)流动\n地铁\n二、经验\n总述\n", encoding="utf-8")
    sections = seed_sections(seed)
    assert list(sections) == ["一、", "一、(一)", "一、(二)", "二、"]
    assert "台风" in sections["一、(一)"] and "地铁" not in sections["一、(一)"]
    assert "总述" in sections["二、"]
