"""`liveqa bench app`: N attendees in one room of a real liveqa (edge + origin), some writing.

The benchmark starts `liveqa origin` (SQLite in a temporary directory unless told otherwise,
rate limits off) and `liveqa edge` in front of it, makes a session for a host and for each
attendee, and connects every attendee's WebSocket to the room through the edge. Writers (the
first attendees of each worker) then post questions and upvote at a steady total rate; every
attendee must receive every room event. Latency runs from a writer sending its message to an
attendee receiving the room event it caused: the writers note when they sent what their ACK
names, the host's socket (the observer) notes which `seq` each of those became, and attendees
note when each `seq` arrived.
"""

from __future__ import annotations

import asyncio
import os
import time
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec

from liveqa_bench.client_pool import ClientPool, split
from liveqa_bench.observer import Observer
from liveqa_bench.result import Result
from liveqa_bench.rig import (
    POLL_INTERVAL,
    Connected,
    Load,
    Rig,
    Target,
    describe,
    merge_latencies,
    ms,
    per_unit_us,
)
from liveqa_bench.sessions import current_seq, make_room
from liveqa_bench.stack import Stack, running_stack
from liveqa_bench.tally import percentiles
from liveqa_bench.usage import ProcessGroup
from liveqa_bench.writes import Key, Plan, votes_per_writer

ORIGIN_SECONDS = "liveqa_edge_origin_request_duration_seconds"
PRIME_INTERVAL = 0.2


@dataclass
class AppLoad:
    """The application benchmark's own parameters (the rest is in Load)."""

    writers: int = 100
    write_rate: float = 50.0
    vote_share: float = 0.5
    database_url: str | None = None


async def prime(rig: Rig, observer: Observer, targets: int, within: float) -> int:
    """Post `targets` questions to vote on, then more until every open attendee got an event."""
    deadline = time.monotonic() + within
    for index in range(targets):
        await observer.post(f"Target question {index}")
    while True:
        progress = await rig.progress(0)
        enough = len(observer.posted) >= targets
        if (enough and progress["primed"] >= progress["live"]) or time.monotonic() > deadline:
            return int(progress["primed"])
        await observer.post("Priming question")
        await asyncio.sleep(PRIME_INTERVAL)


def plans(load: Load, app_load: AppLoad, per_worker: list[int], targets: list[str]) -> list[Plan]:
    """Each worker's share of the writes: writers and rate in proportion to its attendees."""
    total = max(1, round(app_load.write_rate * load.duration))
    writers = split(min(app_load.writers, sum(per_worker)), len(per_worker))
    writers = [min(w, n) for w, n in zip(writers, per_worker, strict=True)]
    shares = iter(split(total, sum(1 for w in writers if w) or 1))
    out: list[Plan] = []
    for w in writers:
        count = next(shares) if w else 0
        rate = app_load.write_rate * count / total if count else 1.0
        out.append(Plan(w, count, rate, app_load.vote_share, targets))
    return out


