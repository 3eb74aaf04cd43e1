"""The client side of the WebSocket opening handshake (RFC 6455 §4), sans-I/O."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 65536


class HandshakeError(Exception):
    """The server did not switch protocols; `reason` is short enough to count failures by."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_key() -> bytes:
    """A random Sec-WebSocket-Key."""
    return base64.b64encode(os.urandom(16))


def accept_value(key: bytes) -> bytes:
    """The Sec-WebSocket-Accept a server must answer `key` with."""
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def upgrade_request(
    host: str, target: str, key: bytes, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """The GET request that asks `host` to upgrade `target` (path and query) to a WebSocket,
    with `headers` (a session cookie) added."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (
        f"GET {target} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode('ascii')}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"{extra}"
        "\r\n"
    ).encode("ascii")


def split_head(buffer: bytes) -> tuple[bytes, bytes] | None:
    """(response head, bytes after it) once the blank line has arrived, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD:
            raise HandshakeError("response head too long")
        return None
    return buffer[:end], buffer[end + 4 :]


def check_response(head: bytes, accept: bytes) -> None:
    """Raise HandshakeError unless `head` is a 101 that accepts our key."""
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HandshakeError("malformed status line")
    if parts[1] != b"101":
        raise HandshakeError(f"http {parts[1].decode('ascii')}")
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-accept":
            if value.strip() != accept:
                raise HandshakeError("wrong Sec-WebSocket-Accept")
            return
    raise HandshakeError("no Sec-WebSocket-Accept")
