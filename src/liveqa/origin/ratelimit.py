"""Token buckets for posting, voting, renaming, room and session creation.

Buckets live in this process's memory (`MemoryBuckets`, the default) or in Redis
(`liveqa.origin.redisbuckets`, `liveqa origin --redis-url`), where every origin spends from the
same buckets.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from liveqa.origin.errors import rate_limited

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
