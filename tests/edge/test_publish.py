from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.publish import (
    NOT_ACCEPTABLE,
    TOO_LARGE,
    RecentIds,
    publish_app,
)
from liveqa.grip.publish import PublishItem
from support.ports import free_port
from support.pushpin import Pushpin

KEY = b"publish-secret-of-at-least-32-bytes"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Edge:
    """A publish listener with a recording sink."""

    def __init__(self, client: TestClient[web.Request, web.Application], metrics: EdgeMetrics):
        self.client = client
        self.metrics = metrics
        self.items: list[PublishItem] = []


def body(*items: dict[str, object]) -> bytes:
    return json.dumps({"items": list(items)}).encode()


def ws(channel: str, content: str = "hi", **extra: object) -> dict[str, object]:
    return {"channel": channel, "formats": {"ws-message": {"content": content}}, **extra}


@contextlib.asynccontextmanager
async def running(
    key: bytes | None = None,
    recent: RecentIds | None = None,
    sink: Callable[[PublishItem], None] | None = None,
    max_body: int = 1_000_000,
) -> AsyncIterator[Edge]:
    metrics = EdgeMetrics()
    items: list[PublishItem] = []
    app = publish_app(sink or items.append, metrics, key=key, recent=recent, max_body=max_body)
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    async with client:
        edge = Edge(client, metrics)
        edge.items = items
        yield edge


@pytest.fixture
async def edge() -> AsyncIterator[Edge]:
    async with running() as state:
        yield state


@pytest.mark.parametrize("path", ["/publish/", "/publish"])
async def test_publish_answers_published_as_text(edge: Edge, path: str) -> None:
    response = await edge.client.post(path, data=body(ws("a", "one"), ws("b", "two")))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain"
    assert await response.read() == b"Published\n"
    assert [(item.channel, item.ws_message and item.ws_message.payload) for item in edge.items] == [
        ("a", b"one"),
        ("b", b"two"),
    ]
    assert edge.metrics.publish_requests_total == 1
    assert edge.metrics.publish_errors_total == 0


async def test_publish_answers_json_when_asked(edge: Edge) -> None:
    response = await edge.client.post(
        "/publish/", data=body(ws("a")), headers={"Accept": "application/json"}
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert await response.read() == b'{"message":"Published"}\n'


async def test_empty_items_publish_nothing(edge: Edge) -> None:
    response = await edge.client.post("/publish/", data=b'{"items": []}')
    assert response.status == 200
    assert edge.items == []


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # As Pushpin 1.36 answers (measured):
        ("text/plain", "text/plain"),
        ("*/*", "text/plain"),
        ("text/*", "text/plain"),
        ("application/*", "application/json"),
        ("application/json, text/plain", "text/plain"),
        ("text/plain, application/json", "application/json"),
        ("text/html, application/json;q=0.5", "application/json"),
        ("application/json, text/html", "application/json"),
        ("text/html", None),
        ("", None),
        ("garbage", None),
        # Deliberately unlike Pushpin, which ignores q-values:
        ("application/json;q=1, text/plain;q=0.1", "application/json"),
        ("text/plain;q=0", None),
        ("text/plain;q=oops", None),
    ],
)
async def test_accept_negotiation(edge: Edge, accept: str, expected: str | None) -> None:
    response = await edge.client.post("/publish/", data=body(ws("a")), headers={"Accept": accept})
    if expected is None:
        assert response.status == 406
        assert response.headers["Content-Type"] == "text/plain"
        assert await response.read() == NOT_ACCEPTABLE
        assert edge.items == []
        assert edge.metrics.publish_errors_total == 1
    else:
        assert response.status == 200
        assert response.headers["Content-Type"] == expected


@pytest.mark.parametrize(
    ("data", "mentions"),
    [
        (b"{bad", "JSON"),
        (b"", "JSON"),
        (b"[]", ""),
        (b"{}", "items"),
        (b'{"items": {}}', "items"),
        (b'{"items": [{}]}', "channel"),
        (b'{"items": [{"channel": 5, "formats": {"ws-message": {"content": "x"}}}]}', "channel"),
        (b'{"items": [{"channel": "a"}]}', "format"),
        (b'{"items": [{"channel": "a", "formats": {"ws-message": {}}}]}', "content-bin"),
        (b'{"items": [{"channel": "a", "formats": {"ws-message": {"content": 5}}}]}', "content"),
    ],
)
async def test_bad_bodies_get_400_with_the_reason(edge: Edge, data: bytes, mentions: str) -> None:
    response = await edge.client.post(
        "/publish/", data=data, headers={"Accept": "application/json"}
    )
    assert response.status == 400
    assert response.headers["Content-Type"] == "text/plain"
    text = await response.text()
    assert text.startswith("Invalid format: ")
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert mentions in text
    assert edge.items == []
    assert edge.metrics.publish_errors_total == 1


