"""A client worker process: holds connections and answers the coordinator's calls over a pipe.

Each call is `(method, kwargs)`; the answer is `("ok", dict)` or `("error", message)`.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import os
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import msgspec

from liveqa.edge.command import raise_open_files_limit
from liveqa_bench import loops, receiver
from liveqa_bench.census import Census
from liveqa_bench.client import CLOSED, MAX_KEEP, OPEN, Client
from liveqa_bench.client_handshake import HandshakeError, accept_value, new_key, upgrade_request
from liveqa_bench.header import MEASURED, encode_message
from liveqa_bench.receiver import EPOLL, LOOP
from liveqa_bench.room import RoomTally
from liveqa_bench.tally import Tally, latency_array
from liveqa_bench.writes import Plan, Writer

Reply = dict[str, Any]


# The clients yield the CPU to the proxy under test (Pushpin and liveqa edge alike): on 2 shared
# cores the load generator's own scheduling would otherwise add to the latency it measures.
CLIENT_NICENESS = 10


def main(pipe: Connection, loop: str = loops.AUTO) -> None:
    """Process entry point (multiprocessing target); `loop` names the event loop to run on."""
    os.nice(CLIENT_NICENESS)
    raise_open_files_limit()
    try:
        loops.run(Worker(pipe).serve(), loop)
    finally:
        pipe.close()


def _itself(client: Client) -> Client:
    return client


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, HandshakeError):
        return exc.reason
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno is not None:
        return errno.errorcode.get(exc.errno, type(exc).__name__)
    return type(exc).__name__


class Worker:
    """The connections of one process and the calls that drive them."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self.clients: list[Client] = []
        self.census = Census()
        self.writer: Writer | None = None
        self.latencies = latency_array()
        self.stopped: asyncio.Event | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Answer calls until told to exit or the coordinator goes away."""
        loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        loop.add_reader(self.pipe.fileno(), self._readable)
        # uvloop (libuv) makes a watched descriptor non-blocking; a large answer (latencies)
        # must not fail with EAGAIN halfway.
        os.set_blocking(self.pipe.fileno(), True)
        try:
            await self.stopped.wait()
        finally:
            loop.remove_reader(self.pipe.fileno())
            for client in self.clients:
                client.abort()

    def _readable(self) -> None:
        assert self.stopped is not None
        try:
            # The epoll receive loop may have taken the call this wake-up was for.
            if not self.pipe.poll():
                return
            method, kwargs = self.pipe.recv()
        except (EOFError, OSError):
            self.stopped.set()
            return
        self._dispatch(method, kwargs)

    def _dispatch(self, method: str, kwargs: dict[str, Any]) -> None:
        task = asyncio.create_task(self._answer(method, kwargs))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, method: str, kwargs: dict[str, Any]) -> None:
        calls: dict[str, Callable[..., Awaitable[Reply]]] = {
            "connect": self.connect,
            "expect": self.expect,
            "progress": self.progress,
            "receive": self.receive,
            "collect": self.collect,
            "writes": self.writes,
            "send": self.send,
            "close": self.close,
            "exit": self.exit,
        }
        try:
            result = await calls[method](**kwargs)
        except Exception as exc:  # the coordinator reports it; the worker keeps serving
            self.pipe.send(("error", f"{method}: {type(exc).__name__}: {exc}"))
        else:
            self.pipe.send(("ok", result))

    async def connect(
        self,
        host: str,
        port: int,
        target: str,
        count: int,
        in_flight: int,
        within: float,
        cookies: list[str] | None = None,
    ) -> Reply:
        """Open `count` connections, `in_flight` handshakes at a time.

        With `cookies` (one `Cookie` header value per connection), the connections are room
        attendees (RoomTally, whole messages kept) rather than benchmark-message receivers.
        """
        if cookies is not None and len(cookies) != count:
            raise ValueError(f"{len(cookies)} cookies for {count} connections")
        loop = asyncio.get_running_loop()
        key = new_key()
        accept = accept_value(key)
        host_header = f"{host}:{port}"
        request = upgrade_request(host_header, target, key)
        durations = array("q")
        reasons: Counter[str] = Counter()
        indexes = iter(range(count))

        def new_client(index: int) -> Client:
            if cookies is None:
                return Client(request, accept, Tally(self.latencies), loop, self.census)
            headers = [("Cookie", cookies[index])]
            return Client(
                upgrade_request(host_header, target, key, headers),
                accept,
                RoomTally(self._reply),
                loop,
                self.census,
                keep=MAX_KEEP,
            )

        async def opener() -> None:
            for index in indexes:
                client = new_client(index)
                start = time.monotonic_ns()
                try:
                    async with asyncio.timeout(within):
                        await loop.create_connection(functools.partial(_itself, client), host, port)
                        await client.opened
                except (OSError, TimeoutError, HandshakeError) as exc:
                    reasons[_failure_reason(exc)] += 1
                    client.abort()
                    continue
                durations.append(time.monotonic_ns() - start)
                client.sender = len(self.clients)
                self.clients.append(client)

        started = time.monotonic_ns()
        await asyncio.gather(*(opener() for _ in range(max(1, min(in_flight, count)))))
        return {
            "connected": len(durations),
            "failed": sum(reasons.values()),
            "reasons": dict(reasons),
            "durations": durations.tobytes(),
            "started_ns": started,
            "finished_ns": time.monotonic_ns(),
        }

    async def expect(self, messages: int, first_sender: int = 0, base: int = 0) -> Reply:
        """Start counting afresh: each client expects `messages` sequence numbers (room
        attendees: room events `base` to `base + messages - 1`)."""
        self.latencies = latency_array()
        self.writer = None
        for index, client in enumerate(self.clients):
            if isinstance(client.tally, RoomTally):
                client.tally.base = base
            client.tally.latencies = self.latencies
            client.tally.reset(messages)
            client.sender = first_sender + index
        self.census.reset(messages)
        return {"clients": len(self.clients)}

    async def progress(self, messages: int) -> Reply:
        """How far the clients are: open, primed, complete (`messages` received)."""
        return self._progress(messages)

    def _progress(self, messages: int) -> Reply:
        census = self.census
        complete = census.complete
        if messages != census.expected:
            complete = sum(c.state == OPEN and c.tally.received >= messages for c in self.clients)
        return {
            "clients": len(self.clients),
            "live": census.live,
            "primed": census.primed,
            "complete": complete,
            "received": census.received,
            "writing": int(self.writer is not None and not self.writer.done),
            "acked": self.writer.acked if self.writer is not None else 0,
        }

    async def receive(
        self, how: str = EPOLL, plan: dict[str, Any] | None = None, first_sender: int = 0
    ) -> Reply:
        """Start the writes of `plan` (room attendees), if any, and with `how` = epoll read
        with the epoll loop, once this answer is sent, until a call other than progress."""
        if plan is not None:
            self.writer = Writer(self.clients, msgspec.convert(plan, Plan), first_sender)
        if how == EPOLL:
            asyncio.get_running_loop().call_soon(self._receive_outside_loop)
        elif how == LOOP:
            if self.writer is not None:
                task = asyncio.create_task(self._write_on_schedule(self.writer))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        else:
            raise ValueError(f"receive {how!r} is not {EPOLL} or {LOOP}")
        return {"clients": len(self.clients)}

    @staticmethod
    async def _write_on_schedule(writer: Writer) -> None:
        delay = writer.tick()
        while delay is not None:
            await asyncio.sleep(delay)
            delay = writer.tick()

    def _reply(self, payload: bytes, now_ns: int) -> None:
        if self.writer is not None:
            self.writer.reply(payload, now_ns)

    def _receive_outside_loop(self) -> None:
        assert self.stopped is not None
        timer = self.writer.tick if self.writer is not None else None
        call = receiver.receive(self.clients, self.pipe, self._progress, timer)
        if call is None:
            self.stopped.set()
        else:
            self._dispatch(*call)

    async def writes(self) -> Reply:
        """What this worker's writers sent and had acknowledged, with send times."""
        if self.writer is None:
            return Writer([], Plan(0, 0, 1.0, 0.0, []), 0).results()
        return self.writer.results()

    async def collect(self, messages: int, sent: bytes | None = None) -> Reply:
        """Totals for the clients and their raw latencies; room attendees' latencies come from
        `sent`, the send time of each room event since `base` (0 when unknown)."""
        tallies = [client.tally for client in self.clients]
        if sent is not None:
            times = array("q")
            times.frombytes(sent)
            for tally in tallies:
                if isinstance(tally, RoomTally):
                    tally.latencies_since(times, self.latencies)
        firsts = [t.first_ns for t in tallies if t.first_ns]
        codes: Counter[str] = Counter()
        for client in self.clients:
            if client.dropped:
                codes[str(client.close_code) if client.close_code else client.error or "lost"] += 1
        return {
            "clients": len(self.clients),
            "received": sum(t.received for t in tallies),
            "duplicated": sum(t.duplicated for t in tallies),
            "malformed": sum(t.malformed for t in tallies),
            "lost": sum(t.lost(messages) for t in tallies),
            "dropped": sum(codes.values()),
            "other": sum(t.other for t in tallies if isinstance(t, RoomTally)),
            "drop_reasons": dict(codes),
            "first_ns": min(firsts, default=0),
            "last_ns": max((t.last_ns for t in tallies), default=0),
            "latencies": self.latencies.tobytes(),
        }

    async def send(self, messages: int, size: int) -> Reply:
        """Every open client writes `messages` measured messages at once."""
        started = time.monotonic_ns()
        sent = 0
        for client in self.clients:
            if client.state != OPEN:
                continue
            now = time.monotonic_ns()
            sender = client.sender
            client.send([encode_message(MEASURED, sender, i, now, size) for i in range(messages)])
            sent += messages
        return {"sent": sent, "started_ns": started, "finished_ns": time.monotonic_ns()}

    async def close(self, within: float) -> Reply:
        """Close every connection (closing handshake, then abort the stragglers)."""
        clients, self.clients = self.clients, []
        dropped = sum(client.dropped for client in clients)
        for client in clients:
            client.close()
        pending = [client.closed for client in clients if client.state != CLOSED]
        if pending:
            await asyncio.wait(pending, timeout=within)
        aborted = 0
        for client in clients:
            if client.state != CLOSED:
                aborted += 1
                client.abort()
        return {"closed": len(clients), "aborted": aborted, "dropped": dropped}

    async def exit(self) -> Reply:
        """Stop serving once this answer is sent."""
        assert self.stopped is not None
        asyncio.get_running_loop().call_soon(self.stopped.set)
        return {}
