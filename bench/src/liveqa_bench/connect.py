"""Connect: open N WebSockets, C handshakes in flight, each including the OPEN round trip."""

from __future__ import annotations

import secrets

from liveqa_bench.result import Result
from liveqa_bench.rig import Load, Rig, describe, memory_figures, ms, per_unit_us


async def connect(rig: Rig, load: Load) -> Result:
    """Handshakes/s and failures; the 101 only comes after the origin accepted the OPEN."""
    channel = f"bench-{secrets.token_hex(4)}"
    await rig.origin_reset()
    rss_idle = rig.proxy_rss()
    before = rig.cpu()
    try:
        connected = await rig.connect(
            load.connections, load.in_flight, f"{load.path}?channel={channel}", load.timeout
        )
        cpu = rig.cpu_since(before)
        rss_held = rig.proxy_rss()
        stats = await rig.origin_stats()
    finally:
        await rig.disconnect(load.timeout)
    held = connected.connected
    durations = connected.durations
    return Result(
        scenario="connect",
        target=rig.target.name,
        params=load.params("connections", "in_flight"),
        figures={
            "connections": held,
            "failed_handshakes": connected.failed,
            "handshakes_per_s": held / connected.seconds,
            "handshake_p50_ms": ms(durations.p50) if durations else None,
            "handshake_p99_ms": ms(durations.p99) if durations else None,
            "origin_requests": stats["requests"],
            "window_s": connected.seconds,
            "cpu_clients_s": cpu["clients"],
            "cpu_proxy_s": cpu["proxy"],
            "cpu_origin_s": cpu["origin"],
            "proxy_cpu_us_per_handshake": per_unit_us(cpu["proxy"], held),
            **memory_figures(rss_idle, rss_held, held),
        },
        notes=describe(connected.reasons, "failed handshakes"),
    )
