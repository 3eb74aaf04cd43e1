"""Fan-out: N subscribers, a publisher posting to their channel; deliveries, latency, loss."""

from __future__ import annotations

import asyncio
import secrets
import time

from liveqa_bench.result import Result
from liveqa_bench.rig import POLL_INTERVAL, Load, Rig, describe, memory_figures, ms, per_unit_us
from liveqa_bench.timed_publisher import Publisher

PRIME_INTERVAL = 0.2


async def prime(rig: Rig, publisher: Publisher, within: float) -> int:
    """Publish priming messages until every open client got one: then all are subscribed."""
    deadline = time.monotonic() + within
    while True:
        progress = await rig.progress(0)
        if progress["primed"] >= progress["live"] or time.monotonic() > deadline:
            return progress["primed"]
        await publisher.prime()
        await asyncio.sleep(PRIME_INTERVAL)


async def _await_deliveries(
    rig: Rig, messages: int, publishing: asyncio.Task[None], load: Load
) -> bool:
    """Wait until every open client has all `messages`; False if it stopped at a bound."""
    deadline = time.monotonic() + load.timeout + (0 if load.rate is None else load.duration)
    received = -1
    changed = time.monotonic()
    while True:
        await asyncio.sleep(POLL_INTERVAL)
        progress = await rig.progress(messages)
        now = time.monotonic()
        if progress["received"] != received:
            received, changed = progress["received"], now
        if publishing.done() and progress["complete"] >= progress["live"]:
            return True
        if now > deadline or (publishing.done() and now - changed > load.idle):
            publishing.cancel()
            return False


async def fanout(rig: Rig, load: Load) -> Result:
    """Burst (`load.burst` messages) or steady (`load.rate`/s for `load.duration` s) fan-out."""
    channel = f"bench-{secrets.token_hex(4)}"
    await rig.origin_reset()
    rss_idle = rig.proxy_rss()
    connected = await rig.connect(
        load.connections, load.setup_in_flight, f"{load.path}?channel={channel}", load.timeout
    )
    target = rig.target
    publisher = Publisher(rig.session, target.publish_url, channel, load.size, target.publish_key)
    notes = describe(connected.reasons, "failed handshakes")
    try:
        primed = await prime(rig, publisher, load.timeout)
        if primed < connected.connected:
            notes.append(f"only {primed} of {connected.connected} clients got a priming message")
        rss_held = rig.proxy_rss()
        if load.rate is None:
            messages = load.burst
            params = load.params("connections", "setup_in_flight", "burst", "batch", "size")
        else:
            messages = max(1, round(load.rate * load.duration))
            params = load.params("connections", "setup_in_flight", "rate", "duration", "size")
        params["client_loop"] = rig.pool.loop
        params["receive"] = load.receive
        await rig.expect(connected, messages)
        await rig.receive(load.receive)
        before = rig.cpu()
        start_ns = time.monotonic_ns()
        if load.rate is None:
            publishing = asyncio.create_task(publisher.burst(messages, load.batch))
        else:
            publishing = asyncio.create_task(publisher.at_rate(load.rate, messages))
        if not await _await_deliveries(rig, messages, publishing, load):
            notes.append("stopped waiting for deliveries at a time bound")
        cpu = rig.cpu_since(before)
        totals = await rig.collect(messages)
    finally:
        await rig.disconnect(load.timeout)
    notes += describe(publisher.failures, "failed publishes")
    notes += describe(totals["drop_reasons"], "dropped connections")
    if totals["malformed"]:
        notes.append(f"{totals['malformed']} malformed messages received")
    delivered = totals["received"]
    window = max(totals["last_ns"] - start_ns, 1) / 1e9 if delivered else None
    latency = totals["latencies"]
    held = connected.connected
    return Result(
        scenario="fanout" if load.rate is None else "fanout-rate",
        target=target.name,
        params=params,
        figures={
            "connections": held,
            "failed_handshakes": connected.failed,
            "dropped_connections": totals["dropped"],
            "published": publisher.published,
            "publish_failures": publisher.failed,
            "expected": held * messages,
            "delivered": delivered,
            "lost": totals["lost"],
            "duplicated": totals["duplicated"],
            "deliveries_per_s": delivered / window if window else None,
            "latency_p50_ms": ms(latency.p50) if latency else None,
            "latency_p99_ms": ms(latency.p99) if latency else None,
            "latency_max_ms": ms(latency.max) if latency else None,
            "window_s": window,
            "cpu_clients_s": cpu["clients"],
            "cpu_proxy_s": cpu["proxy"],
            "cpu_origin_s": cpu["origin"],
            "proxy_cpu_us_per_delivery": per_unit_us(cpu["proxy"], delivered),
            "client_cpu_us_per_delivery": per_unit_us(cpu["workers"], delivered),
            **memory_figures(rss_idle, rss_held, held),
        },
        notes=notes,
    )
