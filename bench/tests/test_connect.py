"""End-to-end connection runs against Pushpin 1.36."""

from __future__ import annotations

import pytest

from liveqa_bench.connect import connect
from liveqa_bench.rig import Load, Rig

pytestmark = pytest.mark.pushpin


async def test_every_handshake_includes_an_open_at_the_origin(pushpin_rig: Rig) -> None:
    result = await connect(pushpin_rig, Load(connections=30, in_flight=10, timeout=20))
    figures = result.figures
    assert (result.scenario, result.notes) == ("connect", [])
    assert (figures["connections"], figures["failed_handshakes"]) == (30, 0)
    assert figures["origin_requests"] == 30
    for key in ("handshakes_per_s", "handshake_p99_ms", "proxy_cpu_us_per_handshake"):
        value = figures[key]
        assert value is not None
        assert value > 0
