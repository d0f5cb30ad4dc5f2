"""Which place (地域) a document of the library is about, for the 知识库 table.

Why this exists: ingest takes 地域 from a document's front matter or from a place name at the
start of its title (``infer_jurisdiction``). The bundled pack's cards (被困电梯怎么办, 案例：…)
have neither, so all 77 showed an empty 地域 although the pack is Shanghai material: its cards
cite 上海市 regulations in their ``sources`` front matter. The pack's place is therefore
*derived from that data* — the non-national place its cards cite most — and shown for every
pack document that declares none; a card whose front matter names ``jurisdiction`` keeps it
(ingest stores that value). Uploaded documents show what ingest found, or 未注明.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.components.chunking.metadata import NATIONAL, infer_jurisdiction
from assistant.components.knowledge_pack import CardFormatError, split_front_matter

UNKNOWN = "未注明"
_TITLE = re.compile(r"《([^《》]{2,60})》")


def cited_places(card: Path) -> Counter[str]:
    """Places of the regulations a card's front matter ``sources`` cite (national law excluded)."""
    try:
        front, _ = split_front_matter(card.read_text(encoding="utf-8"), card.name)
    except (OSError, UnicodeDecodeError, CardFormatError):
        return Counter()
    sources = front.get("sources") or []
    places: Counter[str] = Counter()
    for source in sources if isinstance(sources, list) else []:
        for title in _TITLE.findall(str(source)):
            place = infer_jurisdiction(title, "regulation")
            if place and place != NATIONAL:
                places[place] += 1
    return places


class PlaceResolver:
    """The 地域 to show per manifest path; the pack's place is recomputed only when files change."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir.resolve()
        self._key: tuple[tuple[str, str], ...] = ()
        self._pack_place = ""

    def is_bundled(self, path: str) -> bool:
        return Path(path).is_relative_to(self.corpus_dir)

    def pack_place(self, entries: Mapping[str, Any]) -> str:
        """The place the bundled cards cite most often ('' when they cite no local regulation)."""
        key = tuple(sorted((p, str(e.content_hash)) for p, e in entries.items() if self.is_bundled(p)))
        if key != self._key:
            total: Counter[str] = Counter()
            for path, _ in key:
                if path.endswith(".md"):
                    total.update(cited_places(Path(path)))
            self._pack_place = total.most_common(1)[0][0] if total else ""
            self._key = key
        return self._pack_place

    def place(self, path: str, stored: str, entries: Mapping[str, Any]) -> str:
        """What the table shows for one document."""
        if stored:
            return stored
        if self.is_bundled(path):
            return self.pack_place(entries) or UNKNOWN
        return UNKNOWN
