"""`liveqa bench soak`: a room kept busy for minutes, with the edge's and origin's memory and open
files sampled as it goes.

Attendees of one room (through `liveqa edge` in front of `liveqa origin`) post and vote at a steady
rate and some reconnect all the time, as pages reload on venue Wi-Fi. Every `--sample-every`
seconds the resident memory and open file descriptors of both processes are read; the record
gives their growth per minute (least squares over the samples after the first minute, which
fills caches) and the ACK round trip per minute. With `--flappers K --flap-rate R`, K more clients
do nothing but connect and disconnect, R times a second in all: run it with and without them to
see what flapping clients cost everyone else.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from liveqa_bench.result import Result
from liveqa_bench.sessions import make_room
from liveqa_bench.stack import Stack, running_stack
from liveqa_bench.tally import percentiles
from liveqa_bench.usage import ProcessGroup

ACK_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
CONNECT_CONCURRENCY = 50
# Writes allowed in flight at once: a stalled server must not turn the load into a pile of tasks.
MAX_IN_FLIGHT = 1_000
MB = 1 << 20


@dataclass
class SoakLoad:
    """What to run, for how long, and how often to look."""

    attendees: int = 500
    write_rate: float = 10.0
    reconnect_rate: float = 5.0
    flappers: int = 0
    flap_rate: float = 0.0
    duration: float = 600.0
    sample_every: float = 10.0
    database_url: str | None = None


class Client:
    """One attendee's socket; its replies are matched to what it sent by `ref`."""

    def __init__(self, session: aiohttp.ClientSession, url: str, cookie: str) -> None:
        self.session = session
        self.url = url
        self.cookie = cookie
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.refs = 0

    @property
    def ready(self) -> bool:
        return self.ws is not None and not self.ws.closed

    async def connect(self) -> None:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            self.ws = await self.session.ws_connect(
                self.url, headers={"Cookie": self.cookie}, heartbeat=None
            )
        self.reader = asyncio.create_task(self._read(self.ws))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                waiting = self.waiting.pop(str(message.get("ref")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(message)
        finally:
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))
            self.waiting.clear()

    async def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send `message` and wait for its ACK or ERROR."""
        assert self.ws is not None
        self.refs += 1
        ref = f"r{self.refs}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[ref] = future
        await self.ws.send_str(json.dumps({**message, "ref": ref}))
        async with asyncio.timeout(ACK_TIMEOUT):
            return await future


@dataclass
class Tally:
    """What happened during the run."""

    # (seconds since start when sent, round trip in ns)
    acks: list[tuple[float, int]] = field(default_factory=list)
    sent: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    flaps: int = 0
    # (seconds since start, {"edge": (rss, fds), "origin": (rss, fds)})
    samples: list[tuple[float, dict[str, tuple[int, int]]]] = field(default_factory=list)


def slope_per_minute(points: list[tuple[float, float]]) -> float | None:
    """Least-squares growth per minute of (seconds, value) points."""
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if not spread:
        return None
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


async def run_soak(load: SoakLoad) -> Result:
    """Start liveqa, keep a room busy for `load.duration` seconds, and report."""
    async with running_stack(load.database_url) as stack:
        return await soak(stack, load)


async def soak(stack: Stack, load: SoakLoad) -> Result:
    """The run itself, against a started stack."""
    room = await make_room(stack.http_url, load.attendees + load.flappers)
    url = f"{stack.ws_url}/api/websocket?roomId={room.room_id}"
    tally = Tally()
    # Every held socket takes one of the connector's connections: no limit, or reconnects wait.
    connector = aiohttp.TCPConnector(limit=0)
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:
        clients = [Client(session, url, cookie) for cookie in room.cookies]
        attendees, flappers = clients[: load.attendees], clients[load.attendees :]
        slots = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def connect(client: Client) -> None:
            async with slots:
                await client.connect()

        await asyncio.gather(*(connect(client) for client in attendees))
        target = await attendees[0].ask(
            {"type": "QUESTION_POST_TO_ROOM", "questionText": "Vote here", "nonce": "target"}
        )
        started = time.monotonic()
        stop_at = started + load.duration
        loops = [
            _writes(attendees, load, tally, str(target["questionId"]), started, stop_at),
            _reconnects(attendees, load.reconnect_rate, tally, started, stop_at),
            _flaps(flappers, load.flap_rate, tally, started, stop_at),
            _samples(stack, load.sample_every, tally, started, stop_at),
        ]
        await asyncio.gather(*loops)
        connected = sum(1 for client in attendees if client.ready)
        await asyncio.gather(*(client.close() for client in clients))
    return _result(load, tally, connected)


async def _ticks(rate: float, started: float, stop_at: float) -> AsyncIterator[None]:
    """Yield `rate` times a second from `started` to `stop_at` (never when the rate is 0)."""
    if rate <= 0:
        return
    interval = 1.0 / rate
    due = started
    while due < stop_at:
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        due += interval
        yield


async def _writes(
    attendees: list[Client],
    load: SoakLoad,
    tally: Tally,
    question: str,
    started: float,
    stop_at: float,
) -> None:
    in_flight: set[asyncio.Task[None]] = set()
    count = 0

    async def one(client: Client, message: dict[str, Any]) -> None:
        sent = time.monotonic()
        try:
            reply = await client.ask(message)
        except (ConnectionError, TimeoutError, aiohttp.ClientError) as exc:
            tally.errors[type(exc).__name__] += 1
            return
        if reply["type"] == "ACK":
            tally.acks.append((sent - started, int((time.monotonic() - sent) * 1e9)))
        else:
            tally.errors[str(reply.get("code"))] += 1

    async for _ in _ticks(load.write_rate, started, stop_at):
        count += 1
        tally.sent += 1
        client = random.choice(attendees)
        if not client.ready or len(in_flight) >= MAX_IN_FLIGHT:
            tally.errors["not_sent"] += 1
            continue
        message: dict[str, Any]
        if count % 3 == 0:
            message = {
                "type": "QUESTION_POST_TO_ROOM",
                "questionText": f"Soak question {count}",
                "nonce": f"soak-{count}",
            }
        else:
            message = {
                "type": "QUESTION_UPVOTE",
                "questionId": question,
                "removeUpvote": random.random() < 0.5,
            }
        task = asyncio.create_task(one(client, message))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)


async def _reconnects(
    attendees: list[Client], rate: float, tally: Tally, started: float, stop_at: float
) -> None:
    async for _ in _ticks(rate, started, stop_at):
        client = random.choice(attendees)
        if not client.ready:
            continue
        await client.close()
        try:
            await client.connect()
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.errors[f"reconnect {type(exc).__name__}"] += 1
            continue
        tally.reconnects += 1


async def _flaps(
    flappers: list[Client], rate: float, tally: Tally, started: float, stop_at: float
) -> None:
    in_flight: set[asyncio.Task[None]] = set()

    async def one(client: Client) -> None:
        try:
            await client.connect()
            await client.close()
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.errors[f"flap {type(exc).__name__}"] += 1
            return
        tally.flaps += 1

    idle = list(flappers)

    async def cycle(client: Client) -> None:
        await one(client)
        idle.insert(0, client)

    async for _ in _ticks(rate, started, stop_at):
        if not idle:
            continue
        task = asyncio.create_task(cycle(idle.pop()))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)


def _usage(groups: dict[str, ProcessGroup]) -> dict[str, tuple[int, int]]:
    """Resident bytes and open descriptors of each group."""
    return {name: (group.rss(), group.open_files()) for name, group in groups.items()}


async def _samples(
    stack: Stack, every: float, tally: Tally, started: float, stop_at: float
) -> None:
    groups = {"edge": ProcessGroup(stack.edge.pids), "origin": ProcessGroup(stack.origin.pids)}
    while True:
        now = time.monotonic()
        tally.samples.append((now - started, await asyncio.to_thread(_usage, groups)))
        if now >= stop_at:
            return
        await asyncio.sleep(min(every, max(0.0, stop_at - now)))


def _result(load: SoakLoad, tally: Tally, connected: int) -> Result:
    figures: dict[str, float | int | None] = {"connections": connected}
    acks = percentiles(ns for _, ns in tally.acks)
    figures |= {
        "writes_sent": tally.sent,
        "writes_acked": len(tally.acks),
        "writes_failed": sum(tally.errors.values()),
        "ack_p50_ms": acks.p50 / 1e6 if acks else None,
        "ack_p99_ms": acks.p99 / 1e6 if acks else None,
        "ack_max_ms": acks.max / 1e6 if acks else None,
        "reconnects": tally.reconnects,
        "flaps": tally.flaps,
    }
    settled = [(t, sample) for t, sample in tally.samples if t >= 60]
    if len(settled) < 2:
        settled = tally.samples
    for name in ("edge", "origin"):
        rss = [(t, sample[name][0] / MB) for t, sample in settled]
        fds = [sample[name][1] for _, sample in tally.samples]
        figures |= {
            f"{name}_rss_start_mb": tally.samples[0][1][name][0] / MB if tally.samples else None,
            f"{name}_rss_end_mb": tally.samples[-1][1][name][0] / MB if tally.samples else None,
            f"{name}_rss_mb_per_min": slope_per_minute(rss),
            f"{name}_fds_min": min(fds, default=None),
            f"{name}_fds_max": max(fds, default=None),
        }
    notes = [f"{count} {error}" for error, count in tally.errors.most_common()]
    for minute in range(int(load.duration // 60) + 1):
        shown = percentiles(ns for t, ns in tally.acks if minute * 60 <= t < (minute + 1) * 60)
        if shown:
            notes.append(
                f"minute {minute + 1}: {shown.samples} ACKs, p50 {shown.p50 / 1e6:.0f} ms,"
                f" p99 {shown.p99 / 1e6:.0f} ms"
            )
    params = {
        "attendees": load.attendees,
        "write_rate": load.write_rate,
        "reconnect_rate": load.reconnect_rate,
        "flappers": load.flappers,
        "flap_rate": load.flap_rate,
        "duration": load.duration,
        "database": load.database_url or "sqlite",
    }
    return Result(scenario="soak", target="liveqa", params=params, figures=figures, notes=notes)
