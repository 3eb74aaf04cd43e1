"""Cookie signing: genuine values verify, anything altered does not."""

from __future__ import annotations

import pytest

from liveqa.origin.session import COOKIE_NAME, SessionSigner

SECRET = b"0123456789abcdef0123456789abcdef"


def test_sign_and_verify() -> None:
    signer = SessionSigner(SECRET)
    value = signer.sign("abcdef0123456789")
    assert signer.verify(value) == "abcdef0123456789"
    assert signer.from_cookie_header(f"other=1; {COOKIE_NAME}={value}") == "abcdef0123456789"


@pytest.mark.parametrize(
    "value",
    [None, "", "abcdef0123456789", "abcdef0123456789.", ".sig", "x" * 300],
)
def test_malformed_values_do_not_verify(value: str | None) -> None:
    assert SessionSigner(SECRET).verify(value) is None


def test_other_secret_or_altered_id_does_not_verify() -> None:
    value = SessionSigner(SECRET).sign("abcdef0123456789")
    assert SessionSigner(b"another-secret-of-enough-bytes!!").verify(value) is None
    participant, _, mac = value.partition(".")
    assert SessionSigner(SECRET).verify(f"{participant[:-1]}0.{mac}") is None


def test_cookie_header_parsing_is_forgiving() -> None:
    signer = SessionSigner(SECRET)
    assert signer.from_cookie_header(None) is None
    assert signer.from_cookie_header('bad"cookie; ;;') is None
    assert signer.from_cookie_header("other=1") is None


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        SessionSigner(b"short")
