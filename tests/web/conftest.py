"""The web app under test: one real ``app.py`` process per session on a free loopback port.

Its knowledge pack is a SMALL copy of ``corpus/`` (three guides, one procedure, the
checklists and the YAML data files) plus a made-up regulation whose articles carry HTML,
script and Markdown image/link syntax, plus one real regulation from ../shared when present.
The app builds its own index at start (the same path as ``make run``), so the first start
also tests that the index is built when missing. Login is on: ``admin`` may change the
library, ``viewer`` may not.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

SHARED_REGULATION = (
    PROJECT_ROOT.parent / "shared" / "corpus" / "regulations" / "上海市防汛条例(2021-11-25).md"
)
ADMIN = ("admin", "admin-secret-1")
VIEWER = ("viewer", "viewer-secret-2")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"

#: A regulation-shaped document whose text tries every way of becoming markup.
HOSTILE_DOC = """# 窨井盖巡查试行办法

## 第一章 总则

第一条 物业服务企业应当每周开展窨井盖巡查<script>window.__xss=1</script>并登记巡查记录。

第二条 发现窨井盖缺失的，巡查人员应当设置围挡<img src=x onerror="window.__xss=2">并立即报告街道办事处。

第三条 窨井盖巡查记录应当保存两年![巡查照片](http://127.0.0.1:9/leak.png)，并接受[核查](javascript:alert(1))。
"""


@dataclass(frozen=True)
class RunningApp:
    url: str
    port: int
    env: dict[str, str]
    corpus: Path
    index: Path
    data: Path
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_corpus(root: Path) -> Path:
    """A few cards of the bundled pack, its data files, the hostile document and one regulation."""
    corpus = root / "corpus"
    src = PROJECT_ROOT / "corpus"
    corpus.mkdir(parents=True)
    for data_file in src.glob("*.yaml"):  # glossary, vocabulary, emergency numbers, scope, …
        shutil.copy(data_file, corpus / data_file.name)
    shutil.copytree(src / "checklists", corpus / "checklists")
    for card in (
        "guides/gas-leak.md",
        "guides/elevator-trapped.md",
        "guides/high-rise-fire.md",
        "procedures/typhoon-warning.md",
    ):
        (corpus / card).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / card, corpus / card)
    (corpus / "regulations").mkdir()
    (corpus / "regulations" / "manhole.md").write_text(HOSTILE_DOC, encoding="utf-8")
    if SHARED_REGULATION.is_file():
        shutil.copy(SHARED_REGULATION, corpus / "regulations" / SHARED_REGULATION.name)
    return corpus


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"app.py did not come up in {timeout} s:\n{log.read_text(errors='replace')}")


@contextmanager
def running_app(root: Path, corpus: Path, extra_env: dict[str, str | None]) -> Iterator[RunningApp]:
    """Start ``app.py`` over ``corpus`` with its index and data under ``root``; stop it after.

    ``extra_env`` overrides the environment (``None`` removes a variable). Starting again with
    the same ``root`` is a restart: the same index, uploads and history.
    """
    port = free_port()
    env = {
        **os.environ,
        "RESILIENCE_CORPUS_DIR": str(corpus),
        "RESILIENCE_DATA_DIR": str(root / "data"),
        "RESILIENCE_INDEX_DIR": str(root / "index"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    }
    for key, value in extra_env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    log = root / f"app-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(PROJECT_ROOT / "app.py"),
                "--port",
                str(port),
                "--index",
                str(root / "index"),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc, log)
        yield RunningApp(url, port, env, corpus, root / "index", root / "data", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    root = tmp_path_factory.mktemp("webapp")
    corpus = make_corpus(root)
    env: dict[str, str | None] = {
        "RESILIENCE_AUTH": f"{ADMIN[0]}:{ADMIN[1]},{VIEWER[0]}:{VIEWER[1]}",
        "RESILIENCE_ADMIN_USERS": ADMIN[0],
        "RESILIENCE_UPLOAD_MAX_MB": "2",
    }
    with running_app(root, corpus, env) as app:
        yield app


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
