"""Tests for loss, duplicate and latency accounting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from liveqa_bench.header import MAX_SEQ, MEASURED, PRIMING, encode_message
from liveqa_bench.tally import (
    MAX_TRACKED_SEQ,
    Percentiles,
    Tally,
    latency_array,
    percentiles,
)


def measured(seq: int, sent_ns: int = 1_000) -> bytes:
    return encode_message(MEASURED, 3, seq, sent_ns, 200)


def test_counts_unique_duplicates_and_lost() -> None:
    latencies = latency_array()
    tally = Tally(latencies, expected=5)
    tally.receive([measured(0, 100), measured(2, 200)], now_ns=1_000)
    tally.receive([measured(2, 300), measured(4, 400)], now_ns=2_000)
    assert (tally.received, tally.duplicated, tally.malformed) == (3, 1, 0)
    assert tally.lost(5) == 2
    assert list(latencies) == [900, 800, 1_600]
    assert (tally.first_ns, tally.last_ns) == (1_000, 2_000)


def test_priming_and_garbage_are_not_measured() -> None:
    tally = Tally(latency_array())
    tally.receive(
        [encode_message(PRIMING, 0, 0, 5, 40), b"hello", b"M" + b"1" * 36, b"Z" + b"0" * 37],
        now_ns=10,
    )
    assert tally.primed
    assert (tally.received, tally.malformed) == (0, 3)
    assert tally.first_ns == 0


def test_grows_past_expected_and_refuses_absurd_sequence_numbers() -> None:
    tally = Tally(expected=2)
    tally.receive([measured(10), measured(MAX_TRACKED_SEQ), measured(MAX_SEQ)], now_ns=5)
    assert (tally.received, tally.malformed) == (1, 2)
    assert tally.lost(2) == 2
    assert tally.lost(11) == 10


def test_reset_forgets_measured_messages() -> None:
    tally = Tally(expected=3)
    tally.receive([measured(0), measured(0)], now_ns=5)
    tally.reset(3)
    assert (tally.received, tally.duplicated, tally.first_ns) == (0, 0, 0)
    assert tally.lost(3) == 3


@given(st.lists(st.integers(0, 49), max_size=200))
def test_every_delivery_is_unique_or_duplicate(seqs: list[int]) -> None:
    tally = Tally(latency_array(), expected=50)
    tally.receive([measured(s) for s in seqs], now_ns=2_000)
    assert tally.received == len(set(seqs))
    assert tally.duplicated == len(seqs) - len(set(seqs))
    assert tally.lost(50) == 50 - len(set(seqs))
    assert tally.latencies is not None
    assert len(tally.latencies) == tally.received


def test_percentiles_use_nearest_rank() -> None:
    assert percentiles([]) is None
    assert percentiles([7]) == Percentiles(1, 7, 7, 7)
    values = list(range(1, 201))
    assert percentiles(reversed(values)) == Percentiles(200, 100, 198, 200)
