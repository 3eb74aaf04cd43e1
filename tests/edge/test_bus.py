"""The Redis bus: in-process edges on one Redis (127.0.0.1:6379) share published items.

Every test uses its own channel prefix: Redis pub/sub ignores database numbers, so the prefix is
what keeps concurrent runs apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio.connection import AbstractConnection

from liveqa.edge.bus import Bus
from liveqa.edge.hub import Hub
from liveqa.edge.metrics import PREFIX, EdgeMetrics
from liveqa.edge.server import Edge, EdgeConfig
from liveqa.grip import events as ev
from liveqa.grip.control import Subscribe, encode_control
from liveqa.grip.publish import publish_body, ws_item

REDIS = "redis://127.0.0.1:6379/0"
WAIT = 5.0


# -- an origin that subscribes every connection to `?channel=` --------------------------------


async def _origin(request: web.Request) -> web.Response:
    out: list[ev.WebSocketEvent] = []
    headers = {"Content-Type": ev.CONTENT_TYPE}
    for event in ev.decode_events(await request.read()):
        if event.type == ev.OPEN:
            channel = Subscribe(channel=request.query["channel"])
            out += [ev.WebSocketEvent(ev.OPEN), ev.WebSocketEvent(ev.TEXT, encode_control(channel))]
            headers["Sec-WebSocket-Extensions"] = "grip"
        elif event.type == ev.CLOSE:
            out.append(ev.WebSocketEvent(ev.CLOSE, event.content))
    return web.Response(body=ev.encode_events(out), headers=headers)


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/{tail:.*}", _origin)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
def prefix() -> str:
    return f"liveqa-test-{uuid.uuid4().hex}:"


@pytest.fixture
async def server() -> AsyncIterator[redis.Redis]:
    """A plain client of the test Redis, to look at and disturb the bus from outside."""
    client = redis.Redis.from_url(REDIS)
    yield client
    await client.aclose()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@contextlib.asynccontextmanager
async def running(origin: str, bus: str | None, prefix: str) -> AsyncIterator[Edge]:
    config = EdgeConfig(origins=[origin], port=0, publish_port=0, bus=bus, bus_prefix=prefix)
    config.websocket_paths = ("/",)  # these tests' clients use their own paths
    edge = Edge(config)
    await edge.start()
    try:
        yield edge
    finally:
        await edge.shutdown()


@contextlib.asynccontextmanager
async def edges(origin: str, prefix: str, *buses: str) -> AsyncIterator[list[Edge]]:
    """Edges on the bus URLs given, each connected to its bus before the test goes on."""
    async with contextlib.AsyncExitStack() as stack:
        started = [await stack.enter_async_context(running(origin, b, prefix)) for b in buses]
        await until(lambda: all(bus(edge).connected for edge in started), "the buses connect")
        yield started


def bus(edge: Edge) -> Bus:
    assert edge.bus is not None
    return edge.bus


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition`, failing the test if it does not hold within WAIT seconds."""
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting until {what}")


async def client(
    http: aiohttp.ClientSession, edge: Edge, channel: str
) -> aiohttp.ClientWebSocketResponse:
    """A WebSocket client of `edge` whose connection the origin subscribes to `channel`."""
    return await http.ws_connect(f"ws://127.0.0.1:{edge.port}/ws?channel={channel}")


