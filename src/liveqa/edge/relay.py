"""Carries one client's WebSocket-over-HTTP exchange to the origin: requests, retries, timers.

Every decision is `WsOverHttp`'s (sans I/O); this adds the requests in flight, the backoff while
the origin cannot be reached and the keep-alive timer.
"""

from __future__ import annotations

import asyncio
import logging
import random

from liveqa.edge.handshake import RequestHead
from liveqa.edge.upstream import OriginError, OriginResponse, OriginUnreachable, Upstream
from liveqa.edge.wsoverhttp import (
    KEEP_ALIVE_SLACK,
    OPEN_EVENT,
    PROXY_ERROR,
    ClientSide,
    Opened,
    Phase,
    WsOverHttp,
)
from liveqa.logs import CONNECTION_ID

log = logging.getLogger("liveqa.edge")

MAX_RETRIES = 5


class Relay(WsOverHttp):
    """Sends the client's events to the origin, one request at a time, and obeys the answers."""

    __slots__ = ("_keepalive_timer", "_task", "last_request", "upstream")

    def __init__(
        self,
        client: ClientSide,
        upstream: Upstream,
        head: RequestHead,
        peer: str | None,
        trust_proto: bool = False,
    ) -> None:
        super().__init__(client, head, peer, trust_proto)
        self.upstream = upstream
        self.last_request = 0.0
        self._keepalive_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    # -- opening -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Send OPEN until the origin accepts or refuses; the client side then answers."""
        # This task's log lines, and those of the tasks it starts, are about this connection.
        CONNECTION_ID.set(self.cid)
        try:
            await self._open()
        except asyncio.CancelledError:
            # The edge is shutting down before the origin settled this handshake.
            self.client.refuse(503, "Server shutting down.\n")
            raise
        except Exception:
            log.exception("handshake: unexpected failure")
            self.phase = Phase.FINISHED
            self.client.broken()

    async def _open(self) -> None:
        while True:
            try:
                response = await self._post(OPEN_EVENT)
            except OriginUnreachable as exc:
                log.warning("handshake: %s", exc)
                self.client.refuse(502, f"{exc}\n")
                return
            except OriginError as exc:
                log.warning("handshake: origin error: %s", exc)
                self.client.refuse(502, PROXY_ERROR)
                return
            opened = self.open_answer(response)
            if opened == Opened.SETTLED:
                return
            if opened == Opened.ACCEPTED:
                break
            await asyncio.sleep(self.keepalive_interval)
            if self.client.gone:
                # The client left meanwhile; the origin has seen this connection, so it is told.
                self.disconnect()
                return
        self._schedule_keepalive()
        if self.pending:
            self._kick()

    # -- from the client ---------------------------------------------------------------------

    def client_event(self, event: bytes) -> bool:
        """Queue an encoded event for the origin and send it when nothing is in flight."""
        if super().client_event(event):
            self._kick()
            return True
        return False

    def client_close(self, event: bytes) -> bool:
        """Pass the client's CLOSE on; False when no origin listens (the caller answers it)."""
        if not super().client_close(event):
            return False
        self._cancel_keepalive()
        self._kick()
        return True

    def poll(self) -> bool:
        """Send a request even with nothing queued, so the origin can push through its answer."""
        if super().poll():
            self._kick()
            return True
        return False

    def disconnect(self) -> bool:
        """The client is gone: the origin hears DISCONNECT alone."""
        if not super().disconnect():
            return False
        self._cancel_keepalive()
        self._kick()
        return True

    def fail(self) -> None:
        """The origin cannot be used any more."""
        super().fail()
        self._cancel_keepalive()

    async def wait_idle(self) -> None:
        """Wait until nothing is in flight (used at shutdown)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    # -- requests ----------------------------------------------------------------------------

    def _kick(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # Started from socket callbacks, which serve every connection: name this one.
        CONNECTION_ID.set(self.cid)
        try:
            while (body := self.next_body()) is not None:
                interval = self.keepalive_interval
                response = await self._exchange(body)
                if not self.answered(body, response):
                    return
                if self.phase >= Phase.DETACHED:
                    self._cancel_keepalive()
                elif interval != self.keepalive_interval:
                    self._schedule_keepalive()
        finally:
            self._task = None

    async def _exchange(self, body: bytes) -> OriginResponse | None:
        """One request, retried with backoff while the origin cannot be reached."""
        for attempt in range(MAX_RETRIES + 1):
            try:
                return await self._post(body)
            except OriginUnreachable as exc:
                if attempt == MAX_RETRIES:
                    log.warning("connection %s: %s, giving up", self.cid, exc)
                    break
                await asyncio.sleep(2**attempt + random.random())
            except OriginError as exc:
                log.warning("connection %s: %s", self.cid, exc)
                break
        return None

    async def _post(self, body: bytes) -> OriginResponse:
        headers = self.request_headers()
        self.upstream.sign(headers)
        self.last_request = asyncio.get_running_loop().time()
        # An OPEN or an empty poll may go to another origin when one hangs; messages may not.
        idempotent = body == OPEN_EVENT or not body
        return await self.upstream.post(self.target, headers, body, idempotent=idempotent)

    # -- WebSocket-over-HTTP keep-alive -------------------------------------------------------

    def _schedule_keepalive(self) -> None:
        self._cancel_keepalive()
        due = self.keepalive_due(self.last_request)
        if due is not None:
            self._keepalive_timer = asyncio.get_running_loop().call_at(due, self._keepalive_fired)

    def _cancel_keepalive(self) -> None:
        if self._keepalive_timer is not None:
            self._keepalive_timer.cancel()
            self._keepalive_timer = None

    def _keepalive_fired(self) -> None:
        self._keepalive_timer = None
        loop = asyncio.get_running_loop()
        due = self.keepalive_due(self.last_request)
        if self._task is None and due is not None and loop.time() >= due - KEEP_ALIVE_SLACK:
            self.poll()
            self.last_request = loop.time()
        self._schedule_keepalive()
