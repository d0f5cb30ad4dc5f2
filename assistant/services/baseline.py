"""The vanilla LangChain pipeline the evaluation compares against.

RecursiveCharacterTextSplitter(500, 50) over the loaded text, a langchain-chroma store with
the same embedder, plain top-k similarity search: what a first prototype would do. It lives
in its own persistent folder and is rebuilt only when the set of input files changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.components.loaders import DocumentLoader
from assistant.domain import DocumentLoadError


class VanillaLangChainBaseline:
    """Character windows + dense search only, as a reference point for the evaluation."""

    def __init__(self, loader: DocumentLoader, embeddings: Embeddings, persist_dir: Path) -> None:
        self.loader = loader
        self.embeddings = embeddings
        self.persist_dir = persist_dir
        self._store: Any = None

    def build(self, files: Sequence[Path]) -> int:
        """Index ``files`` unless the same set (by content) is already indexed; returns chunk count."""
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        docs: list[Document] = []
        digest = hashlib.sha256()
        for path in sorted(files):
            try:
                loaded = self.loader.load(path)
            except DocumentLoadError:
                continue
            digest.update(loaded.content_hash.encode())
            docs.append(Document(page_content=loaded.text, metadata={"file": path.name}))
        stamp_path = self.persist_dir / "stamp.json"
        stamp = {"inputs": digest.hexdigest()}
        self._store = Chroma(
            collection_name="vanilla",
            embedding_function=self.embeddings,
            persist_directory=str(self.persist_dir),
            collection_metadata={"hnsw:space": "cosine"},
        )
        if stamp_path.is_file() and json.loads(stamp_path.read_text()) == stamp:
            return int(self._store._collection.count())
        self._store.reset_collection()
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        pieces = splitter.split_documents(docs)
        ids = [f"v{i:06d}" for i in range(len(pieces))]
        for start in range(0, len(pieces), 256):
            self._store.add_documents(pieces[start : start + 256], ids=ids[start : start + 256])
        stamp_path.write_text(json.dumps(stamp))
        return len(pieces)

    def search(self, question: str, k: int = 5) -> list[Document]:
        assert self._store is not None, "call build() first"
        return list(self._store.similarity_search(question, k=k))
