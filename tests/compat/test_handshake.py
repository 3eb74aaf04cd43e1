"""Opening handshake: what the origin sees on OPEN, what the client gets back, rejection, 502."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from support.ports import free_port

from .origin import GRIP, OriginRequest, Reply, Script, echo_reply
from .proxies import Proxy, run_proxy
from .rawclient import handshake

pytestmark = [pytest.mark.pushpin, pytest.mark.asyncio(loop_scope="package")]

CLIENT_HEADERS = [
    ("Cookie", "session=abc; theme=dark"),
    ("User-Agent", "compat-suite/1.0"),
    ("Sec-WebSocket-Protocol", "chat, superchat"),
    ("Meta-Foo", "forged-meta"),
    ("Grip-Foo", "forged-grip"),
    ("Connection-Id", "forged-connection-id"),
    ("X-Custom", "kept"),
    ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
]


async def test_open_request_carries_client_headers_and_grip(proxy: Proxy, origin: Script) -> None:
    async def respond(request: OriginRequest) -> Reply:
        reply = echo_reply(request)
        if ("OPEN", None) in request.events:
            reply.headers.update(
                {
                    "X-Origin-Extra": "hello",
                    "Sec-WebSocket-Protocol": "chat",
                    "Set-Meta-User": "alice",
                    "Keep-Alive-Interval": "30",
                }
            )
        return reply

    origin.respond = respond
    client = await handshake(proxy.http_port, origin.path + "?room=7&q=a%20b", CLIENT_HEADERS)
    try:
        request = await origin.next()
        assert client.status == 101
        assert client.headers["X-Origin-Extra"] == "hello"
        assert client.headers["Sec-WebSocket-Protocol"] == "chat"
        assert client.headers["Upgrade"].lower() == "websocket"
        for consumed in ("Content-Type", "Set-Meta-User", "Keep-Alive-Interval"):
            assert consumed not in client.headers
        # Neither the origin's `grip` nor the client's permessage-deflate is negotiated.
        assert "Sec-WebSocket-Extensions" not in client.headers
    finally:
        client.abort()

    assert request.method == "POST"
    assert request.path_qs == origin.path + "?room=7&q=a%20b"
    assert request.events == [("OPEN", None)]
    assert request.body == b"OPEN\r\n"
    headers = request.headers
    assert headers["Content-Type"] == "application/websocket-events"
    assert headers["Accept"] == "application/websocket-events"
    assert headers.getall("Sec-WebSocket-Extensions") == ["grip"]
    assert headers["Host"] == f"127.0.0.1:{proxy.http_port}"
    assert request.sig_valid
    assert str(uuid.UUID(headers["Connection-Id"])) == headers["Connection-Id"].lower()
    assert headers["Cookie"] == "session=abc; theme=dark"
    assert headers["User-Agent"] == "compat-suite/1.0"
    assert headers["X-Custom"] == "kept"
    assert headers["Sec-WebSocket-Protocol"] == "chat, superchat"
    assert "Meta-Foo" not in headers
    assert "Grip-Foo" not in headers
    assert headers.getall("Connection-Id") == [headers["Connection-Id"]]
    assert headers["Connection-Id"] != "forged-connection-id"
    assert "Upgrade" not in headers


async def test_connection_id_stable_per_connection_and_sig_fresh(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(proxy.ws_url(origin.path)) as first:
        opened = await origin.next()
        await first.send_str("one")
        assert await first.receive_str(timeout=5) == "one"
        await first.send_str("two")
        assert await first.receive_str(timeout=5) == "two"
        later = [await origin.next(), await origin.next()]
        async with http.ws_connect(proxy.ws_url(origin.path)) as second:
            other = await origin.next()
            await second.close()
    cid = opened.connection_id
    assert [request.connection_id for request in later] == [cid, cid]
    assert [request.texts() for request in later] == [[b"one"], [b"two"]]
    assert all(request.sig_valid for request in later)
    assert other.events == [("OPEN", None)]
    assert other.connection_id not in ("", cid)


async def test_rejection_passes_status_headers_and_body(proxy: Proxy, origin: Script) -> None:
    async def respond(request: OriginRequest) -> Reply:
        return Reply(
            status=403,
            headers={"X-Reject-Reason": "not-allowed"},
            body=b"go away\n",
            content_type="text/plain",
        )

    origin.respond = respond
    client = await handshake(proxy.http_port, origin.path)
    try:
        assert client.status == 403
        assert client.headers["X-Reject-Reason"] == "not-allowed"
        assert await client.read_body() == b"go away\n"
    finally:
        client.abort()
    request = await origin.next()
    assert request.events == [("OPEN", None)]


async def test_wrong_content_type_on_open_is_a_rejection(proxy: Proxy, origin: Script) -> None:
    async def respond(request: OriginRequest) -> Reply:
        # Pushpin compares the content type byte for byte: a charset suffix is not WOH.
        return Reply(
            events=[("OPEN", None)],
            headers=dict(GRIP),
            content_type="application/websocket-events; charset=utf-8",
        )

    origin.respond = respond
    client = await handshake(proxy.http_port, origin.path)
    try:
        assert client.status == 200
        assert await client.read_body() == b"OPEN\r\n"
    finally:
        client.abort()


async def test_origin_down_gives_502(proxy: Proxy) -> None:
    # Nothing listens on a port the kernel just handed out and took back.
    async with run_proxy(proxy.kind, origin_port=free_port(), origin_up=False) as dead:
        client = await handshake(dead.http_port, "/anything")
        try:
            assert client.status == 502
            # Pushpin (debug=true) says "Unable to connect to any targets. Tried: <target>".
            assert await client.read_body() != b""
        finally:
            client.abort()
