from __future__ import annotations

import pytest
from multidict import CIMultiDict

from liveqa.edge.cache import (
    ENTRY_OVERHEAD,
    CachedResponse,
    ResponseCache,
    cache_control,
    cache_key,
    freshness_lifetime,
    may_serve_cached,
    may_store,
    vary_names,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def headers(*pairs: tuple[str, str]) -> CIMultiDict[str]:
    return CIMultiDict(pairs)


def entry(
    body: bytes = b"body", lifetime: float = 60.0, initial_age: float = 0.0
) -> CachedResponse:
    return CachedResponse(200, (("Content-Type", "text/plain"),), body, lifetime, initial_age)


NO_HEADERS = headers()


def test_cache_control_parsing() -> None:
    parsed = cache_control(['public, max-age=60, private="Set-Cookie, X-A"', "S-MaxAge = 5"])
    assert parsed == {
        "public": None,
        "max-age": "60",
        "private": "Set-Cookie, X-A",
        "s-maxage": "5",
    }
    assert cache_control([]) == {}
    assert cache_control([" , ,"]) == {}


@pytest.mark.parametrize(
    ("status", "pairs", "expected"),
    [
        (200, [("Cache-Control", "public, max-age=60")], 60),
        (200, [("Cache-Control", "max-age=60, public")], 60),
        (200, [("Cache-Control", "public"), ("Cache-Control", "max-age=7")], 7),
        (200, [("Cache-Control", "public, max-age=60, s-maxage=5")], 5),
        (200, [("Cache-Control", "public, max-age=60, s-maxage=0")], None),
        (200, [("Cache-Control", "max-age=60")], None),
        (200, [("Cache-Control", "public")], None),
        (200, [("Cache-Control", "public, max-age=0")], None),
        (200, [("Cache-Control", "public, max-age=abc")], None),
        (200, [("Cache-Control", "public, max-age=-5")], None),
        (200, [("Cache-Control", "public, private, max-age=60")], None),
        (200, [("Cache-Control", "public, no-store, max-age=60")], None),
        (200, [("Cache-Control", "public, no-cache, max-age=60")], None),
        (200, [("Cache-Control", "public, max-age=60"), ("Set-Cookie", "s=1")], None),
        (200, [("Cache-Control", "public, max-age=60"), ("Vary", "Accept, *")], None),
        (200, [("Cache-Control", "public, max-age=60"), ("Vary", "Accept")], 60),
        (404, [("Cache-Control", "public, max-age=60")], None),
        (206, [("Cache-Control", "public, max-age=60")], None),
    ],
)
def test_freshness_lifetime(
    status: int, pairs: list[tuple[str, str]], expected: int | None
) -> None:
    assert freshness_lifetime(status, headers(*pairs)) == expected


def test_request_directives() -> None:
    assert may_serve_cached(NO_HEADERS)
    assert may_serve_cached(headers(("Cache-Control", "max-age=60")))
    assert not may_serve_cached(headers(("Cache-Control", "no-cache")))
    assert not may_serve_cached(headers(("Cache-Control", "max-age=0")))
    assert not may_serve_cached(headers(("Cache-Control", "no-store")))
    assert not may_serve_cached(headers(("Pragma", "no-cache")))
    assert may_store(headers(("Cache-Control", "no-cache")))
    assert not may_store(headers(("Cache-Control", "no-store")))


def test_vary_names_are_normalised() -> None:
    pairs = headers(("Vary", "Accept-Encoding, accept-language"), ("Vary", "ACCEPT-ENCODING,"))
    assert vary_names(pairs) == ("accept-encoding", "accept-language")


def test_cache_key_lowercases_host_only() -> None:
    assert cache_key("GET", "Example.COM:80", "/A?b=C") == "GET example.com:80 /A?b=C"


def test_hit_then_expiry() -> None:
    clock = Clock()
    cache = ResponseCache(clock=clock)
    key = cache_key("GET", "h", "/a")
    assert cache.lookup(key, NO_HEADERS) is None
    assert cache.store(key, NO_HEADERS, NO_HEADERS, entry(b"hello", lifetime=10))
    clock.now += 3.7
    hit = cache.lookup(key, NO_HEADERS)
    assert hit is not None
    assert hit[0].body == b"hello"
    assert hit[1] == 3
    clock.now += 6.3
    assert cache.lookup(key, NO_HEADERS) is None
    assert len(cache) == 0
    assert cache.size == 0


def test_initial_age_counts_against_lifetime() -> None:
    clock = Clock()
    cache = ResponseCache(clock=clock)
    cache.store("k", NO_HEADERS, NO_HEADERS, entry(lifetime=10, initial_age=8))
    hit = cache.lookup("k", NO_HEADERS)
    assert hit is not None
    assert hit[1] == 8
    clock.now += 2
    assert cache.lookup("k", NO_HEADERS) is None


def test_least_recently_used_is_evicted_by_bytes() -> None:
    body = b"x" * 1000
    per_entry = entry(body).size
    cache = ResponseCache(max_bytes=3 * per_entry)
    for name in ("a", "b", "c"):
        assert cache.store(name, NO_HEADERS, NO_HEADERS, entry(body))
    assert cache.lookup("a", NO_HEADERS) is not None  # "b" is now the least recently used
    cache.store("d", NO_HEADERS, NO_HEADERS, entry(body))
    assert cache.lookup("b", NO_HEADERS) is None
    for name in ("a", "c", "d"):
        assert cache.lookup(name, NO_HEADERS) is not None
    assert cache.size == 3 * per_entry <= cache.max_bytes


def test_entry_size_includes_headers_and_overhead() -> None:
    assert entry(b"12345").size == ENTRY_OVERHEAD + 5 + len("Content-Type") + len("text/plain")


def test_too_big_entries_are_refused() -> None:
    cache = ResponseCache(max_bytes=10_000, max_entry_bytes=100)
    assert not cache.store("k", NO_HEADERS, NO_HEADERS, entry(b"x" * 101))
    assert cache.store("k", NO_HEADERS, NO_HEADERS, entry(b"x" * 100))
    small = ResponseCache(max_bytes=100, max_entry_bytes=1000)
    assert not small.store("k", NO_HEADERS, NO_HEADERS, entry(b"x" * 10))
    assert len(small) == 0


def test_replacing_an_entry_keeps_size_right() -> None:
    cache = ResponseCache()
    cache.store("k", NO_HEADERS, NO_HEADERS, entry(b"old"))
    cache.store("k", NO_HEADERS, NO_HEADERS, entry(b"newer"))
    hit = cache.lookup("k", NO_HEADERS)
    assert hit is not None
    assert hit[0].body == b"newer"
    assert len(cache) == 1
    assert cache.size == entry(b"newer").size


def test_vary_keeps_one_variant_per_request_header_value() -> None:
    cache = ResponseCache()
    vary = headers(("Vary", "Accept-Language"))
    english = headers(("Accept-Language", "en"))
    french = headers(("Accept-Language", "fr"))
    cache.store("k", english, vary, entry(b"hello"))
    assert cache.lookup("k", french) is None
    assert cache.lookup("k", NO_HEADERS) is None
    cache.store("k", french, vary, entry(b"bonjour"))
    cache.store("k", NO_HEADERS, vary, entry(b"default"))
    for request, body in ((english, b"hello"), (french, b"bonjour"), (NO_HEADERS, b"default")):
        hit = cache.lookup("k", request)
        assert hit is not None
        assert hit[0].body == body
    assert len(cache) == 3


def test_vary_joins_repeated_request_headers() -> None:
    cache = ResponseCache()
    vary = headers(("Vary", "Accept"))
    cache.store("k", headers(("Accept", "a"), ("Accept", "b")), vary, entry(b"ab"))
    assert cache.lookup("k", headers(("Accept", "a, b"))) is not None
    assert cache.lookup("k", headers(("Accept", "a"))) is None


def test_changed_vary_drops_old_variants() -> None:
    cache = ResponseCache()
    cache.store("k", headers(("A", "1")), headers(("Vary", "A")), entry(b"one"))
    cache.store("k", headers(("A", "2")), headers(("Vary", "A")), entry(b"two"))
    cache.store("k", headers(("B", "1")), headers(("Vary", "B")), entry(b"b"))
    assert len(cache) == 1
    assert cache.lookup("k", headers(("A", "1"))) is None
    assert cache.lookup("k", headers(("B", "1"))) is not None
    assert cache.size == entry(b"b").size


def test_eviction_of_last_variant_forgets_the_resource() -> None:
    per_entry = entry(b"x").size
    cache = ResponseCache(max_bytes=per_entry)
    cache.store("k", headers(("A", "1")), headers(("Vary", "A")), entry(b"x"))
    cache.store("other", NO_HEADERS, NO_HEADERS, entry(b"y"))
    assert cache.lookup("k", headers(("A", "1"))) is None
    cache.store("k", NO_HEADERS, NO_HEADERS, entry(b"z"))
    assert cache.lookup("k", headers(("A", "1"))) is not None  # no longer varies on A
