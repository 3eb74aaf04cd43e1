"""Tests for the coordinator's side of the client workers."""

from __future__ import annotations

import os

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa_bench.client_pool import ClientPool, WorkerError, split
from liveqa_bench.worker import CLIENT_NICENESS


@given(st.integers(0, 100_000), st.integers(1, 16))
def test_split_is_even_and_complete(total: int, parts: int) -> None:
    shares = split(total, parts)
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ClientPool(0)


async def test_workers_answer_and_report_errors() -> None:
    with ClientPool(2) as pool:
        assert len(pool.pids()) == 2
        answers = await pool.broadcast("progress", messages=1)
        assert (
            answers
            == [
                {
                    "clients": 0,
                    "live": 0,
                    "primed": 0,
                    "complete": 0,
                    "received": 0,
                    "writing": 0,
                    "acked": 0,
                }
            ]
            * 2
        )
        with pytest.raises(WorkerError, match="connect"):
            await pool.broadcast("connect", host="127.0.0.1")
        with pytest.raises(ValueError, match="argument sets"):
            await pool.call("progress", [{"messages": 1}])
        assert (await pool.broadcast("close", within=1.0))[0]["closed"] == 0
    assert pool.pids() == []


async def test_workers_yield_the_cpu_to_the_proxy_under_test() -> None:
    with ClientPool(1) as pool:
        await pool.broadcast("progress", messages=1)
        [pid] = pool.pids()
        assert psutil.Process(pid).nice() == os.nice(0) + CLIENT_NICENESS
