"""Measures: the CloudWatch metrics API Gateway publishes for each request — names, units and dimensions.

REST APIs: Count, Latency, IntegrationLatency, 4XXError, 5XXError, CacheHitCount, CacheMissCount,
by ApiName and by ApiName + Stage (and by ApiName + Method + Resource + Stage with detailed metrics).
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
HTTP APIs: Count, Latency, IntegrationLatency, 4xx, 5xx, DataProcessed, by ApiId and by ApiId +
Stage (and by ApiId + Stage + Route with detailed metrics).
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
Every request adds 1 or 0 to the error metrics, so their Average is the error rate, as on AWS.
"""

from __future__ import annotations

from overcast.apis.deployed import ApiKind
from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION
from overcast.observe.metrics import Metrics

__all__ = ["NAMESPACE", "api_dimensions", "record_api_request", "request_data"]

NAMESPACE = "AWS/ApiGateway"

Dimensions = tuple[tuple[str, str], ...]


def api_dimensions(
    kind: ApiKind, api_name: str, api_id: str, stage: str, method: str = "", resource: str = "", route_key: str = ""
) -> list[Dimensions]:
    """The dimension sets a request's metrics go under (the detailed set too if method + resource or route given)."""
    if kind is ApiKind.REST:
        sets: list[Dimensions] = [(("ApiName", api_name),), (("ApiName", api_name), ("Stage", stage))]
        if method and resource:
            sets.append((("ApiName", api_name), ("Method", method), ("Resource", resource), ("Stage", stage)))
        return sets
    sets = [(("ApiId", api_id),), (("ApiId", api_id), ("Stage", stage))]
    if route_key:
        sets.append((("ApiId", api_id), ("Route", route_key), ("Stage", stage)))
    return sets


def request_data(
    kind: ApiKind,
    status: int,
    latency_ms: float,
    integration_latency_ms: float | None = None,
    cache_hit: bool | None = None,
    response_bytes: int = 0,
    request_bytes: int = 0,
) -> list[tuple[str, float, str]]:
    """One request's (metric name, value, unit) data, the same under each of its dimension sets."""
    client_error, server_error = int(400 <= status < 500), int(500 <= status < 600)
    values: list[tuple[str, float, str]]
    if kind is ApiKind.REST:
        values = [
            ("Count", 1.0, "Count"),
            ("Latency", latency_ms, "Milliseconds"),
            ("4XXError", client_error, "Count"),
            ("5XXError", server_error, "Count"),
        ]
        if cache_hit is not None:
            values.append(("CacheHitCount", int(cache_hit), "Count"))
            values.append(("CacheMissCount", int(not cache_hit), "Count"))
    else:
        values = [
            ("Count", 1.0, "Count"),
            ("Latency", latency_ms, "Milliseconds"),
            ("4xx", client_error, "Count"),
            ("5xx", server_error, "Count"),
            ("DataProcessed", request_bytes + response_bytes, "Bytes"),
        ]
    if integration_latency_ms is not None:
        values.append(("IntegrationLatency", integration_latency_ms, "Milliseconds"))
    return values


def record_api_request(
    metrics: Metrics,
    kind: ApiKind,
    api_name: str,
    api_id: str,
    stage: str,
    status: int,
    latency_ms: float,
    integration_latency_ms: float | None = None,
    cache_hit: bool | None = None,
    *,
    response_bytes: int = 0,
    request_bytes: int = 0,
    method: str = "",
    resource: str = "",
    route_key: str = "",
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
) -> None:
    """Record one request's metrics. `integration_latency_ms` None: no integration was called (a cache
    hit, a throttled or unauthorized request); `cache_hit` None: the method does not cache."""
    keys = tuple(
        metrics.dimensions_key(d) for d in api_dimensions(kind, api_name, api_id, stage, method, resource, route_key)
    )
    data = request_data(kind, status, latency_ms, integration_latency_ms, cache_hit, response_bytes, request_bytes)
    metrics.record_sets(NAMESPACE, keys, data, account=account, region=region)
