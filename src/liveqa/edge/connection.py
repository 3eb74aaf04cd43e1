"""One client socket's I/O: bytes in and out, timers, the hub and the origin relay.

What the bytes mean and which state comes next is `ClientProtocol`'s (edge/protocol.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from liveqa.addresses import is_loopback
from liveqa.edge import frames
from liveqa.edge.addresses import AddressLimit, forwarded_client
from liveqa.edge.handshake import (
    CrossSiteError,
    HandshakeError,
    RequestHead,
    error_response,
    http_response,
    parse_request_head,
)
from liveqa.edge.hub import Hub
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.protocol import (
    CLIENT_CLOSING,
    CLOSED,
    CLOSING,
    HEAD,
    OPEN,
    OPENING,
    ClientProtocol,
    HandOver,
    Refuse,
    keepalive_wait,
)
from liveqa.edge.relay import Relay
from liveqa.edge.upstream import OriginResponse, Upstream
from liveqa.grip import events as ev
from liveqa.websocket import CloseCode

log = logging.getLogger("liveqa.edge")

# Seconds a client refused for the per-address limit is asked to wait before trying again.
ADDRESS_RETRY_AFTER = 10
# Frames handled for one client in one turn of the event loop before the other clients get theirs.
FRAMES_PER_TURN = 128

# The most of an origin's refusal body passed on to the client.
MAX_REJECTION_BODY = 100_000

_EVENT_TYPES = {opcode: kind for kind, opcode in frames.OPCODES.items() if kind.isupper()}
_NOT_IN_REJECTION = frozenset(("content-length", "transfer-encoding", "connection", "keep-alive"))


class ClientSettings(Protocol):
    """The options a client connection reads."""

    @property
    def head_timeout(self) -> float:
        """Seconds a client has to send its request head."""

    @property
    def trust_forwarded_for(self) -> bool:
        """Whether the proxy in front names each client in X-Forwarded-For."""

    @property
    def trust_forwarded_proto(self) -> bool:
        """Whether the proxy in front says in X-Forwarded-Proto how the client came."""

    @property
    def websocket_paths(self) -> tuple[str, ...]:
        """Where WebSocket handshakes are taken."""

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The other sites whose pages may open sockets here."""


class EdgeSide(Protocol):
    """What a client connection needs of the edge that holds it."""

    hub: Hub
    metrics: EdgeMetrics
    addresses: AddressLimit
    max_message_size: int
    max_client_buffer: int

    @property
    def config(self) -> ClientSettings:
        """The edge's options."""

    @property
    def upstream(self) -> Upstream:
        """The origin client."""

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a background task that shutdown waits for."""

    def register(self, connection: ClientConnection) -> None:
        """The client's socket was accepted."""

    def forget(self, connection: ClientConnection) -> None:
        """An accepted client's socket ended."""

    def http_protocol(self, key: str | None) -> asyncio.Protocol:
        """A plain HTTP protocol for a socket, counted under `key`."""


