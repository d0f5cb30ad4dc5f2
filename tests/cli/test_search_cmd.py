"""``search`` through the real command line: the JSON contract, one entry per article, batches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.services.conftest import GUIDE, REGULATION

pytestmark = pytest.mark.slow


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    docs = root / "docs"
    docs.mkdir()
    (docs / "上海市社区防灾示例条例.md").write_text(REGULATION, encoding="utf-8")
    (docs / "home-fire.md").write_text(GUIDE, encoding="utf-8")
    done = run_cli("ingest", str(docs), "--index", str(root / "index"), "--json")
    assert done.returncode == 0, done.stderr
    return root / "index"


def test_search_json_contract(index: Path) -> None:
    done = run_cli("search", "楼道里给电瓶车充电罚多少", "--index", str(index), "--json", "--k", "4")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"id", "intent", "results", "timings_ms"} and set(data["timings_ms"]) == {"total"}
    assert 1 <= len(data["results"]) <= 4
    keys = {
        "source",
        "file",
        "locator",
        "text",
        "score",
        "status",
        "effective_date",
        "version_date",
        "repealed_by",
    }
    assert all(set(r) == keys for r in data["results"])
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    units = [(r["file"], r["locator"]) for r in data["results"]]
    assert len(units) == len(set(units))  # one entry per article
    assert data["results"][0]["locator"] == "第七条"
    assert "二百元以下罚款" in data["results"][0]["text"]  # the whole article
    again = json.loads(
        run_cli("search", "楼道里给电瓶车充电罚多少", "--index", str(index), "--json", "--k", "4").stdout
    )
    assert [r["locator"] for r in again["results"]] == [r["locator"] for r in data["results"]]


def test_search_batch_keeps_ids_and_reports_bad_lines(index: Path, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "q": "家里着火怎么办", "audience": "resident"}\n'
        "not json\n"
        '{"id": "b", "q": "燃气泄漏要关什么"}\n',
        encoding="utf-8",
    )
    done = run_cli("search", "--batch", str(batch), "--json", "--k", "3", "--index", str(index))
    assert done.returncode == 1 and "第 2 行无效" in done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and all(r["results"] for r in rows)


def test_search_rejects_bad_k(index: Path) -> None:
    done = run_cli("search", "台风", "--k", "0", "--index", str(index))
    assert done.returncode == 2 and "--k" in done.stderr
