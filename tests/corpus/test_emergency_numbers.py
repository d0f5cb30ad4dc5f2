"""One emergency-number policy across the guides and ``corpus/emergency_numbers.yaml``.

Answers put a guide's front-matter ``emergency_numbers`` first, and the router picks numbers
from ``emergency_numbers.yaml`` by the words of the question. If a guide's sections name a
number its front matter does not declare, or send a hazard to a different number than the
router does (a gas leak to 110 in one guide and to 119 in another), residents get two
answers to "whom do I call". These checks read only the pack's own files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.components.knowledge_pack import split_front_matter

from .conftest import CORPUS_DIR, GUIDES_DIR, rel
from .test_cards import sections

CALL_SECTIONS = ("：先做什么", "：打给谁")
_BASIS = re.compile(r"（依据：[^（）]*(?:（[^（）]*）[^（）]*)*）")
_CLAUSE_SPLIT = re.compile(r"[；。\n]")


def load_rules(path: Path = CORPUS_DIR / "emergency_numbers.yaml") -> list[dict[str, Any]]:
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    assert rules and all(str(r["number"]).isdigit() for r in rules), f"{path.name}: malformed rules"
    return [{"number": str(r["number"]), "words": [str(w) for w in r.get("words") or []]} for r in rules]


def number_pattern(rules: list[dict[str, Any]]) -> re.Pattern[str]:
    numbers = "|".join(sorted({r["number"] for r in rules}, key=len, reverse=True))
    return re.compile(rf"(?<!\d)({numbers})(?!\d)")


def call_text(body: str) -> str:
    """The text of the sections that tell residents whom to call."""
    return "\n".join(text for heading, text in sections(body) if heading.endswith(CALL_SECTIONS))


def misrouted(text: str, rules: list[dict[str, Any]]) -> list[str]:
    """Clauses ``情形：号码`` whose situation names a router word but none of that word's numbers.

    A clause may name several situations (烧伤、吸入浓烟): it is fine as soon as one of the
    numbers the router would pick for them is named.
    """
    numbers_re = number_pattern(rules)
    problems = []
    for raw in _CLAUSE_SPLIT.split(_BASIS.sub("", text)):
        clause = raw.strip(" -*")
        situation, sep, rest = clause.partition("：")
        named = set(numbers_re.findall(rest))
        if not sep or not named:
            continue
        expected = {r["number"] for r in rules if any(w in situation for w in r["words"])}
        if expected and not expected & named:
            problems.append(f"“{situation}” → {sorted(named)}, but the router sends it to {sorted(expected)}")
    return problems


def guide_paths() -> list[Path]:
    return sorted(GUIDES_DIR.glob("*.md"))


@pytest.mark.parametrize("path", guide_paths(), ids=rel)
def test_front_matter_declares_exactly_the_numbers_the_guide_names(path: Path) -> None:
    rules = load_rules()
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), rel(path))
    declared = meta.get("emergency_numbers")
    assert isinstance(declared, list) and declared, f"{rel(path)}: no emergency_numbers in front matter"
    named = set(number_pattern(rules).findall(call_text(body)))
    assert set(map(str, declared)) == named, (
        f"{rel(path)}: front matter {sorted(map(str, declared))}, 先做什么/打给谁 name {sorted(named)}"
    )


@pytest.mark.parametrize("path", guide_paths(), ids=rel)
def test_guides_route_hazards_like_the_number_rules(path: Path) -> None:
    _, body = split_front_matter(path.read_text(encoding="utf-8"), rel(path))
    problems = misrouted(call_text(body), load_rules())
    assert not problems, f"{rel(path)}:\n" + "\n".join(problems)


def test_every_declared_number_has_a_rule() -> None:
    known = {r["number"] for r in load_rules()}
    for path in guide_paths():
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"), rel(path))
        unknown = set(map(str, meta["emergency_numbers"])) - known
        assert not unknown, f"{rel(path)}: {sorted(unknown)} not in emergency_numbers.yaml"


def test_gas_leak_goes_to_the_same_number_everywhere() -> None:
    # The router's number for a gas leak is the number every guide gives for it.
    rules = load_rules()
    gas = {r["number"] for r in rules if "燃气泄漏" in r["words"]}
    assert gas == {"119"}
    for path in guide_paths():
        _, body = split_front_matter(path.read_text(encoding="utf-8"), rel(path))
        for line in call_text(body).splitlines():
            if re.search(r"燃气(泄漏|味)|煤气味", line) and number_pattern(rules).search(line):
                assert "119" in line, f"{rel(path)}: gas line without 119: {line}"


def test_misrouting_check_can_fail() -> None:
    rules = load_rules()
    card = "**震后有人受伤：拨打 120；发现房屋垮塌、燃气泄漏等灾情：拨打 110 报告。**"
    assert len(misrouted(card, rules)) == 1
    fixed = "**震后有人受伤：拨打 120；闻到燃气味：到室外拨打 119；发现房屋垮塌等灾情：拨打 110。**"
    assert misrouted(fixed, rules) == []
    assert misrouted("- 烧伤、吸入浓烟：120（依据：公共安全常识）。", rules) == []


def test_call_text_reads_only_the_call_sections() -> None:
    # Numbers in other sections (提前准备) are not "stated numbers" and must not count.
    rules = load_rules()
    body = (
        "## 停电：先做什么\n\n**紧急电话：120。**\n\n## 停电：打给谁\n\n- 被困：119（依据：公共安全常识）。\n"
        "\n## 停电：提前准备\n\n1. 记住 110（依据：公共安全常识）。\n"
    )
    assert set(number_pattern(rules).findall(call_text(body))) == {"120", "119"}
