"""gzip for the responses worth it (JSON, CSV, SVG, the client's text files) when clients accept it.

Never for WebSocket-over-HTTP: the proxy reads those bodies itself and they are small.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web import ContentCoding

COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/javascript",
        "image/svg+xml",
        "text/css",
        "text/csv",
        "text/html",
        "text/javascript",
        "text/plain",
    }
)
# Below this a gzip header and a round of deflate cost more than they save.
MIN_BYTES = 1024
NEVER_COMPRESSED = frozenset({"/api/websocket"})


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an `Accept-Encoding` value allows gzip (q-values honoured, `*` counts)."""
    gzip_q: float | None = None
    any_q: float | None = None
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if name in ("gzip", "x-gzip"):
            gzip_q = q
        elif name == "*":
            any_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return any_q is not None and any_q > 0


def add_vary(response: web.StreamResponse, name: str) -> None:
    """Add `name` to the response's `Vary` unless it is listed already."""
    listed = {
        token.strip().lower()
        for value in response.headers.getall("Vary", ())
        for token in value.split(",")
    }
    if name.lower() not in listed and "*" not in listed:
        response.headers.add("Vary", name)


def compressible(request: web.Request, response: web.StreamResponse) -> bool:
    """A complete, unencoded response of a text type big enough to gain from gzip."""
    if not isinstance(response, web.Response) or request.path in NEVER_COMPRESSED:
        return False
    body = response.body
    return (
        response.status not in (204, 304)
        and "Content-Encoding" not in response.headers
        and response.content_type in COMPRESSIBLE
        and isinstance(body, bytes)
        and len(body) >= MIN_BYTES
    )


@web.middleware
async def compress(request: web.Request, handler: Any) -> web.StreamResponse:
    """gzip the response body when it is worth it and the client accepts it."""
    response: web.StreamResponse = await handler(request)
    if compressible(request, response):
        add_vary(response, "Accept-Encoding")
        if accepts_gzip(request.headers.get("Accept-Encoding", "")):
            response.enable_compression(ContentCoding.gzip)
    return response
