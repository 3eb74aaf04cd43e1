"""Fixtures for end-to-end benchmark runs: the stub origin, Pushpin 1.36 and client workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from hypothesis import settings

from liveqa_bench.client_pool import ClientPool
from liveqa_bench.ports import free_port
from liveqa_bench.processes import ChildProcess, stub_origin_process
from liveqa_bench.pushpin import Pushpin
from liveqa_bench.rig import Rig, Target
from liveqa_bench.usage import ProcessGroup

# No time limit per example: timings are the benchmark's to check, and on a busy two-core machine
# one example can take a second (Hypothesis's 200 ms deadline failed a parser test under load).
settings.register_profile("liveqa", deadline=None)
settings.load_profile("liveqa")

# PyJWT warns (an error under filterwarnings) about HMAC keys shorter than 32 bytes.
SIG_KEY = "liveqa-bench-tests-grip-sig-key-0123456789"


@dataclass
class PushpinBench:
    """A running stub origin with Pushpin in front of it, and a pool of client workers."""

    origin: ChildProcess
    origin_port: int
    pushpin: Pushpin
    pool: ClientPool


@pytest.fixture(scope="session")
def pushpin_bench() -> Iterator[PushpinBench]:
    """Started once for every end-to-end benchmark test."""
    port = free_port()
    with (
        stub_origin_process("127.0.0.1", port) as origin,
        Pushpin(f"127.0.0.1:{port}", sig_key=SIG_KEY, message_rate=0, message_hwm=0) as pushpin,
        ClientPool(2) as pool,
    ):
        yield PushpinBench(origin, port, pushpin, pool)


@pytest.fixture
async def pushpin_rig(pushpin_bench: PushpinBench) -> AsyncIterator[Rig]:
    """A rig aimed at the shared Pushpin."""
    pushpin = pushpin_bench.pushpin
    target = Target(
        "pushpin",
        f"ws://127.0.0.1:{pushpin.http_port}",
        pushpin.publish_url,
        ProcessGroup(pushpin.pids),
    )
    async with aiohttp.ClientSession() as session:
        yield Rig(
            target,
            pushpin_bench.pool,
            f"http://127.0.0.1:{pushpin_bench.origin_port}",
            ProcessGroup(pushpin_bench.origin.pids),
            session,
        )
