"""Every card in the pack is well-formed; resident guides follow the guide layout.

The index filters by audience and hazard and the UI shows labels from the vocabulary, so a
card with a misspelt key would silently vanish from filtered answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.components.knowledge_pack import Card, CardFormatError, Vocabulary, parse_card

from .conftest import CORPUS_DIR, GUIDES_DIR, pack_cards, rel

REQUIRED_GUIDE_SECTIONS = ("先做什么", "千万不要", "打给谁", "提前准备")
EMERGENCY_NUMBERS = re.compile(r"(?<!\d)(110|119|120|12395)(?!\d)")
CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_SECTION_CJK = 500


def sections(body: str) -> list[tuple[str, str]]:
    """The ``##`` sections of a card body as (heading, text)."""
    parts = re.split(r"(?m)^##[ \t]+(.+)$", body)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def test_pack_has_cards() -> None:
    assert len(pack_cards()) >= 16, "the knowledge pack should not be empty"


@pytest.mark.parametrize("path", pack_cards(), ids=rel)
def test_card_front_matter_is_valid(path: Path, vocabulary: Vocabulary) -> None:
    try:
        card = parse_card(path.read_text(encoding="utf-8"), rel(path), vocabulary)
    except CardFormatError as exc:
        pytest.fail(str(exc))
    assert re.search(r"(?m)^#[ \t]+\S", card.body), f"{rel(path)}: body has no '# 标题' line"


def test_card_file_names_are_ascii_slugs() -> None:
    bad = [rel(p) for p in pack_cards() if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*\.md", p.name)]
    assert not bad, f"card file names must be lowercase ASCII slugs: {bad}"


def test_at_least_sixteen_resident_guides(guide_cards: dict[str, Card]) -> None:
    assert len(guide_cards) >= 16
    for name, card in guide_cards.items():
        assert card.meta.doc_type == "guide", name
        assert "resident" in card.meta.audience, name


def test_guides_cover_the_required_hazards(guide_cards: dict[str, Card]) -> None:
    covered = {h for card in guide_cards.values() for h in card.meta.hazards}
    required = {
        "typhoon", "rainstorm", "waterlogging", "high_tide", "fire", "gas", "elevator", "earthquake",
        "heat", "cold", "epidemic", "power_outage", "ebike", "crowd", "cyber_fraud", "chemical",
    }  # fmt: skip
    assert required <= covered, f"no guide for: {sorted(required - covered)}"


@pytest.mark.parametrize("path", sorted(GUIDES_DIR.glob("*.md")), ids=rel)
def test_guide_layout(path: Path, guide_cards: dict[str, Card]) -> None:
    card = guide_cards[rel(path)]
    found = sections(card.body)
    headings = [h for h, _ in found]
    for suffix in REQUIRED_GUIDE_SECTIONS:
        assert any(h.endswith(f"：{suffix}") for h in headings), f"{rel(path)}: no '## …：{suffix}' section"
    for heading, text in found:
        # Sections are retrieved alone, so each heading must name its subject before the colon.
        subject, _, _ = heading.partition("：")
        assert len(subject) >= 2 and "：" in heading, f"{rel(path)}: heading '{heading}' lacks a subject"
        size = len(CJK.findall(text))
        assert size <= MAX_SECTION_CJK, f"{rel(path)}: section '{heading}' has {size} Chinese characters"


@pytest.mark.parametrize("path", sorted(GUIDES_DIR.glob("*.md")), ids=rel)
def test_guide_puts_the_emergency_number_first(path: Path, guide_cards: dict[str, Card]) -> None:
    first_steps = next(text for h, text in sections(guide_cards[rel(path)].body) if h.endswith("：先做什么"))
    first_line = next(line for line in first_steps.splitlines() if line.strip())
    assert EMERGENCY_NUMBERS.search(first_line), (
        f"{rel(path)}: first line of 先做什么 names no emergency number"
    )
    first_step = re.search(r"(?m)^1\.", first_steps)
    assert first_step is not None and first_steps.index(first_line) < first_step.start()


@pytest.mark.parametrize("path", sorted(GUIDES_DIR.glob("*.md")), ids=rel)
def test_every_guide_item_names_its_basis(path: Path, guide_cards: dict[str, Card]) -> None:
    items = [line for line in guide_cards[rel(path)].body.splitlines() if re.match(r"^(\d+\.|-)\s", line)]
    assert items, f"{rel(path)}: no list items"
    unsourced = [line for line in items if "（依据：" not in line]
    assert not unsourced, f"{rel(path)}: items without （依据：…）: {unsourced}"


def test_card_parser_rejects_a_card_missing_sources(vocabulary: Vocabulary) -> None:
    # Guards the check above against passing vacuously: a real card with a key removed must fail.
    text = next(iter(sorted(GUIDES_DIR.glob("*.md")))).read_text(encoding="utf-8")
    broken = re.sub(r"(?m)^sources:\n(?:  - .*\n)+", "", text, count=1)
    assert broken != text
    with pytest.raises(CardFormatError, match="sources"):
        parse_card(broken, "broken.md", vocabulary)


def test_vocabulary_file_is_in_the_pack() -> None:
    assert (CORPUS_DIR / "vocabulary.yaml").is_file()
