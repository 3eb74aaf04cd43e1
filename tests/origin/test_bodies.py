"""Request bodies at the origin: compressed ones refused unread, slow ones cut off."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.test_utils import TestServer

from liveqa.origin.bodies import body_rules, server_settings


async def echo(request: web.Request) -> web.Response:
    return web.json_response({"body": (await request.read()).decode()})


@contextlib.asynccontextmanager
async def serving(deadline: float = 5.0, idle: float = 5.0) -> AsyncIterator[int]:
    """An app that echoes bodies behind `body_rules`, with the origin's server settings."""
    app = web.Application(middlewares=[body_rules(deadline)])
    app.router.add_post("/echo", echo)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(**server_settings(idle))
    try:
        assert server.port is not None
        yield server.port
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def sent(port: int, data: bytes) -> AsyncIterator[tuple[bytes, asyncio.StreamReader]]:
    """Send `data`: the answer's status line and body, and the reader; closed on exit."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
        yield head.split(b"\r\n")[0] + b"\n" + body, reader
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def post(body: bytes, *headers: str, length: int | None = None) -> bytes:
    lines = ["POST /echo HTTP/1.1", "Host: origin", *headers]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_a_plain_body_reaches_the_handler() -> None:
    async with serving() as port, sent(port, post(b"hello")) as (answer, _):
        assert answer == b'HTTP/1.1 200 OK\n{"body": "hello"}'


async def test_a_compressed_body_is_refused_with_415() -> None:
    data = post(gzip.compress(b"hello"), "Content-Encoding: gzip")
    async with serving() as port, sent(port, data) as (answer, _):
        pass
    status, _, body = answer.partition(b"\n")
    assert status == b"HTTP/1.1 415 Unsupported Media Type"
    error = json.loads(body)["error"]
    assert error["code"] == "unsupported_media_type"
    assert "without Content-Encoding" in error["message"]


async def test_identity_encoding_is_no_compression() -> None:
    data = post(b"hello", "Content-Encoding: Identity")
    async with serving() as port, sent(port, data) as (answer, _):
        assert answer.startswith(b"HTTP/1.1 200 OK")


async def test_a_body_not_sent_in_time_gets_408_and_the_connection_ends() -> None:
    async with (
        serving(deadline=0.3) as port,
        sent(port, post(b"hel", length=5)) as (answer, reader),
    ):
        status, _, body = answer.partition(b"\n")
        assert status == b"HTTP/1.1 408 Request Timeout"
        assert json.loads(body)["error"]["message"] == "the request body took over 0.3 s"
        async with asyncio.timeout(5):
            assert await reader.read() == b""


async def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    async with serving(idle=0.3) as port, sent(port, post(b"hello")) as (answer, reader):
        assert answer.startswith(b"HTTP/1.1 200 OK")
        async with asyncio.timeout(5):
            assert await reader.read() == b""