async def test_one_bad_item_publishes_nothing(edge: Edge) -> None:
    bad: dict[str, object] = {
        "channel": "b",
        "formats": {"ws-message": {"action": "close", "code": 1005}},
    }
    response = await edge.client.post("/publish/", data=body(ws("a"), bad))
    assert response.status == 400
    assert "items[1]" in await response.text()
    assert edge.items == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_get_405(edge: Edge, method: str) -> None:
    response = await edge.client.request(method, "/publish/")
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert await response.read() == f"Method not allowed: {method}.\n".encode()
    assert edge.metrics.publish_errors_total == 1


async def test_body_over_the_limit_is_refused_by_content_length(edge: Edge) -> None:
    response = await edge.client.post("/publish/", data=b" " * 1_000_001)
    assert response.status == 400
    assert await response.read() == TOO_LARGE
    assert edge.metrics.publish_errors_total == 1


async def test_chunked_body_over_the_limit_is_refused() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(11):
            yield b" " * 100

    async with running(max_body=1000) as edge:
        response = await edge.client.post("/publish/", data=chunks())
        assert response.status == 400
        assert await response.read() == TOO_LARGE


async def test_body_at_the_limit_is_accepted() -> None:
    data = body(ws("a"))
    async with running(max_body=1000) as edge:
        response = await edge.client.post("/publish/", data=data.ljust(1000))
        assert response.status == 200
        assert len(edge.items) == 1


async def test_duplicate_ids_are_dropped_per_channel() -> None:
    clock = Clock()
    async with running(recent=RecentIds(60.0, clock=clock)) as edge:
        post = edge.client.post
        assert (await post("/publish/", data=body(ws("a", "1", id="x")))).status == 200
        assert (await post("/publish/", data=body(ws("a", "2", id="x")))).status == 200
        assert (await post("/publish/", data=body(ws("b", "3", id="x")))).status == 200
        await post("/publish/", data=body(ws("a", "4", id="y"), ws("a", "5", id="y")))
        await post("/publish/", data=body(ws("a", "6"), ws("a", "7")))
        clock.now += 60
        await post("/publish/", data=body(ws("a", "8", id="x")))
        payloads = [item.ws_message and item.ws_message.payload for item in edge.items]
        assert payloads == [b"1", b"3", b"4", b"6", b"7", b"8"]
        assert edge.metrics.dropped_items_total == 2


def test_recent_ids_expire_and_stay_bounded() -> None:
    clock = Clock()
    recent = RecentIds(10.0, max_ids=3, clock=clock)
    for item_id in "abc":
        assert not recent.seen("ch", item_id)
        clock.now += 1
    assert recent.seen("ch", "a")
    assert not recent.seen("ch", "d")  # over the bound: "a" is forgotten early
    assert len(recent) == 3
    assert not recent.seen("ch", "a")
    clock.now += 10
    assert not recent.seen("ch", "b")
    assert len(recent) == 1


async def test_a_failing_sink_does_not_lose_the_other_items(
    caplog: pytest.LogCaptureFixture,
) -> None:
    delivered: list[str] = []

    def sink(item: PublishItem) -> None:
        if item.channel == "boom":
            raise RuntimeError("fan-out bug")
        delivered.append(item.channel)

    async with running(sink=sink) as edge:
        response = await edge.client.post("/publish/", data=body(ws("boom"), ws("ok")))
        assert response.status == 200
    assert delivered == ["ok"]
    assert "fan-out bug" in caplog.text


def token(key: bytes, expires_in: float = 3600, iss: str = "origin") -> str:
    return jwt.encode({"iss": iss, "exp": int(time.time() + expires_in)}, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        ("Bearer ", 401),
        ("Basic cHVibGlzaDpzZWNyZXQ=", 401),
        (f"Bearer {KEY.decode()}", 200),
        (f"bearer {KEY.decode()}", 200),
        (f"Bearer {token(KEY)}", 200),
        (f"Bearer {token(KEY, expires_in=-60)}", 401),
        (f"Bearer {token(b'another-key-of-at-least-32-bytes!')}", 401),
        ("Bearer a.b.c", 401),
    ],
)
async def test_publish_key_is_required(authorization: str | None, status: int) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with running(key=KEY) as edge:
        response = await edge.client.post("/publish/", data=body(ws("a")), headers=headers)
        assert response.status == status
        if status == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert edge.items == []
            assert edge.metrics.publish_errors_total == 1
        else:
            assert len(edge.items) == 1


async def test_key_guards_every_endpoint() -> None:
    async with running(key=KEY) as edge:
        for method, path in [("GET", "/metrics"), ("POST", "/recover"), ("GET", "/")]:
            assert (await edge.client.request(method, path)).status == 401
        auth = {"Authorization": f"Bearer {KEY.decode()}"}
        assert (await edge.client.get("/metrics", headers=auth)).status == 200


