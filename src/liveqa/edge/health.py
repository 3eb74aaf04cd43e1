"""The edge's readiness: whether any of its origins answers HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
from yarl import URL

# Longest wait for an origin's answer; a probe usually times out after 1 s or more.
READY_TIMEOUT = 1.0
# However often probes come, origins are asked at most once a second.
READY_CACHE = 1.0
# Asked of each origin: a liveqa origin answers it itself, and any answer below 500 from
# another kind of origin shows it is up too.
PROBE_PATH = "/healthz"

Readiness = Callable[[], Awaitable[str | None]]


class OriginsAnswer:
    """`await ready()` is None while some origin answers, else what is wrong."""

    def __init__(self, client: aiohttp.ClientSession, origins: Sequence[URL]) -> None:
        self.client = client
        self.origins = origins
        self._checked = float("-inf")
        self._problem: str | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> str | None:
        async with self._lock:
            if time.monotonic() - self._checked >= READY_CACHE:
                self._problem = await self._check()
                self._checked = time.monotonic()
            return self._problem

    async def _answers(self, origin: URL) -> bool:
        timeout = aiohttp.ClientTimeout(total=READY_TIMEOUT)
        try:
            async with self.client.get(origin.join(URL(PROBE_PATH)), timeout=timeout) as response:
                return response.status < 500
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def _check(self) -> str | None:
        answers = await asyncio.gather(*(self._answers(origin) for origin in self.origins))
        if any(answers):
            return None
        return f"no origin answers ({len(self.origins)} tried)"
