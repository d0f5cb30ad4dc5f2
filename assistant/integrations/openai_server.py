"""An OpenAI-compatible chat endpoint, so office chat clients (Open WebUI, Cherry Studio, ChatBox,
Dify …) and the ``openai`` SDK can talk to the assistant.

Routes: ``GET /v1/models`` and ``POST /v1/chat/completions`` (streaming and not). The model
name picks the audience (``resilience-resident`` / ``-staff`` / ``-department``); the last
message must be the user's question and earlier user messages are the history (the assistant's
own earlier replies are not needed: follow-ups are resolved from the questions). The reply is
the answer followed by its citations as a Markdown list; the structured citations ride along in
an extra ``citations`` field of the message (or of the last stream chunk's delta) and
``refused`` says whether the sources could not answer.

Why streaming sends the answer only when it is complete: with an LLM configured, the answer
service checks the generated text against its passages and may replace it — a token stream
could not take back text the guard rejects. The role chunk goes out at once, so clients show
that an answer is on its way.

Guards (see :mod:`assistant.integrations.openai_guards`): optional bearer tokens, a request
budget per client, at most ``web_concurrency`` answers computed at once with ``web_queue_size``
waiting (like the web app), a bounded body, and the field limits of
:mod:`assistant.services.input_limits`. Errors are OpenAI-shaped JSON.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from assistant.factory import Assistant
from assistant.integrations.openai_guards import BearerAuth, RateLimiter, parse_api_keys
from assistant.integrations.tools import IndexEmptyError, IntegrationTools
from assistant.services.input_limits import MAX_HISTORY_ITEMS, InputLimitError

#: Model name → audience.
MODELS = {
    "resilience-resident": "resident",
    "resilience-staff": "staff",
    "resilience-department": "department",
}
OWNER = "resilience-assistant"
#: A chat request is a few questions and replies; 256 KiB is far above any real one.
MAX_BODY_BYTES = 256 * 1024
#: Messages in one request (questions, replies, a system prompt, with room to spare).
MAX_MESSAGES = 4 * MAX_HISTORY_ITEMS + 10
_CREATED = 1_764_547_200  # fixed "created" of the models (2025-12-01): the list is static


class ApiError(Exception):
    """An error answered as ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _text(content: Any, field: str) -> str:
    """A message's text: a string, or the text parts of a content list (vision-style clients)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise ApiError(400, f"{field} 只支持文字（type 为 text 的内容）。", param=field)
            parts.append(part["text"])
        return "\n".join(parts)
    if content is None:
        return ""
    raise ApiError(400, f"{field} 应为文字。", param=field)


def parse_chat_request(body: Mapping[str, Any]) -> tuple[str, str, list[str], bool]:
    """(audience, question, history, stream) of a chat request; bad fields raise ApiError(400/404)."""
    model = body.get("model")
    if not isinstance(model, str) or model not in MODELS:
        shown = str(model)[:40]
        raise ApiError(
            404, f"模型“{shown}”不存在；可用：{'、'.join(MODELS)}。", param="model", code="model_not_found"
        )
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "stream 应为 true 或 false。", param="stream")
    n = body.get("n", 1)
    if n not in (1, None):
        raise ApiError(400, "n 只支持 1。", param="n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages 应为非空的消息列表。", param="messages")
    if len(messages) > MAX_MESSAGES:
        raise ApiError(400, f"messages 过多：{len(messages)} 条，上限 {MAX_MESSAGES} 条。", param="messages")
    users: list[tuple[int, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, f"messages[{i}] 应为含 role 和 content 的对象。", param=f"messages[{i}]")
        if message["role"] == "user":
            users.append((i, _text(message.get("content"), f"messages[{i}].content")))
    last = len(messages) - 1
    if messages[last].get("role") != "user":
        raise ApiError(400, "最后一条消息应为用户的问题（role 为 user）。", param=f"messages[{last}].role")
    question = users[-1][1]
    earlier = users[:-1][-MAX_HISTORY_ITEMS:]  # the recent questions are what follow-ups refer to
    return MODELS[model], question, [text for _, text in earlier], stream


def _field_of(message: str, history_at: list[int], question_at: int) -> str:
    """The request field an input-limit message is about (history 第 N 条 → that message)."""
    if message.startswith("history 第"):
        number = int("".join(ch for ch in message.split("条", 1)[0] if ch.isdigit()) or 0)
        if 1 <= number <= len(history_at):
            return f"messages[{history_at[number - 1]}].content"
        return "messages"
    return f"messages[{question_at}].content"


def format_reply(answer: str, citations: list[dict[str, Any]]) -> str:
    """The answer text with its citations as a Markdown list (what chat clients display)."""
    if not citations:
        return answer
    lines = [f"- [{c['n']}] 《{c['source']}》{c['locator']}" for c in citations]
    return f"{answer}\n\n**引用：**\n" + "\n".join(lines)


class ChatEndpoint:
    """The Starlette app over one assistant."""

    def __init__(self, assistant: Assistant) -> None:
        settings = assistant.settings
        self.tools = IntegrationTools(assistant)
        self.auth = BearerAuth(parse_api_keys(settings.api_keys))
        self.limiter = RateLimiter(settings.api_rate_per_minute)
        self.workers = anyio.CapacityLimiter(settings.web_concurrency)
        self.queue_size = settings.web_queue_size
        self.waiting = 0

    def routes(self) -> list[Route]:
        """The ``/v1`` routes, also mounted into the web app (``RESILIENCE_WEB_OPENAI_ROUTES``)."""
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/models/{model}", self.model, methods=["GET"]),
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
        ]

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    # --- guards ------------------------------------------------------------------------------
    def _admit(self, request: Request) -> None:
        token = self.auth.token(request.headers.get("authorization"))
        if token is None:
            raise ApiError(
                401, "缺少或无效的 API 密钥（Authorization: Bearer …）。", code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        client = f"key:{token}" if token else f"ip:{request.client.host if request.client else 'unknown'}"
        wait = self.limiter.check(client)
        if wait > 0:
            raise ApiError(
                429,
                f"请求过于频繁：每分钟最多 {self.limiter.limit} 次，"
                f"请 {self.limiter.retry_after(wait)} 秒后再试。",
                code="rate_limit_exceeded",
                kind="rate_limit_error",
                headers={"Retry-After": self.limiter.retry_after(wait)},
            )

    async def _body(self, request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise ApiError(413, f"请求体过大：上限 {MAX_BODY_BYTES // 1024} KiB。")
        raw = b""
        async for piece in request.stream():
            raw += piece
            if len(raw) > MAX_BODY_BYTES:
                raise ApiError(413, f"请求体过大：上限 {MAX_BODY_BYTES // 1024} KiB。")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"请求体不是有效的 UTF-8 JSON：{exc}") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "请求体应为 JSON 对象。")
        return body

    # --- routes --------------------------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        try:
            self._admit(request)
        except ApiError as exc:
            return exc.response()
        return JSONResponse({"object": "list", "data": [self._model_row(name) for name in MODELS]})

    async def model(self, request: Request) -> Response:
        try:
            self._admit(request)
            name = request.path_params["model"]
            if name not in MODELS:
                raise ApiError(404, f"模型“{name[:40]}”不存在。", param="model", code="model_not_found")
        except ApiError as exc:
            return exc.response()
        return JSONResponse(self._model_row(name))

    @staticmethod
    def _model_row(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": _CREATED, "owned_by": OWNER}

    async def chat(self, request: Request) -> Response:
        try:
            self._admit(request)
            body = await self._body(request)
            audience, question, history, stream = parse_chat_request(body)
            model = str(body["model"])
            self._check_fields(body, question, history)
            if self.waiting >= self.workers.total_tokens + self.queue_size:  # running + waiting
                raise ApiError(503, "服务繁忙，请稍后再试。", code="server_busy", kind="server_error",
                               headers={"Retry-After": "5"})  # fmt: skip
        except ApiError as exc:
            return exc.response()
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if stream:
            return StreamingResponse(
                self._stream(ident, created, model, audience, question, history),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            answer = await self._answer(audience, question, history)
        except ApiError as exc:
            return exc.response()
        message = {
            "role": "assistant",
            "content": format_reply(answer["answer"], answer["citations"]),
            "citations": answer["citations"],
            "refused": answer["refused"],
        }
        return JSONResponse(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            }
        )

    def _check_fields(self, body: Mapping[str, Any], question: str, history: list[str]) -> None:
        """The input limits, before any work, with the offending message named."""
        messages = body["messages"]
        user_at = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        history_at = user_at[:-1][-len(history) :] if history else []
        try:
            self.tools.check_ask(question, "staff", history, None)
        except InputLimitError as exc:
            raise ApiError(400, str(exc), param=_field_of(str(exc), history_at, user_at[-1])) from exc

    async def _answer(self, audience: str, question: str, history: list[str]) -> dict[str, Any]:
        """The ``ask --json`` object, computed on a worker thread (at most web_concurrency at once).

        ``waiting`` counts answers running or waiting for a worker; past ``web_concurrency +
        web_queue_size`` new requests get 503 instead of queueing without bound.
        """
        self.waiting += 1
        try:
            return await anyio.to_thread.run_sync(
                lambda: self.tools.ask(question, audience, history), limiter=self.workers
            )
        except IndexEmptyError as exc:
            raise ApiError(503, str(exc), code="index_empty", kind="server_error") from exc
        except ValueError as exc:
            raise ApiError(400, str(exc), param="messages") from exc
        finally:
            self.waiting -= 1

    async def _stream(
        self, ident: str, created: int, model: str, audience: str, question: str, history: list[str]
    ) -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            data = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            }
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        try:
            answer = await self._answer(audience, question, history)
        except ApiError as exc:
            error = {"message": exc.message, "type": exc.kind, "param": exc.param, "code": exc.code}
            yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"
            return
        reply = format_reply(answer["answer"], answer["citations"])
        for line in reply.splitlines(keepends=True):  # line by line: clients render as it arrives
            yield chunk({"content": line})
        yield chunk({"citations": answer["citations"], "refused": answer["refused"]}, finish="stop")
        yield "data: [DONE]\n\n"


def serve(assistant: Assistant, host: str, port: int) -> None:
    """Run the endpoint with uvicorn until interrupted."""
    import uvicorn

    endpoint = ChatEndpoint(assistant)
    endpoint.tools.warm_up()
    uvicorn.run(endpoint.app(), host=host, port=port, log_level="warning", access_log=False)
