"""What every tab of the web app shares: the one assistant, the access policy and the labels.

Built once per process. The assistant's models and indexes are created before the first
request (see :mod:`assistant.web.startup`), so concurrent requests only ever read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.components.chunking.numerals import parse_numeral
from assistant.components.knowledge_pack import extract_citations, title_key
from assistant.factory import Assistant
from assistant.web.access import AccessPolicy
from assistant.web.places import PlaceResolver

CONTENT_DIR = Path(__file__).resolve().parent / "content"
#: Articles shown under one source (a card may cite a dozen; the first few are the steps shown).
MAX_CITED_ARTICLES = 6


@dataclass
class WebContext:
    assistant: Assistant
    policy: AccessPolicy
    doc_types: dict[str, str] = field(default_factory=dict)
    audiences: dict[str, str] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    emergency: dict[str, Any] = field(default_factory=dict)
    highlight_skip: frozenset[str] = frozenset()
    places: PlaceResolver | None = None

    @classmethod
    def create(cls, assistant: Assistant) -> WebContext:
        corpus = assistant.settings.corpus_dir
        vocabulary = _yaml(corpus / "vocabulary.yaml")
        examples = _yaml(CONTENT_DIR / "examples.yaml")
        return cls(
            assistant=assistant,
            policy=AccessPolicy.from_settings(assistant.settings),
            doc_types={str(k): str(v) for k, v in (vocabulary.get("doc_types") or {}).items()},
            audiences={str(k): str(v) for k, v in (vocabulary.get("audiences") or {}).items()},
            examples={str(k): [str(q) for q in v] for k, v in examples.items()},
            emergency=_yaml(corpus / "emergency_numbers.yaml"),
            places=PlaceResolver(corpus),
            highlight_skip=frozenset(str(w) for w in _yaml(CONTENT_DIR / "highlight.yaml").get("skip") or []),
        )

    def audience_choices(self) -> list[tuple[str, str]]:
        """(label, key) pairs for the audience switch, in the product's order."""
        order = ("resident", "staff", "department")
        return [(self.audiences.get(key, key), key) for key in order]

    def highlight_terms(self, question: str) -> list[str]:
        """The question's content words, for marking them in cited passages.

        Why words and not search tokens: retrieval also matches character bigrams, which
        straddle word boundaries (里的, 人和), and marking those in a passage looks random.
        jieba's segmentation (:meth:`ChineseTokenizer.words`) minus its stopwords, single
        characters and the everyday words of ``content/highlight.yaml`` leaves the words a
        reader recognises as the topic of the question (电梯, 被困).
        """
        words = self.assistant.tokenizer.words(question)
        return list(dict.fromkeys(w for w in words if len(w) >= 2 and w not in self.highlight_skip))

    def cited_articles(self, text: str) -> list[tuple[str, str | None]]:
        """The 《title》第X条 a card's passage cites: (label, article text if indexed, else None).

        Lets a reader open the statute behind a self-rescue step in place instead of trusting
        the card's paraphrase; at most ``MAX_CITED_ARTICLES`` per source keep a reply short.
        """
        pairs = list(dict.fromkeys(extract_citations(text)))[:MAX_CITED_ARTICLES]
        if not pairs:
            return []
        retriever = self.assistant.retriever
        lex = retriever.lexical
        titles = {title_key(title): doc_id for doc_id, title, _ in retriever.documents(lex)}
        found: list[tuple[str, str | None]] = []
        for title, article in pairs:
            doc_id = titles.get(title_key(title))
            number = parse_numeral(article[1:-1])
            parts = lex.article(doc_id, number) if doc_id and number else []
            body = "\n".join(lex.chunks[i].text for i in parts) if parts else None
            found.append((f"《{title}》{article}", body))
        return found


def _yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
