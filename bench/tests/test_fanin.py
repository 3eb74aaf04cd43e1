"""End-to-end fan-in runs against Pushpin 1.36."""

from __future__ import annotations

import pytest

from liveqa_bench.fanin import fanin
from liveqa_bench.rig import Load, Rig

pytestmark = pytest.mark.pushpin


async def test_every_message_reaches_the_origin_and_is_acked(pushpin_rig: Rig) -> None:
    result = await fanin(
        pushpin_rig, Load(connections=20, per_client=3, ack=True, timeout=20, idle=3)
    )
    figures = result.figures
    assert (result.scenario, result.notes) == ("fanin", [])
    assert (figures["connections"], figures["failed_handshakes"]) == (20, 0)
    assert figures["sent"] == figures["received"] == figures["acked"] == 60
    assert (figures["lost"], figures["duplicated"], figures["dropped_connections"]) == (0, 0, 0)
    requests = figures["origin_requests"]
    assert requests is not None
    # 20 OPEN requests, then each client's 3 messages in one to three requests.
    assert 40 <= requests <= 80
    for key in ("messages_per_s", "latency_p99_ms", "ack_p99_ms", "proxy_cpu_us_per_message"):
        value = figures[key]
        assert value is not None
        assert value > 0
