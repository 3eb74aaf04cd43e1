"""Open connections per client address, and the limit on them (keys: liveqa.addresses)."""

from __future__ import annotations

from liveqa.addresses import address_key


def forwarded_client(peer: str, forwarded_for: str | None) -> str:
    """The client a trusted proxy names: the last X-Forwarded-For entry, which it appended."""
    if forwarded_for:
        last = forwarded_for.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return peer


class AddressLimit:
    """Counts open connections per address key and refuses one past `limit` (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: dict[str, int] = {}

    def acquire(self, address: str) -> str | None:
        """Count one more connection from `address`: its key, or None when that is one too many."""
        key = address_key(address)
        count = self.open.get(key, 0)
        if self.limit and count >= self.limit:
            return None
        self.open[key] = count + 1
        return key

    def release(self, key: str) -> None:
        """A connection counted under `key` ended."""
        count = self.open[key] - 1
        if count:
            self.open[key] = count
        else:
            del self.open[key]
