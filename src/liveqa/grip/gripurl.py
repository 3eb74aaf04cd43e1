"""GRIP_URL: where and how to publish, and how to check Grip-Sig (docs/grip.md §2.4).

`http://host:5561/?iss=..&key=..&verify-iss=..&verify-key=..`, read like gripcontrol does."""

from __future__ import annotations

import binascii
from base64 import b64decode
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from liveqa.grip.sig import mint_sig

_BASE64 = "base64:"


@dataclass(frozen=True)
class GripUrl:
    """A parsed GRIP_URL."""

    control_uri: str
    control_iss: str | None = None
    key: bytes | None = None
    verify_iss: str | None = None
    verify_key: bytes | None = None

    def publish_url(self) -> str:
        """`control_uri + "/publish/"`, with any leftover query kept after the path."""
        base, sep, query = self.control_uri.partition("?")
        return f"{base}/publish/{sep}{query}"

    def authorization(self) -> str | None:
        """The publish `Authorization`: `Bearer <jwt>` with iss and key, `Bearer <key>`, or None."""
        if self.key is None:
            return None
        if self.control_iss is None:
            try:
                return "Bearer " + self.key.decode("ascii")
            except UnicodeDecodeError:
                raise ValueError("a GRIP_URL key used as a bearer token must be ASCII") from None
        return "Bearer " + mint_sig(self.key, self.control_iss)

    def sig_verify_key(self) -> bytes | None:
        """The key that checks Grip-Sig: `verify-key`, else `key`."""
        return self.verify_key if self.verify_key is not None else self.key

    def sig_verify_iss(self) -> str | None:
        """The issuer Grip-Sig must name: `verify-iss` only."""
        # `iss` is the publisher's own issuer; a proxy signs with its own (`pushpin` by default).
        return self.verify_iss


def _key(name: str, value: str | None) -> bytes | None:
    if not value:
        return None
    if not value.startswith(_BASE64):
        return value.encode("utf-8")
    try:
        key = b64decode(value[len(_BASE64) :], validate=True)
    except binascii.Error:
        raise ValueError(f"GRIP_URL {name} is not valid base64") from None
    return key or None


def parse_grip_url(url: str) -> GripUrl:
    """Parse one GRIP_URL; raise ValueError when it is not an http(s) URL with a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"GRIP_URL {url!r} is not an http:// or https:// URL with a host")
    # Base64 keys contain '+', which a query string would otherwise turn into a space.
    params = parse_qs(parts.query.replace("+", "%2B"))
    iss = params.pop("iss", [None])[0]
    key = _key("key", params.pop("key", [None])[0])
    verify_iss = params.pop("verify-iss", [None])[0]
    verify_key = _key("verify-key", params.pop("verify-key", [None])[0])
    path = parts.path.removesuffix("/")
    control_uri = f"{parts.scheme}://{parts.netloc}{path}"
    if params:
        control_uri += "?" + urlencode(params, doseq=True)
    return GripUrl(control_uri, iss or None, key, verify_iss or None, verify_key)


def parse_grip_urls(value: str) -> list[GripUrl]:
    """Parse a comma-separated list of GRIP_URLs."""
    return [parse_grip_url(url) for url in value.split(",") if url.strip()]
