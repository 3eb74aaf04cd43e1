"""The origin's aiohttp application: REST API, socket endpoint, OpenAPI document, web client."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from liveqa import __version__
from liveqa.addresses import TrustedProxies
from liveqa.extras import require_redis
from liveqa.logs import CONNECTION_ID
from liveqa.origin.api import (
    CLIENT_HEADER,
    JSON,
    OPERATIONS,
    SOCKET_PATH,
    Operation,
    Response,
    error_response,
    guarded,
    json_response,
)
from liveqa.origin.attendance import Attendance
from liveqa.origin.board import AddressRates, Board, Rates
from liveqa.origin.bodies import DEFAULT_BODY_TIMEOUT, DEFAULT_IDLE_TIMEOUT, body_rules
from liveqa.origin.compression import compress
from liveqa.origin.context import CONTEXT, OriginContext, SigVerifier, SocketSettings
from liveqa.origin.errors import Refused
from liveqa.origin.health import Readiness, healthz
from liveqa.origin.limits import Limits
from liveqa.origin.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from liveqa.origin.metrics import OriginMetrics, Responses
from liveqa.origin.openapi import build_document
from liveqa.origin.publisher import Publisher, PublishTarget
from liveqa.origin.ratelimit import MemoryBuckets
from liveqa.origin.session import SessionSigner
from liveqa.origin.socket import websocket
from liveqa.origin.static import WEB_ROOT, add_routes
from liveqa.origin.throttle import ThrottledLog
from liveqa.store import Database
from liveqa.store.engine import database_url

if TYPE_CHECKING:
    from liveqa.origin.redisbuckets import RedisBuckets

log = logging.getLogger(__name__)
failures = ThrottledLog(log)

MAX_BODY = 1024 * 1024
DOCUMENT = web.AppKey("liveqa_openapi", dict)
RESPONSES = web.AppKey("liveqa_responses", Responses)
METRICS = web.AppKey("liveqa_metrics", OriginMetrics)
READINESS = web.AppKey("liveqa_readiness", Readiness)


@dataclass
class OriginConfig:
    """Everything `liveqa origin` can be told."""

    database_url: str
    publish_targets: list[PublishTarget]
    verify_sig: SigVerifier
    secret_key: str | None = None
    cookie_secure: bool = False
    # `http(s)://host[:port]` people reach the app at; None: each request's Host and scheme.
    public_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    rates: Rates = field(default_factory=Rates)
    address_rates: AddressRates = field(default_factory=AddressRates)
    # Networks of proxies appending to X-Forwarded-For besides loopback (see liveqa.addresses).
    trusted_proxies: list[str] = field(default_factory=list)
    # Rate limits shared by every origin in Redis; None: in this process's memory.
    redis_url: str | None = None
    redis_prefix: str = "liveqa:"
    sockets: SocketSettings = field(default_factory=SocketSettings)
    publish_wait: float = 2.0
    web_root: Path = WEB_ROOT
    migrate: bool = True
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    # One line per request on the liveqa.access logger.
    access_log: bool = False

    def __post_init__(self) -> None:
        # A database or Redis this installation cannot drive is refused before anything starts.
        database_url(self.database_url)
        if self.redis_url:
            require_redis("--redis-url")


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of this API."""
    return json_response(request.app[DOCUMENT])


