"""ResponseCache: REST stage caching — keys from parameters, TTLs, size limits, invalidation and flushes."""

from __future__ import annotations

import pytest

from overcast.clock import FakeClock
from overcast.gateway.cache import (
    MAX_ENTRY_BYTES,
    UNAUTHORIZED_WARNING,
    CachedResponse,
    Invalidation,
    ResponseCache,
    invalidation,
)
from overcast.gateway.request import GatewayRequest


def request(query: str = "", headers: tuple[tuple[str, str], ...] = (), method: str = "GET") -> GatewayRequest:
    return GatewayRequest(method, "/pets/1", query, headers, b"", "127.0.0.1", "abc.execute-api.localhost", "r1", 0)


def key(
    req: GatewayRequest, params: tuple[str, ...] = (), path: dict[str, str] | None = None, stage: str = "prod"
) -> str:
    return ResponseCache.key_for("abc", stage, req.method, "/pets/{id}", req, path or {"id": "1"}, params)


@pytest.mark.parametrize(
    ("params", "a", "b", "same"),
    [
        # Without key parameters, everything of a method on a resource shares one entry.
        ((), request("type=cat"), request("type=dog"), True),
        ((), request(headers=(("accept", "a"),)), request(headers=(("accept", "b"),)), True),
        (("method.request.querystring.type",), request("type=cat"), request("type=dog"), False),
        (("method.request.querystring.type",), request("type=cat&x=1"), request("x=2&type=cat"), True),
        (("method.request.querystring.type",), request("type=cat&type=dog"), request("type=dog"), True),  # last wins
        (("method.request.multivaluequerystring.type",), request("type=cat&type=dog"), request("type=dog"), False),
        (("method.request.querystring.type",), request(""), request("type="), False),  # absent is not empty
        (
            ("method.request.header.Accept",),
            request(headers=(("accept", "a"),)),
            request(headers=(("accept", "b"),)),
            False,
        ),
        (
            ("method.request.header.Accept",),
            request(headers=(("accept", "a"),)),
            request(headers=(("accept", "a"),)),
            True,
        ),
        ((), request(method="GET"), request(method="POST"), False),
    ],
)
def test_cache_keys(params: tuple[str, ...], a: GatewayRequest, b: GatewayRequest, same: bool) -> None:
    assert (key(a, params) == key(b, params)) is same


def test_path_parameters_count_only_as_key_parameters() -> None:
    req = request()
    assert key(req, (), {"id": "1"}) == key(req, (), {"id": "2"})
    assert key(req, ("method.request.path.id",), {"id": "1"}) != key(req, ("method.request.path.id",), {"id": "2"})
    assert key(req, stage="prod") != key(req, stage="dev")


async def test_an_entry_is_served_within_its_ttl_and_counted() -> None:
    clock = FakeClock()
    cache = ResponseCache(clock)
    k = key(request())
    assert cache.get(k) is None
    assert cache.put(k, 200, (("content-type", "text/plain"),), b"hi", 60)
    await clock.advance(59.9)
    assert cache.get(k) == CachedResponse(200, (("content-type", "text/plain"),), b"hi")
    await clock.advance(0.2)
    assert cache.get(k) is None
    assert cache.counts("abc", "prod") == (1, 2)
    assert cache.counts("abc", "dev") == (0, 0)


@pytest.mark.parametrize(
    ("ttl", "body", "cached"),
    [
        (300, b"x", True),
        (0, b"x", False),
        (-1, b"x", False),
        (60, b"x" * MAX_ENTRY_BYTES, True),
        (60, b"x" * (MAX_ENTRY_BYTES + 1), False),
    ],
)
def test_what_is_cached(ttl: int, body: bytes, cached: bool) -> None:
    cache = ResponseCache(FakeClock())
    k = key(request())
    assert cache.put(k, 200, (), body, ttl) is cached
    assert (cache.get(k) is not None) is cached


async def test_ttl_is_capped_at_an_hour_and_error_responses_are_cached_too() -> None:
    clock = FakeClock()
    cache = ResponseCache(clock)
    k = key(request())
    assert cache.put(k, 500, (), b'{"message": "boom"}', 86_400)
    await clock.advance(3599)
    cached = cache.get(k)
    assert cached is not None and cached.status == 500
    await clock.advance(2)
    assert cache.get(k) is None


def test_a_full_cache_evicts_its_oldest_entries() -> None:
    cache = ResponseCache(FakeClock())
    body = b"x" * MAX_ENTRY_BYTES
    keys = [key(request(f"n={i}"), ("method.request.querystring.n",)) for i in range(500)]
    for k in keys:  # 500 x ~1 MB in a 0.5 GB cluster: the first few go
        assert cache.put(k, 200, (), body, 300)
    assert cache.stored_bytes("abc", "prod") <= 500_000_000
    assert cache.get(keys[0]) is None
    assert cache.get(keys[-1]) is not None
    kept = sum(cache.get(k) is not None for k in keys)
    assert 470 <= kept < 500
    assert cache.put(keys[0], 200, (), body, 300, cluster_size="1.6")  # a resized cluster starts empty
    assert cache.get(keys[-1]) is None and cache.get(keys[0]) is not None


def test_flush_empties_one_stage_and_invalidate_one_entry() -> None:
    cache = ResponseCache(FakeClock())
    prod, dev = key(request(), stage="prod"), key(request(), stage="dev")
    other = key(request("n=2"), ("method.request.querystring.n",))
    for k in (prod, dev, other):
        cache.put(k, 200, (), b"x", 300)
    cache.invalidate(other)
    assert cache.get(other) is None and cache.get(prod) is not None
    cache.flush("abc", "prod")
    assert cache.get(prod) is None and cache.get(dev) is not None
    assert cache.stored_bytes("abc", "prod") == 0


@pytest.mark.parametrize(
    ("cache_control", "require", "strategy", "authorized", "expected"),
    [
        (None, True, "FAIL_WITH_403", False, Invalidation.NONE),
        ("no-cache", True, "FAIL_WITH_403", False, Invalidation.NONE),
        ("max-age=60", False, "FAIL_WITH_403", False, Invalidation.NONE),
        ("max-age=0", False, "FAIL_WITH_403", False, Invalidation.INVALIDATE),
        ("no-store, MAX-AGE=0", False, "FAIL_WITH_403", False, Invalidation.INVALIDATE),
        ("max-age=0", True, "FAIL_WITH_403", True, Invalidation.INVALIDATE),
        ("max-age=0", True, "FAIL_WITH_403", False, Invalidation.FORBIDDEN),
        ("max-age=0", True, "SUCCEED_WITH_RESPONSE_HEADER", False, Invalidation.IGNORE_WITH_WARNING),
        ("max-age=0", True, "SUCCEED_WITHOUT_RESPONSE_HEADER", False, Invalidation.IGNORE),
    ],
)
def test_invalidation(
    cache_control: str | None, require: bool, strategy: str, authorized: bool, expected: Invalidation
) -> None:
    headers = (("cache-control", cache_control),) if cache_control is not None else ()
    assert invalidation(request(headers=headers), require, strategy, authorized) is expected


def test_the_default_strategy_ignores_an_unsigned_invalidation_with_a_warning() -> None:
    assert invalidation(request(headers=(("cache-control", "max-age=0"),))) is Invalidation.IGNORE_WITH_WARNING
    assert UNAUTHORIZED_WARNING[0] == "warning"
