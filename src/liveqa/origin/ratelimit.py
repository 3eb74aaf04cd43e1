"""Per-participant token buckets for posting, voting, renaming and room creation."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

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


class RateLimiter:
    """Token buckets keyed by participant; bounded memory, monotonic clock.

    Buckets live in this process: with several origin processes a participant gets each
    process's allowance, which the edge's per-address limits and the store constraints bound.
    """

    def __init__(
        self,
        rate: Rate,
        what: str,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.what = what
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def _refill(self, tokens: float, last: float, now: float) -> float:
        per_second = self.rate.count / self.rate.seconds
        return min(float(self.rate.count), tokens + (now - last) * per_second)

    def take(self, key: str) -> None:
        """Spend one token of `key`'s bucket or raise a 429 refusal."""
        if self.rate.count == 0:
            return
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.rate.count), now))
        tokens = self._refill(tokens, last, now)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) * self.rate.seconds / self.rate.count
            raise rate_limited(self.what, wait)
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._prune(now)
        self._buckets[key] = (tokens - 1.0, now)

    def _prune(self, now: float) -> None:
        """Forget full buckets; if none are full, forget the oldest half."""
        full = float(self.rate.count)
        for key, (tokens, last) in list(self._buckets.items()):
            if self._refill(tokens, last, now) >= full:
                del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
