"""Tests for the room the UI benchmark writes through the store."""

from __future__ import annotations

import random
from pathlib import Path

from liveqa.store import Database
from liveqa_bench.seed import ANSWERED_EVERY, MAX_VOTES, seed_room, vote_counts


def test_vote_counts_are_varied_and_bounded() -> None:
    counts = vote_counts(500, random.Random(1))
    assert len(counts) == 500
    assert min(counts) == 1
    assert max(counts) <= MAX_VOTES
    assert len(set(counts)) >= 10
    assert counts == vote_counts(500, random.Random(1))


async def test_the_room_is_what_the_origin_would_have_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liveqa.db'}"
    seeded = await seed_room(url, 60, random.Random(3))
    database = Database.connect(url)
    try:
        async with database.read() as queries:
            room = await queries.room(seeded.room_id)
            questions = await queries.room_questions(seeded.room_id, None)
    finally:
        await database.close()
    assert room is not None
    assert [q.id for q in questions] == seeded.question_ids
    assert [q.upvotes for q in questions] == vote_counts(60, random.Random(3))
    assert len({q.created_at for q in questions}) == 60
    answered = [q for q in questions if q.answered_at is not None]
    assert len(answered) == 60 // ANSWERED_EVERY
    assert all(q.answer_author_id == room.created_by for q in answered)
    assert not any(q.pending for q in questions)
