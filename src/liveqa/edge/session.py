"""A client's WebSocket-over-HTTP exchange with the origin (docs/grip.md §1)."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from typing import TYPE_CHECKING

from liveqa.edge import frames
from liveqa.edge.backlog import MAX_REQUEST_CONTENT, Backlog
from liveqa.edge.handshake import RequestHead
from liveqa.edge.upstream import OriginError, OriginResponse, OriginUnreachable, Upstream
from liveqa.grip import control as grip_control
from liveqa.grip import events as ev
from liveqa.grip.control import CONTROL_PREFIX, ControlError, parse_control, parse_grip_extension
from liveqa.logs import CONNECTION_ID

if TYPE_CHECKING:
    from liveqa.edge.connection import ClientConnection

log = logging.getLogger("liveqa.edge")

MAX_REJECTION_BODY = 100_000
# Event bytes queued or in flight past which the client's socket is no longer read, until no more
# than one request's worth is left: a client cannot send faster than the origin takes it.
BACKLOG_HIGH = 2 * MAX_REQUEST_CONTENT
BACKLOG_LOW = MAX_REQUEST_CONTENT
MAX_RETRIES = 5
MIN_KEEP_ALIVE_INTERVAL = 20

# Client handshake headers passed to the origin: what an application reads from a handshake,
# plus its own `X-` headers. Everything else stays here: Expect, TE and the hop-by-hop and framing
# headers could change how the origin reads the request stream shared with other clients' requests.
_FORWARDED = frozenset(
    (
        "host",
        "cookie",
        "authorization",
        "origin",
        "user-agent",
        "referer",
        "accept-language",
        "cache-control",
        "pragma",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
    )
)
# `X-` headers the edge sets itself, or that only a trusted proxy may set.
_NOT_FORWARDED_X = ("x-forwarded-", "x-real-ip")
# Origin response headers that describe the HTTP exchange, not the client's 101.
_NOT_FOR_CLIENT = frozenset(
    (
        "content-type",
        "content-length",
        "keep-alive-interval",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        "connection",
        "upgrade",
        "transfer-encoding",
        "keep-alive",
    )
)
_DISCONNECT = ev.encode_event(ev.WebSocketEvent(ev.DISCONNECT))
_OPEN = ev.encode_event(ev.WebSocketEvent(ev.OPEN))
_BARE_CLOSE = ev.encode_event(ev.WebSocketEvent(ev.CLOSE))


def forwarded_headers(
    head: RequestHead, peer: str | None, cid: str, trust_proto: bool = False
) -> list[tuple[str, str]]:
    """The headers every request of this connection carries (meta and Grip-Sig come on top).

    With `trust_proto`, the X-Forwarded-Proto of a TLS front is passed on instead of `ws`.
    """
    headers = [(name, value) for name, value in head.headers if _forwarded(name.lower())]
    forwarded_for = head.get("X-Forwarded-For")
    if peer is not None:
        forwarded_for = f"{forwarded_for}, {peer}" if forwarded_for else peer
    if forwarded_for:
        headers.append(("X-Forwarded-For", forwarded_for))
    proto = head.get("X-Forwarded-Proto") if trust_proto else None
    headers += [
        ("X-Forwarded-Proto", proto or "ws"),
        ("Content-Type", ev.CONTENT_TYPE),
        ("Accept", ev.CONTENT_TYPE),
        ("Connection-Id", cid),
        ("Sec-WebSocket-Extensions", "grip"),
    ]
    return headers


def _forwarded(name: str) -> bool:
    if name.startswith("x-"):
        return not name.startswith(_NOT_FORWARDED_X)
    return name in _FORWARDED


class Session:
    """Sends the connection's events to the origin, one request at a time, and obeys the answers."""

    __slots__ = (
        "_closing",
        "_keepalive_timer",
        "_poll",
        "_sending",
        "_task",
        "base_headers",
        "cid",
        "conn",
        "detached",
        "finished",
        "keepalive_interval",
        "last_request",
        "meta",
        "pending",
        "prefix",
        "target",
        "upstream",
    )

    def __init__(
        self, conn: ClientConnection, upstream: Upstream, head: RequestHead, peer: str | None
    ):
        self.conn = conn
        self.upstream = upstream
        self.target = head.target
        self.cid = str(uuid.uuid4())
        trust_proto = conn.edge.config.trust_forwarded_proto
        self.base_headers = forwarded_headers(head, peer, self.cid, trust_proto)
        self.meta: dict[str, str] | None = None
        self.prefix: bytes | None = None
        self.pending = Backlog()
        self.detached = False
        self.finished = False
        self.keepalive_interval = 0
        self.last_request = 0.0
        self._keepalive_timer: asyncio.TimerHandle | None = None
        self._poll = False
        self._sending = 0
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    # -- opening -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Send OPEN until the origin accepts or refuses; the connection then answers the client."""
        # This task's log lines, and those of the tasks it starts, are about this connection.
        CONNECTION_ID.set(self.cid)
        try:
            await self._open()
        except asyncio.CancelledError:
            # The edge is shutting down before the origin settled this handshake.
            self.conn.refuse(503, "Server shutting down.\n")
            raise
        except Exception:
            log.exception("handshake: unexpected failure")
            self.finished = True
            self.conn.broken()

    async def _open(self) -> None:
        while True:
            try:
                response = await self._post(_OPEN)
            except OriginUnreachable as exc:
                log.warning("handshake: %s", exc)
                self.conn.refuse(502, f"{exc}\n")
                return
            except OriginError as exc:
                log.warning("handshake: origin error: %s", exc)
                self.conn.refuse(502, "Error while proxying to origin.\n")
                return
            if response.status != 200 or response.headers.get("Content-Type") != ev.CONTENT_TYPE:
                self.conn.reject(response)
                return
            try:
                events = ev.decode_events(response.body)
            except ev.EventsError as exc:
                log.warning("handshake: malformed origin response: %s", exc)
                self.conn.refuse(502, "Error while proxying to origin.\n")
                return
            self._apply_headers(response)
            if events:
                break
            if not self.keepalive_interval:
                log.warning("handshake: origin answered OPEN with no events and no keep-alive")
                self.conn.refuse(502, "Error while proxying to origin.\n")
                return
            # An empty answer with Keep-Alive-Interval defers acceptance: ask again later.
            await asyncio.sleep(self.keepalive_interval)
            if self.conn.transport is None:
                # The client left meanwhile; the origin has seen this connection, so it is told.
                self.disconnect()
                return
        if events[0].type != ev.OPEN:
            log.warning("handshake: origin response does not start with OPEN")
            self.conn.refuse(502, "Error while proxying to origin.\n")
            return
        self.prefix = parse_grip_extension(response.headers.get("Sec-WebSocket-Extensions"))
        client_headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_FOR_CLIENT and not name.lower().startswith("set-meta-")
        ]
        if not self.conn.accept(client_headers):
            self.disconnect()
            return
        self._apply_events(events, 1)
        self._schedule_keepalive()
        if self.pending:
            self._kick()

    # -- client side -------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Event bytes queued for the origin or in flight to it."""
        return self.pending.size + self._sending

    @property
    def backlogged(self) -> bool:
        """True while the client must not be read (the connection resumes at `backlog_drained`)."""
        return self.backlog > BACKLOG_HIGH

    def client_event(self, event: bytes) -> None:
        """Queue an encoded event for the origin (dropped once detached or finished)."""
        if self.detached or self.finished:
            return
        self.pending.append(event)
        self._kick()

    def client_close(self, event: bytes) -> bool:
        """Pass the client's CLOSE on; False when no origin listens (the caller answers it)."""
        if self.detached or self.finished or self._closing:
            return False
        self.pending.append(event)
        self._closing = True
        self._cancel_keepalive()
        self._kick()
        return True

    def poll(self) -> None:
        """Send a request even with nothing queued, so the origin can push through its answer."""
        if self.detached or self.finished:
            return
        self._poll = True
        self._kick()

    def disconnect(self) -> None:
        """The client is gone: drop what it queued and tell the origin with DISCONNECT alone.

        Like Pushpin: nobody is left to answer, and a flooding client that leaves must not keep
        the origin busy with its backlog.
        """
        if self.detached or self.finished or self._closing:
            return
        self.pending.clear()
        self.pending.append(_DISCONNECT)
        self.finished = True
        self._cancel_keepalive()
        self._kick()

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
            while self.pending or self._poll:
                body = self.pending.take() if self.pending else b""
                self._sending = len(body)
                self._poll = False
                response = await self._exchange(body)
                self._sending = 0
                if response is not None and body != _DISCONNECT:
                    self._apply_response(response)
                if self.backlog <= BACKLOG_LOW:
                    self.conn.backlog_drained()
                if response is None or body == _DISCONNECT:
                    return
                if self._closing and not self.pending:
                    # The origin had its one chance to answer the close; what is left is ours.
                    self.finished = True
                    self.conn.close_unanswered()
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
        self._fail()
        return None

    async def _post(self, body: bytes) -> OriginResponse:
        headers = list(self.base_headers)
        if self.meta:
            headers += [(f"Meta-{name}", value) for name, value in self.meta.items()]
        self.upstream.sign(headers)
        self.last_request = asyncio.get_running_loop().time()
        # An OPEN or an empty poll may go to another origin when one hangs; messages may not.
        idempotent = body == _OPEN or not body
        return await self.upstream.post(self.target, headers, body, idempotent=idempotent)

    def _fail(self) -> None:
        self.finished = True
        self.pending.clear()
        self._cancel_keepalive()
        if not self.detached:
            self.conn.origin_failed()

    # -- responses ---------------------------------------------------------------------------

    def _apply_headers(self, response: OriginResponse) -> None:
        for name, value in response.headers.items():
            lower = name.lower()
            if lower.startswith("set-meta-") and len(name) > 9:
                meta = self.meta if self.meta is not None else {}
                if value:
                    meta[name[9:]] = value
                else:
                    meta.pop(name[9:], None)
                self.meta = meta or None
            elif lower == "keep-alive-interval":
                self.keepalive_interval = _keepalive_interval(value)

    def _apply_response(self, response: OriginResponse) -> None:
        if self.finished:
            return
        if response.status != 200 or response.headers.get("Content-Type") != ev.CONTENT_TYPE:
            log.warning("connection %s: origin answered %d", self.cid, response.status)
            self._fail()
            return
        try:
            events = ev.decode_events(response.body)
        except ev.EventsError as exc:
            log.warning("connection %s: malformed origin response: %s", self.cid, exc)
            self._fail()
            return
        interval = self.keepalive_interval
        self._apply_headers(response)
        if interval != self.keepalive_interval:
            self._schedule_keepalive()
        self._apply_events(events, 0)

    def _apply_events(self, events: list[ev.WebSocketEvent], start: int) -> None:
        conn = self.conn
        prefix = self.prefix
        for index in range(start, len(events)):
            kind, content = events[index]
            payload = content or b""
            if kind == ev.TEXT or kind == ev.BINARY:
                if prefix is not None:
                    if kind == ev.TEXT and payload.startswith(CONTROL_PREFIX):
                        self._control(payload[2:])
                        continue
                    if not payload.startswith(prefix):
                        continue
                    payload = payload[len(prefix) :]
                conn.send(frames.OPCODES[kind], payload)
            elif kind == ev.PING or kind == ev.PONG:
                conn.send(frames.OPCODES[kind], payload)
            elif kind == ev.CLOSE:
                try:
                    code, reason = ev.parse_close_payload(content)
                except ev.EventsError:
                    code, reason = None, ""
                conn.close_by_origin(code, reason)
                return
            else:
                # DISCONNECT, or a second OPEN, which Pushpin also treats as a disconnect.
                self.finished = True
                self.pending.clear()
                self._cancel_keepalive()
                conn.abort()
                return

    def _control(self, data: bytes) -> None:
        try:
            message = parse_control(data)
        except ControlError as exc:
            log.warning("connection %s: bad control message: %s", self.cid, exc)
            return
        conn = self.conn
        if isinstance(message, grip_control.Subscribe):
            if not conn.hub.subscribe(conn, message.channel):
                log.warning("connection %s: subscription limit reached", self.cid)
        elif isinstance(message, grip_control.Unsubscribe):
            conn.hub.unsubscribe(conn, message.channel)
        elif isinstance(message, grip_control.Detach):
            # Like Pushpin: the origin side ends with a bare CLOSE, the client stays subscribed.
            self.detached = self.finished = True
            self.pending.clear()
            self.pending.append(_BARE_CLOSE)
            self._cancel_keepalive()
        elif isinstance(message, grip_control.KeepAlive):
            spec = message.frame()
            conn.set_keepalive(
                None if spec is None else frames.encode_frame(frames.OPCODES[spec[0]], spec[1]),
                message.timeout,
                message.mode == "interval",
            )
        elif isinstance(message, grip_control.SendDelayed):
            spec = message.frame()
            conn.send_delayed(
                None if spec is None else frames.encode_frame(frames.OPCODES[spec[0]], spec[1]),
                message.timeout,
            )
        elif isinstance(message, grip_control.FlushDelayed):
            conn.flush_delayed()
        # set-meta and session feed publish filters and recovery, which this edge does not offer.

    # -- WebSocket-over-HTTP keep-alive -------------------------------------------------------

    def _schedule_keepalive(self) -> None:
        self._cancel_keepalive()
        if self.keepalive_interval and not self.finished and not self.detached:
            loop = asyncio.get_running_loop()
            due = self.last_request + self.keepalive_interval
            self._keepalive_timer = loop.call_at(due, self._keepalive_due)

    def _cancel_keepalive(self) -> None:
        if self._keepalive_timer is not None:
            self._keepalive_timer.cancel()
            self._keepalive_timer = None

    def _keepalive_due(self) -> None:
        self._keepalive_timer = None
        loop = asyncio.get_running_loop()
        if self._task is None and loop.time() >= self.last_request + self.keepalive_interval - 0.05:
            self.poll()
            self.last_request = loop.time()
        self._schedule_keepalive()


def _keepalive_interval(value: str) -> int:
    """Keep-Alive-Interval: at least 20 seconds; 0 or anything unparsable turns it off."""
    try:
        seconds = int(value.strip())
    except ValueError:
        return 0
    return max(seconds, MIN_KEEP_ALIVE_INTERVAL) if seconds > 0 else 0
