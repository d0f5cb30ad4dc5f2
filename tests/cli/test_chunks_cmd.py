"""``python -m assistant chunks``: human and JSON listings, clear errors for unreadable files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import PROJECT_ROOT

REGULATION = (
    "# 某市防灾条例\n\n2020年5月6日 某次会议通过\n\n## 第一章 总则\n\n"
    "第一条 为了减轻灾害损失，制定本条例。\n\n"
    "第二条 本条例适用于本市行政区域内的防灾活动以及相关的管理工作。\n\n"
    "## 第二章 附则\n\n第三条 本条例自2030年1月1日起施行。\n"
)


@pytest.fixture
def regulation(tmp_path: Path) -> Path:
    path = tmp_path / "某市防灾条例(2020-05-06).md"
    path.write_text(REGULATION, encoding="utf-8")
    return path


def test_human_listing_shows_locator_page_length_and_preview(
    regulation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chunks", str(regulation)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("《某市防灾条例》") and "片段：3" in lines[0] and "2020-05-06" in lines[0]
    assert len(lines) == 4
    assert "第一章 第一条" in lines[1] and "19字" in lines[1] and "第一条 为了减轻灾害损失" in lines[1]
    assert "第二章 第三条" in lines[3]
    second = "第二条 本条例适用于本市行政区域内的防灾活动以及相关的管理工作。"
    assert f"{len(second)}字" in lines[2]


def test_json_listing_has_text_locator_and_metadata(
    regulation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chunks", str(regulation), "--json"]) == 0
    out = capsys.readouterr().out
    assert "第一条" in out  # Chinese is not escaped
    payload = json.loads(out)
    assert [item["locator"] for item in payload] == ["第一章 第一条", "第一章 第二条", "第二章 第三条"]
    assert set(payload[0]) == {"text", "locator", "metadata"}
    assert payload[0]["text"] == "第一条 为了减轻灾害损失，制定本条例。"
    assert payload[2]["metadata"]["article_no"] == 3
    assert payload[2]["metadata"]["chapter"] == "第二章 附则"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty.md"),
        ("old.doc", b"\xd0\xcf\x11\xe0 legacy", ".doc"),
    ],
)
def test_unreadable_file_reports_reason_on_stderr_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["chunks", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert reason in captured.err and "无法读取" in captured.err


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chunks", str(tmp_path / "nope.md")]) == 1
    assert "文件不存在" in capsys.readouterr().err


@pytest.mark.slow
def test_module_entry_point_in_a_subprocess(regulation: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "chunks", str(regulation), "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 3
