"""Metrics: one-minute statistic sets recorded in memory, stored in batches, read back per period."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from overcast.clock import FakeClock
from overcast.observe.metrics import Metrics
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines

T0 = 1_767_225_600_000  # FakeClock's start, 2026-01-01T00:00:00Z, in ms
DIMS = (("ApiName", "pets"), ("Stage", "prod"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def metrics(store: Store, clock: FakeClock) -> AsyncIterator[Metrics]:  # noqa: F811
    m = Metrics(store, clock)
    await m.start()
    yield m
    await m.close()


async def stats(m: Metrics, period_s: int = 60, **kwargs: object) -> list[dict[str, object]]:
    return await m.statistics("AWS/ApiGateway", "Latency", DIMS, T0, T0 + 3_600_000, period_s, **kwargs)  # type: ignore[arg-type]


async def test_statistic_sets_per_minute(metrics: Metrics, clock: FakeClock) -> None:
    for value in (10.0, 20.0, 30.0):
        metrics.record("AWS/ApiGateway", "Latency", DIMS, value, "Milliseconds")
    await clock.advance(60)
    metrics.record("AWS/ApiGateway", "Latency", DIMS, 5.0, "Milliseconds")
    expected = [
        {
            "Timestamp": T0,
            "SampleCount": 3.0,
            "Sum": 60.0,
            "Minimum": 10.0,
            "Maximum": 30.0,
            "Average": 20.0,
            "Unit": "Milliseconds",
        },
        {
            "Timestamp": T0 + 60_000,
            "SampleCount": 1.0,
            "Sum": 5.0,
            "Minimum": 5.0,
            "Maximum": 5.0,
            "Average": 5.0,
            "Unit": "Milliseconds",
        },
    ]
    assert await stats(metrics) == expected  # read before and after the data are stored
    await metrics.flush()
    assert await stats(metrics) == expected
    five = await stats(metrics, period_s=300)
    assert [(p["Timestamp"], p["SampleCount"], p["Sum"], p["Minimum"], p["Maximum"]) for p in five] == [
        (T0, 4.0, 65.0, 5.0, 30.0)
    ]


async def test_the_writer_stores_every_second_and_close_stores_the_rest(store: Store, clock: FakeClock) -> None:  # noqa: F811
    m = Metrics(store, clock)
    await m.start()
    m.record("AWS/ApiGateway", "Count", DIMS, 1.0, "Count")
    assert await store.fetch_all("SELECT seq FROM metric_sets") == []  # recording never writes
    await clock.advance(1.0)
    await m.flush()  # waits for the writer's write in progress
    assert len(await store.fetch_all("SELECT seq FROM metric_sets")) == 1
    m.record("AWS/ApiGateway", "Count", DIMS, 1.0, "Count")  # the same minute, a second row
    await m.close()

    reopened = Metrics(store, clock)
    await reopened.start()
    points = await reopened.statistics("AWS/ApiGateway", "Count", DIMS, T0, T0 + 60_000, 60)
    assert [(p["SampleCount"], p["Sum"]) for p in points] == [(2.0, 2.0)]
    await reopened.close()


async def test_a_closed_minute_keeps_one_row_per_writer(store: Store, clock: FakeClock) -> None:  # noqa: F811
    m = Metrics(store, clock)
    await m.start()
    for value in (1.0, 2.0, 3.0):  # three flushes in one minute: three rows while it is open
        m.record("AWS/ApiGateway", "Latency", DIMS, value, "Milliseconds")
        await m.flush()
    assert len(await store.fetch_all("SELECT seq FROM metric_sets")) == 3
    await clock.advance(120.0)  # the minute has closed (late data for the previous one is still welcome)
    m.record("AWS/ApiGateway", "Latency", DIMS, 10.0, "Milliseconds")
    await m.flush()
    rows = await store.fetch_all("SELECT ts, sample_count, total, minimum, maximum FROM metric_sets ORDER BY ts")
    assert [(r["sample_count"], r["total"], r["minimum"], r["maximum"]) for r in rows] == [
        (3.0, 6.0, 1.0, 3.0),
        (1.0, 10.0, 10.0, 10.0),
    ]
    points = await m.statistics("AWS/ApiGateway", "Latency", DIMS, T0, T0 + 60_000, 60, percentiles=(50,))
    assert [(p["SampleCount"], p["Sum"]) for p in points] == [(3.0, 6.0)]
    assert abs(points[0]["ExtendedStatistics"]["p50"] - 2.0) <= 0.02
    await m.close()


@pytest.mark.parametrize(
    ("dimensions", "found"),
    [
        (DIMS, True),
        ((("Stage", "prod"), ("ApiName", "pets")), True),  # order does not matter
        ((("ApiName", "pets"),), False),  # a subset is another metric
        ((("ApiName", "pets"), ("Stage", "dev")), False),
        ((), False),
    ],
)
async def test_dimensions_match_exactly(metrics: Metrics, dimensions: tuple[tuple[str, str], ...], found: bool) -> None:
    metrics.record("AWS/ApiGateway", "Latency", DIMS, 1.0, "Milliseconds")
    points = await metrics.statistics("AWS/ApiGateway", "Latency", dimensions, T0, T0 + 60_000, 60)
    assert bool(points) is found


async def test_units_namespaces_accounts_and_the_time_range_filter(metrics: Metrics, clock: FakeClock) -> None:
    metrics.record("AWS/ApiGateway", "Latency", DIMS, 1.0, "Milliseconds")
    metrics.record("AWS/ApiGateway", "Latency", DIMS, 2.0, "Seconds")
    metrics.record("AWS/Lambda", "Latency", DIMS, 3.0, "Milliseconds")
    metrics.record("AWS/ApiGateway", "Latency", DIMS, 4.0, "Milliseconds", account="111111111111")
    metrics.record("AWS/ApiGateway", "Latency", DIMS, 5.0, "Milliseconds", timestamp_ms=T0 + 7_200_000)
    assert [p["Sum"] for p in await stats(metrics, unit="Milliseconds")] == [1.0]
    assert sorted(p["Unit"] for p in await stats(metrics)) == ["Milliseconds", "Seconds"]  # type: ignore[type-var]
    assert [p["Sum"] for p in await stats(metrics, account="111111111111")] == [4.0]


@pytest.mark.parametrize(("p", "expected"), [(50, 500.0), (90, 900.0), (99, 990.0), (100, 1000.0)])
async def test_percentiles_are_within_one_percent(metrics: Metrics, p: float, expected: float) -> None:
    for value in range(1, 1001):
        metrics.record("AWS/ApiGateway", "Latency", DIMS, float(value), "Milliseconds")
    await metrics.flush()
    (point,) = await stats(metrics, percentiles=(p,))
    actual = point["ExtendedStatistics"][f"p{p:g}"]  # type: ignore[index]
    assert abs(actual - expected) <= 0.01 * expected, actual


async def test_zero_and_negative_values(metrics: Metrics) -> None:
    for value in (0.0, 0.0, -5.0, 10.0):
        metrics.record("AWS/ApiGateway", "Latency", DIMS, value, "None")
    (point,) = await stats(metrics, percentiles=(50, 100))
    assert (point["Minimum"], point["Maximum"], point["Sum"]) == (-5.0, 10.0, 5.0)
    assert point["ExtendedStatistics"] == {"p50": -5.0, "p100": 10.0}
