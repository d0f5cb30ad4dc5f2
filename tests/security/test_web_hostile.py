"""Abuse of a real app process on loopback: upload floods, login guessing, oversized fields.

Two apps: one with logins (admin + viewer), one without (read-only library, as documented).
Every loop is bounded in count; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import ADMIN, VIEWER, RunningApp, make_corpus, running_app

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def open_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """No login: the library is read-only for everyone."""
    root = tmp_path_factory.mktemp("readonly")
    with running_app(
        root, make_corpus(root), {"RESILIENCE_AUTH": None, "RESILIENCE_LOCAL_ADMIN": None}
    ) as app:
        yield app


@pytest.fixture(scope="module")
def login_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    root = tmp_path_factory.mktemp("login")
    env: dict[str, str | None] = {
        "RESILIENCE_AUTH": f"{ADMIN[0]}:{ADMIN[1]},{VIEWER[0]}:{VIEWER[1]}",
        "RESILIENCE_ADMIN_USERS": ADMIN[0],
    }
    with running_app(root, make_corpus(root), env) as app:
        yield app


def post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def multipart(name: str, payload: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "----resilience-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def login(app: RunningApp, user: str, password: str) -> tuple[int, dict[str, str], str]:
    data = urllib.parse.urlencode({"username": user, "password": password}).encode()
    status, headers, _ = post(app.url + "/login", data, {"Content-Type": "application/x-www-form-urlencoded"})
    cookie = "; ".join(part.split(";", 1)[0] for key, part in headers.items() if key.lower() == "set-cookie")
    return status, headers, cookie


def cache_files(app: RunningApp) -> int:
    """Files Gradio keeps in its upload cache (GRADIO_TEMP_DIR or the system temp folder)."""
    import tempfile

    root = Path(app.env.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def test_anonymous_uploads_are_refused_on_a_read_only_app(open_app: RunningApp) -> None:
    before = cache_files(open_app)
    statuses = []
    for n in range(10):
        body, headers = multipart(f"flood{n}.exe", b"MZ" + b"\x00" * 1024)
        statuses.append(post(open_app.url + "/gradio_api/upload", body, headers)[0])
    assert statuses == [403] * 10
    assert cache_files(open_app) == before


def test_uploads_need_an_admin_login(login_app: RunningApp) -> None:
    body, headers = multipart("note.md", "# 标题\n\n第一条 测试。\n".encode())
    assert post(login_app.url + "/gradio_api/upload", body, headers)[0] in (401, 403)
    _, _, viewer = login(login_app, *VIEWER)
    assert post(login_app.url + "/gradio_api/upload", body, {**headers, "Cookie": viewer})[0] == 403
    _, _, admin = login(login_app, *ADMIN)
    status, _, reply = post(login_app.url + "/gradio_api/upload", body, {**headers, "Cookie": admin})
    assert status == 200 and json.loads(reply)


def test_login_guessing_is_slowed_down_but_the_user_gets_back_in(login_app: RunningApp) -> None:
    statuses = [login(login_app, "viewer", f"guess-{n}")[0] for n in range(12)]
    assert statuses[:5] == [400] * 5
    assert 429 in statuses[5:]
    status, headers, _ = login(login_app, *VIEWER)
    if status == 429:  # the right password waits like any other try, then works
        wait = int({k.lower(): v for k, v in headers.items()}["retry-after"])
        assert 1 <= wait <= 300
        time.sleep(wait + 0.2)
        status, _, _ = login(login_app, *VIEWER)
    assert status == 200


def test_oversized_api_fields_are_refused_before_any_work(login_app: RunningApp) -> None:
    from gradio_client import Client

    client = Client(login_app.url, auth=ADMIN, verbose=False)
    with pytest.raises(Exception, match="history 第 1 条过长"):
        client.predict("台风来了怎么办", "resident", ["台" * 100_000], api_name="/ask")
    with pytest.raises(Exception, match="history 过长"):
        client.predict("台风来了怎么办", "resident", ["台风"] * 50, api_name="/ask")
    with pytest.raises(Exception, match="问题过长"):
        client.predict("台" * 5000, "resident", [], api_name="/ask")
    db = login_app.data / "assessments.db"
    size = db.stat().st_size if db.exists() else 0
    with pytest.raises(Exception, match="org"):
        client.predict("family-emergency", "{}", "某" * 1_000_000, api_name="/assess")
    with pytest.raises(Exception, match="answers 过大"):
        client.predict("family-emergency", json.dumps({"x": "y" * 200_000}), "家", api_name="/assess")
    assert (db.stat().st_size if db.exists() else 0) == size
    ok = client.predict("台风来了怎么办", "resident", ["台风"], api_name="/ask")
    assert ok["citations"] or ok["refused"]
