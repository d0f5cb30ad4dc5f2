"""The pack's question set (eval/pack_questions.jsonl) is consistent with the pack itself.

Each question names the card that answers it and short key actions a correct answer must
contain; those phrases must appear verbatim in that card, or the evaluation would demand
something the pack never says.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from assistant.components.knowledge_pack import Vocabulary
from assistant.settings import PROJECT_ROOT

QUESTIONS_FILE = PROJECT_ROOT / "eval" / "pack_questions.jsonl"
REQUIRED = ("id", "q", "audience", "gold_file", "key_actions")
MIN_RESIDENT_QUESTIONS = 25


def load_questions() -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(QUESTIONS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{QUESTIONS_FILE.name} line {number}: not JSON ({exc})")
        assert isinstance(row, dict), f"line {number}: not an object"
        rows.append(row)
    return rows


def test_questions_are_well_formed(vocabulary: Vocabulary) -> None:
    rows = load_questions()
    for row in rows:
        missing = [key for key in REQUIRED if key not in row]
        assert not missing, f"{row.get('id')}: missing {missing}"
        assert isinstance(row["q"], str) and row["q"].strip(), row["id"]
        assert row["audience"] in vocabulary.audiences, row["id"]
        actions = row["key_actions"]
        assert isinstance(actions, list) and actions, f"{row['id']}: key_actions must be a non-empty list"
        assert all(isinstance(a, str) and a.strip() for a in actions), row["id"]
    duplicates = [i for i, n in Counter(r["id"] for r in rows).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_enough_resident_questions() -> None:
    residents = [r for r in load_questions() if r["audience"] == "resident"]
    assert len(residents) >= MIN_RESIDENT_QUESTIONS
    assert len({r["gold_file"] for r in residents}) >= 16, "resident questions should span the guides"


def test_key_actions_appear_verbatim_in_the_gold_card() -> None:
    problems = []
    for row in load_questions():
        gold = PROJECT_ROOT / row["gold_file"]
        if not gold.is_file() or not gold.is_relative_to(PROJECT_ROOT / "corpus"):
            problems.append(f"{row['id']}: gold_file {row['gold_file']} is not a card in corpus/")
            continue
        text = gold.read_text(encoding="utf-8")
        problems += [
            f"{row['id']}: “{a}” not in {row['gold_file']}" for a in row["key_actions"] if a not in text
        ]
    assert not problems, "\n".join(problems)
