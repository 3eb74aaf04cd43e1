"""The publish listener: Pushpin's HTTP publish API (docs/grip.md §2.1), `/metrics`,
`/healthz` and `/readyz`.

Answers match Pushpin 1.36 byte for byte (measured against Debian's build), with two deliberate
differences in `Accept` handling: q-values are honoured (Pushpin ignores them) and `q=0` excludes
a type; among equally preferred types the last one listed wins, as in Pushpin.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web

from liveqa.edge.health import Readiness
from liveqa.edge.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from liveqa.edge.metrics import EdgeMetrics
from liveqa.grip.publish import PublishError, PublishItem, parse_publish
from liveqa.grip.sig import verify_sig
from liveqa.process import process_metrics

logger = logging.getLogger(__name__)

PublishSink = Callable[[PublishItem], None]

TEXT = "text/plain"
JSON = "application/json"
_ACCEPTED = {
    "text/plain": TEXT,
    "text/*": TEXT,
    "*/*": TEXT,
    "application/json": JSON,
    "application/*": JSON,
}
NOT_ACCEPTABLE = b"Not Acceptable. Supported formats are text/plain and application/json.\n"
# Pushpin answers an oversized body with 400 and this text, not 413.
TOO_LARGE = b"Request body too large.\n"
UNAUTHORIZED = b"Unauthorized: send 'Authorization: Bearer <key>' (or a JWT signed with the key).\n"
BANNER = b"liveqa edge API (Pushpin-compatible)\n"
# Bounds memory when ids arrive faster than they expire (~200 bytes each).
MAX_RECENT_IDS = 200_000


class RecentIds:
    """(channel, id) pairs published within the last `ttl` seconds, oldest first."""

    def __init__(
        self,
        ttl: float = 60.0,
        max_ids: int = MAX_RECENT_IDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_ids = max_ids
        self._clock = clock
        # A fixed TTL makes insertion order expiry order, so expiring pops from the front.
        self._expiry: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, channel: str, item_id: str) -> bool:
        """True if the pair was seen within the TTL; otherwise remember it and return False."""
        now = self._clock()
        expiry = self._expiry
        while expiry:
            oldest = next(iter(expiry.values()))
            if oldest > now:
                break
            expiry.popitem(last=False)
        key = (channel, item_id)
        if key in expiry:
            return True
        expiry[key] = now + self.ttl
        if len(expiry) > self.max_ids:
            expiry.popitem(last=False)
        return False


def _text(status: int, body: bytes, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, headers={"Content-Type": TEXT, **(headers or {})})


def _negotiate(accept: str | None) -> str | None:
    """The response type for an `Accept` header: TEXT, JSON, or None when neither is acceptable."""
    if accept is None:
        return TEXT
    best: str | None = None
    best_q = 0.0
    for entry in accept.split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        kind = _ACCEPTED.get(media.lower())
        if kind is None:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and q >= best_q:
            best, best_q = kind, q
    return best


def _message(kind: str, message: str) -> web.Response:
    if kind == JSON:
        body = b'{"message":"' + message.encode() + b'"}\n'
        return web.Response(body=body, headers={"Content-Type": JSON})
    return _text(200, message.encode() + b"\n")


def _authorized(header: str | None, key: bytes) -> bool:
    if header is None:
        return False
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    if hmac.compare_digest(token.encode(), key):
        return True
    return token.count(".") == 2 and verify_sig(token, key)


def publish_app(
    sink: PublishSink,
    metrics: EdgeMetrics,
    *,
    key: bytes | None,
    dedup_ttl: float = 60.0,
    max_body: int = 1_000_000,
    recent: RecentIds | None = None,
    ready: Readiness | None = None,
) -> web.Application:
    """The publish API: `POST /publish/`, `POST /recover`, `GET /metrics` and `GET /`, and the
    probes `GET /healthz` and `GET /readyz` (`ready` says what keeps the edge from serving).

    Items go to `sink` in order once the whole body is valid; an item whose (channel, id) was
    published in the last `dedup_ttl` seconds is dropped and counted. With `key`, every request
    needs `Authorization: Bearer <key>` or a Bearer JWT signed with it (HS256, unexpired).
    """
    recent_ids = RecentIds(dedup_ttl) if recent is None else recent

    async def read_body(request: web.Request) -> bytes | None:
        if (request.content_length or 0) > max_body:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > max_body:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    async def publish(request: web.Request, kind: str) -> web.Response:
        if request.method != "POST":
            return _text(
                405, f"Method not allowed: {request.method}.\n".encode(), {"Allow": "POST"}
            )
        body = await read_body(request)
        if body is None:
            return _text(400, TOO_LARGE)
        try:
            items = parse_publish(body)
        except PublishError as exc:
            logger.debug("publish refused: %s", exc)
            return _text(400, f"Invalid format: {exc}\n".encode())
        for item in items:
            if item.id is not None and recent_ids.seen(item.channel, item.id):
                metrics.dropped_items_total += 1
                continue
            try:
                sink(item)
            except Exception:
                # A fan-out bug must not cost the publisher the other items.
                logger.exception("delivering item to channel %r failed", item.channel)
        return _message(kind, "Published")

    async def probe(request: web.Request, path: str) -> web.Response:
        if request.method not in ("GET", "HEAD"):
            return _text(405, f"Method not allowed: {request.method}.\n".encode(), {"Allow": "GET"})
        problem = None if path == "/healthz" or ready is None else await ready()
        if problem is None:
            return _text(200, b"ok\n" if path == "/healthz" else b"ready\n")
        return _text(503, f"not ready: {problem}\n".encode())

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if path in ("/healthz", "/readyz"):
            # Probes carry no key; they learn only whether the edge can serve.
            return await probe(request, path)
        if path == "/publish":
            metrics.publish_requests_total += 1
        if key is not None and not _authorized(request.headers.get("Authorization"), key):
            if path == "/publish":
                metrics.publish_errors_total += 1
            return _text(401, UNAUTHORIZED, {"WWW-Authenticate": "Bearer"})
        if path == "/metrics":
            if request.method not in ("GET", "HEAD"):
                return _text(
                    405, f"Method not allowed: {request.method}.\n".encode(), {"Allow": "GET"}
                )
            return web.Response(
                body=metrics.render() + process_metrics(),
                headers={"Content-Type": METRICS_CONTENT_TYPE},
            )
        kind = _negotiate(request.headers.get("Accept"))
        if kind is None:
            if path == "/publish":
                metrics.publish_errors_total += 1
            return _text(406, NOT_ACCEPTABLE)
        if path == "/publish":
            response = await publish(request, kind)
            if response.status != 200:
                metrics.publish_errors_total += 1
            return response
        if path == "/recover":
            if request.method != "POST":
                return _text(
                    405, f"Method not allowed: {request.method}.\n".encode(), {"Allow": "POST"}
                )
            # Recovery re-requests HTTP streaming and long-polling sessions; the edge has only
            # WebSocket subscribers, which have no recovery (docs/grip.md §2.5): nothing to do.
            return _message(kind, "Updated")
        if path == "/":
            return _text(200, BANNER)
        return _text(404, b"Not Found\n")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app
