"""Tests for the application benchmark's write schedule and its acks."""

from __future__ import annotations

import msgspec
import pytest

from liveqa.origin.messages import Ack, Error, encode
from liveqa_bench.client import OPEN
from liveqa_bench.writes import POST, VOTE, Plan, Writer, is_vote, votes_per_writer


class FakeClient:
    """Records what a writer sends."""

    def __init__(self) -> None:
        self.state = OPEN
        self.sent: list[dict[str, object]] = []

    def send(self, payloads: list[bytes]) -> None:
        self.sent.extend(msgspec.json.decode(p) for p in payloads)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000

    def __call__(self) -> int:
        return self.now


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 1.0])
def test_votes_are_spread_at_the_share(share: float) -> None:
    votes = [is_vote(i, share) for i in range(100)]
    assert sum(votes) == round(100 * share)
    assert votes_per_writer(100, 8, share) == -(-round(100 * share) // 8)


def test_writes_go_out_on_schedule_and_acks_name_their_event() -> None:
    clients = [FakeClient() for _ in range(3)]
    clock = Clock()
    plan = Plan(writers=2, count=6, rate=10.0, vote_share=0.5, targets=["qa", "qb", "qc"])
    writer = Writer(clients, plan, sender=4, clock=clock)  # type: ignore[arg-type]
    assert writer.tick() == pytest.approx(0.1)
    assert writer.sent == 1
    clock.now += 250_000_000
    assert writer.tick() == pytest.approx(0.05)
    assert (writer.sent, len(clients[2].sent)) == (3, 0)
    clock.now += 10**9
    assert writer.tick() is None
    sent = clients[0].sent + clients[1].sent
    votes = sorted((m["ref"], m["questionId"]) for m in sent if m["type"] == "QUESTION_UPVOTE")
    assert votes == [(1, "qa"), (3, "qa"), (5, "qb")]
    for client in clients[:2]:
        targets = [m["questionId"] for m in client.sent if m["type"] == "QUESTION_UPVOTE"]
        assert len(targets) == len(set(targets))
    assert not writer.done
    writer.reply(encode(Ack(ref=0, question_id="new", pending=False)), clock.now + 7)
    writer.reply(encode(Ack(ref=1, question_id="qa", upvoted=True, upvotes=4)), clock.now + 9)
    writer.reply(encode(Error(ref=2, code="room_closed", message="closed")), clock.now)
    writer.reply(encode(Ack(ref=99, question_id="x")), clock.now)
    writer.reply(b"not json", clock.now)
    results = writer.results()
    assert (results["sent"], results["acked"], results["unanswered"]) == (6, 2, 3)
    assert results["errors"] == {"room_closed": 1, "reply to no write": 1, "unreadable reply": 1}
    # Each write is stamped when it goes out: write 1 was due at 0.1 s, sent at 0.25 s.
    assert results["keys"] == [[POST, "new", 0, 1_000], [VOTE, "qa", 4, 250_001_000]]


def test_without_targets_every_write_is_a_post() -> None:
    client = FakeClient()
    writer = Writer([client], Plan(1, 4, 1e9, 1.0, []), 0)  # type: ignore[list-item]
    while writer.tick() is not None:
        pass
    assert {m["type"] for m in client.sent} == {"QUESTION_POST_TO_ROOM"}
