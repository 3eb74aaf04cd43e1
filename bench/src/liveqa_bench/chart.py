"""A bar chart of how many times better each proxy is than Pushpin (needs the `chart` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from liveqa_bench.report import BASELINE, Row
from liveqa_bench.result import label

_COLORS = {"met": "#2e7d32", "missed": "#c62828", "": "#757575"}


def write_chart(table: Sequence[Row], challenger: str, path: Path, title: str) -> int:
    """Write a PNG of every ratio figure; return how many bars it has."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [row for row in table if row.advantage is not None]
    if not bars:
        raise ValueError("no figure was measured for both proxies: nothing to chart")
    names = [f"{row.scenario}: {label(row.key)}" for row in bars]
    values = [row.advantage or 0.0 for row in bars]
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(bars) + 1.6))
    positions = list(range(len(bars)))
    # Bars start at 1 (as good as Pushpin) and grow right when better, left when worse.
    widths = [value - 1.0 for value in values]
    axes.barh(positions, widths, left=1.0, color=[_COLORS[row.verdict] for row in bars])
    for position, row in zip(positions, bars, strict=True):
        if row.goal is not None and row.goal.advantage is not None:
            axes.plot([row.goal.advantage] * 2, [position - 0.4, position + 0.4], color="black")
    axes.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    axes.set_xscale("log")
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.set_xlabel(f"times better than {BASELINE} (log scale; black ticks: goals)")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return len(bars)
