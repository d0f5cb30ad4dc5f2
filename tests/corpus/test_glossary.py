"""Validation of the domain glossary ``corpus/glossary.yaml``.

Retrieval expands everyday words with the glossary's statutory terms. A term that the
documents never use adds noise to every query that triggers it, and a duplicated key silently
drops half of an entry (YAML keeps the last one), so both are checked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.settings import PROJECT_ROOT

GLOSSARY = PROJECT_ROOT / "corpus" / "glossary.yaml"


class DuplicateKeyError(ValueError):
    """Raised by :class:`StrictLoader` when a mapping repeats a key."""


class StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one."""


def _construct_unique_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKeyError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def load_strict(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)  # StrictLoader derives from SafeLoader


@pytest.fixture(scope="module")
def glossary() -> dict[Any, Any]:
    data = load_strict(GLOSSARY.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "the glossary must be a mapping 口语词: [法规用语, …]"
    return data


def test_glossary_is_large_enough(glossary: dict[Any, Any]) -> None:
    assert len(glossary) >= 150


def test_entries_are_words_mapped_to_lists_of_terms(glossary: dict[Any, Any]) -> None:
    for word, terms in glossary.items():
        assert isinstance(word, str) and word.strip() == word and word, repr(word)
        assert isinstance(terms, list) and terms, word
        assert all(isinstance(t, str) and t.strip() == t and t for t in terms), word
        assert len(set(terms)) == len(terms), f"{word}: repeated term"
        assert word not in terms, f"{word}: maps to itself"


def test_strict_loader_rejects_duplicate_keys() -> None:
    """The duplicate check is only worth something if it really fires."""
    with pytest.raises(DuplicateKeyError, match="电瓶车"):
        load_strict("电瓶车: [电动自行车]\n煤气: [燃气]\n电瓶车: [蓄电池]\n")


@pytest.mark.shared
def test_every_statutory_term_occurs_in_the_corpus(glossary: dict[Any, Any], shared_corpus: Path) -> None:
    texts = [
        p.read_text(encoding="utf-8") for p in sorted(shared_corpus.rglob("*")) if p.suffix in {".md", ".txt"}
    ]
    assert texts, "no documents found under ../shared/corpus"
    corpus = "\n".join(texts)
    missing = sorted(
        {(word, term) for word, terms in glossary.items() for term in terms if term not in corpus}
    )
    assert missing == []


@pytest.mark.shared
def test_glossary_covers_the_words_residents_actually_use(glossary: dict[Any, Any]) -> None:
    """The brief's core examples must be present with the statutory term the documents use."""
    expected = {
        "电瓶车": "电动自行车",
        "幼儿园": "幼托机构",
        "居委会": "居民委员会",
        "物业公司": "物业服务企业",
        "AED": "自动体外除颤仪",
        "煤气": "燃气",
        "业委会": "业主委员会",
        "防空洞": "民防工程",
        "工厂": "生产经营单位",
        "救济": "救助",
    }
    for word, term in expected.items():
        assert term in glossary.get(word, []), word
