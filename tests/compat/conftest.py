"""Compatibility suite fixtures: one scripted origin, Pushpin and `liveqa edge` in front of it.

Everything runs in one package-wide event loop, so the origin, both proxies and a keep-alive probe
connection on each are started once and shared; each test gets its own origin path (a `Script`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from .origin import Script, ScriptedOrigin
from .proxies import KINDS, SIG_KEY, Proxy, run_proxy
from .running import KeepAliveProbe, Running, keep_alive_script


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this package's keep-alive tests after its others, so the 20 s wait overlaps them."""
    here = Path(__file__).parent
    positions = [index for index, item in enumerate(items) if item.path.parent == here]
    if not positions:
        return
    first, last = positions[0], positions[-1] + 1
    block = items[first:last]
    waiting = [item for item in block if item.path.name == "test_keep_alive.py"]
    others = [item for item in block if item.path.name != "test_keep_alive.py"]
    items[first:last] = others + waiting


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def origin_server() -> AsyncIterator[ScriptedOrigin]:
    """The scripted origin every proxy under test routes to."""
    server = ScriptedOrigin(SIG_KEY)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def proxies(origin_server: ScriptedOrigin) -> AsyncIterator[dict[str, Running]]:
    """Both proxies, started together so their keep-alive probes wait out the interval at once."""
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(kind: str) -> Running:
            # Any failure is kept and reported by the tests of that proxy only, so a broken
            # proxy never takes the other one's tests down with it.
            try:
                async with asyncio.timeout(30):
                    proxy = await stack.enter_async_context(run_proxy(kind, origin_server.port))
                    script = origin_server.script(f"keepalive-{kind}", keep_alive_script)
                    url = proxy.ws_url(script.path)
                    ws = await stack.enter_async_context(session.ws_connect(url))
            except Exception as exc:
                return Running(None, None, f"{type(exc).__name__}: {exc}")
            return Running(proxy, KeepAliveProbe(script, ws, time.monotonic()))

        started = await asyncio.gather(*(start(kind) for kind in KINDS))
        yield dict(zip(KINDS, started, strict=True))


@pytest.fixture(params=KINDS)
def running(request: pytest.FixtureRequest, proxies: dict[str, Running]) -> Running:
    """The proxy under test (parametrized) with its keep-alive probe; fails if it did not start."""
    chosen = proxies[request.param]
    if chosen.proxy is None:
        pytest.fail(f"{request.param} did not start: {chosen.error}")
    return chosen


@pytest.fixture
def proxy(running: Running) -> Proxy:
    """The proxy under test."""
    assert running.proxy is not None
    return running.proxy


@pytest.fixture
def origin(request: pytest.FixtureRequest, origin_server: ScriptedOrigin) -> Script:
    """This test's own origin path, answered by the default echo script unless the test sets one."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return origin_server.script(name)


@pytest_asyncio.fixture(loop_scope="package")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP/WebSocket client session closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session
