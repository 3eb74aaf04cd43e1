"""One client's WebSocket-over-HTTP exchange with the origin, sans I/O (docs/protocol.md).

What goes to the origin next and what its answers mean for the client are decided here; the
asyncio `Relay` posts the bodies, retries and runs the keep-alive timer. Effects on the client
go through `ClientSide`, so this module knows nothing of sockets.
"""

from __future__ import annotations

import logging
import uuid
from enum import IntEnum
from typing import Protocol

from liveqa.edge import frames
from liveqa.edge.backlog import MAX_REQUEST_CONTENT, Backlog
from liveqa.edge.handshake import RequestHead
from liveqa.edge.upstream import OriginResponse
from liveqa.grip import control as grip_control
from liveqa.grip import events as ev
from liveqa.grip.control import CONTROL_PREFIX, ControlError, parse_control, parse_grip_extension

log = logging.getLogger("liveqa.edge")

# Event bytes queued or in flight past which the client's socket is no longer read, until no more
# than one request's worth is left: a client cannot send faster than the origin takes it.
BACKLOG_HIGH = 2 * MAX_REQUEST_CONTENT
BACKLOG_LOW = MAX_REQUEST_CONTENT
MIN_KEEP_ALIVE_INTERVAL = 20
# A keep-alive request is sent this early rather than wait a whole extra interval.
KEEP_ALIVE_SLACK = 0.05
PROXY_ERROR = "Error while proxying to origin.\n"

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
DISCONNECT = ev.encode_event(ev.WebSocketEvent(ev.DISCONNECT))
OPEN_EVENT = ev.encode_event(ev.WebSocketEvent(ev.OPEN))
_BARE_CLOSE = ev.encode_event(ev.WebSocketEvent(ev.CLOSE))


class Phase(IntEnum):
    """Where the exchange with the origin is; later phases take less from the client."""

    OPENING = 0  # OPEN goes to the origin until it accepts or refuses
    OPEN = 1
    CLOSING = 2  # the client's CLOSE is queued: the origin has one answer left to give
    DETACHED = 3  # the origin detached: its side ends with a bare CLOSE, the client stays
    FINISHED = 4  # nothing more goes to the origin


class Opened(IntEnum):
    """What the origin's answer to OPEN settled."""

    ACCEPTED = 0
    DEFERRED = 1  # an empty answer with a keep-alive interval: ask again after it
    SETTLED = 2  # refused, rejected or the client already gone: nothing more to do


class ClientSide(Protocol):
    """What the exchange needs of the client's socket."""

    @property
    def gone(self) -> bool:
        """The client has left."""

    def accept(self, headers: list[tuple[str, str]]) -> bool:
        """Complete the handshake with these headers; False when the client has gone."""

    def refuse(self, status: int, text: str) -> None:
        """Answer the handshake with an error of the edge's own."""

    def reject(self, response: OriginResponse) -> None:
        """Pass the origin's refusal on to the client."""

    def send(self, opcode: int, payload: bytes) -> None:
        """Queue a frame for the client."""

    def close_by_origin(self, code: int | None, reason: str) -> None:
        """The origin sent CLOSE."""

    def close_unanswered(self) -> None:
        """The origin let the client's close go unanswered."""

    def origin_failed(self) -> None:
        """The origin broke the exchange."""

    def broken(self) -> None:
        """Something unexpected failed: refuse the handshake, or close with 1011."""

    def abort(self) -> None:
        """Drop the client without a close handshake."""

    def backlog_drained(self) -> None:
        """Few enough events wait for the origin: read the client again."""

    def subscribe(self, channel: str) -> bool:
        """Subscribe to a channel; False at the subscription limit."""

    def unsubscribe(self, channel: str) -> None:
        """Unsubscribe from a channel."""

    def set_keepalive(self, frame: bytes | None, timeout: int, interval: bool) -> None:
        """Send `frame` to an idle client (None turns it off)."""

    def send_delayed(self, frame: bytes | None, timeout: int) -> None:
        """Send `frame` after `timeout` seconds unless replaced or flushed."""

    def flush_delayed(self) -> None:
        """Send the delayed frame now."""


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


