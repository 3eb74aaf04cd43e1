"""A bare-socket WebSocket handshake, for checking exact handshake responses and abrupt drops."""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import dataclass

from multidict import CIMultiDict


@dataclass
class RawHandshake:
    """The proxy's answer to a handshake; the socket stays open until `abort` or `close`."""

    status: int
    headers: CIMultiDict[str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def read_body(self, wait: float = 5.0) -> bytes:
        """The response body (by Content-Length, chunked, or until the proxy closes)."""
        return await asyncio.wait_for(self._read_body(), wait)

    async def _read_body(self) -> bytes:
        if "Content-Length" in self.headers:
            return await self.reader.readexactly(int(self.headers["Content-Length"]))
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += await self.reader.readexactly(size)
                await self.reader.readuntil(b"\r\n")
            return body
        return await self.reader.read()

    def abort(self) -> None:
        """Drop the TCP connection without a WebSocket close handshake."""
        self.writer.transport.abort()

    async def close(self) -> None:
        """Close the socket (still no WebSocket close frame)."""
        self.writer.close()
        await self.writer.wait_closed()


async def handshake(
    port: int, path: str, headers: list[tuple[str, str]] | None = None, wait: float = 5.0
) -> RawHandshake:
    """Send a WebSocket upgrade request for `path` plus `headers`; read the response head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers or []),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait)
    except BaseException:
        writer.close()
        await writer.wait_closed()
        raise
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            parsed.add(name.strip(), value.strip())
    return RawHandshake(int(status_line.split(" ")[1]), parsed, reader, writer)
