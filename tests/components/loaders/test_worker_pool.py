"""The parser sandbox's long-lived children: one child serves many files, and nothing a child
went through before can change the verdict on the next file."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from assistant.components.loaders import DocumentLoader, sandbox
from assistant.components.loaders.worker_pool import POOL
from assistant.domain import DocumentLoadError
from assistant.settings import Settings


@pytest.fixture(autouse=True)
def _clean_pool() -> object:
    sandbox.shutdown_workers()
    yield
    sandbox.shutdown_workers()


def _note(tmp_path: Path, name: str, sentence: str) -> Path:
    path = tmp_path / name
    path.write_text(f"# 须知\n\n{sentence}\n", encoding="utf-8")
    return path


def test_one_child_parses_many_files_in_turn(settings: Settings, tmp_path: Path) -> None:
    loader = DocumentLoader(settings)
    pids = []
    for n in range(3):
        document = loader.load(_note(tmp_path, f"n{n}.md", f"第{n}份：暴雨时远离地下空间。"))
        assert f"第{n}份：暴雨时远离地下空间。" in document.text
        pids.append(POOL.live_pids())
    assert len(pids[0]) == 1
    assert pids[0] == pids[1] == pids[2]


def test_a_dead_idle_child_is_replaced(settings: Settings, tmp_path: Path) -> None:
    loader = DocumentLoader(settings)
    loader.load(_note(tmp_path, "a.md", "台风来了关好门窗。"))
    (pid,) = POOL.live_pids()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    document = loader.load(_note(tmp_path, "b.txt", "远离广告牌。"))
    assert "远离广告牌。" in document.text
    assert POOL.live_pids() and pid not in POOL.live_pids()


def test_after_a_timeout_the_next_file_gets_a_new_child(settings: Settings, tmp_path: Path) -> None:
    loader = DocumentLoader(settings)
    loader.load(_note(tmp_path, "a.md", "台风来了关好门窗。"))
    (first,) = POOL.live_pids()
    html = tmp_path / "deep.html"
    html.write_text("<div>" * 400_000 + "深" + "</div>" * 400_000, encoding="utf-8")
    with pytest.raises(DocumentLoadError) as failure:
        DocumentLoader(settings.model_copy(update={"pdf_timeout_s": 0.05})).load(html)
    assert "解析超时" in failure.value.reason
    assert POOL.live_pids() == []  # the child that timed out was killed, not kept
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)
    assert "远离广告牌。" in loader.load(_note(tmp_path, "b.md", "远离广告牌。")).text


def _flaky(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str) -> Path:
    log = tmp_path / "starts.log"
    monkeypatch.setattr(sandbox, "WORKER_MODULE", "tests.components.loaders.flaky_worker")
    monkeypatch.setenv("FLAKY_WORKER_LOG", str(log))
    monkeypatch.setenv("FLAKY_WORKER_MODE", mode)
    return log


@pytest.mark.parametrize("mode", ["die", "memory", "garbage"])
def test_a_worn_childs_failure_is_retried_in_a_fresh_child(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    log = _flaky(monkeypatch, tmp_path, mode)
    loader = DocumentLoader(settings)
    loader.load(_note(tmp_path, "a.md", "台风来了关好门窗。"))
    (worn,) = POOL.live_pids()
    document = loader.load(_note(tmp_path, "b.md", "远离广告牌。"))  # the worn child fails it
    assert "远离广告牌。" in document.text  # …and a fresh child reads it
    assert log.read_text(encoding="utf-8").splitlines() == ["start", "start"]
    assert worn not in POOL.live_pids()  # a child that failed so is never reused


def test_a_fresh_childs_memory_failure_is_the_files_verdict(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry is for a worn child only: a fresh child's failure is not tried again."""
    log = _flaky(monkeypatch, tmp_path, "memory")
    monkeypatch.setenv("FLAKY_WORKER_FAIL_ON", "1")
    with pytest.raises(DocumentLoadError) as failure:
        DocumentLoader(settings).load(_note(tmp_path, "a.md", "台风来了关好门窗。"))
    assert failure.value.reason == f"文本解析超过内存上限 {settings.pdf_memory_mb} MB"
    assert log.read_text(encoding="utf-8").splitlines() == ["start"]
    assert POOL.live_pids() == []  # retired after its memory failure


def test_an_answer_that_is_not_json_is_named_as_such(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that prints something other than its JSON answer is killed and the reason says
    so (not a made-up kill signal or memory limit)."""
    _flaky(monkeypatch, tmp_path, "garbage")
    monkeypatch.setenv("FLAKY_WORKER_FAIL_ON", "1")
    with pytest.raises(DocumentLoadError) as failure:
        DocumentLoader(settings).load(_note(tmp_path, "a.md", "台风来了关好门窗。"))
    assert "无法识别的结果" in failure.value.reason
    assert "内存" not in failure.value.reason and "SIG" not in failure.value.reason
    assert POOL.live_pids() == []


@pytest.mark.parametrize(
    "error",
    [
        MemoryError(),
        # the dynamic loader refused to map a lazily imported extension module (seen in CI under
        # a 20 MB limit: the failure reached the user as an ImportError, not as the memory limit)
        ImportError("lib-dynload/_contextvars.so: failed to map segment from shared object"),
        OSError(12, "Cannot allocate memory"),
    ],
)
def test_an_allocation_refused_under_the_limit_is_a_memory_failure(error: Exception) -> None:
    from assistant.components.loaders import worker

    answer = worker.failure("PDF", error, 20)
    assert answer == {"ok": False, "memory": True, "reason": "PDF 解析超过内存上限 20 MB"}


def test_an_ordinary_import_error_is_not_called_a_memory_failure() -> None:
    from assistant.components.loaders import worker

    answer = worker.failure("PDF", ImportError("No module named 'pypdf'"), 20)
    assert "memory" not in answer and answer["reason"] == "PDF 解析失败：ImportError: No module named 'pypdf'"
