"""The order the web client's Top view must show, and where a shown list departs from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any


def top_order(questions: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids of a room snapshot's questions as Top shows them (sort.js): most votes first, then
    the oldest, then by id; questions awaiting approval are not in the list."""
    listed = [question for question in questions if not question.get("pending")]

    def key(question: Mapping[str, Any]) -> tuple[int, datetime, str]:
        asked = datetime.fromisoformat(question["questionTimestamp"])
        return (-int(question["upvotes"]), asked, str(question["questionId"]))

    return [str(question["questionId"]) for question in sorted(listed, key=key)]


def misplaced(shown: Sequence[str], expected: Sequence[str]) -> int:
    """How many positions of `shown` do not hold the expected id (a missing or extra card
    counts at every position it shifts)."""
    longest = max(len(shown), len(expected))
    return sum(
        1
        for index in range(longest)
        if index >= len(shown) or index >= len(expected) or shown[index] != expected[index]
    )
