"""Side-by-side table of two proxies' results, their ratios and the issue's goals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from liveqa_bench.result import FIGURES, Result, Value, format_value, label

BASELINE = "pushpin"


class Goal(NamedTuple):
    """A target for the challenger: on the ratio against the baseline, or an absolute zero."""

    text: str
    met: Callable[[Value, float | None], bool]
    # How many times better than the baseline the goal asks for (for the chart), if a ratio goal.
    advantage: float | None = None


def ratio_at_most(bound: float) -> Goal:
    """Challenger / baseline <= bound (costs, latencies)."""
    return Goal(f"<= {bound:g}x", lambda _, ratio: ratio is not None and ratio <= bound, 1 / bound)


def ratio_at_least(bound: float) -> Goal:
    """Challenger / baseline >= bound (rates)."""
    return Goal(f">= {bound:g}x", lambda _, ratio: ratio is not None and ratio >= bound, bound)


def zero() -> Goal:
    """The challenger's figure is exactly 0 (losses, failures)."""
    return Goal("= 0", lambda value, _: value == 0)


# The targets of docs/benchmarks.md (N = 5,000, 200-byte messages, same machine).
GOALS: dict[tuple[str, str], Goal] = {
    ("fanout", "proxy_cpu_us_per_delivery"): ratio_at_most(0.1),
    ("fanout", "deliveries_per_s"): ratio_at_least(5),
    ("fanout", "lost"): zero(),
    ("fanout", "proxy_rss_kb_per_connection"): ratio_at_most(0.2),
    ("fanout-rate", "latency_p99_ms"): ratio_at_most(0.2),
    ("fanout-rate", "lost"): zero(),
    ("fanin", "proxy_cpu_us_per_message"): ratio_at_most(0.2),
    ("fanin", "messages_per_s"): ratio_at_least(2),
    ("fanin", "lost"): zero(),
    ("connect", "handshakes_per_s"): ratio_at_least(2),
    ("connect", "failed_handshakes"): zero(),
}


class Row(NamedTuple):
    """One figure of one scenario for both proxies."""

    scenario: str
    key: str
    baseline: Value
    challenger: Value
    ratio: float | None
    goal: Goal | None

    @property
    def verdict(self) -> str:
        """`met`, `missed`, or empty without a goal."""
        if self.goal is None or self.challenger is None:
            return ""
        return "met" if self.goal.met(self.challenger, self.ratio) else "missed"

    @property
    def advantage(self) -> float | None:
        """How many times better the challenger is (above 1 is better), for ratio figures."""
        better = FIGURES[self.key].better if self.key in FIGURES else None
        if self.ratio is None or self.ratio <= 0 or better is None:
            return None
        return self.ratio if better == "higher" else 1 / self.ratio


def ratio(baseline: Value, challenger: Value) -> float | None:
    """challenger / baseline when both are known and the baseline is not zero."""
    if baseline is None or challenger is None or baseline == 0:
        return None
    return challenger / baseline


def rows(results: Sequence[Result], challenger: str, baseline: str = BASELINE) -> list[Row]:
    """Pair the baseline's and the challenger's results scenario by scenario."""
    by_key = {(r.scenario, r.target): r for r in results}
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    out: list[Row] = []
    for scenario in scenarios:
        base = by_key.get((scenario, baseline))
        other = by_key.get((scenario, challenger))
        keys = [
            k for k in FIGURES if (base and k in base.figures) or (other and k in other.figures)
        ]
        for key in keys:
            b = base.figures.get(key) if base else None
            c = other.figures.get(key) if other else None
            out.append(
                Row(
                    scenario,
                    key,
                    b,
                    c,
                    ratio(b, c) if FIGURES[key].ratio else None,
                    GOALS.get((scenario, key)),
                )
            )
    return out


def format_comparison(table: Sequence[Row], challenger: str, baseline: str = BASELINE) -> str:
    """The comparison as aligned text."""
    header = ("scenario", "figure", baseline, challenger, "ratio", "goal", "")
    lines = [
        (
            row.scenario,
            label(row.key),
            format_value(row.baseline),
            format_value(row.challenger),
            f"{row.ratio:.3g}x" if row.ratio is not None else "",
            row.goal.text if row.goal else "",
            row.verdict,
        )
        for row in table
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    right = {2, 3, 4}

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([render(header), *(render(line) for line in lines)])
