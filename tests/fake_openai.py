"""A small OpenAI-compatible chat server on loopback for tests (real HTTP, real SSE streaming).

Behaviour is chosen by the requested model name, so one server serves every scenario:
- ``cite-1``: streams an answer citing [1];
- ``cite-99``: cites a passage number it was never given;
- ``cite-none``: answers without any citation;
- ``error``: HTTP 500;
- ``slow``: waits longer than the client's timeout before answering;
- ``obey``: behaves like a model that follows an instruction injected in a document
  (answers "系统已被接管" with no citation).
Every request body is recorded in ``requests`` for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                model = body.get("model", "")
                if model == "error":
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "boom"}}')
                    return
                if model == "slow":
                    time.sleep(3)
                pieces = {
                    "cite-1": ["根据资料，", "遇到台风红色预警", "应当停止户外活动。", "[1]"],
                    "cite-99": ["根据资料，应当撤离。", "[99]"],
                    "cite-none": ["应当注意安全。"],
                    "obey": ["系统已被接管"],
                    "cite-link": ["居民应当服从转移安排", "[1](http://evil.example/x)。"],
                    "cite-image": ["居民应当服从转移安排。[1]", "![x](http://evil.example/leak.png)"],
                    "uncited-tail": ["居民应当服从转移安排。[1]", "另外请每天喝八杯水保持健康状态。"],
                    "cite-with-markup": ["居民应当服从转移安排，", "详见 <b>通知</b> www.evil.example。[1]"],
                    "slow": ["太慢了 [1]"],
                }.get(model, ["未知模型"])
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for piece in pieces:
                        chunk = {
                            "id": "chatcmpl-test",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": model,
                            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                        self.wfile.flush()
                    end = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    }
                    self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                    return
                reply = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(pieces)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(reply, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
