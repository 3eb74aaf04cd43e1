"""The origin's Grip-Sig check: a minute of clock skew forgiven, and every refusal explained."""

from __future__ import annotations

import logging
import time

import jwt
import pytest

from liveqa.origin.sigcheck import SIG_LEEWAY, key_verifier

KEY = b"sigcheck-test-key-0123456789abcdef"


def token(exp: float, key: bytes = KEY, iss: str = "pushpin") -> str:
    return jwt.encode({"iss": iss, "exp": int(exp)}, key)


def test_a_proxy_clock_a_little_behind_is_forgiven() -> None:
    verify = key_verifier([(KEY, "pushpin")])
    assert verify(token(time.time() - SIG_LEEWAY / 2))
    assert not verify(token(time.time() - SIG_LEEWAY - 5))
    assert not verify(None)
    assert not verify("")


@pytest.mark.parametrize(
    ("sig", "reason"),
    [
        (token(time.time() - 3600), "s ago by this machine's clock (a clock ahead"),
        (
            token(time.time() + 60, key=b"another-key-0123456789abcdef0123"),
            "not signed with the key",
        ),
        (token(time.time() + 60, iss="fastly"), "issuer 'fastly' is not 'pushpin'"),
    ],
    ids=["expired", "wrong key", "wrong issuer"],
)
def test_a_refused_signature_says_why_once(
    caplog: pytest.LogCaptureFixture, sig: str, reason: str
) -> None:
    verify = key_verifier([(KEY, "pushpin")])
    with caplog.at_level(logging.WARNING, "liveqa.origin"):
        for _ in range(20):
            assert not verify(sig)
    assert len(caplog.records) == 1
    assert reason in caplog.records[0].getMessage()
