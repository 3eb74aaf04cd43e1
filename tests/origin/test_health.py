"""The origin's `/healthz` and `/readyz`: alive, and able to reach its database."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from liveqa.origin import health
from liveqa.origin.app import create_app, operations_app

from .conftest import Origin, PublishRecorder, origin_config

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
async def unreachable(refusing_port: int, recorder: PublishRecorder) -> AsyncIterator[Client]:
    """An origin whose PostgreSQL server is not there (started without migrating)."""
    url = f"postgresql://liveqa@127.0.0.1:{refusing_port}/liveqa"
    client: Client = TestClient(TestServer(create_app(origin_config(url, recorder, migrate=False))))
    async with client:
        yield client


async def test_alive_and_ready_on_a_working_database(origin: Origin) -> None:
    browser = origin.browser()
    for path, text in (("/healthz", "ok\n"), ("/readyz", "ready\n")):
        status, body = await browser.request("GET", path)
        assert (status, body) == (200, text), path


async def test_not_ready_when_the_database_cannot_be_reached(unreachable: Client) -> None:
    async with unreachable.get("/healthz") as response:
        assert response.status == 200
    async with unreachable.get("/readyz") as response:
        assert response.status == 503
        # What exactly failed goes to the log: the path is public through the proxy.
        assert await response.text() == "not ready: the database cannot be reached\n"


async def test_the_operations_listener_has_the_probes_too(unreachable: Client) -> None:
    operations: Client = TestClient(TestServer(operations_app(unreachable.app)))
    async with operations, operations.get("/healthz") as alive:
        assert alive.status == 200
        async with operations.get("/readyz") as ready:
            assert ready.status == 503


async def test_the_database_is_asked_once_a_second_at_most(
    origin: Origin, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[None] = []
    check = health.Readiness._check

    async def counted(self: health.Readiness) -> str | None:
        asked.append(None)
        return await check(self)

    monkeypatch.setattr(health.Readiness, "_check", counted)
    browser = origin.browser()
    for _ in range(5):
        assert (await browser.request("GET", "/readyz"))[0] == 200
    assert len(asked) == 1
