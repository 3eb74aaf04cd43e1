"""What one attendee of the application benchmark counts: the room's events, by their `seq`.

Room events carry the room's event number `seq` (consecutive, from the origin), so an attendee
keeps the arrival time of each number since the measured phase began: loss and duplication are
exact, and latency is worked out once the writers say when they sent the write behind each
number. The attendee finds `seq` with one regular-expression search, not a JSON parse.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable

from liveqa_bench.tally import MAX_TRACKED_SEQ, Tally

_SEQ = re.compile(rb'"seq":(\d+)')
# msgspec writes the tag first and `seq` third, after roomId (at most 64 characters).
_SEQ_WITHIN = 160
_REPLIES = (b'{"type":"ACK"', b'{"type":"ERROR"')

Reply = Callable[[bytes, int], None]


def room_seq(payload: bytes) -> int | None:
    """The `seq` of a numbered room event, None for anything else."""
    match = _SEQ.search(payload, 0, _SEQ_WITHIN)
    return int(match[1]) if match else None


def is_reply(payload: bytes) -> bool:
    """Whether `payload` is the origin's ACK or ERROR to this socket's own message."""
    return payload.startswith(_REPLIES)


class RoomTally(Tally):
    """Arrival times of room events `base`, `base + 1`, ... at one attendee.

    `primed` is set by the first numbered event of any kind; replies go to `on_reply` (the
    attendee's writer), other messages (attendance counts, keep-alives) are only counted.
    """

    __slots__ = ("base", "on_reply", "other", "times")

    def __init__(self, on_reply: Reply | None = None) -> None:
        super().__init__(None, 0)
        self.on_reply = on_reply
        self.base = 0
        self.other = 0
        self.times = array("q")

    def reset(self, expected: int) -> None:
        """Forget arrivals and size the table for `expected` events from `base` on."""
        super().reset(0)
        self.other = 0
        self.times = array("q", bytes(8 * expected))

    def receive(self, payloads: Iterable[bytes], now_ns: int) -> None:
        """Account for `payloads`, all received at `now_ns`."""
        times = self.times
        before = self.received
        for payload in payloads:
            if is_reply(payload):
                if self.on_reply is not None:
                    self.on_reply(payload, now_ns)
                continue
            seq = room_seq(payload)
            if seq is None:
                self.other += 1
                continue
            self.primed = True
            index = seq - self.base
            if index < 0:
                continue
            if index >= len(times):
                if index >= MAX_TRACKED_SEQ:
                    self.malformed += 1
                    continue
                times.frombytes(bytes(8 * (index + 1 - len(times))))
            if times[index]:
                self.duplicated += 1
                continue
            times[index] = now_ns
            self.received += 1
        if self.received != before:
            if not self.first_ns:
                self.first_ns = now_ns
            self.last_ns = now_ns

    def lost(self, expected: int) -> int:
        """How many of events base .. base + expected - 1 never arrived."""
        times = self.times
        return expected - sum(1 for index in range(min(expected, len(times))) if times[index])

    def latencies_since(self, sent: array[int], into: array[int]) -> None:
        """Append arrival minus send time for every event whose send time is known (non-zero)."""
        times = self.times
        for index in range(min(len(sent), len(times))):
            if times[index] and sent[index]:
                into.append(times[index] - sent[index])
