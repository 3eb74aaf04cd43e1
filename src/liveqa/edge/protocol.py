"""One client's WebSocket as the edge serves it, sans I/O: bytes and calls in, bytes and states out.

Like websockets' `protocol.py` and h11, this decides and never does: the request head, the
handshake checks, the 101, the close handshake and how long each state may last are settled here,
while `ClientConnection` moves the bytes, runs the timers and talks to the origin.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import NamedTuple

from liveqa.edge import frames
from liveqa.edge.handshake import (
    MAX_HEAD_SIZE,
    HandshakeError,
    RequestHead,
    check_origin,
    check_route,
    error_response,
    parse_request_head,
    switching_protocols,
    websocket_key,
)
from liveqa.grip import events as ev
from liveqa.websocket import CloseCode

HANDSHAKE_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0
# Bytes a client may send before the origin has accepted it (RFC 6455 has it wait for the 101);
# past that its socket is not read until the origin answers.
MAX_EARLY_DATA = 64 * 1024
# An idle GRIP keep-alive fires this early rather than wait a whole extra period.
KEEPALIVE_SLACK = 0.05

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BARE_CLOSE = ev.encode_event(ev.WebSocketEvent(ev.CLOSE))


class State(IntEnum):
    """Where a client's socket is, from its request head to its end."""

    HEAD = 0  # reading the request head
    OPENING = 1  # a good WebSocket head; the origin decides whether to accept it
    OPEN = 2
    CLOSING = 3  # the edge sent its close frame and waits for the client's
    CLIENT_CLOSING = 4  # the client sent its close frame; the origin or the edge answers it
    CLOSED = 5


HEAD, OPENING, OPEN, CLOSING, CLIENT_CLOSING, CLOSED = State


class Refuse(NamedTuple):
    """Write `response`, then close the socket."""

    response: bytes


class HandOver(NamedTuple):
    """Not a WebSocket: the plain HTTP server takes the socket and the bytes read so far."""

    data: bytes
    head: RequestHead


