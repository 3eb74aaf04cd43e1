"""Moderation messages are host-only, bounded, and never reach into another room.

Bulk approve and dismiss, mark answered and reopen are checked on the server, so a
page that shows an attendee the buttons (or a hand-written message) changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scale.attendee import Attendee

from .conftest import Stack

ROOM = "guarded"
OTHER_ROOM = "elsewhere"


@pytest.fixture
async def cast(stack: Stack) -> AsyncIterator[dict[str, Attendee]]:
    """Olivia hosts ROOM, Gus attends it, Mallory hosts OTHER_ROOM."""
    people = {
        "Olivia": Attendee("Olivia", stack.url, ROOM),
        "Gus": Attendee("Gus", stack.url, ROOM),
        "Mallory": Attendee("Mallory", stack.url, OTHER_ROOM),
    }
    try:
        for person in people.values():
            await person.join()
        yield people
    finally:
        await asyncio.gather(*(person.close() for person in people.values()))


async def test_only_hosts_of_the_room_moderate_it(cast: dict[str, Attendee]) -> None:
    olivia, gus, mallory = cast["Olivia"], cast["Gus"], cast["Mallory"]
    await olivia.call("POST", "/api/rooms", {"roomId": ROOM})
    await mallory.call("POST", "/api/rooms", {"roomId": OTHER_ROOM})
    for person in cast.values():
        await person.connect()
    assert (await olivia.send(type="ROOMINFO_UPDATE", moderation=True))["type"] == "ACK"
    held = await gus.send(type="QUESTION_POST_TO_ROOM", questionText="Held?", nonce="n-1")
    assert held["pending"] is True
    await olivia.send(type="ROOMINFO_UPDATE", moderation=False)
    shown = await gus.send(type="QUESTION_POST_TO_ROOM", questionText="Shown?", nonce="n-2")
    assert shown["pending"] is False
    held_id, shown_id = held["questionId"], shown["questionId"]

    forged: list[dict[str, Any]] = [
        {"type": "QUESTIONS_APPROVE", "questionIds": [held_id]},
        {"type": "QUESTIONS_DISMISS", "questionIds": [held_id]},
        {"type": "QUESTION_MARK_ANSWERED", "questionId": shown_id},
        {"type": "QUESTION_MARK_ANSWERED", "questionId": shown_id, "answered": False},
    ]
    for message in forged:
        reply = await gus.send(**message)
        assert (reply["type"], reply["code"]) == ("ERROR", "not_host"), (message, reply)
    # A host of another room names this room's questions from her own room: nothing is found.
    for message in forged[:2]:
        reply = await mallory.send(**message, roomId=ROOM)
        assert (reply["type"], reply["questionIds"]) == ("ACK", []), (message, reply)
    reply = await mallory.send(**forged[2], roomId=ROOM)
    assert (reply["type"], reply["code"]) == ("ERROR", "unknown_question")

    # A list over the bound is refused whole, with a reason, even for a host.
    oversize = [f"{n:016x}" for n in range(201)]
    for kind in ("QUESTIONS_APPROVE", "QUESTIONS_DISMISS"):
        reply = await olivia.send(type=kind, questionIds=[held_id, *oversize])
        assert (reply["type"], reply["code"]) == ("ERROR", "too_many_questions_at_once"), reply
        assert "at most 200" in reply["message"]

    snapshot = await olivia.call("GET", f"/api/rooms/{ROOM}")
    states = {q["questionId"]: (q["pending"], q["answerTimestamp"]) for q in snapshot["questions"]}
    assert states == {held_id: (True, None), shown_id: (False, None)}
