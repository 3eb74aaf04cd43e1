"""Summaries of times measured in a page: nearest-rank percentiles and frame intervals."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Summary(NamedTuple):
    """A sample of milliseconds: its size, p50, p95, p99 and max."""

    samples: int
    p50: float
    p95: float
    p99: float
    max: float


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 < q <= 1) of a sorted, non-empty sample."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(values: Iterable[float]) -> Summary | None:
    """p50, p95, p99 and max of `values`; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return Summary(
        len(ordered),
        nearest_rank(ordered, 0.50),
        nearest_rank(ordered, 0.95),
        nearest_rank(ordered, 0.99),
        ordered[-1],
    )


def intervals(starts: Sequence[float]) -> list[float]:
    """Frame times: the gaps between consecutive frame start times."""
    return [later - earlier for earlier, later in itertools.pairwise(starts)]


def over(values: Iterable[float], limit: float) -> int:
    """How many of `values` exceed `limit`."""
    return sum(1 for value in values if value > limit)
