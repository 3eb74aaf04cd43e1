"""The edge process: the client listener, the publish listener and what they share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from yarl import URL

from liveqa.addresses import is_loopback
from liveqa.edge.addresses import AddressLimit
from liveqa.edge.cache import ResponseCache
from liveqa.edge.connection import ClientConnection
from liveqa.edge.handshake import DEFAULT_WEBSOCKET_PATHS
from liveqa.edge.health import OriginsAnswer
from liveqa.edge.hub import Hub
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.pool import ConnectionPool
from liveqa.edge.protocol import HANDSHAKE_TIMEOUT
from liveqa.edge.proxy import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_MAX_BODY,
    DEFAULT_RESPONSE_TIMEOUT,
    proxy_handler,
)
from liveqa.edge.publish import RecentIds, publish_app
from liveqa.edge.upstream import Upstream
from liveqa.extras import require_redis
from liveqa.logs import ACCESS

if TYPE_CHECKING:
    from liveqa.edge.bus import Bus
from liveqa.websocket import CloseCode

log = logging.getLogger("liveqa.edge")

SHUTDOWN_GRACE = 5.0
# High enough for a venue whose attendees all share one NATed address, low enough that one
# host cannot take every socket the edge can hold.
DEFAULT_CONNECTIONS_PER_ADDRESS = 1000
# A browser opens at most 6 connections to a host, so this is ten browsers' requests at the very
# same moment; the requests of a venue behind one NAT take milliseconds and rarely overlap so
# much, and one address cannot hold more than a quarter of the 256 origin connections.
DEFAULT_REQUESTS_PER_ADDRESS = 64
# Long enough for a page's burst of requests and the next few clicks; short enough that idle
# sockets do not pile up (nginx keeps them 75 s, Node.js 5 s, aiohttp an hour).
DEFAULT_IDLE_TIMEOUT = 15.0
# Of the Redis channel names of `--bus`; Redis database numbers do not separate pub/sub.
DEFAULT_BUS_PREFIX = "liveqa:"


@dataclass
class EdgeConfig:
    """Everything `liveqa edge` can be told."""

    origins: list[str]
    host: str = "127.0.0.1"
    port: int = 7999
    publish_host: str = "127.0.0.1"
    publish_port: int = 5561
    sig_key: bytes | None = None
    sig_iss: str = "pushpin"
    publish_key: bytes | None = None
    max_message_size: int = 1 << 20
    max_client_buffer: int = 1 << 20
    origin_connections: int = 256
    trust_forwarded_proto: bool = False
    trust_forwarded_for: bool = False
    max_connections_per_address: int = DEFAULT_CONNECTIONS_PER_ADDRESS
    max_requests_per_address: int = DEFAULT_REQUESTS_PER_ADDRESS
    head_timeout: float = HANDSHAKE_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_request_body: int = DEFAULT_MAX_BODY
    origin_timeout: float = DEFAULT_RESPONSE_TIMEOUT
    websocket_paths: tuple[str, ...] = DEFAULT_WEBSOCKET_PATHS
    allowed_origins: tuple[str, ...] = ()
    bus: str | None = None
    bus_prefix: str = DEFAULT_BUS_PREFIX
    # One line per plain HTTP request on the liveqa.access logger.
    access_log: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class _Feed:
    """Stands in for aiohttp's WebSocket reader so an adopted socket's bytes reach our parser."""

    def __init__(self, connection: ClientConnection, done: asyncio.Future[None]) -> None:
        self.connection = connection
        self.done = done

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.connection.data_received(data)
        return False, b""

    def feed_eof(self) -> None:
        self.connection.connection_lost(None)
        if not self.done.done():
            self.done.set_result(None)


class _ClientErrorLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server log, where a client's malformed request takes one line, not a traceback."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            self.info("%s: %s", str(msg) % args, exc_info.message or exc_info)
        else:
            super().exception(msg, *args, exc_info=exc_info, **kwargs)


class _CountedHTTP(asyncio.Protocol):
    """aiohttp's protocol for a handed-over socket; frees the socket's address count at the end."""

    def __init__(self, inner: RequestHandler, addresses: AddressLimit, key: str) -> None:
        self.inner = inner
        self.addresses = addresses
        self.key = key

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> None:
        self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.addresses.release(self.key)
        self.inner.connection_lost(exc)


class Edge:
    """A GRIP proxy: holds client WebSockets, talks WebSocket-over-HTTP to the origin, fans out."""

    def __init__(self, config: EdgeConfig) -> None:
        if config.publish_key is None and not is_loopback(config.publish_host):
            raise ValueError("the publish listener needs --publish-key unless it binds loopback")
        if not config.origins:
            raise ValueError("at least one --origin is needed")
        for origin in config.origins:
            url = URL(origin)
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError(f"--origin must be an http:// or https:// URL, got {origin!r}")
        self.config = config
        self.metrics = EdgeMetrics()
        self.hub = Hub(self.metrics)
        # Shared with the bus, so an item an origin publishes to several edges is fanned out once.
        self.recent = RecentIds()
        self.bus: Bus | None = None
        if config.bus:
            require_redis("--bus")
            from liveqa.edge.bus import Bus  # the redis extra

            self.bus = Bus(
                config.bus, self.hub, self.metrics, prefix=config.bus_prefix, recent=self.recent
            )
        self.max_message_size = config.max_message_size
        self.max_client_buffer = config.max_client_buffer
        self.addresses = AddressLimit(config.max_connections_per_address)
        self.requests = AddressLimit(config.max_requests_per_address)
        self.connections: set[ClientConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: aiohttp.ClientSession | None = None
        self._pool: ConnectionPool | None = None
        self._upstream: Upstream | None = None
        self._http_server: web.Server | None = None
        self._server: asyncio.Server | None = None
        self._publish_runner: web.AppRunner | None = None
        self.port = config.port
        self.publish_port = config.publish_port

    @property
    def upstream(self) -> Upstream:
        """The origin client (available once started)."""
        assert self._upstream is not None
        return self._upstream

    async def start(self) -> None:
        """Bind both listeners."""
        config = self.config
        targets = [URL(origin) for origin in config.origins]
        # Plain HTTP goes through aiohttp's client (streamed bodies); WebSocket-over-HTTP, the
        # hot path, through the edge's own pool.
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=config.origin_connections, limit_per_host=0, keepalive_timeout=4.0
            ),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        self._pool = ConnectionPool(limit=config.origin_connections)
        signature = (config.sig_key, config.sig_iss) if config.sig_key else None
        self._upstream = Upstream(targets, self._pool, signature, self.metrics)
        proxy = proxy_handler(
            targets,
            self._client,
            ResponseCache(),
            self.metrics,
            response_timeout=config.origin_timeout,
            body_timeout=config.body_timeout,
            max_body=config.max_request_body,
            requests=self.requests,
            trust_forwarded_proto=config.trust_forwarded_proto,
            trust_forwarded_for=config.trust_forwarded_for,
        )

        async def handle_http(request: web.BaseRequest) -> web.StreamResponse:
            if "websocket" in request.headers.get("Upgrade", "").lower():
                return await self._adopt(request)
            return await proxy(cast(web.Request, request))

        self._http_server = web.Server(
            handle_http,
            access_log=ACCESS if config.access_log else None,
            # Idle time plus the next request head: aiohttp does not restart it on partial data.
            keepalive_timeout=config.idle_timeout,
            # A client that leaves cancels its origin request, freeing the origin connection.
            handler_cancellation=True,
            # Bodies reach the origin as sent; inflating them here would cost the edge CPU.
            auto_decompress=False,
            logger=_ClientErrorLog(logging.getLogger("aiohttp.server")),
        )
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: ClientConnection(self), config.host, config.port, backlog=4096
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.bus is not None:
            self.bus.start()
        sink = self.hub.publish if self.bus is None else self.bus.publish
        ready = OriginsAnswer(self._client, targets)
        app = publish_app(
            sink, self.metrics, key=config.publish_key, recent=self.recent, ready=ready
        )
        self._publish_runner = web.AppRunner(app, access_log=None)
        await self._publish_runner.setup()
        site = web.TCPSite(self._publish_runner, config.publish_host, config.publish_port)
        await site.start()
        self.publish_port = self._publish_runner.addresses[0][1]
        log.info(
            "edge listening on %s:%d, publish on %s:%d, origins %s",
            config.host,
            self.port,
            config.publish_host,
            self.publish_port,
            ", ".join(config.origins),
        )

    def http_protocol(self, key: str | None) -> asyncio.Protocol:
        """A fresh aiohttp protocol for a socket that carries plain HTTP, counted under `key`."""
        assert self._http_server is not None
        protocol = self._http_server()
        if key is None:
            return protocol
        return _CountedHTTP(protocol, self.addresses, key)

    async def _adopt(self, request: web.BaseRequest) -> web.StreamResponse:
        """A WebSocket upgrade that arrived on a kept-alive HTTP connection aiohttp already owns."""
        connection = ClientConnection(self)
        connection.transport = cast(asyncio.Transport, request.transport)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        protocol = request.protocol
        protocol.set_parser(cast(Any, _Feed(connection, done)))
        version = request.version
        line = f"{request.method} {request.raw_path} HTTP/{version.major}.{version.minor}"
        head = [
            line.encode("latin-1"),
            *(name + b": " + value for name, value in request.raw_headers),
        ]
        connection.adopt(b"\r\n".join(head))
        await done
        return web.Response()

    def register(self, connection: ClientConnection) -> None:
        """A client socket was accepted."""
        self.connections.add(connection)
        self.metrics.connections += 1
        self.metrics.connections_total += 1

    def forget(self, connection: ClientConnection) -> None:
        """An accepted client socket ended."""
        self.connections.discard(connection)
        self.metrics.connections = len(self.connections)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a background task that shutdown waits for."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def shutdown(self) -> None:
        """Stop listening, tell the origin every connection ends, close clients with 1001."""
        if self._server is not None:
            self._server.close()
        # Handshakes in flight settle first, so a connection the origin accepts now is closed too.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=SHUTDOWN_GRACE)
        # Handshakes the origin has not settled by now (a deferred accept, say) are refused.
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        for connection in list(self.connections):
            connection.close_for(CloseCode.GOING_AWAY, "server shutting down")
        relays = [c.relay.wait_idle() for c in self.connections if c.relay is not None]
        if relays:
            await asyncio.wait([asyncio.ensure_future(r) for r in relays], timeout=SHUTDOWN_GRACE)
        for connection in list(self.connections):
            connection.abort()
        if self._publish_runner is not None:
            await self._publish_runner.cleanup()
        if self._http_server is not None:
            await self._http_server.shutdown(1.0)
        if self._server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        if self._client is not None:
            await self._client.close()
        if self._pool is not None:
            self._pool.close()
        if self.bus is not None:
            await self.bus.close()
