"""Every citation in the pack names something that exists.

A wrong article number in a safety product is a false statement with an official stamp on
it, so these checks read the real regulations in ``../shared/corpus`` (skipping cleanly when
they are absent) and fail naming the file and the citation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant.components.knowledge_pack import (
    SEED_PAPER_TITLE,
    Card,
    extract_citations,
    extract_seed_citations,
    regulation_key,
)
from assistant.settings import PROJECT_ROOT

from .conftest import CORPUS_DIR, pack_text_files, rel

MIN_PACK_REFERENCES = 80
MIN_GUIDE_REFERENCES = 80
COMMON_PRACTICE = "公共安全常识"


def _all_citations() -> list[tuple[str, str, str]]:
    """(file, title, article) for every 《title》第X条 in the pack's cards and YAML data."""
    return [
        (rel(path), title, article)
        for path in pack_text_files()
        for title, article in extract_citations(path.read_text(encoding="utf-8"))
    ]


def _unknown(citations: list[tuple[str, str, str]], index: dict[str, set[str]]) -> list[str]:
    problems = []
    for file, title, article in citations:
        key = regulation_key(title)
        if key not in index:
            problems.append(f"{file}: 《{title}》 is not a regulation in ../shared/corpus/regulations")
        elif article not in index[key]:
            problems.append(f"{file}: 《{title}》{article} does not exist")
    return problems


def test_every_cited_article_exists(regulation_index: dict[str, set[str]]) -> None:
    problems = _unknown(_all_citations(), regulation_index)
    assert not problems, "false citations:\n" + "\n".join(sorted(set(problems)))


def test_checker_flags_a_false_article(regulation_index: dict[str, set[str]]) -> None:
    # The checker itself must be able to fail: a made-up article and title are both caught.
    fake = [("x.md", "上海市消防条例", "第九百条"), ("x.md", "上海市排水管理条例", "第一条")]
    assert len(_unknown(fake, regulation_index)) == 2
    assert not _unknown([("x.md", "中华人民共和国消防法", "第四十四条")], regulation_index)
    assert not _unknown([("x.md", "上海市实施〈突发事件应对法〉办法", "第二十五条")], regulation_index)


def test_pack_cites_enough_articles() -> None:
    """The whole pack (guides, procedures, responsibility map, cases, strategy, checklists)."""
    count = len(_all_citations())
    assert count >= MIN_PACK_REFERENCES, f"only {count} article references in the pack"


def test_guides_cite_enough_articles() -> None:
    per_folder = Counter(Path(file).parent.name for file, _, _ in _all_citations())
    assert per_folder["guides"] >= MIN_GUIDE_REFERENCES, dict(per_folder)


def test_pack_never_cites_beijing_rules_for_shanghai() -> None:
    beijing = sorted({f"{f}: 《{t}》" for f, t, _ in _all_citations() if t.startswith("北京")})
    assert not beijing, f"Beijing regulations are not Shanghai's rules: {beijing}"


def test_seed_paper_sections_exist(seed_sections: set[tuple[str, str | None, str | None]]) -> None:
    problems = []
    total = 0
    for path in pack_text_files():
        for part, sub, item in extract_seed_citations(path.read_text(encoding="utf-8")):
            total += 1
            if (part, sub, item) not in seed_sections:
                label = part + "、" + (f"（{sub}）" if sub else "") + (item or "")
                problems.append(f"{rel(path)}: seed paper has no section {label}")
    assert total > 0, "no seed-paper citations found at all"
    assert not problems, "\n".join(problems)


def test_seed_checker_rejects_a_missing_section(
    seed_sections: set[tuple[str, str | None, str | None]],
) -> None:
    assert ("三", "六", None) in seed_sections
    assert ("三", "九", None) not in seed_sections  # part three has seven subsections
    assert ("四", "二", "6") in seed_sections
    assert ("一", "二", "3") not in seed_sections


def test_guides_cite_the_seed_paper_with_a_section(guide_cards: dict[str, Card]) -> None:
    for name, card in guide_cards.items():
        text = card.body + "\n".join(card.meta.sources)
        mentions = text.count(f"《{SEED_PAPER_TITLE}》")
        assert mentions == len(extract_seed_citations(text)), f"{name}: seed paper cited without a section"


def _citation_keys(text: str) -> set[str]:
    keys = {f"《{regulation_key(t)}》{a}" for t, a in extract_citations(text)}
    keys |= {f"seed:{p}/{s}/{i}" for p, s, i in extract_seed_citations(text)}
    if COMMON_PRACTICE in text:
        keys.add(COMMON_PRACTICE)
    return keys


def test_guide_sources_match_the_body(guide_cards: dict[str, Card]) -> None:
    """Front matter ``sources`` lists exactly what the body cites, so filters and UI can trust it."""
    for name, card in guide_cards.items():
        in_body = _citation_keys(card.body)
        in_sources = _citation_keys("\n".join(card.meta.sources))
        assert in_body - in_sources == set(), f"{name}: cited in body but not in sources"
        assert in_sources - in_body == set(), f"{name}: listed in sources but never cited in body"


def test_citation_files_are_inside_the_pack() -> None:
    assert all(path.is_relative_to(CORPUS_DIR) for path in pack_text_files())
    assert (PROJECT_ROOT / "corpus" / "guides").is_dir()


@pytest.mark.parametrize(
    "text",
    ["依据：《上海市防汛条例》四十一条", "依据：上海市防汛条例第四十一条"],
)
def test_malformed_citations_are_not_counted(text: str) -> None:
    # Citations must be written 《title》第X条; sloppy forms are neither counted nor "verified".
    assert extract_citations(text) == []
