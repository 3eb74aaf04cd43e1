"""The benchmark's stub origin: a lean WebSocket-over-HTTP endpoint behind the proxy under test.

It accepts every connection (`Sec-WebSocket-Extensions: grip`), subscribes it to the channel named
in the URL query (`?channel=bench`), counts the client messages it is sent and, with `&ack=1`,
answers each with an `m:` copy of its header. It verifies nothing expensive (no Grip-Sig check).
`GET /_bench/stats` and `POST /_bench/reset`, asked directly rather than through the proxy, let the
benchmark read and clear the counters.
Run it with `python -m liveqa_bench.stub_origin --listen H:P`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import time
from typing import Any

import msgspec
from aiohttp import web

from liveqa.edge.command import raise_open_files_limit
from liveqa.grip.control import Subscribe, encode_control
from liveqa.grip.events import (
    BINARY,
    CLOSE,
    CONTENT_TYPE,
    DISCONNECT,
    OPEN,
    PING,
    PONG,
    TEXT,
    EventsError,
    WebSocketEvent,
    decode_events,
    encode_events,
)
from liveqa_bench.header import HEADER_SIZE
from liveqa_bench.tally import Tally, latency_array, percentiles

STATS_PATH = "/_bench/stats"
RESET_PATH = "/_bench/reset"
_OPEN_EVENT = WebSocketEvent(OPEN)
_EVENT_HEADERS = {"Content-Type": CONTENT_TYPE}
_OPEN_HEADERS = {"Content-Type": CONTENT_TYPE, "Sec-WebSocket-Extensions": "grip"}


class OriginState:
    """Counters since the last reset."""

    def __init__(self) -> None:
        self.reset()
        self._subscribes: dict[str, WebSocketEvent] = {}

    def reset(self) -> None:
        """Forget everything counted so far."""
        self.opens = self.closes = self.disconnects = 0
        self.requests = self.rejected = 0
        self.received = self.duplicated = self.malformed = 0
        self.first_ns = self.last_ns = 0
        self.tallies: dict[str, Tally] = {}
        self.latencies = latency_array()

    def subscribe_event(self, channel: str) -> WebSocketEvent:
        """The `c:` subscribe message for `channel`, built once."""
        event = self._subscribes.get(channel)
        if event is None:
            event = WebSocketEvent(TEXT, encode_control(Subscribe(channel=channel)))
            self._subscribes[channel] = event
        return event

    def count_messages(self, connection_id: str, messages: list[bytes], now_ns: int) -> None:
        """Account for the client messages of one request."""
        tally = self.tallies.get(connection_id)
        if tally is None:
            tally = self.tallies[connection_id] = Tally(self.latencies)
        received, duplicated, malformed = tally.received, tally.duplicated, tally.malformed
        tally.receive(messages, now_ns)
        self.received += tally.received - received
        self.duplicated += tally.duplicated - duplicated
        self.malformed += tally.malformed - malformed
        if tally.received != received:
            self.first_ns = self.first_ns or now_ns
            self.last_ns = now_ns

    def stats(self, latency: bool) -> dict[str, Any]:
        """The counters as a JSON-ready dict; latency percentiles only when asked (sorting)."""
        summary = percentiles(self.latencies) if latency else None
        return {
            "pid": os.getpid(),
            "opens": self.opens,
            "closes": self.closes,
            "disconnects": self.disconnects,
            "active": self.opens - self.closes - self.disconnects,
            "requests": self.requests,
            "rejected": self.rejected,
            "senders": len(self.tallies),
            "received": self.received,
            "duplicated": self.duplicated,
            "malformed": self.malformed,
            "first_ns": self.first_ns,
            "last_ns": self.last_ns,
            "latency": summary._asdict() if summary else None,
        }


class Origin:
    """The request handler (aiohttp low-level server)."""

    def __init__(self, state: OriginState | None = None) -> None:
        self.state = state or OriginState()

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/_bench/"):
            return self._control(request)
        state = self.state
        if request.method != "POST" or request.headers.get("Content-Type") != CONTENT_TYPE:
            state.rejected += 1
            return web.Response(status=400, text="this origin only speaks WebSocket-over-HTTP\n")
        try:
            events = decode_events(await request.read())
        except EventsError as exc:
            state.rejected += 1
            return web.Response(status=400, text=f"{exc}\n")
        state.requests += 1
        out: list[WebSocketEvent] = []
        messages: list[bytes] = []
        headers = _EVENT_HEADERS
        for event in events:
            kind = event.type
            if kind in (TEXT, BINARY):
                messages.append(event.content or b"")
            elif kind == OPEN:
                state.opens += 1
                headers = _OPEN_HEADERS
                out.append(_OPEN_EVENT)
                channel = request.query.get("channel")
                if channel:
                    out.append(state.subscribe_event(channel))
            elif kind == PING:
                out.append(WebSocketEvent(PONG, event.content))
            elif kind == CLOSE:
                state.closes += 1
                out.append(WebSocketEvent(CLOSE, event.content))
            elif kind == DISCONNECT:
                state.disconnects += 1
        if messages:
            state.count_messages(
                request.headers.get("Connection-Id", ""), messages, time.monotonic_ns()
            )
            if request.query.get("ack") == "1":
                out.extend(WebSocketEvent(TEXT, b"m:" + m[:HEADER_SIZE]) for m in messages)
        return web.Response(body=encode_events(out), headers=headers)

    def _control(self, request: web.BaseRequest) -> web.Response:
        if request.path == STATS_PATH and request.method == "GET":
            stats = self.state.stats(latency=request.query.get("latency") == "1")
            return web.Response(body=msgspec.json.encode(stats), content_type="application/json")
        if request.path == RESET_PATH and request.method == "POST":
            self.state.reset()
            return web.Response(text="reset\n")
        return web.Response(status=404, text="unknown benchmark control path\n")


async def serve(host: str, port: int, stop: asyncio.Event) -> None:
    """Serve on host:port until `stop` is set."""
    server = web.Server(Origin(), access_log=None)
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _main(host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(host, port, stop)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: `python -m liveqa_bench.stub_origin --listen 127.0.0.1:9000`."""
    parser = argparse.ArgumentParser(prog="python -m liveqa_bench.stub_origin", description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:9000", help="host:port to listen on")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    raise_open_files_limit()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(host or "127.0.0.1", int(port)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
