"""ResponseCache: REST API stage caching — cache keys, TTLs, the cache cluster's size, invalidation, flushes.

https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
- A stage's cache holds integration responses for their TTL (default 300 s, at most 3600 s, 0
  disables), responses of at most 1,048,576 bytes, in a cache cluster of the stage's size
  (`cacheClusterSize`, "0.5" GB by default); a full cache evicts its oldest entries. Changing
  the size recreates the cache, empty.
- The cache key is the method and resource path plus the values of the method's cache key
  parameters (`method.request.path|querystring|header|multivaluequerystring|multivalueheader.X`);
  nothing else of the request counts, so a parameter left out of the key shares one entry.
- A client invalidates one entry with `Cache-Control: max-age=0`. When the stage requires
  authorization for that (the default), only a caller with `execute-api:InvalidateCache` may;
  for anyone else the stage's `unauthorizedCacheControlHeaderStrategy` decides: FAIL_WITH_403,
  SUCCEED_WITH_RESPONSE_HEADER (the default: serve as if the header were absent, with a warning
  header) or SUCCEED_WITHOUT_RESPONSE_HEADER.
- API Gateway caches what the integration answered, whatever its status code; it does not cache
  the responses the gateway makes itself (throttling, authorizer denials), which never reach it.
FlushStageCache empties one stage's cache. Hits and misses are counted per stage for
CacheHitCount / CacheMissCount.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from overcast.clock import Clock
from overcast.gateway.request import GatewayRequest

__all__ = [
    "CACHE_CLUSTER_BYTES",
    "DEFAULT_CLUSTER_SIZE",
    "MAX_ENTRY_BYTES",
    "MAX_TTL_SECONDS",
    "UNAUTHORIZED_WARNING",
    "CachedResponse",
    "Invalidation",
    "ResponseCache",
    "invalidation",
]

_GB = 1_000_000_000
# cacheClusterSize values, in GB. https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html
CACHE_CLUSTER_BYTES: dict[str, int] = {
    size: int(float(size) * _GB) for size in ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
}
DEFAULT_CLUSTER_SIZE = "0.5"
MAX_ENTRY_BYTES = 1_048_576
MAX_TTL_SECONDS = 3600
# The warning an ignored `Cache-Control: max-age=0` earns under SUCCEED_WITH_RESPONSE_HEADER.
UNAUTHORIZED_WARNING = ("warning", '199 - "Cache-Control headers were ignored because the caller was unauthorized."')


@dataclass(frozen=True, slots=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Invalidation(Enum):
    """What a request's Cache-Control header asks of the cache, once authorization is settled."""

    NONE = "NONE"  # no `max-age=0`: look the response up as usual
    INVALIDATE = "INVALIDATE"  # skip the cached entry, call the integration, cache its answer
    IGNORE_WITH_WARNING = "IGNORE_WITH_WARNING"  # as NONE, plus UNAUTHORIZED_WARNING on the response
    IGNORE = "IGNORE"  # as NONE
    FORBIDDEN = "FORBIDDEN"  # answer 403 without calling the integration


def invalidation(
    request: GatewayRequest,
    require_authorization: bool = True,
    strategy: str = "SUCCEED_WITH_RESPONSE_HEADER",
    authorized: bool = False,
) -> Invalidation:
    """Whether `request` invalidates its cache entry (`Cache-Control: max-age=0`), and what AWS does if not allowed.

    `authorized` says the caller may `execute-api:InvalidateCache` (a SigV4-signed caller whose
    policies allow it); with no IAM evaluation yet, callers pass False, as for an unsigned request.
    """
    if not _asks_max_age_0(request.header_values("cache-control")):
        return Invalidation.NONE
    if authorized or not require_authorization:
        return Invalidation.INVALIDATE
    if strategy == "FAIL_WITH_403":
        return Invalidation.FORBIDDEN
    if strategy == "SUCCEED_WITHOUT_RESPONSE_HEADER":
        return Invalidation.IGNORE
    return Invalidation.IGNORE_WITH_WARNING


def _asks_max_age_0(values: list[str]) -> bool:
    for value in values:
        for directive in value.split(","):
            name, _, arg = directive.strip().partition("=")
            if name.strip().lower() == "max-age" and arg.strip().strip('"') == "0":
                return True
    return False


@dataclass(slots=True)
class _Entry:
    response: CachedResponse
    expires: float  # on the clock's monotonic time
    size: int


