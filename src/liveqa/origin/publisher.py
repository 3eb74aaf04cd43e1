"""Async GRIP publisher: batches items per POST to every GRIP publish endpoint, one retry each.

Each endpoint has one sender task, so items reach it in the order they were queued. A failed
POST is retried once; if that fails too its items are dropped, logged and counted: the store
already holds the change, and clients resync when they notice the gap in `seq`. The endpoint is
then down for `down_for` seconds: nobody waits for its deliveries, and each batch gets one try.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from liveqa.grip.publish import PublishItem, publish_body
from liveqa.origin.throttle import ThrottledLog

log = logging.getLogger(__name__)


def _no_authorization() -> str | None:
    return None


@dataclass(frozen=True)
class PublishTarget:
    """A publish endpoint; `authorization` gives its Authorization header (a fresh JWT...)."""

    url: str
    authorization: Callable[[], str | None] = _no_authorization


@dataclass
class PublishStats:
    """Counters of one endpoint since start."""

    requests: int = 0
    items: int = 0
    retries: int = 0
    failed_requests: int = 0
    failed_items: int = 0
    dropped_items: int = 0


class _Delivery:
    """Completes a publish call's future once every endpoint has dealt with its items."""

    def __init__(self, count: int, future: asyncio.Future[None]) -> None:
        self.remaining = count
        self.future = future

    def done(self, count: int) -> None:
        self.remaining -= count
        if self.remaining <= 0 and not self.future.done():
            self.future.set_result(None)


@dataclass
class _Endpoint:
    target: PublishTarget
    # A delivery of None: nobody waits for that item (it was queued while the endpoint was down).
    queue: asyncio.Queue[tuple[PublishItem, _Delivery | None]]
    stats: PublishStats = field(default_factory=PublishStats)
    task: asyncio.Task[None] | None = None
    down_until: float = 0.0

    @property
    def down(self) -> bool:
        return self.down_until > time.monotonic()


class Publisher:
    """Publishes to several GRIP endpoints over one pooled aiohttp session."""

    def __init__(
        self,
        targets: Sequence[PublishTarget],
        *,
        batch_size: int = 100,
        timeout: float = 5.0,
        retry_delay: float = 0.2,
        max_queued: int = 50_000,
        down_for: float = 5.0,
    ) -> None:
        self.batch_size = batch_size
        self.timeout = timeout
        self.retry_delay = retry_delay
        self.max_queued = max_queued
        self.down_for = down_for
        self.problems = ThrottledLog(log)
        self.endpoints = [_Endpoint(target, asyncio.Queue(max_queued)) for target in targets]
        self._session: aiohttp.ClientSession | None = None

    @property
    def stats(self) -> dict[str, PublishStats]:
        """Counters per endpoint URL."""
        return {endpoint.target.url: endpoint.stats for endpoint in self.endpoints}

    async def start(self) -> None:
        """Open the HTTP session and start one sender per endpoint."""
        if self._session is not None:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit_per_host=4),
        )
        for endpoint in self.endpoints:
            endpoint.task = asyncio.create_task(self._send_loop(endpoint))

    async def close(self) -> None:
        """Stop the senders (items still queued are dropped) and close the session."""
        for endpoint in self.endpoints:
            if endpoint.task is not None:
                endpoint.task.cancel()
        await asyncio.gather(
            *(e.task for e in self.endpoints if e.task is not None), return_exceptions=True
        )
        for endpoint in self.endpoints:
            endpoint.task = None
            while not endpoint.queue.empty():
                _, delivery = endpoint.queue.get_nowait()
                if delivery is not None:
                    delivery.done(1)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def publish(self, items: Sequence[PublishItem]) -> asyncio.Future[None]:
        """Queue items for every endpoint; the future completes when all were sent or given up."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivery = _Delivery(len(items) * len(self.endpoints), future)
        if delivery.remaining == 0:
            future.set_result(None)
            return future
        for endpoint in self.endpoints:
            waited = None if endpoint.down else delivery
            for item in items:
                try:
                    endpoint.queue.put_nowait((item, waited))
                except asyncio.QueueFull:
                    endpoint.stats.dropped_items += 1
                    self.problems.log(
                        logging.ERROR,
                        f"full:{endpoint.target.url}",
                        "publish queue for %s is full: item dropped",
                        endpoint.target.url,
                    )
                    if waited is not None:
                        waited.done(1)
            if waited is None:
                delivery.done(len(items))
        return future

    async def _send_loop(self, endpoint: _Endpoint) -> None:
        queue = endpoint.queue
        while True:
            batch = [await queue.get()]
            while len(batch) < self.batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                sent = await self._send(endpoint, [item for item, _ in batch])
            finally:
                for _, delivery in batch:
                    if delivery is not None:
                        delivery.done(1)
            if not sent:
                # Down: what is published meanwhile waits for the next try, in one batch.
                await asyncio.sleep(self.retry_delay)

    async def _send(self, endpoint: _Endpoint, items: list[PublishItem]) -> bool:
        """POST the items, retried once unless the endpoint is down; whether they got there."""
        body = publish_body(items)
        stats = endpoint.stats
        url = endpoint.target.url
        was_down = endpoint.down_until > 0
        attempts = 1 if endpoint.down else 2
        for attempt in range(1, attempts + 1):
            stats.requests += 1
            error = await self._post(endpoint.target, body)
            if error is None:
                stats.items += len(items)
                if was_down:
                    endpoint.down_until = 0.0
                    log.warning("publish to %s works again", url)
                return True
            stats.failed_requests += 1
            if attempt < attempts:
                stats.retries += 1
                await asyncio.sleep(self.retry_delay)
        stats.failed_items += len(items)
        endpoint.down_until = time.monotonic() + self.down_for
        self.problems.log(
            logging.ERROR,
            f"down:{url}",
            "publish to %s failed (%s): %d items dropped; ACKs do not wait for it for %.0f s",
            url,
            error,
            len(items),
            self.down_for,
        )
        return False

    async def _post(self, target: PublishTarget, body: bytes) -> str | None:
        """POST one body; None on success, else what went wrong."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        authorization = target.authorization()
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            async with self._session.post(target.url, data=body, headers=headers) as response:
                if 200 <= response.status < 300:
                    await response.read()
                    return None
                text = (await response.text(errors="replace"))[:200]
                return f"HTTP {response.status}: {text.strip()}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"
