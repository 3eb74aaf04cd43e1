"""Reverse proxy for plain HTTP: request bodies buffered, responses streamed, failover, a cache.

A request body is read whole (up to `max_body`, within `body_timeout`) before the origin is
asked, so a client trickling its body holds none of the origin connections. Its bytes go on as
they came: a compressed body stays compressed, with its own `Content-Encoding`.

GRIP instructions in HTTP responses (`Grip-Hold`, `Grip-Channel`, ...: long-polling and HTTP
streaming) are out of scope: `Grip-*` response headers are stripped and the response is passed
through as it is. These requests carry no `Grip-Sig`, so an origin that checks for one (like
gripcontrol's `is_grip_proxied`) knows the edge will not act on instructions here.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
from aiohttp import HttpVersion11, web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from liveqa.addresses import is_loopback
from liveqa.edge.addresses import AddressLimit, forwarded_client
from liveqa.edge.cache import (
    CachedResponse,
    ResponseCache,
    cache_key,
    freshness_lifetime,
    may_serve_cached,
    may_store,
)
from liveqa.edge.metrics import EdgeMetrics

logger = logging.getLogger(__name__)

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

# RFC 9110 §7.6.1, plus the non-standard Proxy-Connection; any Proxy-* header is dropped too.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
    }
)
# Expect is answered here; X-Forwarded-Proto is set here (kept from a trusted TLS front);
# Content-Length is that of the buffered body, which aiohttp sets.
REQUEST_DROPPED = frozenset({"expect", "x-forwarded-proto", "content-length"})
# The client gets exactly the headers it sent, nothing aiohttp would add on its own.
SKIP_AUTO_HEADERS = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})
BAD_GATEWAY = "Error while proxying to origin.\n"
GATEWAY_TIMEOUT = "Timed out waiting for the origin.\n"
NOT_A_PATH = "The request target must be a path (/...): this is not a forward proxy.\n"
# Seconds a client refused for the per-address request limit is asked to wait.
REQUESTS_RETRY_AFTER = 1
DEFAULT_RESPONSE_TIMEOUT = 15.0
DEFAULT_BODY_TIMEOUT = 30.0
# nginx's client_max_body_size default, and the liveqa origin's own limit.
DEFAULT_MAX_BODY = 1 << 20


def origin_session(limit: int = 0) -> aiohttp.ClientSession:
    """A client session fit for proxying: no cookie jar, no decompression, no overall timeout."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None),
    )


def _filtered(headers: CIMultiDictProxy[str], dropped: frozenset[str]) -> CIMultiDict[str]:
    listed = {
        token.strip().lower()
        for value in headers.getall("Connection", ())
        for token in value.split(",")
    }
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in dropped or lower in listed:
            continue
        if lower.startswith(("proxy-", "grip-")):
            continue
        out.add(name, value)
    return out


def _request_headers(request: web.BaseRequest, trust_proto: bool) -> CIMultiDict[str]:
    headers = _filtered(request.headers, REQUEST_DROPPED)
    peer = request.remote or ""
    forwarded = ", ".join(headers.popall("X-Forwarded-For", ()))
    headers["X-Forwarded-For"] = f"{forwarded}, {peer}" if forwarded else peer
    proto = request.headers.get("X-Forwarded-Proto") if trust_proto else None
    headers["X-Forwarded-Proto"] = proto or ("https" if request.secure else "http")
    return headers


def _client_address(request: web.BaseRequest, trust_forwarded_for: bool) -> str:
    peer = request.remote or ""
    if not trust_forwarded_for:
        return peer
    return forwarded_client(peer, ", ".join(request.headers.getall("X-Forwarded-For", ())))


def _refusal(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=text, headers=headers)


async def _closing(request: web.BaseRequest, status: int, text: str) -> web.StreamResponse:
    """Answer, then drop the connection: the rest of the body is not worth waiting for."""
    response = _refusal(status, text)
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    if request.transport is not None:
        request.transport.close()
    return response


def _initial_age(headers: CIMultiDictProxy[str]) -> int:
    value = headers.get("Age", "").strip()
    return int(value) if value.isdigit() else 0


async def _serve_cached(
    request: web.BaseRequest, entry: CachedResponse, age: int
) -> web.StreamResponse:
    response = web.StreamResponse(status=entry.status, headers=CIMultiDict(entry.headers))
    response.headers["Age"] = str(age)
    response.content_length = len(entry.body)
    await response.prepare(request)
    await response.write(entry.body)
    await response.write_eof()
    return response


