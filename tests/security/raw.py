"""Raw HTTP/1.1 over a socket, for attacks that a well-behaved client library would not send."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from .conftest import Stack

WAIT = 10.0


@dataclass
class Answer:
    """A response's status, lower-cased header names and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def request(
    stack: Stack, method: str, target: str, *headers: tuple[str, str], body: bytes = b""
) -> bytes:
    """A request head (and body) with Host and, for a body, Content-Length."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {stack.host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body and not any(name.lower() == "content-length" for name, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_answer(reader: asyncio.StreamReader, wait: float = WAIT) -> Answer:
    """One response, its body read by Content-Length."""
    async with asyncio.timeout(wait):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(int(lines[0].split(" ")[1]), headers, body)


async def closed(reader: asyncio.StreamReader, wait: float = WAIT) -> bytes:
    """Everything sent until the server closed the connection (a reset counts as closing)."""
    async with asyncio.timeout(wait):
        try:
            return await reader.read()
        except ConnectionResetError:
            return b""


@contextlib.asynccontextmanager
async def connected(
    stack: Stack,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A TCP connection to the client-facing port, closed on exit."""
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def trickling(writer: asyncio.StreamWriter, data: bytes) -> AsyncIterator[None]:
    """Send `data` a byte every 0.1 s while the block runs, as a slowloris client does."""

    async def trickle() -> None:
        for byte in data:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)

    task = asyncio.ensure_future(trickle())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task
