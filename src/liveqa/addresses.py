"""Client addresses as a proxy chain reports them, and the key per-address limits count them by.

Neutral ground for the edge and the origin, which never import each other.
"""

from __future__ import annotations

import ipaddress

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


def forwarded_client(peer: str, forwarded_for: str | None, hops: int = 1) -> str:
    """The client `hops` trusted proxies name: the entry the outermost of them appended.

    Each proxy appends the address it was connected from, so only the last `hops` entries are
    trustworthy; the ones before them are whatever the client sent. A chain shorter than `hops`
    means a proxy was bypassed or appended nothing: its first entry is the best there is.
    """
    if hops < 1 or not forwarded_for:
        return peer
    entries = [entry.strip() for entry in forwarded_for.split(",")]
    entry = entries[-hops] if len(entries) >= hops else entries[0]
    return entry or peer
