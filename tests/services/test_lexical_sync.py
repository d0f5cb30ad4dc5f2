"""A running reader (the web app) sees documents another process ingested meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.factory import build_assistant
from assistant.settings import PROJECT_ROOT, load_settings

pytestmark = pytest.mark.slow

FIRST = "# 防汛值班说明\n\n## 汛期值班安排\n\n汛期街道实行二十四小时值班，值班人员保持电话畅通。\n"
SECOND = "# 窨井盖巡查说明\n\n## 窨井盖巡查要求\n\n暴雨前物业应当逐个检查小区窨井盖是否缺失或者松动。\n"


def ingest_cli(index: Path, path: Path, published: Path | None = None) -> dict[str, Any]:
    """One ``ingest --json`` run in its own process (another writer); ``published`` makes it the
    worker of a deployment (RESILIENCE_LEXICAL_DIR). Returns the JSON report."""
    env = {key: value for key, value in os.environ.items() if key != "RESILIENCE_LEXICAL_DIR"}
    if published is not None:
        env["RESILIENCE_LEXICAL_DIR"] = str(published)
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(path), "--index", str(index), "--json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_reader_sees_another_processes_ingest(tmp_path: Path) -> None:
    index = tmp_path / "index"
    (tmp_path / "a.md").write_text(FIRST, encoding="utf-8")
    (tmp_path / "b.md").write_text(SECOND, encoding="utf-8")
    ingest_cli(index, tmp_path / "a.md")

    reader = build_assistant(load_settings(index_dir=index, data_dir=tmp_path / "data"))
    first = reader.answer_service.ask("汛期街道值班怎么安排")
    assert first.citations and first.citations[0].file == "a.md"
    before = reader.retriever.retrieve("窨井盖巡查").items
    assert all(item.chunk.metadata["file"] != "b.md" for item in before)

    ingest_cli(index, tmp_path / "b.md")  # another process writes while the reader lives

    after = reader.answer_service.ask("暴雨前窨井盖要怎么检查", audience="staff")
    assert not after.refused
    assert after.citations[0].file == "b.md"
    hit = reader.retriever.retrieve("窨井盖巡查").items[0]
    assert hit.sources.get("dense", 0) > 0, "dense search must see the new vectors too"
