"""Tests for GRIP_URL parsing, cross-checked against pygripcontrol's parse_grip_uri."""

from __future__ import annotations

import base64
from typing import Any

import gripcontrol
import jwt
import pytest
from pubcontrol import PubControlClient

from liveqa.grip.gripurl import GripUrl, parse_grip_url, parse_grip_urls
from liveqa.grip.sig import verify_sig

LONG_KEY = "s" * 32
BINARY_KEY = bytes(range(200, 240))
B64_KEY = base64.b64encode(BINARY_KEY).decode()
assert "+" in B64_KEY or "/" in B64_KEY

URLS = [
    "http://localhost:5561",
    "http://localhost:5561/",
    "http://localhost:5561/?iss=me&key=secret",
    "https://api.fastly.com/service/abc?key=tok&verify-iss=fastly:abc&verify-key=pub",
    f"http://h:1/?key=base64:{B64_KEY}",
    f"http://h:1/?iss=x&key=base64:{B64_KEY}&verify-key=base64:{B64_KEY}",
    "http://h/path/?iss=me&key=a+b",
    "http://h/path//",
    "http://h/p?foo=bar&key=k&foo=baz&x=1",
    "http://user:pw@h:8080/base?verify-iss=pushpin",
    "http://h/?iss=&key=",
]


def as_dict(url: GripUrl) -> dict[str, Any]:
    """Our result in the shape parse_grip_uri returns (absent keys omitted)."""
    out: dict[str, Any] = {"control_uri": url.control_uri}
    for name in ("control_iss", "key", "verify_iss", "verify_key"):
        value = getattr(url, name)
        if value is not None:
            out[name] = value
    return out


def normalized(theirs: dict[str, Any]) -> dict[str, Any]:
    """parse_grip_uri leaves plain keys as str; ours are always bytes."""
    return {
        k: v.encode() if k in ("key", "verify_key") and isinstance(v, str) else v
        for k, v in theirs.items()
    }


@pytest.mark.parametrize("url", URLS)
def test_agrees_with_parse_grip_uri(url: str) -> None:
    assert as_dict(parse_grip_url(url)) == normalized(gripcontrol.parse_grip_uri(url))


def test_fields() -> None:
    url = parse_grip_url(
        f"https://api.fastly.com/service/abc/?key=tok&verify-iss=fastly:abc&verify-key=base64:{B64_KEY}"
    )
    assert url == GripUrl(
        "https://api.fastly.com/service/abc", None, b"tok", "fastly:abc", BINARY_KEY
    )
    assert url.publish_url() == "https://api.fastly.com/service/abc/publish/"
    assert url.authorization() == "Bearer tok"
    assert url.sig_verify_key() == BINARY_KEY
    assert url.sig_verify_iss() == "fastly:abc"


def test_plus_in_a_plain_key_is_kept() -> None:
    assert parse_grip_url("http://h/?key=a+b").key == b"a+b"


def test_verify_key_falls_back_to_key_but_iss_does_not() -> None:
    url = parse_grip_url("http://h/?iss=publisher&key=shared")
    assert url.sig_verify_key() == b"shared"
    assert url.sig_verify_iss() is None
    assert parse_grip_url("http://h/").sig_verify_key() is None


def test_publish_url_keeps_extra_query_after_the_path() -> None:
    url = parse_grip_url("http://h/base/?x=1&key=k")
    assert url.control_uri == "http://h/base?x=1"
    assert url.publish_url() == "http://h/base/publish/?x=1"


def test_no_key_means_no_authorization() -> None:
    assert parse_grip_url("http://localhost:5561").authorization() is None
    assert parse_grip_url("http://localhost:5561/?iss=me").authorization() is None


def test_authorization_is_the_jwt_pubcontrol_sends() -> None:
    url = parse_grip_url(f"http://h/?iss=publisher&key={LONG_KEY}")
    header = url.authorization()
    assert header is not None
    scheme, token = header.split(" ")
    assert scheme == "Bearer"
    decoded = jwt.decode(token, LONG_KEY, algorithms=["HS256"])
    assert set(decoded) == {"iss", "exp"}
    assert decoded["iss"] == "publisher"
    assert verify_sig(token, LONG_KEY.encode(), "publisher")

    client = PubControlClient(url.control_uri, {"iss": "publisher"}, LONG_KEY)
    their_scheme, their_token = client._gen_auth_header().split(" ")
    assert their_scheme == scheme
    assert verify_sig(their_token, LONG_KEY.encode(), "publisher")


def test_authorization_with_base64_key() -> None:
    url = parse_grip_url(f"http://h/?iss=x&key=base64:{B64_KEY}")
    header = url.authorization()
    assert header is not None
    assert verify_sig(header.removeprefix("Bearer "), BINARY_KEY, "x")


def test_binary_key_without_iss_verifies_but_cannot_be_a_bearer_token() -> None:
    url = parse_grip_url(f"http://h/?key=base64:{B64_KEY}")
    assert url.sig_verify_key() == BINARY_KEY
    with pytest.raises(ValueError, match="must be ASCII"):
        url.authorization()


def test_parse_grip_urls() -> None:
    urls = parse_grip_urls(" http://a:1/?key=k , https://b/x ,, ")
    assert [u.control_uri for u in urls] == ["http://a:1", "https://b/x"]
    assert parse_grip_urls("") == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:5561", "not an http:// or https:// URL"),
        ("ftp://h/", "not an http:// or https:// URL"),
        ("http:///path", "with a host"),
        ("http://h/?key=base64:***", "key is not valid base64"),
        ("http://h/?verify-key=base64:a", "verify-key is not valid base64"),
    ],
)
def test_invalid_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_grip_url(url)
