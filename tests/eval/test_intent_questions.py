"""The intent-only question set (eval/intent_questions.jsonl): written blind for the intent model.

It has no gold passages (the intent model learns from the question alone), so the rules are the
shape, the vocabulary, a fixed every-fifth-per-intent dev split, no duplicates (within the set
or with the blind set), and no question copying a run of ``COPY_RUN`` characters from any
bundled card or, when present, any document of the shared corpus.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from assistant.services.ranking.features import AUDIENCES
from assistant.services.ranking.intent import CLASSES
from assistant.settings import PROJECT_ROOT
from tests.eval.test_devset import COPY_RUN, squeeze

INTENT_SET = PROJECT_ROOT / "eval" / "intent_questions.jsonl"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in INTENT_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shape_labels_and_size(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= 500
    counts = Counter(row["intent"] for row in rows)
    assert set(counts) == set(CLASSES)
    assert counts["emergency"] >= 150 and counts["out_of_scope"] >= 50  # the classes it was written for
    for row in rows:
        assert row["audience"] in AUDIENCES, row
        assert row["answerable"] is (row["intent"] != "out_of_scope"), row
        assert row["gold"] == [] and row["phrase"] == "", row
        assert 4 <= len(squeeze(row["q"])) <= 120, row
    assert len({row["id"] for row in rows}) == len(rows)


def test_every_fifth_question_of_each_intent_is_dev(rows: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = defaultdict(int)
    for row in rows:
        seen[row["intent"]] += 1
        assert row["split"] == ("dev" if seen[row["intent"]] % 5 == 0 else "train"), row


def test_no_duplicates_within_or_with_the_blind_set(rows: list[dict[str, Any]]) -> None:
    questions = [squeeze(row["q"]) for row in rows]
    assert len(set(questions)) == len(questions)
    blind = {
        squeeze(json.loads(line)["q"])
        for line in (PROJECT_ROOT / "eval" / "blindset.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert not set(questions) & blind


def _runs(folder: Path) -> set[str]:
    runs: set[str] = set()
    for path in sorted(folder.rglob("*")):
        if path.suffix in {".md", ".txt", ".yaml"} and path.is_file():
            text = squeeze(path.read_text(encoding="utf-8", errors="ignore"))
            runs.update(text[i : i + COPY_RUN] for i in range(len(text) - COPY_RUN + 1))
    return runs


def _copied(rows: list[dict[str, Any]], runs: set[str]) -> list[str]:
    out = []
    for row in rows:
        q = squeeze(row["q"])
        if any(q[i : i + COPY_RUN] in runs for i in range(len(q) - COPY_RUN + 1)):
            out.append(row["id"])
    return out


def test_no_question_copies_the_bundled_cards(rows: list[dict[str, Any]]) -> None:
    assert _copied(rows, _runs(PROJECT_ROOT / "corpus")) == []


def test_no_question_copies_the_shared_corpus(rows: list[dict[str, Any]], shared_corpus: Path) -> None:
    if not shared_corpus.is_dir():
        pytest.skip("../shared/corpus is absent")
    assert _copied(rows, _runs(shared_corpus)) == []
