"""Embedding in a child process during large ingests.

Why: ingest embeds in the main thread while another thread writes the previous batch to
Chroma. Chroma's local writes hold Python's GIL (measured: 1,200 texts embed in 6.0 s alone and
in 9.4 s while a thread upserts 6,000 rows, the writer's whole 3.3 s), so the embedder, which
uses one core by design (:class:`~assistant.components.embeddings.UseMultilingualEmbeddings`),
stood still during every write although the second core was free; on the shared corpus that
made ingest ~1.2× the embedder alone (issue 15). A child process has its own interpreter: the
parent parses, chunks and writes while the child embeds.

How: :class:`ChildProcessEmbeddings` embeds in process until a run has embedded
:data:`CHILD_AFTER_TEXTS` texts — a small upload never pays for a second model — then starts
``python -m assistant.components.embedding_process MODEL BATCH`` and keeps embedding in process
until the child says it is ready (its start overlaps that work). The child builds the same
embedder (:func:`~assistant.components.embeddings.make_embeddings`) and embeds each request
with the same slicing, so its vectors are the in-process ones, bit for bit. If the child fails,
the rest of the run embeds in process: a child is an optimisation, never a reason to fail a file.
:meth:`close` (called at the end of every ingest run) stops it.

Protocol: one JSON line per request on stdin (``{"texts": [...]}``); the child answers with a
JSON header line (``{"n": N, "dim": D}`` or ``{"error": "…"}``) followed by ``N × D`` float32
values; it writes ``{"ready": true}`` once its model is loaded and exits when stdin closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from langchain_core.embeddings import Embeddings

#: Texts a run embeds in process before it starts the child (about one second of USE work,
#: the child's start-up cost).
CHILD_AFTER_TEXTS = 256
#: How long the child may take to answer: this much, plus :data:`ANSWER_S_PER_TEXT` per text
#: (USE needs ~6 ms a text); a child that takes longer is killed and the run goes on in process.
ANSWER_TIMEOUT_S = 30.0
ANSWER_S_PER_TEXT = 0.05
_READ_CHUNK = 1 << 20
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ChildProcessEmbeddings(Embeddings):
    """``in_process``'s model, run in a child process once a run is large (see the module)."""

    #: The module the child runs (a test points it at a child that misbehaves).
    child_module = __name__

    def __init__(self, model_name: str, batch_size: int, in_process: Embeddings) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.in_process = in_process
        self._child: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._ready = False
        self._failed: str | None = None
        self._embedded_in_run = 0
        self._buffer = b""
        #: How many texts this run embedded in the child (for tests and the bench).
        self.child_texts = 0

    def __getattr__(self, name: str) -> Any:  # name, dimensions… of the wrapped embedder
        if name == "in_process":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.in_process, name)

    def warm_up(self) -> None:
        method = getattr(self.in_process, "warm_up", None)
        if callable(method):
            method()

    def start_child(self, wait_s: float = 0.0) -> bool:
        """Start the child now and wait up to ``wait_s`` for its model; True once it is ready.

        An ingest starts it by itself when the run gets large; this is for callers that know
        the run will be (and for tests, which must not depend on how fast a child starts).
        """
        self._start()
        deadline = time.monotonic() + wait_s
        while not self._child_ready() and self._failed is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self._child_ready()

    def embed_query(self, text: str) -> list[float]:
        return self.in_process.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._failed is None and self._embedded_in_run >= CHILD_AFTER_TEXTS:
            self._start()
        vectors = self._from_child(texts) if self._child_ready() else None
        if vectors is None:
            vectors = self.in_process.embed_documents(texts)
        else:
            self.child_texts += len(texts)
        self._embedded_in_run += len(texts)
        return vectors

    def close(self) -> None:
        """End the run: stop the child (its stdin closes, it exits) and reset the count."""
        child, self._child = self._child, None
        if child is not None:
            if child.stdin is not None:
                with contextlib.suppress(OSError):
                    child.stdin.close()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._ready = False
        self._failed = None
        self._embedded_in_run = 0
        self._buffer = b""

    # --- the child --------------------------------------------------------------------
    def _start(self) -> None:
        if self._child is not None:
            return
        self._stderr = tempfile.TemporaryFile(prefix="embedder-stderr-")  # noqa: SIM115 - closed in close()
        self._child = subprocess.Popen(
            [sys.executable, "-m", self.child_module, self.model_name, str(self.batch_size)],
            cwd=_PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )

    def _child_ready(self) -> bool:
        """Whether the child has loaded its model (never waits for it)."""
        if self._ready or self._child is None or self._failed is not None:
            return self._ready and self._failed is None
        line = self._read(None, time.monotonic())  # only what has arrived already
        if line is None:
            if self._child.poll() is not None:
                self._fail("未能启动")
            return False
        if json.loads(line or b"{}").get("ready"):
            self._ready = True
        else:
            self._fail("未能启动")
        return self._ready

    def _from_child(self, texts: list[str]) -> list[list[float]] | None:
        import numpy as np

        child = self._child
        assert child is not None and child.stdin is not None
        deadline = time.monotonic() + ANSWER_TIMEOUT_S + ANSWER_S_PER_TEXT * len(texts)
        try:
            child.stdin.write(json.dumps({"texts": texts}, ensure_ascii=False).encode("utf-8") + b"\n")
            child.stdin.flush()
            line = self._read(None, deadline)
            header = json.loads(line or b"{}") if line is not None else {"error": "超时或已退出"}
            if "n" not in header:
                self._fail(str(header.get("error", "没有回答")))
                return None
            n, dim = int(header["n"]), int(header["dim"])
            data = self._read(n * dim * 4, deadline)
        except (OSError, ValueError) as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return None
        if data is None or n != len(texts):
            self._fail("回答不完整或超时")
            return None
        return np.frombuffer(data, dtype="<f4").reshape(n, dim).tolist()

    def _read(self, size: int | None, deadline: float) -> bytes | None:
        """A line (``size`` None) or ``size`` bytes from the child, or None when they have not all
        arrived by ``deadline`` or the child closed its output."""
        child = self._child
        assert child is not None and child.stdout is not None
        fd = child.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if size is None and b"\n" in self._buffer:
                    line, self._buffer = self._buffer.split(b"\n", 1)
                    return line
                if size is not None and len(self._buffer) >= size:
                    data, self._buffer = self._buffer[:size], self._buffer[size:]
                    return data
                if not selector.select(timeout=max(deadline - time.monotonic(), 0.0)):
                    return None
                part = os.read(fd, _READ_CHUNK)
                if not part:
                    return None
                self._buffer += part

    def _fail(self, why: str) -> None:
        self._failed = why
        print(f"向量化子进程不可用（{why}），本次其余文件在主进程中向量化", file=sys.stderr)
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()


def serve(model_name: str, batch_size: int) -> int:
    """The child: load the model, say so, answer requests until stdin closes."""
    import numpy as np

    from assistant.components.embeddings import make_embeddings, warm_up

    embeddings = make_embeddings(model_name, batch_size)
    warm_up(embeddings)
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            texts = [str(t) for t in json.loads(line)["texts"]]
            vectors = np.asarray(embeddings.embed_documents(texts), dtype="<f4")
            n, dim = vectors.shape if vectors.size else (0, 0)
            out.write(json.dumps({"n": n, "dim": dim}).encode("utf-8") + b"\n")
            out.write(vectors.tobytes())
        except Exception as exc:  # report it; the parent embeds this run's rest itself
            out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}).encode("utf-8") + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(serve(sys.argv[1], int(sys.argv[2])))
