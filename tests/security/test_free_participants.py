"""Free participants (SECURITY.md): they cost nothing, so limits per participant alone are void.

One attacker address mints sessions, rooms, votes and questions as fast as it can; the
per-address limits (lowered here so the attacks stay small) stop it, and people at other
addresses are not affected.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from scale.test_deploy_files import shipped_pushpin

from .conftest import Stack
from .person import Person

ATTACKER = "203.0.113.66"
LIMITS = [
    "--rate-address-sessions",
    "8/3600",
    "--rate-address-rooms",
    "2/3600",
    "--rate-address-votes",
    "3/3600",
    "--rate-address-questions",
    "4/3600",
    "--limit-questions-per-participant",
    "2",
    "--rate-questions",
    "0",
    "--rate-votes",
    "0",
    "--rate-rooms",
    "0",
]
# Behind a TLS front, with low per-address limits.
pytestmark = pytest.mark.stack_options(origin=LIMITS, behind_proxy=True)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _room(http: aiohttp.ClientSession, stack: Stack, room_id: str) -> Person:
    host = Person(http, stack.url, "198.51.100.10")
    assert await host.start_session("Hana") == 201
    status, body = await host.request("POST", "/api/rooms", {"roomId": room_id})
    assert status == 201, body
    return host


async def test_sessions_from_one_address_are_limited(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    statuses = [await Person(http, stack.url, ATTACKER).start_session() for _ in range(12)]
    assert statuses == [201] * 8 + [429] * 4
    # The whole IPv6 /64 is one address.
    v6 = [await Person(http, stack.url, f"2001:db8:5:6::{i}").start_session() for i in range(1, 11)]
    assert v6 == [201] * 8 + [429] * 2
    assert await Person(http, stack.url, "198.51.100.20").start_session() == 201
    # What the client writes before the front's entry changes nothing.
    liar = Person(http, stack.url, f"192.0.2.1, {ATTACKER}")
    assert await liar.start_session() == 429


async def test_rooms_from_one_address_are_limited(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    statuses = []
    for index in range(4):
        creator = Person(http, stack.url, ATTACKER)
        assert await creator.start_session() == 201
        status, _ = await creator.request("POST", "/api/rooms", {"roomId": f"spam-{index}"})
        statuses.append(status)
    assert statuses == [201, 201, 429, 429]


async def test_votes_stuffed_from_one_address_are_limited(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    host = await _room(http, stack, "town-hall")
    socket = await host.socket("town-hall")
    posted = await host.send(
        socket, {"type": "QUESTION_POST_TO_ROOM", "questionText": "Mine?", "nonce": "n1"}
    )
    question_id = posted["questionId"]
    replies = []
    for _ in range(6):
        sock_puppet = Person(http, stack.url, ATTACKER)
        assert await sock_puppet.start_session() == 201
        puppet_socket = await sock_puppet.socket("town-hall")
        vote = {"type": "QUESTION_UPVOTE", "questionId": question_id}
        replies.append(await sock_puppet.send(puppet_socket, vote))
        await puppet_socket.close()
    assert [r["type"] for r in replies] == ["ACK"] * 3 + ["ERROR"] * 3
    assert {r.get("code") for r in replies[3:]} == {"rate_limited"}
    status, snapshot = await host.request("GET", "/api/rooms/town-hall")
    assert status == 200
    assert snapshot["questions"][0]["upvotes"] == 1 + 3
    await socket.close()


async def test_one_address_cannot_fill_a_room(stack: Stack, http: aiohttp.ClientSession) -> None:
    host = await _room(http, stack, "town-hall")
    replies = []
    for _ in range(3):
        flooder = Person(http, stack.url, ATTACKER)
        assert await flooder.start_session() == 201
        flood = await flooder.socket("town-hall")
        for index in range(3):
            message = {
                "type": "QUESTION_POST_TO_ROOM",
                "questionText": f"Spam {index}",
                "nonce": f"spam-{index}",
            }
            replies.append(await flooder.send(flood, message))
        await flood.close()
    codes = [r.get("code", r["type"]) for r in replies]
    # Two questions a person; four attempts in all from the address.
    assert codes == ["ACK", "ACK", "too_many_questions", "ACK"] + ["rate_limited"] * 5
    attendee = Person(http, stack.url, "198.51.100.30")
    assert await attendee.start_session() == 201
    own = await attendee.socket("town-hall")
    message = {"type": "QUESTION_POST_TO_ROOM", "questionText": "Real one", "nonce": "r1"}
    assert (await attendee.send(own, message))["type"] == "ACK"
    await own.close()
    assert host.participant_id


async def test_made_up_attendees_and_projectors_do_not_inflate_the_count(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    host = await _room(http, stack, "town-hall")
    sockets = [await host.socket("town-hall", "&view=present")]
    puppets = [Person(http, stack.url, ATTACKER) for _ in range(12)]
    statuses = [await puppet.start_session() for puppet in puppets]
    assert statuses == [201] * 8 + [429] * 4
    for puppet in puppets[:8]:
        sockets += [await puppet.socket("town-hall") for _ in range(2)]
    attendee = Person(http, stack.url, "198.51.100.40")
    assert await attendee.start_session() == 201
    sockets.append(await attendee.socket("town-hall"))
    for socket in sockets:  # every socket has been accepted once it answers
        reply = await host.send(socket, {"type": "QUESTION_DELETE", "questionId": "0" * 16})
        assert reply["type"] == "ERROR"
    # Sockets are counted in batches, every attendance interval (2 s).
    counts = []
    for _ in range(6):
        await asyncio.sleep(1)
        _, snapshot = await host.request("GET", "/api/rooms/town-hall")
        counts.append(snapshot["attendees"])
    assert counts[-3:] == [8 + 1] * 3, counts
    for socket in sockets:
        await socket.close()


@pytest.mark.pushpin
async def test_votes_through_pushpin_behind_a_front_are_limited_per_address(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Pushpin appends its peer to X-Forwarded-For again on every WebSocket-over-HTTP request,
    so the client's address is not at a fixed distance from the end of the header."""
    async with shipped_pushpin(tmp_path, LIMITS) as front:
        host = Person(http, front.url, "198.51.100.10")
        assert await host.start_session("Hana") == 201
        assert (await host.request("POST", "/api/rooms", {"roomId": "town-hall"}))[0] == 201
        socket = await host.socket("town-hall")
        post = {"type": "QUESTION_POST_TO_ROOM", "questionText": "Mine?", "nonce": "n1"}
        question_id = (await host.send(socket, post))["questionId"]
        codes = []
        for _ in range(5):
            puppet = Person(http, front.url, ATTACKER)
            assert await puppet.start_session() == 201
            puppet_socket = await puppet.socket("town-hall")
            vote = {"type": "QUESTION_UPVOTE", "questionId": question_id}
            # Earlier messages make Pushpin's header longer on the next request.
            for _ in range(2):
                await puppet.send(puppet_socket, {"type": "QUESTION_DELETE", "questionId": "x"})
            reply = await puppet.send(puppet_socket, vote)
            codes.append(reply.get("code", reply["type"]))
            await puppet_socket.close()
        assert codes == ["ACK"] * 3 + ["rate_limited"] * 2
        await socket.close()