class WsOverHttp:
    """The events queued for the origin, one request at a time, and the obeying of its answers."""

    __slots__ = (
        "_poll",
        "_sending",
        "base_headers",
        "cid",
        "client",
        "keepalive_interval",
        "meta",
        "pending",
        "phase",
        "prefix",
        "target",
    )

    def __init__(
        self, client: ClientSide, head: RequestHead, peer: str | None, trust_proto: bool = False
    ) -> None:
        self.client = client
        self.target = head.target
        self.cid = str(uuid.uuid4())
        self.base_headers = forwarded_headers(head, peer, self.cid, trust_proto)
        self.phase = Phase.OPENING
        self.meta: dict[str, str] | None = None
        self.prefix: bytes | None = None
        self.pending = Backlog()
        self.keepalive_interval = 0
        self._poll = False
        self._sending = 0

    @property
    def backlog(self) -> int:
        """Event bytes queued for the origin or in flight to it."""
        return self.pending.size + self._sending

    @property
    def backlogged(self) -> bool:
        """True while the client must not be read (`ClientSide.backlog_drained` resumes it)."""
        return self.pending.size + self._sending > BACKLOG_HIGH

    # -- from the client: True when a request is due -----------------------------------------

    def client_event(self, event: bytes) -> bool:
        """Queue an encoded event for the origin; False once the origin's side is over."""
        if self.phase >= Phase.DETACHED:
            return False
        self.pending.append(event)
        return True

    def client_close(self, event: bytes) -> bool:
        """Queue the client's CLOSE; False when no origin listens (the client side answers it)."""
        if self.phase >= Phase.CLOSING:
            return False
        self.pending.append(event)
        self.phase = Phase.CLOSING
        return True

    def poll(self) -> bool:
        """Ask for a request even with nothing queued, so the origin can push its answer."""
        if self.phase >= Phase.DETACHED:
            return False
        self._poll = True
        return True

    def disconnect(self) -> bool:
        """The client is gone: drop what it queued and tell the origin with DISCONNECT alone.

        Like Pushpin: nobody is left to answer, and a flooding client that leaves must not keep
        the origin busy with its backlog.
        """
        if self.phase >= Phase.CLOSING:
            return False
        self.pending.clear()
        self.pending.append(DISCONNECT)
        self.phase = Phase.FINISHED
        return True

    # -- requests ----------------------------------------------------------------------------

    def next_body(self) -> bytes | None:
        """The next request body (b"" for a poll), None when nothing is due."""
        if self.pending:
            body = self.pending.take()
        elif self._poll:
            body = b""
        else:
            return None
        self._sending = len(body)
        self._poll = False
        return body

    def request_headers(self) -> list[tuple[str, str]]:
        """The headers of the next request, before it is signed."""
        headers = list(self.base_headers)
        if self.meta:
            headers += [(f"Meta-{name}", value) for name, value in self.meta.items()]
        return headers

    def answered(self, body: bytes, response: OriginResponse | None) -> bool:
        """The origin answered `body` (None: it never will); False when no request follows."""
        self._sending = 0
        if response is None:
            self.fail()
        elif body != DISCONNECT:
            self._apply_response(response)
        if self.backlog <= BACKLOG_LOW:
            self.client.backlog_drained()
        if response is None or body == DISCONNECT:
            return False
        if self.phase == Phase.CLOSING and not self.pending:
            # The origin had its one chance to answer the close; what is left is the edge's.
            self.phase = Phase.FINISHED
            self.client.close_unanswered()
        return True

    def fail(self) -> None:
        """The origin cannot be used any more: close the client with 1011 unless detached."""
        detached = self.phase == Phase.DETACHED
        self.phase = Phase.FINISHED
        self.pending.clear()
        if not detached:
            self.client.origin_failed()

    # -- answers -----------------------------------------------------------------------------

    def open_answer(self, response: OriginResponse) -> Opened:
        """The origin's answer to OPEN: accept, refuse or defer the client's handshake."""
        client = self.client
        if response.status != 200 or response.headers.get("Content-Type") != ev.CONTENT_TYPE:
            client.reject(response)
            return Opened.SETTLED
        try:
            events = ev.decode_events(response.body)
        except ev.EventsError as exc:
            log.warning("handshake: malformed origin response: %s", exc)
            client.refuse(502, PROXY_ERROR)
            return Opened.SETTLED
        self._apply_headers(response)
        if not events:
            if self.keepalive_interval:
                return Opened.DEFERRED
            log.warning("handshake: origin answered OPEN with no events and no keep-alive")
            client.refuse(502, PROXY_ERROR)
            return Opened.SETTLED
        if events[0].type != ev.OPEN:
            log.warning("handshake: origin response does not start with OPEN")
            client.refuse(502, PROXY_ERROR)
            return Opened.SETTLED
        self.prefix = parse_grip_extension(response.headers.get("Sec-WebSocket-Extensions"))
        client_headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_FOR_CLIENT and not name.lower().startswith("set-meta-")
        ]
        # Open before the 101: the client's early messages are read as it is written.
        self.phase = Phase.OPEN
        if not client.accept(client_headers):
            self.disconnect()
            return Opened.SETTLED
        self._apply_events(events, 1)
        return Opened.ACCEPTED

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
                self.keepalive_interval = keepalive_interval(value)

    def _apply_response(self, response: OriginResponse) -> None:
        if self.phase >= Phase.DETACHED:
            return
        if response.status != 200 or response.headers.get("Content-Type") != ev.CONTENT_TYPE:
            log.warning("connection %s: origin answered %d", self.cid, response.status)
            self.fail()
            return
        try:
            events = ev.decode_events(response.body)
        except ev.EventsError as exc:
            log.warning("connection %s: malformed origin response: %s", self.cid, exc)
            self.fail()
            return
        self._apply_headers(response)
        self._apply_events(events, 0)

    def _apply_events(self, events: list[ev.WebSocketEvent], start: int) -> None:
        client = self.client
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
                client.send(frames.OPCODES[kind], payload)
            elif kind == ev.PING or kind == ev.PONG:
                client.send(frames.OPCODES[kind], payload)
            elif kind == ev.CLOSE:
                try:
                    code, reason = ev.parse_close_payload(content)
                except ev.EventsError:
                    code, reason = None, ""
                client.close_by_origin(code, reason)
                return
            else:
                # DISCONNECT, or a second OPEN, which Pushpin also treats as a disconnect.
                self.phase = Phase.FINISHED
                self.pending.clear()
                client.abort()
                return

    def _control(self, data: bytes) -> None:
        try:
            message = parse_control(data)
        except ControlError as exc:
            log.warning("connection %s: bad control message: %s", self.cid, exc)
            return
        client = self.client
        if isinstance(message, grip_control.Subscribe):
            if not client.subscribe(message.channel):
                log.warning("connection %s: subscription limit reached", self.cid)
        elif isinstance(message, grip_control.Unsubscribe):
            client.unsubscribe(message.channel)
        elif isinstance(message, grip_control.Detach):
            # Like Pushpin: the origin side ends with a bare CLOSE, the client stays subscribed.
            self.phase = Phase.DETACHED
            self.pending.clear()
            self.pending.append(_BARE_CLOSE)
        elif isinstance(message, grip_control.KeepAlive):
            spec = message.frame()
            client.set_keepalive(
                None if spec is None else frames.encode_frame(frames.OPCODES[spec[0]], spec[1]),
                message.timeout,
                message.mode == "interval",
            )
        elif isinstance(message, grip_control.SendDelayed):
            spec = message.frame()
            client.send_delayed(
                None if spec is None else frames.encode_frame(frames.OPCODES[spec[0]], spec[1]),
                message.timeout,
            )
        elif isinstance(message, grip_control.FlushDelayed):
            client.flush_delayed()
        # set-meta and session feed publish filters and recovery, which this edge does not offer.

    # -- WebSocket-over-HTTP keep-alive -------------------------------------------------------

    def keepalive_due(self, last_request: float) -> float | None:
        """When the origin wants an empty request if none went since `last_request`; None: never."""
        if self.keepalive_interval and self.phase < Phase.DETACHED:
            return last_request + self.keepalive_interval
        return None


def keepalive_interval(value: str) -> int:
    """Keep-Alive-Interval: at least 20 seconds; 0 or anything unparsable turns it off."""
    try:
        seconds = int(value.strip())
    except ValueError:
        return 0
    return max(seconds, MIN_KEEP_ALIVE_INTERVAL) if seconds > 0 else 0
