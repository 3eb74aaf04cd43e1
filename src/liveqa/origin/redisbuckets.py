"""Token buckets in Redis (`liveqa origin --redis-url`): every origin spends from the same ones.

This module needs the `redis` extra; `liveqa.origin.app` imports it only when a Redis URL is set.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from liveqa.origin.ratelimit import Rate
from liveqa.origin.throttle import ThrottledLog

log = logging.getLogger(__name__)


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
