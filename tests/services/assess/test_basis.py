"""Every basis in the bundled checklists points to an article or section that really exists.

A wrong article in a safety checklist is a false citation, so each ``《title》第X条`` must
name a regulation in ``../shared/corpus/regulations`` (file name without the date suffix,
national titles with or without 中华人民共和国) whose body has a line starting with that
article; each seed-paper basis must name sections the paper has. Skips without ../shared.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.services.assess import load_checklists, split_basis
from assistant.settings import PROJECT_ROOT

SEED_TITLE = "上海全面建设安全韧性城市：经验、问题与策略"
ARTICLE_RE = re.compile(r"^第[一二三四五六七八九十百零]+条$")
SECTION_RE = re.compile(r"^([一二三四五六七八九十]+)、(?:（([一二三四五六七八九十]+)）(\d+)?)?$")


def _normalise(title: str) -> str:
    title = title.replace("〈", "《").replace("〉", "》")
    return title.removeprefix("中华人民共和国")


def _regulation_files(folder: Path) -> dict[str, Path]:
    files = {}
    for path in folder.glob("*.md"):
        files[_normalise(re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", path.stem))] = path
    return files


def _bases() -> list[tuple[str, str, str, str]]:
    """(checklist id, item id, title, locator) for every citation in every bundled basis."""
    found = []
    for checklist in load_checklists(PROJECT_ROOT / "corpus" / "checklists").values():
        for _, item in checklist.items():
            pairs = split_basis(item.basis)
            assert pairs, f"{checklist.id}/{item.id}: basis “{item.basis}” cites no 《title》"
            found.extend((checklist.id, item.id, title, locator) for title, locator in pairs)
    return found


def _seed_has_section(seed: str, locator: str) -> bool:
    match = SECTION_RE.match(locator)
    assert match, f"seed locator “{locator}” is not like 三、（二） or 四、（二）5"
    top, sub, number = match.groups()
    parts = re.split(r"(?m)^\s*([一二三四五六七八九十]+)、", seed)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if top not in sections:
        return False
    if sub is None:
        return True
    subparts = re.split(r"(?m)^\s*[(（]([一二三四五六七八九十]+)[)）]", sections[top])
    subsections = {subparts[i]: subparts[i + 1] for i in range(1, len(subparts) - 1, 2)}
    if sub not in subsections:
        return False
    return number is None or re.search(rf"(?m)^\s*{number}\s*[.．]", subsections[sub]) is not None


@pytest.mark.shared
def test_every_basis_exists_in_the_shared_corpus(shared_regulations: Path, shared_corpus: Path) -> None:
    regulations = _regulation_files(shared_regulations)
    seed = next((shared_corpus / "seed").glob("*.txt")).read_text(encoding="utf-8")
    problems = []
    bases = _bases()
    for checklist_id, item_id, title, locator in bases:
        where = f"{checklist_id}/{item_id}: 《{title}》{locator}"
        if title == SEED_TITLE:
            if not _seed_has_section(seed, locator):
                problems.append(f"{where}: no such section in the seed paper")
            continue
        path = regulations.get(_normalise(title))
        if path is None:
            problems.append(f"{where}: no regulation with this title")
            continue
        if not ARTICLE_RE.match(locator):
            problems.append(f"{where}: locator is not an article 第X条")
            continue
        body = path.read_text(encoding="utf-8")
        if not re.search(rf"(?m)^{locator}(?![一二三四五六七八九十百零])", body):
            problems.append(f"{where}: article not found in {path.name}")
    assert len(bases) >= 60
    assert not problems, "\n".join(problems)


@pytest.mark.shared
def test_the_check_catches_a_wrong_article(shared_regulations: Path) -> None:
    body = (_regulation_files(shared_regulations)["上海市防汛条例"]).read_text(encoding="utf-8")
    assert re.search(r"(?m)^第十三条(?![一二三四五六七八九十百零])", body)
    assert not re.search(r"(?m)^第九十九条(?![一二三四五六七八九十百零])", body)


@pytest.mark.shared
def test_the_check_catches_a_wrong_seed_section(shared_corpus: Path) -> None:
    seed = next((shared_corpus / "seed").glob("*.txt")).read_text(encoding="utf-8")
    assert _seed_has_section(seed, "三、（七）") and _seed_has_section(seed, "四、（二）7")
    assert not _seed_has_section(seed, "三、（八）")
    assert not _seed_has_section(seed, "四、（二）8")
    assert not _seed_has_section(seed, "五、")
