"""A room of many questions written into a liveqa database through the store's own queries.

Posting them through the API would take minutes: the origin allows each participant a few
questions and votes a minute. The rows are the ones the origin writes (a question carries its
author's vote; every other vote is a row of its own, counted by the store), so the origin serves
them exactly as if people had posted and voted.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass

from liveqa.origin.limits import DEFAULT_THEME_COLOR
from liveqa.store import Database

# Most questions get few votes and a few get many, as in a real room.
MAX_VOTES = 60
ANSWERED_EVERY = 25
ASKED_EVERY_MS = 7_000


@dataclass(frozen=True)
class SeededRoom:
    """The room's id and its questions' ids, oldest first."""

    room_id: str
    question_ids: list[str]


def vote_counts(questions: int, rng: random.Random) -> list[int]:
    """Each question's votes, its author's included: 1 to MAX_VOTES, skewed towards few."""
    return [min(MAX_VOTES, int(rng.paretovariate(1.1))) for _ in range(questions)]


async def seed_room(database_url: str, questions: int, rng: random.Random) -> SeededRoom:
    """Migrate the database and write a room with `questions` questions, a few answered."""
    database = Database.connect(database_url)
    try:
        await database.upgrade()
        return await _write(database, questions, rng)
    finally:
        await database.close()


async def _write(database: Database, questions: int, rng: random.Random) -> SeededRoom:
    now = time.time_ns() // 1_000_000
    room_id = f"ui{secrets.token_hex(6)}"
    counts = vote_counts(questions, rng)
    people = [secrets.token_hex(8) for _ in range(MAX_VOTES + 1)]
    host = people[0]
    ids: list[str] = []
    async with database.write() as queries:
        for index, person in enumerate(people):
            await queries.create_participant(person, f"Attendee {index}", now)
        await queries.create_room(
            room_id,
            display_name="liveqa bench ui",
            theme_color=DEFAULT_THEME_COLOR,
            host_key=secrets.token_urlsafe(24),
            created_by=host,
            now=now,
        )
        for index, votes in enumerate(counts):
            asked = now - (questions - index) * ASKED_EVERY_MS
            author = people[index % len(people)]
            question_id = secrets.token_hex(8)
            await queries.insert_question(
                question_id=question_id,
                room_id=room_id,
                author_id=author,
                nonce=secrets.token_hex(8),
                text=f"Question {index + 1}: {_TEXTS[index % len(_TEXTS)]}",
                anonymous=False,
                pending=False,
                now=asked,
            )
            voters = [person for person in people if person != author][: votes - 1]
            for voter in voters:
                await queries.set_vote(question_id, voter, True, asked)
            if index % ANSWERED_EVERY == ANSWERED_EVERY - 1:
                await queries.set_answer(
                    question_id, text="Answered on stage.", author_id=host, now=asked
                )
            ids.append(question_id)
    return SeededRoom(room_id, ids)


# Lengths vary, as in a real room, so cards have different heights.
_TEXTS = [
    "How does the edge keep thousands of sockets open?",
    "Will the slides be shared after the talk?",
    "What happens to questions when the room is closed? Are they exported, kept for later, or "
    "deleted straight away, and who can still read them afterwards?",
    "Why SQLite by default?",
    "Can hosts approve questions before they show up for everyone else in the room?",
    "Is there a limit on how many people can join one room, and what breaks first when a very "
    "large audience all votes at the same moment?",
    "Does it work behind Fastly Fanout?",
]
