"""Throttles: token buckets on a FakeClock hold the configured rate and burst, as API Gateway's do."""

from __future__ import annotations

import pytest

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, KeyPlan, Route, Throttle
from overcast.clock import FakeClock
from overcast.gateway.throttles import ACCOUNT_DEFAULT, Throttles, request_limits


async def offered(throttles: Throttles, clock: FakeClock, key: str, limit: Throttle, rps: float, seconds: float) -> int:
    """Send `rps` requests a second, evenly spaced, for `seconds`; the number admitted."""
    admitted = 0
    step = 1.0 / rps
    for _ in range(round(rps * seconds)):
        await clock.advance(step)
        admitted += throttles.admit(key, limit)
    return admitted


@pytest.mark.parametrize(
    ("rate", "burst", "load"),
    [
        (100.0, 50, 150.0),  # 1.5x the rate
        (100.0, 50, 400.0),  # 4x
        (100.0, 200, 2_000.0),  # 20x, a burst above the rate
        (10.0, 5, 1_000.0),  # 100x
        (1_000.0, 500, 3_000.0),
        (5.0, 10, 500.0),  # a burst of two seconds of rate
    ],
)
async def test_overload_admits_rate_times_seconds_plus_burst(rate: float, burst: int, load: float) -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    admitted = await offered(throttles, clock, "k", Throttle(rate, burst), load, 10.0)
    expected = rate * 10 + burst
    assert abs(admitted - expected) <= 0.05 * expected, (admitted, expected)


@pytest.mark.parametrize(("rate", "burst", "load"), [(100.0, 50, 50.0), (100.0, 10, 99.0), (1_000.0, 1, 500.0)])
async def test_load_under_the_rate_is_all_admitted(rate: float, burst: int, load: float) -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    assert await offered(throttles, clock, "k", Throttle(rate, burst), load, 10.0) == round(load * 10)


async def test_a_full_bucket_admits_a_burst_at_once_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    limit = Throttle(rate=10.0, burst=20)
    assert [throttles.admit("k", limit) for _ in range(25)] == [True] * 20 + [False] * 5
    await clock.advance(0.5)  # 5 tokens back
    assert sum(throttles.admit("k", limit) for _ in range(10)) == 5
    await clock.advance(100.0)  # refill stops at the burst
    assert throttles.tokens("k") == 20.0
    assert sum(throttles.admit("k", limit) for _ in range(30)) == 20


@pytest.mark.parametrize(
    ("limit", "admitted"),
    [(Throttle(0.0, 100), 0), (Throttle(100.0, 0), 0), (Throttle(0.0, 0), 0), (Throttle(100.0, 1), 1)],
)
async def test_zero_rate_or_zero_burst_blocks_everything(limit: Throttle, admitted: int) -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    count = 0
    for _ in range(10):
        count += throttles.admit("k", limit)
        await clock.advance(0.001)
    assert count == admitted


async def test_keys_have_their_own_buckets_and_a_changed_limit_resets_one() -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    limit = Throttle(1.0, 2)
    assert [throttles.admit("a", limit) for _ in range(3)] == [True, True, False]
    assert throttles.admit("b", limit)
    assert not throttles.admit("a", Throttle(1.0, 2))  # an equal limit keeps the bucket
    assert [throttles.admit("a", Throttle(1.0, 3)) for _ in range(4)] == [True, True, True, False]


async def test_check_takes_from_every_bucket_or_from_none() -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    wide, narrow = Throttle(100.0, 10), Throttle(1.0, 2)
    both = [("wide", wide), ("narrow", narrow)]
    assert throttles.check(both) and throttles.check(both)
    assert not throttles.check(both)  # narrow is empty...
    assert throttles.tokens("wide") == 8.0  # ...and wide kept its token
    assert throttles.check([("wide", wide)])
    assert throttles.tokens("wide") == 7.0


async def test_check_holds_the_tightest_rate_over_ten_seconds() -> None:
    clock = FakeClock()
    throttles = Throttles(clock)
    limits = [("plan", Throttle(50.0, 10)), ("stage", Throttle(200.0, 100)), ("account", ACCOUNT_DEFAULT)]
    admitted = 0
    for _ in range(5_000):
        await clock.advance(0.002)  # 500 rps for 10 s
        admitted += throttles.check(limits)
    assert abs(admitted - 510) <= 0.05 * 510


def _route(throttle: Throttle | None = None) -> Route:
    return Route(id="r1 GET", method="GET", path="/pets/{id}", integration=Integration("MOCK"), throttle=throttle)


def _api(throttle: Throttle | None = None) -> DeployedApi:
    return DeployedApi("123456789012", "us-east-1", "abc", ApiKind.REST, "prod", "d1", (), throttle=throttle)


@pytest.mark.parametrize(
    ("api_throttle", "route_throttle", "key_plan", "expected"),
    [
        (None, None, None, [("account/123456789012/us-east-1", ACCOUNT_DEFAULT)]),
        (
            Throttle(5, 5),
            None,
            None,
            [
                ("stage/123456789012/us-east-1/abc/prod/r1 GET", Throttle(5, 5)),
                ("account/123456789012/us-east-1", ACCOUNT_DEFAULT),
            ],
        ),
        (
            Throttle(5, 5),
            Throttle(7, 7),
            KeyPlan("k1", "v", "p1", throttle=Throttle(3, 3)),
            [
                ("plan/p1/k1", Throttle(3, 3)),
                ("stage/123456789012/us-east-1/abc/prod/r1 GET", Throttle(7, 7)),
                ("account/123456789012/us-east-1", ACCOUNT_DEFAULT),
            ],
        ),
        (
            None,
            None,
            KeyPlan("k1", "v", "p1", throttle=Throttle(3, 3), method_throttles=(("/pets/{id}/GET", Throttle(1, 1)),)),
            [
                ("plan/p1/k1/123456789012/us-east-1/abc/prod//pets/{id}/GET", Throttle(1, 1)),
                ("account/123456789012/us-east-1", ACCOUNT_DEFAULT),
            ],
        ),
        (None, None, KeyPlan("k1", "v", "p1"), [("account/123456789012/us-east-1", ACCOUNT_DEFAULT)]),
    ],
)
def test_request_limits_in_aws_order(
    api_throttle: Throttle | None,
    route_throttle: Throttle | None,
    key_plan: KeyPlan | None,
    expected: list[tuple[str, Throttle]],
) -> None:
    assert request_limits(_api(api_throttle), _route(route_throttle), key_plan) == expected
