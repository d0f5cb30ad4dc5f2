"""Bearer tokens and the per-client request budget of the OpenAI-compatible endpoint (no server)."""

from __future__ import annotations

from assistant.integrations.openai_guards import WINDOW_S, BearerAuth, RateLimiter, parse_api_keys


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_api_keys_parse_and_blank_means_no_auth() -> None:
    assert parse_api_keys(" a, ,b,") == ("a", "b")
    open_door = BearerAuth(parse_api_keys(""))
    assert not open_door.enabled and open_door.token(None) == ""


def test_bearer_token_must_match_exactly() -> None:
    auth = BearerAuth(["key-one", "key-two"])
    assert auth.token("Bearer key-two") == "key-two" and auth.token("bearer key-one") == "key-one"
    for header in (None, "", "Bearer", "Bearer ", "Basic key-one", "Bearer key-on", "Bearer key-one2"):
        assert auth.token(header) is None, header


def test_rate_limit_is_a_sliding_window_per_client() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.check("a")
    assert wait == WINDOW_S and limiter.retry_after(wait) == "60"
    assert limiter.check("b") == 0.0  # another client has its own budget
    clock.now += 20
    assert limiter.check("a") == WINDOW_S - 20  # refused requests are not counted
    clock.now += 40  # the first three leave the window
    assert limiter.check("a") == 0.0
    assert limiter.retry_after(0.2) == "1"


def test_zero_means_unlimited_and_clients_are_bounded() -> None:
    assert all(RateLimiter(0).check("a") == 0.0 for _ in range(1000))
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock, max_clients=10)
    for n in range(10):
        limiter.check(f"c{n}")
    clock.now += WINDOW_S  # all idle now: a new client makes room by forgetting them
    assert limiter.check("new") == 0.0 and len(limiter._seen) == 1
    for n in range(9):
        limiter.check(f"d{n}")
    assert limiter.check("last") == 0.0 and len(limiter._seen) <= 10  # all busy: the oldest tenth goes