class ClientProtocol:
    """The state of one client socket and every transition of it.

    `ClientConnection` inherits it rather than holding one, so the flags its per-tick `flush`
    reads (`close_after_send`, `eof_after_send`) cost fan-out no extra indirection.
    """

    # No more slots than the connection had before this class: fan-out walks thousands of these
    # objects, and a bigger one costs it measurably in cache misses.
    __slots__ = (
        "_early",
        "_key",
        "close_after_send",
        "eof_after_send",
        "parser",
        "publisher_closed",
        "state",
    )

    def __init__(self) -> None:
        self.state = HEAD
        self.parser: frames.FrameParser | None = None
        # Set once the close handshake leaves nothing more to send: end the socket once the
        # queued bytes are written (or half-close it, after a protocol error).
        self.close_after_send = False
        self.eof_after_send = False
        # A publish closed the socket: the client's reply reaches the origin as a bare CLOSE.
        self.publisher_closed = False
        self._early = b""
        self._key = ""

    def timeout(self, head_timeout: float = HANDSHAKE_TIMEOUT) -> float | None:
        """Seconds the current state may last before the socket is dropped, None for no limit."""
        if self.state == HEAD:
            return head_timeout
        if self.state == CLOSING:
            return CLOSE_TIMEOUT
        return None

    # -- the opening handshake ---------------------------------------------------------------

    def receive_head(self, data: bytes) -> RequestHead | Refuse | HandOver | None:
        """Bytes of the request head: a WebSocket head to `upgrade`, an outcome, or None: more."""
        buffer = self._early + data
        end = buffer.find(b"\r\n\r\n")
        if end < 0 and len(buffer) <= MAX_HEAD_SIZE:
            self._early = buffer
            return None
        if end < 0 or end + 4 > MAX_HEAD_SIZE:
            # Handing it to aiohttp would lift both this limit and the head's timeout.
            error = HandshakeError(f"request head over {MAX_HEAD_SIZE} bytes", 431)
            return Refuse(self.refuse_handshake(error_response(error)))
        try:
            head = parse_request_head(buffer[:end])
        except HandshakeError as exc:
            # Answered here: a head handed on would be judged again by aiohttp's parser, which
            # takes some this one refuses, and one of those could still become a WebSocket.
            return Refuse(self.refuse_handshake(error_response(exc)))
        if not head.is_websocket:
            self._early = b""
            self.state = CLOSED
            return HandOver(buffer, head)
        self._early = buffer[end + 4 :]
        return head

    def upgrade(self, head: RequestHead, paths: tuple[str, ...], origins: tuple[str, ...]) -> None:
        """Check a WebSocket head (HandshakeError when it cannot open one); the origin is next."""
        if not head.target.startswith("/") or _CONTROL.search(head.target):
            # It is appended to the origin's URL: `@host/` or `http://host/` would go elsewhere,
            # and aiohttp refuses to send control characters.
            raise HandshakeError("the request target must be a path: /, then no control characters")
        check_route(head, paths)
        key = websocket_key(head)
        check_origin(head, origins)
        self._key = key
        self.state = OPENING

    def refuse_handshake(self, response: bytes) -> bytes:
        """End the socket with `response`, a refusal of its handshake; the bytes to write."""
        self.state = CLOSED
        self._early = b""
        return response

    def receive_early(self, data: bytes) -> None:
        """Bytes the client sent before its 101, kept for the frame parser."""
        self._early += data

    @property
    def early_data_over_limit(self) -> bool:
        """True while the client has sent more than `MAX_EARLY_DATA` before its 101."""
        return len(self._early) > MAX_EARLY_DATA

    def switch_protocols(
        self, headers: list[tuple[str, str]], max_message_size: int
    ) -> bytes | None:
        """The origin accepted: the 101 to write, or None when the socket is no longer opening."""
        if self.state != OPENING:
            return None
        self.state = OPEN
        self.parser = frames.FrameParser(max_message_size)
        if self._early:
            early, self._early = self._early, b""
            self.parser.receive(early)
        return switching_protocols(self._key, headers)

    # -- the close handshake -----------------------------------------------------------------

    def receive_close(self, payload: bytes) -> bytes | None:
        """The client's close frame: the CLOSE event for the origin, None when none is due.

        A malformed one raises frames.ProtocolError (see `fail`).
        """
        frames.parse_close(payload)
        if self.state == CLOSING:
            # The client answered the edge's close: the origin hears the reply, the socket ends.
            self.close_after_send = True
            return _BARE_CLOSE if self.publisher_closed else close_event(payload)
        if self.state == OPEN:
            self.state = CLIENT_CLOSING
            return close_event(payload)
        return None

    def answer_client_close(self, payload: bytes) -> bytes:
        """Nobody at the origin will answer the client close `payload`: echo its code and reason."""
        return self.answer_close(*frames.parse_close(payload))

    def answer_close(self, code: int | None, reason: str) -> bytes:
        """The close frame that completes a close the client started; the socket ends after it."""
        self.close_after_send = True
        return frames.encode_close(code, reason)

    def start_close(self, code: int | None, reason: str) -> bytes:
        """The edge's close frame; the client has `CLOSE_TIMEOUT` seconds to answer it."""
        self.state = CLOSING
        return frames.encode_close(code, reason)

    def close_frame(self, code: int | None, reason: str) -> bytes | None:
        """The edge ends the socket (too slow, shutting down): its close frame, None if too late."""
        # An answered client close already ends the socket: a second close frame would break
        # RFC 6455 (section 5.5.1), as when a shutdown comes in the same tick as the answer.
        if (self.state == OPEN or self.state == CLIENT_CLOSING) and not self.close_after_send:
            return self.start_close(code, reason)
        return None

    def fail(self, error: frames.ProtocolError) -> bytes | None:
        """Fail the connection (RFC 6455 section 7.1.7): the close frame, then no more parsing.

        The socket is half-closed after the close frame and what the client still sends is read
        and dropped until it closes (or the close times out): closing with unread bytes would
        send a reset, which can destroy the close frame before the client reads it.
        """
        self.parser = None
        self.eof_after_send = True
        return self.close_frame(error.code, str(error))

    def publisher_close(self, code: int | None, reason: str) -> bytes | None:
        """A publish closed the socket: the close frame, None when it is not open."""
        if self.state != OPEN:
            return None
        self.publisher_closed = True
        return self.start_close(code, reason)

    def origin_close(self, code: int | None, reason: str) -> bytes | None:
        """The origin sent CLOSE: answer the client's close or start one; None when too late."""
        if self.state == CLIENT_CLOSING:
            # Answered once already when the origin's CLOSE crossed the client's.
            return None if self.close_after_send else self.answer_close(code, reason)
        if self.state == OPEN:
            return self.start_close(code, reason)
        return None

    def unanswered_close(self) -> bytes | None:
        """The origin let the client's close go unanswered: a bare close frame ends it."""
        if self.state == CLIENT_CLOSING and not self.close_after_send:
            return self.answer_close(None, "")
        return None

    def origin_failure(self) -> bytes | None:
        """The origin broke the exchange: a 1011 close frame, None when already closing."""
        return self.close_frame(CloseCode.INTERNAL_ERROR, "origin error")

    def lost(self) -> State:
        """The socket ended; the state it was in."""
        previous, self.state = self.state, CLOSED
        self.parser = None
        return previous


def close_event(payload: bytes) -> bytes:
    """The CLOSE event that carries a client's close frame payload to the origin."""
    return ev.encode_event(ev.WebSocketEvent(ev.CLOSE, payload or None))


def keepalive_wait(idle: float, timeout: float, interval: bool) -> tuple[bool, float]:
    """A GRIP keep-alive timer fired: whether to send the frame now, and when to look again.

    In `interval` mode it is sent every `timeout` seconds; otherwise only after `timeout`
    seconds without anything sent to the client.
    """
    if interval or idle >= timeout - KEEPALIVE_SLACK:
        return True, timeout
    return False, timeout - idle
