"""Tests for the summaries of page timings."""

from __future__ import annotations

from liveqa_bench.timings import Summary, intervals, nearest_rank, over, summarize


def test_nearest_rank_takes_the_sample_at_the_rank() -> None:
    ordered = [float(value) for value in range(1, 101)]
    assert nearest_rank(ordered, 0.50) == 50.0
    assert nearest_rank(ordered, 0.95) == 95.0
    assert nearest_rank(ordered, 1.0) == 100.0
    assert nearest_rank([7.0], 0.5) == 7.0
    assert nearest_rank([1.0, 2.0, 3.0], 0.01) == 1.0


def test_summarize_sorts_and_summarises() -> None:
    values = [16.7] * 18 + [33.3, 50.2]
    assert summarize(reversed(values)) == Summary(20, 16.7, 33.3, 50.2, 50.2)
    assert summarize([]) is None


def test_frame_times_are_the_gaps_between_frame_starts() -> None:
    assert intervals([0.0, 16.5, 33.5, 83.5]) == [16.5, 17.0, 50.0]
    assert intervals([5.0]) == []
    assert intervals([]) == []


def test_over_counts_strictly_greater() -> None:
    assert over([16.7, 33.0, 33.4, 50.0, 50.1], 33.0) == 3
    assert over([16.7, 33.0, 33.4, 50.0, 50.1], 50.0) == 1
    assert over([], 50.0) == 0
