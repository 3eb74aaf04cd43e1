"""A liveqa cluster on loopback: `liveqa origin` and `liveqa edge` child processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from support.ports import free_port
from support.processes import log_tail, start_logged, stop

REDIS_URL = "redis://127.0.0.1:6379/0"
# One key for everything: it signs Grip-Sig (edge --sig-key, origin GRIP_URL key) and
# authorizes publishing (edge --publish-key, sent by the origin as `Bearer <key>`).
GRIP_KEY = "scale-test-grip-key-0123456789abcdef-0123"
SECRET_KEY = "scale-test-session-secret-0123456789"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def _clean_environment(extra: dict[str, str]) -> dict[str, str]:
    """This environment without LIVEQA_* and GRIP_* settings that would change the processes."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LIVEQA_", "GRIP_"))
    }
    return {**env, **extra}


LIVEQA = [sys.executable, "-m", "liveqa"]


@dataclass
class Service:
    """One child process (`liveqa <command>` unless told otherwise) with its log file.

    `new_session` puts it in a process group of its own, for programs that start children
    (Pushpin's runner): should it not stop in time, the whole group is killed.
    """

    name: str
    args: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    program: list[str] = field(default_factory=lambda: list(LIVEQA))
    new_session: bool = False
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await start_logged(
            [*self.program, *self.args],
            self.log_path,
            env=_clean_environment(self.env),
            new_session=self.new_session,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    async def wait_ready(self, path: str = "/", port: int | None = None) -> None:
        """Wait until the process answers HTTP on `port` (its own port by default)."""
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while True:
                if not self.running:
                    raise RuntimeError(f"{self.name} exited while starting:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    url = f"http://127.0.0.1:{port or self.port}{path}"
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                        if answer.status < 500:
                            return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} does not answer:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send `signum` to this process and wait; SIGKILL it (or its group) if it lingers."""
        if self.process is None:
            return 0
        return await stop(self.process, STOP_TIMEOUT, signum=signum, group=self.new_session)


@dataclass
class Edge:
    """A `liveqa edge`: clients connect to `port`, publishers POST to `publish_port`."""

    service: Service
    publish_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    @property
    def grip_url(self) -> str:
        return f"http://127.0.0.1:{self.publish_port}/?key={GRIP_KEY}"

    async def metrics(self) -> dict[str, float]:
        """The edge's Prometheus samples without labels, by name."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{self.publish_port}/metrics",
                headers={"Authorization": f"Bearer {GRIP_KEY}"},
            ) as response,
        ):
            assert response.status == 200, await response.text()
            families = text_string_to_metric_families(await response.text())
            return {s.name: s.value for f in families for s in f.samples if not s.labels}


@dataclass
class Cluster:
    """Origins on one PostgreSQL database, edges in front of them."""

    origins: list[Service]
    edges: list[Edge]

    @property
    def services(self) -> list[Service]:
        return [*self.origins, *(edge.service for edge in self.edges)]

    async def stop(self) -> None:
        await asyncio.gather(*(service.stop() for service in self.services))


def origin_service(
    directory: Path, index: int, port: int, database: str, grip_urls: Sequence[str]
) -> Service:
    """`liveqa origin` on `port`, publishing to `grip_urls`, with no per-person rate limits."""
    args = ["origin", "--listen", f"127.0.0.1:{port}", "--database-url", database]
    args += ["--secret-key", SECRET_KEY, "--grip-url", ",".join(grip_urls)]
    for rate in ("questions", "votes", "rooms", "names"):
        args += [f"--rate-{rate}", "0"]
    return Service(f"origin{index}", args, port, directory / f"origin{index}.log")


def edge_service(
    directory: Path,
    index: int,
    origins: Sequence[str],
    bus_prefix: str | None,
    bus_url: str = REDIS_URL,
) -> Edge:
    """`liveqa edge` trying `origins` in order; the bus URL goes in LIVEQA_BUS, as deployed."""
    port, publish_port = free_port(), free_port()
    args = ["edge", "--listen", f"127.0.0.1:{port}"]
    args += ["--publish-listen", f"127.0.0.1:{publish_port}"]
    args += ["--sig-key", GRIP_KEY, "--publish-key", GRIP_KEY]
    for origin in origins:
        args += ["--origin", origin]
    env: dict[str, str] = {}
    if bus_prefix is not None:
        env = {"LIVEQA_BUS": bus_url, "LIVEQA_BUS_PREFIX": bus_prefix}
    service = Service(f"edge{index}", args, port, directory / f"edge{index}.log", env)
    return Edge(service, publish_port)


@contextlib.asynccontextmanager
async def running(cluster: Cluster) -> AsyncIterator[Cluster]:
    """Start every process at once, wait until each answers, stop them all at the end."""
    try:
        await asyncio.gather(*(service.start() for service in cluster.services))
        await asyncio.gather(
            *(origin.wait_ready("/api/openapi.json") for origin in cluster.origins),
            # The publish listener answers itself: asking the client port would reach an origin
            # that may not listen yet, and make the edge fail over to the other one.
            *(edge.service.wait_ready(port=edge.publish_port) for edge in cluster.edges),
        )
        yield cluster
    finally:
        await cluster.stop()


def build_cluster(
    directory: Path,
    database: str,
    *,
    bus: bool = True,
    publish_to_all: bool = False,
    relay: Callable[[int, str], str] | None = None,
    bus_url: str = REDIS_URL,
) -> Cluster:
    """Two origins and two edges, each edge listing both origins in a different order.

    With `bus`, the edges share items over Redis and the origins publish to the first edge only;
    with `publish_to_all`, the origins publish to every edge. `relay(origin index, GRIP URL)`
    may give an origin another GRIP URL to publish to instead.
    """
    origin_ports = [free_port(), free_port()]
    prefix = f"liveqa-scale-{secrets.token_hex(8)}:" if bus else None
    origin_urls = [f"http://127.0.0.1:{port}" for port in origin_ports]
    edges = [
        edge_service(directory, 0, origin_urls, prefix, bus_url),
        edge_service(directory, 1, origin_urls[::-1], prefix, bus_url),
    ]
    targets = [edge.grip_url for edge in (edges if publish_to_all else edges[:1])]
    origins = []
    for index, port in enumerate(origin_ports):
        grip_urls = [relay(index, url) for url in targets] if relay else targets
        origins.append(origin_service(directory, index, port, database, grip_urls))
    return Cluster(origins, edges)


class TcpRelay:
    """A loopback TCP relay to `target` that can be cut (connections dropped, new ones refused)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Stop listening and drop every relayed connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, upstream_writer))
        pipes = [
            asyncio.create_task(self._pipe(reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        ]
        self._pipes.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for side in (writer, upstream_writer):
            side.transport.abort()
            self._writers.discard(side)
        await asyncio.gather(*pipes, return_exceptions=True)
        self._pipes.difference_update(pipes)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
