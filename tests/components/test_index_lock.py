"""The inter-process write lock, exercised with a real second process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.components.index_lock import WAITING_MESSAGE, IndexBusyError, IndexLock

ROOT = Path(__file__).resolve().parents[2]
HOLDER = (
    "import sys, time\n"
    "from assistant.components.index_lock import IndexLock\n"
    "with IndexLock(sys.argv[1], 5):\n"
    "    print('HELD', flush=True)\n"
    "    time.sleep(float(sys.argv[2]))\n"
)


def _hold(index_dir: Path, seconds: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(index_dir), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "HELD"
    return child


def test_second_writer_waits_then_fails_clearly(tmp_path: Path) -> None:
    child = _hold(tmp_path, 30)
    messages: list[str] = []
    try:
        started = time.monotonic()
        with (
            pytest.raises(IndexBusyError, match="Chroma 服务器模式"),
            IndexLock(tmp_path, 0.6, notify=messages.append),
        ):
            pass
        assert time.monotonic() - started >= 0.5
        assert messages == [WAITING_MESSAGE]
    finally:
        child.kill()
        child.wait()


def test_second_writer_gets_the_lock_when_the_first_finishes(tmp_path: Path) -> None:
    child = _hold(tmp_path, 0.5)
    messages: list[str] = []
    with IndexLock(tmp_path, 20, notify=messages.append):
        assert child.poll() is not None or child.wait(5) == 0  # holder finished before we got in
    assert messages == [WAITING_MESSAGE]


def test_uncontended_lock_is_silent(tmp_path: Path) -> None:
    messages: list[str] = []
    with IndexLock(tmp_path, 1, notify=messages.append):
        assert (tmp_path / ".write.lock").exists()
    assert messages == []
