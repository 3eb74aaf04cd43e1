"""WebSocket-over-HTTP event codec (`application/websocket-events`, docs/grip.md §1.1).

Strict where Pushpin is lenient: a malformed body raises `EventsError` naming the byte offset."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import NamedTuple

CONTENT_TYPE = "application/websocket-events"

OPEN = "OPEN"
TEXT = "TEXT"
BINARY = "BINARY"
PING = "PING"
PONG = "PONG"
CLOSE = "CLOSE"
DISCONNECT = "DISCONNECT"

EVENT_TYPES = frozenset({OPEN, TEXT, BINARY, PING, PONG, CLOSE, DISCONNECT})
# Pushpin and every GRIP library write these bare; content on them means a confused peer.
BARE_ONLY = frozenset({OPEN, DISCONNECT})


class WebSocketEvent(NamedTuple):
    """One event; `content` is None for a bare event, `b""` for empty-but-present content."""

    type: str
    content: bytes | None = None


class EventsError(ValueError):
    """A malformed events body or close payload; `offset` is where parsing failed."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset})")
        self.offset = offset


_NAMES: dict[bytes, str] = {t.encode("ascii"): t for t in EVENT_TYPES}
_CONTENT_NAMES: dict[bytes, str] = {k: v for k, v in _NAMES.items() if v not in BARE_ONLY}
_BARE_EVENTS: dict[bytes, WebSocketEvent] = {k: WebSocketEvent(v) for k, v in _NAMES.items()}
_HEADS: dict[str, bytes] = {v: k for k, v in _NAMES.items()}
_HEX_DIGITS = b"0123456789abcdef"
# 8 hex digits cover 4 GiB, far beyond any body size a peer may send.
_MAX_HEX_DIGITS = 8


def _show(data: bytes) -> str:
    """A short printable rendering of bad input for error messages."""
    return repr(data[:24]) + ("..." if len(data) > 24 else "")


def decode_events(body: bytes) -> list[WebSocketEvent]:
    """Decode a whole body; raise EventsError naming the offset of the first malformed byte."""
    out: list[WebSocketEvent] = []
    append = out.append
    pos = 0
    end = len(body)
    while pos < end:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise EventsError(f"event line {_show(body[pos:])} has no CRLF", pos)
        line = body[pos:eol]
        space = line.find(b" ")
        if space < 0:
            bare = _BARE_EVENTS.get(line)
            if bare is None:
                raise EventsError(f"unknown event type {_show(line)}", pos)
            append(bare)
            pos = eol + 2
            continue
        name = line[:space]
        etype = _CONTENT_NAMES.get(name)
        if etype is None:
            if name in _NAMES:
                raise EventsError(f"{_NAMES[name]} event must not carry content", pos)
            raise EventsError(f"unknown event type {_show(name)}", pos)
        digits = line[space + 1 :]
        if not digits or len(digits) > _MAX_HEX_DIGITS or digits.translate(None, _HEX_DIGITS):
            raise EventsError(
                f"{etype} content length {_show(digits)} is not 1-{_MAX_HEX_DIGITS} "
                "lowercase hex digits",
                pos + space + 1,
            )
        start = eol + 2
        stop = start + int(digits, 16)
        if stop > end:
            raise EventsError(
                f"{etype} declares {stop - start} bytes of content but only {end - start} remain",
                start,
            )
        if body[stop : stop + 2] != b"\r\n":
            raise EventsError(f"{etype} content is not followed by CRLF", stop)
        append(WebSocketEvent(etype, body[start:stop]))
        pos = stop + 2
    return out


def encode_event(event: WebSocketEvent) -> bytes:
    """Encode one event; content is written only when it is not None."""
    etype, content = event
    head = _HEADS.get(etype)
    if head is None:
        raise ValueError(f"unknown event type {etype!r}")
    if content is None:
        return head + b"\r\n"
    if etype in BARE_ONLY:
        raise ValueError(f"{etype} event must not carry content")
    return b"%s %x\r\n%s\r\n" % (head, len(content), content)


def encode_events(events: Iterable[WebSocketEvent]) -> bytes:
    """Encode events into one body."""
    return b"".join([encode_event(event) for event in events])


def close_payload(code: int | None, reason: str = "") -> bytes:
    """CLOSE content: `b""` when code is None, else the big-endian code and the UTF-8 reason."""
    if code is None:
        if reason:
            raise ValueError("a close reason needs a close code")
        return b""
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"close code {code} does not fit in 16 bits")
    return struct.pack(">H", code) + reason.encode("utf-8")


def close_event(code: int | None, reason: str = "") -> WebSocketEvent:
    """A CLOSE event, bare when there is no code (as Pushpin writes it)."""
    return WebSocketEvent(CLOSE, None if code is None else close_payload(code, reason))


def parse_close_payload(payload: bytes | None) -> tuple[int | None, str]:
    """Split CLOSE content into (code, reason); None or empty means no code.

    A 1-byte payload or a non-UTF-8 reason raises EventsError (offset inside the payload)."""
    # Both are protocol errors (RFC 6455 §5.5.1); the caller decides how to close.
    if not payload:
        return None, ""
    if len(payload) == 1:
        raise EventsError("close payload of 1 byte: a close code takes 2", 1)
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventsError("close reason is not valid UTF-8", 2 + exc.start) from None
    return struct.unpack_from(">H", payload)[0], reason
