"""Tests for `liveqa bench ui`: a real `liveqa serve` and Debian's Chromium, at a small size."""

from __future__ import annotations

import msgspec
import pytest

from liveqa_bench.result import Value, to_json
from liveqa_bench.ui import THRESHOLDS, UiLoad, missed, probe_script, run_ui, verdict

QUESTIONS = 60


@pytest.mark.browser
async def test_a_small_room_is_measured_end_to_end() -> None:
    load = UiLoad(
        questions=QUESTIONS,
        vote_rate=5.0,
        duration=2.0,
        scroll_speed=8000.0,
        viewports=("phone",),
        timeout=30.0,
    )
    [result] = await run_ui(load)
    figures = result.figures
    assert figures["page_errors"] == 0, result.notes
    assert figures["cards"] == QUESTIONS
    # The cards on screen after the votes are exactly the room's Top order.
    assert figures["final_misplaced"] == 0
    # Every vote was accepted, reached the page and was shown between the right neighbours.
    sent = figures["votes_sent"]
    assert isinstance(sent, int)
    assert sent >= 10
    assert figures["votes_acked"] == figures["vote_events"] == figures["votes_shown"] == sent
    assert figures["votes_not_shown"] == figures["shown_out_of_order"] == 0
    assert _positive(figures, "first_render_dom_ms") <= _positive(
        figures, "first_render_painted_ms"
    )
    assert _positive(figures, "first_render_snapshot_ms") < _positive(
        figures, "first_render_dom_ms"
    )
    assert _positive(figures, "vote_to_dom_p50_ms") <= _positive(figures, "vote_to_paint_p50_ms")
    assert _positive(figures, "vote_to_paint_p50_ms") <= _positive(figures, "vote_to_paint_p95_ms")
    for phase in ("still", "scroll"):
        assert _positive(figures, f"{phase}_frames") > 10
        assert (
            0
            < _positive(figures, f"{phase}_frame_p50_ms")
            <= _positive(figures, f"{phase}_frame_max_ms")
        )
    # Down to the bottom of 60 cards and back is many phone screens.
    assert _positive(figures, "scrolled_px") > 10 * 844
    assert result.notes[-1].startswith("verdict: ")
    decoded = msgspec.json.decode(to_json(result))
    assert decoded["figures"]["cards"] == QUESTIONS


def _positive(figures: dict[str, Value], key: str) -> float:
    value = figures[key]
    assert value is not None, key
    assert value > 0, key
    return value


def _meeting_every_threshold() -> dict[str, Value]:
    return {threshold.figure: threshold.limit for threshold in THRESHOLDS}


def test_figures_at_the_limits_are_smooth() -> None:
    figures = _meeting_every_threshold()
    assert missed(figures) == []
    assert verdict(figures) == [f"verdict: smooth (all {len(THRESHOLDS)} thresholds met)"]


def test_one_long_frame_is_not_smooth() -> None:
    figures = _meeting_every_threshold() | {"scroll_frames_over_50ms": 1}
    assert [threshold.figure for threshold in missed(figures)] == ["scroll_frames_over_50ms"]
    assert verdict(figures) == [
        "FAIL: no frame over 50 ms while scrolling (scroll_frames_over_50ms = 1)",
        f"verdict: not smooth (1 of {len(THRESHOLDS)} missed)",
    ]


def test_a_figure_not_measured_misses_its_threshold() -> None:
    figures = _meeting_every_threshold() | {"vote_to_paint_p95_ms": None}
    assert [threshold.figure for threshold in missed(figures)] == ["vote_to_paint_p95_ms"]
    del figures["still_frame_p95_ms"]
    assert len(missed(figures)) == 2


def test_the_probe_is_told_how_many_cards_to_wait_for() -> None:
    script = probe_script(123)
    assert "window.__liveqaProbe = probe;" in script
    assert script.endswith("window.__liveqaProbe.expected = 123;\n")
