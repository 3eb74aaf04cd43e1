"""Property-based API tests from the OpenAPI document: no server error, no undocumented status."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings

from liveqa import __version__
from liveqa.origin.app import ALL_OPERATIONS, OriginConfig, create_app
from liveqa.origin.openapi import build_document

from .conftest import verify_sig

# The socket endpoint's body is opaque text to schemathesis (its Grip-Sig never verifies).
schemathesis.serializer.alias("application/websocket-events", "text/plain")
schema = schemathesis.openapi.from_dict(
    build_document(ALL_OPERATIONS, title="liveqa", version=__version__)
)


class ServerThread:
    """The origin on its own event loop in a thread, so schemathesis can call it synchronously."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.url = ""
        self.runner: web.AppRunner | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _start(self) -> None:
        config = OriginConfig(
            database_url=f"sqlite:///{self.database}",
            publish_targets=[],
            verify_sig=verify_sig,
            secret_key="schemathesis-secret-0123456789",
        )
        self.runner = web.AppRunner(create_app(config))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *_: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with ServerThread(tmp_path_factory.mktemp("schemathesis") / "api.db") as running:
        yield running


@pytest.fixture(scope="module")
def http(server: ServerThread) -> Iterator[requests.Session]:
    """A session with a participant cookie and a room it hosts, so guarded routes are reached."""
    with requests.Session() as session:
        assert session.post(f"{server.url}/api/session", json={}, timeout=10).status_code == 201
        created = session.post(f"{server.url}/api/rooms", json={"roomId": "fuzz"}, timeout=10)
        assert created.status_code == 201
        yield session


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_document(
    case: schemathesis.Case[Any], server: ServerThread, http: requests.Session
) -> None:
    case.call_and_validate(base_url=server.url, session=http)
