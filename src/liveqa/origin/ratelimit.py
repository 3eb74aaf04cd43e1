"""Token buckets for posting, voting, renaming, room and session creation.

Buckets live in this process's memory (`MemoryBuckets`, the default) or in Redis
(`RedisBuckets`, `liveqa origin --redis-url`), where every origin spends from the same buckets.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from liveqa.origin.errors import rate_limited
from liveqa.origin.throttle import ThrottledLog

log = logging.getLogger(__name__)

_RATE = re.compile(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?")


@dataclass(frozen=True)
class Rate:
    """`count` actions per `seconds`, with bursts up to `count`; count 0 means unlimited."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"5/30"` (5 per 30 s) or `"0"` (unlimited)."""
        if text.strip() == "0":
            return cls(0, 1.0)
        match = _RATE.fullmatch(text.strip())
        if match is None or float(match[2]) <= 0:
            raise ValueError(f"rate {text!r} is not COUNT/SECONDS (like 5/30) or 0")
        return cls(int(match[1]), float(match[2]))

    def __str__(self) -> str:
        return "0" if self.count == 0 else f"{self.count}/{self.seconds:g}"


class Buckets(Protocol):
    """Where token buckets are kept."""

    async def spend(self, key: str, rate: Rate) -> float:
        """Take one token from `key`'s bucket: 0.0, or the seconds until one is there."""
        ...


class MemoryBuckets:
    """Buckets in this process; bounded memory, monotonic clock.

    With several origin processes each one has its own buckets, so a client gets each
    process's allowance: give them `RedisBuckets` to share one.
    """

    def __init__(
        self, *, max_keys: int = 200_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float, Rate]] = {}

    @staticmethod
    def _refill(tokens: float, last: float, now: float, rate: Rate) -> float:
        return min(float(rate.count), tokens + (now - last) * rate.count / rate.seconds)

    async def spend(self, key: str, rate: Rate) -> float:
        """Take one token from `key`'s bucket: 0.0, or the seconds until one is there."""
        now = self.clock()
        tokens, last, _ = self._buckets.get(key, (float(rate.count), now, rate))
        tokens = self._refill(tokens, last, now, rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now, rate)
            return (1.0 - tokens) * rate.seconds / rate.count
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._prune(now)
        self._buckets[key] = (tokens - 1.0, now, rate)
        return 0.0

    def _prune(self, now: float) -> None:
        """Forget full buckets; if none are full, forget the oldest half."""
        for key, (tokens, last, rate) in list(self._buckets.items()):
            if self._refill(tokens, last, now, rate) >= rate.count:
                del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


# One bucket as a hash {t: last refill (ms, Redis's clock), n: tokens}, refilled and spent
# atomically; it expires once it would be full again, so idle keys cost nothing.
_SPEND = """
local count = tonumber(ARGV[1])
local ms_per_token = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'n')
local last = tonumber(state[1]) or now
local tokens = tonumber(state[2]) or count
tokens = math.min(count, tokens + math.max(0, now - last) / ms_per_token)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) * ms_per_token)
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 't', now, 'n', tostring(tokens))
redis.call('PEXPIRE', KEYS[1], math.ceil((count - tokens) * ms_per_token) + 1000)
return wait
"""


class RedisBuckets:
    """Buckets in Redis, shared by every origin; Redis's clock, so origins' clocks may differ.

    While Redis cannot be reached nothing is limited (logged): the Q&A matters more than
    its limits, and the edge's per-address connection limit still holds. After a failure
    Redis is left alone for `retry_after` seconds, so requests do not each wait `timeout`.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "liveqa:",
        timeout: float = 1.0,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix = prefix
        self.redis: Redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.retry_after = retry_after
        self.clock = clock
        self._script = self.redis.register_script(_SPEND)
        self._down_until = -math.inf
        self._problems = ThrottledLog(log, 60.0, clock=clock)

    async def spend(self, key: str, rate: Rate) -> float:
        """Take one token from `key`'s bucket: 0.0, or the seconds until one is there."""
        if self.clock() < self._down_until:
            return 0.0
        ms_per_token = rate.seconds * 1000 / rate.count
        try:
            wait = await self._script(
                keys=[f"{self.prefix}rate:{key}"], args=[rate.count, repr(ms_per_token)]
            )
        except (RedisError, OSError) as exc:
            self._down_until = self.clock() + self.retry_after
            self._problems.warning("redis", "rate limits are off: Redis cannot be used: %s", exc)
            return 0.0
        return int(wait) / 1000

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


class RateLimiter:
    """One kind of action at `rate` per key (a participant, an address...), else a 429."""

    def __init__(self, rate: Rate, what: str, buckets: Buckets, name: str | None = None) -> None:
        self.rate = rate
        self.what = what
        self.buckets = buckets
        self.name = name or what.replace(" ", "-")

    async def take(self, key: str) -> None:
        """Spend one of `key`'s actions or raise a 429 refusal saying when to try again."""
        if self.rate.count == 0:
            return
        wait = await self.buckets.spend(f"{self.name}:{key}", self.rate)
        if wait > 0:
            raise rate_limited(self.what, wait)