class ClientConnection(ClientProtocol, asyncio.Protocol):
    """A client socket held by the edge: moves its bytes, runs its timers, talks to the origin.

    What to answer and which state comes next is decided by `ClientProtocol`.
    """

    __slots__ = (
        "_address",
        "_delayed",
        "_keepalive",
        "_next_read",
        "_paused",
        "_timer",
        "channels",
        "edge",
        "hub",
        "last_write",
        "outbox",
        "relay",
        "transport",
    )

    def __init__(self, edge: EdgeSide) -> None:
        super().__init__()
        self.edge = edge
        self.hub: Hub = edge.hub
        self.transport: asyncio.Transport | None = None
        self.outbox: bytes | list[bytes] | None = None
        self.channels: set[str] = set()
        self.relay: Relay | None = None
        self.last_write = 0.0
        self._paused = False
        self._next_read: asyncio.Handle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._keepalive: tuple[bytes, int, bool] | None = None
        self._delayed: tuple[bytes, asyncio.TimerHandle] | None = None
        self._address: str | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the socket against its address, then wait for the request head."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.edge.config.trust_forwarded_for:
            # Counted now, head or not: sockets that never send one hold descriptors too.
            peer = transport.get_extra_info("peername")
            try:
                self._count(peer[0] if peer else None)
            except HandshakeError as exc:
                self._finish(self.refuse_handshake(error_response(exc)))
                return
        self._arm_timeout()

    def data_received(self, data: bytes) -> None:
        """Feed the request head, the bytes held until the 101, or the frame parser."""
        state = self.state
        if state == HEAD:
            self._head_data(data)
        elif state == OPENING:
            self.receive_early(data)
            if self.early_data_over_limit:
                self._pause_reading()
        elif state != CLOSED and self.parser is not None:
            self.parser.receive(data)
            self._read_frames()

    def eof_received(self) -> bool | None:
        """A half-closed client is treated as gone."""
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Clean up; tell the origin unless the close was a clean handshake."""
        previous = self.lost()
        self.transport = None
        self.outbox = None
        self._cancel_timers()
        if self._next_read is not None:
            self._next_read.cancel()
            self._next_read = None
        if self._address is not None:
            self.edge.addresses.release(self._address)
            self._address = None
        if previous in (OPEN, CLOSING, CLIENT_CLOSING):
            self.hub.remove(self)
            self.edge.forget(self)
        # A refused or rejected handshake (CLOSED here) never opened an origin exchange.
        if self.relay is not None and previous not in (OPENING, CLOSED):
            self.relay.disconnect()

    # -- handshake ---------------------------------------------------------------------------

    def _head_data(self, data: bytes) -> None:
        outcome = self.receive_head(data)
        if outcome is None:
            return
        if isinstance(outcome, Refuse):
            self._finish(outcome.response)
        elif isinstance(outcome, HandOver):
            if self.edge.config.trust_forwarded_for:
                # Counted under the client of its first request, whoever later reuses it.
                try:
                    self._count(self._forwarded_client(outcome.head))
                except HandshakeError as exc:
                    self._finish(self.refuse_handshake(error_response(exc)))
                    return
            self._hand_over(outcome.data)
        else:
            self.start_websocket(outcome)

    def adopt(self, head: bytes) -> None:
        """Take an upgrade that came on a kept-alive HTTP connection, judged by this parser too."""
        try:
            parsed = parse_request_head(head)
        except HandshakeError as exc:
            self._finish(self.refuse_handshake(error_response(exc)))
            return
        self.start_websocket(parsed)

    def start_websocket(self, head: RequestHead) -> None:
        """Check the handshake and ask the origin whether to accept it."""
        config = self.edge.config
        try:
            try:
                self.upgrade(head, config.websocket_paths, config.allowed_origins)
            except CrossSiteError:
                self.edge.metrics.refused_origins_total += 1
                raise
            if config.trust_forwarded_for:
                # Each WebSocket under its own client: a proxy may reuse a kept-alive connection.
                self._count(self._forwarded_client(head))
        except HandshakeError as exc:
            self.edge.metrics.handshakes_rejected_total += 1
            self._finish(self.refuse_handshake(error_response(exc)))
            return
        assert self.transport is not None
        peer = self.transport.get_extra_info("peername")
        if self.early_data_over_limit:
            self._pause_reading()
        self.relay = Relay(
            self,
            self.edge.upstream,
            head,
            peer[0] if peer else None,
            config.trust_forwarded_proto,
        )
        self.edge.spawn(self.relay.open())

    def _forwarded_client(self, head: RequestHead) -> str | None:
        """The client the trusted proxy names in the last X-Forwarded-For entry."""
        assert self.transport is not None
        peer = self.transport.get_extra_info("peername")
        if not peer:
            return None
        return forwarded_client(peer[0], ", ".join(head.values("X-Forwarded-For")))

    def _count(self, client: str | None) -> None:
        """Count this socket against its client's address; HandshakeError when over the limit."""
        # Loopback clients are this machine's own: the benchmark, a laptop's browser, or a local
        # proxy that was not trusted to say who its clients are.
        if client is None or is_loopback(client):
            return
        edge = self.edge
        self._address = edge.addresses.acquire(client)
        if self._address is None:
            edge.metrics.address_limited_total += 1
            raise HandshakeError(
                f"too many connections from your address: at most {edge.addresses.limit} at once",
                429,
                (("Retry-After", str(ADDRESS_RETRY_AFTER)),),
            )

    def _hand_over(self, buffer: bytes) -> None:
        """Give the socket to the aiohttp server that reverse-proxies plain HTTP."""
        transport = self.transport
        assert transport is not None
        self._cancel_timers()
        self.transport = None
        key, self._address = self._address, None
        protocol = self.edge.http_protocol(key)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(buffer)

    def _finish(self, response: bytes) -> None:
        """Write a final HTTP response and close."""
        if self.transport is not None:
            self.transport.write(response)
            self.transport.close()

    def refuse(self, status: int, text: str) -> None:
        """The origin cannot be used: answer the handshake with an error."""
        self.edge.metrics.handshakes_rejected_total += 1
        headers = [("Content-Type", "text/plain")]
        self._finish(self.refuse_handshake(http_response(status, None, headers, text.encode())))

    def reject(self, response: OriginResponse) -> None:
        """The origin refused the connection: pass its answer on to the client."""
        self.edge.metrics.handshakes_rejected_total += 1
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_IN_REJECTION
        ]
        body = response.body[:MAX_REJECTION_BODY]
        self._finish(
            self.refuse_handshake(http_response(response.status, response.reason, headers, body))
        )

    def accept(self, headers: list[tuple[str, str]]) -> bool:
        """Complete the handshake with 101; False when the client has already gone."""
        if self.transport is None:
            return False
        response = self.switch_protocols(headers, self.edge.max_message_size)
        if response is None:
            return False
        self._cancel_timers()
        self.transport.write(response)
        self.edge.register(self)
        self._read_frames()
        return True

    # -- frames from the client -------------------------------------------------------------

    def _read_frames(self) -> None:
        """Handle the messages the parser holds while the origin keeps up, a turn's share at once.

        The socket is not read while the relay's backlog is over its high-water mark (the
        relay calls `backlog_drained`) or while the rest of this turn's share waits for the
        next turn, so what one client sends costs bounded memory and time.
        """
        parser, relay = self.parser, self.relay
        if parser is None or relay is None or self.state == CLOSED:
            return
        stop = parser.frames + FRAMES_PER_TURN
        while True:
            if relay.backlogged:
                self._pause_reading()
                return
            try:
                message = parser.next_message(stop)
            except frames.ProtocolError as exc:
                self._protocol_error(exc)
                return
            if message is None:
                break
            self._message(*message)
            if self.state == CLOSED or self.parser is None:
                return
        if parser.frames < stop:
            self._resume_reading()
            return
        self._pause_reading()
        self._next_read = asyncio.get_running_loop().call_soon(self._read_next_turn)

    def _read_next_turn(self) -> None:
        self._next_read = None
        self._read_frames()

    def backlog_drained(self) -> None:
        """The relay's backlog is low again: carry on reading the client."""
        if self._paused and self._next_read is None:
            self._read_frames()

    def _pause_reading(self) -> None:
        if not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()

    def _message(self, opcode: int, payload: bytes) -> None:
        relay = self.relay
        assert relay is not None
        if opcode == frames.CLOSE:
            self._client_close(payload)
        elif self.state == OPEN:
            event = ev.encode_event(ev.WebSocketEvent(_EVENT_TYPES[opcode], payload))
            if not relay.client_event(event) and opcode == frames.PING:
                # Nobody at the origin listens any more (detached): the edge answers, as Pushpin.
                self.send(frames.PONG, payload)

    def _protocol_error(self, exc: frames.ProtocolError) -> None:
        """Send the close frame `ClientProtocol.fail` gives, and read on only to drop the rest."""
        if exc.code == CloseCode.MESSAGE_TOO_BIG:
            self.edge.metrics.oversize_closed_total += 1
        self._close_with(self.fail(exc))
        self._resume_reading()

    def _client_close(self, payload: bytes) -> None:
        assert self.relay is not None
        closing = self.state == CLOSING
        try:
            event = self.receive_close(payload)
        except frames.ProtocolError as exc:
            self._protocol_error(exc)
            return
        if event is None:
            return
        if closing:
            self.relay.client_close(event)
            self._close_transport()
        elif not self.relay.client_close(event):
            self._end_close(self.answer_client_close(payload))

    # -- frames to the client ----------------------------------------------------------------

    def send(self, opcode: int, payload: bytes) -> None:
        """Queue a frame for the client."""
        if self.state == OPEN or self.state == CLIENT_CLOSING:
            self.hub.queue(self, frames.encode_frame(opcode, payload))

    def flush(self) -> None:
        """Write everything queued in one call (called by the hub once per loop tick)."""
        outbox, self.outbox = self.outbox, None
        transport = self.transport
        if outbox is None or transport is None:
            return
        transport.write(outbox if isinstance(outbox, bytes) else b"".join(outbox))
        if self._keepalive is not None:
            self.last_write = asyncio.get_running_loop().time()
        if self.close_after_send:
            transport.close()
        elif self.eof_after_send:
            transport.write_eof()
        elif transport.get_write_buffer_size() > self.edge.max_client_buffer:
            self._too_slow()

    def _too_slow(self) -> None:
        if self.state not in (OPEN, CLIENT_CLOSING):
            # Already closing: the close frame's own flush must not count the client again.
            return
        self.edge.metrics.slow_closed_total += 1
        log.info("closing a client that does not read fast enough (1013)")
        self.close_for(CloseCode.TRY_AGAIN_LATER, "client too slow")

    # -- closing -----------------------------------------------------------------------------

    def close_for(self, code: int, reason: str) -> None:
        """The edge itself closes the client (too slow, shutdown)."""
        self._close_with(self.close_frame(code, reason))

    def _close_with(self, frame: bytes | None) -> None:
        """Send the edge's close frame, if one is due: the client and the origin are done."""
        if frame is None:
            return
        self.hub.remove(self)
        if self.relay is not None:
            self.relay.disconnect()
        self._send_close(frame)

    def close_by_origin(self, code: int | None, reason: str) -> None:
        """The origin sent CLOSE: start the close handshake, or answer the client's close."""
        answering = self.state == CLIENT_CLOSING
        frame = self.origin_close(code, reason)
        if frame is None:
            return
        if answering:
            self._end_close(frame)
        else:
            self._send_close(frame)

    def close_by_publisher(self, code: int | None, reason: str) -> None:
        """A publish with `action: close` reached this subscriber: nothing follows the close."""
        frame = self.publisher_close(code, reason)
        if frame is not None:
            # No data frame may follow a Close frame (RFC 6455 5.5.1), and a client that never
            # answers must not go on hearing its channels until the close times out.
            self.hub.remove(self)
            self._send_close(frame)

    def close_unanswered(self) -> None:
        """The origin did not answer the client's close: the edge ends it."""
        frame = self.unanswered_close()
        if frame is not None:
            self._end_close(frame)

    def origin_failed(self) -> None:
        """The origin broke the exchange: close the client with 1011."""
        frame = self.origin_failure()
        if frame is not None:
            self.hub.remove(self)
            self._send_close(frame)

    def broken(self) -> None:
        """Something unexpected failed: refuse the handshake, or close an open socket with 1011."""
        if self.state == OPENING:
            self.refuse(502, "Error while proxying to origin.\n")
        else:
            self.origin_failed()

    @property
    def gone(self) -> bool:
        """The client has left (or its socket went to the HTTP server)."""
        return self.transport is None

    def subscribe(self, channel: str) -> bool:
        """Subscribe to a channel; False at the subscription limit."""
        return self.hub.subscribe(self, channel)

    def unsubscribe(self, channel: str) -> None:
        """Unsubscribe from a channel."""
        self.hub.unsubscribe(self, channel)

    def abort(self) -> None:
        """Drop the client without a close handshake (the origin sent DISCONNECT)."""
        if self.transport is not None:
            self.transport.abort()

    def refresh(self) -> None:
        """A publish with `action: refresh`: ask the origin what to send."""
        if self.relay is not None and self.state == OPEN:
            self.relay.poll()

    def _send_close(self, frame: bytes) -> None:
        self.hub.queue(self, frame)
        self._cancel_timers()
        self._arm_timeout()

    def _end_close(self, frame: bytes) -> None:
        self.hub.queue(self, frame)
        self.hub.remove(self)

    def _close_transport(self) -> None:
        if self.outbox is None and self.transport is not None:
            self.transport.close()

    # -- timers ------------------------------------------------------------------------------

    def _arm_timeout(self) -> None:
        """Drop the socket if it stays in this state longer than `ClientProtocol.timeout` says."""
        timeout = self.timeout(self.edge.config.head_timeout)
        if timeout is not None:
            self._timer = asyncio.get_running_loop().call_later(timeout, self._timed_out)

    def _timed_out(self) -> None:
        self._timer = None
        if self.timeout(self.edge.config.head_timeout) is not None:
            self.abort()

    # -- GRIP keep-alive and delayed messages -----------------------------------------------

    def set_keepalive(self, frame: bytes | None, timeout: int, interval: bool) -> None:
        """Send `frame` after `timeout` idle seconds (or every `timeout` s); None turns it off."""
        if self._timer is not None and self._keepalive is not None:
            self._timer.cancel()
            self._timer = None
        if frame is None or self.state != OPEN:
            self._keepalive = None
            return
        self._keepalive = (frame, timeout, interval)
        loop = asyncio.get_running_loop()
        self.last_write = loop.time()
        self._timer = loop.call_later(timeout, self._keepalive_due)

    def _keepalive_due(self) -> None:
        self._timer = None
        if self._keepalive is None or self.state != OPEN:
            return
        frame, timeout, interval = self._keepalive
        loop = asyncio.get_running_loop()
        send, wait = keepalive_wait(loop.time() - self.last_write, timeout, interval)
        if send:
            self.hub.queue(self, frame)
            self.last_write = loop.time()
        self._timer = loop.call_later(wait, self._keepalive_due)

    def send_delayed(self, frame: bytes | None, timeout: int) -> None:
        """Send `frame` after `timeout` s unless replaced or flushed first."""
        if self._delayed is not None:
            self._delayed[1].cancel()
            self._delayed = None
        if frame is not None and self.state == OPEN:
            handle = asyncio.get_running_loop().call_later(timeout, self.flush_delayed)
            self._delayed = (frame, handle)

    def flush_delayed(self) -> None:
        """Send the pending delayed message now."""
        if self._delayed is not None:
            frame, handle = self._delayed
            handle.cancel()
            self._delayed = None
            if self.state == OPEN:
                self.hub.queue(self, frame)

    def _cancel_timers(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._keepalive = None
        if self._delayed is not None:
            self._delayed[1].cancel()
            self._delayed = None
