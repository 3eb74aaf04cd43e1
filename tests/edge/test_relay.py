"""A connection's WebSocket-over-HTTP exchange: retries, deferred accept and request batching."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_server import (
    WAIT,
    Respond,
    Seen,
    client_frame,
    close_code,
    echo,
    edge_running,
    origin_running,
    raw_client,
    read_answer,
    upgrade_request,
    wait_for,
    woh,
    ws_url,
)

from liveqa.edge import relay as relay_module
from liveqa.edge import wsoverhttp
from liveqa.edge.backlog import MAX_REQUEST_CONTENT, MAX_REQUEST_EVENTS
from liveqa.edge.handshake import parse_request_head
from liveqa.edge.relay import MAX_RETRIES
from liveqa.edge.wsoverhttp import BACKLOG_HIGH
from liveqa.grip import events as ev


class FastAsyncio:
    """Stands in for `asyncio` in the relay module: sleeps are recorded, not waited out."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.pause = 0.0
        self.on_sleep: Callable[[int], Awaitable[None]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        if self.on_sleep is not None:
            await self.on_sleep(len(self.delays))
        await asyncio.sleep(self.pause)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FastAsyncio:
    fast = FastAsyncio()
    monkeypatch.setattr(relay_module, "asyncio", fast)
    return fast


def assert_backoff(delays: list[float]) -> None:
    """Delays of 1, 2, 4, ... seconds, each plus up to one second of jitter."""
    for attempt, delay in enumerate(delays):
        assert 2**attempt <= delay < 2**attempt + 1


# -- retries once open ------------------------------------------------------------------------


async def test_requests_are_retried_with_backoff_until_the_origin_is_back(
    clock: FastAsyncio,
) -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/live")) as ws,
    ):
        cid = (await origin.next_with(ev.OPEN)).cid
        await origin.stop()

        async def back_after_two(count: int) -> None:
            if count == 2:
                await origin.start()

        clock.on_sleep = back_after_two
        await ws.send_str("while you were away")
        assert await ws.receive_str(timeout=WAIT) == "while you were away"
        seen = await origin.next_with(ev.TEXT)
        assert seen.cid == cid
        assert seen.events == [ev.WebSocketEvent(ev.TEXT, b"while you were away")]
        assert len(clock.delays) == 2
        assert_backoff(clock.delays)


async def test_the_client_is_closed_with_1011_when_retries_run_out(clock: FastAsyncio) -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/live")) as ws,
    ):
        await origin.next_with(ev.OPEN)
        await origin.stop()
        await ws.send_str("nobody home")
        assert await close_code(ws) == 1011
        assert len(clock.delays) == MAX_RETRIES
        assert_backoff(clock.delays)
        await wait_for(lambda: not edge.connections, "the connection to end")


async def answer_500(seen: Seen) -> web.StreamResponse:
    """Echo the OPEN; answer any later request with an error."""
    if ev.OPEN in seen.types:
        return await echo(seen)
    return web.Response(status=500, text="origin trouble\n")


async def hang_up(seen: Seen) -> web.StreamResponse:
    """Echo the OPEN; drop the connection of any later request without an answer."""
    if ev.OPEN in seen.types:
        return await echo(seen)
    assert seen.request.transport is not None
    seen.request.transport.close()
    return web.Response()


@pytest.mark.parametrize(
    "respond",
    [answer_500, hang_up],
    ids=["the origin answered with an error", "the origin dropped the request"],
)
async def test_no_retry_once_the_origin_got_the_request(
    clock: FastAsyncio, respond: Respond
) -> None:
    async with (
        origin_running(respond) as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/live")) as ws,
    ):
        await origin.next_with(ev.OPEN)
        await ws.send_str("maybe processed")
        assert await close_code(ws) == 1011
        assert (await origin.next()).events == [ev.WebSocketEvent(ev.TEXT, b"maybe processed")]
        await origin.silence()
        assert clock.delays == []


# -- deferred accept --------------------------------------------------------------------------


def deferring(times: int, interval: str = "20") -> Callable[[Seen], Awaitable[web.StreamResponse]]:
    """Answer the first `times` OPEN requests with no events and Keep-Alive-Interval, then echo."""
    answered = 0

    async def respond(seen: Seen) -> web.StreamResponse:
        nonlocal answered
        if ev.OPEN in seen.types and answered < times:
            answered += 1
            return woh(headers={"Keep-Alive-Interval": interval})
        return await echo(seen)

    return respond


