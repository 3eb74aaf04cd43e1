"""Sessions and the room of the application benchmark, made through the REST API."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

import aiohttp

COOKIE = "liveqa_session"
SESSION_CONCURRENCY = 20


@dataclass
class Room:
    """The room under load: its id, the host's cookie and the attendees' cookies."""

    room_id: str
    host_cookie: str
    cookies: list[str] = field(default_factory=list)


async def new_session(session: aiohttp.ClientSession, base_url: str) -> str:
    """A new participant's `Cookie` header value."""
    async with session.post(f"{base_url}/api/session", json={}) as response:
        if response.status != 201 or COOKIE not in response.cookies:
            raise RuntimeError(f"POST /api/session answered {response.status}")
        return f"{COOKIE}={response.cookies[COOKIE].value}"


async def make_room(base_url: str, attendees: int) -> Room:
    """A host, its room and `attendees` sessions, made through the edge."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        host = await new_session(session, base_url)
        room_id = f"b{secrets.token_hex(6)}"
        body = {"roomId": room_id, "displayName": "liveqa bench"}
        async with session.post(
            f"{base_url}/api/rooms", json=body, headers={"Cookie": host}
        ) as response:
            if response.status != 201:
                raise RuntimeError(f"POST /api/rooms answered {response.status}")
        room = Room(room_id, host)
        slots = asyncio.Semaphore(SESSION_CONCURRENCY)

        async def one() -> str:
            async with slots:
                return await new_session(session, base_url)

        room.cookies = list(await asyncio.gather(*(one() for _ in range(attendees))))
        return room


async def current_seq(session: aiohttp.ClientSession, base_url: str, room: Room) -> int:
    """The room's current event number, from its snapshot."""
    url = f"{base_url}/api/rooms/{room.room_id}"
    async with session.get(url, headers={"Cookie": room.host_cookie}) as response:
        response.raise_for_status()
        snapshot = await response.json()
        return int(snapshot["seq"])
