"""The named API (``ask``, ``assess``, ``checklists``) and the file routes of the running app.

The JSON must equal what the CLI prints for the same input, so both shells are run against
the same index and data folder and compared field by field (timings and the assessment
time stamp differ by nature).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant.settings import PROJECT_ROOT
from tests.web.conftest import ADMIN, VIEWER, RunningApp

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(web_app: RunningApp) -> Client:
    return Client(web_app.url, auth=VIEWER, verbose=False)


def cli_json(web_app: RunningApp, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=PROJECT_ROOT,
        env=web_app.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_only_the_three_named_endpoints_are_public(client: Client) -> None:
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(named) == {"/ask", "/assess", "/checklists"}


def test_ask_returns_the_cli_json(web_app: RunningApp, client: Client) -> None:
    question = "台风红色预警时居委会要做什么？"
    got = client.predict(question, "staff", [], api_name="/ask")
    expected = cli_json(
        web_app, "ask", question, "--audience", "staff", "--json", "--index", str(web_app.index)
    )
    assert set(got) == set(expected) == {"id", "answer", "refused", "citations", "timings_ms"}
    assert got["answer"] == expected["answer"]
    assert got["refused"] is False and got["citations"] == expected["citations"]
    assert any("台风" in c["source"] or "防汛" in c["source"] for c in got["citations"])
    assert set(got["timings_ms"]) == set(expected["timings_ms"])


def test_ask_follow_up_uses_history(client: Client) -> None:
    first = client.predict("台风蓝色预警时居委会要做什么？", "staff", [], api_name="/ask")
    follow = client.predict("那红色预警呢？", "staff", ["台风蓝色预警时居委会要做什么？"], api_name="/ask")
    alone = client.predict("那红色预警呢？", "staff", [], api_name="/ask")
    assert not first["refused"] and not follow["refused"]
    assert any("台风" in c["source"] or "防汛" in c["source"] for c in follow["citations"])
    assert follow["answer"] != alone["answer"]


def test_ask_rejects_bad_input_with_a_clear_message(client: Client) -> None:
    with pytest.raises(Exception, match="audience"):
        client.predict("燃气泄漏怎么办", "tourist", [], api_name="/ask")
    with pytest.raises(Exception, match="问题不能为空"):
        client.predict("   ", "resident", [], api_name="/ask")


def test_checklists_returns_the_cli_json(web_app: RunningApp, client: Client) -> None:
    got = client.predict(api_name="/checklists")
    assert got == cli_json(web_app, "checklists", "--json")
    assert {row["id"] for row in got["checklists"]} >= {"family-emergency", "community-disaster-readiness"}


def _answers(client: Client, web_app: RunningApp, checklist_id: str) -> dict[str, str]:
    """Lowest option for the first item of each dimension, highest for the rest (deterministic)."""
    from assistant.services.assess import load_checklist

    checklist = load_checklist(web_app.corpus / "checklists" / f"{checklist_id}.yaml")
    answers: dict[str, str] = {}
    for dim in checklist.dimensions:
        for i, item in enumerate(dim.items):
            scores = sorted(item.options, key=lambda o: o.score)
            answers[item.id] = (scores[0] if i == 0 else scores[-1]).label
    return answers


def test_assess_returns_the_cli_json(web_app: RunningApp, client: Client, tmp_path: Path) -> None:
    answers = _answers(client, web_app, "family-emergency")
    got = client.predict(
        "family-emergency", json.dumps(answers, ensure_ascii=False), "API测试家庭", api_name="/assess"
    )
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    expected = cli_json(web_app, "assess", "family-emergency", str(path), "--org", "API测试家庭", "--json")
    assert got.pop("assessed_at") and expected.pop("assessed_at")
    assert got == expected
    assert got["weak_points"] and got["total"] < 100 and got["level"]


def test_assess_names_every_bad_answer(client: Client) -> None:
    with pytest.raises(Exception, match="缺少答案"):
        client.predict("family-emergency", json.dumps({}), "", api_name="/assess")
    with pytest.raises(Exception, match="JSON"):
        client.predict("family-emergency", "{not json", "", api_name="/assess")
    with pytest.raises(Exception, match="id"):
        client.predict("/etc/passwd", "{}", "", api_name="/assess")


def test_login_is_required(web_app: RunningApp) -> None:
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError/AppError
        Client(web_app.url, auth=("viewer", "wrong"), verbose=False)
    Client(web_app.url, auth=ADMIN, verbose=False)


TRAVERSALS = [
    "/file=/etc/passwd",
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/gradio_api/file=%252Fetc%252Fpasswd",
    "/gradio_api/file/etc/passwd",
    "/gradio_api/file/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/assets/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/svelte/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=/proc/self/environ",
]


def _login_cookie(web_app: RunningApp) -> str:
    data = urllib.parse.urlencode({"username": VIEWER[0], "password": VIEWER[1]}).encode()
    request = urllib.request.Request(web_app.url + "/login", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        cookies = response.headers.get_all("set-cookie") or []
    assert cookies, "login gave no session cookie"
    return "; ".join(c.split(";", 1)[0] for c in cookies)


def _get(url: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("route", TRAVERSALS)
def test_file_routes_never_serve_files_outside_the_app(web_app: RunningApp, route: str) -> None:
    cookie = _login_cookie(web_app)
    status, body = _get(web_app.url + route, cookie)
    assert status in (400, 403, 404), (status, body[:200])
    assert b"root:" not in body and b"RESILIENCE_AUTH" not in body


def test_project_files_are_not_served(web_app: RunningApp) -> None:
    cookie = _login_cookie(web_app)
    secrets = [
        PROJECT_ROOT / "pyproject.toml",
        web_app.corpus / "emergency_numbers.yaml",
        web_app.index / "manifest.sqlite3",
        web_app.data / "assessments.db",
    ]
    for path in secrets:
        status, body = _get(web_app.url + "/gradio_api/file=" + urllib.parse.quote(str(path)), cookie)
        assert status >= 400, f"{path} was served"
        assert b"resilience" not in body[:200].lower() and b"SQLite" not in body[:100]
