"""Client sockets against a running edge: handshakes, closing, size limits and slow readers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_server import (
    WAIT,
    Seen,
    client_frame,
    detaching,
    echo,
    edge_running,
    origin_running,
    publish,
    raw_client,
    read_answer,
    upgrade_request,
    wait_for,
    ws_url,
)

from liveqa.edge import connection as connection_module
from liveqa.edge import frames, protocol
from liveqa.edge.connection import ClientConnection
from liveqa.edge.relay import Relay
from liveqa.grip import events as ev
from support.frames import read_frame

CLOSE, TEXT = 0x8, 0x1


async def test_client_close_is_answered_once_then_the_socket_ends() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live"))
        assert (await read_answer(reader, body=False)).status == 101
        payload = struct.pack("!H", 4000) + b"client-bye"
        writer.write(client_frame(CLOSE, payload))
        assert await read_frame(reader) == (CLOSE, payload)
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        closed = await origin.next_with(ev.CLOSE)
        assert closed.events == [ev.WebSocketEvent(ev.CLOSE, payload)]
        await wait_for(lambda: not edge.connections, "the connection to end")


async def test_close_the_origin_does_not_answer_is_answered_by_the_edge() -> None:
    async def ignore_close(seen: Seen) -> web.StreamResponse:
        if ev.CLOSE in seen.types:
            return web.Response(body=b"", content_type=ev.CONTENT_TYPE)
        return await echo(seen)

    async with (
        origin_running(ignore_close) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live"))
        assert (await read_answer(reader, body=False)).status == 101
        writer.write(client_frame(CLOSE, struct.pack("!H", 4000)))
        assert await read_frame(reader) == (CLOSE, b"")
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        await origin.next_with(ev.CLOSE)


# -- malformed handshakes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "status", "mentions"),
    [
        ((("Sec-WebSocket-Key", "not-base64!"),), 400, "Sec-WebSocket-Key"),
        ((("Sec-WebSocket-Key", "c2hvcnQ="),), 400, "16 bytes"),
        ((("Sec-WebSocket-Version", "8"),), 426, "Sec-WebSocket-Version"),
        ((("Connection", "keep-alive"),), 400, "Connection: Upgrade"),
    ],
)
async def test_malformed_handshakes_get_a_text_error(
    extra: tuple[tuple[str, str], ...], status: int, mentions: str
) -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live", *extra))
        answer = await read_answer(reader)
        assert answer.status == status
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert mentions in answer.body.decode()
        if status == 426:
            assert answer.headers["Sec-WebSocket-Version"] == "13"
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        assert origin.seen == []
        assert edge.metrics.handshakes_rejected_total == 1


async def test_a_bad_handshake_does_not_hurt_other_clients() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/live")) as ws,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET /live HTTP/1.1\r\nUpgrade: websocket\r\n\x00\x01\r\n\r\n")
        assert (await read_answer(reader)).status == 400
        await ws.send_str("still here")
        assert await ws.receive_str(timeout=WAIT) == "still here"


async def test_a_head_this_parser_refuses_is_answered_here_and_never_upgraded() -> None:
    # aiohttp's parser takes the doubled space; handed on, this head became a WebSocket.
    head = upgrade_request("/live").replace(b"GET /live ", b"GET  /live ")
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(head)
        answer = await read_answer(reader)
        assert answer.status == 400
        assert answer.body == b"malformed request line\n"
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        assert origin.seen == []


async def dropped(reader: asyncio.StreamReader) -> bytes:
    """Everything the edge sends before it ends the connection (a reset counts as an end)."""
    try:
        return await asyncio.wait_for(reader.read(), WAIT)
    except ConnectionResetError:
        return b""


async def test_a_head_over_16_kib_is_not_upgraded() -> None:
    padding = [(f"X-Pad-{index}", "p" * 1000) for index in range(17)]
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live", *padding))
        answer = await dropped(reader)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")
        assert origin.seen == []
        assert not edge.connections


async def test_an_unfinished_head_over_16_kib_is_dropped() -> None:
    padding = [(f"X-Pad-{index}", "p" * 1000) for index in range(17)]
    async with (
        origin_running() as origin,
        edge_running(origin.url, head_timeout=0.2) as edge,
        raw_client(edge) as (reader, writer),
    ):
        # Everything but the blank line that would end the head.
        writer.write(upgrade_request("/live", *padding)[:-2])
        answer = await dropped(reader)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")
        assert origin.seen == []


async def test_a_head_that_never_ends_is_dropped() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url, head_timeout=0.2) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        assert await dropped(reader) == b""
        assert origin.seen == []


# -- frames over the size limit ---------------------------------------------------------------


async def test_a_message_over_the_limit_closes_that_client_with_1009() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url, max_message_size=1000) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/big")) as big,
        client.ws_connect(ws_url(edge, "/small")) as small,
    ):
        big_cid = (await origin.next_with(ev.OPEN)).cid
        await origin.next_with(ev.OPEN)
        await big.send_str("x" * 1001)
        message = await big.receive(timeout=WAIT)
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert message.data == 1009
        gone = await origin.next_with(ev.DISCONNECT)
        assert gone.cid == big_cid
        assert edge.metrics.oversize_closed_total == 1
        await small.send_str("y" * 1000)
        assert await small.receive_str(timeout=WAIT) == "y" * 1000


async def test_fragments_adding_up_over_the_limit_close_with_1009() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url, max_message_size=1000) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live"))
        assert (await read_answer(reader, body=False)).status == 101
        cid = (await origin.next_with(ev.OPEN)).cid
        writer.write(unfinished(TEXT, b"a" * 600))
        writer.write(client_frame(0x0, b"b" * 600))
        opcode, payload = await read_frame(reader)
        assert (opcode, payload[:2]) == (CLOSE, struct.pack("!H", 1009))
        assert (await origin.next_with(ev.DISCONNECT)).cid == cid


def unfinished(opcode: int, payload: bytes) -> bytes:
    """A client frame with more of its message to follow."""
    frame = client_frame(opcode, payload)
    return bytes((frame[0] & 0x7F,)) + frame[1:]


async def test_a_protocol_error_ends_the_socket_without_waiting_for_a_close_reply() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live"))
        assert (await read_answer(reader, body=False)).status == 101
        cid = (await origin.next_with(ev.OPEN)).cid
        # Unmasked, then frames the edge must not read any more.
        writer.write(bytes((0x81, 0x02)) + b"hi" + client_frame(TEXT, b"after") * 100)
        opcode, payload = await read_frame(reader)
        assert (opcode, payload[:2]) == (CLOSE, struct.pack("!H", 1002))
        assert b"masked" in payload
        # Well before the 5 s a close handshake may take.
        assert await asyncio.wait_for(dropped(reader), 1.0) == b""
        gone = await origin.next_with(ev.DISCONNECT)
        assert (gone.cid, gone.types) == (cid, [ev.DISCONNECT])


async def test_a_message_in_too_many_frames_is_closed_with_1008() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live"))
        assert (await read_answer(reader, body=False)).status == 101
        await origin.next_with(ev.OPEN)
        writer.write(unfinished(TEXT, b"") + unfinished(0x0, b"") * frames.MAX_FRAGMENTS)
        opcode, payload = await read_frame(reader)
        assert (opcode, payload[:2]) == (CLOSE, struct.pack("!H", 1008))
        assert f"more than {frames.MAX_FRAGMENTS} frames".encode() in payload
        await origin.next_with(ev.DISCONNECT)


def recording_connections(monkeypatch: pytest.MonkeyPatch) -> list[ClientConnection]:
    """The connections whose handshake reaches the origin, as they do."""
    made: list[ClientConnection] = []

    def relay(conn: ClientConnection, *args: Any) -> Relay:
        made.append(conn)
        return Relay(conn, *args)

    monkeypatch.setattr(connection_module, "Relay", relay)
    return made


async def test_a_client_sending_before_the_accept_is_not_read_past_the_early_data_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = recording_connections(monkeypatch)
    accept = asyncio.Event()

    async def slow_open(seen: Seen) -> web.StreamResponse:
        if ev.OPEN in seen.types:
            await accept.wait()
        return await echo(seen)

    messages = [b"%04d" % n + b"e" * 996 for n in range(300)]
    async with (
        origin_running(slow_open) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/early"))
        writer.write(b"".join(client_frame(TEXT, message) for message in messages))
        await wait_for(lambda: bool(made), "the handshake to reach the origin")
        transport = made[0].transport
        assert transport is not None
        await wait_for(lambda: not transport.is_reading(), "the edge to stop reading")
        await asyncio.sleep(0.1)
        assert not transport.is_reading()
        accept.set()
        assert (await read_answer(reader, body=False)).status == 101
        received: list[bytes] = []
        while len(received) < len(messages):
            seen = await origin.next()
            received += [event.content or b"" for event in seen.events if event.type == ev.TEXT]
        assert received == messages
        assert [await read_frame(reader) for _ in messages] == [
            (TEXT, message) for message in messages
        ]
        assert transport.is_reading()


async def test_frames_past_a_turns_share_are_read_on_later_turns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connection_module, "FRAMES_PER_TURN", 3)
    release = asyncio.Event()

    async def holding(seen: Seen) -> web.StreamResponse:
        # No answer, so nothing but the next turn makes the edge read on.
        if ev.TEXT in seen.types:
            await release.wait()
        return await echo(seen)

    messages = [b"turn %d" % n for n in range(20)]
    async with (
        origin_running(holding) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/turns"))
        assert (await read_answer(reader, body=False)).status == 101
        await origin.next_with(ev.OPEN)
        writer.write(
            b"".join(client_frame(TEXT, message) for message in messages)
            + unfinished(TEXT, b"in ")
            + client_frame(0x0, b"pieces")
        )
        expected = [*messages, b"in pieces"]
        await origin.next_with(ev.TEXT)
        (connection,) = edge.connections
        relay = connection.relay
        assert relay is not None
        queued = sum(len(ev.encode_event(ev.WebSocketEvent(ev.TEXT, m))) for m in expected)
        await wait_for(lambda: relay.backlog == queued, "every message to be read")
        release.set()
        assert [await read_frame(reader) for _ in expected] == [(TEXT, m) for m in expected]


# -- slow readers -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def never_reading(port: int, path: str) -> AsyncIterator[socket.socket]:
    """A WebSocket client that completes its handshake, then never reads again."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(sock, upgrade_request(path))
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 1), WAIT)
            assert chunk, "the edge closed the connection during the handshake"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101")
        yield sock


