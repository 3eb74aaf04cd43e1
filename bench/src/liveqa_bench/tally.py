"""Per-stream accounting of received benchmark messages: loss, duplicates, latency."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from liveqa_bench.header import HEADER_SIZE

# Sequence numbers past this are treated as garbage rather than grown into a huge bitmap.
MAX_TRACKED_SEQ = 1 << 24
_MEASURED = ord("M")
_PRIMING = ord("P")


def latency_array() -> array[int]:
    """An empty array for latencies in nanoseconds."""
    return array("q")


class Tally:
    """Which sequence numbers one stream has delivered, once or more, and how late.

    `receive` takes a batch of payloads that arrived at `now_ns` and appends one latency per
    first delivery of a measured message to the shared `latencies` array.
    """

    __slots__ = (
        "duplicated",
        "first_ns",
        "last_ns",
        "latencies",
        "malformed",
        "primed",
        "received",
        "seen",
    )

    def __init__(self, latencies: array[int] | None = None, expected: int = 0) -> None:
        self.latencies = latencies
        self.seen = bytearray(expected)
        self.received = 0
        self.duplicated = 0
        self.malformed = 0
        self.primed = False
        self.first_ns = 0
        self.last_ns = 0

    def reset(self, expected: int) -> None:
        """Forget measured messages and size the bitmap for `expected` of them."""
        self.seen = bytearray(expected)
        self.received = self.duplicated = self.malformed = 0
        self.first_ns = self.last_ns = 0

    def receive(self, payloads: Iterable[bytes], now_ns: int) -> None:
        """Account for `payloads`, all received at `now_ns`."""
        seen = self.seen
        latencies = self.latencies
        before = self.received
        for payload in payloads:
            digits = payload[1:HEADER_SIZE]
            if len(digits) != HEADER_SIZE - 1 or not digits.isdigit():
                self.malformed += 1
                continue
            kind = payload[0]
            if kind == _MEASURED:
                seq = int(digits[7:17])
                if seq >= len(seen):
                    if seq >= MAX_TRACKED_SEQ:
                        self.malformed += 1
                        continue
                    seen.extend(bytes(seq + 1 - len(seen)))
                if seen[seq]:
                    self.duplicated += 1
                    continue
                seen[seq] = 1
                self.received += 1
                if latencies is not None:
                    latencies.append(now_ns - int(digits[17:]))
            elif kind == _PRIMING:
                self.primed = True
            else:
                self.malformed += 1
        if self.received != before:
            if not self.first_ns:
                self.first_ns = now_ns
            self.last_ns = now_ns

    def lost(self, expected: int) -> int:
        """How many of sequence numbers 0..expected-1 never arrived."""
        return expected - self.seen.count(1, 0, expected)


class Percentiles(NamedTuple):
    """Summary of a latency sample in nanoseconds."""

    samples: int
    p50: int
    p99: int
    max: int


def percentiles(values: Iterable[int]) -> Percentiles | None:
    """Nearest-rank p50, p99 and max of `values`; None when there are none."""
    ordered: Sequence[int] = sorted(values)
    count = len(ordered)
    if not count:
        return None

    def rank(q: float) -> int:
        return ordered[max(0, math.ceil(q * count) - 1)]

    return Percentiles(count, rank(0.50), rank(0.99), ordered[-1])
