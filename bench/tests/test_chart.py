"""Tests for the ratio chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from liveqa_bench.chart import write_chart
from liveqa_bench.report import BASELINE, rows
from liveqa_bench.result import Result

EDGE = "liveqa edge"


def test_writes_a_png_with_one_bar_per_ratio(tmp_path: Path) -> None:
    table = rows(
        [
            Result("fanout", BASELINE, {}, {"deliveries_per_s": 10.0, "latency_p99_ms": 8.0}),
            Result("fanout", EDGE, {}, {"deliveries_per_s": 60.0, "latency_p99_ms": 2.0}),
        ],
        EDGE,
    )
    path = tmp_path / "chart.png"
    assert write_chart(table, EDGE, path, "test") == 2
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_refuses_an_empty_chart(tmp_path: Path) -> None:
    table = rows([Result("fanout", BASELINE, {}, {"deliveries_per_s": 10.0})], EDGE)
    with pytest.raises(ValueError, match="nothing to chart"):
        write_chart(table, EDGE, tmp_path / "chart.png", "test")
