"""GRIP_VERIFY_KEY: the Grip-Sig key of GRIP URLs without `verify-key` (Fastly Fanout's public key).

Read as the JS GRIP libraries read it: optionally `base64:`-prefixed, then a PEM key, a JWK as
JSON, or a shared secret.
"""

from __future__ import annotations

import binascii
import json
from base64 import b64decode
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

_BASE64 = "base64:"


def _public_pem(key: Any) -> bytes:
    """The SubjectPublicKeyInfo PEM of an RSA or P-256 key (public, or the public half)."""
    if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        key = key.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"GRIP_VERIFY_KEY is an EC key on {key.curve.name}; ES256 needs P-256")
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError("GRIP_VERIFY_KEY must be an RSA or EC (P-256) key")
    pem: bytes = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return pem


def _from_pem(data: bytes) -> bytes:
    try:
        if b"PRIVATE KEY" in data.split(b"\n", 1)[0]:
            key: Any = load_pem_private_key(data, password=None)
        else:
            key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"GRIP_VERIFY_KEY is not a usable PEM key: {exc}") from None
    return _public_pem(key)


def _from_jwk(data: bytes) -> bytes:
    try:
        jwk = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("GRIP_VERIFY_KEY starts with '{' but is not JSON") from None
    if not isinstance(jwk, dict) or "kty" not in jwk:
        raise ValueError("GRIP_VERIFY_KEY is JSON but not a JWK (no 'kty')")
    try:
        key = jwt.PyJWK(jwk).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"GRIP_VERIFY_KEY is not a usable JWK: {exc}") from None
    if isinstance(key, bytes):
        # An `oct` JWK is a shared secret (HS256).
        return key
    return _public_pem(key)


def load_verify_key(value: str) -> bytes:
    """The key as `liveqa.grip.sig.verify_sig` takes it: a public key PEM, or secret bytes."""
    text = value.strip()
    if text.startswith(_BASE64):
        # A '+' that went through a query string or a shell unquoted may come back as a space.
        encoded = text[len(_BASE64) :].replace(" ", "+")
        try:
            data = b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError("GRIP_VERIFY_KEY is not valid base64 after 'base64:'") from None
    else:
        data = text.encode()
    if not data:
        raise ValueError("GRIP_VERIFY_KEY is empty")
    if data.startswith(b"-----BEGIN"):
        return _from_pem(data)
    if data.lstrip().startswith(b"{"):
        return _from_jwk(data)
    return data
