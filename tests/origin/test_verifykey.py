"""GRIP_VERIFY_KEY: PEM, JWK and secrets, plain or base64, as the JS GRIP libraries take them."""

from __future__ import annotations

import json
from base64 import b64encode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_public_key,
)

from liveqa.grip.sig import mint_sig, verify_sig
from liveqa.origin.verifykey import load_verify_key

# Fastly Fanout's published Grip-Sig key, in the two forms its docs and libraries give it.
FASTLY_PEM_BASE64 = (
    "base64:LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RR"
    "Z0FFQ0tvNUExZWJ5RmNubVZWOFNFNU9uKzhHODFKeQpCalN2Y3J4NFZMZXRXQ2p1REFtcHBUbzN4TS96ejc2M0NP"
    "VENnSGZwLzZsUGRDeVlqanFjK0dNN3N3PT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0t"
)
FASTLY_JWK = json.dumps(
    {
        "kty": "EC",
        "crv": "P-256",
        "x": "CKo5A1ebyFcnmVV8SE5On-8G81JyBjSvcrx4VLetWCg",
        "y": "7gwJqaU6N8TP88--twjkwoB36f-pT3QsmI46nPhjO7M",
    }
)


def private_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def public_jwk(key: ec.EllipticCurvePrivateKey) -> str:
    return json.dumps(json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())))


def test_fastly_key_loads_the_same_from_pem_and_jwk() -> None:
    from_pem = load_verify_key(FASTLY_PEM_BASE64)
    from_jwk = load_verify_key(FASTLY_JWK)
    assert from_pem == from_jwk
    key = load_pem_public_key(from_pem)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert isinstance(key.curve, ec.SECP256R1)
    # A token from anyone but Fastly does not pass.
    ours = ec.generate_private_key(ec.SECP256R1())
    assert not verify_sig(mint_sig(private_pem(ours), "fastly:svc"), from_pem, "fastly:svc")


@pytest.mark.parametrize("form", ["pem", "base64-pem", "jwk", "base64-jwk", "private-pem", "jwk-d"])
def test_every_form_of_a_p256_key_verifies_es256_with_its_issuer(form: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    values = {
        "pem": public_pem(key).decode(),
        "base64-pem": "base64:" + b64encode(public_pem(key)).decode(),
        "jwk": public_jwk(key),
        "base64-jwk": "base64:" + b64encode(public_jwk(key).encode()).decode(),
        "private-pem": private_pem(key).decode(),
        "jwk-d": jwt.algorithms.ECAlgorithm.to_jwk(key),
    }
    verify_key = load_verify_key(values[form])
    assert verify_key == public_pem(key)
    token = mint_sig(private_pem(key), "fastly:svc")
    assert verify_sig(token, verify_key, "fastly:svc")
    assert not verify_sig(token, verify_key, "fastly:other")
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert not verify_sig(mint_sig(private_pem(stranger), "fastly:svc"), verify_key, "fastly:svc")


def test_rsa_keys_and_shared_secrets() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert load_verify_key(public_pem(key).decode()) == public_pem(key)
    assert load_verify_key("changeme") == b"changeme"
    assert load_verify_key("base64:" + b64encode(b"\x00secret").decode()) == b"\x00secret"
    oct_jwk = json.dumps({"kty": "oct", "k": "c2VjcmV0LWtleQ"})
    assert load_verify_key(oct_jwk) == b"secret-key"
    # '+' turned into a space on its way through a query string or an unquoted shell word.
    secret = b"\xfb\xef\xbe-secret"
    encoded = b64encode(secret).decode()
    assert encoded.startswith("++++")
    assert load_verify_key("base64:" + encoded.replace("+", " ")) == secret


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("base64:", "empty"),
        ("base64:not*base64", "not valid base64"),
        ("{not json", "not JSON"),
        ('{"x": 1}', "not a JWK"),
        ('{"kty": "EC", "crv": "P-256", "x": "AAAA"}', "not a usable JWK"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a usable PEM"),
    ],
)
def test_malformed_keys_are_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        load_verify_key(value)


def test_ec_keys_off_p256_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError, match="P-256"):
        load_verify_key(public_pem(key).decode())
