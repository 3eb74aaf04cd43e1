"""Tests for Grip-Sig minting and verification."""

from __future__ import annotations

import calendar
import time
import warnings
from datetime import UTC, datetime

import gripcontrol
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from liveqa.grip.sig import mint_sig, verify_sig

KEY = b"k" * 32  # long enough that gripcontrol's own PyJWT calls do not warn
NOW = 1_800_000_000.0


def encode(payload: dict[str, object], key: bytes, algorithm: str = "HS256") -> str:
    """A token built with PyJWT directly, whatever the key length."""
    # PyJWT 2.11 and later warn (InsecureKeyLengthWarning) about short HMAC keys.
    with warnings.catch_warnings(action="ignore", category=UserWarning):
        return jwt.encode(payload, key, algorithm=algorithm)


def claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def pem_pair(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[bytes, bytes]:
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[bytes, bytes]:
    return pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ec_keys() -> tuple[bytes, bytes]:
    return pem_pair(ec.generate_private_key(ec.SECP256R1()))


def test_claims_are_exactly_iss_and_exp() -> None:
    token = mint_sig(b"changeme", now=NOW)
    assert claims(token) == {"iss": "pushpin", "exp": int(NOW) + 3600}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims(mint_sig(b"changeme", "edge", ttl=60, now=NOW)) == {
        "iss": "edge",
        "exp": int(NOW) + 60,
    }


def test_gripcontrol_accepts_our_sig() -> None:
    token = mint_sig(KEY, "pushpin")
    assert gripcontrol.validate_sig(token, KEY)
    assert gripcontrol.validate_sig(token, KEY, "pushpin")
    assert not gripcontrol.validate_sig(token, KEY, "other")
    assert not gripcontrol.validate_sig(token, b"x" * 32)


def test_we_accept_a_sig_built_the_way_gripcontrol_and_pushpin_build_it() -> None:
    exp = calendar.timegm(datetime.now(UTC).utctimetuple()) + 3600
    token = jwt.encode({"iss": "pushpin", "exp": exp}, KEY)
    assert verify_sig(token, KEY)
    assert verify_sig(token, KEY, "pushpin")
    assert not verify_sig(token, KEY, "fastly")
    assert not verify_sig(token, b"wrong-key" * 4)


def test_pushpin_wire_trace_token_shape() -> None:
    token = encode({"exp": int(NOW) + 10, "iss": "pushpin"}, b"changeme")
    assert verify_sig(token, b"changeme", "pushpin", now=NOW)


def test_expiry() -> None:
    token = jwt.encode({"iss": "pushpin", "exp": int(NOW) + 10}, KEY)
    assert verify_sig(token, KEY, now=NOW)
    assert verify_sig(token, KEY, now=NOW + 9.5)
    assert not verify_sig(token, KEY, now=NOW + 10)
    assert not verify_sig(token, KEY, now=NOW + 1000)
    assert verify_sig(token, KEY, now=NOW)


def test_expired_by_the_real_clock() -> None:
    token = jwt.encode({"iss": "pushpin", "exp": int(time.time()) - 1}, KEY)
    assert not verify_sig(token, KEY)
    assert not gripcontrol.validate_sig(token, KEY)


@pytest.mark.parametrize(
    "payload",
    [{"iss": "pushpin"}, {"iss": "pushpin", "exp": "soon"}, {"iss": "pushpin", "exp": True}],
)
def test_exp_is_required_and_numeric(payload: dict[str, object]) -> None:
    token = jwt.encode(payload, KEY)
    assert not verify_sig(token, KEY, now=NOW)


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJleHAiOjl9.", "é.é.é"]
)
def test_malformed_tokens_are_rejected_not_raised(token: str) -> None:
    assert not verify_sig(token, KEY, now=NOW)


def test_unsigned_token_is_rejected() -> None:
    token = jwt.encode({"iss": "pushpin", "exp": int(NOW) + 60}, "", algorithm="none")
    assert not verify_sig(token, KEY, now=NOW)


def test_other_hmac_algorithms_are_rejected() -> None:
    token = encode({"iss": "pushpin", "exp": int(NOW) + 60}, KEY, algorithm="HS512")
    assert not verify_sig(token, KEY, now=NOW)


@pytest.mark.parametrize("keys", ["rsa_keys", "ec_keys"])
def test_pem_keys(keys: str, request: pytest.FixtureRequest) -> None:
    private_pem, public_pem = request.getfixturevalue(keys)
    token = mint_sig(private_pem, "pushpin", now=NOW)
    assert jwt.get_unverified_header(token)["alg"] == ("RS256" if keys == "rsa_keys" else "ES256")
    assert verify_sig(token, public_pem, "pushpin", now=NOW)
    assert not verify_sig(token, public_pem, "pushpin", now=NOW + 3600)
    assert not verify_sig(token, KEY, now=NOW)
    fresh = mint_sig(private_pem, "pushpin")
    assert gripcontrol.validate_sig(fresh, public_pem, "pushpin")


def test_bad_signing_keys() -> None:
    with pytest.raises(ValueError, match="ttl"):
        mint_sig(KEY, ttl=0)
    with pytest.raises(ValueError, match="PEM signing key cannot be loaded"):
        mint_sig(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


def test_minted_token_is_reused_for_a_minute_and_stays_fresh() -> None:
    key = b"reuse-test-key"
    first = mint_sig(key, now=NOW)
    assert mint_sig(key, now=NOW + 59) == first
    later = mint_sig(key, now=NOW + 60)
    assert later != first
    assert claims(later)["exp"] == int(NOW) + 60 + 3600
    for offset in range(0, 400, 7):
        now = NOW + 1000 + offset
        exp = claims(mint_sig(key, now=now))["exp"]
        assert isinstance(exp, int)
        assert exp >= now + 3540 - 1


def test_reuse_is_per_key_and_issuer() -> None:
    assert mint_sig(b"key-a", now=NOW) != mint_sig(b"key-b", now=NOW)
    assert claims(mint_sig(b"key-a", "x", now=NOW))["iss"] == "x"
    assert claims(mint_sig(b"key-a", "y", now=NOW))["iss"] == "y"


def test_clock_going_back_mints_again() -> None:
    key = b"clock-test-key"
    first = mint_sig(key, now=NOW)
    earlier = mint_sig(key, now=NOW - 600)
    assert claims(earlier)["exp"] == int(NOW) - 600 + 3600
    assert first != earlier


def test_short_ttl_is_not_reused_past_half_its_life() -> None:
    key = b"short-ttl-key"
    first = mint_sig(key, ttl=10, now=NOW)
    assert mint_sig(key, ttl=10, now=NOW + 4) == first
    assert mint_sig(key, ttl=10, now=NOW + 5) != first


def test_verified_token_is_rechecked_for_expiry_and_issuer() -> None:
    token = jwt.encode({"iss": "pushpin", "exp": int(NOW) + 30}, KEY)
    assert verify_sig(token, KEY, "pushpin", now=NOW)
    assert not verify_sig(token, KEY, "pushpin", now=NOW + 31)
    assert not verify_sig(token, KEY, "other", now=NOW)
    assert not verify_sig(token, b"another-key-of-32-bytes-or-more!", "pushpin", now=NOW)
