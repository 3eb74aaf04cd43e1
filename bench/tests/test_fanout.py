"""End-to-end fan-out runs against Pushpin 1.36."""

from __future__ import annotations

import pytest

from liveqa_bench.fanout import fanout
from liveqa_bench.rig import Load, Rig

pytestmark = pytest.mark.pushpin


@pytest.mark.parametrize("receive", ["epoll", "loop"])
async def test_burst_delivers_every_message_to_every_subscriber(
    pushpin_rig: Rig, receive: str
) -> None:
    load = Load(connections=20, burst=10, timeout=20, idle=3, receive=receive)
    result = await fanout(pushpin_rig, load)
    assert result.params["receive"] == receive
    figures = result.figures
    assert (result.scenario, result.target, result.notes) == ("fanout", "pushpin", [])
    assert (figures["connections"], figures["failed_handshakes"]) == (20, 0)
    assert (figures["published"], figures["publish_failures"]) == (10, 0)
    assert figures["expected"] == figures["delivered"] == 200
    assert (figures["lost"], figures["duplicated"], figures["dropped_connections"]) == (0, 0, 0)
    # CPU times tick every 10 ms: the clients' or the proxy's share of so short a run may be 0.
    assert figures["client_cpu_us_per_delivery"] is not None
    assert figures["cpu_proxy_s"] is not None
    for key in ("deliveries_per_s", "latency_p50_ms", "proxy_rss_held_mb"):
        value = figures[key]
        assert value is not None
        assert value > 0
    p50, p99, most = (figures[f"latency_{k}_ms"] or 0.0 for k in ("p50", "p99", "max"))
    assert 0 < p50 <= p99 <= most


async def test_steady_rate(pushpin_rig: Rig) -> None:
    result = await fanout(
        pushpin_rig, Load(connections=10, rate=20.0, duration=0.25, timeout=20, idle=3)
    )
    assert result.scenario == "fanout-rate"
    assert result.params["rate"] == 20.0
    figures = result.figures
    assert (figures["published"], figures["expected"], figures["delivered"]) == (5, 50, 50)
    assert figures["lost"] == 0
