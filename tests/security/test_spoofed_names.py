"""Spoofed names (SECURITY.md, fixed attacks): names that pass for a host's.

Bidi controls and zero-width characters made "\\u202eTSOH\\u202c Alice" show as "HOST Alice",
and an attendee could take a host's exact name; questions did not say who hosts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .conftest import Stack
from .person import Person

DISGUISED = ["\u202eTSOH\u202c Alice", "Ha\u200bna", "\u2067Hana\u2069", "Hana\ufeff"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_names_with_invisible_characters_are_refused(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    host = Person(http, stack.url, "198.51.100.10")
    assert await host.start_session("Hana") == 201
    assert (await host.request("POST", "/api/rooms", {"roomId": "town-hall"}))[0] == 201
    for name in DISGUISED:
        assert await Person(http, stack.url, "198.51.100.11").start_session(name) == 400
    attacker = Person(http, stack.url, "198.51.100.12")
    assert await attacker.start_session("Mallory") == 201
    for name in DISGUISED:
        status, body = await attacker.request("PATCH", "/api/me", {"displayName": name})
        assert status == 400
        assert "invisible formatting character" in body["error"]["message"]
    status, _ = await host.request(
        "POST", "/api/rooms", {"roomId": "other-room", "displayName": "\u202eTSOH\u202c room"}
    )
    assert status == 400
    socket = await attacker.socket("town-hall")
    for name in DISGUISED:
        reply = await attacker.send(socket, {"type": "USERINFO_UPDATE", "displayName": name})
        assert (reply["type"], reply["code"]) == ("ERROR", "invalid_text")
    trojan = "Approved by the host \u202e.dias I tahw toN"
    post = {"type": "QUESTION_POST_TO_ROOM", "questionText": trojan, "nonce": "t1"}
    assert (await attacker.send(socket, post))["code"] == "invalid_text"
    await socket.close()
    _, snapshot = await host.request("GET", "/api/rooms/town-hall")
    assert snapshot["questions"] == []


async def test_a_copy_of_the_host_name_is_told_apart(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    host = Person(http, stack.url, "198.51.100.10")
    assert await host.start_session("Hana") == 201
    assert (await host.request("POST", "/api/rooms", {"roomId": "town-hall"}))[0] == 201
    copycat = Person(http, stack.url, "198.51.100.12")
    assert await copycat.start_session("Hana") == 201
    for person, text in ((host, "From the stage"), (copycat, "Also from the stage, honest")):
        socket = await person.socket("town-hall")
        post = {"type": "QUESTION_POST_TO_ROOM", "questionText": text, "nonce": "n1"}
        assert (await person.send(socket, post))["type"] == "ACK"
        await socket.close()
    _, snapshot = await copycat.request("GET", "/api/rooms/town-hall")
    seen = {(q["author"]["displayName"], q["authorIsHost"]) for q in snapshot["questions"]}
    assert seen == {("Hana", True), ("Hana", False)}
