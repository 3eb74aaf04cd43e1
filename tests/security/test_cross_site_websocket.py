"""Cross-site WebSocket handshakes: the edge checks Origin and takes handshakes on one path only.

A page on another port of the same host opened the host's socket with the visitor's cookie, and
a handshake to `/api/rooms/R/host-key` reached the origin as a POST that rotated the host key.
"""

from __future__ import annotations

import base64
import json
import os

import pytest

from .conftest import Stack
from .raw import Answer, connected, read_answer, request

JSON = ("Content-Type", "application/json")


def upgrade(*headers: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """The headers of a WebSocket handshake, then `headers`."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
        *headers,
    )


async def send(
    stack: Stack, method: str, target: str, *headers: tuple[str, str], body: bytes = b""
) -> Answer:
    """One request on a fresh connection."""
    async with connected(stack) as (reader, writer):
        writer.write(request(stack, method, target, *headers, body=body))
        return await read_answer(reader)


async def host_of_a_room(stack: Stack) -> tuple[str, str]:
    """A session cookie, for the host of a new room `talk`, and the room's host key."""
    session = await send(stack, "POST", "/api/session", JSON, body=b"{}")
    cookie = session.headers["set-cookie"].split(";")[0]
    body = json.dumps({"roomId": "talk"}).encode()
    created = await send(stack, "POST", "/api/rooms", JSON, ("Cookie", cookie), body=body)
    assert created.status == 201, created.body
    return cookie, json.loads(created.body)["hostKey"]


async def test_a_handshake_elsewhere_than_the_socket_never_reaches_the_origin(stack: Stack) -> None:
    cookie, key = await host_of_a_room(stack)
    own = ("Origin", stack.url)
    answer = await send(stack, "GET", "/api/rooms/talk/host-key", *upgrade(own, ("Cookie", cookie)))
    assert answer.status == 404
    assert b"WebSocket handshakes are served on /api/websocket" in answer.body
    room = await send(stack, "GET", "/api/rooms/talk/host-key", ("Cookie", cookie))
    assert json.loads(room.body)["hostKey"] == key  # still the same key


@pytest.mark.parametrize("origin", ["http://127.0.0.1:1", "https://evil.example", "null"])
async def test_a_page_of_another_origin_cannot_open_the_socket(stack: Stack, origin: str) -> None:
    cookie, _ = await host_of_a_room(stack)
    answer = await send(
        stack,
        "GET",
        "/api/websocket?roomId=talk",
        *upgrade(("Origin", origin), ("Cookie", cookie)),
    )
    assert answer.status == 403
    assert f"Origin {origin} is not allowed".encode() in answer.body


@pytest.mark.parametrize("origin", [None, "own"])
async def test_the_own_page_and_programs_without_origin_still_connect(
    stack: Stack, origin: str | None
) -> None:
    cookie, _ = await host_of_a_room(stack)
    extra = [("Cookie", cookie)]
    if origin is not None:
        extra.append(("Origin", stack.url))
    async with connected(stack) as (reader, writer):
        writer.write(request(stack, "GET", "/api/websocket?roomId=talk", *upgrade(*extra)))
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
