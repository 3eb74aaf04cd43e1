"""Cross-site changes (SECURITY.md), origin part: another site's page using the user's cookie.

A page on another port of the same host is same-site, so the browser sends the Lax session
cookie with its `fetch(url, {method: "POST", mode: "no-cors", credentials: "include"})`: that
rotated the host key. Such a request can carry no custom header and only a "simple" content
type (text/plain, a form); the origin now refuses exactly those.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .conftest import Stack
from .person import Person


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _no_cors(
    http: aiohttp.ClientSession,
    victim: Person,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "text/plain;charset=UTF-8",
) -> int:
    """What the browser sends for the attacker's page: the victim's cookie, no custom header."""
    headers = {"Cookie": victim.cookie, "Origin": "http://127.0.0.1:1", "Sec-Fetch-Mode": "no-cors"}
    if body is not None:
        headers["Content-Type"] = content_type
    async with http.request(method, victim.url + path, data=body, headers=headers) as answer:
        return answer.status


async def test_another_page_cannot_change_anything_with_the_cookie(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    host = Person(http, stack.url, "198.51.100.10")
    assert await host.start_session("Hana") == 201
    status, created = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
    assert status == 201
    assert await _no_cors(http, host, "POST", "/api/rooms/town-hall/host-key") == 403
    assert await _no_cors(http, host, "POST", "/api/rooms/town-hall/host-key", b"") == 403
    renamed = b'{"displayName": "Pwned"}'
    assert await _no_cors(http, host, "PATCH", "/api/me", renamed) == 415
    form = b"roomId=evil-room"
    assert (
        await _no_cors(http, host, "POST", "/api/rooms", form, "application/x-www-form-urlencoded")
        == 415
    )
    assert await _no_cors(http, host, "POST", "/api/session", b"{}") == 415
    _, snapshot = await host.request("GET", "/api/rooms/town-hall")
    assert snapshot["me"]["displayName"] == "Hana"
    _, key = await host.request("GET", "/api/rooms/town-hall/host-key")
    assert key["hostKey"] == created["hostKey"]
    assert (await host.request("GET", "/api/rooms/evil-room"))[0] == 404
    # The app's own pages still do all of it.
    status, rotated = await host.request("POST", "/api/rooms/town-hall/host-key")
    assert status == 200
    assert rotated["hostKey"] != created["hostKey"]