async def test_gripcontrol_publishes_with_a_jwt() -> None:
    from gripcontrol import GripPubControl, WebSocketMessageFormat
    from pubcontrol import Item

    async with running(key=KEY) as edge:
        url = str(edge.client.make_url("")).rstrip("/")
        publisher = GripPubControl({"control_uri": url, "control_iss": "origin", "key": KEY})
        try:
            item = Item(WebSocketMessageFormat("from gripcontrol"))
            await asyncio.to_thread(publisher.publish, "room", item, blocking=True)
        finally:
            for client in publisher.clients:
                client.requests_session.close()
        assert len(edge.items) == 1
        message = edge.items[0].ws_message
        assert message is not None
        assert message.payload == b"from gripcontrol"


async def test_metrics_endpoint(edge: Edge) -> None:
    await edge.client.post("/publish/", data=body(ws("a")))
    response = await edge.client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }
    assert samples["liveqa_edge_publish_requests_total"] == 1
    # The process's own, read when scraped.
    assert samples["process_resident_memory_bytes"] > 0
    assert samples["process_open_fds"] > 0
    assert "python_info" in samples
    response = await edge.client.post("/metrics")
    assert response.status == 405
    assert response.headers["Allow"] == "GET"


async def test_root_recover_and_unknown_paths(edge: Edge) -> None:
    root = await edge.client.get("/")
    assert root.status == 200
    assert "liveqa" in await root.text()
    missing = await edge.client.get("/nothing")
    assert missing.status == 404
    assert await missing.read() == b"Not Found\n"
    for path in ("/recover", "/recover/"):
        recover = await edge.client.post(path)
        assert recover.status == 200
        assert await recover.read() == b"Updated\n"
    recover = await edge.client.post("/recover", headers={"Accept": "application/json"})
    assert await recover.read() == b'{"message":"Updated"}\n'
    wrong = await edge.client.get("/recover")
    assert wrong.status == 405
    assert wrong.headers["Allow"] == "POST"
    assert edge.metrics.publish_requests_total == 0


Request = tuple[str, str, dict[str, str], bytes | None]
Answer = tuple[int, dict[str, str | None], bytes]

# Requests whose answers must be the same from Pushpin 1.36 and from the edge.
SAME_AS_PUSHPIN: list[Request] = [
    ("POST", "/publish/", {}, body(ws("a"))),
    ("POST", "/publish", {}, body(ws("a"))),
    ("POST", "/publish/", {"Accept": "application/json"}, body(ws("a"))),
    ("POST", "/publish/", {"Accept": "text/html"}, body(ws("a"))),
    ("POST", "/publish/", {"Accept": "*/*"}, body(ws("a"))),
    ("POST", "/publish/", {"Accept": "application/json, text/plain"}, body(ws("a"))),
    ("POST", "/publish/", {"Accept": "text/plain, application/json"}, body(ws("a"))),
    ("POST", "/publish/", {"Accept": "text/html"}, b"{bad"),
    ("POST", "/publish/", {}, b'{"items": []}'),
    ("GET", "/publish/", {}, None),
    ("PUT", "/publish/", {}, body(ws("a"))),
    ("POST", "/publish/", {}, b" " * 1_000_001),
    ("GET", "/nothing", {}, None),
    ("POST", "/recover", {}, b""),
    ("POST", "/recover/", {}, b""),
    ("POST", "/recover", {"Accept": "application/json"}, b""),
    ("GET", "/recover", {}, None),
]
# Requests Pushpin refuses with a different text: only the status and type must agree.
SAME_STATUS_AS_PUSHPIN: list[Request] = [
    ("POST", "/publish/", {}, b"{bad"),
    ("POST", "/publish/", {}, b"{}"),
    ("POST", "/publish/", {}, b'{"items": {}}'),
    ("POST", "/publish/", {}, b'{"items": [{}]}'),
    ("POST", "/publish/", {}, b'{"items": [{"channel": "a"}]}'),
    ("POST", "/publish/", {}, body(ws("a"), {"channel": 5, "ws-message": {"content": "x"}})),
]


@pytest.mark.pushpin
async def test_answers_match_pushpin() -> None:
    pushpin = Pushpin(origin=f"127.0.0.1:{free_port()}")
    await asyncio.to_thread(pushpin.start)
    try:
        async with running() as edge, aiohttp.ClientSession() as session:

            async def answers(base: str, request: Request) -> Answer:
                method, path, headers, data = request
                async with session.request(method, base + path, headers=headers, data=data) as r:
                    kept = ("Content-Type", "Allow")
                    return r.status, {k: r.headers.get(k) for k in kept}, await r.read()

            ours = str(edge.client.make_url("")).rstrip("/")
            theirs = f"http://127.0.0.1:{pushpin.publish_port}"
            for request in SAME_AS_PUSHPIN:
                assert await answers(ours, request) == await answers(theirs, request), request
            for request in SAME_STATUS_AS_PUSHPIN:
                mine, expected = await answers(ours, request), await answers(theirs, request)
                assert mine[:2] == expected[:2], request
    finally:
        await asyncio.to_thread(pushpin.stop)
