"""`liveqa origin`: options, GRIP URLs, and a real process that serves and stops cleanly."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys
from base64 import b64encode
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from jwt.algorithms import ECAlgorithm

from liveqa.grip.sig import mint_sig
from liveqa.origin import command
from liveqa.origin.board import AddressRates
from liveqa.origin.ratelimit import Rate
from support.ports import free_port

from .test_verifykey import FASTLY_PEM_BASE64

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


def test_server_timeouts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    defaults = command.build_config(_args())
    assert (defaults.idle_timeout, defaults.body_timeout) == (15, 30)
    monkeypatch.setenv("LIVEQA_BODY_TIMEOUT", "2.5")
    config = command.build_config(_args("--idle-timeout", "4"))
    assert (config.idle_timeout, config.body_timeout) == (4, 2.5)
    with pytest.raises(SystemExit):
        _args("--idle-timeout", "0")
    assert "expected seconds, more than 0, got '0'" in capsys.readouterr().err


def test_abuse_limit_options() -> None:
    defaults = command.build_config(_args())
    assert defaults.address_rates == AddressRates()
    assert (defaults.trusted_proxies, defaults.redis_url) == ([], None)
    assert defaults.limits.questions_per_participant == 50
    config = command.build_config(
        _args(
            "--rate-address-sessions",
            "500/300",
            "--rate-address-votes",
            "0",
            "--limit-questions-per-participant",
            "7",
            "--trusted-proxies",
            "10.0.0.0/24, 2001:db8::/64",
            "--redis-url",
            "redis://127.0.0.1:6379/0",
            "--redis-prefix",
            "qa:",
        )
    )
    assert config.address_rates.sessions == Rate(500, 300)
    assert config.address_rates.votes == Rate(0, 1)
    assert config.limits.questions_per_participant == 7
    assert (config.trusted_proxies, config.redis_url, config.redis_prefix) == (
        ["10.0.0.0/24", "2001:db8::/64"],
        "redis://127.0.0.1:6379/0",
        "qa:",
    )


def test_bad_values_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args("--rate-votes", "lots")
    assert "COUNT/SECONDS" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _args("--trusted-proxies", "10.0.0.0/33")
    assert "10.0.0.0/33" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _args("--keep-alive-interval", "5")
    assert "expected a whole number, 20 or more, got '5'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="GRIP_URL"):
        command.build_config(_args("--grip-url", "ftp://nowhere"))


FASTLY_URL = (
    "https://api.fastly.com/service/SVC123?verify-iss=fastly:SVC123&key=fastly-api-token-0123456789"
)


def _es256_pair() -> tuple[bytes, str]:
    """A P-256 private key (PEM) and its public half as a JWK."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return pem, json.dumps(json.loads(ECAlgorithm.to_jwk(key.public_key())))


def test_grip_verify_key_checks_fanout_sigs(monkeypatch: pytest.MonkeyPatch) -> None:
    private, jwk = _es256_pair()
    monkeypatch.setenv("GRIP_URL", FASTLY_URL)
    monkeypatch.setenv("GRIP_VERIFY_KEY", jwk)
    config = command.build_config(_args())
    [target] = config.publish_targets
    assert target.url == "https://api.fastly.com/service/SVC123/publish/"
    assert target.authorization() == "Bearer fastly-api-token-0123456789"
    assert config.verify_sig(mint_sig(private, "fastly:SVC123"))
    assert not config.verify_sig(mint_sig(private, "fastly:OTHER"))
    assert not config.verify_sig(mint_sig(private, "pushpin"))
    # The publish token is not a Grip-Sig key once a verify key is given.
    assert not config.verify_sig(mint_sig(b"fastly-api-token-0123456789", "fastly:SVC123"))
    stranger, _ = _es256_pair()
    assert not config.verify_sig(mint_sig(stranger, "fastly:SVC123"))


def test_grip_verify_key_option_fills_only_urls_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    private, _ = _es256_pair()
    public = load_pem_private_key(private, None).public_key()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    monkeypatch.setenv("GRIP_VERIFY_KEY", "not-this-one-because-the-flag-wins")
    own = "own-verify-key-0123456789abcdef0123"
    args = _args(
        "--grip-url",
        f"{FASTLY_URL},http://127.0.0.1:5561/?verify-key={own}",
        "--grip-verify-key",
        "base64:" + b64encode(pem).decode(),
    )
    config = command.build_config(args)
    assert config.verify_sig(mint_sig(private, "fastly:SVC123"))
    assert config.verify_sig(mint_sig(own.encode(), "pushpin"))
    assert not config.verify_sig(mint_sig(b"not-this-one-because-the-flag-wins", "fastly:SVC123"))


def test_fastly_public_key_loads_and_a_bad_key_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRIP_URL", FASTLY_URL)
    monkeypatch.setenv("GRIP_VERIFY_KEY", FASTLY_PEM_BASE64)
    config = command.build_config(_args())
    private, _ = _es256_pair()
    assert not config.verify_sig(mint_sig(private, "fastly:SVC123"))
    monkeypatch.setenv("GRIP_VERIFY_KEY", '{"kty": "EC"}')
    with pytest.raises(ValueError, match="GRIP_VERIFY_KEY"):
        command.build_config(_args())


async def test_the_process_migrates_serves_and_stops(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "liveqa",
        "origin",
        "--listen",
        f"127.0.0.1:{port}",
        "--metrics-listen",
        f"127.0.0.1:{metrics_port}",
        "--database-url",
        f"sqlite:///{tmp_path}/process.db",
        "--grip-url",
        f"http://127.0.0.1:9/?key={KEY}",
        "--access-log",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    url = f"http://127.0.0.1:{port}/api/session"
                    async with session.post(url, json={}) as response:
                        assert response.status == 201
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the origin never answered")
            async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                assert response.status == 200
            metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            async with session.get(metrics) as response:
                assert response.status == 200
                assert 'liveqa_origin_http_responses_total{code="2xx"}' in await response.text()
            # Not on the port the proxy forwards the public to.
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 404
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, output.decode()
    assert (tmp_path / "process.db").exists()
    assert b"liveqa.access: 127.0.0.1 [" in output
    assert b'"GET /readyz HTTP/1.1" 200' in output


async def test_an_address_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "liveqa",
            "origin",
            "--listen",
            f"127.0.0.1:{taken.getsockname()[1]}",
            "--database-url",
            f"sqlite:///{tmp_path}/busy.db",
            "--log-level",
            "error",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert out == b""
    (line,) = err.decode().splitlines()
    assert line.startswith("liveqa origin: error: ")
    assert "address already in use" in line


async def test_a_file_that_is_no_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "broken.db").write_bytes(b"not a database, " * 512)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "liveqa",
        "origin",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--database-url",
        f"sqlite:///{tmp_path}/broken.db",
        "--log-level",
        "error",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert (process.returncode, out) == (2, b"")
    assert err.decode().splitlines() == [
        "liveqa origin: error: the database cannot be used: file is not a database"
    ]