@pytest.mark.parametrize(("interval", "delay"), [("20", 20), ("45", 45), ("5", 20)])
async def test_an_empty_first_answer_with_keep_alive_defers_the_accept(
    clock: FastAsyncio, interval: str, delay: int
) -> None:
    async with (
        origin_running(deferring(2, interval)) as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/later")) as ws,
    ):
        opens = [seen for seen in origin.seen if ev.OPEN in seen.types]
        assert [seen.body for seen in opens] == [b"OPEN\r\n"] * 3
        assert len({seen.cid for seen in opens}) == 1
        assert clock.delays == [delay, delay]
        await ws.send_str("accepted at last")
        assert await ws.receive_str(timeout=WAIT) == "accepted at last"


async def test_an_empty_first_answer_without_keep_alive_is_an_error(clock: FastAsyncio) -> None:
    async def empty(seen: Seen) -> web.StreamResponse:
        return woh()

    async with (
        origin_running(empty) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/empty"))
        assert (await read_answer(reader)).status == 502
        assert len(origin.seen) == 1
        assert clock.delays == []


async def test_a_client_that_leaves_during_a_deferred_accept_is_not_opened_again(
    clock: FastAsyncio,
) -> None:
    clock.pause = 0.01
    async with origin_running(deferring(10_000)) as origin, edge_running(origin.url) as edge:
        async with raw_client(edge) as (_, writer):
            writer.write(upgrade_request("/later"))
            await wait_for(lambda: len(origin.seen) >= 2, "the OPEN to be sent again")
        gone = await origin.next_with(ev.DISCONNECT)
        await origin.silence()
        opens = [seen for seen in origin.seen if ev.OPEN in seen.types]
        assert {seen.cid for seen in opens} == {gone.cid}
        assert gone.body == b"DISCONNECT\r\n"


# -- batching ---------------------------------------------------------------------------------


def holding_first(release: asyncio.Event) -> Callable[[Seen], Awaitable[web.StreamResponse]]:
    """Echo, but hold the answer to the message `first` until `release` is set."""

    async def respond(seen: Seen) -> web.StreamResponse:
        if ev.WebSocketEvent(ev.TEXT, b"first") in seen.events:
            await release.wait()
        return await echo(seen)

    return respond


@pytest.mark.parametrize(
    ("sizes", "batches"),
    [
        ([60_000] * 7, [3, 3, 1]),
        ([250_000, 10, 10], [1, 2]),
        ([10, 250_000, 10], [1, 1, 1]),
        ([100] * 50, [20, 20, 10]),
    ],
)
async def test_queued_messages_are_batched_whole_and_in_order(
    sizes: list[int], batches: list[int]
) -> None:
    release = asyncio.Event()
    contents = [chr(ord("A") + index % 26) * size for index, size in enumerate(sizes)]
    async with (
        origin_running(holding_first(release)) as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/batch")) as ws,
    ):
        await ws.send_str("first")
        await origin.next_with(ev.TEXT)
        for content in contents:
            await ws.send_str(content)
        (connection,) = edge.connections
        relay = connection.relay
        assert relay is not None
        queued = sum(len(ev.encode_event(ev.WebSocketEvent(ev.TEXT, c.encode()))) for c in contents)
        await wait_for(lambda: relay.pending.size == queued, "the messages to queue")
        release.set()
        requests: list[Seen] = []
        while sum(len(seen.events) for seen in requests) < len(contents):
            requests.append(await origin.next())
        assert [len(seen.events) for seen in requests] == batches
        assert all(
            len(seen.body) <= MAX_REQUEST_CONTENT for seen in requests if len(seen.events) > 1
        )
        sent = [event.content for seen in requests for event in seen.events]
        assert sent == [content.encode() for content in contents]
        echoed = [await ws.receive_str(timeout=WAIT) for _ in range(len(contents) + 1)]
        assert echoed == ["first", *contents]


async def test_an_unexpected_failure_refuses_only_that_handshake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(header: str | None) -> bytes | None:
        raise RuntimeError("unexpected")

    async with origin_running() as origin, edge_running(origin.url) as edge:
        with monkeypatch.context() as patch:
            patch.setattr(wsoverhttp, "parse_grip_extension", explode)
            async with raw_client(edge) as (reader, writer):
                writer.write(upgrade_request("/live"))
                answer = await read_answer(reader)
        assert answer.status == 502
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(ws_url(edge, "/live")) as ws,
        ):
            await ws.send_str("still working")
            assert (await ws.receive(WAIT)).data == "still working"


