"""Child processes a benchmark starts (its stub origin, `liveqa edge`), on loopback ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType


def _ensure_free(port: int) -> None:
    """Refuse a busy port: whatever holds it would answer in the child's place."""
    with socket.socket() as probe:
        # Connections in TIME_WAIT from an earlier run do not stop a server from binding.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise RuntimeError(f"127.0.0.1:{port} is already in use") from None


def stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM a child's process group, then SIGKILL it if it has not exited after `timeout` s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class ChildProcess:
    """`command` in its own session, logging to a temporary file, ready once `ports` accept."""

    def __init__(self, name: str, command: list[str], ports: list[int]) -> None:
        self.name = name
        self.command = command
        self.ports = ports
        self.process: subprocess.Popen[bytes] | None = None
        self.directory: Path | None = None

    @property
    def log_path(self) -> Path:
        """Where the child's stdout and stderr go."""
        assert self.directory is not None
        return self.directory / f"{self.name}.log"

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self.process is not None
        return self.process.pid

    def pids(self) -> list[int]:
        """The child's pid while it runs (a ProcessGroup adds its descendants)."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid]

    def log_tail(self, size: int = 2000) -> str:
        """The end of the child's log."""
        if self.directory is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-size:]

    def start(self, timeout: float = 20.0) -> None:
        """Start the command and wait until every port accepts connections."""
        for port in self.ports:
            _ensure_free(port)
        self.directory = Path(tempfile.mkdtemp(prefix=f"liveqa-bench-{self.name}-"))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        try:
            for port in self.ports:
                self._wait_for_port(port, deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self, port: int, deadline: float) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {self.process.returncode} while starting:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not listen on 127.0.0.1:{port} in time")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the child's session, SIGKILL it if it lingers, remove the log directory."""
        if self.process is not None:
            stop_group(self.process, timeout)
            self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> ChildProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def stub_origin_process(host: str, port: int) -> ChildProcess:
    """The benchmark's stub origin listening on host:port."""
    command = [sys.executable, "-m", "liveqa_bench.stub_origin", "--listen", f"{host}:{port}"]
    return ChildProcess("origin", command, [port])


def edge_command(origin_port: int, http_port: int, publish_port: int, sig_key: str) -> list[str]:
    """The `liveqa edge` command line in front of the origin on `origin_port`, loopback ports."""
    return [
        sys.executable,
        "-m",
        "liveqa",
        "edge",
        "--origin",
        f"http://127.0.0.1:{origin_port}",
        "--listen",
        f"127.0.0.1:{http_port}",
        "--publish-listen",
        f"127.0.0.1:{publish_port}",
        "--sig-key",
        sig_key,
        # Every path, as Pushpin's routes: the benchmarks and the compat suite use their own.
        "--websocket-path",
        "/",
    ]


def edge_process(
    origin_port: int,
    http_port: int,
    publish_port: int,
    sig_key: str,
    publish_key: str | None = None,
    bus: str | None = None,
    bus_prefix: str | None = None,
    name: str = "edge",
    more_origins: Sequence[int] = (),
) -> ChildProcess:
    """`liveqa edge` in front of the origin on `origin_port` (then `more_origins`, tried when
    one cannot be reached), on loopback ports; with `bus`, sharing published items with other
    edges over that Redis URL."""
    command = [
        *edge_command(origin_port, http_port, publish_port, sig_key),
        "--log-level",
        "warning",
    ]
    for port in more_origins:
        command += ["--origin", f"http://127.0.0.1:{port}"]
    if publish_key is not None:
        command += ["--publish-key", publish_key]
    if bus is not None:
        command += ["--bus", bus]
        if bus_prefix is not None:
            command += ["--bus-prefix", bus_prefix]
    return ChildProcess(name, command, [http_port, publish_port])


def liveqa_origin_process(
    port: int, publish_port: int, key: str, database_url: str, secret: str
) -> ChildProcess:
    """`liveqa origin` on `port`, publishing to the edge at `publish_port` (Grip-Sig and publish
    key `key`), with no per-participant rate limits: the benchmark's writers post and vote far
    faster than a person may."""
    command = [sys.executable, "-m", "liveqa", "origin", "--listen", f"127.0.0.1:{port}"]
    command += ["--database-url", database_url, "--secret-key", secret]
    command += ["--grip-url", f"http://127.0.0.1:{publish_port}/?key={key}"]
    command += ["--log-level", "warning", "--limit-questions-per-room", str(10**9)]
    command += ["--limit-questions-per-participant", str(10**9)]
    for rate in ("questions", "votes", "rooms", "names"):
        command += [f"--rate-{rate}", "0"]
    return ChildProcess("liveqa-origin", command, [port])
