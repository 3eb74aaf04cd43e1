"""Host rights: a leaked host key stops working for good once the owner rotates it.

SECURITY.md, fixed attacks: whoever joined with a leaked key stayed host after a rotation (every
snapshot a host loaded carried the new key) and kept the hosts' channel on the socket it had open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from compat.rawclient import RawHandshake, handshake
from scale.attendee import Attendee, all_live
from support.frames import read_frame

from .conftest import Stack

ROOM = "leaky"
CLOSE_HOST_REVOKED = 4403
WAIT = 10.0


async def request(person: Attendee, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Status and decoded JSON of one REST call as `person` from the app's page (errors too)."""
    headers = {"X-LiveQA": "1"}
    url = person.edge_url + path
    async with person.session.request(method, url, json=body, headers=headers) as response:
        return response.status, json.loads(await response.text() or "null")


@pytest.fixture
async def people(stack: Stack) -> AsyncIterator[dict[str, Attendee]]:
    """The owner Olivia, who created the room; Mallory, who holds its leaked key; Gus, a guest."""
    cast = {name: Attendee(name, stack.url, ROOM) for name in ("Olivia", "Mallory", "Gus")}
    try:
        for person in cast.values():
            await person.join()
        yield cast
    finally:
        await asyncio.gather(*(person.close() for person in cast.values()))


async def heard_question(person: Attendee, text: str, within: float = WAIT) -> None:
    """Wait until one of the person's sockets received the question `text`."""
    deadline = time.monotonic() + within
    while not any(text in json.dumps(messages) for messages in person.received):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{person.name} never received {text!r}")
        await asyncio.sleep(0.02)


async def closed_with(person: Attendee, code: int, within: float = WAIT) -> None:
    """Wait until the person's current socket was closed by the server with `code`."""
    deadline = time.monotonic() + within
    while code not in person.close_codes:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{person.name}'s socket was not closed with {code}")
        await asyncio.sleep(0.02)


async def not_host(person: Attendee) -> None:
    """A host action on a fresh socket is refused with `not_host`."""
    await person.connect()
    reply = await person.send(type="QUESTION_HIGHLIGHT", questionId=None)
    assert (reply["type"], reply.get("code")) == ("ERROR", "not_host"), reply


async def leaked_cohost(people: dict[str, Attendee]) -> tuple[str, int]:
    """Olivia creates the room, Mallory joins with its key; everyone's socket is live, the room
    is moderated and Mallory hears a question held for approval (hosts only). The key and seq."""
    olivia, mallory, gus = people["Olivia"], people["Mallory"], people["Gus"]
    created = await olivia.call("POST", "/api/rooms", {"roomId": ROOM})
    me = await mallory.call("POST", f"/api/rooms/{ROOM}/hosts", {"hostKey": created["hostKey"]})
    assert me["isHost"] is True
    for person in people.values():
        await person.connect()
    seq = await all_live(olivia, list(people.values()))
    assert (await olivia.send(type="ROOMINFO_UPDATE", moderation=True))["type"] == "ACK"
    held = await gus.send(type="QUESTION_POST_TO_ROOM", questionText="Held one", nonce="n-1")
    assert held.get("pending") is True, held
    await heard_question(mallory, "Held one")
    return str(created["hostKey"]), seq


async def test_rotating_the_key_revokes_the_cohost_who_joined_with_it(
    people: dict[str, Attendee],
) -> None:
    olivia, mallory, gus = people["Olivia"], people["Mallory"], people["Gus"]
    old_key, _ = await leaked_cohost(people)

    status, rotated = await request(olivia, "POST", f"/api/rooms/{ROOM}/host-key")
    assert status == 200, rotated
    new_key = rotated["hostKey"]

    # Hosts-only events stop reaching every socket Mallory has, the one she had open included:
    # the server closed it, and she comes back as an attendee.
    held = await gus.send(type="QUESTION_POST_TO_ROOM", questionText="Held two", nonce="n-2")
    assert held.get("pending") is True, held
    await heard_question(olivia, "Held two")
    await asyncio.sleep(0.5)
    assert "Held two" not in json.dumps(mallory.received)
    await closed_with(mallory, CLOSE_HOST_REVOKED)
    await not_host(mallory)

    status, snapshot = await request(mallory, "GET", f"/api/rooms/{ROOM}")
    assert status == 200
    assert (snapshot["me"]["isHost"], snapshot["me"]["isOwner"]) == (False, False)
    assert [q["questionText"] for q in snapshot["questions"]] == []
    for method in ("GET", "POST"):
        status, refused = await request(mallory, method, f"/api/rooms/{ROOM}/host-key")
        assert (status, refused["error"]["code"]) == (403, "not_host")
    status, refused = await request(
        mallory, "POST", f"/api/rooms/{ROOM}/hosts", {"hostKey": old_key}
    )
    assert (status, refused["error"]["code"]) == (403, "wrong_host_key")
    assert new_key not in json.dumps(mallory.received)
    assert new_key not in json.dumps(gus.received)
    assert [p["displayName"] for p in rotated["revoked"]] == ["Mallory"]


