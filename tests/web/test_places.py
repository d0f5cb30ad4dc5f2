"""地域 of the library table: stored value first, else the place the pack's cards cite most."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from assistant.web.places import UNKNOWN, PlaceResolver, cited_places

CARD = """---
title: {title}
doc_type: guide
sources:
{sources}
---

# {title}

正文。
"""


def _card(folder: Path, name: str, sources: list[str]) -> Path:
    path = folder / name
    lines = "\n".join(f"  - {s}" for s in sources)
    path.write_text(CARD.format(title=name, sources=lines), encoding="utf-8")
    return path


def test_cited_places_ignore_national_law_and_bad_front_matter(tmp_path: Path) -> None:
    card = _card(
        tmp_path, "a.md", ["《上海市防汛条例》第十二条", "《特种设备安全法》第四十三条", "公共安全常识"]
    )
    assert cited_places(card) == {"上海": 1}
    broken = tmp_path / "b.md"
    broken.write_text("---\n: [\n---\n正文", encoding="utf-8")
    assert not cited_places(broken)


def test_pack_documents_without_a_place_get_the_place_the_pack_cites_most(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    a = _card(corpus, "a.md", ["《上海市防汛条例》第十二条", "《北京市安全生产条例》第三条"])
    b = _card(corpus, "b.md", ["《上海市燃气管理条例》第五条", "《自然灾害救助条例》第三条"])
    c = _card(corpus, "c.md", ["《自然灾害救助条例》第四条"])  # cites national law only
    upload = _card(tmp_path, "u.md", [])
    entries = {str(p.resolve()): SimpleNamespace(content_hash=p.name) for p in (a, b, c, upload)}
    places = PlaceResolver(corpus)
    assert places.place(str(c.resolve()), "", entries) == "上海"
    assert places.place(str(a.resolve()), "北京", entries) == "北京"  # front matter / title wins
    assert places.place(str(upload.resolve()), "", entries) == UNKNOWN  # not part of the pack
    assert places.place(str(upload.resolve()), "国家", entries) == "国家"


def test_a_pack_citing_no_local_regulation_shows_unknown(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    card = _card(corpus, "a.md", ["《自然灾害救助条例》第四条"])
    entries = {str(card.resolve()): SimpleNamespace(content_hash="1")}
    assert PlaceResolver(corpus).place(str(card.resolve()), "", entries) == UNKNOWN
