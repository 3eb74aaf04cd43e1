"""Reverse proxy for plain HTTP requests: bodies streamed both ways, target failover, a cache.

GRIP instructions in HTTP responses (`Grip-Hold`, `Grip-Channel`, ...: long-polling and HTTP
streaming) are out of scope: `Grip-*` response headers are stripped and the response is passed
through as it is. These requests carry no `Grip-Sig`, so an origin that checks for one (like
gripcontrol's `is_grip_proxied`) knows the edge will not act on instructions here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
from aiohttp import HttpVersion11, web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

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
# Expect is answered here; X-Forwarded-Proto is set here (kept from a trusted TLS front).
REQUEST_DROPPED = frozenset({"expect", "x-forwarded-proto"})
# The client gets exactly the headers it sent, nothing aiohttp would add on its own.
SKIP_AUTO_HEADERS = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})
BAD_GATEWAY = "Error while proxying to origin.\n"
GATEWAY_TIMEOUT = "Timed out waiting for the origin.\n"


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
    response_timeout: float = 60.0,
    trust_forwarded_proto: bool = False,
) -> Handler:
    """A handler forwarding any request to the first target that accepts a connection.

    `response_timeout` bounds the wait for the origin's response headers (504 past it); a body
    may then take as long as it needs (streams). Connect errors move on to the next target.
    """
    if not targets:
        raise ValueError("the proxy needs at least one origin target")
    if not isinstance(client.cookie_jar, aiohttp.DummyCookieJar):
        raise ValueError("a proxy's client session must not keep cookies: use origin_session()")
    bases = [str(target).rstrip("/") for target in targets]
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout)

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        metrics.http_requests_total += 1
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
        expect = request.headers.get("Expect", "").lower()
        if expect == "100-continue" and request.version >= HttpVersion11:
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        headers = _request_headers(request, trust_forwarded_proto)
        data = request.content if request.body_exists else None
        started = time.monotonic()
        for base in bases:
            metrics.origin_requests_total += 1
            try:
                async with asyncio.timeout(response_timeout):
                    upstream = await client.request(
                        request.method,
                        URL(base + path_qs, encoded=True),
                        headers=headers,
                        data=data,
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
