"""Run Debian's Pushpin 1.36 as a child process on loopback, for interop tests and benchmarks."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psutil

from liveqa_bench.ports import free_port
from liveqa_bench.processes import stop_group

CONFIG_TEMPLATE = """\
[global]
include={{libdir}}/internal.conf
rundir={rundir}
ipc_prefix=pushpin-
port_offset=0
stats_connection_ttl=120

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:{http_port}
logdir={logdir}
log_level={log_level}
client_buffer_size=8192
client_maxconn=50000
condure_bin=condure
zurl_bin=zurl

[proxy]
routesfile=routes
debug=true
auto_cross_origin=false
accept_x_forwarded_protocol=false
set_x_forwarded_protocol=proto-only
accept_pushpin_route=false
sig_iss={sig_iss}
sig_key={sig_key}
updates_check=off
zurl_out_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in
zurl_out_stream_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in-stream
zurl_in_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-out

[handler]
push_in_spec=tcp://127.0.0.1:{push_in_port}
push_in_sub_specs=tcp://127.0.0.1:{push_in_sub_port}
push_in_sub_connect=false
push_in_http_addr=127.0.0.1
push_in_http_port={publish_port}
stats_spec=ipc://{{rundir}}/{{ipc_prefix}}stats
command_spec=tcp://127.0.0.1:{command_port}
message_rate={message_rate}
message_hwm={message_hwm}
message_wait=5000
id_cache_ttl=60
connection_subscription_max=20
subscription_linger=60
stats_subscription_ttl=60
stats_report_interval=10
stats_format=tnetstring
"""


def available() -> bool:
    """Whether the `pushpin` binary (and the zurl/condure it starts) are installed."""
    return all(shutil.which(name) for name in ("pushpin", "condure", "zurl"))


def _wait_for_answer(
    port: int, deadline: float, process: subprocess.Popen[bytes], not_yet: tuple[bytes, ...] = ()
) -> None:
    """Wait until a GET on `port` gets an HTTP answer whose status is not in `not_yet`.

    Pushpin listens before its internal services are connected: a request sent as soon as the port
    opens can hang, or get a 502 while the origin is up, so "listening" is not "ready".
    """
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pushpin exited with status {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            status = s.recv(12)
            if status.startswith(b"HTTP/1.") and status[9:12] not in not_yet:
                return
        time.sleep(0.05)
    raise TimeoutError(f"pushpin did not answer on 127.0.0.1:{port} in time")


@dataclass
class Pushpin:
    """A Pushpin instance routing every request to `origin` (host:port) with WebSocket-over-HTTP."""

    origin: str
    # 32 bytes or more: PyJWT warns about shorter HMAC keys (and tests turn warnings into errors).
    sig_key: str = "liveqa-pushpin-grip-sig-key-0123456789"
    sig_iss: str = "pushpin"
    # Debian's defaults (2500/s, hwm 25000) drop deliveries; benchmarks and tests turn both off.
    message_rate: int = 0
    message_hwm: int = 0
    log_level: int = 2
    http_port: int = field(default_factory=free_port)
    publish_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    directory: Path | None = None

    @property
    def url(self) -> str:
        """Client-facing base URL (http://; use ws:// for WebSockets)."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def publish_url(self) -> str:
        """The GRIP publish endpoint."""
        return f"http://127.0.0.1:{self.publish_port}/publish/"

    @property
    def log_path(self) -> Path:
        """Where the runner and its services log."""
        assert self.directory is not None
        return self.directory / "log"

    def start(self, timeout: float = 20.0, origin_up: bool = False) -> None:
        """Write a private config in a temporary directory, start pushpin, wait for its ports.

        With `origin_up`, also wait until a request reaches the origin (no 502).
        """
        self.directory = Path(tempfile.mkdtemp(prefix="liveqa-pushpin-"))
        rundir = self.directory / "run"
        rundir.mkdir()
        self.log_path.mkdir()
        config = CONFIG_TEMPLATE.format(
            rundir=rundir,
            logdir=self.log_path,
            log_level=self.log_level,
            http_port=self.http_port,
            publish_port=self.publish_port,
            push_in_port=free_port(),
            push_in_sub_port=free_port(),
            command_port=free_port(),
            sig_iss=self.sig_iss,
            sig_key=self.sig_key,
            message_rate=self.message_rate,
            message_hwm=self.message_hwm,
        )
        (self.directory / "pushpin.conf").write_text(config)
        (self.directory / "routes").write_text(f"* {self.origin},over_http\n")
        self.process = subprocess.Popen(
            ["pushpin", "--config", str(self.directory / "pushpin.conf")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        try:
            not_yet = (b"502",) if origin_up else ()
            _wait_for_answer(self.http_port, deadline, self.process, not_yet)
            _wait_for_answer(self.publish_port, deadline, self.process)
        except BaseException:
            self.stop()
            raise

    def pids(self) -> list[int]:
        """The runner and every service it started (for CPU and memory accounting)."""
        if self.process is None or self.process.poll() is not None:
            return []
        runner = psutil.Process(self.process.pid)
        return [runner.pid, *(child.pid for child in runner.children(recursive=True))]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the runner and its children, then remove the temporary directory."""
        if self.process is not None:
            stop_group(self.process, timeout)
            self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> Pushpin:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
