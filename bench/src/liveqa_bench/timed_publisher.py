"""Publishes benchmark messages to a proxy's GRIP publish endpoint (one POST per batch)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter

import aiohttp

from liveqa.grip.publish import publish_body, ws_item
from liveqa_bench.header import MEASURED, PRIMING, encode_message


class Publisher:
    """Builds each message just before its POST, so its timestamp is the publish time."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        channel: str,
        size: int,
        key: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.session = session
        self.url = url
        self.channel = channel
        self.size = size
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.published = 0
        self.failures: Counter[str] = Counter()
        self._priming_seq = itertools.count()

    @property
    def failed(self) -> int:
        """Messages whose POST did not get a 200."""
        return sum(self.failures.values())

    async def post(self, kind: bytes, seqs: range) -> bool:
        """POST one message per sequence number in `seqs`; count failures instead of raising."""
        now = time.monotonic_ns()
        items = [
            ws_item(self.channel, encode_message(kind, 0, seq, now, self.size).decode("ascii"))
            for seq in seqs
        ]
        try:
            async with self.session.post(
                self.url, data=publish_body(items), headers=self.headers, timeout=self.timeout
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.failures[type(exc).__name__] += len(seqs)
            return False
        if status != 200:
            self.failures[f"http {status}"] += len(seqs)
            return False
        if kind == MEASURED:
            self.published += len(seqs)
        return True

    async def prime(self) -> bool:
        """Publish one priming message (receivers note it, loss accounting ignores it)."""
        seq = next(self._priming_seq)
        return await self.post(PRIMING, range(seq, seq + 1))

    async def burst(self, count: int, batch: int = 1, concurrency: int = 8) -> None:
        """Publish measured messages 0..count-1 as fast as POSTs go, `batch` per POST."""
        batches = iter([range(s, min(s + batch, count)) for s in range(0, count, batch)])

        async def poster() -> None:
            for seqs in batches:
                await self.post(MEASURED, seqs)

        await asyncio.gather(*(poster() for _ in range(max(1, concurrency))))

    async def at_rate(self, rate: float, count: int) -> None:
        """Publish measured messages 0..count-1, one POST each, `rate` per second on schedule."""
        start = time.monotonic()
        posts: set[asyncio.Task[bool]] = set()
        for seq in range(count):
            delay = start + seq / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.post(MEASURED, range(seq, seq + 1)))
            posts.add(task)
            task.add_done_callback(posts.discard)
        if posts:
            await asyncio.wait(posts)