async def test_only_the_owner_ever_sees_the_host_key(people: dict[str, Attendee]) -> None:
    olivia, mallory, gus = people["Olivia"], people["Mallory"], people["Gus"]
    key, _ = await leaked_cohost(people)

    for person in (olivia, mallory, gus):
        status, snapshot = await request(person, "GET", f"/api/rooms/{ROOM}")
        assert status == 200
        assert key not in json.dumps(snapshot), person.name
    for person, code in ((mallory, "not_owner"), (gus, "not_host")):
        for method in ("GET", "POST"):
            status, refused = await request(person, method, f"/api/rooms/{ROOM}/host-key")
            assert (status, refused["error"]["code"]) == (403, code), (person.name, method)
    status, owned = await request(olivia, "GET", f"/api/rooms/{ROOM}/host-key")
    assert (status, owned["hostKey"]) == (200, key)
    for person in (mallory, gus):
        assert key not in json.dumps(person.received), person.name


async def test_the_owner_removes_a_cohost_whose_open_socket_stops_hosting(
    people: dict[str, Attendee],
) -> None:
    olivia, mallory, gus = people["Olivia"], people["Mallory"], people["Gus"]
    await leaked_cohost(people)
    status, hosts = await request(mallory, "GET", f"/api/rooms/{ROOM}/hosts")
    assert status == 200
    roles = [(h["displayName"], h["role"]) for h in hosts["hosts"]]
    assert roles == [("Olivia", "owner"), ("Mallory", "cohost")]
    owner_id = hosts["hosts"][0]["participantId"]
    mallory_id = hosts["hosts"][1]["participantId"]

    status, refused = await request(mallory, "DELETE", f"/api/rooms/{ROOM}/hosts/{owner_id}")
    assert (status, refused["error"]["code"]) == (403, "not_owner")
    status, after = await request(olivia, "DELETE", f"/api/rooms/{ROOM}/hosts/{mallory_id}")
    assert status == 200, after
    assert [h["displayName"] for h in after["hosts"]] == ["Olivia"]

    await closed_with(mallory, CLOSE_HOST_REVOKED)
    held = await gus.send(type="QUESTION_POST_TO_ROOM", questionText="Held two", nonce="n-2")
    assert held.get("pending") is True, held
    await heard_question(olivia, "Held two")
    await not_host(mallory)
    await asyncio.sleep(0.5)
    assert "Held two" not in json.dumps(mallory.received)


OP_CLOSE = 8
REVOKED_CLOSE = ("close", CLOSE_HOST_REVOKED.to_bytes(2, "big") + b"host_revoked")


async def frames_of(raw: RawHandshake, into: list[tuple[str, bytes]]) -> None:
    """Append ("data" | "close", payload) for each frame the edge sends, in order."""
    with contextlib.suppress(asyncio.IncompleteReadError):
        while True:
            opcode, payload = await read_frame(raw.reader, wait=None)
            if opcode == OP_CLOSE:
                into.append(("close", payload))
            elif opcode < OP_CLOSE:
                into.append(("data", payload))


async def test_a_revoked_socket_that_never_answers_the_close_hears_nothing_more(
    stack: Stack, people: dict[str, Attendee]
) -> None:
    """The close frame is the last thing the revoked socket gets, even while it does not answer."""
    olivia, mallory, gus = people["Olivia"], people["Mallory"], people["Gus"]
    created = await olivia.call("POST", "/api/rooms", {"roomId": ROOM})
    await mallory.call("POST", f"/api/rooms/{ROOM}/hosts", {"hostKey": created["hostKey"]})
    cookie = "; ".join(f"{c.key}={c.value}" for c in mallory.session.cookie_jar)
    raw = await handshake(stack.edge.port, f"/api/websocket?roomId={ROOM}", [("Cookie", cookie)])
    assert raw.status == 101
    frames: list[tuple[str, bytes]] = []
    reading = asyncio.create_task(frames_of(raw, frames))
    try:
        for person in (olivia, gus):
            await person.connect()
        for attempt in range(50):
            await olivia.send(type="ROOMINFO_UPDATE", displayName=f"Warming up {attempt}")
            await asyncio.sleep(0.1)
            if frames and olivia.live_seqs() and gus.live_seqs():
                break
        await olivia.send(type="ROOMINFO_UPDATE", moderation=True)
        hosts = await olivia.call("GET", f"/api/rooms/{ROOM}/hosts")
        mallory_id = hosts["hosts"][1]["participantId"]
        status, _ = await request(olivia, "DELETE", f"/api/rooms/{ROOM}/hosts/{mallory_id}")
        assert status == 200
        deadline = time.monotonic() + WAIT
        while REVOKED_CLOSE not in frames:
            assert time.monotonic() < deadline, frames[-3:]
            await asyncio.sleep(0.02)
        # The raw client never answers the close; the room goes on meanwhile.
        held = await gus.send(type="QUESTION_POST_TO_ROOM", questionText="Held later", nonce="n")
        assert held.get("pending") is True, held
        await heard_question(olivia, "Held later")
        await asyncio.sleep(0.3)
        after = frames[frames.index(REVOKED_CLOSE) + 1 :]
        assert after == []
    finally:
        reading.cancel()
        raw.abort()
