"""Optional client of an OpenAI-compatible chat endpoint (Ollama, vLLM, DeepSeek, Qwen …).

Only used when ``RESILIENCE_LLM_BASE_URL`` is set. The client streams text pieces; checking
the answer against its citations is the answer service's job, not this component's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class ChatStreamer(Protocol):
    def stream(self, system: str, user: str) -> Iterator[str]: ...


class LLMError(RuntimeError):
    """The endpoint failed, timed out or answered nothing."""


class OpenAICompatibleLLM:
    """Streams a chat completion through ``langchain_openai.ChatOpenAI``; created lazily."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout_s: float) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._client: Any = None

    def _chat(self) -> Any:
        if self._client is None:
            from langchain_openai import ChatOpenAI

            self._client = ChatOpenAI(
                base_url=self.base_url,
                model=self.model,
                api_key=self.api_key,  # type: ignore[arg-type]
                timeout=self.timeout_s,
                max_retries=0,
                temperature=0,
                streaming=True,
            )
        return self._client

    def stream(self, system: str, user: str) -> Iterator[str]:
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            for piece in self._chat().stream([SystemMessage(content=system), HumanMessage(content=user)]):
                text = piece.content if isinstance(piece.content, str) else ""
                if text:
                    yield text
        except Exception as exc:  # network errors, timeouts, bad responses: all mean "fall back"
            raise LLMError(f"大模型接口调用失败：{type(exc).__name__}: {exc}") from exc
