"""Token buckets in Redis: shared by every origin, expiring, and off while Redis is down."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from liveqa.origin.errors import Refused
from liveqa.origin.ratelimit import Rate, RateLimiter
from liveqa.origin.redisbuckets import RedisBuckets

from .test_ratelimit import FakeClock

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_buckets() -> AsyncIterator[RedisBuckets]:
    """Buckets in the test Redis under a prefix of their own, deleted afterwards."""
    buckets = RedisBuckets(REDIS_URL, prefix=f"liveqa-test-{secrets.token_hex(6)}:")
    try:
        yield buckets
    finally:
        keys = [key async for key in buckets.redis.scan_iter(match=f"{buckets.prefix}*")]
        if keys:
            await buckets.redis.delete(*keys)
        await buckets.close()


async def test_redis_buckets_burst_refuse_and_refill(redis_buckets: RedisBuckets) -> None:
    limiter = RateLimiter(Rate(3, 0.6), "votes", redis_buckets)
    for _ in range(3):
        await limiter.take("p1")
    with pytest.raises(Refused) as refused:
        await limiter.take("p1")
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    await limiter.take("p2")
    await asyncio.sleep(0.25)  # one token back after 0.2 s
    await limiter.take("p1")
    with pytest.raises(Refused):
        await limiter.take("p1")


async def test_origins_sharing_redis_share_the_allowance(redis_buckets: RedisBuckets) -> None:
    other = RedisBuckets(REDIS_URL, prefix=redis_buckets.prefix)
    try:
        first = RateLimiter(Rate(4, 3600), "new rooms", redis_buckets)
        second = RateLimiter(Rate(4, 3600), "new rooms", other)
        await asyncio.gather(*(limiter.take("addr") for limiter in (first, second) * 2))
        for limiter in (first, second):
            with pytest.raises(Refused, match="try again in 900 s"):
                await limiter.take("addr")
    finally:
        await other.close()


async def test_redis_keys_expire_once_full_again(redis_buckets: RedisBuckets) -> None:
    await RateLimiter(Rate(10, 2), "votes", redis_buckets).take("p1")
    [key] = [key async for key in redis_buckets.redis.scan_iter(match=f"{redis_buckets.prefix}*")]
    assert 0 < await redis_buckets.redis.pttl(key) <= 1200


async def test_without_redis_nothing_is_limited(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    buckets = RedisBuckets("redis://127.0.0.1:1/0", timeout=0.5, retry_after=5, clock=clock)
    calls = 0
    script = buckets._script

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await script(*args, **kwargs)

    buckets._script = counted  # type: ignore[assignment]
    try:
        limiter = RateLimiter(Rate(1, 3600), "votes", buckets)
        for _ in range(3):
            await limiter.take("p1")
        assert calls == 1  # Redis is left alone for a while after a failure
        clock.now += 5
        await limiter.take("p1")
        assert calls == 2
    finally:
        await buckets.close()
    warnings = [r for r in caplog.records if "rate limits are off" in r.message]
    assert len(warnings) == 1