class _StageCache:
    """One stage's cache cluster: entries in insertion order, the oldest first to go."""

    __slots__ = ("capacity", "entries", "hits", "misses", "size", "size_name")

    def __init__(self, size_name: str) -> None:
        self.size_name = size_name
        self.capacity = CACHE_CLUSTER_BYTES.get(size_name, CACHE_CLUSTER_BYTES[DEFAULT_CLUSTER_SIZE])
        self.entries: dict[str, _Entry] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0

    def remove(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size


def _stage_of(key: str) -> tuple[str, str]:
    api_id, stage, _ = key.split("/", 2)
    return api_id, stage


class ResponseCache:
    """Every REST stage's response cache, in this process's memory.

    For a method with caching on, the data plane computes `key_for`, asks `invalidation(...)`:
    FORBIDDEN answers 403; INVALIDATE calls `invalidate(key)` first; then `get(key)` — a hit is
    answered from the cache (CacheHitCount), a miss (CacheMissCount) calls the integration and
    `put`s its response. Call `get` only for methods that cache: every call counts.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._stages: dict[tuple[str, str], _StageCache] = {}

    @staticmethod
    def key_for(
        api_id: str,
        stage: str,
        method: str,
        resource_path: str,
        request: GatewayRequest,
        path_parameters: dict[str, str],
        key_parameters: tuple[str, ...],
    ) -> str:
        """The cache key: the stage, the method and resource path, and each cache key parameter's value."""
        parts = [f"{api_id}/{stage}/{method} {resource_path}"]
        for parameter in sorted(key_parameters):
            value = _parameter_value(parameter, request, path_parameters)
            parts.append(parameter if value is None else f"{parameter}={value}")
        return "\n".join(parts)

    def _stage(self, key: str) -> _StageCache | None:
        return self._stages.get(_stage_of(key))

    def get(self, key: str) -> CachedResponse | None:
        """The cached response for `key` within its TTL (a hit), or None (a miss)."""
        cache = self._stage(key)
        if cache is None:
            cache = self._stages[_stage_of(key)] = _StageCache(DEFAULT_CLUSTER_SIZE)
        entry = cache.entries.get(key)
        if entry is not None and entry.expires > self.clock.monotonic():
            cache.hits += 1
            return entry.response
        if entry is not None:
            cache.remove(key)
        cache.misses += 1
        return None

    def put(
        self,
        key: str,
        status: int,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        ttl_seconds: int,
        cluster_size: str = DEFAULT_CLUSTER_SIZE,
    ) -> bool:
        """Cache an integration's response for `ttl_seconds` (at most 3600); False if it was not cached."""
        ttl = min(ttl_seconds, MAX_TTL_SECONDS)
        if ttl <= 0 or len(body) > MAX_ENTRY_BYTES:
            return False
        stage = _stage_of(key)
        cache = self._stages.get(stage)
        if cache is None or cache.size_name != cluster_size:
            counts = (cache.hits, cache.misses) if cache is not None else (0, 0)
            cache = self._stages[stage] = _StageCache(cluster_size)  # a resized cluster starts empty
            cache.hits, cache.misses = counts
        size = len(key) + len(body) + sum(len(k) + len(v) for k, v in headers) + 64
        if size > cache.capacity:
            return False
        cache.remove(key)  # a replaced entry becomes the newest
        while cache.size + size > cache.capacity:
            cache.remove(next(iter(cache.entries)))
        cache.entries[key] = _Entry(CachedResponse(status, headers, body), self.clock.monotonic() + ttl, size)
        cache.size += size
        return True

    def invalidate(self, key: str) -> None:
        """Drop `key`'s entry (a permitted `Cache-Control: max-age=0`)."""
        cache = self._stage(key)
        if cache is not None:
            cache.remove(key)

    def flush(self, api_id: str, stage: str) -> None:
        """FlushStageCache: empty the stage's cache (its counters keep counting)."""
        cache = self._stages.get((api_id, stage))
        if cache is not None:
            cache.entries.clear()
            cache.size = 0

    def counts(self, api_id: str, stage: str) -> tuple[int, int]:
        """(hits, misses) counted for the stage so far."""
        cache = self._stages.get((api_id, stage))
        return (0, 0) if cache is None else (cache.hits, cache.misses)

    def stored_bytes(self, api_id: str, stage: str) -> int:
        cache = self._stages.get((api_id, stage))
        return 0 if cache is None else cache.size


def _parameter_value(parameter: str, request: GatewayRequest, path_parameters: dict[str, str]) -> str | None:
    """A `method.request.<where>.<name>` parameter's value in `request` (None if absent)."""
    _, _, rest = parameter.partition("method.request.")
    where, _, name = rest.partition(".")
    if where == "path":
        return path_parameters.get(name)
    if where in ("querystring", "multivaluequerystring"):
        values = [v for k, v in request.query() if k == name]
        if not values:
            return None
        return values[-1] if where == "querystring" else ",".join(values)
    if where in ("header", "multivalueheader"):
        values = request.header_values(name)
        if not values:
            return None
        return values[-1] if where == "header" else ",".join(values)
    return None
