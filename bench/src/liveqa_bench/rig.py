"""What every scenario drives: the proxy under test, the client workers and the stub origin."""

from __future__ import annotations

import asyncio
import os
import time
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from liveqa.addresses import is_loopback
from liveqa_bench.client_pool import ClientPool, split
from liveqa_bench.receiver import EPOLL, LOOP
from liveqa_bench.result import Value
from liveqa_bench.tally import Percentiles, percentiles
from liveqa_bench.usage import CpuSnapshot, ProcessGroup, cpu_used

POLL_INTERVAL = 0.05
QUIET_PERIOD = 1.0


@dataclass
class Target:
    """A proxy under test: where clients connect, where publishers post, which processes it runs."""

    name: str
    ws_url: str
    publish_url: str
    group: ProcessGroup | None = None
    publish_key: str | None = None
    # Further client-facing URLs of the same system (edges sharing a bus): clients are spread
    # over all of them; publishes go to `publish_url` only.
    more_ws_urls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        urls = [
            (self.publish_url, "http"),
            *((url, "ws") for url in (self.ws_url, *self.more_ws_urls)),
        ]
        for url, scheme in urls:
            parts = urlsplit(url)
            if parts.scheme != scheme or not is_loopback(parts.hostname or ""):
                raise ValueError(f"{url!r} is not a {scheme}:// URL on this machine (loopback)")

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """(host, port) of each client-facing listener."""
        return [_address(url) for url in (self.ws_url, *self.more_ws_urls)]


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


@dataclass
class Load:
    """Scenario parameters; every wait is bounded by `timeout`, or by `idle` without progress."""

    connections: int = 1000
    in_flight: int = 500
    setup_in_flight: int = 50
    size: int = 200
    timeout: float = 60.0
    idle: float = 5.0
    burst: int = 100
    batch: int = 1
    rate: float | None = None
    duration: float = 10.0
    per_client: int = 4
    ack: bool = False
    path: str = "/bench"
    receive: str = "epoll"

    def params(self, *keys: str) -> dict[str, Any]:
        """The named parameters, for a result record."""
        return {key: getattr(self, key) for key in keys}


