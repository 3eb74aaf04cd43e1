"""Subscriptions made by the origin's `c:` control messages, and publishes reaching the client."""

from __future__ import annotations

import json

import aiohttp
import pytest

from .origin import GRIP, OriginRequest, Reply, Script, control, echo_reply, message
from .proxies import Proxy
from .publisher import (
    binary_item,
    close_item,
    publish,
    receive_str,
    text_item,
    wait_subscribed,
)

pytestmark = [pytest.mark.pushpin, pytest.mark.asyncio(loop_scope="package")]


def subscribe(channel: str) -> tuple[str, bytes | None]:
    """The `c:` subscribe control message for `channel`."""
    return control(json.dumps({"type": "subscribe", "channel": channel}))


def subscribe_on_open(origin: Script, channel: str) -> None:
    """Script the origin to subscribe each new connection to `channel` and echo the rest."""

    async def respond(request: OriginRequest) -> Reply:
        if ("OPEN", None) in request.events:
            return Reply([("OPEN", None), subscribe(channel)], dict(GRIP))
        return echo_reply(request)

    origin.respond = respond


def channel_for(origin: Script, name: str) -> str:
    """A channel name unique to this test."""
    return f"{name}-{origin.path.rsplit('/', 1)[-1]}"


async def test_publish_text_and_binary_reach_subscriber(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    channel, other = channel_for(origin, "news"), channel_for(origin, "other")
    subscribe_on_open(origin, channel)
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await wait_subscribed(http, proxy, ws, channel)
        await publish(
            http,
            proxy,
            text_item(other, "not for this client"),
            text_item(channel, "hello ünïcode"),
            binary_item(channel, b"\x00\x01binary\xff"),
        )
        assert await receive_str(ws) == "hello ünïcode"
        assert await ws.receive_bytes(timeout=5) == b"\x00\x01binary\xff"


async def test_subscribe_from_a_later_response(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    channel = channel_for(origin, "later")

    async def respond(request: OriginRequest) -> Reply:
        if request.texts() == [b"join"]:
            return Reply([subscribe(channel), message("joined")])
        return echo_reply(request)

    origin.respond = respond
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await ws.send_str("join")
        assert await receive_str(ws) == "joined"
        await wait_subscribed(http, proxy, ws, channel)
        await publish(http, proxy, text_item(channel, "after join"))
        assert await receive_str(ws) == "after join"


async def test_unsubscribe_stops_delivery(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    leaving, staying = channel_for(origin, "leaving"), channel_for(origin, "staying")

    async def respond(request: OriginRequest) -> Reply:
        if ("OPEN", None) in request.events:
            return Reply([("OPEN", None), subscribe(leaving), subscribe(staying)], dict(GRIP))
        if request.texts() == [b"leave"]:
            unsubscribe = json.dumps({"type": "unsubscribe", "channel": leaving})
            return Reply([control(unsubscribe), message("left")])
        return echo_reply(request)

    origin.respond = respond
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await wait_subscribed(http, proxy, ws, leaving)
        await wait_subscribed(http, proxy, ws, staying)
        await ws.send_str("leave")
        assert await receive_str(ws) == "left"
        # Unsubscribing may take effect a little later (Pushpin tells its handler over ZeroMQ):
        # publish pairs until the staying channel's item arrives without the leaving one's.
        for attempt in range(50):
            await publish(
                http, proxy, text_item(leaving, f"a-{attempt}"), text_item(staying, f"b-{attempt}")
            )
            if await receive_str(ws) == f"b-{attempt}":
                break
            assert await receive_str(ws) == f"b-{attempt}"
        else:
            raise AssertionError("the unsubscribed channel kept delivering")
        for final in range(3):
            await publish(
                http,
                proxy,
                text_item(leaving, f"a-final-{final}"),
                text_item(staying, f"end-{final}"),
            )
            assert await receive_str(ws) == f"end-{final}"


async def test_publish_close_action_closes_client_and_origin_sees_close(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    channel = channel_for(origin, "closing")
    subscribe_on_open(origin, channel)
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await origin.next()
        await wait_subscribed(http, proxy, ws, channel)
        await publish(http, proxy, close_item(channel, 4001, "bye"))
        closing = await ws.receive(timeout=5)
        assert (closing.type, closing.data, closing.extra) == (aiohttp.WSMsgType.CLOSE, 4001, "bye")
        assert ws.close_code == 4001
    # Pushpin tells the origin about the close without a code, whatever the client answered.
    assert (await origin.next()).events == [("CLOSE", None)]


async def test_publish_fans_out_to_every_subscriber(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    channel = channel_for(origin, "fanout")
    subscribe_on_open(origin, channel)
    url = proxy.ws_url(origin.path)
    async with http.ws_connect(url) as first, http.ws_connect(url) as second:
        await wait_subscribed(http, proxy, [first, second], channel)
        await publish(http, proxy, *(text_item(channel, f"n-{index}") for index in range(5)))
        for ws in (first, second):
            assert [await receive_str(ws) for _ in range(5)] == [f"n-{i}" for i in range(5)]


async def test_items_with_a_seen_id_are_dropped(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    channel = channel_for(origin, "dedup")
    subscribe_on_open(origin, channel)
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await wait_subscribed(http, proxy, ws, channel)
        item_id = f"id-{channel}"
        await publish(http, proxy, {**text_item(channel, "original"), "id": item_id})
        await publish(http, proxy, {**text_item(channel, "duplicate"), "id": item_id})
        await publish(http, proxy, text_item(channel, "marker"))
        assert [await receive_str(ws), await receive_str(ws)] == ["original", "marker"]