def test_only_application_headers_of_the_handshake_reach_the_origin() -> None:
    head = parse_request_head(
        b"GET /ws HTTP/1.1\r\nHost: q.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Cookie: s=1\r\nOrigin: https://q.example\r\nUser-Agent: ua\r\nX-Custom: kept\r\n"
        b"Expect: 100-continue\r\nTE: trailers\r\nTrailer: X\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Length: 5\r\nKeep-Alive: 5\r\nProxy-Authorization: x\r\nForwarded: for=1\r\n"
        b"X-Real-IP: 10.0.0.1\r\nX-Forwarded-Host: evil\r\nMeta-Participant: host\r\n"
        b"Grip-Sig: forged\r\nConnection-Id: forged\r\nAccept: */*\r\nSome-Future-Header: x"
    )
    headers = wsoverhttp.forwarded_headers(head, "192.0.2.7", "cid-1")
    assert headers == [
        ("Host", "q.example"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("Cookie", "s=1"),
        ("Origin", "https://q.example"),
        ("User-Agent", "ua"),
        ("X-Custom", "kept"),
        ("X-Forwarded-For", "192.0.2.7"),
        ("X-Forwarded-Proto", "ws"),
        ("Content-Type", ev.CONTENT_TYPE),
        ("Accept", ev.CONTENT_TYPE),
        ("Connection-Id", "cid-1"),
        ("Sec-WebSocket-Extensions", "grip"),
    ]


# -- a client faster than the origin ----------------------------------------------------------

TEXT, PING = 0x1, 0x9


@contextlib.asynccontextmanager
async def draining(reader: asyncio.StreamReader) -> AsyncIterator[None]:
    """Read and drop what the edge sends, so the client is not closed for reading too slowly."""

    async def drain() -> None:
        while await reader.read(1 << 16):
            pass

    task = asyncio.ensure_future(drain())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task


@pytest.mark.parametrize(("opcode", "kind"), [(TEXT, ev.TEXT), (PING, ev.PING)])
async def test_a_client_faster_than_the_origin_is_held_back_and_loses_nothing(
    opcode: int, kind: str
) -> None:
    release = asyncio.Event()
    payloads = [b"%05d" % n + b"x" * 95 for n in range(10_000)]
    largest = len(ev.encode_event(ev.WebSocketEvent(kind, payloads[0])))
    async with (
        origin_running(holding_first(release)) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/flood"))
        assert (await read_answer(reader, body=False)).status == 101
        async with draining(reader):
            writer.write(client_frame(TEXT, b"first"))
            await origin.next_with(ev.TEXT)
            (connection,) = edge.connections
            relay = connection.relay
            assert relay is not None
            assert connection.transport is not None
            # A megabyte of messages while the origin is busy with the first one.
            writer.write(b"".join(client_frame(opcode, payload) for payload in payloads))
            transport = connection.transport
            await wait_for(lambda: relay.backlog > BACKLOG_HIGH, "the backlog to fill")
            await origin.silence(0.2)
            assert not transport.is_reading()
            assert relay.backlog <= BACKLOG_HIGH + largest
            release.set()
            received: list[bytes] = []
            while len(received) < len(payloads):
                seen = await origin.next()
                assert len(seen.events) <= MAX_REQUEST_EVENTS
                received += [event.content or b"" for event in seen.events if event.type == kind]
            assert received == payloads
            await wait_for(transport.is_reading, "the edge to read again")


async def test_a_client_that_leaves_has_its_queued_events_dropped() -> None:
    release = asyncio.Event()
    async with (
        origin_running(holding_first(release)) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/leaving"))
        assert (await read_answer(reader, body=False)).status == 101
        writer.write(client_frame(TEXT, b"first"))
        await origin.next_with(ev.TEXT)
        (connection,) = edge.connections
        relay = connection.relay
        assert relay is not None
        writer.write(b"".join(client_frame(TEXT, b"queued %d" % n) for n in range(100)))
        await wait_for(lambda: relay.pending.size > 1000, "the messages to queue")
        writer.transport.abort()
        await wait_for(lambda: not edge.connections, "the edge to see the client go")
        release.set()
        gone = await origin.next()
        assert gone.body == b"DISCONNECT\r\n"
        await origin.silence()
