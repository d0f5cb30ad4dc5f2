"""Who may call the OpenAI-compatible endpoint, and how often.

Why not :mod:`assistant.web.guards`: those guards sit in front of Gradio's own routes (its
upload cache, its login form) and key on Gradio's cookies; this endpoint has bearer tokens
and one route of its own, so it needs a token check and a plain request budget per client.

* **Bearer tokens** come from ``RESILIENCE_API_KEYS`` (comma-separated); none configured
  means no authentication (fine on loopback, warned about elsewhere). Tokens are compared in
  constant time.
* **Rate limit:** at most ``RESILIENCE_API_RATE_PER_MINUTE`` requests per client (its token
  when auth is on, else its address) in any 60-second window; past it the caller gets 429 and
  ``Retry-After`` with the seconds until the oldest request leaves the window.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

WINDOW_S = 60.0


def parse_api_keys(raw: str) -> tuple[str, ...]:
    """The configured bearer tokens (blank entries ignored)."""
    return tuple(key.strip() for key in raw.split(",") if key.strip())


class BearerAuth:
    """Checks an ``Authorization: Bearer …`` header against the configured tokens."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def token(self, header: str | None) -> str | None:
        """The caller's token when it is valid (or ``""`` when auth is off); ``None`` when refused."""
        if not self.enabled:
            return ""
        scheme, _, value = (header or "").partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            return None
        # compare with every key, so the time taken does not tell which one nearly matched
        matched = [hmac.compare_digest(value.encode(), key.encode()) for key in self.keys]
        return value if any(matched) else None


class RateLimiter:
    """Sliding 60-second window of request times per client; ``limit`` 0 means unlimited."""

    def __init__(
        self, limit: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.max_clients = max_clients
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> float:
        """0 when the request may go ahead (and is counted), else the seconds to wait."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            times = self._seen.get(client)
            if times is None:
                if len(self._seen) >= self.max_clients:
                    self._forget_idle(now)
                times = self._seen[client] = deque()
            while times and now - times[0] >= WINDOW_S:
                times.popleft()
            if len(times) >= self.limit:
                return max(0.001, times[0] + WINDOW_S - now)
            times.append(now)
            return 0.0

    @staticmethod
    def retry_after(wait_s: float) -> str:
        return str(max(1, math.ceil(wait_s)))

    def _forget_idle(self, now: float) -> None:
        """Drop clients with nothing in the window; if all are busy, the least recent tenth."""
        idle = [key for key, times in self._seen.items() if not times or now - times[-1] >= WINDOW_S]
        if not idle:
            ordered = sorted(self._seen, key=lambda key: self._seen[key][-1])
            idle = ordered[: max(1, self.max_clients // 10)]
        for key in idle:
            del self._seen[key]