@dataclass
class Connected:
    """How a round of connection attempts went."""

    connected: int
    reasons: Counter[str]
    durations: Percentiles | None
    started_ns: int
    finished_ns: int
    per_worker: list[int] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Attempts that did not end in an open WebSocket."""
        return sum(self.reasons.values())

    @property
    def seconds(self) -> float:
        """From the first attempt to the last outcome."""
        return max(self.finished_ns - self.started_ns, 1) / 1e9


def merge_latencies(chunks: Iterable[bytes]) -> array[int]:
    """Concatenate the raw latency arrays workers send back."""
    merged = array("q")
    for chunk in chunks:
        merged.frombytes(chunk)
    return merged


def ms(nanoseconds: float | None) -> float | None:
    """Nanoseconds to milliseconds."""
    return None if nanoseconds is None else nanoseconds / 1e6


def per_unit_us(cpu_seconds: float | None, count: int) -> float | None:
    """CPU microseconds per unit of work."""
    if cpu_seconds is None or count <= 0:
        return None
    return cpu_seconds * 1e6 / count


def memory_figures(idle: int | None, held: int | None, connections: int) -> dict[str, Value]:
    """Proxy RSS before and after connecting, and the difference per connection."""
    per_connection = None
    if idle is not None and held is not None and connections:
        per_connection = (held - idle) / 1e3 / connections
    return {
        "proxy_rss_idle_mb": idle / 1e6 if idle is not None else None,
        "proxy_rss_held_mb": held / 1e6 if held is not None else None,
        "proxy_rss_kb_per_connection": per_connection,
    }


def describe(reasons: Counter[str] | dict[str, int], what: str) -> list[str]:
    """A note line counting failures by reason, if any."""
    if not reasons:
        return []
    listed = ", ".join(f"{reason} x{count}" for reason, count in Counter(reasons).most_common())
    return [f"{what}: {listed}"]


class Rig:
    """The proxy, the client pool, the origin (by URL) and the process groups to account for."""

    def __init__(
        self,
        target: Target,
        pool: ClientPool,
        origin_url: str,
        origin_group: ProcessGroup,
        session: aiohttp.ClientSession,
    ) -> None:
        self.target = target
        self.pool = pool
        self.origin_url = origin_url.rstrip("/")
        self.session = session
        self.groups: dict[str, ProcessGroup | None] = {
            "clients": ProcessGroup(lambda: [os.getpid(), *pool.pids()], recursive=False),
            "workers": ProcessGroup(pool.pids, recursive=False),
            "proxy": target.group,
            "origin": origin_group,
        }

    async def origin_stats(self, latency: bool = False) -> dict[str, Any]:
        """The stub origin's counters."""
        url = f"{self.origin_url}/_bench/stats" + ("?latency=1" if latency else "")
        async with self.session.get(url) as response:
            response.raise_for_status()
            stats: dict[str, Any] = await response.json()
            return stats

    async def origin_reset(self) -> None:
        """Zero the stub origin's counters."""
        async with self.session.post(f"{self.origin_url}/_bench/reset") as response:
            response.raise_for_status()

    def cpu(self) -> dict[str, CpuSnapshot | None]:
        """CPU seconds so far of each group."""
        return {name: group.cpu() if group else None for name, group in self.groups.items()}

    def cpu_since(self, before: dict[str, CpuSnapshot | None]) -> dict[str, float | None]:
        """CPU seconds each group used since `before`."""
        after = self.cpu()
        used: dict[str, float | None] = {}
        for name, snapshot in after.items():
            start = before.get(name)
            used[name] = None if snapshot is None or start is None else cpu_used(start, snapshot)
        return used

    def proxy_rss(self) -> int | None:
        """RSS of the proxy's process tree, if its processes are known."""
        group = self.groups["proxy"]
        return group.rss() if group else None

    async def connect(
        self,
        count: int,
        in_flight: int,
        target: str,
        within: float,
        cookies: list[str] | None = None,
    ) -> Connected:
        """Open `count` connections to `target` (path and query) over all workers, split evenly
        over the proxy's addresses (one after the other); with `cookies` (one per connection),
        as room attendees."""
        addresses = self.target.addresses
        answers: list[dict[str, Any]] = []
        per_worker = [0] * self.pool.size
        first = 0
        for (host, port), share in zip(addresses, split(count, len(addresses)), strict=True):
            counts = split(share, self.pool.size)
            flights = [max(1, n) for n in split(in_flight, self.pool.size)]
            calls: list[dict[str, Any]] = []
            for n, f in zip(counts, flights, strict=True):
                call = {"host": host, "port": port, "target": target, "count": n, "in_flight": f}
                call["within"] = within
                if cookies is not None:
                    call["cookies"] = cookies[first : first + n]
                first += n
                calls.append(call)
            round_ = await self.pool.call("connect", calls)
            per_worker = [held + a["connected"] for held, a in zip(per_worker, round_, strict=True)]
            answers += round_
        reasons: Counter[str] = Counter()
        for answer in answers:
            reasons.update(answer["reasons"])
        return Connected(
            connected=sum(a["connected"] for a in answers),
            reasons=reasons,
            durations=percentiles(merge_latencies(a["durations"] for a in answers)),
            started_ns=min(a["started_ns"] for a in answers),
            finished_ns=max(a["finished_ns"] for a in answers),
            per_worker=per_worker,
        )

    async def expect(self, connected: Connected, messages: int, base: int = 0) -> None:
        """Reset the clients' tallies for `messages` each (room attendees: from event `base`)
        and number them as senders."""
        offsets = [sum(connected.per_worker[:i]) for i in range(self.pool.size)]
        await self.pool.call(
            "expect",
            [{"messages": messages, "first_sender": o, "base": base} for o in offsets],
        )

    async def receive(self, how: str) -> None:
        """With `epoll`, switch the workers to their epoll receive loop until the next call."""
        if how == EPOLL:
            await self.pool.broadcast("receive")
        elif how != LOOP:
            raise ValueError(f"receive {how!r} is not {EPOLL} or {LOOP}")

    async def progress(self, messages: int) -> dict[str, int]:
        """Summed client progress towards `messages` each."""
        answers = await self.pool.broadcast("progress", messages=messages)
        return {key: sum(a[key] for a in answers) for key in answers[0]}

    async def collect(self, messages: int) -> dict[str, Any]:
        """Summed client totals with merged latencies and drop reasons."""
        answers = await self.pool.broadcast("collect", messages=messages)
        reasons: Counter[str] = Counter()
        for answer in answers:
            reasons.update(answer["drop_reasons"])
        firsts = [a["first_ns"] for a in answers if a["first_ns"]]
        return {
            "received": sum(a["received"] for a in answers),
            "duplicated": sum(a["duplicated"] for a in answers),
            "malformed": sum(a["malformed"] for a in answers),
            "lost": sum(a["lost"] for a in answers),
            "dropped": sum(a["dropped"] for a in answers),
            "drop_reasons": reasons,
            "first_ns": min(firsts, default=0),
            "last_ns": max(a["last_ns"] for a in answers),
            "latencies": percentiles(merge_latencies(a["latencies"] for a in answers)),
        }

    async def disconnect(self, within: float) -> None:
        """Close every client, then let the proxy tell the origin (until `active` reaches zero or
        the origin hears nothing more for QUIET_PERIOD: Pushpin loses some CLOSEs under load)."""
        await self.pool.broadcast("close", within=min(within, 10.0))
        deadline = time.monotonic() + within
        ended = -1
        changed = time.monotonic()
        while (now := time.monotonic()) < deadline and now - changed < QUIET_PERIOD:
            stats = await self.origin_stats()
            if stats["active"] <= 0:
                return
            if stats["closes"] + stats["disconnects"] != ended:
                ended, changed = stats["closes"] + stats["disconnects"], now
            await asyncio.sleep(POLL_INTERVAL * 4)
