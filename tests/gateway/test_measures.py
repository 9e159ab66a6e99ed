"""Measures: a request's API Gateway metrics land under AWS's names and dimension sets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from overcast.apis.deployed import ApiKind
from overcast.clock import FakeClock
from overcast.gateway.measures import NAMESPACE, api_dimensions, record_api_request
from overcast.observe.metrics import Metrics
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines

T0 = 1_767_225_600_000


@pytest.fixture
async def metrics(store: Store) -> AsyncIterator[Metrics]:  # noqa: F811
    m = Metrics(store, FakeClock())
    await m.start()
    yield m
    await m.close()


async def sums(metrics: Metrics, dimensions: tuple[tuple[str, str], ...], names: list[str]) -> dict[str, float]:
    found = {}
    for name in names:
        points = await metrics.statistics(NAMESPACE, name, dimensions, T0, T0 + 60_000, 60)
        found[name] = points[0]["Sum"] if points else None
    return found


@pytest.mark.parametrize(
    ("kind", "detailed", "expected"),
    [
        (ApiKind.REST, False, [(("ApiName", "pets"),), (("ApiName", "pets"), ("Stage", "prod"))]),
        (
            ApiKind.REST,
            True,
            [
                (("ApiName", "pets"),),
                (("ApiName", "pets"), ("Stage", "prod")),
                (("ApiName", "pets"), ("Method", "GET"), ("Resource", "/pets"), ("Stage", "prod")),
            ],
        ),
        (ApiKind.HTTP, False, [(("ApiId", "a1"),), (("ApiId", "a1"), ("Stage", "prod"))]),
        (
            ApiKind.HTTP,
            True,
            [
                (("ApiId", "a1"),),
                (("ApiId", "a1"), ("Stage", "prod")),
                (("ApiId", "a1"), ("Route", "GET /pets"), ("Stage", "prod")),
            ],
        ),
    ],
)
def test_dimension_sets(kind: ApiKind, detailed: bool, expected: list[tuple[tuple[str, str], ...]]) -> None:
    extra = {"method": "GET", "resource": "/pets", "route_key": "GET /pets"} if detailed else {}
    assert api_dimensions(kind, "pets", "a1", "prod", **extra) == expected


async def test_rest_requests_count_errors_latency_and_cache(metrics: Metrics) -> None:
    record_api_request(metrics, ApiKind.REST, "pets", "a1", "prod", 200, 12.0, 10.0, cache_hit=False)
    record_api_request(metrics, ApiKind.REST, "pets", "a1", "prod", 200, 2.0, None, cache_hit=True)
    record_api_request(metrics, ApiKind.REST, "pets", "a1", "prod", 429, 1.0)
    record_api_request(metrics, ApiKind.REST, "pets", "a1", "prod", 502, 30.0, 29.0, cache_hit=False)
    stage = (("ApiName", "pets"), ("Stage", "prod"))
    names = ["Count", "Latency", "IntegrationLatency", "4XXError", "5XXError", "CacheHitCount", "CacheMissCount"]
    expected = {
        "Count": 4.0,
        "Latency": 45.0,
        "IntegrationLatency": 39.0,
        "4XXError": 1.0,
        "5XXError": 1.0,
        "CacheHitCount": 1.0,
        "CacheMissCount": 2.0,
    }
    assert await sums(metrics, stage, names) == expected
    assert await sums(metrics, (("ApiName", "pets"),), names) == expected
    (error_rate,) = await metrics.statistics(NAMESPACE, "4XXError", stage, T0, T0 + 60_000, 60)
    assert error_rate["Average"] == 0.25


async def test_http_requests_use_lowercase_error_names_and_data_processed(metrics: Metrics) -> None:
    record_api_request(metrics, ApiKind.HTTP, "", "a1", "$default", 404, 3.0, request_bytes=10, response_bytes=90)
    names = ["Count", "4xx", "5xx", "DataProcessed", "4XXError", "IntegrationLatency"]
    assert await sums(metrics, (("ApiId", "a1"), ("Stage", "$default")), names) == {
        "Count": 1.0,
        "4xx": 1.0,
        "5xx": 0.0,
        "DataProcessed": 100.0,
        "4XXError": None,
        "IntegrationLatency": None,
    }
