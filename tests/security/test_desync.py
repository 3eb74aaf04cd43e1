"""Identity takeover through a desynchronised origin connection (SECURITY.md, fixed attacks).

An attacker's handshake with `Expect: 100-continue` made the origin answer `100 Continue`, then
`200`; the edge took the 100 for the answer and the 200 reached the next person's OPEN, so sockets
ran as someone else, the attacker's as the host. Every socket must keep its own identity.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from .conftest import Stack

ROOM = "desync"
ROUNDS = 15
VICTIMS = 6


async def joined(stack: Stack, name: str) -> aiohttp.ClientSession:
    """A browser with a participant cookie for `name`."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(f"{stack.url}/api/session", json={"displayName": name}) as response:
        assert response.status == 201, await response.text()
    return http


async def ask(ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> dict[str, Any]:
    """Send `message` and return the reply to it, or a CLOSE as {"type": "CLOSED"}."""
    await ws.send_str(json.dumps(message))
    async with asyncio.timeout(10):
        while True:
            frame = await ws.receive()
            if frame.type != aiohttp.WSMsgType.TEXT:
                return {"type": "CLOSED", "code": ws.close_code}
            reply: dict[str, Any] = json.loads(frame.data)
            if reply.get("ref") == message["ref"]:
                return reply


async def attack(stack: Stack, mallory: aiohttp.ClientSession, round_: int) -> str:
    """One handshake asking for 100 Continue, then a host-only change on whatever socket came."""
    url = f"{stack.url}/api/websocket?roomId={ROOM}"
    try:
        ws = await mallory.ws_connect(url, headers={"Expect": "100-continue"})
    except aiohttp.WSServerHandshakeError as refused:
        return f"refused {refused.status}"
    async with ws:
        change = {"type": "ROOMINFO_UPDATE", "ref": f"m{round_}", "displayName": "Mallory's"}
        reply = await ask(ws, change)
    return str(reply["type"] if reply["type"] != "ERROR" else reply["code"])


async def speak(http: aiohttp.ClientSession, stack: Stack, name: str, round_: int) -> str:
    """Open a socket, ask a question signed with this browser's name (first round only, for the
    rate limit), and try a host-only change: the outcome says whom the socket runs as."""
    async with http.ws_connect(f"{stack.url}/api/websocket?roomId={ROOM}") as ws:
        if round_ == 0:
            post = {
                "type": "QUESTION_POST_TO_ROOM",
                "ref": "post",
                "nonce": name,
                "questionText": f"asked by {name}",
            }
            reply = await ask(ws, post)
            assert reply["type"] == "ACK", (name, reply)
        change = {"type": "ROOMINFO_UPDATE", "ref": "change", "displayName": f"{name}'s"}
        reply = await ask(ws, change)
    return str(reply["type"] if reply["type"] != "ERROR" else reply["code"])


async def test_no_socket_ever_runs_as_someone_else(stack: Stack) -> None:
    host = await joined(stack, "Hana")
    people = {f"Vic{index}": await joined(stack, f"Vic{index}") for index in range(VICTIMS)}
    mallory = await joined(stack, "Mallory")
    try:
        async with host.post(f"{stack.url}/api/rooms", json={"roomId": ROOM}) as response:
            assert response.status == 201, await response.text()
        people["Hana"] = host

        async def attacks() -> list[str]:
            return [await attack(stack, mallory, round_) for round_ in range(ROUNDS * 2)]

        async def speaks(name: str, http: aiohttp.ClientSession) -> set[str]:
            return {await speak(http, stack, name, round_) for round_ in range(ROUNDS)}

        attacked, *spoken = await asyncio.gather(
            attacks(), *(speaks(name, http) for name, http in people.items())
        )
        outcomes = dict(zip(people, spoken, strict=True))
        # Only Hana's own sockets ever acted as host; Mallory and the others are attendees.
        assert outcomes == {name: {"ACK" if name == "Hana" else "not_host"} for name in people}
        assert set(attacked) == {"not_host"}, attacked
        async with host.get(f"{stack.url}/api/rooms/{ROOM}") as response:
            snapshot = await response.json()
        assert snapshot["room"]["displayName"] == "Hana's"
        assert snapshot["me"]["isHost"] is True
        authors = {
            (question["questionText"], question["author"]["displayName"])
            for question in snapshot["questions"]
        }
        assert authors == {(f"asked by {name}", name) for name in people}
    finally:
        for http in (*people.values(), mallory):
            await http.close()
