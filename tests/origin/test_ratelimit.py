"""Token buckets in memory: bursts, refill, per-key isolation, bounded memory."""

from __future__ import annotations

import pytest

from liveqa.origin.errors import Refused
from liveqa.origin.ratelimit import MemoryBuckets, Rate, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_parse_rates() -> None:
    assert Rate.parse("5/30") == Rate(5, 30.0)
    assert Rate.parse(" 10 / 1.5s ") == Rate(10, 1.5)
    assert Rate.parse("0") == Rate(0, 1.0)
    assert str(Rate(5, 30.0)) == "5/30"
    assert str(Rate.parse("0")) == "0"
    for bad in ("5", "a/b", "5/0", "-1/3"):
        with pytest.raises(ValueError, match="COUNT/SECONDS"):
            Rate.parse(bad)


async def test_burst_then_refusal_then_refill() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(3, 30), "questions", MemoryBuckets(clock=clock))
    for _ in range(3):
        await limiter.take("p1")
    with pytest.raises(Refused) as refused:
        await limiter.take("p1")
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert "questions" in refused.value.message
    assert "10 s" in refused.value.message
    await limiter.take("p2")
    clock.now += 10
    await limiter.take("p1")
    with pytest.raises(Refused):
        await limiter.take("p1")


async def test_limiters_sharing_buckets_count_apart() -> None:
    buckets = MemoryBuckets(clock=FakeClock())
    votes = RateLimiter(Rate(1, 60), "votes", buckets)
    rooms = RateLimiter(Rate(1, 60), "new rooms", buckets)
    await votes.take("p1")
    await rooms.take("p1")
    with pytest.raises(Refused, match="votes"):
        await votes.take("p1")


async def test_zero_rate_is_unlimited() -> None:
    buckets = MemoryBuckets()
    limiter = RateLimiter(Rate(0, 1), "votes", buckets)
    for _ in range(1000):
        await limiter.take("p1")
    assert len(buckets) == 0


async def test_memory_is_bounded() -> None:
    clock = FakeClock()
    buckets = MemoryBuckets(max_keys=10, clock=clock)
    limiter = RateLimiter(Rate(2, 10), "votes", buckets)
    for i in range(100):
        await limiter.take(f"p{i}")
        clock.now += 0.01
    assert len(buckets) <= 10
    await limiter.take("p99")
    with pytest.raises(Refused):
        await limiter.take("p99")
