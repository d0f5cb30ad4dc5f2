"""ASGI guards in front of Gradio: who may upload files, and how fast logins may be tried.

Why middleware: Gradio's ``/gradio_api/upload`` route stores any caller's bytes in its cache
before a handler (and our admin check) ever runs, and its ``/login`` route answers as fast as
it is asked. Both are Gradio's own routes, so the checks sit in front of them:

* **Uploads** reach the cache only from a caller who may write the library: an admin login
  when auth is on, nobody on a read-only instance without auth, anyone on a loopback-only
  single-user install (``RESILIENCE_LOCAL_ADMIN``). Others get 403 before a byte is stored.
* **Logins** are counted per client address. After :data:`FREE_FAILURES` wrong passwords the
  address waits, doubling from one second up to :data:`MAX_LOCK_S`; a right password resets
  the count. The real user is never locked out for longer than that cap.

Pure ASGI (no ``BaseHTTPMiddleware``) so Gradio's streaming responses pass through untouched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from assistant.web.access import AccessPolicy

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload/")
LOGIN_PATHS = ("/login", "/login/")
FREE_FAILURES = 5
MAX_LOCK_S = 300.0


async def _respond(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json; charset=utf-8"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply no login
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class UploadGuard:
    """Refuses Gradio uploads from callers who may not write the library (403, nothing stored)."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in UPLOAD_PATHS and not self._may_upload(scope):
            await _respond(send, 403, self.policy.read_only_reason())
            return
        await self.app(scope, receive, send)

    def _may_upload(self, scope: Scope) -> bool:
        if not self.policy.auth_enabled:
            return self.policy.local_admin
        gradio_app = scope.get("app")
        tokens = getattr(gradio_app, "tokens", {})
        cookie_id = getattr(gradio_app, "cookie_id", "")
        cookies = _cookies(scope)
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        return tokens.get(token) in self.policy.admins


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last: float = field(default_factory=time.monotonic)


class LoginLimiter:
    """Per-address count of failed logins with a doubling wait (429 + Retry-After)."""

    def __init__(
        self, app: ASGIApp, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000
    ) -> None:
        self.app = app
        self.clock = clock
        self.max_clients = max_clients
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in LOGIN_PATHS or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        client = _client(scope)
        wait = self.wait_s(client)
        if wait > 0:
            await _respond(
                send,
                429,
                f"登录失败次数过多，请 {int(wait) + 1} 秒后再试。",
                [(b"retry-after", str(int(wait) + 1).encode())],
            )
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 200:
            self.succeeded(client)
        elif status and status[0] in (400, 401):
            self.failed(client)

    def wait_s(self, client: str) -> float:
        with self._lock:
            record = self._records.get(client)
            return max(0.0, record.locked_until - self.clock()) if record else 0.0

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            record = self._records.get(client)
            if record is None:
                if len(self._records) >= self.max_clients:
                    self._forget_oldest()
                record = self._records[client] = _Record(last=now)
            if now - record.last > MAX_LOCK_S * 2:
                record.failures = 0  # a long quiet spell starts the count again
            record.failures += 1
            record.last = now
            over = record.failures - FREE_FAILURES
            if over >= 0:
                record.locked_until = now + min(MAX_LOCK_S, 2.0**over)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)

    def _forget_oldest(self) -> None:
        oldest = sorted(self._records.items(), key=lambda kv: kv[1].last)[: max(1, self.max_clients // 10)]
        for key, _ in oldest:
            del self._records[key]
