"""Tests for the benchmark's stub origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer, TestClient

from liveqa.grip.control import Subscribe, parse_control
from liveqa.grip.events import (
    CLOSE,
    CONTENT_TYPE,
    DISCONNECT,
    OPEN,
    PING,
    PONG,
    TEXT,
    WebSocketEvent,
    decode_events,
    encode_events,
)
from liveqa_bench.header import MEASURED, encode_message
from liveqa_bench.stub_origin import Origin

Events = list[WebSocketEvent]


def origin_client() -> TestClient[web.BaseRequest, None]:
    return TestClient(RawTestServer(Origin()))


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    async with origin_client() as test_client:
        yield test_client


async def woh(
    client: TestClient[Any, Any], events: Events, query: str = "", cid: str = "c1"
) -> tuple[int, dict[str, str], Events]:
    response = await client.post(
        f"/bench{query}",
        data=encode_events(events),
        headers={"Content-Type": CONTENT_TYPE, "Connection-Id": cid},
    )
    body = await response.read()
    assert response.headers["Content-Type"] == CONTENT_TYPE
    return response.status, dict(response.headers), decode_events(body)


async def stats(client: TestClient[Any, Any], latency: bool = False) -> dict[str, Any]:
    response = await client.get("/_bench/stats" + ("?latency=1" if latency else ""))
    result: dict[str, Any] = await response.json()
    return result


async def test_open_accepts_with_grip_and_subscribes() -> None:
    async with origin_client() as client:
        status, headers, events = await woh(client, [WebSocketEvent(OPEN)], "?channel=room")
    assert status == 200
    assert headers["Sec-WebSocket-Extensions"] == "grip"
    assert events[0] == WebSocketEvent(OPEN)
    assert events[1].type == TEXT
    content = events[1].content or b""
    assert content.startswith(b"c:")
    assert parse_control(content[2:]) == Subscribe(channel="room")


async def test_open_without_channel_does_not_subscribe(client: TestClient[Any, Any]) -> None:
    _, _, events = await woh(client, [WebSocketEvent(OPEN)])
    assert events == [WebSocketEvent(OPEN)]


async def test_counts_messages_per_connection_and_acks_when_asked(
    client: TestClient[Any, Any],
) -> None:
    first = encode_message(MEASURED, 1, 0, 5, 200)
    second = encode_message(MEASURED, 1, 1, 5, 200)
    _, _, events = await woh(client, [WebSocketEvent(TEXT, first), WebSocketEvent(TEXT, first)])
    assert events == []
    _, _, events = await woh(client, [WebSocketEvent(TEXT, second)], "?ack=1")
    assert events == [WebSocketEvent(TEXT, b"m:" + second[:38])]
    await woh(client, [WebSocketEvent(TEXT, first)], cid="c2")
    await woh(client, [WebSocketEvent(TEXT, b"not ours")], cid="c2")
    counted = await stats(client, latency=True)
    assert counted["received"] == 3
    assert counted["duplicated"] == 1
    assert counted["malformed"] == 1
    assert counted["senders"] == 2
    assert counted["latency"]["samples"] == 3
    assert counted["first_ns"] <= counted["last_ns"]


async def test_answers_ping_and_close_and_tracks_active(client: TestClient[Any, Any]) -> None:
    await woh(client, [WebSocketEvent(OPEN)], cid="a")
    await woh(client, [WebSocketEvent(OPEN)], cid="b")
    ping_close = [WebSocketEvent(PING, b"p"), WebSocketEvent(CLOSE, b"\x03\xe8")]
    _, _, events = await woh(client, ping_close)
    assert events == [WebSocketEvent(PONG, b"p"), WebSocketEvent(CLOSE, b"\x03\xe8")]
    await woh(client, [WebSocketEvent(DISCONNECT)], cid="b")
    counted = await stats(client)
    assert (counted["opens"], counted["closes"], counted["disconnects"]) == (2, 1, 1)
    assert counted["active"] == 0
    assert counted["requests"] == 4


async def test_reset_zeroes_the_counters(client: TestClient[Any, Any]) -> None:
    await woh(client, [WebSocketEvent(OPEN)])
    assert (await client.post("/_bench/reset")).status == 200
    counted = await stats(client)
    assert counted["opens"] == 0
    assert counted["latency"] is None


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "text"),
    [
        ("POST", "/bench", {"Content-Type": "text/plain"}, b"OPEN\r\n", 400, "only speaks"),
        ("GET", "/bench", {}, b"", 400, "only speaks"),
        ("POST", "/bench", {"Content-Type": CONTENT_TYPE}, b"NOPE\r\n", 400, "at byte 0"),
        ("GET", "/_bench/other", {}, b"", 404, "unknown"),
    ],
)
async def test_bad_requests_get_a_clear_error(
    client: TestClient[Any, Any],
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    text: str,
) -> None:
    response = await client.request(method, path, headers=headers, data=body)
    assert response.status == status
    assert text in await response.text()
    if status == 400:
        assert (await stats(client))["rejected"] == 1