def proxy_handler(
    targets: Sequence[URL],
    client: aiohttp.ClientSession,
    cache: ResponseCache,
    metrics: EdgeMetrics,
    *,
    connect_timeout: float = 10.0,
    response_timeout: float = DEFAULT_RESPONSE_TIMEOUT,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_body: int = DEFAULT_MAX_BODY,
    requests: AddressLimit | None = None,
    trust_forwarded_proto: bool = False,
    trust_forwarded_for: bool = False,
) -> Handler:
    """A handler forwarding any request to the first target that accepts a connection.

    A request body is read whole first: at most `max_body` bytes (413), within `body_timeout`
    (408). `response_timeout` bounds the wait for the origin's response headers (504 past it); a
    response body may then take as long as it needs (streams). Connect errors move on to the next
    target. `requests` limits the requests one client address (loopback aside) has in progress.
    """
    if not targets:
        raise ValueError("the proxy needs at least one origin target")
    if not isinstance(client.cookie_jar, aiohttp.DummyCookieJar):
        raise ValueError("a proxy's client session must not keep cookies: use origin_session()")
    bases = [str(target).rstrip("/") for target in targets]
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout)
    limit = requests if requests is not None else AddressLimit(0)

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        metrics.http_requests_total += 1
        if not request.raw_path.startswith("/"):
            # `OPTIONS *`, `GET http://host/` or `CONNECT host:port`: appended to the origin's
            # URL it would name another host, or no URL at all.
            return _refusal(400, NOT_A_PATH)
        client_address = _client_address(request, trust_forwarded_for)
        key = None
        if not is_loopback(client_address):
            key = limit.acquire(client_address)
            if key is None:
                metrics.requests_limited_total += 1
                return _refusal(
                    429,
                    f"Too many requests from your address at once: at most {limit.limit}.\n",
                    **{"Retry-After": str(REQUESTS_RETRY_AFTER)},
                )
        try:
            return await _forward(request)
        finally:
            if key is not None:
                limit.release(key)

    async def _read_body(request: web.BaseRequest) -> bytes | web.StreamResponse:
        """The whole body, or the answer to a client that sends too much or too slowly."""
        too_large = f"The request body is over {max_body} bytes.\n"
        if (request.content_length or 0) > max_body:
            return await _closing(request, 413, too_large)
        expect = request.headers.get("Expect", "").lower()
        if expect == "100-continue" and request.version >= HttpVersion11:
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(body_timeout):
                async for chunk in request.content.iter_any():
                    size += len(chunk)
                    if size > max_body:
                        return await _closing(request, 413, too_large)
                    chunks.append(chunk)
        except TimeoutError:
            metrics.body_timeouts_total += 1
            logger.info("request body from %s not received in %g s", request.remote, body_timeout)
            return await _closing(request, 408, f"The request body took over {body_timeout:g} s.\n")
        return b"".join(chunks)

    async def _forward(request: web.BaseRequest) -> web.StreamResponse:
        path_qs = request.rel_url.raw_path_qs
        key = None
        if request.method == "GET" and not request.body_exists:
            key = cache_key("GET", request.headers.get("Host", ""), path_qs)
            if may_serve_cached(request.headers):
                hit = cache.lookup(key, request.headers)
                metrics.cache_bytes = cache.size
                if hit is not None:
                    metrics.cache_hits_total += 1
                    return await _serve_cached(request, *hit)
        data = None
        if request.body_exists:
            body = await _read_body(request)
            if not isinstance(body, bytes):
                return body
            data = body
        headers = _request_headers(request, trust_forwarded_proto)
        started = time.monotonic()
        for base in bases:
            metrics.origin_requests_total += 1
            try:
                async with asyncio.timeout(response_timeout):
                    upstream = await client.request(
                        request.method,
                        URL(base + path_qs, encoded=True),
                        headers=headers,
                        # aiohttp warns that it writes a large bytes body in one blocking call.
                        data=None if data is None else io.BytesIO(data),
                        skip_auto_headers=SKIP_AUTO_HEADERS,
                        allow_redirects=False,
                        auto_decompress=False,
                        timeout=timeout,
                    )
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                logger.warning("origin %s unreachable: %s", base, exc)
                continue
            except TimeoutError:
                metrics.origin_errors_total += 1
                logger.warning(
                    "origin %s: no response in %s s to %s %s",
                    base,
                    response_timeout,
                    request.method,
                    path_qs,
                )
                return web.Response(status=504, text=GATEWAY_TIMEOUT)
            except aiohttp.ClientError as exc:
                metrics.origin_errors_total += 1
                logger.warning("origin %s failed %s %s: %r", base, request.method, path_qs, exc)
                return web.Response(status=502, text=BAD_GATEWAY)
            metrics.observe_origin_latency(time.monotonic() - started)
            async with upstream:
                return await _relay(request, upstream, key)
        metrics.origin_errors_total += 1
        return web.Response(status=502, text=BAD_GATEWAY)

    async def _relay(
        request: web.BaseRequest, upstream: aiohttp.ClientResponse, key: str | None
    ) -> web.StreamResponse:
        headers = _filtered(upstream.headers, frozenset())
        response = web.StreamResponse(
            status=upstream.status, reason=upstream.reason, headers=headers
        )
        lifetime = None
        if key is not None and may_store(request.headers):
            lifetime = freshness_lifetime(upstream.status, upstream.headers)
        kept: list[bytes] | None = None
        if lifetime is not None and (upstream.content_length or 0) <= cache.max_entry_bytes:
            kept = []
        size = 0
        await response.prepare(request)
        try:
            async for chunk in upstream.content.iter_any():
                if kept is not None:
                    size += len(chunk)
                    kept = kept if size <= cache.max_entry_bytes else None
                    if kept is not None:
                        kept.append(chunk)
                try:
                    await response.write(chunk)
                except ConnectionResetError:
                    return response  # the client left; aiohttp drops the connection quietly
        except (aiohttp.ClientError, TimeoutError) as exc:
            metrics.origin_errors_total += 1
            logger.warning("origin response body broke off: %r", exc)
            # Closing without the final chunk tells the client the body is incomplete.
            if request.transport is not None:
                request.transport.close()
            return response
        await response.write_eof()
        if kept is not None and key is not None and lifetime is not None:
            stored = tuple((n, v) for n, v in headers.items() if n.lower() != "age")
            entry = CachedResponse(
                upstream.status, stored, b"".join(kept), lifetime, _initial_age(upstream.headers)
            )
            if cache.store(key, request.headers, upstream.headers, entry):
                metrics.cache_stores_total += 1
                metrics.cache_bytes = cache.size
        return response

    return handle
