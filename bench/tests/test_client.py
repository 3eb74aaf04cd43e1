"""Tests for the raw-protocol benchmark client, against a small aiohttp WebSocket server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from liveqa_bench.client import CLOSED, OPEN, Client
from liveqa_bench.client_handshake import HandshakeError, accept_value, new_key, upgrade_request
from liveqa_bench.header import MEASURED, encode_message
from liveqa_bench.tally import Tally, latency_array

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(handler: Handler) -> TestServer:
    app = web.Application()
    app.router.add_get("/ws", handler)
    server = TestServer(app)
    await server.start_server()
    return server


@pytest.fixture
async def make_server() -> AsyncIterator[Callable[[Handler], Awaitable[TestServer]]]:
    servers: list[TestServer] = []

    async def make(handler: Handler) -> TestServer:
        server = await serve(handler)
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.close()


async def open_client(server: TestServer) -> Client:
    loop = asyncio.get_running_loop()
    key = new_key()
    assert server.port is not None
    request = upgrade_request(f"127.0.0.1:{server.port}", "/ws", key)
    client = Client(request, accept_value(key), Tally(latency_array(), expected=3), loop)
    await loop.create_connection(lambda: client, "127.0.0.1", server.port)
    await asyncio.wait_for(client.opened, 5)
    return client


async def test_receives_answers_pings_sends_and_notes_a_proxy_close(
    make_server: Callable[[Handler], Awaitable[TestServer]],
) -> None:
    seen: list[tuple[WSMsgType, bytes | str]] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        for seq in range(3):
            await ws.send_str(encode_message(MEASURED, 0, seq, 0, 200).decode())
        await ws.ping(b"hi")
        for _ in range(3):
            message = await ws.receive()
            seen.append((message.type, message.data))
        await ws.close(code=4001, message=b"bye")
        return ws

    client = await open_client(await make_server(handler))
    client.send([b"one", b"two"])
    await asyncio.wait_for(client.closed, 5)
    assert client.tally.received == 3
    assert seen == [(WSMsgType.PONG, b"hi"), (WSMsgType.TEXT, "one"), (WSMsgType.TEXT, "two")]
    assert client.dropped
    assert client.close_code == 4001
    assert client.state == CLOSED


async def test_our_close_is_not_a_drop(
    make_server: Callable[[Handler], Awaitable[TestServer]],
) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    client = await open_client(await make_server(handler))
    assert client.state == OPEN
    client.close()
    await asyncio.wait_for(client.closed, 5)
    assert not client.dropped


async def test_a_refused_upgrade_fails_the_handshake(
    make_server: Callable[[Handler], Awaitable[TestServer]],
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=502, text="no")

    with pytest.raises(HandshakeError, match="http 502"):
        await open_client(await make_server(handler))


async def test_a_frame_error_drops_the_connection(
    make_server: Callable[[Handler], Awaitable[TestServer]],
) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        assert request.transport is not None
        request.transport.write(b"\x83\x00")  # opcode 3 is reserved
        await asyncio.sleep(5)
        return ws

    client = await open_client(await make_server(handler))
    await asyncio.wait_for(client.closed, 5)
    assert client.dropped
    assert client.error is not None
    assert "unknown opcode" in client.error