SOCKET_OPERATION = Operation(
    "POST",
    SOCKET_PATH,
    websocket,
    "WebSocket-over-HTTP from the GRIP proxy (signed with Grip-Sig); not for browsers",
    responses=(Response(200, str, "events for the proxy", "application/websocket-events"),),
    errors=(400, 401),
    extra={
        "parameters": [
            {"name": "roomId", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "Grip-Sig", "in": "header", "required": True, "schema": {"type": "string"}},
            {
                "name": "Connection-Id",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/websocket-events": {"schema": {"type": "string"}}},
        },
    },
)
OPENAPI_OPERATION = Operation(
    "GET",
    "/api/openapi.json",
    openapi,
    "This document",
    responses=(Response(200, dict[str, Any], "the OpenAPI 3.1 document"),),
)
ALL_OPERATIONS = (*OPERATIONS, SOCKET_OPERATION, OPENAPI_OPERATION)


@web.middleware
async def observed(request: web.Request, handler: Any) -> web.StreamResponse:
    """Count the response by status class; log lines made for a socket request carry its
    Connection-Id."""
    token = None
    if request.path == SOCKET_PATH and "Connection-Id" in request.headers:
        token = CONNECTION_ID.set(request.headers["Connection-Id"][:100])
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        request.app[RESPONSES].count(exc.status)
        raise
    finally:
        if token is not None:
            CONNECTION_ID.reset(token)
    request.app[RESPONSES].count(response.status)
    return response


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every error as `{"error": {"code", "message"}}` with its status; never a traceback."""
    try:
        response: web.StreamResponse = await handler(request)
    except Refused as refused:
        response = error_response(refused.status, refused.code, refused.message)
        if refused.retry_after is not None:
            response.headers["Retry-After"] = str(refused.retry_after)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = (exc.reason or "error").lower().replace(" ", "_")
        response = error_response(exc.status, code, exc.text or exc.reason)
        for name in ("Allow",):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
    except Exception as exc:
        failures.failure("request", f"{request.method} {request.path[:200]} failed", exc)
        response = error_response(500, "internal_error", "the server failed; retry later")
    return response


@web.middleware
async def own_pages_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """State-changing API calls carry a JSON body or the X-LiveQA header.

    A browser sends either across origins only after a CORS preflight, which this origin
    never answers, so no other site's page can make them. The socket endpoint is exempt: its
    Grip-Sig proves the proxy sent it.
    """
    if (
        guarded(request.method, request.path)
        and request.match_info.http_exception is None
        and request.content_type != JSON
        and CLIENT_HEADER not in request.headers
    ):
        if request.body_exists:
            raise Refused(
                "unsupported_media_type", "send the request body as application/json", 415
            )
        raise Refused(
            "client_header_required",
            f"a request without a JSON body needs the header {CLIENT_HEADER}: 1",
            403,
        )
    response: web.StreamResponse = await handler(request)
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Headers that stop browsers sniffing content types or framing the app."""
    response: web.StreamResponse = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def create_app(config: OriginConfig) -> web.Application:
    """The origin app; the database is migrated and the publisher started on app startup."""
    database = Database.connect(config.database_url)
    publisher = Publisher(config.publish_targets) if config.publish_targets else None
    redis: RedisBuckets | None = None
    if config.redis_url:
        from liveqa.origin.redisbuckets import RedisBuckets  # the redis extra

        redis = RedisBuckets(config.redis_url, prefix=config.redis_prefix)
    board = Board(
        database,
        config.limits,
        config.rates,
        connection_ttl=config.sockets.connection_ttl,
        address_rates=config.address_rates,
        buckets=redis or MemoryBuckets(),
    )
    context = OriginContext(
        board=board,
        publisher=publisher,
        verify_sig=config.verify_sig,
        sockets=config.sockets,
        cookie_secure=config.cookie_secure,
        public_url=config.public_url,
        publish_wait=config.publish_wait,
        trusted_proxies=TrustedProxies(config.trusted_proxies),
    )
    context.attendance = Attendance(
        board, context.publish, interval=config.sockets.attendance_interval
    )
    app = web.Application(
        client_max_size=MAX_BODY,
        # Refusing a cross-site change needs no body: before the body is read.
        middlewares=[
            observed,
            compress,
            security_headers,
            errors,
            own_pages_only,
            body_rules(config.body_timeout),
        ],
    )
    app[CONTEXT] = context
    app[DOCUMENT] = build_document(ALL_OPERATIONS, title="liveqa", version=__version__)
    app[RESPONSES] = Responses()
    app[METRICS] = OriginMetrics(app[RESPONSES], database, publisher)
    app[READINESS] = Readiness(database)
    for operation in ALL_OPERATIONS:
        app.router.add_route(operation.method, operation.path, operation.handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", app[READINESS].readyz)
    add_routes(app, config.web_root)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        if config.migrate:
            await database.upgrade()
        secret = config.secret_key
        if secret is None:
            async with database.write() as queries:
                secret = await queries.setting("session_secret", secrets.token_hex(32))
        context.session_signer = SessionSigner(secret.encode())
        if publisher is not None:
            await publisher.start()
        attendance = context.attendance
        if attendance is not None:
            attendance.start()
        try:
            yield
        finally:
            if attendance is not None:
                await attendance.close()
            if publisher is not None:
                await publisher.close()
            if redis is not None:
                await redis.close()
            await database.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def operations_app(
    app: web.Application, more_metrics: Callable[[], bytes] | None = None
) -> web.Application:
    """`/metrics`, `/healthz` and `/readyz` of the origin `app`, for a listener of their own;
    `more_metrics` gives exposition text shown first (the edge's, in `liveqa serve`)."""

    async def metrics(_request: web.Request) -> web.Response:
        before = more_metrics() if more_metrics is not None else b""
        return web.Response(
            body=before + app[METRICS].render(), headers={"Content-Type": METRICS_CONTENT_TYPE}
        )

    operations = web.Application()
    operations.router.add_get("/metrics", metrics)
    operations.router.add_get("/healthz", healthz)
    operations.router.add_get("/readyz", app[READINESS].readyz)
    return operations
