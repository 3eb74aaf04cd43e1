"""Tests for CPU and memory accounting of process groups."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from liveqa_bench.usage import ProcessGroup, cpu_used


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield process
    process.kill()
    process.wait()


def test_reads_cpu_and_rss_of_our_own_process() -> None:
    group = ProcessGroup(lambda: [os.getpid()], recursive=False)
    before = group.cpu()
    sum(i * i for i in range(300_000))
    after = group.cpu()
    assert list(after) == [os.getpid()]
    assert cpu_used(before, after) > 0
    assert group.rss() > 1_000_000


def test_recursive_groups_include_children(child: subprocess.Popen[bytes]) -> None:
    assert child.pid in ProcessGroup(lambda: [os.getpid()]).cpu()
    assert child.pid not in ProcessGroup(lambda: [os.getpid()], recursive=False).cpu()


def test_vanished_processes_are_skipped() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    group = ProcessGroup(lambda: [process.pid])
    assert group.cpu() == {}
    assert group.rss() == 0


def test_cpu_used_counts_new_processes_in_full() -> None:
    assert cpu_used({1: 1.0, 2: 5.0}, {1: 1.5, 3: 0.25}) == pytest.approx(0.75)
