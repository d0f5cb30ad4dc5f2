from pathlib import Path

from assistant.components.lexical_index import LexicalIndex
from assistant.components.tokenizer import ChineseTokenizer
from assistant.domain import Chunk


def _chunk(cid: str, text: str, **meta: object) -> Chunk:
    base: dict[str, object] = {"doc_id": "d1", "title": "测试条例", "ordinal": int(cid[-1])}
    base.update(meta)
    return Chunk(cid, text, f"《测试条例》\n{text}", base)


CHUNKS = [
    _chunk(
        "c0", "第一条 居民委员会应当协助做好防汛工作。", article_no=1, doc_type="regulation", audience="staff"
    ),
    _chunk(
        "c1",
        "第二条 燃气用户应当安全使用燃气。",
        article_no=2,
        doc_type="regulation",
        audience="resident,staff",
    ),
    _chunk(
        "c2", "第三条 电动自行车不得在楼道充电。", article_no=3, part=1, doc_type="guide", audience="resident"
    ),
    _chunk(
        "c3",
        "第三条（续）违反规定的，由消防部门处罚。",
        article_no=3,
        part=2,
        doc_type="guide",
        audience="resident",
    ),
]


def test_bm25_ranks_matching_chunk_first() -> None:
    index = LexicalIndex(ChineseTokenizer())
    index.build(CHUNKS, generation=1)
    scores = index.scores(index.tokenizer.tokenize("燃气怎么安全使用"))
    assert int(scores.argmax()) == index.index_of("c1")
    assert index.scores(["完全未知的词"]).max() == 0
    assert index.document_frequency("燃气") == 1


def test_article_lookup_and_filters() -> None:
    index = LexicalIndex(ChineseTokenizer())
    index.build(CHUNKS, generation=1)
    parts = [index.chunks[i].id for i in index.article("d1", 3)]
    assert parts == ["c2", "c3"]
    mask = index.mask({"audience": "staff"})
    assert mask is not None
    assert [c.id for c, keep in zip(index.chunks, mask, strict=True) if keep] == ["c0", "c1"]
    mask = index.mask({"doc_type": ["guide"], "audience": "resident"})
    assert mask is not None and int(mask.sum()) == 2
    assert index.mask({"doc_type": None}) is not None and index.mask(None) is None


def test_save_and_load_respects_generation(tmp_path: Path) -> None:
    index = LexicalIndex(ChineseTokenizer())
    index.build(CHUNKS, generation=7)
    folder = tmp_path / "bm25"
    index.save(folder)
    again = LexicalIndex(ChineseTokenizer())
    assert again.load(folder, 7)
    assert [c.id for c in again.chunks] == [c.id for c in index.chunks]
    query = again.tokenizer.tokenize("电动自行车楼道充电")
    assert list(again.scores(query)) == list(index.scores(query))
    assert not LexicalIndex(ChineseTokenizer()).load(folder, 8)  # stale generation: rebuild
    assert not LexicalIndex(ChineseTokenizer()).load(tmp_path / "missing", 7)


def test_empty_index_scores_nothing() -> None:
    index = LexicalIndex(ChineseTokenizer())
    index.build([], generation=0)
    assert len(index) == 0
    assert index.scores(["燃气"]).size == 0


class _CountingTokenizer(ChineseTokenizer):
    """The real tokenizer, counting the texts it was asked to tokenise."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def tokenize(self, text: str) -> list[str]:
        self.texts.append(text)
        return super().tokenize(text)


def test_a_rebuild_tokenises_only_new_or_changed_chunks(tmp_path: Path) -> None:
    from assistant.components.lexical_index import previous_index

    first = LexicalIndex(ChineseTokenizer())
    first.build(CHUNKS, generation=1)
    first.save(tmp_path / "bm25")
    previous = previous_index(tmp_path / "bm25")
    assert previous is not None and previous.generation == 1
    assert [c.id for c in previous.chunks] == [c.id for c in first.chunks]

    edited = _chunk("c1", "第二条 燃气用户应当定期检查燃气软管。", article_no=2)
    added = _chunk("c4", "第四条 台风来临前物业应当检查广告牌。", article_no=4)
    chunks = [CHUNKS[0], edited, CHUNKS[2], CHUNKS[3], added]
    counting = _CountingTokenizer()
    reused = LexicalIndex(counting)
    reused.build(chunks, generation=2, previous=previous)
    assert sorted(counting.texts) == sorted([edited.embed_text, added.embed_text])

    fresh = LexicalIndex(ChineseTokenizer())
    fresh.build(chunks, generation=2)
    for question in ("燃气软管", "台风 广告牌", "电动自行车 楼道", "安全使用燃气"):
        tokens = fresh.tokenizer.tokenize(question)
        assert fresh.known_tokens(tokens) == reused.known_tokens(tokens)
        assert (reused.scores(tokens) == fresh.scores(tokens)).all()
    # "安全" only occurred in the edited chunk's old text: gone from the vocabulary too
    assert first.document_frequency("安全") == 1
    assert reused.document_frequency("安全") == fresh.document_frequency("安全") == 0
    assert previous_index(tmp_path / "missing") is None


def test_a_folder_saved_with_token_lists_is_reused(tmp_path: Path) -> None:
    """Index folders written before term counts existed kept every chunk's tokens (tokens.json)."""
    import json

    from assistant.components.lexical_index import previous_index

    first = LexicalIndex(ChineseTokenizer())
    first.build(CHUNKS, generation=1)
    folder = tmp_path / "bm25"
    first.save(folder)
    lines = [" ".join(first.tokenizer.tokenize(c.embed_text)) for c in first.chunks]
    (folder / "tokens.json").write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    (folder / "terms.npz").unlink()
    previous = previous_index(folder)
    assert previous is not None
    counting = _CountingTokenizer()
    again = LexicalIndex(counting)
    again.build(CHUNKS, generation=2, previous=previous)
    assert counting.texts == []
    tokens = again.tokenizer.tokenize("燃气怎么安全使用")
    assert (again.scores(tokens) == first.scores(tokens)).all()
