"""Tests for the child processes a benchmark starts."""

from __future__ import annotations

import socket
import sys
import urllib.request

import pytest

from liveqa_bench.ports import free_port
from liveqa_bench.processes import ChildProcess, stub_origin_process


def test_origin_process_serves_stats_and_stops() -> None:
    port = free_port()
    with stub_origin_process("127.0.0.1", port) as origin:
        assert origin.pids() == [origin.pid]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/stats") as response:
            assert b'"opens":0' in response.read()
    assert origin.pids() == []


def test_a_child_that_dies_while_starting_reports_its_log() -> None:
    command = [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"]
    child = ChildProcess("doomed", command, [free_port()])
    with pytest.raises(RuntimeError, match=r"(?s)doomed exited with status 3.*boom"):
        child.start(timeout=10)
    assert child.process is None
    assert child.directory is None


def test_a_child_that_never_listens_times_out() -> None:
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    with pytest.raises(TimeoutError, match="did not listen"):
        ChildProcess("silent", command, [free_port()]).start(timeout=0.5)


def test_a_busy_port_is_refused_before_starting() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        child = ChildProcess("late", [sys.executable, "-c", "pass"], [port])
        with pytest.raises(RuntimeError, match=f"127.0.0.1:{port} is already in use"):
            child.start()
    assert child.process is None


def test_a_port_left_in_time_wait_can_be_reused() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server's end closes first, so it is the one in TIME_WAIT
            assert client.recv(1) == b""
    with stub_origin_process("127.0.0.1", port) as origin:
        assert origin.pids() == [origin.pid]
