"""The application benchmark end to end: liveqa origin on SQLite, liveqa edge, attendees."""

from __future__ import annotations

import pytest

from liveqa_bench.app_load import AppLoad, plans, run_app, send_times, target_count
from liveqa_bench.rig import Load
from liveqa_bench.writes import POST, VOTE


@pytest.mark.parametrize("receive", ["epoll", "loop"])
async def test_every_attendee_gets_every_event(receive: str) -> None:
    load = Load(connections=20, duration=2.0, timeout=30, idle=5, receive=receive)
    result = await run_app(load, AppLoad(writers=6, write_rate=20.0), 2, "auto")
    figures = result.figures
    assert result.notes == []
    assert (figures["connections"], figures["failed_handshakes"]) == (20, 0)
    assert figures["writes_sent"] == figures["writes_acked"] == 40
    assert figures["expected"] == figures["delivered"] == 800
    assert (figures["lost"], figures["duplicated"], figures["dropped_connections"]) == (0, 0, 0)
    # One origin request per write at least (keep-alives and presence refreshes may add some).
    assert (figures["origin_requests"] or 0) >= 40
    p50, p99 = figures["latency_p50_ms"], figures["latency_p99_ms"]
    assert p50 is not None
    assert p99 is not None
    assert 0 < p50 <= p99
    for key in ("cpu_proxy_s", "cpu_origin_s", "origin_requests_per_s", "ack_p99_ms"):
        assert figures[key] is not None


def test_writes_and_targets_are_shared_by_attendees() -> None:
    load = Load(connections=10, duration=2.0)
    work = plans(load, AppLoad(writers=3, write_rate=25.0), [7, 3], ["a", "b"])
    assert [(p.writers, p.count, p.rate) for p in work] == [(2, 25, 12.5), (1, 25, 12.5)]
    # 25 writes a worker, 12 of them votes, over 2 writers: 6 rounds, and one spare question.
    assert target_count(load, AppLoad(writers=4, write_rate=25.0, vote_share=0.5), 2) == 7
    idle = plans(load, AppLoad(writers=1), [1, 0], [])
    assert [(p.writers, p.count) for p in idle] == [(1, 100), (0, 0)]


def test_send_times_follow_the_observed_seqs() -> None:
    answers = [{"keys": [[POST, "q1", 0, 111], [VOTE, "q1", 2, 222], [POST, "lost", 0, 333]]}]
    seqs = {(POST, "q1", 0): 10, (VOTE, "q1", 2): 12, (POST, "early", 0): 3}
    assert list(send_times(answers, seqs, 10, 4)) == [111, 0, 222, 0]
