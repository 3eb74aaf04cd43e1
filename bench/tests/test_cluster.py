"""Fan-out through two `liveqa edge`s sharing the Redis bus (Redis runs at 127.0.0.1:6379)."""

from __future__ import annotations

from typing import Any

import aiohttp

from liveqa_bench.client_pool import ClientPool
from liveqa_bench.cluster import layout_name, run_cluster
from liveqa_bench.rig import Load, Rig, Target
from liveqa_bench.usage import ProcessGroup

SIG_KEY = "liveqa-bench-tests-grip-sig-key-0123456789"


async def test_two_edges_lose_and_duplicate_nothing() -> None:
    load = Load(connections=20, rate=10.0, duration=0.5, timeout=20, idle=3)
    results = await run_cluster(load, [2], 2, "auto", SIG_KEY)
    [result] = results
    figures = result.figures
    assert (result.scenario, result.target, result.params["edges"]) == (
        "cluster",
        "2 edges + Redis",
        2,
    )
    assert result.notes == []
    assert (figures["connections"], figures["published"]) == (20, 5)
    assert figures["expected"] == figures["delivered"] == 100
    assert (figures["lost"], figures["duplicated"], figures["dropped_connections"]) == (0, 0, 0)


class RecordingPool(ClientPool):
    """Answers `connect` calls as if every connection opened, and keeps the calls."""

    def __init__(self) -> None:
        super().__init__(2)
        self.calls: list[dict[str, Any]] = []

    async def call(self, method: str, kwargs: Any) -> list[dict[str, Any]]:
        self.calls += kwargs
        return [
            {"connected": k["count"], "reasons": {}, "durations": b"", "started_ns": 1,
             "finished_ns": 2} for k in kwargs
        ]  # fmt: skip


async def test_clients_are_split_over_every_edge() -> None:
    urls = ["ws://127.0.0.1:1001", "ws://127.0.0.1:1002", "ws://127.0.0.1:1003"]
    target = Target("t", urls[0], "http://127.0.0.1:1/publish/", more_ws_urls=urls[1:])
    pool = RecordingPool()
    async with aiohttp.ClientSession() as session:
        rig = Rig(target, pool, "http://127.0.0.1:2", ProcessGroup(list), session)
        cookies = [f"c{i}" for i in range(10)]
        connected = await rig.connect(10, 4, "/x", 5.0, cookies)
    assert [(c["port"], c["count"]) for c in pool.calls] == [
        (1001, 2), (1001, 2), (1002, 2), (1002, 1), (1003, 2), (1003, 1)
    ]  # fmt: skip
    assert [cookie for c in pool.calls for cookie in c["cookies"]] == cookies
    assert (connected.connected, connected.per_worker) == (10, [6, 4])


def test_layouts_are_named_by_their_edges() -> None:
    assert (layout_name(1), layout_name(3)) == ("1 edge", "3 edges + Redis")