def target_count(load: Load, app_load: AppLoad, workers: int) -> int:
    """Questions enough that no writer votes twice for one (plus one)."""
    total = max(1, round(app_load.write_rate * load.duration))
    writers = max(1, min(app_load.writers, load.connections) // workers)
    return votes_per_writer(-(-total // workers), writers, app_load.vote_share) + 1


async def _await_events(rig: Rig, load: Load) -> bool:
    """Until the writers are done and every open attendee has every acknowledged event."""
    deadline = time.monotonic() + load.timeout + load.duration
    received = -1
    changed = time.monotonic()
    while True:
        await asyncio.sleep(POLL_INTERVAL)
        progress = await rig.progress(0)
        now = time.monotonic()
        if progress["received"] != received:
            received, changed = progress["received"], now
        if not progress["writing"] and received >= progress["live"] * progress["acked"]:
            return True
        if now > deadline or (not progress["writing"] and now - changed > load.idle):
            return False


def send_times(
    answers: list[dict[str, Any]], seqs: dict[Key, int], base: int, size: int
) -> array[int]:
    """The send time of each room event base .. base + size - 1 (0 where unknown)."""
    sent = array("q", bytes(8 * size))
    for answer in answers:
        for kind, question, upvotes, sent_ns in answer["keys"]:
            seq = seqs.get((kind, question, upvotes))
            if seq is not None and 0 <= seq - base < size:
                sent[seq - base] = sent_ns
    return sent


async def app(rig: Rig, stack: Stack, load: Load, app_load: AppLoad) -> Result:
    """Connect the attendees, write at the steady rate, and account for every room event."""
    groups = {
        "edge": ProcessGroup(stack.edge.pids),
        "origin": ProcessGroup(stack.origin.pids),
        "clients": ProcessGroup(rig.pool.pids, recursive=False),
        "coordinator": ProcessGroup(lambda: [os.getpid()], recursive=False),
    }
    room = await make_room(stack.http_url, load.connections)
    path = f"/api/websocket?roomId={room.room_id}"
    connected = await rig.connect(
        load.connections, load.setup_in_flight, path, load.timeout, room.cookies
    )
    notes = describe(connected.reasons, "failed handshakes")
    socket = await rig.session.ws_connect(stack.ws_url + path, headers={"Cookie": room.host_cookie})
    observer = Observer(socket)
    try:
        targets = target_count(load, app_load, rig.pool.size)
        primed = await prime(rig, observer, targets, load.timeout)
        if primed < connected.connected:
            notes.append(f"only {primed} of {connected.connected} attendees got a room event")
        base = await current_seq(rig.session, stack.http_url, room) + 1
        work = plans(load, app_load, connected.per_worker, observer.posted[:targets])
        planned = sum(plan.count for plan in work)
        await rig.expect(connected, planned, base)
        before = {name: group.cpu() for name, group in groups.items()}
        metrics_before = await stack.metrics(rig.session)
        start_ns = time.monotonic_ns()
        await rig.pool.call("receive", [
            {"how": load.receive, "plan": msgspec.to_builtins(plan), "first_sender": index}
            for index, plan in enumerate(work)
        ])  # fmt: skip
        if not await _await_events(rig, load):
            notes.append("stopped waiting for events at a time bound")
        cpu = {name: _used(before[name], group.cpu()) for name, group in groups.items()}
        metrics_after = await stack.metrics(rig.session)
        answers = await rig.pool.broadcast("writes")
        acked = sum(a["acked"] for a in answers)
        # The observer's socket may still be reading the last events.
        await observer.reach(base + acked - 1, load.idle)
        sent = send_times(answers, observer.seqs, base, planned)
        totals = await rig.pool.broadcast("collect", messages=acked, sent=sent.tobytes())
    finally:
        await rig.pool.broadcast("close", within=min(load.timeout, 10.0))
        await observer.close()
    notes += describe(observer.refused, "host posts refused")
    return _result(load, app_load, connected, answers, totals, sent, cpu, start_ns, notes,
                   metrics_after, metrics_before)  # fmt: skip


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _result(
    load: Load,
    app_load: AppLoad,
    connected: Connected,
    answers: list[dict[str, Any]],
    totals: list[dict[str, Any]],
    sent: array[int],
    cpu: dict[str, float],
    start_ns: int,
    notes: list[str],
    after: dict[str, float],
    before: dict[str, float],
) -> Result:
    errors: Counter[str] = Counter()
    for answer in answers:
        errors.update(answer["errors"])
    notes += describe(errors, "failed writes")
    drops: Counter[str] = Counter()
    for total in totals:
        drops.update(total["drop_reasons"])
    notes += describe(drops, "dropped connections")
    acked = sum(a["acked"] for a in answers)
    unknown = sum(1 for index in range(min(acked, len(sent))) if not sent[index])
    if unknown:
        notes.append(f"{unknown} events without a known send time (not in the latency figures)")
    delivered = sum(t["received"] for t in totals)
    last_ns = max(t["last_ns"] for t in totals)
    window = max(last_ns - start_ns, 1) / 1e9 if delivered else None
    latency = percentiles(merge_latencies(t["latencies"] for t in totals))
    acks = percentiles(merge_latencies(a["ack_times"] for a in answers))

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    requests = grew("liveqa_edge_origin_requests_total")
    edge_deliveries = grew("liveqa_edge_deliveries_total")
    timed = grew(f"{ORIGIN_SECONDS}_count")
    origin_mean = grew(f"{ORIGIN_SECONDS}_sum") * 1e3 / timed if timed else None
    held = connected.connected
    params: dict[str, Any] = load.params("connections", "duration", "receive")
    params |= {"writers": app_load.writers, "rate": app_load.write_rate}
    params |= {"vote_share": app_load.vote_share, "database": app_load.database_url or "sqlite"}
    return Result(
        scenario="app",
        target="liveqa",
        params=params,
        figures={
            "connections": held,
            "failed_handshakes": connected.failed,
            "dropped_connections": sum(t["dropped"] for t in totals),
            "writes_sent": sum(a["sent"] for a in answers),
            "writes_acked": acked,
            "writes_per_s": acked / window if window else None,
            "expected": acked * held,
            "delivered": delivered,
            "lost": sum(t["lost"] for t in totals),
            "duplicated": sum(t["duplicated"] for t in totals),
            "other_messages": sum(t["other"] for t in totals),
            "latency_p50_ms": ms(latency.p50) if latency else None,
            "latency_p99_ms": ms(latency.p99) if latency else None,
            "latency_max_ms": ms(latency.max) if latency else None,
            "ack_p50_ms": ms(acks.p50) if acks else None,
            "ack_p99_ms": ms(acks.p99) if acks else None,
            "origin_requests": int(requests),
            "origin_requests_per_s": requests / window if window else None,
            "origin_request_mean_ms": origin_mean,
            "edge_deliveries": int(edge_deliveries),
            "window_s": window,
            "cpu_clients_s": cpu["clients"],
            "cpu_proxy_s": cpu["edge"],
            "cpu_origin_s": cpu["origin"],
            "cpu_coordinator_s": cpu["coordinator"],
            "proxy_cpu_us_per_delivery": per_unit_us(cpu["edge"], int(edge_deliveries)),
            "client_cpu_us_per_delivery": per_unit_us(cpu["clients"], delivered),
            "origin_cpu_us_per_write": per_unit_us(cpu["origin"], acked),
        },
        notes=notes,
    )


async def run_app(load: Load, app_load: AppLoad, workers: int, client_loop: str) -> Result:
    """Start liveqa and the client workers, run the benchmark, stop everything."""
    async with running_stack(app_load.database_url) as stack:
        target = Target(
            "liveqa",
            stack.ws_url,
            f"http://127.0.0.1:{stack.publish_port}/publish/",
            ProcessGroup(stack.edge.pids),
        )
        with ClientPool(workers, client_loop) as pool:
            async with aiohttp.ClientSession() as session:
                rig = Rig(target, pool, stack.http_url, ProcessGroup(stack.origin.pids), session)
                return await app(rig, stack, load, app_load)
