"""Client addresses as a proxy chain reports them, and the key per-address limits count them by.

Neutral ground for the edge and the origin, which never import each other.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

# A host on IPv6 usually holds a whole /64, so counting single addresses would not limit it.
IPV6_PREFIX = 64


def address_key(address: str) -> str:
    """What a limit counts: an IPv4 address, or the /64 network of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TrustedProxies:
    """Whether an address is a proxy's that appends to X-Forwarded-For: loopback always, and
    any address in `networks` (CIDRs such as 10.0.0.0/24)."""

    def __init__(self, networks: Iterable[str] = ()) -> None:
        self.networks = [
            ipaddress.ip_network(network.strip(), strict=False) for network in networks
        ]

    def __call__(self, address: str) -> bool:
        if is_loopback(address):
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


def _host(entry: str) -> str:
    """The address of an X-Forwarded-For entry, which may be a bracketed IPv6 with a port."""
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    return entry


def forwarded_client(
    peer: str, forwarded_for: str | None, trusted: Callable[[str], bool] = is_loopback
) -> str:
    """The client as the proxy chain reports it: the last X-Forwarded-For entry that is not a
    `trusted` proxy's own address.

    Each proxy appends the address it was connected from, so entries left of the last
    untrusted one are whatever the client sent. Skipping trusted ones (rather than counting
    hops) also copes with Pushpin, which appends its peer again on every WebSocket-over-HTTP
    request of a connection. When every entry is a trusted proxy, the client is the first one.
    """
    entries = [_host(entry.strip()) for entry in (forwarded_for or "").split(",")]
    entries = [entry for entry in entries if entry]
    if not entries:
        return peer
    for entry in reversed(entries):
        if not trusted(entry):
            return entry
    return entries[0]
