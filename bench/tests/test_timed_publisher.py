"""Tests for the benchmark publisher, against a recording publish endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from liveqa.grip.publish import parse_publish
from liveqa_bench.header import MEASURED, PRIMING, decode_header
from liveqa_bench.timed_publisher import Publisher


class Endpoint:
    """Records publish bodies; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.auth: list[str | None] = []
        self.status = 200

    async def handler(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.auth.append(request.headers.get("Authorization"))
        return web.Response(status=self.status, text="Published\n")

    def headers(self) -> list[tuple[bytes, int]]:
        found = []
        for body in self.bodies:
            for item in parse_publish(body):
                assert item.channel == "bench"
                assert item.ws_message is not None
                assert item.ws_message.kind == "text"
                header = decode_header(item.ws_message.payload)
                found.append((header.kind, header.seq))
        return found


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[Endpoint, str, aiohttp.ClientSession]]:
    endpoint = Endpoint()
    app = web.Application()
    app.router.add_post("/publish/", endpoint.handler)
    server = TestServer(app)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield endpoint, f"http://127.0.0.1:{server.port}/publish/", session
    await server.close()


async def test_burst_batches_every_sequence_number(
    endpoint: tuple[Endpoint, str, aiohttp.ClientSession],
) -> None:
    recorder, url, session = endpoint
    publisher = Publisher(session, url, "bench", 200, key="secret")
    await publisher.burst(5, batch=2, concurrency=2)
    assert len(recorder.bodies) == 3
    assert sorted(recorder.headers()) == [(MEASURED, seq) for seq in range(5)]
    assert recorder.auth == ["Bearer secret"] * 3
    assert (publisher.published, publisher.failed) == (5, 0)


async def test_rate_and_priming(endpoint: tuple[Endpoint, str, aiohttp.ClientSession]) -> None:
    recorder, url, session = endpoint
    publisher = Publisher(session, url, "bench", 60)
    assert await publisher.prime()
    await publisher.at_rate(100.0, 3)
    assert recorder.headers() == [(PRIMING, 0), *((MEASURED, seq) for seq in range(3))]
    assert recorder.auth == [None] * 4
    assert publisher.published == 3


async def test_failures_are_counted_by_reason(
    endpoint: tuple[Endpoint, str, aiohttp.ClientSession],
) -> None:
    recorder, url, session = endpoint
    recorder.status = 400
    publisher = Publisher(session, url, "bench", 200)
    await publisher.burst(4, batch=2)
    assert (publisher.published, publisher.failed) == (0, 4)
    assert publisher.failures == {"http 400": 4}
    unreachable = Publisher(session, "http://127.0.0.1:1/publish/", "bench", 200)
    assert not await unreachable.prime()
    assert list(unreachable.failures) == ["ClientConnectorError"]
