"""RFC 6455 framing, sans I/O: a parser for client frames and encoders for server frames.

Written by hand rather than taken from a library because it sits on the per-connection hot path:
15,000 held connections must cost a few hundred bytes of parser state each, and a published frame is
encoded once and shared by every subscriber.
"""

from __future__ import annotations

import struct

from liveqa.grip.events import close_payload
from liveqa.websocket import CloseCode, is_sendable_close_code

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPCODES = frozenset((TEXT, BINARY))
# GRIP's message kinds ("text", ...) and WebSocket-over-HTTP event names ("TEXT", ...) as opcodes.
OPCODES = {"text": TEXT, "binary": BINARY, "ping": PING, "pong": PONG}
OPCODES |= {"TEXT": TEXT, "BINARY": BINARY, "PING": PING, "PONG": PONG}
CONTROL_OPCODES = frozenset((CLOSE, PING, PONG))
# The most frames one message may come in (RFC 6455 sets no limit; browsers send one).
MAX_FRAGMENTS = 1024


class ProtocolError(Exception):
    """The client broke the protocol; close the connection with `code`."""

    def __init__(self, code: CloseCode, message: str):
        super().__init__(message)
        self.code = code


def unmask(mask: bytes | bytearray, payload: bytes | bytearray) -> bytes:
    """XOR `payload` with the 4-byte `mask`, using one big-integer operation instead of a loop."""
    size = len(payload)
    if not size:
        return b""
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
        raise ProtocolError(CloseCode.PROTOCOL_ERROR, "close frame with a 1-byte body")
    (code,) = struct.unpack_from("!H", payload)
    if not is_sendable_close_code(code):
        raise ProtocolError(CloseCode.PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode()
    except UnicodeDecodeError:
        raise ProtocolError(CloseCode.INVALID_DATA, "close reason is not valid UTF-8") from None
    return code, reason


class FrameParser:
    """Turns client bytes into whole messages, one at a time: `receive`, then `next_message`.

    Handing out one message at a time lets the caller stop when the origin falls behind and
    leave the rest of the bytes here, bounded by what one read of the socket brings.
    """

    __slots__ = (
        "_buffer",
        "_fragment_count",
        "_fragment_opcode",
        "_fragments",
        "_message_size",
        "_offset",
        "frames",
        "max_size",
    )

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        # Frames parsed so far, so a caller can bound the work of one turn of the event loop.
        self.frames = 0
        self._buffer: bytes | bytearray = b""
        self._offset = 0
        # A fragmented message is gathered in one buffer: a fragment costs its bytes, not an
        # object each.
        self._fragments: bytearray | None = None
        self._fragment_count = 0
        self._message_size = 0
        self._fragment_opcode = 0

    def receive(self, data: bytes) -> None:
        """Add bytes read from the client."""
        buffer, offset = self._buffer, self._offset
        if offset >= len(buffer):
            self._buffer = data
        elif isinstance(buffer, bytearray):
            # A frame that comes in many small reads is gathered in place: copying what is
            # buffered at every read would cost time quadratic in the frame's size.
            del buffer[:offset]
            buffer += data
        else:
            self._buffer = bytearray(memoryview(buffer)[offset:])
            self._buffer += data
        self._offset = 0

    def next_message(self, stop: int | None = None) -> tuple[int, bytes] | None:
        """The next whole `(opcode, payload)`, or None until more bytes arrive.

        With `stop`, None also once `frames` reaches it, even inside a fragmented message.
        Raises ProtocolError on a protocol violation; the parser is of no use after that.
        """
        try:
            return self._next_message(stop)
        finally:
            if self._offset >= len(self._buffer):
                # An idle connection must not keep its last read, which may be a megabyte.
                self._buffer, self._offset = b"", 0

    def _next_message(self, stop: int | None) -> tuple[int, bytes] | None:
        buffer = self._buffer
        end = len(buffer)
        while end - self._offset >= 2 and (stop is None or self.frames < stop):
            offset = self._offset
            first, second = buffer[offset], buffer[offset + 1]
            if first & 0x70:
                raise ProtocolError(
                    CloseCode.PROTOCOL_ERROR, "reserved bits set without a negotiated extension"
                )
            if not second & 0x80:
                raise ProtocolError(CloseCode.PROTOCOL_ERROR, "client frames must be masked")
            size = second & 0x7F
            header = 6
            if size == 126:
                header = 8
                if end - offset < header:
                    return None
                (size,) = struct.unpack_from("!H", buffer, offset + 2)
            elif size == 127:
                header = 14
                if end - offset < header:
                    return None
                (size,) = struct.unpack_from("!Q", buffer, offset + 2)
            opcode = first & 0x0F
            final = bool(first & 0x80)
            self._check_size(opcode, final, header, size)
            if end - offset < header + size:
                return None
            mask = buffer[offset + header - 4 : offset + header]
            payload = unmask(mask, buffer[offset + header : offset + header + size])
            self._offset = offset + header + size
            self.frames += 1
            message = self._message(opcode, final, header, payload)
            if message is not None:
                return message
        return None

    def _check_size(self, opcode: int, final: bool, header: int, size: int) -> None:
        """Refuse a frame from its header, before its payload is buffered."""
        if opcode in CONTROL_OPCODES:
            if size > 125 or not final:
                raise ProtocolError(
                    CloseCode.PROTOCOL_ERROR, "control frames must be final and at most 125 bytes"
                )
        elif opcode == CONTINUATION and self._fragment_opcode:
            # Each frame costs a parse however small: an endless run of empty fragments must
            # not be free.
            if self._fragment_count >= MAX_FRAGMENTS:
                raise ProtocolError(
                    CloseCode.POLICY_VIOLATION, f"message in more than {MAX_FRAGMENTS} frames"
                )
            if self._message_size + header + size > self.max_size:
                raise ProtocolError(
                    CloseCode.MESSAGE_TOO_BIG,
                    f"message larger than {self.max_size} bytes with its frame headers",
                )
        elif size > self.max_size:
            raise ProtocolError(
                CloseCode.MESSAGE_TOO_BIG, f"message larger than {self.max_size} bytes"
            )

    def _message(
        self, opcode: int, final: bool, header: int, payload: bytes
    ) -> tuple[int, bytes] | None:
        if opcode in CONTROL_OPCODES:
            return opcode, payload
        if opcode == CONTINUATION:
            fragments = self._fragments
            if fragments is None:
                raise ProtocolError(
                    CloseCode.PROTOCOL_ERROR, "continuation frame without a message to continue"
                )
            fragments += payload
            self._fragment_count += 1
            self._message_size += header + len(payload)
            if not final:
                return None
            opcode, payload = self._fragment_opcode, bytes(fragments)
            self._fragments, self._fragment_opcode = None, 0
        elif opcode in DATA_OPCODES:
            if self._fragment_opcode:
                raise ProtocolError(
                    CloseCode.PROTOCOL_ERROR, "new message before the previous one was finished"
                )
            if not final:
                self._fragment_opcode = opcode
                self._fragments = bytearray(payload)
                self._fragment_count = 1
                self._message_size = len(payload)
                return None
        else:
            raise ProtocolError(CloseCode.PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if opcode == TEXT:
            try:
                payload.decode()
            except UnicodeDecodeError:
                raise ProtocolError(
                    CloseCode.INVALID_DATA, "text message is not valid UTF-8"
                ) from None
        return opcode, payload
