"""The domain glossary: everyday words → the statutory terms the documents use.

Residents say 电瓶车, 煤气, 居委会; regulations say 电动自行车, 燃气, 居民委员会. The glossary
is data (``corpus/glossary.yaml``, extendable by users with more YAML files) and serves two
purposes: its words enter jieba's dictionary so they are tokenised whole, and questions are
expanded with the statutory terms before retrieval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class GlossaryError(ValueError):
    """A glossary file is malformed; the message names the file and the entry."""


@dataclass
class Glossary:
    """Mapping from everyday words to statutory terms (both directions are useful for jieba)."""

    entries: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Glossary:
        """Merge glossary files in order; later files add terms to earlier keys."""
        merged: dict[str, list[str]] = {}
        for path in paths:
            if not path.is_file():
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise GlossaryError(f"{path.name}: 不是有效的 YAML：{exc}") from exc
            if not isinstance(data, dict):
                raise GlossaryError(f"{path.name}: 顶层应为“口语词: [法规用语, …]”的映射")
            for key, value in data.items():
                word = str(key).strip()
                terms = [value] if isinstance(value, str) else value
                if not word or not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                    raise GlossaryError(f"{path.name}: 词条“{key}”应映射到法规用语列表")
                bucket = merged.setdefault(word, [])
                bucket.extend(t.strip() for t in terms if t.strip() and t.strip() not in bucket)
        return cls({word: tuple(terms) for word, terms in merged.items()})

    def words(self) -> set[str]:
        """Every everyday word and statutory term (for the tokenizer's user dictionary)."""
        out = set(self.entries)
        for terms in self.entries.values():
            out.update(terms)
        return out

    def expand(self, text: str) -> list[str]:
        """Statutory terms for the everyday words found in ``text``, longest match first, no repeats."""
        found: list[str] = []
        for word in sorted(self.entries, key=len, reverse=True):
            if word in text:
                for term in self.entries[word]:
                    if term not in text and term not in found:
                        found.append(term)
        return found

    def terms_for(self, word: str) -> tuple[str, ...]:
        """The statutory terms of one everyday word (empty when it is not a glossary word)."""
        return self.entries.get(word, ())

    def __len__(self) -> int:
        return len(self.entries)
