"""Tests for a client worker's calls, run in-process against an aiohttp WebSocket server."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from liveqa_bench.header import MEASURED, PRIMING, decode_header, encode_message
from liveqa_bench.ports import free_port
from liveqa_bench.worker import Worker


class Hub:
    """A WebSocket server that keeps its sockets and what they received."""

    def __init__(self) -> None:
        self.sockets: list[web.WebSocketResponse] = []
        self.received: list[str] = []

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        async for message in ws:
            self.received.append(message.data)
        return ws


@pytest.fixture
async def hub() -> AsyncIterator[tuple[Hub, int]]:
    hub = Hub()
    app = web.Application()
    app.router.add_get("/ws", hub.handler)
    server = TestServer(app)
    await server.start_server()
    assert server.port is not None
    yield hub, server.port
    await server.close()


@pytest.fixture
def worker() -> Iterator[Worker]:
    ours, theirs = multiprocessing.Pipe()
    yield Worker(theirs)
    ours.close()
    theirs.close()


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("condition not met in time")


async def test_connect_count_send_close(hub: tuple[Hub, int], worker: Worker) -> None:
    server, port = hub
    opened = await worker.connect("127.0.0.1", port, "/ws", count=5, in_flight=2, within=5)
    assert (opened["connected"], opened["failed"]) == (5, 0)
    assert len(opened["durations"]) == 5 * 8
    await worker.expect(messages=2, first_sender=10)
    for ws in server.sockets:
        await ws.send_str(encode_message(PRIMING, 0, 0, 0, 40).decode())
        for seq in range(2):
            await ws.send_str(encode_message(MEASURED, 0, seq, 1, 200).decode())
    await until(lambda: sum(c.tally.received for c in worker.clients) == 10)
    progress = await worker.progress(messages=2)
    assert progress == {
        "clients": 5,
        "live": 5,
        "primed": 5,
        "complete": 5,
        "received": 10,
        "writing": 0,
        "acked": 0,
    }
    totals = await worker.collect(messages=2)
    assert (totals["received"], totals["lost"], totals["duplicated"]) == (10, 0, 0)
    assert len(totals["latencies"]) == 10 * 8
    sent = await worker.send(messages=3, size=100)
    assert sent["sent"] == 15
    await until(lambda: len(server.received) == 15)
    headers = {decode_header(text.encode()) for text in server.received}
    assert {(h.sender, h.seq) for h in headers} == {(s, q) for s in range(10, 15) for q in range(3)}
    closed = await worker.close(within=5)
    assert closed == {"closed": 5, "aborted": 0, "dropped": 0}
    assert worker.clients == []


async def test_dropped_connections_are_counted(hub: tuple[Hub, int], worker: Worker) -> None:
    server, port = hub
    await worker.connect("127.0.0.1", port, "/ws", count=2, in_flight=2, within=5)
    await server.sockets[0].close(code=1013)
    await until(lambda: worker.clients[0].dropped)
    totals = await worker.collect(messages=1)
    assert (totals["dropped"], totals["drop_reasons"], totals["lost"]) == (1, {"1013": 1}, 2)
    assert (await worker.progress(messages=1))["live"] == 1
    assert (await worker.close(within=5))["dropped"] == 1


async def test_refused_connections_are_failures(worker: Worker) -> None:
    answer = await worker.connect("127.0.0.1", free_port(), "/", count=3, in_flight=5, within=5)
    assert (answer["connected"], answer["reasons"]) == (0, {"ECONNREFUSED": 3})