async def publish(http: aiohttp.ClientSession, edge: Edge, *items: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{edge.publish_port}/publish/"
    async with http.post(url, json={"items": list(items)}) as response:
        assert response.status == 200, await response.text()


def item(channel: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"channel": channel, "formats": {"ws-message": {"content": text}}, **extra}


async def text(ws: aiohttp.ClientWebSocketResponse) -> str:
    message = await ws.receive(timeout=WAIT)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return str(message.data)


async def barrier(
    http: aiohttp.ClientSession, a: Edge, b: Edge, clients: list[aiohttp.ClientWebSocketResponse]
) -> None:
    """Publish `end-b` to b, then `end-a` to a, and expect them next on every client.

    Redis hands each subscriber messages in the order it took the PUBLISHes, and each edge
    publishes in order on one connection: any stray copy of an earlier item reaches a client
    before these, so seeing exactly `end-b` then `end-a` proves there was none.
    """
    for edge, name in ((b, "end-b"), (a, "end-a")):
        await publish(http, edge, item("room", name))
        for ws in clients:
            assert await text(ws) == name


async def numsub(server: redis.Redis, channel: str) -> int:
    counts = await server.pubsub_numsub(channel)
    return int(counts[0][1])


# -- sharing -----------------------------------------------------------------------------------


async def test_an_item_published_to_either_edge_reaches_every_client_once(
    origin: str, prefix: str, http: aiohttp.ClientSession
) -> None:
    async with edges(origin, prefix, REDIS, REDIS) as (a, b):
        clients = [await client(http, a, "room"), await client(http, b, "room")]
        clients.append(await client(http, a, "room"))
        await until(lambda: bus(a).subscribed == bus(b).subscribed == {"room"}, "subscribed")
        for number in range(6):
            await publish(http, (a, b)[number % 2], item("room", f"m{number}"))
            for ws in clients:
                assert await text(ws) == f"m{number}"
        await barrier(http, a, b, clients)
        await until(
            lambda: a.metrics.bus_published_items_total == b.metrics.bus_published_items_total == 4,
            "both edges have their items acknowledged by Redis",
        )
        for edge in (a, b):
            assert edge.metrics.bus_received_items_total == 4
            assert edge.metrics.bus_unsent_items_total == 0
            assert edge.metrics.bus_errors_total == 0
        assert a.metrics.deliveries_total == 16
        assert b.metrics.deliveries_total == 8


async def test_an_item_an_origin_sends_to_both_edges_is_delivered_once(
    origin: str, prefix: str, http: aiohttp.ClientSession
) -> None:
    async with edges(origin, prefix, REDIS, REDIS) as (a, b):
        clients = [await client(http, a, "room"), await client(http, b, "room")]
        await until(lambda: bus(a).subscribed == bus(b).subscribed == {"room"}, "subscribed")
        await publish(http, a, item("room", "twice", id="q-1"))
        await publish(http, b, item("room", "twice", id="q-1"))
        for ws in clients:
            assert await text(ws) == "twice"
        await barrier(http, a, b, clients)
        assert a.metrics.dropped_items_total + b.metrics.dropped_items_total >= 1


async def test_redis_subscriptions_follow_local_subscribers(
    origin: str, prefix: str, http: aiohttp.ClientSession, server: redis.Redis
) -> None:
    async with edges(origin, prefix, REDIS, REDIS) as (a, b):
        assert await server.pubsub_channels(f"{prefix}*") == []
        first = await client(http, a, "x")
        await until(lambda: bus(a).subscribed == {"x"}, "a subscribes to x")
        assert await server.pubsub_channels(f"{prefix}*") == [f"{prefix}x".encode()]
        assert await numsub(server, f"{prefix}x") == 1
        assert a.metrics.bus_channels == 1
        second = await client(http, a, "x")
        await first.close()
        await until(lambda: a.metrics.subscriptions == 1, "the first client is gone")
        # Still subscribed: a message published straight on Redis reaches the second client.
        await server.publish(f"{prefix}x", b"elsewhere " + publish_body([ws_item("x", "still")]))
        assert await text(second) == "still"
        await second.close()
        await until(lambda: not bus(a).subscribed, "a unsubscribes from x")
        assert await server.pubsub_channels(f"{prefix}*") == []
        assert a.metrics.bus_channels == 0
        third = await client(http, b, "y")
        await until(lambda: bus(b).subscribed == {"y"}, "b subscribes to y")
        assert await server.pubsub_channels(f"{prefix}*") == [f"{prefix}y".encode()]
        assert not bus(a).subscribed
        assert not third.closed


async def test_bad_messages_on_the_bus_are_counted_and_ignored(
    origin: str, prefix: str, http: aiohttp.ClientSession, server: redis.Redis
) -> None:
    async with edges(origin, prefix, REDIS) as (a,):
        ws = await client(http, a, "room")
        await until(lambda: bus(a).subscribed == {"room"}, "subscribed")
        await server.publish(f"{prefix}room", b"not a message")
        await server.publish(f"{prefix}room", b"other {not json")
        wrong_channel = publish_body([ws_item("elsewhere", "misrouted")])
        await server.publish(f"{prefix}room", b"other " + wrong_channel)
        await server.publish(f"{prefix}room", b"other " + publish_body([ws_item("room", "ok")]))
        assert await text(ws) == "ok"
        assert a.metrics.bus_errors_total == 3
        assert a.metrics.bus_received_items_total == 1
        assert bus(a).connected


# -- losing the bus ----------------------------------------------------------------------------


async def test_a_killed_bus_connection_reconnects_resubscribes_and_delivers_again(
    origin: str, prefix: str, http: aiohttp.ClientSession, server: redis.Redis
) -> None:
    async with edges(origin, prefix, REDIS, REDIS) as (a, b):
        clients = [await client(http, a, "room"), await client(http, b, "room")]
        await until(lambda: bus(a).subscribed == bus(b).subscribed == {"room"}, "subscribed")
        await publish(http, a, item("room", "first", id="1"))
        for ws in clients:
            assert await text(ws) == "first"
        ids = [c["id"] for c in await server.client_list() if c["name"] == bus(a).client_name]
        assert len(ids) == 2
        for client_id in ids:
            await server.client_kill_filter(_id=client_id)
        await until(lambda: a.metrics.bus_reconnects_total == 1, "a reconnects")
        await until(lambda: bus(a).subscribed == {"room"}, "a subscribes again")
        assert a.metrics.bus_errors_total >= 1
        assert a.metrics.bus_connected == 1
        assert b.metrics.bus_reconnects_total == 0
        # What others published while the bus was away is lost: a stops waiting for it, so an
        # item after a gap is not held for the 5 s prev-id wait.
        after_gap = ws_item("room", "after a gap", id="9", prev_id="8")
        a.hub.publish(after_gap)
        message = await clients[0].receive(timeout=1.0)
        assert message.data == "after a gap"
        await barrier(http, a, b, clients)


class Relay:
    """A TCP relay to Redis that can be cut, or frozen (bytes dropped), and then restored."""

    def __init__(self) -> None:
        self.up = True
        self.frozen = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Future[Any]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._tasks.add(handler)
        if not self.up:
            writer.close()
            await writer.wait_closed()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._writers |= {writer, upstream_writer}
        pipes = [
            asyncio.ensure_future(self._pipe(reader, upstream_writer)),
            asyncio.ensure_future(self._pipe(upstream_reader, writer)),
        ]
        self._tasks.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        self.cut_connections(writer, upstream_writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if not self.frozen:
                    writer.write(data)
                    await writer.drain()

    def cut_connections(self, *writers: asyncio.StreamWriter) -> None:
        for writer in writers or list(self._writers):
            writer.close()
            self._writers.discard(writer)

    async def stop(self) -> None:
        self.cut_connections()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    relay = Relay()
    await relay.start()
    yield relay
    await relay.stop()


async def test_while_the_bus_is_down_local_clients_still_get_items_and_it_comes_back(
    origin: str, prefix: str, http: aiohttp.ClientSession, relay: Relay
) -> None:
    async with edges(origin, prefix, f"redis://127.0.0.1:{relay.port}/0", REDIS) as (a, b):
        clients = [await client(http, a, "room"), await client(http, b, "room")]
        await until(lambda: bus(a).subscribed == bus(b).subscribed == {"room"}, "subscribed")
        relay.up = False
        relay.cut_connections()
        await until(lambda: a.metrics.bus_connected == 0, "a notices the loss")
        await publish(http, a, item("room", "local only"))
        assert await text(clients[0]) == "local only"
        assert a.metrics.bus_unsent_items_total == 1
        await until(lambda: a.metrics.bus_errors_total >= 2, "a retries")
        relay.up = True
        await until(lambda: bus(a).subscribed == {"room"}, "a is back on the bus")
        assert a.metrics.bus_reconnects_total == 1
        await barrier(http, a, b, clients)
        # b never got the item published while a was cut off: pub/sub keeps no backlog.
        assert b.metrics.bus_received_items_total == 1


async def test_an_unreachable_bus_never_stops_local_delivery(
    origin: str, prefix: str, http: aiohttp.ClientSession, relay: Relay
) -> None:
    relay.up = False
    async with running(origin, f"redis://127.0.0.1:{relay.port}/0", prefix) as a:
        ws = await client(http, a, "room")
        await until(lambda: a.metrics.subscriptions == 1, "subscribed locally")
        await publish(http, a, item("room", "hello"))
        assert await text(ws) == "hello"
        assert a.metrics.bus_connected == 0
        assert a.metrics.bus_unsent_items_total == 1
        await until(lambda: a.metrics.bus_errors_total >= 1, "a tries the bus")


async def test_a_silent_bus_is_found_out_by_ping(prefix: str, relay: Relay) -> None:
    metrics = EdgeMetrics()
    hub = Hub(metrics)
    url = f"redis://127.0.0.1:{relay.port}/0"
    bus = Bus(url, hub, metrics, prefix=prefix, ping_interval=0.1, timeout=0.5, backoff=(0.05, 0.1))
    bus.start()
    try:
        await until(lambda: bus.connected, "connected")
        relay.frozen = True
        await until(lambda: not bus.connected, "the silence is noticed")
        assert metrics.bus_errors_total >= 1
        relay.frozen = False
        await until(lambda: metrics.bus_reconnects_total == 1, "reconnected")
        assert bus.connected
    finally:
        await bus.close()


# -- configuration -----------------------------------------------------------------------------


async def test_without_bus_the_edge_never_touches_redis(
    origin: str, prefix: str, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    touched: list[str] = []

    async def refuse(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        touched.append(repr(self))
        raise AssertionError("the edge must not talk to Redis without --bus")

    monkeypatch.setattr(AbstractConnection, "send_packed_command", refuse)
    async with running(origin, None, prefix) as edge:
        assert edge.bus is None
        ws = await client(http, edge, "room")
        await until(lambda: edge.metrics.subscriptions == 1, "subscribed")
        await publish(http, edge, item("room", "plain"))
        assert await text(ws) == "plain"
        assert edge.metrics.bus_connected == edge.metrics.bus_unsent_items_total == 0
    assert touched == []


def test_a_bus_url_that_is_not_redis_is_refused(origin: str) -> None:
    with pytest.raises(ValueError, match="redis://"):
        Edge(EdgeConfig(origins=[origin], bus="http://127.0.0.1:6379/0"))


async def test_metrics_show_the_bus(origin: str, prefix: str, http: aiohttp.ClientSession) -> None:
    async with edges(origin, prefix, REDIS) as (a,):
        ws = await client(http, a, "room")
        await until(lambda: bus(a).subscribed == {"room"}, "subscribed")
        assert not ws.closed
        async with http.get(f"http://127.0.0.1:{a.publish_port}/metrics") as response:
            body = await response.text()
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    assert values[PREFIX + "bus_connected"] == 1
    assert values[PREFIX + "bus_channels"] == 1
    assert values[PREFIX + "bus_reconnects_total"] == 0


async def test_a_closed_bus_gives_up_its_connections(prefix: str, server: redis.Redis) -> None:
    bus = Bus(REDIS, Hub(EdgeMetrics()), EdgeMetrics(), prefix=prefix)
    bus.start()
    await until(lambda: bus.connected, "connected")
    await bus.close()
    assert not bus.connected
    for _ in range(int(WAIT / 0.01)):
        if bus.client_name not in [c["name"] for c in await server.client_list()]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the closed bus's connections stay open on Redis")
