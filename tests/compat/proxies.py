"""Start the GRIP proxies under test (Debian's Pushpin, `liveqa edge`) in front of an origin."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from support.edge import edge_command
from support.ports import free_port
from support.processes import (
    log_tail,
    start_logged,
    stop,
    wait_answering,
    wait_listening,
)
from support.pushpin import Pushpin

KINDS = ("pushpin", "liveqa")
# PyJWT warns (an error under filterwarnings) about HMAC keys shorter than 32 bytes.
SIG_KEY = "compat-suite-grip-sig-key-0123456789"


@dataclass(frozen=True)
class Proxy:
    """A running proxy: where clients connect and where publishers post."""

    kind: str
    http_port: int
    publish_port: int

    def ws_url(self, path: str) -> str:
        """The client-facing WebSocket URL for `path` (path and query)."""
        return f"ws://127.0.0.1:{self.http_port}{path}"

    @property
    def publish_url(self) -> str:
        """The GRIP publish endpoint."""
        return f"http://127.0.0.1:{self.publish_port}/publish/"


@contextlib.asynccontextmanager
async def run_proxy(kind: str, origin_port: int, origin_up: bool = True) -> AsyncIterator[Proxy]:
    """Run a proxy of `kind` routing WebSocket-over-HTTP to 127.0.0.1:`origin_port`."""
    if kind == "pushpin":
        async with _pushpin(origin_port, origin_up) as proxy:
            yield proxy
    else:
        async with _liveqa(origin_port) as proxy:
            yield proxy


@contextlib.asynccontextmanager
async def _pushpin(origin_port: int, origin_up: bool) -> AsyncIterator[Proxy]:
    pushpin = Pushpin(origin=f"127.0.0.1:{origin_port}", sig_key=SIG_KEY)
    # Pushpin.start blocks while it waits; a thread keeps the origin's event loop answering.
    await asyncio.to_thread(pushpin.start)
    try:
        # With the origin up, a 502 means Pushpin's route to it is not linked up yet.
        await wait_answering(
            pushpin.http_port,
            time.monotonic() + 20,
            path="/compat-ready",
            not_yet=(b"502",) if origin_up else (),
        )
        yield Proxy("pushpin", pushpin.http_port, pushpin.publish_port)
    finally:
        await asyncio.to_thread(pushpin.stop)


@contextlib.asynccontextmanager
async def _liveqa(origin_port: int, wait: float = 15.0) -> AsyncIterator[Proxy]:
    http_port, publish_port = free_port(), free_port()
    command = [*edge_command(origin_port, http_port, publish_port, SIG_KEY), "--sig-iss", "pushpin"]
    with tempfile.TemporaryDirectory(prefix="liveqa-compat-") as directory:
        log_path = Path(directory) / "edge.log"
        process = await start_logged(command, log_path, new_session=True)

        def alive() -> None:
            if process.returncode is not None:
                tail = log_tail(log_path, 2000)
                raise RuntimeError(f"liveqa edge exited with status {process.returncode}:\n{tail}")

        try:
            deadline = time.monotonic() + wait
            for port in (http_port, publish_port):
                await wait_listening(port, deadline, alive=alive)
            await wait_answering(http_port, deadline, path="/compat-ready")
            yield Proxy("liveqa", http_port, publish_port)
        finally:
            await stop(process, group=True)
