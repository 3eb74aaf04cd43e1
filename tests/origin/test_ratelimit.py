"""Token buckets: bursts, refill, per-key isolation, bounded memory."""

from __future__ import annotations

import pytest

from liveqa.origin.errors import Refused
from liveqa.origin.ratelimit import Rate, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_parse_rates() -> None:
    assert Rate.parse("5/30") == Rate(5, 30.0)
    assert Rate.parse(" 10 / 1.5s ") == Rate(10, 1.5)
    assert Rate.parse("0") == Rate(0, 1.0)
    for bad in ("5", "a/b", "5/0", "-1/3"):
        with pytest.raises(ValueError, match="COUNT/SECONDS"):
            Rate.parse(bad)


def test_burst_then_refusal_then_refill() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(3, 30), "questions", clock=clock)
    for _ in range(3):
        limiter.take("p1")
    with pytest.raises(Refused) as refused:
        limiter.take("p1")
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert "questions" in refused.value.message
    assert "10 s" in refused.value.message
    limiter.take("p2")
    clock.now += 10
    limiter.take("p1")
    with pytest.raises(Refused):
        limiter.take("p1")


def test_zero_rate_is_unlimited() -> None:
    limiter = RateLimiter(Rate(0, 1), "votes")
    for _ in range(1000):
        limiter.take("p1")
    assert len(limiter) == 0


def test_memory_is_bounded() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(2, 10), "votes", max_keys=10, clock=clock)
    for i in range(100):
        limiter.take(f"p{i}")
        clock.now += 0.01
    assert len(limiter) <= 10
    limiter.take("p99")
    with pytest.raises(Refused):
        limiter.take("p99")
