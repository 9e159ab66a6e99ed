"""Usage: usage-plan quotas per period, counted in memory, written behind, reported as GetUsage does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from overcast.apis.deployed import KeyPlan, Quota
from overcast.clock import FakeClock
from overcast.gateway.usage import Usage, period_start
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines

DAY = 86_400.0


@pytest.mark.parametrize(
    ("quota", "day", "start"),
    [
        (Quota(10, "DAY"), date(2026, 1, 1), date(2026, 1, 1)),
        (Quota(10, "WEEK", 0), date(2026, 1, 1), date(2025, 12, 28)),  # a Thursday; weeks from Sunday
        (Quota(10, "WEEK", 1), date(2026, 1, 1), date(2025, 12, 29)),  # from Monday
        (Quota(10, "WEEK", 4), date(2026, 1, 1), date(2026, 1, 1)),  # from Thursday: that day
        (Quota(10, "WEEK", 5), date(2026, 1, 1), date(2025, 12, 26)),  # from Friday: the one before
        (Quota(10, "WEEK", 0), date(2026, 1, 4), date(2026, 1, 4)),  # a Sunday
        (Quota(10, "MONTH", 0), date(2026, 1, 31), date(2026, 1, 1)),
        (Quota(10, "MONTH", 14), date(2026, 1, 10), date(2025, 12, 15)),
        (Quota(10, "MONTH", 14), date(2026, 1, 15), date(2026, 1, 15)),
        (Quota(10, "MONTH", 27), date(2026, 3, 1), date(2026, 2, 28)),
    ],
)
def test_period_start(quota: Quota, day: date, start: date) -> None:
    assert period_start(quota, day) == start


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 2026-01-01T00:00:00Z, a Thursday


@pytest.fixture
async def usage(store: Store, clock: FakeClock) -> AsyncIterator[Usage]:  # noqa: F811
    usage = Usage(store, clock)
    await usage.start()
    yield usage
    await usage.close()


def plan(quota: Quota | None, key: str = "k1") -> KeyPlan:
    return KeyPlan(key_id=key, key_value="v-" + key, plan_id="p1", quota=quota)


async def consume(usage: Usage, key_plan: KeyPlan, n: int) -> int:
    return sum([await usage.consume(key_plan) for _ in range(n)])


async def test_a_daily_quota_cuts_off_at_its_limit_and_comes_back_the_next_day(usage: Usage, clock: FakeClock) -> None:
    daily = plan(Quota(3, "DAY"))
    assert [await usage.consume(daily) for _ in range(5)] == [True, True, True, False, False]
    assert await usage.consume(plan(Quota(3, "DAY"), key="k2"))  # another key has its own count
    await clock.advance(DAY)
    assert await consume(usage, daily, 5) == 3


@pytest.mark.parametrize(
    ("quota", "days", "admitted"),
    [
        # 2 requests a day from Thursday 2026-01-01 for 10 days, against 5 per period
        (Quota(5, "DAY"), 10, 20),
        (Quota(5, "WEEK", 0), 10, 10),  # periods from Sun 12-28 and Sun 01-04: 5 + 5
        (Quota(5, "WEEK", 4), 10, 10),  # from Thu 01-01 and Thu 01-08: 5 + 5 (2+2+1, 2+2+1)
        (Quota(5, "MONTH", 0), 10, 5),
        (Quota(5, "MONTH", 4), 10, 10),  # from 12-05 (01-01..01-04) and 01-05
    ],
)
async def test_quota_periods(usage: Usage, clock: FakeClock, quota: Quota, days: int, admitted: int) -> None:
    total = 0
    for _ in range(days):
        total += await consume(usage, plan(quota), 2)
        await clock.advance(DAY)
    assert total == admitted


async def test_counts_are_written_behind_and_survive_a_restart(store: Store, clock: FakeClock) -> None:  # noqa: F811
    first = Usage(store, clock)
    await first.start()
    daily = plan(Quota(10, "DAY"))
    assert await consume(first, daily, 4) == 4
    assert await store.fetch_all("SELECT used FROM apigw_usage") == []  # the hot path did not write
    assert first.unwritten == 4
    await clock.advance(0.01)  # the write-behind delay: the writer takes the counts...
    assert first.unwritten == 0
    await first.flush()  # ...and this waits for its write
    assert [dict(r) for r in await store.fetch_all("SELECT used FROM apigw_usage")] == [{"used": 4}]
    assert await consume(first, daily, 2) == 2
    await first.close()  # a clean shutdown writes what is left

    second = Usage(store, clock)
    await second.start()
    assert await consume(second, daily, 10) == 4  # 6 of 10 were used before the restart
    await second.close()
    assert [dict(r) for r in await store.fetch_all("SELECT used FROM apigw_usage")] == [{"used": 10}]


async def test_report_gives_used_and_remaining_per_day(usage: Usage, clock: FakeClock) -> None:
    weekly = Quota(10, "WEEK", 4)  # weeks from Thursday 2026-01-01
    for n in (3, 0, 4, 5, 0, 0, 0, 2):  # 2026-01-01 .. 01-08; the quota stops day 4 at 3 of its 5
        await consume(usage, plan(weekly), n)
        await consume(usage, plan(weekly, key="k2"), 1)
        await clock.advance(DAY)
    report = await usage.report("p1", ["k1", "k2", "k3"], weekly, date(2026, 1, 2), date(2026, 1, 8))
    assert report == {
        "k1": [[0, 7], [4, 3], [3, 0], [0, 0], [0, 0], [0, 0], [2, 8]],
        "k2": [[1, 8], [1, 7], [1, 6], [1, 5], [1, 4], [1, 3], [1, 9]],
        "k3": [[0, 10], [0, 10], [0, 10], [0, 10], [0, 10], [0, 10], [0, 10]],
    }
    assert await usage.report("p1", ["k1"], None, date(2026, 1, 1), date(2026, 1, 3)) == {
        "k1": [[3, 0], [0, 0], [4, 0]]
    }


async def test_adjust_remaining_replaces_what_the_current_period_has_left(
    store: Store,  # noqa: F811
    usage: Usage,
    clock: FakeClock,
) -> None:
    monthly = Quota(100, "MONTH")
    await consume(usage, plan(monthly), 30)
    await usage.adjust_remaining("p1", "k1", monthly, 5)
    assert await consume(usage, plan(monthly), 10) == 5
    assert await usage.report("p1", ["k1"], monthly, date(2026, 1, 1), date(2026, 1, 1)) == {"k1": [[35, 0]]}
    await usage.adjust_remaining("p1", "k1", monthly, 50)  # more than the plan would allow, as UpdateUsage can
    await clock.advance(DAY)
    assert await consume(usage, plan(monthly), 20) == 20
    assert (await usage.report("p1", ["k1"], monthly, date(2026, 1, 1), date(2026, 1, 2)))["k1"] == [[35, 50], [20, 30]]

    restarted = Usage(store, clock)  # the adjustment is durable
    await usage.flush()
    await restarted.start()
    assert await consume(restarted, plan(monthly), 40) == 30
    await restarted.close()


async def test_without_a_quota_every_request_is_counted(usage: Usage) -> None:
    assert await consume(usage, plan(None), 1_000) == 1_000
    assert await usage.report("p1", ["k1"], None, date(2026, 1, 1), date(2026, 1, 1)) == {"k1": [[1_000, 0]]}
