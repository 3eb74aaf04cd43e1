"""Tests for an attendee's accounting of room events."""

from __future__ import annotations

from array import array

import msgspec

from liveqa.origin.messages import (
    Ack,
    AttendanceChanged,
    Error,
    QuestionUpvoted,
    VoteChanged,
    encode,
)
from liveqa_bench.room import RoomTally, is_reply, room_seq


def upvoted(seq: int) -> bytes:
    return encode(QuestionUpvoted(room_id="r" * 64, seq=seq, question_id="q1", upvotes=3))


def test_finds_the_seq_of_numbered_events_only() -> None:
    assert room_seq(upvoted(12345)) == 12345
    assert room_seq(encode(AttendanceChanged(room_id="r", attendees=4))) is None
    vote = VoteChanged(room_id="r", question_id="q", upvoted=True, upvotes=1)
    assert room_seq(encode(vote)) is None
    assert room_seq(b"{}") is None
    text = msgspec.json.encode({"type": "X", "questionText": '"seq":5'})
    assert room_seq(text) is None


def test_replies_are_told_apart() -> None:
    assert is_reply(encode(Ack(ref=1)))
    assert is_reply(encode(Error(ref=1, code="c", message="m")))
    assert not is_reply(upvoted(1))


def test_counts_arrivals_from_base_and_hands_replies_over() -> None:
    replies: list[bytes] = []
    tally = RoomTally(lambda payload, now: replies.append(payload))
    tally.receive([upvoted(7)], 5)
    assert tally.primed
    tally.base = 10
    tally.reset(3)
    attendance = encode(AttendanceChanged(room_id="r", attendees=4))
    tally.receive([upvoted(9), upvoted(10), upvoted(12), attendance, encode(Ack(ref=2))], 100)
    tally.receive([upvoted(12), upvoted(14)], 200)
    assert (tally.received, tally.duplicated, tally.other, len(replies)) == (3, 1, 1, 1)
    assert (tally.first_ns, tally.last_ns) == (100, 200)
    assert tally.lost(3) == 1
    assert tally.lost(5) == 2
    latencies = array("q")
    tally.latencies_since(array("q", [40, 0, 50, 0, 0]), latencies)
    assert list(latencies) == [60, 50]
