"""The embedders: bundled USE and a local sentence-transformers model, both offline."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.components.embeddings import (
    EmbeddingModelError,
    collection_name,
    make_embeddings,
)

VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *list("火灾燃气泄漏台风预警电梯救援应急避难所"),
    "the",
    "fire",
]


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(value * value for value in vector))


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (_norm(a) * _norm(b))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT sentence-transformers model built and saved by the test (no download)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-st")
    raw = folder / "raw"
    raw.mkdir()
    (raw / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    BertTokenizer(str(raw / "vocab.txt")).save_pretrained(raw)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=32)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    saved = folder / "model"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(saved))
    return saved


def test_use_multilingual_is_512_dim_normalised_and_deterministic() -> None:
    embeddings = make_embeddings("use-multilingual", batch_size=2)
    texts = ["发生火灾时拨打119", "燃气泄漏先关阀门、开窗通风", "台风红色预警停课停工"]
    first = embeddings.embed_documents(texts)
    assert len(first) == 3 and all(len(vector) == 512 for vector in first)
    assert all(abs(_norm(vector) - 1.0) < 1e-4 for vector in first)
    assert embeddings.embed_documents(texts) == first  # same input, bit-identical output
    reordered = embeddings.embed_documents(list(reversed(texts)))[::-1]
    # other batch neighbours only move float rounding, never the meaning
    assert all(_cosine(a, b) > 0.99999 for a, b in zip(first, reordered, strict=True))
    query = embeddings.embed_query("着火了怎么办")
    assert _cosine(query, first[0]) > _cosine(query, first[2])


@pytest.mark.slow
def test_e5_small_is_384_dim_normalised_deterministic_and_keeps_input_order() -> None:
    embeddings = make_embeddings("e5-small")
    # lengths out of order: batches are sorted by length, results must come back in input order
    texts = [
        "台风红色预警停课停工，居民不要外出",
        "发生火灾时拨打119",
        "燃气泄漏先关阀门、开窗通风，到室外打电话",
    ]
    first = embeddings.embed_documents(texts)
    assert len(first) == 3 and all(len(vector) == 384 for vector in first)
    assert all(abs(_norm(vector) - 1.0) < 1e-3 for vector in first)
    assert embeddings.embed_documents(texts) == first
    alone = [embeddings.embed_documents([t])[0] for t in texts]
    assert all(_cosine(a, b) > 0.999 for a, b in zip(first, alone, strict=True))
    query = embeddings.embed_query("家里煤气味很重怎么办")
    assert _cosine(query, first[2]) > max(_cosine(query, first[0]), _cosine(query, first[1]))


def test_sentence_transformers_model_loads_from_local_path(tiny_model: Path) -> None:
    embeddings = make_embeddings(f"sentence-transformers:{tiny_model}", batch_size=4)
    vectors = embeddings.embed_documents(["火灾", "台风预警", "电梯救援"])
    assert [len(vector) for vector in vectors] == [16, 16, 16]
    assert all(abs(_norm(vector) - 1.0) < 1e-5 for vector in vectors)
    assert embeddings.embed_documents(["火灾", "台风预警", "电梯救援"]) == vectors
    assert vectors[0] != vectors[1]


def test_missing_local_path_is_a_clear_error(tmp_path: Path) -> None:
    embeddings = make_embeddings(f"sentence-transformers:{tmp_path / 'nope'}")
    with pytest.raises(EmbeddingModelError, match="nope"):
        embeddings.embed_query("测试")


def test_model_not_available_offline_fails_fast_without_network() -> None:
    """A hub name that is not cached fails at once; the child process has no network at all."""
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('network access attempted')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from assistant.components.embeddings import make_embeddings, EmbeddingModelError\n"
        "e = make_embeddings('sentence-transformers:acme-org/model-that-is-not-cached-xyz')\n"
        "try:\n"
        "    e.embed_query('x')\n"
        "except EmbeddingModelError as exc:\n"
        "    print('CLEAR:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "CLEAR:" in done.stdout, done.stderr[-2000:]
    assert "acme-org/model-that-is-not-cached-xyz" in done.stdout
    assert "network access attempted" not in done.stdout + done.stderr


def test_unknown_name_is_rejected_with_the_choices() -> None:
    with pytest.raises(EmbeddingModelError, match="use-multilingual"):
        make_embeddings("word2vec")


def test_collection_names_separate_models_and_are_chroma_safe() -> None:
    names = {
        collection_name("use-multilingual"),
        collection_name("e5-small"),
        collection_name("sentence-transformers:BAAI/bge-small-zh-v1.5"),
        collection_name("sentence-transformers:/models/bge-small-zh-v1.5"),
    }
    assert len(names) == 4
    assert "chunks__use-multilingual" in names
    for name in names:
        assert 3 <= len(name) <= 512
        assert name[0].isalnum() and name[-1].isalnum()
        assert all(char.isalnum() or char in "._-" for char in name)
    assert collection_name("sentence-transformers:BAAI/bge-small-zh-v1.5").startswith(
        "chunks__st-bge-small-zh-v1.5__"
    )
