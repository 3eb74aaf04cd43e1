"""Tests for the voters of the UI benchmark (they vote for real in bench/tests/test_ui.py)."""

from __future__ import annotations

from liveqa_bench.voters import VOTES_PER_VOTER_PER_S, voters_for


def test_each_voter_stays_within_its_allowance() -> None:
    for rate in (0.1, 1.0, 5.0, 7.5, 40.0):
        voters = voters_for(rate)
        assert voters >= 2
        assert rate / voters <= VOTES_PER_VOTER_PER_S
    assert voters_for(5.0) == 10
