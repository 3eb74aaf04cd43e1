"""One client socket: the opening handshake, RFC 6455 frames in and out, and closing."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from liveqa.addresses import is_loopback
from liveqa.edge import frames
from liveqa.edge.addresses import forwarded_client
from liveqa.edge.handshake import (
    MAX_HEAD_SIZE,
    HandshakeError,
    RequestHead,
    check_origin,
    check_route,
    error_response,
    http_response,
    parse_request_head,
    switching_protocols,
    websocket_key,
)
from liveqa.edge.session import MAX_REJECTION_BODY, Session
from liveqa.edge.upstream import OriginResponse
from liveqa.grip import events as ev
from liveqa.websocket import CloseCode

if TYPE_CHECKING:
    from liveqa.edge.hub import Hub
    from liveqa.edge.server import Edge

log = logging.getLogger("liveqa.edge")

HANDSHAKE_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0
# Seconds a client refused for the per-address limit is asked to wait before trying again.
ADDRESS_RETRY_AFTER = 10
# Bytes a client may send before the origin has accepted it (RFC 6455 has it wait for the 101);
# past that its socket is not read until the origin answers.
MAX_EARLY_DATA = 64 * 1024
# Frames handled for one client in one turn of the event loop before the other clients get theirs.
FRAMES_PER_TURN = 128

# Connection states.
HEAD, OPENING, OPEN, CLOSING, CLIENT_CLOSING, CLOSED = range(6)

_EVENT_TYPES = {opcode: kind for kind, opcode in frames.OPCODES.items() if kind.isupper()}
_BARE_CLOSE = ev.encode_event(ev.WebSocketEvent(ev.CLOSE))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_IN_REJECTION = frozenset(("content-length", "transfer-encoding", "connection", "keep-alive"))


class ClientConnection(asyncio.Protocol):
    """A client socket held by the edge; its traffic goes to the origin through a Session."""

    __slots__ = (
        "_address",
        "_buffer",
        "_close_after_flush",
        "_delayed",
        "_eof_after_flush",
        "_keepalive",
        "_key",
        "_next_read",
        "_parser",
        "_paused",
        "_publisher_closed",
        "_timer",
        "channels",
        "edge",
        "hub",
        "last_write",
        "outbox",
        "session",
        "state",
        "transport",
    )

    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.hub: Hub = edge.hub
        self.transport: asyncio.Transport | None = None
        self.state = HEAD
        self.outbox: bytes | list[bytes] | None = None
        self.channels: set[str] = set()
        self.session: Session | None = None
        self.last_write = 0.0
        self._buffer = b""
        self._key = ""
        self._parser: frames.FrameParser | None = None
        self._paused = False
        self._next_read: asyncio.Handle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._keepalive: tuple[bytes, int, bool] | None = None
        self._delayed: tuple[bytes, asyncio.TimerHandle] | None = None
        self._close_after_flush = False
        self._eof_after_flush = False
        self._publisher_closed = False
        self._address: str | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the socket against its address, then wait for the request head."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        config = self.edge.config
        if not config.trust_forwarded_for:
            # Counted now, head or not: sockets that never send one hold descriptors too.
            peer = transport.get_extra_info("peername")
            try:
                self._count(peer[0] if peer else None)
            except HandshakeError as exc:
                self._finish(error_response(exc))
                return
        self._timer = asyncio.get_running_loop().call_later(config.head_timeout, self._too_late)

    def data_received(self, data: bytes) -> None:
        """Feed the handshake parser or the frame parser."""
        if self.state == HEAD:
            self._head_data(data)
        elif self.state == OPENING:
            self._buffer += data
            self._hold_early_data()
        elif self.state != CLOSED and self._parser is not None:
            self._parser.receive(data)
            self._read_frames()

    def eof_received(self) -> bool | None:
        """A half-closed client is treated as gone."""
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Clean up; tell the origin unless the close was a clean handshake."""
        previous = self.state
        self.state = CLOSED
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
        # A refused or rejected handshake (CLOSED here) never opened an origin session.
        if self.session is not None and previous not in (OPENING, CLOSED):
            self.session.disconnect()

    # -- handshake ---------------------------------------------------------------------------

    def _head_data(self, data: bytes) -> None:
        buffer = self._buffer + data
        end = buffer.find(b"\r\n\r\n")
        if end < 0 and len(buffer) <= MAX_HEAD_SIZE:
            self._buffer = buffer
            return
        if end < 0 or end + 4 > MAX_HEAD_SIZE:
            # Handing it to aiohttp would lift both this limit and the handshake timeout.
            self._finish(
                error_response(HandshakeError(f"request head over {MAX_HEAD_SIZE} bytes", 431))
            )
            return
        try:
            head = parse_request_head(buffer[:end])
        except HandshakeError as exc:
            # Answered here: a head handed on would be judged again by aiohttp's parser, which
            # takes some this one refuses, and one of those could still become a WebSocket.
            self._finish(error_response(exc))
            return
        if not head.is_websocket:
            if self.edge.config.trust_forwarded_for:
                # Counted under the client of its first request, whoever later reuses it.
                try:
                    self._count(self._forwarded_client(head))
                except HandshakeError as exc:
                    self._finish(error_response(exc))
                    return
            self._hand_over(buffer)
            return
        self._buffer = buffer[end + 4 :]
        self.start_websocket(head)

    def adopt(self, head: bytes) -> None:
        """Take an upgrade that came on a kept-alive HTTP connection, judged by this parser too."""
        try:
            parsed = parse_request_head(head)
        except HandshakeError as exc:
            self._finish(error_response(exc))
            return
        self.start_websocket(parsed)

    def start_websocket(self, head: RequestHead) -> None:
        """Check the handshake and ask the origin whether to accept it."""
        try:
            if not head.target.startswith("/") or _CONTROL.search(head.target):
                # It is appended to the origin's URL: `@host/` or `http://host/` would go elsewhere,
                # and aiohttp refuses to send control characters.
                raise HandshakeError(
                    "the request target must be a path: /, then no control characters"
                )
            config = self.edge.config
            check_route(head, config.websocket_paths)
            self._key = websocket_key(head)
            try:
                check_origin(head, config.allowed_origins)
            except HandshakeError:
                self.edge.metrics.refused_origins_total += 1
                raise
            if config.trust_forwarded_for:
                # Each WebSocket under its own client: a proxy may reuse a kept-alive connection.
                self._count(self._forwarded_client(head))
        except HandshakeError as exc:
            self.edge.metrics.handshakes_rejected_total += 1
            self._finish(error_response(exc))
            return
        assert self.transport is not None
        peer = self.transport.get_extra_info("peername")
        self.state = OPENING
        self._hold_early_data()
        self.session = Session(self, self.edge.upstream, head, peer[0] if peer else None)
        self.edge.spawn(self.session.open())

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
        self.state = CLOSED
        self.transport = None
        key, self._address = self._address, None
        protocol = self.edge.http_protocol(key)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(buffer)

    def _too_late(self) -> None:
        self._timer = None
        if self.state == HEAD and self.transport is not None:
            self.transport.abort()

    def _finish(self, response: bytes) -> None:
        """Write a final HTTP response and close."""
        if self.transport is not None:
            self.transport.write(response)
            self.transport.close()
        self.state = CLOSED

    def refuse(self, status: int, text: str) -> None:
        """The origin cannot be used: answer the handshake with an error."""
        self.edge.metrics.handshakes_rejected_total += 1
        headers = [("Content-Type", "text/plain")]
        self._finish(http_response(status, None, headers, text.encode()))

    def reject(self, response: OriginResponse) -> None:
        """The origin refused the connection: pass its answer on to the client."""
        self.edge.metrics.handshakes_rejected_total += 1
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_IN_REJECTION
        ]
        body = response.body[:MAX_REJECTION_BODY]
        self._finish(http_response(response.status, response.reason, headers, body))

    def accept(self, headers: list[tuple[str, str]]) -> bool:
        """Complete the handshake with 101; False when the client has already gone."""
        if self.state != OPENING or self.transport is None:
            return False
        self._cancel_timers()
        self.transport.write(switching_protocols(self._key, headers))
        self.state = OPEN
        self._parser = frames.FrameParser(self.edge.max_message_size)
        self.edge.register(self)
        if self._buffer:
            early, self._buffer = self._buffer, b""
            self._parser.receive(early)
        self._read_frames()
        return True

    # -- frames from the client -------------------------------------------------------------

    def _hold_early_data(self) -> None:
        if len(self._buffer) > MAX_EARLY_DATA:
            self._pause_reading()

    def _read_frames(self) -> None:
        """Handle the messages the parser holds while the origin keeps up, a turn's share at once.

        The socket is not read while the session's backlog is over its high-water mark (the
        session calls `backlog_drained`) or while the rest of this turn's share waits for the
        next turn, so what one client sends costs bounded memory and time.
        """
        parser, session = self._parser, self.session
        if parser is None or session is None or self.state == CLOSED:
            return
        stop = parser.frames + FRAMES_PER_TURN
        while True:
            if session.backlogged:
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
            if self.state == CLOSED or self._parser is None:
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
        """The session's backlog is low again: carry on reading the client."""
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
        session = self.session
        assert session is not None
        if opcode == frames.CLOSE:
            self._client_close(payload)
        elif self.state != OPEN:
            return
        elif opcode == frames.PING and (session.detached or session.finished):
            self.send(frames.PONG, payload)
        else:
            session.client_event(ev.encode_event(ev.WebSocketEvent(_EVENT_TYPES[opcode], payload)))

    def _protocol_error(self, exc: frames.ProtocolError) -> None:
        """Fail the connection (RFC 6455 section 7.1.7): send a close frame, then parse no more.

        The socket is half-closed after the close frame and what the client still sends is read
        and dropped until it closes (or the close times out): closing with unread bytes would
        send a reset, which can destroy the close frame before the client reads it.
        """
        self._parser = None
        if exc.code == CloseCode.MESSAGE_TOO_BIG:
            self.edge.metrics.oversize_closed_total += 1
        self.close_for(exc.code, str(exc))
        self._eof_after_flush = True
        self._resume_reading()

    def _client_close(self, payload: bytes) -> None:
        assert self.session is not None
        try:
            code, reason = frames.parse_close(payload)
        except frames.ProtocolError as exc:
            self._protocol_error(exc)
            return
        if self.state == CLOSING:
            # The client answered our close: the origin hears the reply, then the socket ends.
            event = _BARE_CLOSE if self._publisher_closed else _close_event(payload)
            self.session.client_close(event)
            self._close_transport()
        elif self.state == OPEN:
            self.state = CLIENT_CLOSING
            if not self.session.client_close(_close_event(payload)):
                self._answer_close(code, reason)

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
        if self._close_after_flush:
            transport.close()
        elif self._eof_after_flush:
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
        """The edge itself closes the client (protocol error, too slow, shutdown)."""
        if self.state not in (OPEN, CLIENT_CLOSING):
            return
        self.hub.remove(self)
        if self.session is not None:
            self.session.disconnect()
        self._send_close(code, reason)

    def close_by_origin(self, code: int | None, reason: str) -> None:
        """The origin sent CLOSE: start the close handshake, or answer the client's close."""
        if self.state == CLIENT_CLOSING:
            self._answer_close(code, reason)
        elif self.state == OPEN:
            self._send_close(code, reason)

    def close_by_publisher(self, code: int | None, reason: str) -> None:
        """A publish with `action: close` reached this subscriber: nothing follows the close."""
        if self.state == OPEN:
            self._publisher_closed = True
            # No data frame may follow a Close frame (RFC 6455 5.5.1), and a client that never
            # answers must not go on hearing its channels until the close times out.
            self.hub.remove(self)
            self._send_close(code, reason)

    def close_unanswered(self) -> None:
        """The origin did not answer the client's close: echo the client's code ourselves."""
        if self.state == CLIENT_CLOSING and not self._close_after_flush:
            self._answer_close(None, "")

    def origin_failed(self) -> None:
        """The origin broke the session: close the client with 1011."""
        if self.state in (OPEN, CLIENT_CLOSING):
            self.hub.remove(self)
            self._send_close(CloseCode.INTERNAL_ERROR, "origin error")

    def broken(self) -> None:
        """Something unexpected failed: refuse the handshake, or close an open socket with 1011."""
        if self.state == OPENING:
            self.refuse(502, "Error while proxying to origin.\n")
        else:
            self.origin_failed()

    def abort(self) -> None:
        """Drop the client without a close handshake (the origin sent DISCONNECT)."""
        if self.transport is not None:
            self.transport.abort()

    def refresh(self) -> None:
        """A publish with `action: refresh`: ask the origin what to send."""
        if self.session is not None and self.state == OPEN:
            self.session.poll()

    def _send_close(self, code: int | None, reason: str) -> None:
        self.hub.queue(self, frames.encode_close(code, reason))
        self.state = CLOSING
        self._cancel_timers()
        self._timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._close_timeout)

    def _answer_close(self, code: int | None, reason: str) -> None:
        self.hub.queue(self, frames.encode_close(code, reason))
        self.hub.remove(self)
        self._close_after_flush = True

    def _close_transport(self) -> None:
        if self.outbox is None and self.transport is not None:
            self.transport.close()
        else:
            self._close_after_flush = True

    def _close_timeout(self) -> None:
        self._timer = None
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
        idle = loop.time() - self.last_write
        if interval or idle >= timeout - 0.05:
            self.hub.queue(self, frame)
            self.last_write = loop.time()
            idle = 0.0
        self._timer = loop.call_later(timeout - idle, self._keepalive_due)

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


def _close_event(payload: bytes) -> bytes:
    return ev.encode_event(ev.WebSocketEvent(ev.CLOSE, payload or None))
