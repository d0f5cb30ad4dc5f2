"""``ask`` through the real command line: the JSON contract, batches, and an empty index."""

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
        check=False,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ask")
    docs = root / "docs"
    docs.mkdir()
    (docs / "上海市社区防灾示例条例.md").write_text(REGULATION, encoding="utf-8")
    (docs / "home-fire.md").write_text(GUIDE, encoding="utf-8")
    done = run_cli("ingest", str(docs), "--index", str(root / "index"), "--json")
    assert done.returncode == 0, done.stderr
    return root / "index"


def test_ask_json_contract(index: Path) -> None:
    done = run_cli("ask", "台风红色预警后居委会要组织谁转移", "--index", str(index), "--json", "--k", "3")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"id", "answer", "refused", "citations", "timings_ms"}
    assert data["refused"] is False and data["id"] is None
    assert 1 <= len(data["citations"]) <= 3
    first = data["citations"][0]
    assert set(first) == {
        "n",
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
    assert first["n"] == 1 and first["locator"].endswith("第三条")
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}


def test_ask_human_output_lists_citations(index: Path) -> None:
    done = run_cli("ask", "家里着火了怎么办", "--audience", "resident", "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert "119" in done.stdout.splitlines()[0]
    assert "引用：" in done.stdout and "home-fire.md" in done.stdout


def test_batch_keeps_ids_and_reports_bad_lines(index: Path, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps(
                    {"id": "a", "q": "物业在台风前要检查什么", "audience": "staff"}, ensure_ascii=False
                ),
                json.dumps({"id": "b", "q": "红烧肉怎么做", "audience": "resident"}, ensure_ascii=False),
                "not json",
                json.dumps({"id": "c", "q": "着火了怎么办", "audience": "nobody"}, ensure_ascii=False),
                json.dumps(
                    {
                        "id": "d",
                        "q": "那物业呢？",
                        "audience": "staff",
                        "history": ["台风红色预警后居委会要做什么"],
                    },
                    ensure_ascii=False,
                ),
                json.dumps({"id": "e", "q": "那物业呢？", "history": "台风"}, ensure_ascii=False),
                json.dumps({"id": "f", "q": "那物业呢？", "history": ["台风" * 400]}, ensure_ascii=False),
            ]
        ),
        encoding="utf-8",
    )
    done = run_cli("ask", "--batch", str(batch), "--index", str(index), "--json")
    assert done.returncode == 1  # bad lines are reported, good ones answered
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d"]
    assert rows[0]["refused"] is False and rows[1]["refused"] is True
    # a follow-up keeps the previous question's topic: 台风红色预警后物业要做什么 → 第四条
    assert rows[2]["refused"] is False and "第四条" in rows[2]["citations"][0]["locator"]
    assert "第 3 行" in done.stderr and "第 4 行" in done.stderr
    assert "第 6 行" in done.stderr and "history" in done.stderr
    assert "第 7 行" in done.stderr


def test_empty_index_says_how_to_build_it(tmp_path: Path) -> None:
    done = run_cli("ask", "台风来了怎么办", "--index", str(tmp_path / "none"))
    assert done.returncode == 1
    assert "索引为空" in done.stderr and "make run" in done.stderr
    assert not (tmp_path / "none").exists(), "asking must not create an index"
