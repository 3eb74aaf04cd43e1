"""`liveqa serve`: data directory and keys, in-process start and stop, and the real command."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import socket
import stat
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from liveqa.edge.command import client_limits
from liveqa.serve import (
    DATABASE_FILE,
    KEY_FILE,
    Keys,
    configure,
    default_data_dir,
    load_master_key,
    network_addresses,
    page_url,
    prepare_data_dir,
    start,
    welcome,
)
from support.ports import free_port
from support.serve import serving


def test_default_data_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "liveqa"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/is/ignored")
    assert default_data_dir() == Path.home() / ".local" / "share" / "liveqa"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == Path.home() / ".local" / "share" / "liveqa"


def test_first_run_makes_a_private_key_that_later_runs_reuse(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    keys = prepare_data_dir(data)
    key_file = data / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert len(bytes.fromhex(key_file.read_text())) == 32
    assert prepare_data_dir(data) == keys
    assert [p.name for p in data.iterdir()] == [KEY_FILE]


def test_keys_differ_per_use_and_per_installation(tmp_path: Path) -> None:
    one, two = prepare_data_dir(tmp_path / "one"), prepare_data_dir(tmp_path / "two")
    assert len({one.grip_sig, one.publish, one.session.encode()}) == 3
    assert one != two
    assert Keys.derive(b"k" * 32) == Keys.derive(b"k" * 32)


def test_a_key_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text("ab" * 32 + "\n")
    path.chmod(0o644)
    assert load_master_key(path) == bytes.fromhex("ab" * 32)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["", "not hex at all", "abcd"])
def test_a_broken_key_file_is_refused_and_kept(tmp_path: Path, content: str) -> None:
    path = tmp_path / KEY_FILE
    path.write_text(content)
    with pytest.raises(ValueError, match="is not a liveqa key"):
        load_master_key(path)
    assert path.read_text() == content


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="data directory"):
        prepare_data_dir(tmp_path / "file")


def test_page_url_is_one_a_browser_here_can_open() -> None:
    assert page_url("127.0.0.1", 7999) == "http://127.0.0.1:7999/"
    assert page_url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert page_url("::1", 8000) == "http://[::1]:8000/"


async def test_start_serves_the_page_through_the_edge_and_stops(tmp_path: Path) -> None:
    board = await start("127.0.0.1", 0, tmp_path)
    try:
        assert board.edge.port != 0
        async with aiohttp.ClientSession() as http, http.get(board.url) as response:
            assert response.status == 200
            assert "<title>" in await response.text()
    finally:
        await board.stop()
    assert (tmp_path / DATABASE_FILE).is_file()


@pytest.mark.parametrize("behind_tls", [False, True])
async def test_behind_tls_makes_the_cookie_secure(tmp_path: Path, behind_tls: bool) -> None:
    board = await start("127.0.0.1", 0, tmp_path, behind_tls=behind_tls)
    try:
        url = board.url + "api/session"
        front = {"X-Forwarded-Proto": "https"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"displayName": "Ana"}, headers=front) as response,
        ):
            assert response.status in (200, 201)
            cookie = next(iter(response.cookies.values()))
            assert bool(cookie["secure"]) is behind_tls
        # The front also says whose connection it is, for the per-address limit.
        assert board.edge.config.trust_forwarded_for is behind_tls
    finally:
        await board.stop()


def test_the_connection_limit_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def limit(*argv: str) -> int:
        parser = argparse.ArgumentParser()
        configure(parser)
        return int(parser.parse_args(argv).max_connections_per_address)

    monkeypatch.delenv("LIVEQA_MAX_CONNECTIONS_PER_ADDRESS", raising=False)
    assert limit() == 1000
    monkeypatch.setenv("LIVEQA_MAX_CONNECTIONS_PER_ADDRESS", "5000")
    assert limit() == 5000
    assert limit("--max-connections-per-address", "0") == 0
    with pytest.raises(SystemExit):
        limit("--max-connections-per-address", "-3")
    assert "expected a whole number, 0 or more, got '-3'" in capsys.readouterr().err


async def test_the_connection_limit_reaches_the_edge(tmp_path: Path) -> None:
    board = await start("127.0.0.1", 0, tmp_path, max_connections_per_address=3)
    try:
        assert board.edge.addresses.limit == 3
    finally:
        await board.stop()


async def test_client_limits_reach_the_edge_which_takes_sockets_on_the_api_path_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LIVEQA_ALLOWED_ORIGIN", "LIVEQA_MAX_REQUESTS_PER_ADDRESS", "LIVEQA_BODY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    parser = argparse.ArgumentParser()
    configure(parser)
    argv = ["--allowed-origin", "https://qa.example.org", "--max-requests-per-address", "9"]
    args = parser.parse_args([*argv, "--body-timeout", "4"])
    board = await start("127.0.0.1", 0, tmp_path, **client_limits(args))
    try:
        config = board.edge.config
        assert config.allowed_origins == ("https://qa.example.org",)
        assert (config.max_requests_per_address, config.body_timeout) == (9, 4)
        assert config.websocket_paths == ("/api/websocket",)
    finally:
        await board.stop()


async def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ValueError, match=f"cannot listen on 127.0.0.1:{port}"):
            await start("127.0.0.1", port, tmp_path)


async def test_a_file_that_is_no_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DATABASE_FILE).write_bytes(b"not a database, " * 512)
    with pytest.raises(ValueError, match=r"liveqa\.db cannot be used: file is not a database"):
        await start("127.0.0.1", 0, tmp_path)


async def test_the_command_keeps_questions_and_key_across_a_restart(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    base = f"http://127.0.0.1:{port}"
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with serving(port, data) as process:
            key = (data / KEY_FILE).read_text()
            async with http.post(f"{base}/api/session", json={"displayName": "Ada"}) as response:
                assert response.status == 201, await response.text()
            async with http.post(f"{base}/api/rooms", json={"roomId": "restart"}) as response:
                assert response.status == 201, await response.text()
            async with http.ws_connect(f"{base}/api/websocket?roomId=restart") as ws:
                post = {"type": "QUESTION_POST_TO_ROOM", "questionText": "Kept?", "nonce": "n1"}
                await ws.send_str(json.dumps({**post, "ref": "r1"}))
                reply: dict[str, Any] = {}
                async with asyncio.timeout(10):
                    while reply.get("ref") != "r1":
                        reply = json.loads(await ws.receive_str())
                assert reply["type"] == "ACK", reply
                process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(10):
                    closing = await ws.receive()
                assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1001)
            async with asyncio.timeout(15):
                output, _ = await process.communicate()
            assert process.returncode == 0, output.decode()
        async with serving(port, data) as process:
            assert (data / KEY_FILE).read_text() == key
            # The old cookie still works, so the session secret was kept too.
            async with http.get(f"{base}/api/rooms/restart") as response:
                assert response.status == 200, await response.text()
                snapshot = await response.json()
            assert [q["questionText"] for q in snapshot["questions"]] == ["Kept?"]
            assert snapshot["me"]["isHost"] is True
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(15):
                output, _ = await process.communicate()
            assert process.returncode == 0, output.decode()


def test_network_addresses_leave_out_loopback_and_link_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    named = ["127.0.1.1", "10.1.2.3", "fe80::1%eth0", "fd00::5", "::1"]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *_: [(0, 0, 0, "", (address, 0)) for address in named],
    )
    both = network_addresses("::")
    assert {"10.1.2.3", "fd00::5"} <= set(both)
    assert not {"127.0.1.1", "fe80::1%eth0", "fe80::1", "::1"} & set(both)
    assert "fd00::5" not in network_addresses("0.0.0.0")


def test_welcome_says_where_phones_go(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://127.0.0.1:7999/"
    monkeypatch.setattr("liveqa.serve.network_addresses", lambda host: ["10.1.2.3", "fd00::5"])
    assert welcome(url, "0.0.0.0", 7999, None) == [
        f"liveqa is running: open {url}",
        "phones and others on the network open:",
        "  http://10.1.2.3:7999/",
        "  http://[fd00::5]:7999/",
    ]
    assert welcome(url, "127.0.0.1", 7999, "https://qa.example.org")[1] == (
        "links and QR codes point at https://qa.example.org/"
    )
    assert "--host 0.0.0.0 or --public-url" in welcome(url, "127.0.0.1", 7999, None)[1]
    assert welcome("http://10.1.2.3:7999/", "10.1.2.3", 7999, None) == [
        "liveqa is running: open http://10.1.2.3:7999/"
    ]
    monkeypatch.setattr("liveqa.serve.network_addresses", lambda host: [])
    assert "this machine's address, port 7999" in welcome(url, "::", 7999, None)[1]


def test_the_public_url_option(monkeypatch: pytest.MonkeyPatch) -> None:
    def parsed(*argv: str) -> str | None:
        parser = argparse.ArgumentParser()
        configure(parser)
        value: str | None = parser.parse_args(argv).public_url
        return value

    monkeypatch.delenv("LIVEQA_PUBLIC_URL", raising=False)
    assert parsed() is None
    assert parsed("--public-url", "https://QA.example.org/") == "https://qa.example.org"
    monkeypatch.setenv("LIVEQA_PUBLIC_URL", "https://env.example.org")
    assert parsed() == "https://env.example.org"


async def test_the_public_url_reaches_the_links(tmp_path: Path) -> None:
    board = await start("127.0.0.1", 0, tmp_path, public_url="https://qa.example.org")
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await http.post(board.url + "api/session", json={"displayName": "Ana"})
            async with http.post(board.url + "api/rooms", json={"roomId": "town-hall"}) as made:
                assert (await made.json())["joinUrl"] == "https://qa.example.org/town-hall"
    finally:
        await board.stop()


def test_the_readme_lists_every_option() -> None:
    parser = argparse.ArgumentParser()
    configure(parser)
    options = {name for action in parser._actions for name in action.option_strings}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(--[a-z-]+)` \|", readme, re.MULTILINE))
    assert options - {"-h", "--help"} <= listed, sorted(options - listed - {"-h", "--help"})


async def test_metrics_listen_shows_the_edge_and_the_origin_and_the_probes(
    tmp_path: Path,
) -> None:
    board = await start("127.0.0.1", 0, tmp_path, metrics_listen=("127.0.0.1", 0))
    try:
        assert board.operations is not None
        base = f"http://127.0.0.1:{board.operations.addresses[0][1]}"
        async with aiohttp.ClientSession() as http:
            async with http.get(board.url + "api/rooms/nowhere") as response:
                assert response.status == 404
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 200
                names = [
                    sample.name
                    for family in text_string_to_metric_families(await response.text())
                    for sample in family.samples
                ]
            for path in ("/healthz", "/readyz"):
                async with http.get(base + path) as response:
                    assert response.status == 200, path
    finally:
        await board.stop()
    assert "liveqa_edge_http_requests_total" in names
    assert "liveqa_origin_http_responses_total" in names
    # The process's metrics once, though both parts run in it.
    assert names.count("process_resident_memory_bytes") == 1


async def test_a_busy_metrics_address_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ValueError, match=f"cannot listen on 127.0.0.1:{port}"):
            await start("127.0.0.1", 0, tmp_path, metrics_listen=("127.0.0.1", port))
