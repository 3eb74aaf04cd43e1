"""Request bodies as the origin takes them: uncompressed, and sent whole within a deadline."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from liveqa.origin.api import error_response

DEFAULT_BODY_TIMEOUT = 30.0
# Also how long a new connection has for its first request head: aiohttp starts the same timer.
DEFAULT_IDLE_TIMEOUT = 15.0
NOT_COMPRESSED = (
    "request bodies must not be compressed: send it without Content-Encoding "
    "(responses are compressed when you send Accept-Encoding)"
)


def server_settings(idle_timeout: float) -> dict[str, Any]:
    """The aiohttp server settings of the origin (`web.AppRunner` keywords)."""
    # aiohttp would inflate a compressed body as it arrives, a gzip bomb included, even when
    # the request is then refused: the origin reads bodies as sent. After a refusal, the rest of
    # a body is read and dropped for a while (so the client sees the answer, not a reset):
    # 2 s rather than 10 for a client that sends it slowly.
    return {"keepalive_timeout": idle_timeout, "auto_decompress": False, "lingering_time": 2.0}


def body_rules(timeout: float) -> Middleware:
    """Refuse compressed bodies (415) and bodies not sent within `timeout` seconds (408)."""

    @web.middleware
    async def bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists:
            encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding != "identity":
                return error_response(415, "unsupported_media_type", NOT_COMPRESSED)
            try:
                async with asyncio.timeout(timeout):
                    # Kept by aiohttp: the handler's own read() returns it at once.
                    await request.read()
            except TimeoutError:
                response = error_response(
                    408, "request_timeout", f"the request body took over {timeout:g} s"
                )
                response.force_close()
                return response
        return await handler(request)

    return bodies
