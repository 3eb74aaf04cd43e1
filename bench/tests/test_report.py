"""Tests for the side-by-side comparison and its goals."""

from __future__ import annotations

import pytest

from liveqa_bench.report import BASELINE, GOALS, Row, format_comparison, ratio, rows
from liveqa_bench.result import Result

EDGE = "liveqa edge"


def result(target: str, scenario: str, **figures: float | int | None) -> Result:
    return Result(scenario=scenario, target=target, params={}, figures=figures)


def test_ratio_needs_both_values_and_a_nonzero_baseline() -> None:
    assert ratio(10, 25) == 2.5
    assert ratio(0, 5) is None
    assert ratio(None, 5) is None
    assert ratio(5, None) is None


def test_rows_pair_scenarios_and_judge_goals() -> None:
    table = rows(
        [
            result(BASELINE, "fanout", deliveries_per_s=1000.0, lost=0, connections=5),
            result(EDGE, "fanout", deliveries_per_s=6000.0, lost=3, connections=5),
            result(BASELINE, "connect", handshakes_per_s=500.0, failed_handshakes=40),
            result(EDGE, "connect", handshakes_per_s=900.0, failed_handshakes=0),
        ],
        EDGE,
    )
    by_key = {(row.scenario, row.key): row for row in table}
    rate = by_key["fanout", "deliveries_per_s"]
    assert rate.ratio == 6.0
    assert (rate.verdict, rate.advantage) == ("met", 6.0)
    assert by_key["fanout", "lost"].verdict == "missed"
    assert by_key["fanout", "connections"].ratio is None
    assert by_key["fanout", "connections"].verdict == ""
    assert by_key["connect", "handshakes_per_s"].verdict == "missed"
    assert by_key["connect", "failed_handshakes"].verdict == "met"
    assert table[0].scenario == "fanout"


def test_lower_is_better_figures_invert_the_advantage() -> None:
    row = Row("fanout", "proxy_cpu_us_per_delivery", 50.0, 4.0, 0.08, GOALS[
        "fanout", "proxy_cpu_us_per_delivery"])  # fmt: skip
    assert row.verdict == "met"
    assert row.advantage == pytest.approx(12.5)


def test_a_missing_challenger_has_no_verdict() -> None:
    table = rows([result(BASELINE, "fanin", messages_per_s=900.0)], EDGE)
    assert [(row.challenger, row.ratio, row.verdict) for row in table] == [(None, None, "")]


def test_format_comparison_aligns_columns() -> None:
    table = rows(
        [
            result(BASELINE, "fanout", deliveries_per_s=1000.0),
            result(EDGE, "fanout", deliveries_per_s=6000.0),
        ],
        EDGE,
    )
    lines = format_comparison(table, EDGE).splitlines()
    assert lines[0].split() == ["scenario", "figure", BASELINE, "liveqa", "edge", "ratio", "goal"]
    assert lines[1].split() == ["fanout", "deliveries/s", "1,000", "6,000", "6x", ">=", "5x", "met"]
