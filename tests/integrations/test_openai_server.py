"""The OpenAI-compatible endpoint through the official ``openai`` client: one real
``python -m assistant serve-openai`` process on loopback, with bearer tokens and a rate limit."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from tests.integrations.conftest import free_port, listening_addresses, server_env, server_process

pytestmark = pytest.mark.slow

KEY, LIMITED_KEY = "test-key-main-7f3a", "test-key-limited-91bc"
RATE = 30  # per client and minute: the main key makes fewer requests than this in the module
TITLE = "上海市社区防灾示例条例"


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    port: int
    proc: subprocess.Popen[bytes]

    def client(self, key: str | None = KEY) -> openai.OpenAI:
        # no retries: a 429 or 5xx must reach the test, not be retried away
        return openai.OpenAI(base_url=self.base_url, api_key=key or "none", max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def endpoint(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    root = tmp_path_factory.mktemp("openai")
    port = free_port()
    env = server_env(
        sample_index,
        root / "data",
        RESILIENCE_API_KEYS=f"{KEY}, {LIMITED_KEY}",
        RESILIENCE_API_RATE_PER_MINUTE=str(RATE),
    )
    url = f"http://127.0.0.1:{port}/v1"
    with server_process(
        ["serve-openai", "--port", str(port)], env, url + "/models", root / "server.log"
    ) as proc:
        yield Endpoint(url, port, proc)


def test_models_select_the_audience(endpoint: Endpoint) -> None:
    models = endpoint.client().models.list()
    assert [m.id for m in models.data] == ["resilience-resident", "resilience-staff", "resilience-department"]
    assert endpoint.client().models.retrieve("resilience-staff").owned_by == "resilience-assistant"
    assert listening_addresses(endpoint.port) == {"127.0.0.1"}  # the default host is loopback


def test_chat_completion_answers_with_markdown_citations(endpoint: Endpoint) -> None:
    reply = endpoint.client().chat.completions.create(
        model="resilience-staff", messages=[{"role": "user", "content": "楼道里给电瓶车充电罚多少"}]
    )
    choice = reply.choices[0]
    assert reply.object == "chat.completion" and reply.model == "resilience-staff"
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    assert "二百元以下罚款" in content
    answer, _, cited = content.partition("\n\n**引用：**\n")
    assert answer and cited.splitlines()[0].startswith(f"- [1] 《{TITLE}》") and "第七条" in cited
    extra = choice.message.model_extra or {}
    assert extra["refused"] is False
    assert extra["citations"][0]["source"] == TITLE and "第七条" in extra["citations"][0]["locator"]
    assert len(cited.splitlines()) == len(extra["citations"])


def test_streaming_sends_the_same_reply_in_chunks(endpoint: Endpoint) -> None:
    question = [{"role": "user", "content": "家里着火怎么办"}]
    whole = endpoint.client().chat.completions.create(model="resilience-resident", messages=question)
    stream = endpoint.client().chat.completions.create(
        model="resilience-resident", messages=question, stream=True
    )
    chunks = list(stream)
    assert len(chunks) >= 3 and chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert text.startswith("⚠️ 紧急情况请先拨打") and "119" in text  # residents: the emergency number first
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    assert (last.delta.model_extra or {})["citations"][0]["source"] == "家中着火怎么办"
    assert len({c.id for c in chunks}) == 1


def test_raw_stream_is_server_sent_events_ending_with_done(endpoint: Endpoint) -> None:
    body = {
        "model": "resilience-staff",
        "stream": True,
        "messages": [{"role": "user", "content": "台风来临前物业要做什么"}],
    }
    with httpx.stream(
        "POST", endpoint.base_url + "/chat/completions", json=body,
        headers={"Authorization": f"Bearer {KEY}"}, timeout=120,
    ) as response:  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events) and events[-1] == "data: [DONE]"
    payloads = [json.loads(line[6:]) for line in events[:-1]]
    assert {p["object"] for p in payloads} == {"chat.completion.chunk"}
    assert "第四条" in "".join(p["choices"][0]["delta"].get("content", "") for p in payloads)


def test_earlier_user_messages_are_the_history(endpoint: Endpoint) -> None:
    messages = [
        {"role": "system", "content": "你是助手。"},
        {"role": "user", "content": "台风来临前居委会要做什么"},
        {"role": "assistant", "content": "（此前的回答，不作为历史）"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "那物业呢"}],
        },  # content parts, as some clients send
    ]
    content = (
        endpoint.client()
        .chat.completions.create(model="resilience-staff", messages=messages)
        .choices[0]
        .message.content
    )  # type: ignore[arg-type]
    assert content and content.startswith("（已结合上一轮问题“台风来临前居委会要做什么”理解本问题）")
    assert "物业服务企业应当在台风来临前检查" in content  # 第四条, the follow-up resolved against the history
    alone = (
        endpoint.client()
        .chat.completions.create(model="resilience-staff", messages=messages[-1:])
        .choices[0]
        .message.content
    )  # type: ignore[arg-type]
    assert alone and "已结合上一轮问题" not in alone
    many = [{"role": "user", "content": f"问题{n}"} for n in range(30)]  # a long chat: the last 10 are kept
    assert endpoint.client().chat.completions.create(model="resilience-staff", messages=many).choices  # type: ignore[arg-type]


def test_auth_is_required_and_errors_are_openai_shaped(endpoint: Endpoint) -> None:
    with pytest.raises(openai.AuthenticationError) as wrong:
        endpoint.client("not-a-key").models.list()
    assert wrong.value.status_code == 401 and wrong.value.code == "invalid_api_key"
    response = httpx.get(endpoint.base_url + "/models", timeout=10)  # no Authorization header at all
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_field_limits_name_the_field(endpoint: Endpoint) -> None:
    client = endpoint.client()
    with pytest.raises(openai.BadRequestError) as long_question:
        client.chat.completions.create(
            model="resilience-staff", messages=[{"role": "user", "content": "台" * 501}]
        )
    assert long_question.value.param == "messages[0].content" and "问题过长" in long_question.value.message
    history = [{"role": "user", "content": "长" * 501}, {"role": "user", "content": "台风怎么办"}]
    with pytest.raises(openai.BadRequestError) as long_history:
        client.chat.completions.create(model="resilience-staff", messages=history)  # type: ignore[arg-type]
    assert (
        long_history.value.param == "messages[0].content"
        and "history 第 1 条过长" in long_history.value.message
    )
    with pytest.raises(openai.NotFoundError) as model:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "台风"}])
    assert model.value.param == "model" and model.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as last:
        client.chat.completions.create(
            model="resilience-staff",
            messages=[{"role": "user", "content": "台风"}, {"role": "assistant", "content": "好"}],
        )
    assert last.value.param == "messages[1].role"
    big = httpx.post(
        endpoint.base_url + "/chat/completions", content=b"{" + b" " * 300_000 + b"}",
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}, timeout=30,
    )  # fmt: skip
    assert big.status_code == 413 and "请求体过大" in big.json()["error"]["message"]


def test_rate_limit_answers_429_with_retry_after_and_spares_other_clients(endpoint: Endpoint) -> None:
    limited = endpoint.client(LIMITED_KEY)
    for _ in range(RATE):
        limited.models.list()
    with pytest.raises(openai.RateLimitError) as refused:
        limited.models.list()
    assert refused.value.status_code == 429 and refused.value.code == "rate_limit_exceeded"
    assert 1 <= int(refused.value.response.headers["retry-after"]) <= 60
    # another client (the main key) still gets answers, and so does the server as a whole
    assert (
        endpoint.client()
        .chat.completions.create(
            model="resilience-department", messages=[{"role": "user", "content": "台风来临前物业要检查什么"}]
        )
        .choices[0]
        .message.content
    )
    assert endpoint.proc.poll() is None


def test_empty_index_is_a_clear_server_error_streaming_or_not(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    env = server_env(tmp_path / "no-index", tmp_path / "data")  # no keys: no authentication
    with server_process(["serve-openai", "--port", str(port)], env, url + "/models", tmp_path / "log"):
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=60)
        question = [{"role": "user", "content": "台风来临前物业要做什么"}]
        with pytest.raises(openai.InternalServerError) as plain:
            client.chat.completions.create(model="resilience-staff", messages=question)  # type: ignore[arg-type]
        assert plain.value.status_code == 503 and "索引为空" in plain.value.message
        body = {"model": "resilience-staff", "stream": True, "messages": question}
        with httpx.stream("POST", url + "/chat/completions", json=body, timeout=60) as response:
            events = [line for line in response.iter_lines() if line]
        assert events[-1] == "data: [DONE]"
        error = json.loads(events[-2][6:])["error"]
        assert error["code"] == "index_empty" and "索引为空" in error["message"]
    assert not (tmp_path / "no-index").exists()
