"""RFC 6455 framing, sans I/O: a parser for client frames and encoders for server frames.

Written by hand rather than taken from a library because it sits on the per-connection hot path:
15,000 held connections must cost a few hundred bytes of parser state each, and a published frame is
encoded once and shared by every subscriber.
"""

from __future__ import annotations

import struct

from liveqa.grip.events import close_payload, is_sendable_close_code

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPCODES = frozenset((TEXT, BINARY))
# GRIP's message kinds ("text", ...) and WebSocket-over-HTTP event names ("TEXT", ...) as opcodes.
OPCODES = {"text": TEXT, "binary": BINARY, "ping": PING, "pong": PONG}
OPCODES |= {"TEXT": TEXT, "BINARY": BINARY, "PING": PING, "PONG": PONG}
CONTROL_OPCODES = frozenset((CLOSE, PING, PONG))


class ProtocolError(Exception):
    """The client broke the protocol; close the connection with `code`."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        # The whole messages that came before the violation in the same read.
        self.messages: list[tuple[int, bytes]] = []


def unmask(mask: bytes, payload: bytes) -> bytes:
    """XOR `payload` with the 4-byte `mask`, using one big-integer operation instead of a loop."""
    size = len(payload)
    if not size:
        return payload
    key = (mask * ((size + 3) // 4))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(
        size, "little"
    )


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """A final, unmasked server frame."""
    size = len(payload)
    if size < 126:
        return bytes((0x80 | opcode, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, size) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, size) + payload


def encode_close(code: int | None, reason: str = "") -> bytes:
    """A close frame (a control frame holds at most 125 bytes, so a long reason is cut)."""
    return encode_frame(CLOSE, close_payload(code, reason)[:125])


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """The code and reason of a client's close frame; raises ProtocolError when malformed."""
    if not payload:
        return None, ""
    if len(payload) == 1:
        raise ProtocolError(1002, "close frame with a 1-byte body")
    (code,) = struct.unpack_from("!H", payload)
    if not is_sendable_close_code(code):
        raise ProtocolError(1002, f"invalid close code {code}")
    try:
        reason = payload[2:].decode()
    except UnicodeDecodeError:
        raise ProtocolError(1007, "close reason is not valid UTF-8") from None
    return code, reason


class FrameParser:
    """Turns client bytes into whole messages: `feed` returns `(opcode, payload)` pairs."""

    __slots__ = ("_buffer", "_fragment_opcode", "_fragments", "_fragments_size", "max_size")

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._fragment_opcode = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Parse as much as `data` completes; raises ProtocolError on a protocol violation."""
        messages: list[tuple[int, bytes]] = []
        try:
            self._parse(data, messages)
        except ProtocolError as exc:
            exc.messages = messages
            raise
        return messages

    def _parse(self, data: bytes, messages: list[tuple[int, bytes]]) -> None:
        buffer = self._buffer + data if self._buffer else data
        offset = 0
        end = len(buffer)
        while end - offset >= 2:
            first, second = buffer[offset], buffer[offset + 1]
            if first & 0x70:
                raise ProtocolError(1002, "reserved bits set without a negotiated extension")
            if not second & 0x80:
                raise ProtocolError(1002, "client frames must be masked")
            size = second & 0x7F
            header = 6
            if size == 126:
                header = 8
                if end - offset < header:
                    break
                (size,) = struct.unpack_from("!H", buffer, offset + 2)
            elif size == 127:
                header = 14
                if end - offset < header:
                    break
                (size,) = struct.unpack_from("!Q", buffer, offset + 2)
            opcode = first & 0x0F
            final = bool(first & 0x80)
            if opcode in CONTROL_OPCODES:
                if size > 125 or not final:
                    raise ProtocolError(1002, "control frames must be final and at most 125 bytes")
            elif size + self._fragments_size > self.max_size:
                raise ProtocolError(1009, f"message larger than {self.max_size} bytes")
            if end - offset < header + size:
                break
            mask = buffer[offset + header - 4 : offset + header]
            payload = unmask(mask, buffer[offset + header : offset + header + size])
            offset += header + size
            message = self._message(opcode, final, payload)
            if message is not None:
                messages.append(message)
        self._buffer = buffer[offset:] if offset < end else b""

    def _message(self, opcode: int, final: bool, payload: bytes) -> tuple[int, bytes] | None:
        if opcode in CONTROL_OPCODES:
            return opcode, payload
        if opcode == CONTINUATION:
            if not self._fragment_opcode:
                raise ProtocolError(1002, "continuation frame without a message to continue")
            self._fragments.append(payload)
            self._fragments_size += len(payload)
            if not final:
                return None
            opcode, payload = self._fragment_opcode, b"".join(self._fragments)
            self._fragments, self._fragments_size, self._fragment_opcode = [], 0, 0
        elif opcode in DATA_OPCODES:
            if self._fragment_opcode:
                raise ProtocolError(1002, "new message before the previous one was finished")
            if not final:
                self._fragment_opcode = opcode
                self._fragments = [payload]
                self._fragments_size = len(payload)
                return None
        else:
            raise ProtocolError(1002, f"unknown opcode {opcode:#x}")
        if opcode == TEXT:
            try:
                payload.decode()
            except UnicodeDecodeError:
                raise ProtocolError(1007, "text message is not valid UTF-8") from None
        return opcode, payload
