"""One socket flooding the edge next to a normal client (issue 9, finding 2).

Each flood runs for FLOOD_SECONDS on one raw WebSocket that also reads (and drops) whatever the
edge sends back, as an attacker avoiding the slow-reader close would. Meanwhile a normal client,
the room's host, keeps doing round trips. The edge's resident memory may grow by at most
RSS_GROWTH_LIMIT and every round trip must finish within ROUND_TRIP_LIMIT.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import psutil
import pytest

from .conftest import Stack

# The bounds reach a steady state within a second; five seconds of flooding grew the unbounded
# edge by tens of megabytes, so the limits below tell the two apart with a wide margin.
FLOOD_SECONDS = 5.0
RSS_GROWTH_LIMIT = 16 << 20
ROUND_TRIP_LIMIT = 0.1
# How much the flooder hands its socket at once.
FLOOD_CHUNK = 64 << 10
ROOM = "flood-test"

CONTINUATION, TEXT, PING = 0x0, 0x1, 0x9


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


async def join(client: aiohttp.ClientSession, url: str, name: str) -> str:
    """Sign in as `name` and return the session cookie header."""
    async with client.post(f"{url}/api/session", json={"displayName": name}) as response:
        assert response.status < 300, await response.text()
    return "; ".join(f"{c.key}={c.value}" for c in client.cookie_jar)


@dataclass
class Flooder:
    """A raw WebSocket writing one kind of flood; `close_code` is set when the edge closes it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sent: int = 0
    close_code: int | None = None
    ended: bool = False
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def run(self, first: bytes, frame: bytes, seconds: float) -> None:
        chunk = frame * (FLOOD_CHUNK // len(frame))
        deadline = time.monotonic() + seconds
        self.writer.write(first)
        with contextlib.suppress(ConnectionError):
            while time.monotonic() < deadline and not self.ended:
                self.writer.write(chunk)
                self.sent += len(chunk)
                # Give up waiting when the edge stops reading, so the flood ends on time.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.writer.drain(), deadline - time.monotonic())

    async def read(self) -> None:
        """Read and drop everything the edge sends, noting its close code."""
        try:
            while True:
                first, second = await self.reader.readexactly(2)
                size = second & 0x7F
                if size == 126:
                    (size,) = struct.unpack("!H", await self.reader.readexactly(2))
                elif size == 127:
                    (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
                payload = await self.reader.readexactly(size)
                if first & 0x0F == 0x8:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if payload else None
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.ended = True


@contextlib.asynccontextmanager
async def flooder(stack: Stack, cookie: str) -> AsyncIterator[Flooder]:
    """An accepted WebSocket in the test room, its reader running."""
    reader, writer = await asyncio.open_connection("127.0.0.1", int(stack.host.split(":")[1]))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /api/websocket?roomId={ROOM} HTTP/1.1\r\nHost: {stack.host}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {key}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    flood = Flooder(reader, writer)
    task = asyncio.create_task(flood.read())
    try:
        yield flood
    finally:
        writer.transport.abort()
        await task


class Host:
    """The normal client: the room's host on an aiohttp WebSocket, timing each round trip."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.count = 0
        self.round_trips: list[float] = []

    async def round_trip(self) -> None:
        """A room setting that does not change: a write transaction at the origin and an ACK."""
        self.count += 1
        ref = f"r{self.count}"
        started = time.monotonic()
        await self.ws.send_json({"type": "ROOMINFO_UPDATE", "ref": ref, "moderation": False})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("ref") == ref:
                break
        assert message["type"] == "ACK", message
        self.round_trips.append(time.monotonic() - started)

    async def keep_going(self, until: float) -> None:
        while time.monotonic() < until:
            await self.round_trip()


async def watch_rss(pid: int, until: float, peak: list[int]) -> None:
    process = psutil.Process(pid)
    while time.monotonic() < until:
        peak[0] = max(peak[0], process.memory_info().rss)
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("kind", list(FLOODS))
async def test_one_flooding_socket_neither_grows_the_edge_nor_stalls_others(
    stack: Stack, kind: str
) -> None:
    assert stack.edge.process is not None
    pid = stack.edge.process.pid
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as normal,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as attacker,
    ):
        await join(normal, stack.url, "Nora")
        async with normal.post(f"{stack.url}/api/rooms", json={"roomId": ROOM}) as response:
            assert response.status < 300, await response.text()
        cookie = await join(attacker, stack.url, "Mallory")
        ws_url = f"ws://{stack.host}/api/websocket?roomId={ROOM}"
        async with normal.ws_connect(ws_url) as ws, flooder(stack, cookie) as flood:
            host = Host(ws)
            for _ in range(20):
                await host.round_trip()
            host.round_trips.clear()
            baseline = psutil.Process(pid).memory_info().rss
            peak = [baseline]
            until = time.monotonic() + FLOOD_SECONDS
            first, frame = FLOODS[kind]
            await asyncio.gather(
                flood.run(first, frame, FLOOD_SECONDS),
                host.keep_going(until),
                watch_rss(pid, until, peak),
            )
        # The flood has stopped: the edge must not keep working through its backlog.
        async with normal.ws_connect(ws_url) as ws:
            after = Host(ws)
            for _ in range(5):
                await after.round_trip()
    growth = peak[0] - baseline
    worst = max(host.round_trips)
    summary = (
        f"{kind}: sent {flood.sent >> 20} MiB, edge RSS +{growth / (1 << 20):.1f} MiB, "
        f"{len(host.round_trips)} round trips, worst {worst * 1000:.0f} ms, "
        f"after the flood {max(after.round_trips) * 1000:.0f} ms, close code {flood.close_code}"
    )
    print(summary)
    assert growth < RSS_GROWTH_LIMIT, summary
    assert worst < ROUND_TRIP_LIMIT, summary
    assert max(after.round_trips) < ROUND_TRIP_LIMIT, summary
    if kind in ("empty-continuations", "one-byte-fragments"):
        assert flood.close_code == 1008, summary
