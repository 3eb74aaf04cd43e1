"""Kept-alive origin connections: reuse, expiry, the per-target limit and failures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from liveqa.edge.http1 import Response, encode_request
from liveqa.edge.pool import ConnectError, ConnectionPool

REQUEST = encode_request("POST", "/ws", "origin", [], b"OPEN\r\n")


class Origin(asyncio.Protocol):
    """Answers each request after `delay` s; counts connections and the most open at once."""

    transports: list[asyncio.Transport]
    opened = 0
    open_now = 0
    most_open = 0
    delay = 0.0
    close_after_answer = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        cls = type(self)
        cls.transports.append(transport)
        cls.opened += 1
        cls.open_now += 1
        cls.most_open = max(cls.most_open, cls.open_now)

    def connection_lost(self, exc: Exception | None) -> None:
        type(self).open_now -= 1

    def data_received(self, data: bytes) -> None:
        asyncio.get_running_loop().call_later(type(self).delay, self.answer)

    def answer(self) -> None:
        if type(self).close_after_answer:
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
            )
            self.transport.close()
        else:
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


@contextlib.asynccontextmanager
async def origin(**behaviour: object) -> AsyncIterator[tuple[int, type[Origin]]]:
    kind = type("ScriptedOrigin", (Origin,), {"transports": [], **behaviour})
    server = await asyncio.get_running_loop().create_server(kind, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], kind
    finally:
        server.close()
        await server.wait_closed()


async def test_sequential_requests_share_one_connection() -> None:
    pool = ConnectionPool()
    async with origin() as (port, seen):
        for _ in range(3):
            response = await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
            assert response.body == b"ok"
        assert seen.opened == 1
    pool.close()


async def test_idle_connections_expire_after_the_keepalive() -> None:
    pool = ConnectionPool(keepalive=0.05)
    async with origin() as (port, seen):
        await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
        await asyncio.sleep(0.1)
        await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
        assert seen.opened == 2
    pool.close()


async def test_connection_close_is_honoured() -> None:
    pool = ConnectionPool()
    async with origin(close_after_answer=True) as (port, seen):
        for _ in range(2):
            await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
        assert seen.opened == 2
    pool.close()


async def test_at_most_limit_connections_and_every_request_answered() -> None:
    pool = ConnectionPool(limit=2)
    async with origin(delay=0.02) as (port, seen):
        answers = await asyncio.gather(
            *(pool.request("127.0.0.1", port, False, REQUEST, max_body=100) for _ in range(7))
        )
        assert [a.body for a in answers] == [b"ok"] * 7
        assert seen.most_open == 2
    pool.close()


async def test_an_origin_that_closed_an_idle_connection_gets_a_new_one() -> None:
    pool = ConnectionPool()
    async with origin() as (port, seen):
        await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
        # The origin drops the idle connection, as an origin's keep-alive timeout would.
        for transport in seen.transports:
            transport.close()
        for _ in range(100):
            if seen.open_now == 0:
                break
            await asyncio.sleep(0.01)
        response = await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
        assert response.body == b"ok"
        assert seen.opened == 2
    pool.close()


async def test_refused_connections_raise_connect_error() -> None:
    async with origin() as (port, _):
        pass
    pool = ConnectionPool()
    with pytest.raises(ConnectError):
        await pool.request("127.0.0.1", port, False, REQUEST, max_body=100)
    assert all(host.open == 0 for host in pool._hosts.values())


class Misbehaving(asyncio.Protocol):
    """Answers each request with its own path as the body; the first one as `script` says."""

    script = "well"
    transports: list[asyncio.Transport]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        type(self).transports.append(transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1")
            path = head.split(" ")[1]
            length = int(head.lower().split("content-length: ")[1].split("\r\n")[0])
            if type(self).script == "early" and path == "/1":
                # Answers at once and never reads the body, like an origin refusing it early.
                self.transport.pause_reading()
                self.buffer = b""
                self.answer(path)
                return
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.respond(path)

    def answer(self, path: str, status: bytes = b"200 OK") -> None:
        body = path.encode()
        self.transport.write(
            b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body)
        )

    def respond(self, path: str) -> None:
        script = type(self).script if path == "/1" else "well"
        loop = asyncio.get_running_loop()
        if script == "continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            loop.call_later(0.05, self.answer, path)
        elif script == "extra":
            self.answer(path)
            loop.call_later(0.05, self.answer, "/stolen")
        elif script == "refused":
            self.answer(path, b"403 Forbidden")
        else:
            self.answer(path)


def request_to(path: str, body: bytes = b"") -> bytes:
    return encode_request("POST", path, "origin", [], body)


@pytest.mark.parametrize("script", ["continue", "extra", "early", "refused"])
async def test_every_request_gets_its_own_answer_whatever_the_origin_sends(script: str) -> None:
    kind: type[Misbehaving] = type("Scripted", (Misbehaving,), {"script": script, "transports": []})
    server = await asyncio.get_running_loop().create_server(kind, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = ConnectionPool(limit=1)

    def expected(response: Response) -> bool:
        return response.status == 200

    try:
        # Large enough that an origin which stops reading leaves most of it unsent.
        first_body = b"x" * 16_000_000 if script == "early" else b""
        first = asyncio.create_task(
            pool.request(
                "127.0.0.1",
                port,
                False,
                request_to("/1", first_body),
                max_body=100,
                expected=expected,
            )
        )
        answers = [await first]
        for index in range(2, 6):
            answers.append(
                await pool.request(
                    "127.0.0.1",
                    port,
                    False,
                    request_to(f"/{index}"),
                    max_body=100,
                    expected=expected,
                )
            )
            await asyncio.sleep(0.06)
        assert [answer.body for answer in answers] == [b"/1", b"/2", b"/3", b"/4", b"/5"]
        # A 100 Continue is no reason to give up a connection; every other script is.
        assert len(kind.transports) == (1 if script == "continue" else 2)
    finally:
        pool.close()
        for transport in kind.transports:
            transport.abort()
        server.close()
        await server.wait_closed()
