"""`liveqa edge`: options and their `LIVEQA_<NAME>` variables, and the process's signals."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from test_server import SIG_KEY, WAIT, close_code, edge_running, origin_running

from liveqa import cli, logs
from liveqa.edge import command
from liveqa.edge.server import EdgeConfig
from liveqa.grip import events as ev
from liveqa.options import env_name, host_port
from support.ports import free_port
from support.processes import wait_listening

ENVIRONMENT = {
    "LIVEQA_ORIGIN": "http://127.0.0.1:8001, http://127.0.0.1:8002",
    "LIVEQA_LISTEN": "127.0.0.1:7100",
    "LIVEQA_PUBLISH_LISTEN": "[::1]:7101",
    "LIVEQA_SIG_KEY": "sig-from-the-environment",
    "LIVEQA_SIG_ISS": "edge-tests",
    "LIVEQA_PUBLISH_KEY": "publish-from-the-environment",
    "LIVEQA_MAX_MESSAGE_SIZE": "4096",
    "LIVEQA_CLIENT_BUFFER_LIMIT": "8192",
    "LIVEQA_LOG_LEVEL": "warning",
    "LIVEQA_LOG_FORMAT": "json",
    "LIVEQA_ACCESS_LOG": "yes",
    "LIVEQA_BUS": "redis://127.0.0.1:6379/0",
    "LIVEQA_BUS_PREFIX": "edge-tests:",
    "LIVEQA_TRUST_FORWARDED_PROTO": "1",
    "LIVEQA_TRUST_FORWARDED_FOR": "1",
    "LIVEQA_MAX_CONNECTIONS_PER_ADDRESS": "50",
    "LIVEQA_MAX_REQUESTS_PER_ADDRESS": "7",
    "LIVEQA_WEBSOCKET_PATH": "/ws, /live/",
    "LIVEQA_ALLOWED_ORIGIN": "https://Other.example:443/, http://[::1]:8080",
    "LIVEQA_HEAD_TIMEOUT": "3",
    "LIVEQA_IDLE_TIMEOUT": "4.5",
    "LIVEQA_BODY_TIMEOUT": "6",
    "LIVEQA_MAX_REQUEST_BODY": "2048",
    "LIVEQA_ORIGIN_TIMEOUT": "8",
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="liveqa edge")
    command.configure(parser)
    return parser.parse_args(argv)


@pytest.fixture
def configs(monkeypatch: pytest.MonkeyPatch) -> list[EdgeConfig]:
    """Make `run` hand its config over instead of serving."""
    seen: list[EdgeConfig] = []

    async def serve(config: EdgeConfig) -> None:
        seen.append(config)

    monkeypatch.setattr(command, "serve", serve)
    monkeypatch.setattr(command, "raise_open_files_limit", lambda: 0)
    return seen


def test_every_option_reads_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, configs: list[EdgeConfig]
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    args = parse([])
    assert args.origin == ["http://127.0.0.1:8001", "http://127.0.0.1:8002"]
    assert command.run(args) == 0
    (config,) = configs
    assert config.origins == ["http://127.0.0.1:8001", "http://127.0.0.1:8002"]
    assert (config.host, config.port) == ("127.0.0.1", 7100)
    assert (config.publish_host, config.publish_port) == ("::1", 7101)
    assert config.sig_key == b"sig-from-the-environment"
    assert config.sig_iss == "edge-tests"
    assert config.publish_key == b"publish-from-the-environment"
    assert (config.max_message_size, config.max_client_buffer) == (4096, 8192)
    assert (config.bus, config.bus_prefix) == ("redis://127.0.0.1:6379/0", "edge-tests:")
    assert config.trust_forwarded_proto is True
    assert (config.trust_forwarded_for, config.max_connections_per_address) == (True, 50)
    assert config.max_requests_per_address == 7
    assert config.websocket_paths == ("/ws", "/live/")
    assert config.allowed_origins == ("https://other.example", "http://[::1]:8080")
    assert (config.head_timeout, config.idle_timeout, config.body_timeout) == (3, 4.5, 6)
    assert (config.max_request_body, config.origin_timeout) == (2048, 8)
    assert config.access_log is True
    assert (args.log_level, args.log_format) == ("warning", "json")


def test_no_option_lacks_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    flags = {flag for action in parser._actions for flag in action.option_strings if flag != "-h"}
    flags.discard("--help")
    assert {env_name(flag) for flag in flags} == set(ENVIRONMENT)


def test_the_command_line_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEQA_LISTEN", "127.0.0.1:7100")
    monkeypatch.setenv("LIVEQA_SIG_ISS", "from-env")
    args = parse(["--origin", "http://o", "--listen", "127.0.0.1:7200", "--sig-iss", "cli"])
    assert args.listen == ("127.0.0.1", 7200)
    assert args.sig_iss == "cli"


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    args = parse(["--origin", "http://127.0.0.1:8000", "--origin", "http://127.0.0.1:8001"])
    assert args.origin == ["http://127.0.0.1:8000", "http://127.0.0.1:8001"]
    assert args.listen == ("127.0.0.1", 7999)
    assert args.publish_listen == ("127.0.0.1", 5561)
    assert (args.sig_key, args.publish_key, args.sig_iss) == (None, None, "pushpin")
    assert (args.max_message_size, args.client_buffer_limit) == (1 << 20, 1 << 20)
    assert args.trust_forwarded_proto is False
    assert (args.trust_forwarded_for, args.max_connections_per_address) == (False, 1000)
    assert (args.max_requests_per_address, args.websocket_path) == (64, ["/api/websocket"])
    assert args.allowed_origin == []
    assert (args.head_timeout, args.idle_timeout, args.body_timeout) == (10, 15, 30)
    assert (args.max_request_body, args.origin_timeout) == (1 << 20, 15)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--allowed-origin", "qa.example.org"], "expected an origin like https://"),
        (["--allowed-origin", "ftp://qa.example.org"], "expected an origin like https://"),
        (["--allowed-origin", "https://qa.example.org/page"], "expected an origin like https://"),
        (["--websocket-path", "api/websocket"], "expected a path starting with /"),
        (["--idle-timeout", "0"], "expected seconds, more than 0, got '0'"),
        (["--body-timeout", "soon"], "expected seconds, more than 0, got 'soon'"),
    ],
)
def test_bad_limits_are_refused_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    error: str,
) -> None:
    monkeypatch.delenv("LIVEQA_ORIGIN", raising=False)
    with pytest.raises(SystemExit):
        parse(["--origin", "http://127.0.0.1:8000", *argv])
    assert error in capsys.readouterr().err


def test_an_origin_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEQA_ORIGIN", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        parse([])
    assert exit_info.value.code == 2


def test_liveqa_edge_dispatches_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, configs: list[EdgeConfig]
) -> None:
    monkeypatch.setenv("LIVEQA_ORIGIN", "http://127.0.0.1:8009")
    monkeypatch.delenv("LIVEQA_SIG_KEY", raising=False)
    assert cli.main(["edge", "--listen", ":7300"]) == 0
    (config,) = configs
    assert config.origins == ["http://127.0.0.1:8009"]
    assert (config.host, config.port, config.sig_key) == ("0.0.0.0", 7300, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:80", ("127.0.0.1", 80)),
        ("[::1]:8080", ("::1", 8080)),
        (":7999", ("0.0.0.0", 7999)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_host_port(value: str, expected: tuple[str, int]) -> None:
    assert host_port(value) == expected


@pytest.mark.parametrize("value", ["7999", "host:", "host:http", "host:-1", "host:65536"])
def test_host_port_refuses_malformed_addresses(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
        host_port(value)


def test_a_malformed_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse(["--origin", "http://o", "--listen", "nowhere"])
    assert exit_info.value.code == 2
    assert "HOST:PORT" in capsys.readouterr().err


def test_soft_limit_reaches_the_hard_limit() -> None:
    soft = command.raise_open_files_limit()
    now_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == now_soft
    assert hard == resource.RLIM_INFINITY or now_soft == hard


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_bad_connection_limit_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse(["--origin", "http://o", "--max-connections-per-address", value])
    assert exit_info.value.code == 2
    assert f"expected a whole number, 0 or more, got {value!r}" in capsys.readouterr().err


# -- the real process -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def edge_process(*argv: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m liveqa edge ARGV`, killed on exit if still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "liveqa",
        "edge",
        *argv,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def test_sigterm_closes_clients_with_1001_and_disconnects_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, publish_port = free_port(), free_port()
    async with origin_running() as origin:
        monkeypatch.setenv("LIVEQA_ORIGIN", origin.url)
        monkeypatch.setenv("LIVEQA_SIG_KEY", SIG_KEY.decode())
        listen = ["--listen", f"127.0.0.1:{port}", "--publish-listen", f"127.0.0.1:{publish_port}"]
        async with (
            edge_process(*listen) as process,
            aiohttp.ClientSession() as client,
        ):

            def alive() -> None:
                assert process.returncode is None, "the edge exited early"

            await wait_listening(port, time.monotonic() + 20, alive=alive)
            url = f"ws://127.0.0.1:{port}/api/websocket"
            async with client.ws_connect(url) as first, client.ws_connect(url) as second:
                opened = {(await origin.next_with(ev.OPEN)).cid for _ in range(2)}
                process.send_signal(signal.SIGTERM)
                assert await close_code(first) == 1001
                assert await close_code(second) == 1001
                ended = {(await origin.next_with(ev.DISCONNECT)).cid for _ in range(2)}
                assert ended == opened
            _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
            assert process.returncode == 0, stderr.decode()


async def test_a_public_publish_listener_without_a_key_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LIVEQA_PUBLISH_KEY", raising=False)
    async with edge_process(
        "--origin",
        "http://127.0.0.1:9",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--publish-listen",
        f"0.0.0.0:{free_port()}",
    ) as process:
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert b"--publish-key" in stderr


@pytest.mark.parametrize("busy", ["--listen", "--publish-listen"])
async def test_a_busy_address_is_one_clear_error(busy: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        addresses = {"--listen": "127.0.0.1:0", "--publish-listen": "127.0.0.1:0"}
        addresses[busy] = f"127.0.0.1:{taken.getsockname()[1]}"
        argv = [part for pair in addresses.items() for part in pair]
        async with edge_process("--origin", "http://127.0.0.1:9", *argv) as process:
            _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    text = stderr.decode()
    assert "address already in use" in text
    assert "Traceback" not in text
    assert "Unclosed" not in text


def test_a_bad_origin_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(command, "raise_open_files_limit", lambda: 0)
    monkeypatch.delenv("LIVEQA_ORIGIN", raising=False)
    loopback = ["--listen", "127.0.0.1:0", "--publish-listen", "127.0.0.1:0"]
    args = parse(["--origin", "http://127.0.0.1:8000", "--origin", "127.0.0.1:8001", *loopback])
    assert command.run(args) == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert line.startswith("liveqa edge: error: ")
    assert "'127.0.0.1:8001'" in line


@pytest.mark.parametrize("on", [False, True])
async def test_the_access_log_has_a_line_per_proxied_request(
    on: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup("warning", "json", access_log=on)
    async with (
        origin_running() as origin,
        edge_running(origin.url, access_log=on, websocket_paths=("/ws",)) as edge,
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{edge.port}/page") as response,
    ):
        assert response.status == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    access = [line["message"] for line in lines if line["logger"] == "liveqa.access"]
    if on:
        (line,) = access
        assert '"GET /page HTTP/1.1" 200' in line
    else:
        assert access == []
