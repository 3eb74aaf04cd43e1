"""The Redis bus of `liveqa edge --bus URL`: edges share published items over Redis pub/sub.

Every item an edge takes on its publish API is fanned out locally and PUBLISHed on Redis channel
`<prefix><channel>`; each edge SUBSCRIBEs only to the channels it has local subscribers for and
fans out what the others publish. redis-py's PubSub reconnects and re-subscribes by itself, which
would hide a lost bus from the metrics and the backoff, so the bus drives two plain redis.asyncio
connections itself: one subscribed, one publishing (a subscribed connection may not PUBLISH).
This module needs the `redis` extra; `liveqa.edge.server` imports it only when `--bus` is set.
Redis pub/sub keeps nothing: what is published while an edge is not subscribed (during an outage,
or before Redis confirms the SUBSCRIBE for a channel's first local subscriber) is never replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import uuid
from collections.abc import Coroutine
from typing import Any

from redis.asyncio.connection import AbstractConnection, Connection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from yarl import URL

from liveqa.edge.hub import Hub
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.publish import RecentIds
from liveqa.grip.publish import PublishError, PublishItem, parse_publish, publish_body

log = logging.getLogger("liveqa.edge.bus")

# Items waiting for the publishing connection; more means Redis is not keeping up.
MAX_BACKLOG = 10_000


class Bus:
    """Shares published items with the other edges on one Redis server."""

    def __init__(
        self,
        url: str,
        hub: Hub,
        metrics: EdgeMetrics,
        *,
        prefix: str,
        recent: RecentIds | None = None,
        backoff: tuple[float, float] = (0.1, 5.0),
        ping_interval: float = 10.0,
        timeout: float = 5.0,
    ) -> None:
        options: dict[str, Any] = dict(parse_url(url))
        self._connection_class: type[AbstractConnection] = options.pop(
            "connection_class", Connection
        )
        self.id = uuid.uuid4().hex
        self.client_name = f"liveqa-edge-{self.id}"
        # Replies are read as RESP2 arrays, so the protocol is not left to the URL.
        self._options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "client_name": self.client_name,
            **options,
            "protocol": 2,
        }
        self.where = str(URL(url).with_user(None))
        self.hub = hub
        self.metrics = metrics
        self.prefix = prefix
        self._prefix = prefix.encode()
        self.recent = RecentIds() if recent is None else recent
        self.backoff = backoff
        self.ping_interval = ping_interval
        self._tag = self.id.encode() + b" "
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        # Channel -> wanted or not, changed since the last SUBSCRIBE/UNSUBSCRIBE was sent.
        self._pending: dict[str, bool] = {}
        self._changed = asyncio.Event()
        self._requested: set[str] = set()
        self._active: set[str] = set()
        self._outbox: list[tuple[bytes, bytes]] = []
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._last_read = 0.0

    @property
    def subscribed(self) -> frozenset[str]:
        """The channels Redis has confirmed this edge is subscribed to."""
        return frozenset(self._active)

    def start(self) -> None:
        """Follow the hub's channels and connect in the background (retrying until closed)."""
        self.hub.watch_channels(self._opened, self._closed)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Disconnect for good."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._down()

    def publish(self, item: PublishItem) -> None:
        """The publish API's sink: fan the item out here and share it with the other edges."""
        # Local subscribers get the item from the hub right here and this edge skips its own echo
        # from Redis (messages carry the sender's id): local delivery never waits for a Redis
        # round trip nor depends on Redis being up, and no item reaches a subscriber twice.
        # While the bus is down, items published here reach this edge's subscribers only: Redis
        # pub/sub keeps no backlog, so the other edges' subscribers never get them from the bus
        # (liveqa's client sees the gap in the room's seq at its next event and resyncs).
        if self.connected and len(self._outbox) < MAX_BACKLOG:
            self._outbox.append((self._key(item.channel), self._tag + publish_body([item])))
            self._wake.set()
        else:
            self.metrics.bus_unsent_items_total += 1
        self.hub.publish(item)

    def _key(self, channel: str) -> bytes:
        return self._prefix + channel.encode()

    # While disconnected, changes are not kept: connecting again subscribes to the hub's channels.
    def _opened(self, channel: str) -> None:
        if self.connected:
            self._pending[channel] = True
            self._changed.set()

    def _closed(self, channel: str) -> None:
        if self.connected:
            self._pending[channel] = False
            self._changed.set()

    async def _run(self) -> None:
        """Stay connected: after a failure wait (doubling, with jitter), then connect again."""
        low, high = self.backoff
        delay = low
        ever_connected = warned = False
        while True:
            problem = "the connection ended"
            try:
                await self._session(ever_connected)
            except (RedisError, OSError) as exc:
                problem = str(exc) or type(exc).__name__
            except Exception as exc:
                # A bug here must not end the sharing for good; it is logged and retried.
                log.exception("Redis bus at %s failed", self.where)
                problem = repr(exc)
            self.metrics.bus_errors_total += 1
            if self.connected:
                ever_connected = True
                self._down()
                log.warning("lost the Redis bus at %s (%s); reconnecting", self.where, problem)
                delay, warned = low, False
            elif not warned:
                log.warning("cannot reach the Redis bus at %s (%s); retrying", self.where, problem)
                warned = True
            else:
                log.debug("Redis bus at %s still unreachable: %s", self.where, problem)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, high)

    async def _session(self, reconnecting: bool) -> None:
        """Connect both connections and serve until one of them fails."""
        subscriber = self._connection_class(**self._options)
        publisher = self._connection_class(**self._options)
        try:
            for connection in (subscriber, publisher):
                # Sending connects first (AUTH, SELECT, CLIENT SETNAME); a PONG shows Redis answers.
                await connection.send_command("PING")
                await connection.read_response()
            self._up(reconnecting)
            await _first_failure(
                self._read(subscriber),
                self._sync(subscriber),
                self._ping(subscriber),
                self._send(publisher),
            )
        finally:
            for connection in (subscriber, publisher):
                with contextlib.suppress(RedisError, OSError):
                    await connection.disconnect(nowait=True)

    def _up(self, reconnecting: bool) -> None:
        self.connected = True
        self.metrics.bus_connected = 1
        if reconnecting:
            self.metrics.bus_reconnects_total += 1
            # What other edges published meanwhile is gone: holding the next item for it would
            # only delay the resync that the item's seq gap starts on every client.
            self.hub.sequencer.forget_last_ids()
        log.info("Redis bus %s at %s", "reconnected" if reconnecting else "connected", self.where)
        self._last_read = asyncio.get_running_loop().time()
        self._requested.clear()
        self._pending = dict.fromkeys(self.hub.channels, True)
        self._changed.set()

    def _down(self) -> None:
        self.connected = False
        self.metrics.bus_connected = 0
        self._active.clear()
        self.metrics.bus_channels = 0
        self.metrics.bus_unsent_items_total += len(self._outbox) + self._in_flight
        self._outbox.clear()
        self._in_flight = 0

    async def _read(self, connection: AbstractConnection) -> None:
        """Take messages and subscription confirmations off the subscribed connection."""
        loop = asyncio.get_running_loop()
        while True:
            reply = await connection.read_response(timeout=math.inf)
            self._last_read = loop.time()
            if not isinstance(reply, list) or len(reply) != 3:
                continue  # a PONG
            kind, key, data = reply
            if kind == b"message":
                self._receive(key, data)
            elif kind == b"subscribe":
                self._active.add(key[len(self._prefix) :].decode())
            elif kind == b"unsubscribe":
                self._active.discard(key[len(self._prefix) :].decode())
            self.metrics.bus_channels = len(self._active)

    def _receive(self, key: bytes, data: bytes) -> None:
        if data.startswith(self._tag):
            return
        try:
            items = parse_publish(data.partition(b" ")[2])
        except PublishError as exc:
            self.metrics.bus_errors_total += 1
            log.warning("ignoring a bad message on Redis channel %r: %s", key, exc)
            return
        for item in items:
            if self._key(item.channel) != key:
                self.metrics.bus_errors_total += 1
                log.warning("ignoring an item for %r sent on Redis channel %r", item.channel, key)
            elif item.id is not None and self.recent.seen(item.channel, item.id):
                # An origin that publishes to several edges sends each of them the same item.
                self.metrics.dropped_items_total += 1
            else:
                self.metrics.bus_received_items_total += 1
                try:
                    self.hub.publish(item)
                except Exception:
                    log.exception("delivering item to channel %r failed", item.channel)

    async def _sync(self, connection: AbstractConnection) -> None:
        """Send SUBSCRIBE and UNSUBSCRIBE as local channels come and go."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            pending, self._pending = self._pending, {}
            requested = self._requested
            added = [name for name, wanted in pending.items() if wanted and name not in requested]
            removed = [name for name, wanted in pending.items() if not wanted and name in requested]
            requested.update(added)
            requested.difference_update(removed)
            if added:
                await connection.send_command("SUBSCRIBE", *map(self._key, added))
            if removed:
                await connection.send_command("UNSUBSCRIBE", *map(self._key, removed))

    async def _ping(self, connection: AbstractConnection) -> None:
        """Find a silently dead subscribed connection: Redis answers PING even there."""
        loop = asyncio.get_running_loop()
        while True:
            sent = loop.time()
            await connection.send_command("PING")
            await asyncio.sleep(self.ping_interval)
            if self._last_read < sent:
                raise RedisConnectionError(f"no answer to PING in {self.ping_interval} s")

    async def _send(self, connection: AbstractConnection) -> None:
        """PUBLISH queued items in order, as one pipeline per wake-up; PING when idle."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.ping_interval):
                    await self._wake.wait()
            self._wake.clear()
            batch, self._outbox = self._outbox, []
            if not batch:
                # Without this, a server `timeout` could close the idle connection unseen.
                await connection.send_command("PING")
                await connection.read_response()
                continue
            self._in_flight = len(batch)
            commands = [(b"PUBLISH", key, data) for key, data in batch]
            await connection.send_packed_command(connection.pack_commands(commands))
            for _ in batch:
                await connection.read_response()
            self._in_flight = 0
            self.metrics.bus_published_items_total += len(batch)


async def _first_failure(*coroutines: Coroutine[Any, Any, None]) -> None:
    """Run endless loops together until one raises; cancel the others and re-raise."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()
