"""Attack fixtures: liveqa as an attacker meets it, `serve` in one process or origin and edge split.

Every attack here targets 127.0.0.1 only, and is bounded in time and count. A test gives the edge
or the origin more options with `@pytest.mark.stack_options(edge=[...], origin=[...],
behind_proxy=True)` (see `started`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from scale.cluster import GRIP_KEY, SECRET_KEY, Service
from support.ports import free_port


@dataclass
class Stack:
    """What an attacker reaches: the client-facing `url`; `edge` is the process holding sockets."""

    layout: str
    url: str
    edge: Service
    services: list[Service]

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    @property
    def port(self) -> int:
        return self.edge.port

    def edge_log(self) -> str:
        """Everything the client-facing process logged so far."""
        return self.edge.log_path.read_text(errors="replace")


def serve_service(directory: Path, extra: Sequence[str] = ()) -> Service:
    """`liveqa serve` on a free loopback port with its own data directory."""
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--data-dir", str(directory / "data"), *extra]
    return Service("serve", args, port, directory / "serve.log")


def split_services(
    directory: Path, edge_extra: Sequence[str] = (), origin_extra: Sequence[str] = ()
) -> tuple[Service, Service]:
    """`liveqa origin` on SQLite and `liveqa edge` in front of it, sharing one key."""
    origin_port, edge_port, publish_port = free_port(), free_port(), free_port()
    origin = Service(
        "origin",
        [
            "origin",
            "--listen",
            f"127.0.0.1:{origin_port}",
            "--database-url",
            f"sqlite:///{directory}/liveqa.db",
            "--secret-key",
            SECRET_KEY,
            "--grip-url",
            f"http://127.0.0.1:{publish_port}/?key={GRIP_KEY}",
            *origin_extra,
        ],
        origin_port,
        directory / "origin.log",
    )
    edge = Service(
        "edge",
        [
            "edge",
            "--origin",
            f"http://127.0.0.1:{origin_port}",
            "--listen",
            f"127.0.0.1:{edge_port}",
            "--publish-listen",
            f"127.0.0.1:{publish_port}",
            "--sig-key",
            GRIP_KEY,
            "--publish-key",
            GRIP_KEY,
            *edge_extra,
        ],
        edge_port,
        directory / "edge.log",
    )
    return origin, edge


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stack_options(edge, origin, behind_proxy): options for the `stack` fixture's processes",
    )


@contextlib.asynccontextmanager
async def started(
    layout: str,
    directory: Path,
    edge: Sequence[str] = (),
    behind_proxy: bool = False,
    origin: Sequence[str] = (),
) -> AsyncIterator[Stack]:
    """Start the layout, wait until its pages answer, stop every process at the end.

    `edge`: options for `liveqa edge` (or `serve`); `behind_proxy`: the edge believes the last
    X-Forwarded-For entry (`--trust-forwarded-for`, `--behind-tls` for serve), so a test on
    loopback can stand for clients at other addresses; `origin`: options for `liveqa origin`
    (or `serve`), such as lower limits.
    """
    if layout == "serve":
        extra = [*edge, *origin, *(["--behind-tls"] if behind_proxy else [])]
        client_side = serve_service(directory, extra)
        services = [client_side]
    else:
        extra = [*edge, *(["--trust-forwarded-for"] if behind_proxy else [])]
        origin_side, client_side = split_services(directory, extra, origin)
        services = [origin_side, client_side]
    try:
        for service in services:
            await service.start()
        for service in services:
            await service.wait_ready("/api/openapi.json")
        yield Stack(layout, f"http://127.0.0.1:{client_side.port}", client_side, services)
    finally:
        await asyncio.gather(*(service.stop() for service in services))


@pytest.fixture(params=["serve", "split"])
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    """liveqa in each layout an attacker may meet."""
    marker = request.node.get_closest_marker("stack_options")
    options = marker.kwargs if marker is not None else {}
    async with started(request.param, tmp_path, **options) as running:
        yield running