async def test_a_client_that_does_not_read_is_closed_and_the_others_get_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(protocol, "CLOSE_TIMEOUT", 0.2)
    # 6 MB: more than the kernel's largest send buffer (tcp_wmem, 4 MiB by default) can absorb.
    contents = [f"{index:04d}" + "m" * 60_000 for index in range(100)]
    async with (
        origin_running() as origin,
        edge_running(origin.url, max_client_buffer=64 * 1024) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/fast?channel=news"), max_msg_size=0) as fast,
    ):
        fast_cid = (await origin.next_with(ev.OPEN)).cid
        async with never_reading(edge.port, "/slow?channel=news"):
            slow_cid = (await origin.next_with(ev.OPEN)).cid
            await wait_for(lambda: edge.metrics.subscriptions == 2, "both subscriptions")

            async def read_all() -> list[str]:
                return [await fast.receive_str(timeout=WAIT) for _ in contents]

            reading = asyncio.ensure_future(read_all())
            for start in range(0, len(contents), 10):
                assert await publish(client, edge, "news", *contents[start : start + 10]) == 200
            assert await reading == contents
            assert edge.metrics.slow_closed_total == 1
            metrics_url = f"http://127.0.0.1:{edge.publish_port}/metrics"
            async with client.get(metrics_url) as response:
                assert "\nliveqa_edge_slow_closed_total 1\n" in await response.text()
            gone = await origin.next_with(ev.DISCONNECT)
            assert gone.cid == slow_cid
            await wait_for(lambda: len(edge.connections) == 1, "the slow client to be dropped")
        assert edge.metrics.subscriptions == 1
        await fast.send_str("after")
        assert await fast.receive_str(timeout=WAIT) == "after"
        assert fast_cid not in {seen.cid for seen in origin.seen if ev.DISCONNECT in seen.types}


