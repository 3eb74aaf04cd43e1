"""`liveqa bench cluster`: fan-out through several `liveqa edge`s sharing a Redis bus, compared
with one edge holding every subscriber.

Each layout gets fresh processes: stub origins (as many as edges; each edge lists all of them,
its own first, as Pushpin-style fallbacks) and the edges. Subscribers are split evenly over the
edges; the publisher posts to the first edge only, which shares each item with the others over
Redis. Loss and duplication are counted per subscriber as in `fanout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence

import aiohttp
import msgspec

from liveqa_bench.client_pool import ClientPool
from liveqa_bench.fanout import fanout
from liveqa_bench.ports import free_port
from liveqa_bench.processes import ChildProcess, edge_process, stub_origin_process
from liveqa_bench.result import Result
from liveqa_bench.rig import Load, Rig, Target
from liveqa_bench.usage import ProcessGroup

DEFAULT_BUS = "redis://127.0.0.1:6379/0"
SCENARIO = "cluster"


def layout_name(edges: int) -> str:
    """How a layout is named in results."""
    return "1 edge" if edges == 1 else f"{edges} edges + Redis"


def _pids(processes: Sequence[ChildProcess]) -> ProcessGroup:
    return ProcessGroup(lambda: [pid for p in processes for pid in p.pids()])


@contextlib.asynccontextmanager
async def running_layout(
    edges: int, sig_key: str, bus: str
) -> AsyncIterator[tuple[Target, ProcessGroup, str]]:
    """`edges` edges (sharing `bus` under a fresh prefix when more than one) in front of as many
    stub origins; yields the target, the origins' process group and the first origin's URL."""
    origin_ports = [free_port() for _ in range(edges)]
    origins = [stub_origin_process("127.0.0.1", port) for port in origin_ports]
    prefix = f"liveqa-bench-{secrets.token_hex(6)}:"
    proxies: list[ChildProcess] = []
    ports: list[tuple[int, int]] = []
    for index in range(edges):
        http_port, publish_port = free_port(), free_port()
        ports.append((http_port, publish_port))
        order = [origin_ports[(index + k) % edges] for k in range(edges)]
        proxy = edge_process(
            order[0],
            http_port,
            publish_port,
            sig_key,
            bus=bus if edges > 1 else None,
            bus_prefix=prefix,
            name=f"edge{index}",
            more_origins=order[1:],
        )
        proxies.append(proxy)
    started: list[ChildProcess] = []
    try:
        for process in [*origins, *proxies]:
            await asyncio.to_thread(process.start)
            started.append(process)
        urls = [f"ws://127.0.0.1:{http_port}" for http_port, _ in ports]
        target = Target(
            layout_name(edges),
            urls[0],
            f"http://127.0.0.1:{ports[0][1]}/publish/",
            _pids(proxies),
            more_ws_urls=urls[1:],
        )
        yield target, _pids(origins), f"http://127.0.0.1:{origin_ports[0]}"
    finally:
        for process in reversed(started):
            await asyncio.to_thread(process.stop)


async def run_cluster(
    load: Load,
    layouts: Sequence[int],
    workers: int,
    client_loop: str,
    sig_key: str,
    bus: str = DEFAULT_BUS,
) -> list[Result]:
    """Fan-out at `load` through each layout (a number of edges) in turn, on fresh processes."""
    results: list[Result] = []
    with ClientPool(workers, client_loop) as pool:
        async with aiohttp.ClientSession() as session:
            for edges in layouts:
                async with running_layout(edges, sig_key, bus) as (target, origins, origin_url):
                    rig = Rig(target, pool, origin_url, origins, session)
                    result = await fanout(rig, load)
                params = {**result.params, "edges": edges}
                results.append(msgspec.structs.replace(result, scenario=SCENARIO, params=params))
    return results
