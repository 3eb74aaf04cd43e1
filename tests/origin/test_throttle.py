"""Repeated problems are logged once per interval, with a count of the ones held back."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from liveqa.origin.throttle import ThrottledLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_kind_and_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = ThrottledLog(logging.getLogger("test.throttle"), 10.0, clock=clock)
    with caplog.at_level(logging.WARNING):
        assert log.warning("disk", "write failed: %s", "full")
        for _ in range(5):
            clock.now += 1
            assert not log.warning("disk", "write failed: %s", "full")
        assert log.warning("sig", "bad signature")
        clock.now += 5
        assert log.warning("disk", "write failed: %s", "full")
    assert [record.getMessage() for record in caplog.records] == [
        "write failed: full",
        "bad signature",
        "write failed: full (5 more like it in the last 10 s)",
    ]


def test_an_outage_is_one_line_and_a_bug_keeps_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    log = ThrottledLog(logging.getLogger("test.throttle"), 10.0, clock=clock)
    full = OperationalError("INSERT ...", {}, Exception("database or disk is full\nmore"))
    with caplog.at_level(logging.ERROR):
        for _ in range(50):
            log.failure("post", "message QuestionPost failed", full)
        log.failure("post", "message QuestionPost failed", KeyError("bug"))
    first, bug = caplog.records
    assert first.getMessage().startswith("message QuestionPost failed: OperationalError: ")
    assert "database or disk is full" in first.getMessage()
    assert first.exc_info is None
    assert bug.exc_info is not None
