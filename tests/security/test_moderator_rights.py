"""Moderator rights: every moderator message is checked on the server, and a ban
follows the participant (the signed cookie), not the socket it was made on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scale.attendee import Attendee, all_live

from .conftest import Stack

ROOM = "moderated"


@pytest.fixture
async def people(stack: Stack) -> AsyncIterator[dict[str, Attendee]]:
    """The owner Olivia, who created the room and is connected; Gus and Mallory, attendees."""
    cast = {name: Attendee(name, stack.url, ROOM) for name in ("Olivia", "Gus", "Mallory")}
    try:
        for person in cast.values():
            await person.join()
        await cast["Olivia"].call("POST", "/api/rooms", {"roomId": ROOM})
        for person in cast.values():
            await person.connect()
        await all_live(cast["Olivia"], list(cast.values()))
        yield cast
    finally:
        await asyncio.gather(*(person.close() for person in cast.values()))


async def request(person: Attendee, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Status and decoded JSON of one REST call as `person` from the app's page (errors too)."""
    url = person.edge_url + path
    async with person.session.request(
        method, url, json=body, headers={"X-LiveQA": "1"}
    ) as response:
        return response.status, json.loads(await response.text() or "null")


async def ask(person: Attendee, text: str, nonce: str) -> str:
    ack = await person.send(type="QUESTION_POST_TO_ROOM", questionText=text, nonce=nonce)
    assert ack["type"] == "ACK", ack
    return str(ack["questionId"])


async def test_an_attendee_gets_not_host_for_every_moderator_message(
    people: dict[str, Attendee],
) -> None:
    olivia, gus, mallory = people["Olivia"], people["Gus"], people["Mallory"]
    question = await ask(olivia, "An honest question", "o-1")
    spam = await ask(gus, "Spam", "g-1")
    await mallory.send(type="QUESTION_UPVOTE", questionId=spam)
    banned = await olivia.send(type="PARTICIPANT_BAN", questionId=spam)
    assert banned["type"] == "ACK", banned
    await mallory.connect()
    attacks: list[dict[str, Any]] = [
        {"type": "QUESTION_EDIT", "questionId": question, "questionText": "Defaced"},
        {"type": "QUESTION_DELETE", "questionId": question},
        {"type": "PARTICIPANT_BAN", "questionId": question},
        {"type": "PARTICIPANT_UNBAN", "banId": banned["banId"]},
        {"type": "BLOCKED_WORDS_SET", "words": ["honest"]},
        # A question id that does not exist tells nothing either.
        {"type": "QUESTION_EDIT", "questionId": "0123456789abcdef", "questionText": "Probe"},
    ]
    for attack in attacks:
        reply = await mallory.send(**attack)
        assert (reply["type"], reply.get("code")) == ("ERROR", "not_host"), (attack, reply)

    status, snapshot = await request(olivia, "GET", f"/api/rooms/{ROOM}")
    assert status == 200
    assert [q["questionText"] for q in snapshot["questions"]] == ["An honest question"]
    assert snapshot["questions"][0]["editedBy"] is None
    assert snapshot["rules"]["blockedWords"] == []
    assert [ban["banId"] for ban in snapshot["rules"]["bans"]] == [banned["banId"]]
    status, public = await request(mallory, "GET", f"/api/rooms/{ROOM}")
    assert public["rules"] is None


async def test_a_banned_participant_cannot_post_or_vote_from_a_new_tab(
    people: dict[str, Attendee], stack: Stack
) -> None:
    olivia, gus = people["Olivia"], people["Gus"]
    hosts_question = await ask(olivia, "Welcome!", "o-1")
    spam = await ask(gus, "Buy followers", "g-1")
    banned = await olivia.send(type="PARTICIPANT_BAN", questionId=spam)
    assert banned["type"] == "ACK", banned

    # A new tab: a new socket on the same cookie, then a second browser session holding it.
    await gus.connect()
    tab = Attendee("Gus", stack.url, ROOM)
    try:
        for cookie in gus.session.cookie_jar:
            tab.session.cookie_jar.update_cookies({cookie.key: cookie.value})
        await tab.connect()
        for person in (gus, tab):
            posted = await person.send(
                type="QUESTION_POST_TO_ROOM", questionText="Buy more", nonce=f"{id(person)}"
            )
            voted = await person.send(type="QUESTION_UPVOTE", questionId=hosts_question)
            for reply in (posted, voted):
                assert (reply["type"], reply.get("code")) == ("ERROR", "banned"), reply
                assert "banned you" in reply["message"]
        status, snapshot = await request(tab, "GET", f"/api/rooms/{ROOM}")
    finally:
        await tab.close()
    assert status == 200
    assert snapshot["me"]["banned"] is True
    assert [q["questionText"] for q in snapshot["questions"]] == ["Welcome!"]
    # The host link does not undo a ban.
    _, key = await request(olivia, "GET", f"/api/rooms/{ROOM}/host-key")
    status, refused = await request(
        gus, "POST", f"/api/rooms/{ROOM}/hosts", {"hostKey": key["hostKey"]}
    )
    assert (status, refused["error"]["code"]) == (403, "banned")
