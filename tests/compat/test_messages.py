"""Client <-> origin messages: echo, the `m:` prefix, batching during a request, detach."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from .origin import GRIP, OriginRequest, Reply, Script, control, echo_reply, message
from .proxies import Proxy
from .publisher import publish, receive_str, text_item, wait_subscribed

pytestmark = [pytest.mark.pushpin, pytest.mark.asyncio(loop_scope="package")]


async def test_echo_text_and_binary(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await origin.next()
        await ws.send_str("héllo wörld")
        assert await receive_str(ws) == "héllo wörld"
        await ws.send_bytes(b"\x00\xff\r\nbinary")
        assert await ws.receive_bytes(timeout=5) == b"\x00\xff\r\nbinary"
        text_request = await origin.next()
        binary_request = await origin.next()
    assert text_request.events == [("TEXT", "héllo wörld".encode())]
    assert binary_request.events == [("BINARY", b"\x00\xff\r\nbinary")]


async def test_unprefixed_messages_are_dropped(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    async def respond(request: OriginRequest) -> Reply:
        if request.texts() == [b"go"]:
            return Reply(
                [("TEXT", b"no prefix"), ("BINARY", b"no prefix either"), message("after")]
            )
        return echo_reply(request)

    origin.respond = respond
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await ws.send_str("go")
        assert await receive_str(ws) == "after"
        await ws.send_str("still echoing")
        assert await receive_str(ws) == "still echoing"


async def test_messages_sent_during_a_request_are_batched_in_order(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()

    async def respond(request: OriginRequest) -> Reply:
        if request.texts() == [b"first"]:
            await release.wait()
        return echo_reply(request)

    origin.respond = respond
    sent = [f"message-{index}" for index in range(30)]
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await origin.next()
        await ws.send_str("first")
        held = await origin.next()
        assert held.texts() == [b"first"]
        for text in sent:
            await ws.send_str(text)
        # Let the proxy read the burst while "first" is still in flight; order and loss do not
        # depend on this pause, only how many requests the burst is spread over.
        await asyncio.sleep(0.2)
        release.set()
        batches: list[list[bytes]] = []
        while sum(len(batch) for batch in batches) < len(sent):
            batches.append((await origin.next()).texts())
        echoed = [await receive_str(ws) for _ in range(len(sent) + 1)]
    assert [text.decode() for batch in batches for text in batch] == sent
    assert len(batches) < len(sent)
    assert echoed == ["first", *sent]
    assert origin.max_in_flight == 1


async def test_detach_stops_client_messages_but_not_publishes(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    channel = f"detach-{origin.path.rsplit('/', 1)[-1]}"

    async def respond(request: OriginRequest) -> Reply:
        if ("OPEN", None) in request.events:
            subscribe = json.dumps({"type": "subscribe", "channel": channel})
            return Reply([("OPEN", None), control(subscribe)], dict(GRIP))
        if request.texts() == [b"detach"]:
            return Reply([control('{"type": "detach"}'), message("detached")])
        return echo_reply(request)

    origin.respond = respond
    async with http.ws_connect(proxy.ws_url(origin.path)) as ws:
        await origin.next()
        await wait_subscribed(http, proxy, ws, channel)
        await ws.send_str("detach")
        assert await receive_str(ws) == "detached"
        assert (await origin.next()).texts() == [b"detach"]
        # Pushpin closes the origin side of a detached connection: the origin gets a bare CLOSE.
        assert (await origin.next()).events == [("CLOSE", None)]
        await ws.send_str("lost after detach")
        await publish(http, proxy, text_item(channel, "pushed after detach"))
        assert await receive_str(ws) == "pushed after detach"
        await origin.expect_silence()
