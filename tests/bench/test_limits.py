"""Tests for raising the open-files limit."""

from __future__ import annotations

import resource

from liveqa.bench.limits import raise_open_files_limit


def test_soft_limit_reaches_the_hard_limit() -> None:
    soft = raise_open_files_limit()
    now_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == now_soft
    assert hard == resource.RLIM_INFINITY or now_soft == hard
