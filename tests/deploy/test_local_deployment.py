"""The deployment of ``deploy/`` as real processes on loopback: PostgreSQL (the shared manifest
and ingest lock), a Chroma server, the ingest worker, two read-only replicas and nginx.

What a city deployment promises, checked end to end: a document the worker ingests is cited by
every replica within seconds; a replica killed under load costs no request (nginx retries on
the other one); a restarted replica serves the current generation by loading the published
lexical index, not by rebuilding it from the store.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.cli.local_deployment import LocalDeployment, find_nginx, http_json, render_nginx
from assistant.settings import PROJECT_ROOT
from tests.postgres_server import postgres_available, running_postgres

pytestmark = [pytest.mark.slow]

CARDS = ("guides/gas-leak.md", "guides/elevator-trapped.md", "procedures/typhoon-warning.md")
NEW_REGULATION = """---
title: 某区无人机巡查示例办法
doc_type: regulation
jurisdiction: 上海
effective_date: 2026-10-01
---
# 某区无人机巡查示例办法

第一条 为规范汛期无人机巡查堤防，制定本办法。

第二条 区水务部门应当在暴雨预警发布后两小时内组织无人机巡查堤防险工段，并将巡查影像留存三十日。

第三条 街道办事处应当配合巡查，发现管涌、渗漏的，立即报告区防汛指挥机构。
"""


def _ask(base: str, question: str) -> dict[str, Any]:
    status, body = http_json(
        base + "/v1/chat/completions",
        {"model": "resilience-staff", "messages": [{"role": "user", "content": question}]},
        timeout=60,
    )
    assert status == 200, body
    return dict(body["choices"][0]["message"])


def _cites(message: dict[str, Any], title: str) -> bool:
    return any(citation.get("source") == title for citation in message.get("citations", []))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    if find_nginx() is None:
        pytest.skip("nginx is not installed (make servers installs Debian's nginx-light)")
    if not postgres_available():
        pytest.skip("PostgreSQL is not installed (make servers installs Debian's postgresql)")
    root = tmp_path_factory.mktemp("deployment")
    library = root / "library"
    for card in CARDS:
        (library / card).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / "corpus" / card, library / card)
    with (
        running_postgres(root / "postgres") as manifest_url,
        LocalDeployment(root / "run", manifest_url=manifest_url) as running,
    ):
        running.start_chroma()
        report = running.ingest(library)
        assert report["total_chunks"] > 0, report
        running.start_replica(1)
        running.start_replica(2)
        running.start_nginx()
        running.library = library  # type: ignore[attr-defined]  # where tests add documents
        yield running


def test_the_rendered_nginx_config_balances_both_replicas() -> None:
    config = render_nginx("127.0.0.1:8080", ["10.0.0.1:7861", "10.0.0.2:7861"])
    assert config.count("server 10.0.0.1:7861 max_fails=1 fail_timeout=5s;") == 2  # api and ui
    assert "hash $remote_addr consistent;" in config and "${" not in config
    assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in config
    with pytest.raises(ValueError, match="副本"):
        render_nginx("8080", [])


def test_health_reports_the_shared_generation_on_every_replica(deployment: LocalDeployment) -> None:
    seen = set()
    for replica in deployment.replicas.values():
        status, body = http_json(f"http://127.0.0.1:{replica.port}/healthz")
        assert status == 200 and body["status"] == "ok" and body["model_loaded"] is True
        assert body["index_generation"] == body["manifest_generation"] > 0
        seen.add(body["index_generation"])
    assert len(seen) == 1
    replicas = {http_json(deployment.url + "/healthz")[1]["replica"] for _ in range(6)}
    assert len(replicas) == 2  # nginx sends stateless requests to both


def test_the_page_and_its_queue_work_through_nginx(deployment: LocalDeployment) -> None:
    from gradio_client import Client

    # Gradio's queue (POST queue/join, then the SSE stream queue/data) must reach one replica:
    # the ui upstream hashes the client address, so both requests land on the same process.
    client = Client(deployment.url, verbose=False)
    got = client.predict("燃气泄漏怎么办", "resident", [], api_name="/ask")
    assert got["citations"] and not got["refused"]


def test_a_document_the_worker_ingests_is_cited_by_both_replicas_within_10_s(
    deployment: LocalDeployment,
) -> None:
    library: Path = deployment.library  # type: ignore[attr-defined]
    question = "暴雨预警发布后区水务部门多长时间内要组织无人机巡查堤防？"
    before = [_ask(f"http://127.0.0.1:{r.port}", question) for r in deployment.replicas.values()]
    assert not any(_cites(message, "某区无人机巡查示例办法") for message in before)

    (library / "drone.md").write_text(NEW_REGULATION, encoding="utf-8")
    report = deployment.ingest(library)
    assert [f["status"] for f in report["files"] if f["file"].endswith("drone.md")] == ["added"]
    published = time.monotonic()
    waiting = dict(deployment.replicas)
    while waiting and time.monotonic() - published < 10:
        for number, replica in list(waiting.items()):
            if _cites(_ask(f"http://127.0.0.1:{replica.port}", question), "某区无人机巡查示例办法"):
                del waiting[number]
        time.sleep(0.2)
    assert not waiting, f"replicas {sorted(waiting)} did not cite the new document within 10 s"


def test_killing_a_replica_under_load_fails_no_request(deployment: LocalDeployment) -> None:
    results: list[int] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            status, _ = http_json(
                deployment.url + "/v1/chat/completions",
                {"model": "resilience-resident", "messages": [{"role": "user", "content": "燃气泄漏怎么办"}]},
                timeout=60,
            )
            results.append(status)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        deployment.kill_replica(1)
        time.sleep(5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    assert len(results) > 10
    assert [status for status in results if status != 200] == []

    # restarted, it serves the generation everyone serves, loaded from the publication
    replica = deployment.start_replica(1)
    status, health = http_json(f"http://127.0.0.1:{replica.port}/healthz")
    assert status == 200 and health["index_generation"] == health["manifest_generation"]
    assert health["lexical_source"] == "published", health
    assert _ask(f"http://127.0.0.1:{replica.port}", "燃气泄漏怎么办")["citations"]
