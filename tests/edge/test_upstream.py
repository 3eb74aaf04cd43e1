"""Origin requests: target failover for handshakes and later messages, errors that stop it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from test_server import (
    GRIP,
    SIG_KEY,
    WAIT,
    Seen,
    echo_events,
    edge_running,
    origin_running,
    raw_client,
    read_answer,
    refusing_url,
    upgrade_request,
    woh,
    ws_url,
)
from yarl import URL

from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.pool import ConnectionPool
from liveqa.edge.upstream import (
    MAX_RESPONSE_BODY,
    OriginError,
    OriginUnreachable,
    Upstream,
)
from liveqa.grip import events as ev
from liveqa.grip.sig import verify_sig

OPEN_BODY = ev.encode_event(ev.WebSocketEvent(ev.OPEN))


# -- through a running edge -------------------------------------------------------------------


async def test_a_refusing_first_target_is_skipped_for_every_request() -> None:
    with refusing_url() as down:
        async with (
            origin_running() as origin,
            edge_running(down, origin.url) as edge,
            aiohttp.ClientSession() as client,
            client.ws_connect(ws_url(edge, "/live")) as ws,
        ):
            await ws.send_str("via the second")
            assert await ws.receive_str(timeout=WAIT) == "via the second"
            await ws.send_str("and again")
            assert await ws.receive_str(timeout=WAIT) == "and again"
            assert [seen.types for seen in origin.seen] == [[ev.OPEN], [ev.TEXT], [ev.TEXT]]
            assert len({seen.cid for seen in origin.seen}) == 1


async def test_later_messages_fail_over_when_the_first_target_goes_down() -> None:
    async with (
        origin_running() as first,
        origin_running() as second,
        edge_running(first.url, second.url) as edge,
        aiohttp.ClientSession() as client,
        client.ws_connect(ws_url(edge, "/live")) as ws,
    ):
        opened = await first.next_with(ev.OPEN)
        await first.stop()
        await ws.send_str("first is gone")
        assert await ws.receive_str(timeout=WAIT) == "first is gone"
        moved = await second.next()
        assert moved.cid == opened.cid
        assert moved.events == [ev.WebSocketEvent(ev.TEXT, b"first is gone")]
        assert second.seen == [moved]


async def test_all_targets_down_gives_502_and_nothing_more() -> None:
    with refusing_url() as first, refusing_url() as second:
        async with edge_running(first, second) as edge, raw_client(edge) as (reader, writer):
            writer.write(upgrade_request("/live"))
            answer = await read_answer(reader)
            assert answer.status == 502
            assert answer.headers["Content-Type"] == "text/plain"
            assert answer.body == b"Unable to connect to any targets\n"
            assert await asyncio.wait_for(reader.read(), WAIT) == b""
            # Nothing opened, so nothing is left to tell the origin (or to retry).
            await asyncio.sleep(0.2)
            assert edge.metrics.origin_requests_total == 1
            assert edge.metrics.handshakes_rejected_total == 1


# -- Upstream on its own ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def upstream(*targets: str, metrics: EdgeMetrics | None = None) -> AsyncIterator[Upstream]:
    pool = ConnectionPool()
    try:
        urls = [URL(target) for target in targets]
        yield Upstream(urls, pool, (SIG_KEY, "pushpin"), metrics or EdgeMetrics())
    finally:
        pool.close()


def woh_headers(path: str = "/ws") -> list[tuple[str, str]]:
    return [("Content-Type", ev.CONTENT_TYPE), ("Connection-Id", "c1"), ("X-Path", path)]


async def test_post_goes_to_the_first_target_that_accepts_a_connection() -> None:
    metrics = EdgeMetrics()
    with refusing_url() as down:
        async with origin_running() as origin, upstream(down, origin.url, metrics=metrics) as up:
            response = await up.post("/ws?x=1", woh_headers(), OPEN_BODY)
    assert response.status == 200
    assert response.headers["Content-Type"] == ev.CONTENT_TYPE
    assert ev.decode_events(response.body)[0].type == ev.OPEN
    assert [seen.path_qs for seen in origin.seen] == ["/ws?x=1"]
    assert (metrics.origin_requests_total, metrics.origin_errors_total) == (1, 0)
    assert b"liveqa_edge_origin_request_duration_seconds_count 1" in metrics.render()


async def test_post_raises_unreachable_when_no_target_accepts() -> None:
    metrics = EdgeMetrics()
    with refusing_url() as first, refusing_url() as second:
        async with upstream(first, second, metrics=metrics) as up:
            with pytest.raises(OriginUnreachable, match="any targets"):
                await up.post("/ws", woh_headers(), OPEN_BODY)
    assert metrics.origin_errors_total == 1


async def test_an_origin_that_was_reached_is_not_failed_over() -> None:
    async def hang_up(seen: Seen) -> web.StreamResponse:
        assert seen.request.transport is not None
        seen.request.transport.close()
        return web.Response()

    async with (
        origin_running(hang_up) as broken,
        origin_running() as spare,
        upstream(broken.url, spare.url) as up,
    ):
        with pytest.raises(OriginError):
            await up.post("/ws", woh_headers(), OPEN_BODY)
        assert len(broken.seen) == 1
        assert spare.seen == []


async def test_a_response_body_over_the_limit_is_an_error() -> None:
    async def huge(seen: Seen) -> web.StreamResponse:
        return web.Response(body=b"x" * (MAX_RESPONSE_BODY + 1), content_type=ev.CONTENT_TYPE)

    async with origin_running(huge) as origin, upstream(origin.url) as up:
        with pytest.raises(OriginError, match="over"):
            await up.post("/ws", woh_headers(), OPEN_BODY)


async def test_every_request_is_signed() -> None:
    async with origin_running() as origin, upstream(origin.url) as up:
        for _ in range(2):
            headers = woh_headers()
            up.sign(headers)
            await up.post("/ws", headers, OPEN_BODY)
    tokens = [seen.headers["Grip-Sig"] for seen in origin.seen]
    assert len(tokens) == 2
    for token in tokens:
        assert verify_sig(token, SIG_KEY, iss="pushpin")


# -- header bytes pass through unchanged ------------------------------------------------------

VALUES = ["caf\u00e9", "\U0001f600 smile", "plain"]


@pytest.mark.parametrize("value", VALUES)
async def test_origin_header_bytes_reach_the_client_unchanged(value: str) -> None:
    async def respond(seen: Seen) -> web.StreamResponse:
        if ev.OPEN in seen.types and seen.path_qs == "/reject":
            return web.Response(status=403, headers={"X-Name": value})
        return woh(*echo_events(seen), headers={**GRIP, "X-Name": value})

    async with origin_running(respond) as origin, edge_running(origin.url) as edge:
        for path, status in (("/live", b"101"), ("/reject", b"403")):
            async with raw_client(edge) as (reader, writer):
                writer.write(upgrade_request(path))
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
                assert head.split(b" ")[1] == status
                assert b"\r\nX-Name: " + value.encode() + b"\r\n" in head


@pytest.mark.parametrize("value", VALUES)
async def test_client_header_bytes_reach_the_origin_unchanged(value: str) -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live")[:-2] + b"X-Name: " + value.encode() + b"\r\n\r\n")
        assert (await read_answer(reader, body=False)).status == 101
        assert origin.seen[0].headers["X-Name"] == value


async def test_a_header_that_is_not_utf8_does_not_break_the_handshake() -> None:
    async with (
        origin_running() as origin,
        edge_running(origin.url) as edge,
        raw_client(edge) as (reader, writer),
    ):
        writer.write(upgrade_request("/live")[:-2] + b"X-Name: caf\xe9\r\n\r\n")
        assert (await read_answer(reader, body=False)).status == 101
        assert "X-Name" in origin.seen[0].headers


@contextlib.asynccontextmanager
async def hung_url() -> AsyncIterator[tuple[str, list[bytes]]]:
    """An origin that takes connections and requests but never answers, like one under SIGSTOP;
    with the bytes it was sent."""
    transports: list[asyncio.Transport] = []
    received: list[bytes] = []

    class Hung(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            transports.append(transport)

        def data_received(self, data: bytes) -> None:
            received.append(data)

    server = await asyncio.get_running_loop().create_server(Hung, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", received
    finally:
        server.close()
        for transport in transports:
            transport.abort()
        await server.wait_closed()


async def test_a_hung_target_fails_over_what_may_be_sent_twice_and_is_then_tried_last() -> None:
    async with (
        hung_url() as (hung, received),
        origin_running() as spare,
        upstream(hung, spare.url) as up,
    ):
        up.first_byte_timeouts = (0.2, 0.2)
        response = await up.post("/ws", woh_headers(), OPEN_BODY, idempotent=True)
        assert ev.decode_events(response.body)[0].type == ev.OPEN
        # Marked down: the next message goes straight to the spare, not to the hung one first.
        message = ev.encode_event(ev.WebSocketEvent(ev.TEXT, b"hi"))
        await up.post("/ws", woh_headers(), message)
        assert [seen.types for seen in spare.seen] == [[ev.OPEN], [ev.TEXT]]
        assert b"hi" not in b"".join(received)


async def test_a_message_left_unanswered_is_an_error_not_sent_again() -> None:
    async with (
        hung_url() as (hung, _),
        origin_running() as spare,
        upstream(hung, spare.url) as up,
    ):
        up.first_byte_timeouts = (5.0, 0.2)
        message = ev.encode_event(ev.WebSocketEvent(ev.TEXT, b"once"))
        with pytest.raises(OriginError, match=r"no answer in 0\.2 s"):
            await up.post("/ws", woh_headers(), message)
        assert spare.seen == []


async def test_the_last_target_is_waited_for() -> None:
    async def slow(seen: Seen) -> web.StreamResponse:
        await asyncio.sleep(0.5)
        return woh(*echo_events(seen), headers=GRIP)

    async with origin_running(slow) as origin, upstream(origin.url) as up:
        up.first_byte_timeouts = (0.1, 0.1)
        response = await up.post("/ws", woh_headers(), OPEN_BODY, idempotent=True)
    assert ev.decode_events(response.body)[0].type == ev.OPEN
