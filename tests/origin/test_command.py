"""`liveqa origin`: options, GRIP URLs, and a real process that serves and stops cleanly."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from liveqa.bench.pushpin import free_port
from liveqa.grip.sig import mint_sig
from liveqa.origin import command
from liveqa.origin.ratelimit import Rate

KEY = "origin-command-grip-key-0123456789abcdef"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.configure(parser)
    return parser.parse_args(argv)


def test_grip_url_gives_publish_target_and_sig_key() -> None:
    config = command.build_config(_args("--grip-url", f"http://127.0.0.1:5561/?key={KEY}"))
    [target] = config.publish_targets
    assert target.url == "http://127.0.0.1:5561/publish/"
    assert target.authorization() == f"Bearer {KEY}"
    assert config.verify_sig(mint_sig(KEY.encode()))
    assert not config.verify_sig(mint_sig(b"some-other-key-0123456789abcdef0123"))
    assert not config.verify_sig(None)
    assert not config.verify_sig("")


def test_several_grip_urls_and_verify_options(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "second-proxy-verify-key-0123456789abcdef"
    monkeypatch.setenv(
        "GRIP_URL",
        f"http://127.0.0.1:5561/?key={KEY}&iss=origin,"
        f"http://127.0.0.1:7561/?verify-key={other}&verify-iss=edge",
    )
    config = command.build_config(_args())
    assert [t.url for t in config.publish_targets] == [
        "http://127.0.0.1:5561/publish/",
        "http://127.0.0.1:7561/publish/",
    ]
    first = config.publish_targets[0].authorization()
    assert first is not None
    assert first.startswith("Bearer ey")
    assert config.publish_targets[1].authorization() is None
    assert config.verify_sig(mint_sig(KEY.encode(), "pushpin"))
    assert config.verify_sig(mint_sig(other.encode(), "edge"))
    assert not config.verify_sig(mint_sig(other.encode(), "pushpin"))


def test_options_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEQA_RATE_VOTES", "0")
    monkeypatch.setenv("LIVEQA_LIMIT_QUESTION", "280")
    monkeypatch.setenv("LIVEQA_LISTEN", "0.0.0.0:9000")
    args = _args()
    config = command.build_config(args)
    assert config.rates.votes == Rate(0, 1.0)
    assert config.limits.question == 280
    assert args.listen == ("0.0.0.0", 9000)
    assert config.sockets.attendance_interval == 2.0
    assert config.publish_targets == []
    assert not config.verify_sig(mint_sig(KEY.encode()))


def test_bad_values_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args("--rate-votes", "lots")
    assert "COUNT/SECONDS" in capsys.readouterr().err
    with pytest.raises(ValueError, match="at least 20"):
        command.build_config(_args("--keep-alive-interval", "5"))
    with pytest.raises(ValueError, match="GRIP_URL"):
        command.build_config(_args("--grip-url", "ftp://nowhere"))


async def test_the_process_migrates_serves_and_stops(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "liveqa",
        "origin",
        "--listen",
        f"127.0.0.1:{port}",
        "--database-url",
        f"sqlite:///{tmp_path}/process.db",
        "--grip-url",
        f"http://127.0.0.1:9/?key={KEY}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.post(f"http://127.0.0.1:{port}/api/session") as response:
                        assert response.status == 201
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the origin never answered")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, output.decode()
    assert (tmp_path / "process.db").exists()
