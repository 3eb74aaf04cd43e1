"""A scripted WebSocket-over-HTTP test origin that records what a GRIP proxy sends it."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from gripcontrol import WebSocketEvent, decode_websocket_events, encode_websocket_events
from gripcontrol import validate_sig as gripcontrol_validate_sig
from multidict import CIMultiDict, CIMultiDictProxy

WOH_CONTENT_TYPE = "application/websocket-events"
GRIP = {"Sec-WebSocket-Extensions": "grip"}

Event = tuple[str, bytes | None]
"""One WebSocket-over-HTTP event: (type, content or None), comparable with ==."""


@dataclass(frozen=True)
class OriginRequest:
    """One request as the origin saw it, decoded with gripcontrol's reference codec."""

    method: str
    path_qs: str
    headers: CIMultiDictProxy[str]
    body: bytes
    events: list[Event]
    sig_valid: bool
    received_at: float

    @property
    def connection_id(self) -> str:
        """The proxy's id for the client connection."""
        return self.headers.get("Connection-Id", "")

    def texts(self) -> list[bytes]:
        """Contents of the TEXT events, in order."""
        return [content or b"" for kind, content in self.events if kind == "TEXT"]


@dataclass
class Reply:
    """What the script tells the origin to answer; `body` (if set) replaces the encoded events."""

    events: list[Event] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    body: bytes | None = None
    content_type: str = WOH_CONTENT_TYPE


Respond = Callable[[OriginRequest], Awaitable[Reply]]


def echo_events(request: OriginRequest) -> list[Event]:
    """Accept OPEN, echo TEXT/BINARY with `m:` added, answer CLOSE with CLOSE, PING with PONG."""
    out: list[Event] = []
    for kind, content in request.events:
        if kind == "OPEN":
            out.append(("OPEN", None))
        elif kind in ("TEXT", "BINARY"):
            out.append((kind, b"m:" + (content or b"")))
        elif kind == "CLOSE":
            out.append(("CLOSE", content))
        elif kind == "PING":
            out.append(("PONG", content))
    return out


def echo_reply(request: OriginRequest) -> Reply:
    """The default answer: `echo_events`, with GRIP turned on in the OPEN response."""
    is_open = any(kind == "OPEN" for kind, _ in request.events)
    return Reply(echo_events(request), dict(GRIP) if is_open else {})


async def echo(request: OriginRequest) -> Reply:
    """The default script."""
    return echo_reply(request)


def control(message: str) -> Event:
    """A GRIP control message event (`c:` + JSON text)."""
    return ("TEXT", b"c:" + message.encode())


def message(text: str) -> Event:
    """A TEXT event carrying a message for the client (`m:` prefix)."""
    return ("TEXT", b"m:" + text.encode())


@dataclass
class Script:
    """One test's slice of the origin: requests to `path` are recorded and answered by `respond`."""

    path: str
    sig_key: str
    respond: Respond = echo
    requests: asyncio.Queue[OriginRequest] = field(default_factory=asyncio.Queue)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: int = 0

    async def next(self, wait: float = 5.0) -> OriginRequest:
        """The next recorded request; fails the test if none arrives in `wait` seconds."""
        try:
            return await asyncio.wait_for(self.requests.get(), wait)
        except TimeoutError:
            raise AssertionError(f"origin got no request on {self.path} in {wait} s") from None

    async def expect_silence(self, window: float = 0.5) -> None:
        """Assert that no request arrives for `window` seconds (absence can only be bounded)."""
        try:
            request = await asyncio.wait_for(self.requests.get(), window)
        except TimeoutError:
            return
        raise AssertionError(f"origin got an unexpected request: {request.events!r}")


class ScriptedOrigin:
    """An aiohttp app on a loopback port that dispatches each request to the script for its path."""

    def __init__(self, sig_key: str) -> None:
        self.sig_key = sig_key
        self.scripts: dict[str, Script] = {}
        self.port = 0
        self._counter = itertools.count()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def script(self, name: str, respond: Respond = echo) -> Script:
        """Register a fresh path (unique per call) answered by `respond`."""
        path = f"/{name}/{next(self._counter)}-{uuid.uuid4().hex[:8]}"
        script = Script(path=path, sig_key=self.sig_key, respond=respond)
        self.scripts[path] = script
        return script

    async def _handle(self, http_request: web.Request) -> web.StreamResponse:
        script = self.scripts.get(http_request.path)
        if script is None:
            return web.Response(status=404, text="no script for this path\n")
        body = await http_request.read()
        try:
            decoded = decode_websocket_events(body)
        except (ValueError, IndexError) as exc:
            return web.Response(status=400, text=f"bad websocket-events body: {exc}\n")
        token = http_request.headers.get("Grip-Sig", "")
        request = OriginRequest(
            method=http_request.method,
            path_qs=http_request.path_qs,
            headers=CIMultiDictProxy(CIMultiDict(http_request.headers)),
            body=body,
            events=[(str(event.type), event.content) for event in decoded],
            sig_valid=bool(gripcontrol_validate_sig(token, self.sig_key, "pushpin")),
            received_at=time.monotonic(),
        )
        cid = request.connection_id
        script.in_flight[cid] = script.in_flight.get(cid, 0) + 1
        script.max_in_flight = max(script.max_in_flight, script.in_flight[cid])
        script.requests.put_nowait(request)
        try:
            reply = await script.respond(request)
        finally:
            script.in_flight[cid] -= 1
        if reply.body is not None:
            payload = reply.body
        else:
            payload = encode_websocket_events(
                [WebSocketEvent(kind, content) for kind, content in reply.events]
            )
        headers = {"Content-Type": reply.content_type, **reply.headers}
        return web.Response(status=reply.status, headers=headers, body=payload)
