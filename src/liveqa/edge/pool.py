"""Kept-alive HTTP/1.1 connections to the origin targets, at most `limit` per target."""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import Callable

from liveqa.edge.http1 import Response, ResponseError, ResponseParser


class ConnectError(Exception):
    """No connection to the target could be made: nothing was sent."""


class NoAnswer(Exception):
    """The target took the request but sent no byte of an answer in time (hung or overloaded)."""


class _Connection(asyncio.Protocol):
    """One connection; carries one exchange at a time."""

    __slots__ = ("answering", "closed", "host", "idle_since", "parser", "transport", "waiter")

    def __init__(self, host: _Host) -> None:
        self.host = host
        self.transport: asyncio.Transport | None = None
        self.parser: ResponseParser | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.answering: asyncio.Future[None] | None = None
        self.closed = False
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.answering is not None and not self.answering.done():
            self.answering.set_result(None)
        if self.parser is None:
            # Bytes nobody asked for: the connection cannot be trusted with a next request.
            self.close()
            return
        try:
            response = self.parser.feed(data)
        except ResponseError as exc:
            self._settle(exc)
            return
        if response is not None:
            # Whatever arrives after this answer belongs to no request: data_received closes.
            self.parser = None
            self._settle(response)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.parser is not None:
            try:
                self._settle(self.parser.feed_eof())
            except ResponseError as error:
                self._settle(error)
        else:
            self.host.forget(self)

    @property
    def reusable(self) -> bool:
        """Open, and the origin has read the whole request (an early answer leaves it unread)."""
        return (
            not self.closed
            and self.transport is not None
            and self.transport.get_write_buffer_size() == 0
        )

    async def exchange(
        self, request: bytes, max_body: int, first_byte_timeout: float | None
    ) -> Response:
        """Send a request and wait for its whole response; NoAnswer if it does not begin in time."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self.parser = ResponseParser(max_body)
        self.waiter = loop.create_future()
        self.answering = loop.create_future()
        self.transport.write(request)
        try:
            done, _ = await asyncio.wait(
                (self.answering, self.waiter),
                timeout=first_byte_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not done:
                raise NoAnswer(f"no answer in {first_byte_timeout} s")
            return await self.waiter
        finally:
            self.parser = None
            self.waiter = None
            self.answering = None

    def close(self) -> None:
        """Close without waiting for anything."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _settle(self, result: Response | ResponseError) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if isinstance(result, Response):
            waiter.set_result(result)
        else:
            waiter.set_exception(result)


class _Host:
    """The connections to one target."""

    def __init__(self, pool: ConnectionPool, host: str, port: int, tls: bool) -> None:
        self.pool = pool
        self.address = (host, port)
        self.tls = tls
        self.idle: list[_Connection] = []
        self.open = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> _Connection:
        keepalive = self.pool.keepalive
        while True:
            now = time.monotonic()
            while self.idle:
                connection = self.idle.pop()
                if not connection.closed and now - connection.idle_since < keepalive:
                    return connection
                connection.close()
                self.open -= 1
            if self.open < self.pool.limit:
                self.open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self.open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
                if waiter in self.waiters:
                    self.waiters.remove(waiter)

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        host, port = self.address
        context = ssl.create_default_context() if self.tls else None
        try:
            async with asyncio.timeout(self.pool.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self), host, port, ssl=context
                )
        except (OSError, TimeoutError) as exc:
            raise ConnectError(f"{host}:{port}: {exc or type(exc).__name__}") from exc
        return connection

    def release(self, connection: _Connection, reuse: bool) -> None:
        if reuse and connection.reusable:
            connection.idle_since = time.monotonic()
            self.idle.append(connection)
        else:
            connection.close()
            self.open -= 1
        self._wake()

    def forget(self, connection: _Connection) -> None:
        """An idle connection was closed by the origin."""
        if connection in self.idle:
            self.idle.remove(connection)
            self.open -= 1
            self._wake()

    def _wake(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class ConnectionPool:
    """Connections by (host, port, tls); idle ones are reused for up to `keepalive` seconds."""

    def __init__(
        self,
        limit: int = 256,
        keepalive: float = 4.0,
        connect_timeout: float = 10.0,
        request_timeout: float = 60.0,
    ) -> None:
        self.limit = limit
        # Below common servers' 5 s keep-alive, so a request never races the origin closing the
        # idle connection it was about to reuse.
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._hosts: dict[tuple[str, int, bool], _Host] = {}

    async def request(
        self,
        host: str,
        port: int,
        tls: bool,
        request: bytes,
        *,
        max_body: int,
        expected: Callable[[Response], bool] = lambda _: True,
        first_byte_timeout: float | None = None,
    ) -> Response:
        """One exchange; raises ConnectError when no connection could be made, NoAnswer when
        the answer has not begun within `first_byte_timeout` s.

        The connection is kept for the next request only if the answer is `expected`.
        """
        key = (host, port, tls)
        pool = self._hosts.get(key)
        if pool is None:
            pool = self._hosts[key] = _Host(self, host, port, tls)
        connection = await pool.acquire()
        try:
            async with asyncio.timeout(self.request_timeout):
                response = await connection.exchange(request, max_body, first_byte_timeout)
        except BaseException:
            pool.release(connection, reuse=False)
            raise
        pool.release(connection, reuse=response.keep_alive and expected(response))
        return response

    def close(self) -> None:
        """Close every idle connection (busy ones close when their exchange ends)."""
        for pool in self._hosts.values():
            pool.close()
