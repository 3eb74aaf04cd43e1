from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer, TestClient, TestServer
from multidict import CIMultiDict
from yarl import URL

from liveqa.edge.addresses import AddressLimit
from liveqa.edge.cache import ResponseCache
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.proxy import (
    BAD_GATEWAY,
    GATEWAY_TIMEOUT,
    NOT_A_PATH,
    origin_session,
    proxy_handler,
)
from support.ports import free_port

BIG = 5 * 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Origin:
    """A scripted origin that records what reaches it."""

    def __init__(self) -> None:
        self.hits = 0
        self.release = asyncio.Event()
        self.got_first = asyncio.Event()
        self.url = URL()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=2 * BIG)
        app.router.add_route("*", "/echo{tail:.*}", self.echo)
        app.router.add_get("/cached", self.cached)
        app.router.add_get("/stream", self.stream)
        app.router.add_post("/upload", self.upload)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/big", self.big)
        app.router.add_get("/broken", self.broken)
        app.router.add_get("/hop", self.hop)
        app.router.add_get("/gzip", self.gzipped)
        app.router.add_get("/status/{code}", self.status)
        return app

    async def echo(self, request: web.Request) -> web.Response:
        self.hits += 1
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path_qs": request.raw_path,
                "headers": [[k, v] for k, v in request.headers.items()],
                "body_sha": hashlib.sha256(body).hexdigest(),
                "body_len": len(body),
            }
        )

    async def cached(self, request: web.Request) -> web.Response:
        self.hits += 1
        headers = {"Cache-Control": request.query.get("cc", "public, max-age=60")}
        if "vary" in request.query:
            headers["Vary"] = request.query["vary"]
        if "cookie" in request.query:
            headers["Set-Cookie"] = "session=secret"
        if "age" in request.query:
            headers["Age"] = request.query["age"]
        size = int(request.query.get("size", "0"))
        language = request.headers.get("Accept-Language", "")
        text = f"hit {self.hits} {language}".ljust(size, ".")
        return web.Response(text=text, headers=headers)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"first")
        await self.release.wait()
        await response.write(b"second")
        await response.write_eof()
        return response

    async def upload(self, request: web.Request) -> web.Response:
        first = await request.content.readany()
        self.got_first.set()
        rest = await request.content.read()
        return web.json_response({"first": len(first), "total": len(first) + len(rest)})

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def big(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        block = bytes(range(256)) * 256
        for _ in range(BIG // len(block)):
            await response.write(block)
        await response.write_eof()
        return response

    async def broken(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 100
        await response.prepare(request)
        await response.write(b"0123456789")
        assert request.transport is not None
        request.transport.close()
        return response

    async def hop(self, request: web.Request) -> web.Response:
        headers = [
            ("Connection", "X-Hop"),
            ("X-Hop", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authenticate", "Basic"),
            ("Trailer", "X-Checksum"),
            ("Grip-Hold", "stream"),
            ("Grip-Channel", "room"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("X-Kept", "yes"),
        ]
        return web.Response(text="hop", headers=CIMultiDict(headers))

    async def gzipped(self, request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b"squeezed"),
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        return web.Response(status=code, text=f"status {code}")


def dead_target() -> URL:
    return URL(f"http://127.0.0.1:{free_port()}")


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    state = Origin()
    server = TestServer(state.app())
    await server.start_server()
    state.url = server.make_url("")
    yield state
    state.release.set()
    await server.close()


@contextlib.asynccontextmanager
async def running_proxy(
    targets: list[URL],
    cache: ResponseCache | None = None,
    metrics: EdgeMetrics | None = None,
    **options: Any,
) -> AsyncIterator[TestClient[web.BaseRequest, None]]:
    async with origin_session() as session:
        cache = ResponseCache() if cache is None else cache
        metrics = EdgeMetrics() if metrics is None else metrics
        handler = proxy_handler(targets, session, cache, metrics, **options)
        client: TestClient[web.BaseRequest, None] = TestClient(RawTestServer(handler))
        async with client:
            yield client


async def echo(response: aiohttp.ClientResponse) -> dict[str, object]:
    assert response.status == 200
    data: dict[str, object] = await response.json()
    return data


def header_values(data: dict[str, object], name: str) -> list[str]:
    headers = data["headers"]
    assert isinstance(headers, list)
    return [v for k, v in headers if k.lower() == name.lower()]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_methods_path_query_and_body_pass_through(origin: Origin, method: str) -> None:
    async with running_proxy([origin.url]) as client:
        body = b"payload" if method not in ("GET", "OPTIONS") else None
        # Built encoded so that the client sends the target exactly as written.
        url = URL(f"{client.make_url('/echo')}/a%20b?x=1&y=%2F&z=%41", encoded=True)
        async with client.session.request(method, url, data=body) as response:
            data = await echo(response)
    assert data["method"] == method
    assert data["path_qs"] == "/echo/a%20b?x=1&y=%2F&z=%41"
    assert data["body_len"] == (len(body) if body else 0)


async def test_head_keeps_content_length_without_body(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.head("/status/200")
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len("status 200"))
        assert await response.read() == b""


@pytest.mark.parametrize("code", [201, 204, 404, 500])
async def test_status_codes_pass_through(origin: Origin, code: int) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get(f"/status/{code}")
        assert response.status == code
        assert await response.read() == (b"" if code == 204 else f"status {code}".encode())


async def test_forwarded_headers_host_and_grip_stripping(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get(
            "/echo",
            headers={
                "Host": "board.example:8443",
                "X-Forwarded-For": "203.0.113.7",
                "X-Forwarded-Proto": "https",
                "Grip-Sig": "forged",
                "Grip-Last": "room; last-id=1",
                "X-Custom": "kept",
            },
        )
        data = await echo(response)
    assert header_values(data, "Host") == ["board.example:8443"]
    assert header_values(data, "X-Forwarded-For") == ["203.0.113.7, 127.0.0.1"]
    assert header_values(data, "X-Forwarded-Proto") == ["http"]
    assert header_values(data, "Grip-Sig") == []
    assert header_values(data, "Grip-Last") == []
    assert header_values(data, "X-Custom") == ["kept"]


async def test_x_forwarded_for_is_created_and_appended_to_every_value(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        data = await echo(await client.get("/echo"))
        assert header_values(data, "X-Forwarded-For") == ["127.0.0.1"]
        response = await client.get(
            "/echo", headers=[("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2")]
        )
        data = await echo(response)
    assert header_values(data, "X-Forwarded-For") == ["10.0.0.1, 10.0.0.2, 127.0.0.1"]


async def test_hop_by_hop_request_headers_are_removed(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.post(
            "/echo",
            data=b"x",
            headers={
                "Connection": "keep-alive, X-Drop-Me",
                "X-Drop-Me": "1",
                "Keep-Alive": "300",
                "TE": "trailers",
                "Trailer": "X-Checksum",
                "Proxy-Authorization": "Basic eDp5",
                "Proxy-Connection": "keep-alive",
                "X-Keep": "1",
            },
        )
        data = await echo(response)
    for name in ("X-Drop-Me", "Keep-Alive", "TE", "Trailer", "Proxy-Authorization"):
        assert header_values(data, name) == [], name
    assert header_values(data, "Proxy-Connection") == []
    assert header_values(data, "X-Keep") == ["1"]
    assert "keep-alive, X-Drop-Me" not in header_values(data, "Connection")


async def test_no_headers_are_added_that_the_client_did_not_send(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get("/echo", skip_auto_headers=["Accept-Encoding", "User-Agent"])
        data = await echo(response)
    assert header_values(data, "Accept-Encoding") == []
    assert header_values(data, "User-Agent") == []


async def test_hop_by_hop_and_grip_response_headers_are_removed(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get("/hop")
        assert await response.text() == "hop"
        headers = response.headers
    for name in (
        "X-Hop",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Trailer",
        "Grip-Hold",
        "Grip-Channel",
    ):
        assert name not in headers, name
    assert headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert headers["X-Kept"] == "yes"


async def test_compressed_bodies_pass_through_untouched(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get("/gzip", auto_decompress=False)
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await response.read()) == b"squeezed"


async def test_response_body_is_streamed(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get("/stream")
        async with asyncio.timeout(5):
            assert await response.content.readexactly(5) == b"first"
        origin.release.set()
        async with asyncio.timeout(5):
            assert await response.read() == b"second"


async def test_the_request_body_is_read_whole_before_the_origin_is_asked(origin: Origin) -> None:
    # A client trickling its body holds no origin connection.
    sent_first, go_on = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"a" * 1000
        sent_first.set()
        await go_on.wait()
        yield b"b" * 1000

    async with running_proxy([origin.url]) as client:
        async with asyncio.timeout(5):
            posting = asyncio.ensure_future(client.post("/upload", data=body()))
            await sent_first.wait()
            await asyncio.sleep(0.2)
            assert not origin.got_first.is_set()
            go_on.set()
            data = await (await posting).json()
    assert data == {"first": 2000, "total": 2000}


async def test_large_bodies_pass_through_intact(origin: Origin) -> None:
    payload = bytes(range(256)) * (BIG // 256)
    async with running_proxy([origin.url], max_body=BIG) as client:
        data = await echo(await client.put("/echo", data=io.BytesIO(payload)))
        assert data["body_len"] == BIG
        assert data["body_sha"] == hashlib.sha256(payload).hexdigest()
        response = await client.get("/big")
        assert await response.read() == payload


async def test_expect_100_continue_is_answered_by_the_proxy(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        assert client.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        head = (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        writer.write(head)
        async with asyncio.timeout(5):
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(b"body")
            status, _, rest = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in rest.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            data = json.loads(await reader.readexactly(length))
        writer.close()
        await writer.wait_closed()
    assert status == b"HTTP/1.1 200 OK"
    assert data["body_len"] == 4
    assert header_values(data, "Expect") == []


async def test_failover_to_the_next_target_on_connect_error(origin: Origin) -> None:
    metrics = EdgeMetrics()
    async with running_proxy([dead_target(), origin.url], metrics=metrics) as client:
        data = await echo(await client.post("/echo", data=b"body"))
    assert data["body_len"] == 4
    assert metrics.origin_requests_total == 2
    assert metrics.origin_errors_total == 0


async def test_no_target_reachable_gives_502() -> None:
    metrics = EdgeMetrics()
    async with running_proxy([dead_target(), dead_target()], metrics=metrics) as client:
        response = await client.get("/anything")
        assert response.status == 502
        assert await response.text() == BAD_GATEWAY
    assert metrics.origin_errors_total == 1


async def test_origin_dropping_the_request_gives_502_without_failover(origin: Origin) -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with running_proxy([URL(f"http://127.0.0.1:{port}"), origin.url]) as client:
            response = await client.post("/echo", data=b"maybe processed")
            assert response.status == 502
    finally:
        server.close()
        await server.wait_closed()
    assert origin.hits == 0  # the first target was reached: retrying could repeat the request


async def test_origin_timeout_gives_504(origin: Origin) -> None:
    async with running_proxy([origin.url], response_timeout=0.2) as client:
        response = await client.get("/slow")
        assert response.status == 504
        assert await response.text() == GATEWAY_TIMEOUT


async def test_body_broken_off_by_the_origin_is_not_completed(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        response = await client.get("/broken")
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_session_with_a_cookie_jar_is_refused(origin: Origin) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="cookies"):
            proxy_handler([origin.url], session, ResponseCache(), EdgeMetrics())
    async with origin_session() as session:
        with pytest.raises(ValueError, match="target"):
            proxy_handler([], session, ResponseCache(), EdgeMetrics())


async def test_public_responses_are_cached_with_age(origin: Origin) -> None:
    clock = Clock()
    metrics = EdgeMetrics()
    async with running_proxy([origin.url], ResponseCache(clock=clock), metrics) as client:
        first = await client.get("/cached")
        assert await first.text() == "hit 1 "
        assert "Age" not in first.headers
        clock.now += 12.5
        second = await client.get("/cached")
        assert await second.text() == "hit 1 "
        assert second.headers["Age"] == "12"
        assert second.headers["Cache-Control"] == "public, max-age=60"
        assert second.headers["Content-Length"] == "6"
    assert origin.hits == 1
    assert metrics.cache_hits_total == 1
    assert metrics.cache_stores_total == 1
    assert metrics.cache_bytes > 0


async def test_cached_entries_expire(origin: Origin) -> None:
    clock = Clock()
    async with running_proxy([origin.url], ResponseCache(clock=clock)) as client:
        assert await (await client.get("/cached?cc=public,max-age=10")).text() == "hit 1 "
        clock.now += 9
        assert await (await client.get("/cached?cc=public,max-age=10")).text() == "hit 1 "
        clock.now += 1
        assert await (await client.get("/cached?cc=public,max-age=10")).text() == "hit 2 "
    assert origin.hits == 2


async def test_origin_age_shortens_freshness(origin: Origin) -> None:
    clock = Clock()
    async with running_proxy([origin.url], ResponseCache(clock=clock)) as client:
        await client.get("/cached?age=55")
        clock.now += 4
        response = await client.get("/cached?age=55")
        assert response.headers["Age"] == "59"
        clock.now += 1
        assert await (await client.get("/cached?age=55")).text() == "hit 2 "


@pytest.mark.parametrize(
    "query",
    [
        "cc=private,max-age=60",
        "cc=max-age=60",
        "cc=public",
        "cc=public,no-store,max-age=60",
        "cc=public,max-age=0",
        "cookie=1",
        "vary=*",
    ],
)
async def test_responses_that_must_not_be_shared_are_not_cached(origin: Origin, query: str) -> None:
    async with running_proxy([origin.url]) as client:
        assert await (await client.get(f"/cached?{query}")).text() == "hit 1 "
        assert await (await client.get(f"/cached?{query}")).text() == "hit 2 "


async def test_only_successful_gets_are_cached(origin: Origin) -> None:
    cache = ResponseCache()
    async with running_proxy([origin.url], cache) as client:
        await client.get("/status/404")
        await client.post("/echo", data=b"x")
        await client.head("/cached")
    assert len(cache) == 0


async def test_request_no_cache_goes_to_the_origin_and_refreshes(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        assert await (await client.get("/cached")).text() == "hit 1 "
        fresh = await client.get("/cached", headers={"Cache-Control": "no-cache"})
        assert await fresh.text() == "hit 2 "
        assert await (await client.get("/cached")).text() == "hit 2 "
        await client.get("/cached", headers={"Pragma": "no-cache"})
    assert origin.hits == 3


async def test_request_no_store_is_not_kept(origin: Origin) -> None:
    cache = ResponseCache()
    async with running_proxy([origin.url], cache) as client:
        await client.get("/cached", headers={"Cache-Control": "no-store"})
    assert len(cache) == 0


async def test_vary_serves_each_variant_its_own_response(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:

        async def get(language: str) -> str:
            response = await client.get(
                "/cached?vary=Accept-Language", headers={"Accept-Language": language}
            )
            return await response.text()

        assert await get("en") == "hit 1 en"
        assert await get("fr") == "hit 2 fr"
        assert await get("en") == "hit 1 en"
        assert await get("fr") == "hit 2 fr"
    assert origin.hits == 2


async def test_host_is_part_of_the_key(origin: Origin) -> None:
    async with running_proxy([origin.url]) as client:
        assert await (await client.get("/cached", headers={"Host": "a.test"})).text() == "hit 1 "
        assert await (await client.get("/cached", headers={"Host": "b.test"})).text() == "hit 2 "
        assert await (await client.get("/cached", headers={"Host": "a.test"})).text() == "hit 1 "


async def test_bodies_over_the_entry_limit_are_streamed_but_not_kept(origin: Origin) -> None:
    cache = ResponseCache(max_entry_bytes=100)
    async with running_proxy([origin.url], cache) as client:
        assert len(await (await client.get("/cached?size=101")).read()) == 101
        assert len(await (await client.get("/cached?size=100")).read()) == 100
    assert len(cache) == 1


async def test_least_recently_used_response_is_evicted(origin: Origin) -> None:
    probe = ResponseCache()
    async with running_proxy([origin.url], probe) as client:
        await client.get("/cached?size=1000&x=0")
    cache = ResponseCache(max_bytes=probe.size * 2)
    origin.hits = 0
    async with running_proxy([origin.url], cache) as client:
        for x in (1, 2, 1, 3):
            await client.get(f"/cached?size=1000&x={x}")
        assert origin.hits == 3
        await client.get("/cached?size=1000&x=2")  # evicted by 3 after 1 was used again
        assert origin.hits == 4
        await client.get("/cached?size=1000&x=3")
        assert origin.hits == 4


async def raw_answer(port: int, data: bytes, then: bytes = b"") -> tuple[bytes, bytes]:
    """Send `data` (and shortly after `then`): the status line, and everything after the head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        if then:
            await asyncio.sleep(0.1)
            writer.write(then)
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
            rest = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return head.split(b"\r\n")[0], rest


@pytest.mark.parametrize(
    "line", [b"OPTIONS *", b"GET http://127.0.0.1:1/echo", b"CONNECT 127.0.0.1:22"]
)
async def test_a_target_that_is_not_a_path_gets_400(origin: Origin, line: bytes) -> None:
    async with running_proxy([origin.url]) as client:
        assert client.port is not None
        data = line + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        status, body = await raw_answer(client.port, data)
    assert (status, body) == (b"HTTP/1.1 400 Bad Request", NOT_A_PATH.encode())
    assert origin.hits == 0


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 11\r\n\r\n0123456789a",
        b"Transfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n",
    ],
)
async def test_a_body_over_the_limit_gets_413_and_never_reaches_the_origin(
    origin: Origin, framing: bytes
) -> None:
    async with running_proxy([origin.url], max_body=10) as client:
        assert client.port is not None
        status, body = await raw_answer(
            client.port, b"POST /echo HTTP/1.1\r\nHost: x\r\n" + framing
        )
        data = await echo(await client.post("/echo", data=b"0123456789"))
    assert (status, body) == (
        b"HTTP/1.1 413 Request Entity Too Large",
        b"The request body is over 10 bytes.\n",
    )
    assert (data["body_len"], origin.hits) == (10, 1)


async def test_a_body_not_sent_in_time_gets_408_and_the_connection_ends(origin: Origin) -> None:
    metrics = EdgeMetrics()
    async with running_proxy([origin.url], metrics=metrics, body_timeout=0.3) as client:
        assert client.port is not None
        head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        status, body = await raw_answer(client.port, head + b"01234")
    assert (status, body) == (
        b"HTTP/1.1 408 Request Timeout",
        b"The request body took over 0.3 s.\n",
    )
    assert (origin.hits, metrics.body_timeouts_total, metrics.origin_requests_total) == (0, 1, 0)


async def test_a_malformed_chunked_body_never_reaches_the_origin(origin: Origin) -> None:
    # aiohttp's parser stops at the bad chunk without telling the body's reader: the deadline does.
    async with running_proxy([origin.url], body_timeout=0.3) as client:
        assert client.port is not None
        head = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        status, _ = await raw_answer(client.port, head + b"2\r\nab\r\n", b"zz\r\nab\r\n")
    assert status == b"HTTP/1.1 408 Request Timeout"
    assert origin.hits == 0


def behind(address: str) -> dict[str, str]:
    """Headers of a client the trusted proxy says is at `address`."""
    return {"X-Forwarded-For": f"10.9.9.9, {address}"}


async def test_requests_in_progress_per_address_are_limited(origin: Origin) -> None:
    metrics, limit = EdgeMetrics(), AddressLimit(1)
    options: dict[str, Any] = {"requests": limit, "trust_forwarded_for": True}
    async with running_proxy([origin.url], metrics=metrics, **options) as client:
        streaming = await client.get("/stream", headers=behind("203.0.113.7"))
        assert await streaming.content.readexactly(5) == b"first"
        refused = await client.get("/echo", headers=behind("203.0.113.7"))
        assert (refused.status, refused.headers["Retry-After"]) == (429, "1")
        assert await refused.text() == "Too many requests from your address at once: at most 1.\n"
        await echo(await client.get("/echo", headers=behind("198.51.100.4")))
        await echo(await client.get("/echo"))  # loopback, not counted
        origin.release.set()
        assert await streaming.read() == b"second"
        await echo(await client.get("/echo", headers=behind("203.0.113.7")))
    assert (metrics.requests_limited_total, limit.open) == (1, {})


async def test_an_untrusted_forwarded_for_does_not_count(origin: Origin) -> None:
    limit = AddressLimit(1)
    async with running_proxy([origin.url], requests=limit) as client:
        streaming = await client.get("/stream", headers=behind("203.0.113.7"))
        assert await streaming.content.readexactly(5) == b"first"
        await echo(await client.get("/echo", headers=behind("203.0.113.7")))
        assert limit.open == {}
        origin.release.set()
        assert await streaming.read() == b"second"
