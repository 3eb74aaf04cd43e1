"""The edge process in-process: shutdown, plain HTTP on the client port, the publish listener.

The helpers here (a recording origin, a running edge, raw-socket clients) are shared by the other
edge tests that drive a whole `Edge`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from liveqa.edge import frames
from liveqa.edge.protocol import CLOSE_TIMEOUT
from liveqa.edge.server import Edge, EdgeConfig
from liveqa.edge.wsoverhttp import BACKLOG_HIGH
from liveqa.grip import events as ev
from support.frames import read_frame

# PyJWT warns (an error here) about HMAC keys shorter than 32 bytes.
SIG_KEY = b"edge-tests-grip-sig-key-0123456789abcdef"
GRIP = {"Sec-WebSocket-Extensions": "grip"}
WAIT = 5.0


# -- a recording origin -----------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the origin received it."""

    method: str
    path_qs: str
    headers: CIMultiDictProxy[str]
    body: bytes
    events: list[ev.WebSocketEvent]
    request: web.Request = field(compare=False, repr=False)

    @property
    def cid(self) -> str:
        """The edge's Connection-Id."""
        return self.headers.get("Connection-Id", "")

    @property
    def types(self) -> list[str]:
        """The event types, in order."""
        return [event.type for event in self.events]


Respond = Callable[[Seen], Awaitable[web.StreamResponse]]


