"""`liveqa bench soak`: a short run against a real liveqa, and the growth figure."""

from __future__ import annotations

import pytest

from liveqa_bench.soak import SoakLoad, run_soak, slope_per_minute


def test_growth_per_minute_is_the_least_squares_slope() -> None:
    assert slope_per_minute([(0, 10.0), (30, 11.0), (60, 12.0)]) == pytest.approx(2.0)
    assert slope_per_minute([(0, 5.0), (60, 5.0), (120, 5.0)]) == pytest.approx(0.0)
    assert slope_per_minute([(0, 5.0)]) is None


async def test_a_short_soak_writes_reconnects_flaps_and_samples() -> None:
    load = SoakLoad(
        attendees=8,
        write_rate=10.0,
        reconnect_rate=2.0,
        flappers=2,
        flap_rate=4.0,
        duration=3.0,
        sample_every=1.0,
    )
    result = await run_soak(load)
    figures = {key: value or 0 for key, value in result.figures.items()}
    assert figures["connections"] == 8
    assert figures["writes_sent"] == 30
    assert figures["writes_acked"] == 30 - figures["writes_failed"]
    assert figures["writes_acked"] >= 20, result.notes
    assert figures["reconnects"] == 6
    # One flapper may still be busy with its last turn when another is due.
    assert 10 <= figures["flaps"] <= 12
    for name in ("edge", "origin"):
        assert figures[f"{name}_rss_start_mb"] > 10
        assert figures[f"{name}_fds_min"] > 0
    assert any(note.startswith("minute 1: ") for note in result.notes)
