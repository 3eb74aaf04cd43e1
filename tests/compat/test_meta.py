"""Connection meta: `Set-Meta-*` response headers come back as `Meta-*` on later requests."""

from __future__ import annotations

import aiohttp
import pytest

from .origin import OriginRequest, Reply, Script, echo_reply
from .proxies import Proxy
from .publisher import receive_str

pytestmark = [pytest.mark.pushpin, pytest.mark.asyncio(loop_scope="package")]


async def test_set_meta_is_stored_replaced_and_deleted(
    proxy: Proxy, origin: Script, http: aiohttp.ClientSession
) -> None:
    headers_for = {
        "OPEN": {"Set-Meta-User": "alice", "Set-Meta-Room": "lobby"},
        "rename": {"Set-Meta-User": "bob"},
        "forget": {"Set-Meta-User": ""},
    }

    async def respond(request: OriginRequest) -> Reply:
        reply = echo_reply(request)
        key = "OPEN" if ("OPEN", None) in request.events else b"".join(request.texts()).decode()
        reply.headers.update(headers_for.get(key, {}))
        return reply

    origin.respond = respond
    url = proxy.ws_url(origin.path)
    async with http.ws_connect(url, headers={"Meta-User": "mallory"}) as ws:
        for text in ("first", "rename", "second", "forget", "third"):
            await ws.send_str(text)
            assert await receive_str(ws) == text
        opened, *later = [await origin.next() for _ in range(6)]
        seen = [(r.headers.get("Meta-User"), r.headers.get("Meta-Room")) for r in later]
    assert "Meta-User" not in opened.headers
    assert seen == [
        ("alice", "lobby"),
        ("alice", "lobby"),
        ("bob", "lobby"),
        ("bob", "lobby"),
        (None, "lobby"),
    ]
