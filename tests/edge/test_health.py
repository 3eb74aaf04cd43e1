"""The edge's probes on its publish listener: `/healthz`, and `/readyz` (some origin answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from test_server import edge_running, origin_running, refusing_url
from yarl import URL

from liveqa.edge.health import OriginsAnswer
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.publish import publish_app

KEY = b"publish-key-for-probes"


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def status_origin(status: int) -> web.AppRunner:
    """An origin answering every request with `status`; the caller cleans it up."""

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


@pytest.mark.parametrize(("status", "ready"), [(200, True), (404, True), (503, False)])
async def test_an_origin_is_ready_when_it_answers_below_500(
    client: aiohttp.ClientSession, status: int, ready: bool
) -> None:
    runner = await status_origin(status)
    try:
        url = URL(f"http://127.0.0.1:{runner.addresses[0][1]}")
        problem = await OriginsAnswer(client, [url])()
    finally:
        await runner.cleanup()
    assert (problem is None) is ready


async def test_one_answering_origin_of_several_is_enough(client: aiohttp.ClientSession) -> None:
    runner = await status_origin(200)
    try:
        with refusing_url() as refusing:
            answering = f"http://127.0.0.1:{runner.addresses[0][1]}"
            assert await OriginsAnswer(client, [URL(refusing), URL(answering)])() is None
            assert await OriginsAnswer(client, [URL(refusing)])() == ("no origin answers (1 tried)")
    finally:
        await runner.cleanup()


async def test_the_answer_is_kept_a_second(client: aiohttp.ClientSession) -> None:
    runner = await status_origin(200)
    url = URL(f"http://127.0.0.1:{runner.addresses[0][1]}")
    ready = OriginsAnswer(client, [url])
    assert await ready() is None
    await runner.cleanup()
    assert await ready() is None


async def probe(app: web.Application, path: str, method: str = "GET") -> tuple[int, str]:
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    async with client, client.request(method, path) as response:
        return response.status, await response.text()


async def test_probes_need_no_publish_key_and_say_why_not_ready() -> None:
    async def not_ready() -> str | None:
        return "no origin answers (2 tried)"

    app = publish_app(lambda item: None, EdgeMetrics(), key=KEY, ready=not_ready)
    assert await probe(app, "/healthz") == (200, "ok\n")
    assert await probe(app, "/readyz") == (503, "not ready: no origin answers (2 tried)\n")
    assert (await probe(app, "/readyz", "POST"))[0] == 405
    assert (await probe(app, "/metrics"))[0] == 401


async def test_the_edge_is_ready_while_its_origin_answers(client: aiohttp.ClientSession) -> None:
    async with origin_running() as origin, edge_running(origin.url) as edge:
        base = f"http://127.0.0.1:{edge.publish_port}"
        async with client.get(f"{base}/readyz") as response:
            assert (response.status, await response.text()) == (200, "ready\n")
    with refusing_url() as refusing:
        async with edge_running(refusing) as edge:
            base = f"http://127.0.0.1:{edge.publish_port}"
            async with client.get(f"{base}/readyz") as response:
                assert response.status == 503
            async with client.get(f"{base}/healthz") as response:
                assert response.status == 200
