"""A bounded in-memory shared cache for public GET responses of the reverse proxy (RFC 9111).

Only what the origin marks `Cache-Control: public` with a positive `s-maxage` or `max-age` is
stored, never a response that sets a cookie, so one user's private response is never served to
another; `Vary` is honoured by keeping one variant per combination of the named request headers.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from multidict import CIMultiDict, CIMultiDictProxy

Headers = CIMultiDict[str] | CIMultiDictProxy[str]
VariantKey = tuple[str, tuple[str | None, ...]]

MIB = 1024 * 1024
# Rough per-entry bookkeeping cost, so that many tiny entries still count against the budget.
ENTRY_OVERHEAD = 256

_DIRECTIVE = re.compile(r'\s*([^\s=,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?\s*(?:,|$)')


def cache_control(values: Iterable[str]) -> dict[str, str | None]:
    """Parse `Cache-Control` header values into lower-case directives and their values."""
    out: dict[str, str | None] = {}
    for value in values:
        for match in _DIRECTIVE.finditer(value):
            name, argument = match.group(1).lower(), match.group(2)
            if argument is not None and argument.startswith('"'):
                argument = argument[1:-1]
            out.setdefault(name, argument)
    return out


def _seconds(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


def freshness_lifetime(status: int, headers: Headers) -> int | None:
    """Seconds a response may be served from the shared cache, or None if it must not be stored."""
    if status != 200 or "Set-Cookie" in headers:
        return None
    directives = cache_control(headers.getall("Cache-Control", ()))
    if "public" not in directives or {"private", "no-store", "no-cache"} & directives.keys():
        return None
    if "*" in vary_names(headers):
        return None
    # s-maxage is the shared-cache lifetime and overrides max-age, even when it is 0.
    lifetime = _seconds(directives.get("s-maxage" if "s-maxage" in directives else "max-age"))
    return lifetime or None


def may_serve_cached(request_headers: Headers) -> bool:
    """Whether a request lets the cache answer it (no `no-cache`, `no-store` or `max-age=0`)."""
    directives = cache_control(request_headers.getall("Cache-Control", ()))
    if not directives:
        return "no-cache" not in request_headers.get("Pragma", "").lower()
    return not ({"no-cache", "no-store"} & directives.keys() or directives.get("max-age") == "0")


def may_store(request_headers: Headers) -> bool:
    """Whether a request lets the cache keep its response (no `Cache-Control: no-store`)."""
    return "no-store" not in cache_control(request_headers.getall("Cache-Control", ()))


def vary_names(headers: Headers) -> tuple[str, ...]:
    """The lower-case header names a response's `Vary` lists, sorted and without duplicates."""
    names = {
        name.strip().lower() for value in headers.getall("Vary", ()) for name in value.split(",")
    }
    names.discard("")
    return tuple(sorted(names))


def cache_key(method: str, host: str, path_qs: str) -> str:
    """The primary key of a request: method, host and path with query."""
    return f"{method} {host.lower()} {path_qs}"


@dataclass(slots=True)
class CachedResponse:
    """One stored response; `headers` are what clients get, minus `Age`."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    lifetime: float
    initial_age: float = 0.0
    stored_at: float = 0.0
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = ENTRY_OVERHEAD + len(self.body) + sum(len(n) + len(v) for n, v in self.headers)


@dataclass(slots=True)
class _Resource:
    vary: tuple[str, ...]
    keys: set[VariantKey] = field(default_factory=set)


def _variant(key: str, names: tuple[str, ...], request_headers: Headers) -> VariantKey:
    values = tuple(
        ", ".join(request_headers.getall(name)) if name in request_headers else None
        for name in names
    )
    return key, values


class ResponseCache:
    """A least-recently-used store bounded by total bytes; entries expire after their lifetime."""

    def __init__(
        self,
        max_bytes: int = 32 * MIB,
        *,
        max_entry_bytes: int = MIB,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.size = 0
        self._clock = clock
        self._entries: OrderedDict[VariantKey, CachedResponse] = OrderedDict()
        self._resources: dict[str, _Resource] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str, request_headers: Headers) -> tuple[CachedResponse, int] | None:
        """A fresh stored response for the request and its current age in seconds, if any."""
        resource = self._resources.get(key)
        if resource is None:
            return None
        variant = _variant(key, resource.vary, request_headers)
        entry = self._entries.get(variant)
        if entry is None:
            return None
        age = entry.initial_age + self._clock() - entry.stored_at
        if age >= entry.lifetime:
            self._remove(variant)
            return None
        self._entries.move_to_end(variant)
        return entry, int(age)

    def store(
        self, key: str, request_headers: Headers, response_headers: Headers, entry: CachedResponse
    ) -> bool:
        """Keep a response for requests like this one; False when it is too big to keep."""
        if len(entry.body) > self.max_entry_bytes or entry.size > self.max_bytes:
            return False
        names = vary_names(response_headers)
        previous = self._resources.get(key)
        if previous is not None and previous.vary != names:
            # The origin changed what the resource varies on: the old variants are unreachable.
            for variant in list(previous.keys):
                self._remove(variant)
        variant = _variant(key, names, request_headers)
        if variant in self._entries:
            self._remove(variant)
        resource = self._resources.setdefault(key, _Resource(names))
        entry.stored_at = self._clock()
        self._entries[variant] = entry
        resource.keys.add(variant)
        self.size += entry.size
        while self.size > self.max_bytes:
            self._remove(next(iter(self._entries)))
        return True

    def _remove(self, variant: VariantKey) -> None:
        entry = self._entries.pop(variant)
        self.size -= entry.size
        resource = self._resources[variant[0]]
        resource.keys.discard(variant)
        if not resource.keys:
            del self._resources[variant[0]]
