"""What every tab of the web app shares: the one assistant, the access policy and the labels.

Built once per process. The assistant's models and indexes are created before the first
request (see :mod:`assistant.web.startup`), so concurrent requests only ever read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.factory import Assistant
from assistant.web.access import AccessPolicy

CONTENT_DIR = Path(__file__).resolve().parent / "content"


@dataclass
class WebContext:
    assistant: Assistant
    policy: AccessPolicy
    doc_types: dict[str, str] = field(default_factory=dict)
    audiences: dict[str, str] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    emergency: dict[str, Any] = field(default_factory=dict)

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
        )

    def audience_choices(self) -> list[tuple[str, str]]:
        """(label, key) pairs for the audience switch, in the product's order."""
        order = ("resident", "staff", "department")
        return [(self.audiences.get(key, key), key) for key in order]

    def highlight_terms(self, question: str) -> list[str]:
        """The question's content words, for marking them in cited passages."""
        return [t for t in self.assistant.tokenizer.tokenize(question) if len(t) >= 2]


def _yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
