"""Fan-in: N clients each send K messages at once; what reaches the origin, and how fast."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from liveqa_bench.result import Result
from liveqa_bench.rig import POLL_INTERVAL, Load, Rig, describe, ms, per_unit_us


async def _await_origin(rig: Rig, sent: int, load: Load) -> tuple[dict[str, Any], bool]:
    """Poll the origin until it has `sent` distinct messages; False if a bound stopped it."""
    deadline = time.monotonic() + load.timeout
    received = -1
    changed = time.monotonic()
    while True:
        stats = await rig.origin_stats()
        now = time.monotonic()
        if stats["received"] >= sent:
            return stats, True
        if stats["received"] != received:
            received, changed = stats["received"], now
        if now > deadline or now - changed > load.idle:
            return stats, False
        await asyncio.sleep(POLL_INTERVAL)


async def _await_acks(rig: Rig, load: Load) -> bool:
    """Wait until every open client has its acks; False if a bound stopped it."""
    deadline = time.monotonic() + load.timeout
    received = -1
    changed = time.monotonic()
    while True:
        progress = await rig.progress(load.per_client)
        now = time.monotonic()
        if progress["complete"] >= progress["live"]:
            return True
        if progress["received"] != received:
            received, changed = progress["received"], now
        if now > deadline or now - changed > load.idle:
            return False
        await asyncio.sleep(POLL_INTERVAL)


async def fanin(rig: Rig, load: Load) -> Result:
    """Every client sends `load.per_client` messages in one write; the origin counts them."""
    channel = f"bench-{secrets.token_hex(4)}"
    query = f"?channel={channel}" + ("&ack=1" if load.ack else "")
    await rig.origin_reset()
    connected = await rig.connect(
        load.connections, load.setup_in_flight, load.path + query, load.timeout
    )
    notes = describe(connected.reasons, "failed handshakes")
    try:
        await rig.expect(connected, load.per_client)
        before = rig.cpu()
        answers = await rig.pool.broadcast("send", messages=load.per_client, size=load.size)
        start_ns = min(a["started_ns"] for a in answers)
        sent = sum(a["sent"] for a in answers)
        stats, complete = await _await_origin(rig, sent, load)
        if not complete:
            notes.append("stopped waiting for the origin at a time bound")
        if load.ack and not await _await_acks(rig, load):
            notes.append("stopped waiting for acks at a time bound")
        cpu = rig.cpu_since(before)
        stats = await rig.origin_stats(latency=True)
        totals = await rig.collect(load.per_client)
    finally:
        await rig.disconnect(load.timeout)
    notes += describe(totals["drop_reasons"], "dropped connections")
    if stats["malformed"]:
        notes.append(f"the origin got {stats['malformed']} malformed messages")
    received = stats["received"]
    window = max(stats["last_ns"] - start_ns, 1) / 1e9 if received else None
    latency = stats["latency"]
    acks = totals["latencies"]
    figures = {
        "connections": connected.connected,
        "failed_handshakes": connected.failed,
        "dropped_connections": totals["dropped"],
        "sent": sent,
        "received": received,
        "lost": sent - received,
        "duplicated": stats["duplicated"],
        "origin_requests": stats["requests"],
        "messages_per_s": received / window if window else None,
        "latency_p50_ms": ms(latency["p50"]) if latency else None,
        "latency_p99_ms": ms(latency["p99"]) if latency else None,
        "latency_max_ms": ms(latency["max"]) if latency else None,
        "window_s": window,
        "cpu_clients_s": cpu["clients"],
        "cpu_proxy_s": cpu["proxy"],
        "cpu_origin_s": cpu["origin"],
        "proxy_cpu_us_per_message": per_unit_us(cpu["proxy"], received),
    }
    if load.ack:
        figures["acked"] = totals["received"]
        figures["ack_p99_ms"] = ms(acks.p99) if acks else None
    return Result(
        scenario="fanin",
        target=rig.target.name,
        params=load.params("connections", "setup_in_flight", "per_client", "ack", "size"),
        figures=figures,
        notes=notes,
    )
