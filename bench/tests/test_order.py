"""Tests for the Top order the benchmark expects on screen."""

from __future__ import annotations

from typing import Any

from liveqa_bench.order import misplaced, top_order


def question(qid: str, upvotes: int, asked: str, *, pending: bool = False) -> dict[str, Any]:
    return {
        "questionId": qid,
        "upvotes": upvotes,
        "questionTimestamp": f"2026-11-28T10:{asked}Z",
        "pending": pending,
    }


def test_top_is_most_votes_then_oldest_then_id() -> None:
    questions = [
        question("a", 1, "00:00.000"),
        question("b", 5, "00:03.000"),
        question("c", 5, "00:01.500"),
        question("e", 2, "00:02.000"),
        question("d", 2, "00:02.000"),
    ]
    assert top_order(questions) == ["c", "b", "d", "e", "a"]


def test_questions_awaiting_approval_are_not_listed() -> None:
    questions = [question("held", 9, "00:00.000", pending=True), question("shown", 1, "00:01.000")]
    assert top_order(questions) == ["shown"]


def test_misplaced_counts_positions_that_differ() -> None:
    assert misplaced(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert misplaced(["b", "a", "c"], ["a", "b", "c"]) == 2
    assert misplaced(["a", "b"], ["a", "b", "c"]) == 1
    assert misplaced(["x", "a", "b"], ["a", "b"]) == 3
    assert misplaced([], []) == 0
