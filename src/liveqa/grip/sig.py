"""Grip-Sig: the JWT a GRIP proxy sends to prove a request came through it (docs/grip.md §2.3).

Claims are exactly `iss` and `exp`, as Pushpin mints them."""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

DEFAULT_TTL = 3600
REUSE_SECONDS = 60
_PEM = b"-----BEGIN"
_CACHE_SIZE = 64

# The edge signs and the origin checks every request: minted tokens are reused for up to a
# minute and verified ones remembered until they expire.
_minted: dict[tuple[bytes, str, int], tuple[float, str]] = {}
_verified: dict[tuple[str, bytes, str | None], float] = {}


def _quiet() -> warnings.catch_warnings[None]:
    """Silence PyJWT's short-HMAC-key warning: Pushpin's default key `changeme` is one."""
    return warnings.catch_warnings(action="ignore", category=UserWarning)


def _signing_algorithm(key: bytes) -> tuple[str, Any]:
    """HS256 for a shared secret; RS256 or ES256 for a PEM private key (as Pushpin allows)."""
    if not key.startswith(_PEM):
        return "HS256", key
    try:
        private = load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the PEM signing key cannot be loaded: {exc}") from None
    if isinstance(private, rsa.RSAPrivateKey):
        return "RS256", private
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return "ES256", private
    raise ValueError("a PEM signing key must be an RSA or EC private key")


def mint_sig(
    key: bytes, iss: str = "pushpin", *, ttl: int = DEFAULT_TTL, now: float | None = None
) -> str:
    """A Grip-Sig token with claims `iss` and `exp = now + ttl`, reused for up to a minute."""
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    now = time.time() if now is None else now
    cache_key = (key, iss, ttl)
    cached = _minted.get(cache_key)
    if cached is not None and cached[0] <= now < cached[0] + min(REUSE_SECONDS, ttl / 2):
        return cached[1]
    algorithm, signing_key = _signing_algorithm(key)
    with _quiet():
        token = jwt.encode({"iss": iss, "exp": int(now) + ttl}, signing_key, algorithm=algorithm)
    if len(_minted) >= _CACHE_SIZE:
        _minted.clear()
    _minted[cache_key] = (now, token)
    return token


def verify_sig(
    token: str, key: bytes, iss: str | None = None, *, now: float | None = None, leeway: float = 0
) -> bool:
    """True if `token` is signed with `key`, has an `exp` in the future and, if given, this `iss`.

    A shared secret accepts HS256 only, a PEM public key RS256 and ES256 only."""
    return sig_problem(token, key, iss, now=now, leeway=leeway) is None


def sig_problem(
    token: str, key: bytes, iss: str | None = None, *, now: float | None = None, leeway: float = 0
) -> str | None:
    """Why `token` is refused (None: it is good); `leeway` seconds of clock skew are forgiven."""
    # Choosing by key, not by the token's header, stops algorithm-confusion forgeries.
    now = time.time() if now is None else now
    cache_key = (token, key, iss)
    exp = _verified.get(cache_key)
    if exp is None:
        algorithms = ["RS256", "ES256"] if key.startswith(_PEM) else ["HS256"]
        try:
            with _quiet():
                claims = jwt.decode(
                    token, key, algorithms=algorithms, options={"verify_exp": False, "require": []}
                )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            return f"not signed with the key ({type(exc).__name__})"
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return "no numeric exp claim"
        if iss is not None and claims.get("iss") != iss:
            return f"issuer {str(claims.get('iss'))[:40]!r} is not {iss!r}"
        if len(_verified) >= _CACHE_SIZE:
            _verified.clear()
        _verified[cache_key] = exp
    if now < exp + leeway:
        return None
    return (
        f"expired {now - exp:.0f} s ago by this machine's clock"
        " (a clock ahead of the proxy's looks the same)"
    )