async def test_pings_the_edge_answers_to_a_client_that_does_not_read_close_it_with_1013(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(protocol, "CLOSE_TIMEOUT", 0.2)
    async with (
        origin_running(detaching) as origin,
        edge_running(origin.url, max_client_buffer=64 * 1024) as edge,
        never_reading(edge.port, "/detach") as sock,
    ):
        await origin.next_with(ev.OPEN)
        # Detached: the edge answers pings itself. 8 MB of pings, 3.4 MB of pongs nobody reads.
        pings = client_frame(0x9, b"p") * ((8 << 20) // 7)
        loop = asyncio.get_running_loop()
        # The edge closes the client long before it has read them all; on a busy machine the
        # send may also still be going when WAIT is up: what it sent is enough either way.
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(loop.sock_sendall(sock, pings), WAIT)
        await wait_for(lambda: edge.metrics.slow_closed_total == 1, "the client to be closed")
        await wait_for(lambda: not edge.connections, "the client to be dropped")


async def test_an_origin_rejection_reaches_the_client_and_nothing_follows() -> None:
    async def reject(seen: Seen) -> web.StreamResponse:
        return web.Response(status=403, text="no entry\n", headers={"X-Why": "test"})

    async with (
        origin_running(reject) as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live"))
        answer = await read_answer(reader)
        assert (answer.status, answer.body) == (403, b"no entry\n")
        assert answer.headers["X-Why"] == "test"
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        await origin.next_with(ev.OPEN)
        # The connection never opened, so the origin hears nothing more about it.
        await origin.silence()


@pytest.mark.parametrize(
    "form",
    ["@127.0.0.1:{port}/steal", "http://127.0.0.1:{port}/steal", "/a\x00b", "/?\x01", "/a\x7f"],
)
async def test_a_request_target_that_is_not_a_path_never_reaches_any_host(form: str) -> None:
    async with (
        origin_running() as origin,
        origin_running() as elsewhere,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        head = upgrade_request("/live").replace(b"/live", form.format(port=elsewhere.port).encode())
        writer.write(head)
        answer = await read_answer(reader)
        assert answer.status == 400
        assert b"path" in answer.body
        assert origin.seen == elsewhere.seen == []


async def test_an_absolute_target_after_a_plain_request_is_refused_too() -> None:
    async with (
        origin_running() as origin,
        origin_running() as elsewhere,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(b"GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await read_answer(reader, body=False)
        target = f"http://127.0.0.1:{elsewhere.port}/steal"
        writer.write(upgrade_request("/live").replace(b"/live", target.encode()))
        answer = await read_answer(reader, body=False)
        assert answer.status == 400
        assert [seen.method for seen in origin.seen] == ["GET"]
        assert elsewhere.seen == []


async def test_a_handshake_off_the_websocket_paths_never_reaches_the_origin() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url, websocket_paths=("/api/websocket",)) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/api/rooms/R/host-key", ("Cookie", "session=s")))
        answer = await read_answer(reader)
        assert answer.status == 404
        assert answer.body == (
            b"no WebSocket at /api/rooms/R/host-key: "
            b"WebSocket handshakes are served on /api/websocket\n"
        )
        assert origin.seen == []
        assert edge.metrics.handshakes_rejected_total == 1


async def test_a_cross_site_handshake_never_reaches_the_origin() -> None:
    allowed = ("https://app.example.org",)
    async with (
        origin_running() as origin,
        edge_running(origin.url, allowed_origins=allowed) as edge,
        aiohttp.ClientSession() as client,
    ):
        url = ws_url(edge, "/live")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(url, origin="http://127.0.0.1:1")
        assert refused.value.status == 403
        assert origin.seen == []
        assert (edge.metrics.refused_origins_total, edge.metrics.handshakes_rejected_total) == (
            1,
            1,
        )
        own = f"http://127.0.0.1:{edge.port}"
        for origin_header in (own, "https://app.example.org", None):
            ws = await client.ws_connect(url, origin=origin_header)
            await ws.close()
        assert sum(ev.OPEN in seen.types for seen in origin.seen) == 3
