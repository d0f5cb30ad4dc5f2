"""The blind-written set (eval/blindset.jsonl) keeps the dev set's rules, and its split is fixed.

Rules: every gold passage exists (regulation article, paper section, or a knowledge-card
section of corpus/), every phrase occurs in its passage, no question copies a run of
``COPY_RUN`` characters from it, intents and audiences are from the vocabulary, and the
split is train/dev/test stratified by document.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.services.ranking.intent import CLASSES
from assistant.settings import PROJECT_ROOT
from tests.eval.test_devset import COPY_RUN, Corpus, gold_passage, regulation_articles, seed_sections, squeeze

BLINDSET = PROJECT_ROOT / "eval" / "blindset.jsonl"
DATE_SUFFIX = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")
SEED_TITLE = "上海全面建设安全韧性城市：经验、问题与策略"


@pytest.fixture(scope="module")
def blindset() -> list[dict[str, Any]]:
    return [json.loads(line) for line in BLINDSET.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus(shared_corpus: Path) -> Corpus:
    articles = {
        DATE_SUFFIX.sub("", p.stem): regulation_articles(p)
        for p in sorted((shared_corpus / "regulations").glob("*.md"))
    }
    return Corpus(
        articles=articles, sections=seed_sections(sorted((shared_corpus / "seed").glob("*.txt"))[0])
    )


def card_section(gold: dict[str, str]) -> str | None:
    path = PROJECT_ROOT / gold["file"]
    if not path.is_file():
        return None
    body = path.read_text(encoding="utf-8").split("---", 2)[-1]
    for section in re.split(r"^## ", body, flags=re.M)[1:]:
        head, _, text = section.partition("\n")
        if head.strip() == gold["section"]:
            return text
    return None


def passage(corpus: Corpus, gold: dict[str, str]) -> str | None:
    return card_section(gold) if "file" in gold else gold_passage(corpus, gold)


def test_shape_vocabulary_and_size(blindset: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in blindset]
    assert len(ids) == len(set(ids))
    assert {r["split"] for r in blindset} == {"train", "dev", "test"}
    assert {r["intent"] for r in blindset} <= set(CLASSES)
    assert {r["audience"] for r in blindset} <= {"resident", "staff", "department"}
    answerable = [r for r in blindset if r["answerable"]]
    kinds = Counter(
        "card" if "file" in r["gold"][0] else (r["gold"][0].get("article") and "article") or "paper"
        for r in answerable
    )
    assert kinds["article"] >= 600 and kinds["paper"] >= 60 and kinds["card"] >= 120
    oos = [r for r in blindset if not r["answerable"]]
    assert len(oos) >= 150 and all(not r["gold"] and r["intent"] == "out_of_scope" for r in oos)
    assert sum(r["trap"] != "off_domain" for r in oos) >= len(oos) / 2
    tests = Counter(r["split"] for r in answerable)
    assert 0.12 <= tests["test"] / len(answerable) <= 0.25 and 0.12 <= tests["dev"] / len(answerable) <= 0.28


@pytest.mark.shared
def test_every_regulation_is_covered(blindset: list[dict[str, Any]], corpus: Corpus) -> None:
    titles = {r["gold"][0]["title"] for r in blindset if r["answerable"] and "article" in r["gold"][0]}
    assert titles == set(corpus.articles)


@pytest.mark.shared
def test_gold_exists_phrase_occurs_and_nothing_is_copied(
    blindset: list[dict[str, Any]], corpus: Corpus
) -> None:
    problems = []
    for record in (r for r in blindset if r["answerable"]):
        gold = record["gold"][0]
        text = passage(corpus, gold)
        if text is None:
            problems.append((record["id"], "gold missing"))
            continue
        if record["phrase"] not in text:
            problems.append((record["id"], "phrase"))
        question, squeezed = squeeze(record["q"]), squeeze(text)
        if any(question[i : i + COPY_RUN] in squeezed for i in range(len(question) - COPY_RUN + 1)):
            problems.append((record["id"], "copied"))
    assert problems == []


def test_questions_naming_beijing_are_golded_to_beijing(blindset: list[dict[str, Any]]) -> None:
    for record in (r for r in blindset if r["answerable"] and "title" in r["gold"][0]):
        assert ("北京" in record["q"]) == record["gold"][0]["title"].startswith("北京市"), record["id"]
