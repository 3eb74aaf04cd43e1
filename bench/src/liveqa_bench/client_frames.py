"""WebSocket framing for benchmark clients (RFC 6455 §5): masked client frames out, a cheap
parser for the server's unmasked frames in. Sans-I/O: bytes in, payloads out."""

from __future__ import annotations

import struct

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

_DATA_OPCODES = frozenset({OP_TEXT, OP_BINARY})
_CONTROL_OPCODES = frozenset({OP_CLOSE, OP_PING, OP_PONG})
_MAX_CONTROL_PAYLOAD = 125
DEFAULT_MAX_MESSAGE = 1 << 24


class FrameError(ValueError):
    """The server broke the framing rules; the connection cannot continue."""


def mask_bytes(payload: bytes, key: bytes) -> bytes:
    """XOR `payload` with the 4-byte `key` repeated (one big-int XOR, not a byte loop)."""
    size = len(payload)
    if size == 0:
        return b""
    stream = (key * (size // 4 + 1))[:size]
    mixed = int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")
    return mixed.to_bytes(size, "little")


def encode_frame(opcode: int, payload: bytes, key: bytes) -> bytes:
    """One final client frame, masked with the 4-byte `key`."""
    if len(key) != 4:
        raise ValueError("a masking key has 4 bytes")
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + key + mask_bytes(payload, key)


def close_frame(code: int, key: bytes, reason: bytes = b"") -> bytes:
    """A masked close frame carrying `code` and `reason`."""
    return encode_frame(OP_CLOSE, struct.pack("!H", code) + reason, key)


def scan_text_frames(buffer: bytearray, size: int, keep: int) -> tuple[list[bytes], int]:
    """Whole final unmasked text frames of up to 65535 bytes at the start of `buffer[:size]`.

    Returns the first `keep` bytes of each payload and how many bytes those frames took; parsing
    stops at anything else (a partial frame, a control frame, a fragment), left to FrameParser.
    """
    heads: list[bytes] = []
    pos = 0
    while size - pos >= 2 and buffer[pos] == 0x80 | OP_TEXT:
        length = buffer[pos + 1]
        if length < 126:
            start = pos + 2
        elif length == 126 and size - pos >= 4:
            length = (buffer[pos + 2] << 8) | buffer[pos + 3]
            start = pos + 4
        else:
            break
        stop = start + length
        if stop > size:
            break
        heads.append(bytes(buffer[start : min(stop, start + keep)]))
        pos = stop
    return heads, pos


class FrameParser:
    """Splits a server's byte stream into complete data messages.

    `feed` returns text and binary payloads (fragments reassembled); control frames are appended
    to `controls` as (opcode, payload) for the caller to act on.
    """

    __slots__ = ("_buffer", "_fragments", "_fragments_size", "controls", "max_message")

    def __init__(self, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self.max_message = max_message
        self.controls: list[tuple[int, bytes]] = []
        self._buffer = b""
        self._fragments: list[bytes] | None = None
        self._fragments_size = 0

    @property
    def idle(self) -> bool:
        """Whether no partial frame or fragmented message is pending."""
        return not self._buffer and self._fragments is None

    def feed(self, data: bytes) -> list[bytes]:
        """Consume `data`; return the data messages it completed."""
        buf = self._buffer + data if self._buffer else data
        end = len(buf)
        pos = 0
        out: list[bytes] = []
        while end - pos >= 2:
            first = buf[pos]
            second = buf[pos + 1]
            size = second & 0x7F
            start = pos + 2
            if size == 126:
                if end - pos < 4:
                    break
                size = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif size == 127:
                if end - pos < 10:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            stop = start + size
            if stop > end:
                if size > self.max_message:
                    raise FrameError(f"frame of {size} bytes exceeds {self.max_message}")
                break
            if second & 0x80:
                raise FrameError("server frames must not be masked")
            if first & 0x70:
                raise FrameError("reserved bits set without a negotiated extension")
            opcode = first & 0x0F
            if first & 0x80 and opcode in _DATA_OPCODES and self._fragments is None:
                out.append(buf[start:stop])
            else:
                message = self._rare(first & 0x80, opcode, buf[start:stop])
                if message is not None:
                    out.append(message)
            pos = stop
        self._buffer = buf[pos:] if pos < end else b""
        return out

    def _rare(self, final: int, opcode: int, payload: bytes) -> bytes | None:
        """Control frames and fragmented messages (off the fast path)."""
        if opcode in _CONTROL_OPCODES:
            if not final or len(payload) > _MAX_CONTROL_PAYLOAD:
                raise FrameError("control frames must be final and at most 125 bytes")
            self.controls.append((opcode, payload))
            return None
        if opcode in _DATA_OPCODES:
            if self._fragments is not None:
                raise FrameError("new data frame while a fragmented message is unfinished")
            self._fragments = []
            self._fragments_size = 0
        elif opcode != OP_CONTINUATION:
            raise FrameError(f"unknown opcode {opcode:#x}")
        elif self._fragments is None:
            raise FrameError("continuation frame without a message to continue")
        self._fragments.append(payload)
        self._fragments_size += len(payload)
        if self._fragments_size > self.max_message:
            raise FrameError(f"message exceeds {self.max_message} bytes")
        if not final:
            return None
        message = b"".join(self._fragments)
        self._fragments = None
        return message
