"""A running liveqa for the application benchmark: `liveqa origin` and `liveqa edge` processes."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from liveqa_bench.ports import free_port
from liveqa_bench.processes import ChildProcess, edge_process, liveqa_origin_process


def unlabelled_samples(text: str) -> dict[str, float]:
    """The samples without labels of a Prometheus text exposition, by name."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, _, value = line.partition(" ")
            samples[name] = float(value)
    return samples


@dataclass
class Stack:
    """A running liveqa: origin and edge processes and how to reach them."""

    origin: ChildProcess
    edge: ChildProcess
    http_url: str
    ws_url: str
    publish_port: int
    key: str

    async def metrics(self, session: aiohttp.ClientSession) -> dict[str, float]:
        """The edge's unlabelled Prometheus samples, by name."""
        url = f"http://127.0.0.1:{self.publish_port}/metrics"
        headers = {"Authorization": f"Bearer {self.key}"}
        async with session.get(url, headers=headers) as response:
            response.raise_for_status()
            return unlabelled_samples(await response.text())


@contextlib.asynccontextmanager
async def running_stack(database_url: str | None) -> AsyncIterator[Stack]:
    """Start `liveqa origin` and `liveqa edge` on free loopback ports; stop them afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="liveqa-bench-app-"))
    key = secrets.token_hex(24)
    origin_port, http_port, publish_port = free_port(), free_port(), free_port()
    database = database_url or f"sqlite:///{directory / 'liveqa.db'}"
    origin = liveqa_origin_process(origin_port, publish_port, key, database, secrets.token_hex(24))
    edge = edge_process(origin_port, http_port, publish_port, key, publish_key=key)
    try:
        await asyncio.to_thread(edge.start)
        await asyncio.to_thread(origin.start, 60.0)
        yield Stack(
            origin,
            edge,
            f"http://127.0.0.1:{http_port}",
            f"ws://127.0.0.1:{http_port}",
            publish_port,
            key,
        )
    finally:
        await asyncio.to_thread(origin.stop)
        await asyncio.to_thread(edge.stop)
        shutil.rmtree(directory, ignore_errors=True)
