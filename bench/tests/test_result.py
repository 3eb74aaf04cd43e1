"""Tests for result records and their text form."""

from __future__ import annotations

import msgspec
import pytest

from liveqa_bench.result import FIGURES, Result, format_result, format_value, label, to_json


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (5000, "5,000"), (123456.7, "123,457"), (42.42, "42.4"), (4.242, "4.24"),
     (0.004242, "0.00424"), (0.0, "0")],
)  # fmt: skip
def test_format_value(value: float | int | None, text: str) -> None:
    assert format_value(value) == text


def test_labels_carry_units_except_rates() -> None:
    assert label("latency_p99_ms") == "latency p99 (ms)"
    assert label("deliveries_per_s") == "deliveries/s"
    assert label("unknown_figure") == "unknown_figure"


def test_every_ratio_figure_says_which_way_is_better() -> None:
    assert all(f.better is not None for f in FIGURES.values() if f.ratio)


def test_text_and_json_forms() -> None:
    result = Result(
        scenario="fanout",
        target="pushpin",
        params={"connections": 20},
        figures={"connections": 20, "latency_p99_ms": 1.5, "lost": None},
        notes=["failed handshakes: http 502 x1"],
    )
    text = format_result(result)
    assert text.splitlines()[0] == "fanout against pushpin (connections=20)"
    assert "latency p99 (ms)" in text
    assert text.endswith("note: failed handshakes: http 502 x1")
    assert msgspec.json.decode(to_json(result), type=Result) == result
