"""The application benchmark's writes: question posts and upvotes on a schedule, and their acks.

A worker's writers (its first few attendees) take turns; the k-th write of the worker is due
at `start + k / rate`. Every upvote is a new vote (a writer votes for each target question at
most once), so the count in its ACK names the room event it caused: `(question, upvotes)`;
a post's ACK names its question. The coordinator's observer maps those keys to `seq`.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from liveqa_bench.client import OPEN, Client

POST = "post"
VOTE = "vote"
# (kind, question id, upvotes after the vote; 0 for a post) -> when the write was sent
Key = tuple[str, str, int]


class Plan(msgspec.Struct, frozen=True):
    """One worker's share of the writes."""

    writers: int
    count: int
    rate: float
    vote_share: float
    targets: list[str]


class _Ack(msgspec.Struct):
    type: str
    ref: int | str | None = None
    question_id: str | None = msgspec.field(default=None, name="questionId")
    upvotes: int | None = None
    code: str | None = None


def is_vote(index: int, share: float) -> bool:
    """Whether write `index` is an upvote, so that `share` of every run of writes are."""
    return int((index + 1) * share) > int(index * share)


def votes_per_writer(count: int, writers: int, share: float) -> int:
    """The most upvotes one writer casts, so that many target questions are needed."""
    votes = sum(is_vote(index, share) for index in range(count))
    return -(-votes // max(writers, 1))


class Writer:
    """Sends a worker's writes when due through its first `plan.writers` clients."""

    def __init__(
        self,
        clients: Sequence[Client],
        plan: Plan,
        sender: int,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.clients = list(clients[: plan.writers])
        self.plan = plan
        self.sender = sender
        self.clock = clock
        self.start_ns = clock()
        self.next = 0
        self.sent = 0
        self.acked = 0
        self.errors: Counter[str] = Counter()
        self.keys: list[tuple[Key, int]] = []
        self.ack_times = array("q")
        self._pending: dict[int, tuple[str, str, int]] = {}
        self._votes = 0
        self._posts = 0
        self._decoder = msgspec.json.Decoder(_Ack)

    @property
    def done(self) -> bool:
        """Every write was sent and answered."""
        return self.next >= self.plan.count and not self._pending

    def tick(self) -> float | None:
        """Send the writes now due; seconds until the next one, None when all are sent."""
        plan = self.plan
        if not self.clients:
            self.next = plan.count
        while self.next < plan.count:
            due = self.start_ns + int(self.next * 1e9 / plan.rate)
            now = self.clock()
            if due > now:
                return (due - now) / 1e9
            self._write(self.next)
            self.next += 1
        return None

    def _write(self, index: int) -> None:
        writers = len(self.clients)
        ref = index
        if self.plan.targets and is_vote(index, self.plan.vote_share):
            # Vote v is cast by writer v % writers, for its (v // writers)-th target: no writer
            # votes for a question twice while it has targets left.
            vote = self._votes
            slot, round_ = vote % writers, vote // writers
            self._votes += 1
            target = self.plan.targets[round_ % len(self.plan.targets)]
            message: dict[str, Any] = {"type": "QUESTION_UPVOTE", "questionId": target}
            kind = VOTE
        else:
            slot = self._posts % writers
            self._posts += 1
            nonce = f"b{self.sender}-{index}"
            text = f"Benchmark question {index} from writer {self.sender}.{slot}"
            message = {"type": "QUESTION_POST_TO_ROOM", "questionText": text, "nonce": nonce}
            target, kind = "", POST
        message["ref"] = ref
        client = self.clients[slot]
        if client.state != OPEN:
            self.errors["writer not connected"] += 1
            return
        now = self.clock()
        client.send([msgspec.json.encode(message)])
        self._pending[ref] = (kind, target, now)
        self.sent += 1

    def reply(self, payload: bytes, now_ns: int) -> None:
        """An ACK or ERROR reached a writer."""
        try:
            answer = self._decoder.decode(payload)
        except msgspec.DecodeError:
            self.errors["unreadable reply"] += 1
            return
        pending = self._pending.pop(answer.ref, None) if isinstance(answer.ref, int) else None
        if pending is None:
            self.errors["reply to no write"] += 1
            return
        kind, target, sent_ns = pending
        if answer.type != "ACK" or answer.question_id is None:
            self.errors[answer.code or answer.type] += 1
            return
        self.acked += 1
        self.ack_times.append(now_ns - sent_ns)
        if kind == VOTE:
            self.keys.append(((VOTE, target, answer.upvotes or 0), sent_ns))
        else:
            self.keys.append(((POST, answer.question_id, 0), sent_ns))

    def results(self) -> dict[str, Any]:
        """What was sent and acknowledged, and the send time of each acknowledged write."""
        return {
            "sent": self.sent,
            "acked": self.acked,
            "unanswered": len(self._pending),
            "errors": dict(self.errors),
            "keys": [[*key, sent_ns] for key, sent_ns in self.keys],
            "ack_times": self.ack_times.tobytes(),
        }
