"""Meter on both engines: records survive, totals per function, GB-seconds and cost against AWS's examples."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from overcast.billing.metering import STEPS, InvocationRecord, Meter
from overcast.billing.pricing import PriceTable
from overcast.clock import FakeClock
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines

A, B = "111111111111", "222222222222"
JAN = 1_767_225_600_000  # 2026-01-01T00:00:00Z
FEB = 1_769_904_000_000  # 2026-02-01T00:00:00Z


def record(n: int, **changes: Any) -> InvocationRecord:
    base = InvocationRecord(
        account=A,
        region="us-east-1",
        function_name="fn",
        version="$LATEST",
        request_id=f"req-{n}",
        started_ms=JAN + n,
        duration_ms=99.5,
        billed_duration_ms=100,
        memory_mb=1024,
        init_duration_ms=None,
        cold=False,
        outcome="success",
        architecture="x86_64",
    )
    return dataclasses.replace(base, **changes)


async def test_billed_ms_uses_the_meter_granularity(meter: Meter) -> None:
    assert meter.billed_ms(12.34) == 13 and meter.billed_ms(4.42, init_ms=333.05) == 338
    assert Meter(meter.store, meter.clock, 100).billed_ms(12.34) == 100


async def test_records_are_stored_once_and_read_back(meter: Meter) -> None:
    first = record(1, cold=True, init_duration_ms=120.25, outcome="error", architecture="arm64")
    await meter.record(first)
    await meter.record(first)  # the same invocation twice keeps one row
    await meter.record(record(2, account=B))
    assert await meter.records(account=A) == [first]
    assert [r.request_id for r in await meter.records()] == ["req-1", "req-2"]
    assert [r.request_id for r in await meter.records(since_ms=JAN + 2)] == ["req-2"]


async def test_usage_totals_per_function(meter: Meter) -> None:
    await meter.record(record(1, cold=True, init_duration_ms=50.0, billed_duration_ms=150))
    await meter.record(record(2, outcome="timeout"))
    await meter.record(record(3, function_name="other", memory_mb=128, billed_duration_ms=7))
    await meter.record(record(4, account=B))
    usage = await meter.usage(account=A)
    assert [u.function_name for u in usage] == ["fn", "other"]
    fn, other = usage
    assert (fn.requests, fn.cold_starts, fn.errors, fn.billed_ms) == (2, 1, 1, 250)
    assert fn.duration_ms == pytest.approx(199.0)
    assert fn.gb_seconds == pytest.approx(0.25)  # 1 GB x 0.25 s
    assert other.gb_seconds == pytest.approx(128 / 1024 * 0.007)
    assert fn.cost == pytest.approx(2 * 0.2e-6 + 0.25 * 0.0000166667)
    assert fn.cost_after_free_tier == 0.0  # well inside the free tier
    assert len(await meter.usage()) == 3
    assert [u.requests for u in await meter.usage(account=A, since_ms=JAN + 2)] == [1, 1]


async def test_aws_pricing_example_without_free_tier(meter: Meter) -> None:
    """https://aws.amazon.com/lambda/pricing/ (x86 example): 3M requests a month, 120 ms each, 1536 MB:
    540,000 GB-s x $0.0000166667 = $9.00 compute + 3M x $0.20/M = $0.60 requests = $9.60.
    Recorded as 300 invocations of 1,200,000 ms each: the same GB-seconds."""
    prices = PriceTable(free_requests=0, free_gb_seconds=0)
    meter = Meter(meter.store, meter.clock, 1, prices)
    for n in range(300):
        await meter.record(record(n, memory_mb=1536, billed_duration_ms=1_200_000, duration_ms=1_200_000.0))
    (fn,) = await meter.usage()
    assert fn.gb_seconds == pytest.approx(540_000)
    compute = 540_000 * 0.0000166667
    requests = 300 * 0.2 / 1_000_000
    assert fn.cost == pytest.approx(compute + requests) and fn.cost_after_free_tier == pytest.approx(fn.cost)
    assert round(compute, 2) == 9.00


async def test_free_tier_applies_per_account_month_across_functions(meter: Meter) -> None:
    """The pricing page's free-tier example (512 MB, 3M invocations of 1 s: $18.73), with its
    1,500,000 GB-seconds recorded as 3 long invocations of two functions and the requests scaled
    down (3 recorded, 1 free: the same 2/3 charged as 2M of 3M, at a price 1M times higher)."""
    prices = PriceTable(free_requests=1, request_price_per_million=0.2 * 1_000_000)
    meter = Meter(meter.store, meter.clock, 1, prices)
    ms_for_750k = 750_000 * 2 * 1000  # billed ms at 512 MB giving 750,000 GB-s
    await meter.record(record(1, function_name="a", memory_mb=512, billed_duration_ms=ms_for_750k))
    await meter.record(record(2, function_name="b", memory_mb=512, billed_duration_ms=ms_for_750k // 2))
    await meter.record(record(3, function_name="b", memory_mb=512, billed_duration_ms=ms_for_750k // 2))
    usage = await meter.usage()
    assert sum(u.gb_seconds for u in usage) == pytest.approx(1_500_000)
    assert sum(u.requests for u in usage) == 3
    net = sum(u.cost_after_free_tier for u in usage)
    assert net == pytest.approx(1_100_000 * 0.0000166667 + 2 * 0.2)
    assert round(net, 2) == 18.73
    a, b = usage
    assert a.cost == pytest.approx(b.cost - 0.2)  # same GB-seconds, one request fewer
    assert a.cost_after_free_tier / a.cost == pytest.approx(b.cost_after_free_tier / b.cost)


async def test_free_tier_is_monthly(meter: Meter) -> None:
    prices = PriceTable(free_requests=1, free_gb_seconds=0)
    meter = Meter(meter.store, meter.clock, 1, prices)
    await meter.record(record(1))
    await meter.record(record(2, started_ms=FEB + 5))
    (fn,) = await meter.usage()
    assert fn.requests == 2
    assert fn.cost_after_free_tier == pytest.approx(2 * 0.1 * 0.0000166667)  # both months' requests free


async def test_arm64_price(meter: Meter) -> None:
    prices = PriceTable(free_requests=0, free_gb_seconds=0)
    meter = Meter(meter.store, meter.clock, 1, prices)
    await meter.record(record(1, architecture="arm64", memory_mb=2048, billed_duration_ms=1000))
    (fn,) = await meter.usage()
    assert fn.cost == pytest.approx(0.2e-6 + 2 * 0.0000133334)


async def test_record_many_in_chunks_keeps_one_row_per_invocation(meter: Meter) -> None:
    batch = [record(n) for n in range(450)]  # more rows than one INSERT carries
    await meter.record_many(batch + batch[:3])
    async with meter.store.transaction() as tx:
        await meter.record_many([record(1000, account=B)], tx)
    assert await meter.records(account=A) == batch
    assert [r.request_id for r in await meter.records(account=B)] == ["req-1000"]


async def test_records_stored_under_the_first_key_order_survive_the_time_ordered_key(store: Store) -> None:  # noqa: F811
    await store.migrate("billing", STEPS[:1])  # the first layout: request id before start time in the key
    await Meter(store, FakeClock(), 1).record(record(1))
    meter = Meter(store, FakeClock(), 1)
    await meter.start()  # the rest of the steps
    assert await meter.records() == [record(1)]
    await meter.record_many([record(1), record(2)])  # still one row per invocation
    assert [r.request_id for r in await meter.records()] == ["req-1", "req-2"]
