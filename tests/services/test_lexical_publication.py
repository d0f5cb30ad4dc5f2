"""The ingest worker publishes each generation's lexical index; replicas load it, never build it.

Real ingest into a real (embedded) Chroma store; the "replica" is a second assistant on the same
manifest whose own saved copy is gone, as on another machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.factory import build_assistant
from assistant.services.lexical_sync import KEEP_PUBLISHED, LexicalNotReady
from assistant.settings import load_settings
from tests.services.test_lexical_sync import ingest_cli

pytestmark = pytest.mark.slow

DUTY = "# 防汛值班说明\n\n## 汛期值班安排\n\n汛期街道实行二十四小时值班，值班人员保持电话畅通。\n"
MANHOLE = "# 窨井盖巡查说明\n\n## 窨井盖巡查要求\n\n暴雨前物业应当逐个检查小区窨井盖是否缺失或者松动。\n"


def test_replicas_load_the_published_generation_and_wait_for_the_next(tmp_path: Path) -> None:
    index, published = tmp_path / "index", tmp_path / "published"
    (tmp_path / "a.md").write_text(DUTY, encoding="utf-8")
    (tmp_path / "b.md").write_text(MANHOLE, encoding="utf-8")
    report = ingest_cli(index, tmp_path / "a.md", published)
    folder = Path(str(report["published"]))
    assert folder.parent.parent == published and (folder / "vectors.npy").is_file()
    shutil.rmtree(index / "bm25")  # the replica is on another machine: no local copy

    replica = build_assistant(
        load_settings(
            index_dir=index, data_dir=tmp_path / "data", lexical_dir=published, lexical_rebuild=False
        )
    )
    served = replica.lexical_keeper.current()
    assert replica.lexical_keeper.source == "published"
    assert served.generation == replica.manifest.generation()
    # the published vectors are the store's, row for row
    from assistant.components.dense_matrix import DenseMatrix

    own = replica.retriever._dense_matrix(served)
    ids = [c.id for c in served.chunks]
    stored = DenseMatrix.from_vectors(ids, replica.store.vectors(ids))
    assert own is not None and stored is not None and np.allclose(own.vectors, stored.vectors, atol=1e-6)
    assert replica.answer_service.ask("汛期街道值班怎么安排").citations[0].file == "a.md"

    # A new generation written but not yet published: the replica keeps the whole old one.
    ingest_cli(index, tmp_path / "b.md")
    assert replica.lexical_keeper.current() is served
    assert replica.manifest.generation() > int(served.generation or 0)

    report = ingest_cli(index, tmp_path / "b.md", published)  # unchanged file: publishes the generation
    newer = replica.lexical_keeper.current()
    assert newer is not served and newer.generation == replica.manifest.generation()
    assert {c.metadata["file"] for c in newer.chunks} == {"a.md", "b.md"}
    assert len([p for p in published.iterdir() for _ in p.iterdir()]) <= KEEP_PUBLISHED + 1


def test_a_replica_with_nothing_published_is_not_ready(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(DUTY, encoding="utf-8")
    ingest_cli(tmp_path / "index", tmp_path / "a.md")
    shutil.rmtree(tmp_path / "index" / "bm25", ignore_errors=True)
    replica = build_assistant(
        load_settings(
            index_dir=tmp_path / "index",
            data_dir=tmp_path / "data",
            lexical_dir=tmp_path / "published",
            lexical_rebuild=False,
        )
    )
    with pytest.raises(LexicalNotReady, match="尚未发布"):
        replica.lexical_keeper.current()
