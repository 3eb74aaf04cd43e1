"""Tests for the running totals of a worker's clients."""

from __future__ import annotations

from liveqa_bench.census import Census
from liveqa_bench.header import MEASURED, PRIMING, encode_message
from liveqa_bench.tally import Tally


def deliver(census: Census, tally: Tally, *payloads: bytes, live: bool = True) -> None:
    received, primed = tally.received, tally.primed
    tally.receive(payloads, 1)
    census.arrived(tally, received, primed, live)


def measured(seq: int) -> bytes:
    return encode_message(MEASURED, 0, seq, 0, 40)


def test_counts_open_primed_and_complete_clients() -> None:
    census = Census()
    first, second = Tally(), Tally()
    census.opened(first)
    census.opened(second)
    assert (census.live, census.primed, census.complete) == (2, 0, 2)
    deliver(census, first, encode_message(PRIMING, 0, 0, 0, 40))
    deliver(census, first, encode_message(PRIMING, 0, 1, 0, 40))
    assert census.primed == 1
    first.reset(2)
    second.reset(2)
    census.reset(2)
    assert (census.complete, census.received) == (0, 0)
    deliver(census, first, measured(0))
    deliver(census, first, measured(1), measured(1))
    deliver(census, second, measured(1))
    assert (census.received, census.complete) == (3, 1)
    deliver(census, first, measured(0))
    assert (census.received, census.complete) == (3, 1)


def test_a_client_that_leaves_takes_its_counts_along() -> None:
    census = Census()
    tally = Tally()
    census.opened(tally)
    deliver(census, tally, encode_message(PRIMING, 0, 0, 0, 40))
    tally.reset(1)
    census.reset(1)
    deliver(census, tally, measured(0))
    assert (census.live, census.primed, census.complete) == (1, 1, 1)
    census.left(tally)
    assert (census.live, census.primed, census.complete) == (0, 0, 0)


def test_messages_after_leaving_count_as_received_only() -> None:
    census = Census()
    tally = Tally()
    census.reset(1)
    deliver(census, tally, encode_message(PRIMING, 0, 0, 0, 40), measured(0), live=False)
    assert (census.received, census.primed, census.complete) == (1, 0, 0)
