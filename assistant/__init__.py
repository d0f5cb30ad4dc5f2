"""韧性城市知识助手 — an offline Chinese knowledge assistant for urban safety and resilience.

Layers import one way only: ``components`` (loaders, chunkers, embedder, stores)
→ ``services`` (ingest, retrieve, answer, assess) → shells (``assistant.cli``, ``app.py``).
``assistant.factory.build_assistant`` is the one place that wires them together.
"""

__version__ = "0.1.0"