def woh(
    *events: ev.WebSocketEvent, headers: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    """A WebSocket-over-HTTP answer carrying `events`."""
    return web.Response(
        status=status,
        body=ev.encode_events(events),
        headers={"Content-Type": ev.CONTENT_TYPE, **(headers or {})},
    )


def subscribe(channel: str) -> ev.WebSocketEvent:
    """The GRIP control message that subscribes the connection to `channel`."""
    control = json.dumps({"type": "subscribe", "channel": channel})
    return ev.WebSocketEvent(ev.TEXT, b"c:" + control.encode())


def echo_events(seen: Seen) -> list[ev.WebSocketEvent]:
    """Accept OPEN (subscribing to `?channel=`), echo messages with `m:`, answer CLOSE."""
    out: list[ev.WebSocketEvent] = []
    for kind, content in seen.events:
        if kind == ev.OPEN:
            out.append(ev.WebSocketEvent(ev.OPEN))
            query = seen.path_qs.partition("?")[2]
            for name, _, value in (part.partition("=") for part in query.split("&")):
                if name == "channel":
                    out.append(subscribe(value))
        elif kind in (ev.TEXT, ev.BINARY):
            out.append(ev.WebSocketEvent(kind, b"m:" + (content or b"")))
        elif kind == ev.CLOSE:
            out.append(ev.WebSocketEvent(ev.CLOSE, content))
    return out


async def echo(seen: Seen) -> web.StreamResponse:
    """The default script: `echo_events`, GRIP on in the OPEN answer."""
    return woh(*echo_events(seen), headers=GRIP if ev.OPEN in seen.types else None)


class Origin:
    """A WebSocket-over-HTTP origin on loopback that records every request; restartable in place."""

    def __init__(self, respond: Respond = echo) -> None:
        self.respond = respond
        self.port = 0
        self.seen: list[Seen] = []
        self._arrivals: asyncio.Queue[Seen] = asyncio.Queue()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The origin's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen (again on the same port once it has one)."""
        app = web.Application(client_max_size=4 << 20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening and drop every connection; later connects are refused."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def next(self, wait: float = WAIT) -> Seen:
        """The next request to arrive (fails the test after `wait` seconds)."""
        try:
            return await asyncio.wait_for(self._arrivals.get(), wait)
        except TimeoutError:
            raise AssertionError(f"the origin got no request in {wait} s") from None

    async def next_with(self, kind: str, wait: float = WAIT) -> Seen:
        """The next request holding an event of type `kind`, skipping others."""
        async with asyncio.timeout(wait):
            while True:
                seen = await self.next(wait)
                if kind in seen.types:
                    return seen

    async def silence(self, window: float = 0.3) -> None:
        """Assert that no request arrives within `window` seconds."""
        try:
            seen = await asyncio.wait_for(self._arrivals.get(), window)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected origin request: {seen.events!r}")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        is_woh = request.headers.get("Content-Type") == ev.CONTENT_TYPE
        seen = Seen(
            request.method,
            request.path_qs,
            CIMultiDictProxy(CIMultiDict(request.headers)),
            body,
            ev.decode_events(body) if is_woh else [],
            request,
        )
        self.seen.append(seen)
        self._arrivals.put_nowait(seen)
        return await self.respond(seen)


@contextlib.asynccontextmanager
async def origin_running(respond: Respond = echo) -> AsyncIterator[Origin]:
    """An `Origin`, stopped on exit."""
    origin = Origin(respond)
    await origin.start()
    try:
        yield origin
    finally:
        await origin.stop()


@contextlib.contextmanager
def refusing_url() -> Iterator[str]:
    """A loopback URL whose port is held (bound, not listening), so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


async def started_edge(*origins: str, **options: Any) -> Edge:
    """An `Edge` on free loopback ports routing to `origins`; the caller shuts it down.

    WebSockets are taken on every path, as Pushpin does, unless `websocket_paths` says otherwise.
    """
    options.setdefault("websocket_paths", ("/",))
    edge = Edge(EdgeConfig(list(origins), port=0, publish_port=0, sig_key=SIG_KEY, **options))
    await edge.start()
    return edge


@contextlib.asynccontextmanager
async def edge_running(*origins: str, **options: Any) -> AsyncIterator[Edge]:
    """An `Edge` on free loopback ports routing to `origins`, shut down on exit."""
    edge = await started_edge(*origins, **options)
    try:
        yield edge
    finally:
        await edge.shutdown()


def ws_url(edge: Edge, path: str) -> str:
    """The client-facing WebSocket URL for `path`."""
    return f"ws://127.0.0.1:{edge.port}{path}"


async def publish(
    client: aiohttp.ClientSession,
    edge: Edge,
    channel: str,
    *contents: str,
    headers: dict[str, str] | None = None,
) -> int:
    """Publish text messages to `channel`; returns the HTTP status."""
    items = [
        {"channel": channel, "formats": {"ws-message": {"content": content}}}
        for content in contents
    ]
    url = f"http://127.0.0.1:{edge.publish_port}/publish/"
    async with client.post(url, json={"items": items}, headers=headers) as response:
        await response.read()
        return response.status


async def wait_for(condition: Callable[[], bool], what: str, wait: float = WAIT) -> None:
    """Poll `condition` until it holds (fails the test after `wait` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# -- raw-socket clients -----------------------------------------------------------------------


def upgrade_request(path: str, *extra: tuple[str, str], key: str | None = None) -> bytes:
    """A client's WebSocket handshake request head."""
    key = key if key is not None else base64.b64encode(os.urandom(16)).decode()
    headers = [
        ("Host", "127.0.0.1"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    names = {name.lower() for name, _ in extra}
    lines = [f"GET {path} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in names]
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Answer:
    """An HTTP response head and body read from a raw socket."""

    status: int
    headers: CIMultiDict[str]
    body: bytes


async def read_answer(reader: asyncio.StreamReader, body: bool = True) -> Answer:
    """Read one response (the body by Content-Length, unless `body` is False)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    lines = head.decode("latin-1").split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.add(name, value.strip())
    length = int(headers.get("Content-Length", "0")) if body else 0
    data = await asyncio.wait_for(reader.readexactly(length), WAIT)
    return Answer(int(lines[0].split(" ")[1]), headers, data)


@contextlib.asynccontextmanager
async def raw_client(
    edge: Edge,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A plain TCP connection to the edge's client port, closed on exit."""
    reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked client frame."""
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + mask + masked


async def close_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    """Read until the server closes; the close code it sent."""
    async with asyncio.timeout(WAIT):
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return ws.close_code
            if message.type == aiohttp.WSMsgType.ERROR:
                return None


# -- graceful shutdown ------------------------------------------------------------------------


async def detaching(seen: Seen) -> web.StreamResponse:
    """Echo, except that connections on `/detach` are detached at once."""
    if ev.OPEN in seen.types and seen.path_qs.startswith("/detach"):
        detach = ev.WebSocketEvent(ev.TEXT, b'c:{"type": "detach"}')
        return woh(*echo_events(seen), detach, headers=GRIP)
    return await echo(seen)


async def test_shutdown_closes_every_client_with_1001_and_disconnects_them_at_the_origin() -> None:
    async with origin_running(detaching) as origin, aiohttp.ClientSession() as client:
        edge = await started_edge(origin.url)
        try:
            paths = ["/live", "/live", "/detach"]
            sockets = [await client.ws_connect(ws_url(edge, path)) for path in paths]
            opened = [(await origin.next_with(ev.OPEN)).cid for _ in sockets]
            await wait_for(lambda: len(edge.connections) == 3, "three connections")
            codes = asyncio.gather(*(close_code(ws) for ws in sockets))
        finally:
            await edge.shutdown()
        assert await codes == [1001, 1001, 1001]
        # The detached connection has no origin side left; the others get one DISCONNECT each.
        ended = [seen.cid for seen in origin.seen if ev.DISCONNECT in seen.types]
        assert sorted(ended) == sorted(opened[:2])
        assert edge.connections == set()


async def test_shutdown_sends_disconnect_after_a_request_in_flight() -> None:
    async def slow_text(seen: Seen) -> web.StreamResponse:
        if ev.TEXT in seen.types:
            await asyncio.sleep(0.3)
        return await echo(seen)

    async with origin_running(slow_text) as origin, aiohttp.ClientSession() as client:
        edge = await started_edge(origin.url)
        try:
            ws = await client.ws_connect(ws_url(edge, "/live"))
            opened = await origin.next_with(ev.OPEN)
            await ws.send_str("in flight")
            await origin.next_with(ev.TEXT)
            code = asyncio.ensure_future(close_code(ws))
        finally:
            await edge.shutdown()
        assert await code == 1001
        assert [seen.types for seen in origin.seen] == [[ev.OPEN], [ev.TEXT], [ev.DISCONNECT]]
        assert origin.seen[-1].cid == opened.cid


async def test_shutdown_ends_handshakes_still_waiting_for_the_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("liveqa.edge.server.SHUTDOWN_GRACE", 0.5)
    release = asyncio.Event()

    async def slow(seen: Seen) -> web.StreamResponse:
        await release.wait()
        return await echo(seen)

    async with origin_running(slow) as origin:
        edge = await started_edge(origin.url)
        async with raw_client(edge) as (reader, writer):
            try:
                writer.write(upgrade_request("/slow"))
                await origin.next_with(ev.OPEN)
            finally:
                await asyncio.wait_for(edge.shutdown(), WAIT)
                release.set()
            answer = await read_answer(reader)
            assert (answer.status, answer.body) == (503, b"Server shutting down.\n")
            assert await asyncio.wait_for(reader.read(), WAIT) == b""


async def test_a_handshake_accepted_during_shutdown_is_closed_with_1001_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("liveqa.edge.server.SHUTDOWN_GRACE", 2.0)

    async def slow_open(seen: Seen) -> web.StreamResponse:
        if ev.OPEN in seen.types:
            await asyncio.sleep(0.2)
        return await echo(seen)

    async with origin_running(slow_open) as origin:
        edge = await started_edge(origin.url)
        async with raw_client(edge) as (reader, writer):
            try:
                writer.write(upgrade_request("/slow"))
                opened = await origin.next_with(ev.OPEN)
            finally:
                await asyncio.wait_for(edge.shutdown(), WAIT)
            assert (await read_answer(reader, body=False)).status == 101
            opcode, payload = await read_frame(reader)
            assert (opcode, payload[:2]) == (0x8, struct.pack("!H", 1001))
        gone = await origin.next_with(ev.DISCONNECT)
        assert gone.cid == opened.cid


async def test_shutdown_ends_deferred_handshakes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("liveqa.edge.server.SHUTDOWN_GRACE", 0.5)

    async def deferring(seen: Seen) -> web.StreamResponse:
        return woh(headers={"Keep-Alive-Interval": "20"})

    async with origin_running(deferring) as origin:
        edge = await started_edge(origin.url)
        async with raw_client(edge) as (reader, writer):
            try:
                writer.write(upgrade_request("/deferred"))
                await origin.next_with(ev.OPEN)
            finally:
                await asyncio.wait_for(edge.shutdown(), WAIT)
            answer = await read_answer(reader)
            assert (answer.status, answer.body) == (503, b"Server shutting down.\n")
            assert await asyncio.wait_for(reader.read(), WAIT) == b""


# -- plain HTTP on the client port -----------------------------------------------------------


async def plain_or_echo(seen: Seen) -> web.StreamResponse:
    """Plain requests get a text answer naming the path; WebSocket-over-HTTP ones are echoed."""
    if seen.method != "POST":
        return web.Response(text=f"plain {seen.path_qs}")
    return await echo(seen)


async def test_plain_http_is_reverse_proxied_on_the_client_port() -> None:
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
    ):
        async with client.get(f"http://127.0.0.1:{edge.port}/page?x=1") as response:
            assert response.status == 200
            assert await response.text() == "plain /page?x=1"
        assert origin.seen[-1].method == "GET"
        assert edge.metrics.http_requests_total == 1


async def test_upgrade_after_a_plain_request_on_the_same_connection() -> None:
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = await read_answer(reader)
        assert (answer.status, answer.body) == (200, b"plain /first")
        writer.write(upgrade_request("/live"))
        answer = await read_answer(reader, body=False)
        assert answer.status == 101
        assert len(edge.connections) == 1
        writer.write(client_frame(0x1, b"hello"))
        assert await read_frame(reader) == (0x1, b"hello")
        opened = await origin.next_with(ev.OPEN)
        writer.write(client_frame(0x8, struct.pack("!H", 1000) + b"bye"))
        assert await read_frame(reader) == (0x8, struct.pack("!H", 1000) + b"bye")
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        closed = await origin.next_with(ev.CLOSE)
        assert closed.cid == opened.cid
        await wait_for(lambda: not edge.connections, "the connection to end")


async def test_a_socket_upgraded_after_a_plain_request_is_held_back_like_any_other() -> None:
    release = asyncio.Event()

    async def holding_first(seen: Seen) -> web.StreamResponse:
        if ev.WebSocketEvent(ev.TEXT, b"first") in seen.events:
            await release.wait()
        return await plain_or_echo(seen)

    async with (
        origin_running(holding_first) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await read_answer(reader)).status == 200
        writer.write(upgrade_request("/live"))
        assert (await read_answer(reader, body=False)).status == 101
        (connection,) = edge.connections
        relay = connection.relay
        assert relay is not None
        assert connection.transport is not None
        transport = connection.transport
        writer.write(client_frame(0x1, b"first"))
        await origin.next_with(ev.TEXT)
        messages = [b"%04d" % n + b"h" * 9996 for n in range(100)]
        writer.write(b"".join(client_frame(0x1, message) for message in messages))
        await wait_for(lambda: relay.backlog > BACKLOG_HIGH, "the backlog to fill")
        await asyncio.sleep(0.2)
        assert not transport.is_reading()
        assert relay.backlog <= BACKLOG_HIGH + 10_010
        release.set()
        echoed = [await read_frame(reader) for _ in range(len(messages) + 1)]
        assert echoed == [(0x1, b"first"), *((0x1, message) for message in messages)]
        assert transport.is_reading()


async def test_a_rejected_upgrade_after_a_plain_request_gets_the_rejection() -> None:
    async def plain_or_reject(seen: Seen) -> web.StreamResponse:
        if seen.method != "POST":
            return web.Response(text="plain")
        return web.Response(status=403, text="not you\n")

    async with (
        origin_running(plain_or_reject) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await read_answer(reader)).body == b"plain"
        writer.write(upgrade_request("/live"))
        answer = await read_answer(reader)
        assert (answer.status, answer.body) == (403, b"not you\n")
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        await origin.next_with(ev.OPEN)
        await origin.silence()
        assert not edge.connections


async def test_aiohttp_client_reusing_a_connection_can_upgrade() -> None:
    created: list[object] = []
    reused: list[object] = []
    tracing = aiohttp.TraceConfig()

    async def on_create(*args: object) -> None:
        created.append(args)

    async def on_reuse(*args: object) -> None:
        reused.append(args)

    tracing.on_connection_create_end.append(on_create)
    tracing.on_connection_reuseconn.append(on_reuse)
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession(trace_configs=[tracing]) as client,
    ):
        async with client.get(f"http://127.0.0.1:{edge.port}/first") as response:
            assert await response.text() == "plain /first"
        async with client.ws_connect(ws_url(edge, "/live")) as ws:
            await ws.send_str("over the same connection")
            assert await ws.receive_str(timeout=WAIT) == "over the same connection"
        assert (len(created), len(reused)) == (1, 1)


async def test_a_compressed_body_reaches_the_origin_as_sent() -> None:
    document = json.dumps({"text": "squeeze me " * 100}).encode()
    squeezed = gzip.compress(document)
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        head = (
            "PUT /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(squeezed)}\r\n\r\n"
        )
        writer.write(head.encode() + squeezed)
        assert (await read_answer(reader)).status == 200
        (seen,) = origin.seen
    assert seen.headers["Content-Encoding"] == "gzip"
    assert seen.headers["Content-Length"] == str(len(squeezed))
    assert seen.body == document  # the test origin inflates what it got: the framing held


async def test_a_client_that_leaves_ends_its_origin_request() -> None:
    async def hang(seen: Seen) -> web.StreamResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with origin_running(hang) as origin, edge_running(origin.url) as edge:
        async with raw_client(edge) as (_, writer):
            writer.write(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            seen = await origin.next()
        # The origin connection closes instead of waiting for the response timeout.
        await wait_for(lambda: seen.request.transport is None, "the origin request to end")


async def test_a_malformed_request_is_logged_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: lots\r\n\r\n")
        assert (await read_answer(reader)).status == 400
        await asyncio.sleep(0.1)
    server = [record for record in caplog.records if record.name == "aiohttp.server"]
    assert len(server) == 1
    assert server[0].levelno == logging.INFO
    assert server[0].exc_info is None
    assert "Error handling request from 127.0.0.1" in server[0].getMessage()
    assert origin.seen == []


# -- the publish listener ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_publish_listener_off_loopback_needs_a_key(host: str) -> None:
    with pytest.raises(ValueError, match="publish-key"):
        Edge(EdgeConfig(["http://127.0.0.1:1"], publish_host=host))
    Edge(EdgeConfig(["http://127.0.0.1:1"], publish_host=host, publish_key=SIG_KEY))


@pytest.mark.parametrize("origin", ["127.0.0.1:8000", "ftp://127.0.0.1", "http:///path", "origin"])
def test_an_origin_must_be_an_http_url(origin: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        Edge(EdgeConfig(["http://127.0.0.1:8000", origin]))


def test_at_least_one_origin_is_needed() -> None:
    with pytest.raises(ValueError, match="--origin"):
        Edge(EdgeConfig([]))


async def test_publish_key_is_required_to_publish() -> None:
    key = "edge-tests-publish-key-0123456789abcdef"
    async with (
        origin_running() as origin,
        edge_running(origin.url, publish_key=key.encode()) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/live?channel=news")) as ws,
    ):
        await wait_for(lambda: edge.metrics.subscriptions == 1, "the subscription")
        assert await publish(client, edge, "news", "anonymous") == 401
        wrong = {"Authorization": "Bearer not-the-key"}
        assert await publish(client, edge, "news", "forged", headers=wrong) == 401
        right = {"Authorization": f"Bearer {key}"}
        assert await publish(client, edge, "news", "signed", headers=right) == 200
        assert await ws.receive_str(timeout=WAIT) == "signed"
        assert edge.metrics.published_items_total == 1


@pytest.mark.parametrize(("trust", "expected"), [(False, ("http", "ws")), (True, ("https",) * 2)])
async def test_x_forwarded_proto_from_a_tls_front_only_when_trusted(
    trust: bool, expected: tuple[str, str]
) -> None:
    front = {"X-Forwarded-Proto": "https"}
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url, trust_forwarded_proto=trust) as edge,
        aiohttp.ClientSession() as client,
    ):
        async with client.get(f"http://127.0.0.1:{edge.port}/page", headers=front) as response:
            assert response.status == 200
        async with client.ws_connect(ws_url(edge, "/live"), headers=front):
            opened = await origin.next_with(ev.OPEN)
        plain = next(seen for seen in origin.seen if seen.method == "GET")
        seen = (plain.headers["X-Forwarded-Proto"], opened.headers["X-Forwarded-Proto"])
        assert seen == expected


async def test_nothing_follows_a_publish_close_even_to_a_client_that_never_answers() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
        aiohttp.ClientSession() as publisher,
    ):
        writer.write(upgrade_request("/live?channel=room"))
        assert (await read_answer(reader, body=False)).status == 101
        await wait_for(lambda: "room" in edge.hub.channels, "the subscription")
        close = {"channel": "room", "formats": {"ws-message": {"action": "close", "code": 4403}}}
        url = f"http://127.0.0.1:{edge.publish_port}/publish/"
        async with publisher.post(url, json={"items": [close]}) as response:
            assert response.status == 200
        assert await publish(publisher, edge, "room", "after the close") == 200
        opcode, payload = await asyncio.wait_for(read_frame(reader), WAIT)
        assert (opcode, payload[:2]) == (frames.CLOSE, (4403).to_bytes(2, "big"))
        # The client never answers; until the edge gives up on it, nothing more arrives.
        assert "room" not in edge.hub.channels
        assert await asyncio.wait_for(reader.read(), CLOSE_TIMEOUT + WAIT) == b""
