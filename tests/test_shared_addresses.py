"""liveqa.addresses: client addresses from a proxy chain, and the keys per-address limits count."""

from __future__ import annotations

from liveqa.addresses import TrustedProxies, address_key, forwarded_client, is_loopback


def test_ipv6_counts_per_64_and_ipv4_per_address() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("not-an-address") == "not-an-address"


def test_the_last_entry_no_trusted_proxy_wrote_is_the_client() -> None:
    assert forwarded_client("127.0.0.1", "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    front = "1.1.1.1, 6.6.6.6, 203.0.113.7, 127.0.0.1, 127.0.0.1"
    assert forwarded_client("127.0.0.1", front) == "203.0.113.7"
    trusted = TrustedProxies(["10.0.0.0/24", "2001:db8:ff::/48"])
    chain = "6.6.6.6, 203.0.113.7, 10.0.0.9, [2001:db8:ff::1]:443"
    assert forwarded_client("10.0.0.2", chain, trusted) == "203.0.113.7"
    assert forwarded_client("10.0.0.2", chain) == "2001:db8:ff::1"
    assert forwarded_client("10.0.0.1", None) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", " , ") == "10.0.0.1"
    # Only trusted entries: a client on this machine, whatever it claims first.
    assert forwarded_client("127.0.0.1", "127.0.0.1, ::1") == "127.0.0.1"


def test_trusted_proxies() -> None:
    trusted = TrustedProxies(["10.0.0.0/24"])
    assert trusted("127.0.0.1")
    assert trusted("::1")
    assert trusted("10.0.0.200")
    assert not trusted("10.0.1.1")
    assert not trusted("unknown")


def test_loopback() -> None:
    assert is_loopback("127.0.0.2")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("203.0.113.7")
    assert not is_loopback("example.org")
