"""One WebSocket flooding an edge, run as its own process so its work does not slow the measurer.

`python3 flooder.py PORT PATH COOKIE KIND SECONDS` opens the socket, floods for SECONDS (or
until the edge closes it) while reading and dropping whatever the edge sends back, as an
attacker avoiding the slow-reader close would, then prints a JSON line: bytes sent, close code.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
import sys
import time

CONTINUATION, TEXT, PING, CLOSE = 0x0, 0x1, 0x9, 0x8
# How much the flooder hands its socket at once.
CHUNK = 64 << 10


def client_frame(opcode: int, payload: bytes, *, final: bool = True) -> bytes:
    """A masked client frame (an all-zero mask leaves the payload as it is)."""
    assert len(payload) < 126
    return bytes(((0x80 if final else 0) | opcode, 0x80 | len(payload))) + b"\0\0\0\0" + payload


UPVOTE = json.dumps({"type": "QUESTION_UPVOTE", "ref": "f", "questionId": "0" * 16}).encode()
# What each attack sends: its first frame, then one frame repeated for as long as it runs.
FLOODS = {
    "empty-continuations": (
        client_frame(TEXT, b"", final=False),
        client_frame(CONTINUATION, b"", final=False),
    ),
    "one-byte-fragments": (
        client_frame(TEXT, b"x", final=False),
        client_frame(CONTINUATION, b"x", final=False),
    ),
    "small-messages": (b"", client_frame(TEXT, UPVOTE)),
    "pings": (b"", client_frame(PING, b"p")),
}


async def close_code(reader: asyncio.StreamReader) -> int | None:
    """Read and drop frames until the edge's close frame (its code) or the end of the stream."""
    buffer = b""
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(CHUNK):
            buffer += chunk
            offset = 0
            while len(buffer) - offset >= 4:
                first, size = buffer[offset], buffer[offset + 1] & 0x7F
                header = 2
                if size == 126:
                    (size,) = struct.unpack_from("!H", buffer, offset + 2)
                    header = 4
                elif size == 127:
                    break
                if len(buffer) - offset < header + size:
                    break
                if first & 0x0F == CLOSE:
                    return int.from_bytes(buffer[offset + 2 : offset + 4]) if size >= 2 else None
                offset += header + size
            buffer = buffer[offset:]
    return None


async def flood(port: int, path: str, cookie: str, kind: str, seconds: float) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {key}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if not head.startswith(b"HTTP/1.1 101"):
        return {"error": head.decode("latin-1")}
    first, frame = FLOODS[kind]
    chunk = frame * (CHUNK // len(frame))
    closed = asyncio.ensure_future(close_code(reader))
    deadline = time.monotonic() + seconds
    sent = 0
    writer.write(first)
    with contextlib.suppress(ConnectionError):
        while time.monotonic() < deadline and not closed.done():
            writer.write(chunk)
            sent += len(chunk)
            # Give up waiting when the edge stops reading, so the flood ends on time.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(writer.drain(), max(deadline - time.monotonic(), 0))
    writer.transport.abort()
    return {"sent": sent, "close_code": await closed}


if __name__ == "__main__":
    port, path, cookie, kind, seconds = sys.argv[1:]
    print(json.dumps(asyncio.run(flood(int(port), path, cookie, kind, float(seconds)))))
