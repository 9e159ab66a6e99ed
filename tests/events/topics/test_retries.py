"""SNS's delivery retries: the delivery policy's phases as a table, and a failing endpoint retried on the injected
clock (a real bus and store, no sleeping): 20 seconds apart by default, then given up and recorded."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from overcast.bus.limits import JetStreamLimits
from overcast.bus.on_demand import OnDemandBus
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.events import topics
from overcast.events.topics.publishing import Outgoing
from overcast.events.topics.retries import DEFAULT_CUSTOMER, MANAGED, delays
from overcast.events.topics.targets import Targets
from overcast.store import open_store
from tests.events.topics.endpoints import endpoint

MiB = 1024 * 1024


def test_the_default_policy_retries_three_times_20_seconds_apart() -> None:
    assert list(delays(DEFAULT_CUSTOMER)) == [20.0, 20.0, 20.0]


def test_the_phases_come_in_aws_order() -> None:
    policy = {
        "numRetries": 10,
        "numNoDelayRetries": 2,
        "numMinDelayRetries": 2,
        "numMaxDelayRetries": 2,
        "minDelayTarget": 1,
        "maxDelayTarget": 16,
        "backoffFunction": "exponential",
    }
    waits = list(delays(policy))
    assert waits[:4] == [0.0, 0.0, 1.0, 1.0] and waits[-2:] == [16.0, 16.0] and len(waits) == 10
    backoff = waits[4:8]
    assert backoff == sorted(backoff) and backoff[0] > 1.0 and backoff[-1] < 16.0


def test_managed_endpoints_get_100015_retries_as_aws_documents() -> None:
    waits = delays(MANAGED)
    assert list(itertools.islice(waits, 5)) == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert sum(1 for _ in waits) == 100_015 - 5


@pytest.fixture
async def sns(tmp_path: Path) -> AsyncIterator[tuple[topics.Sns, FakeClock]]:
    clock = FakeClock()
    store = await open_store(None, tmp_path / "overcast.db")
    bus = OnDemandBus(None, tmp_path / "nats", JetStreamLimits(64 * MiB, 16 * MiB, 8 * MiB, 8 * MiB))
    built = await topics.build(store, clock, bus, tmp_path, "http://127.0.0.1:4566", Targets())
    try:
        yield built, clock
    finally:
        await built.close()
        await bus.close()
        await store.close()


async def test_a_failing_endpoint_is_retried_20_seconds_apart_on_the_clock(
    sns: tuple[topics.Sns, FakeClock],
) -> None:
    built, clock = sns
    ctx = RequestContext()
    arn = await built.topics.create(ctx, "retried", {}, {}, "")
    with endpoint() as hook:
        await built.subscriptions.subscribe(ctx, arn, "http", hook.url, {})
        confirmation = await asyncio.to_thread(hook.next)
        assert confirmation.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        (pending,) = await built.subscriptions.of_topic(arn)
        await built.subscriptions.confirm(ctx, arn, pending.token)
        hook.status[0] = 503
        await built.publisher.publish(ctx, arn, Outgoing("retry me"))
        await asyncio.to_thread(hook.next)  # the first try
        for _ in range(3):
            await clock.sleeping(1)
            await clock.advance(19.5)
            assert hook.received.empty()  # not before its 20 seconds
            await clock.advance(0.5)
            await asyncio.to_thread(hook.next)  # a retry
        deadline = asyncio.get_running_loop().time() + 20
        while not (found := await built.deliveries.recorded(ctx.account_id, pending.arn))[1:]:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)  # the give-up is written by the delivery's own task
    failed = found[-1]
    assert (failed["status"], failed["attempts"]) == ("failed", 4) and "HTTP 503" in failed["detail"]


async def _confirmed(built: topics.Sns, ctx: RequestContext, topic: str, url: str, hook: Any, policy: str) -> str:
    """A confirmed http subscription of `topic` to `url` with the delivery policy `policy`: its ARN."""
    await built.subscriptions.subscribe(ctx, topic, "http", url, {"DeliveryPolicy": policy})
    await asyncio.to_thread(hook.next)  # its SubscriptionConfirmation
    (pending,) = await built.subscriptions.of_topic(topic)
    await built.subscriptions.confirm(ctx, topic, pending.token)
    return pending.arn


async def test_a_throttled_subscription_gets_at_most_its_deliveries_a_second(
    sns: tuple[topics.Sns, FakeClock],
) -> None:
    """throttlePolicy.maxReceivesPerSecond, on the clock: five messages to a subscription allowed two a second reach
    it two at once, then one more every half second."""
    built, clock = sns
    ctx = RequestContext()
    arn = await built.topics.create(ctx, "throttled", {}, {}, "")
    with endpoint() as hook:
        await _confirmed(built, ctx, arn, hook.url, hook, json.dumps({"throttlePolicy": {"maxReceivesPerSecond": 2}}))
        for n in range(5):
            await built.publisher.publish(ctx, arn, Outgoing(f"m{n}"))
        got = [await asyncio.to_thread(hook.next)]  # the first goes at once
        async with asyncio.timeout(10):
            await clock.sleeping(4)  # the other four wait for their slots
        assert hook.received.empty()
        for _ in range(4):
            await clock.advance(0.5)
            got.append(await asyncio.to_thread(hook.next))
            await asyncio.sleep(0.05)
            assert hook.received.empty()  # one per slot, no more
    assert sorted(json.loads(r.body)["Message"] for r in got) == [f"m{n}" for n in range(5)]


async def test_the_request_policy_sets_the_content_type_posted(sns: tuple[topics.Sns, FakeClock]) -> None:
    built, _ = sns
    ctx = RequestContext()
    topic_policy = {"http": {"defaultRequestPolicy": {"headerContentType": "application/xml"}}}
    arn = await built.topics.create(ctx, "typed", {"DeliveryPolicy": json.dumps(topic_policy)}, {}, "")
    with endpoint() as hook:
        subscription = await _confirmed(built, ctx, arn, hook.url, hook, "{}")  # the topic's default
        await built.publisher.publish(ctx, arn, Outgoing("as the topic says"))
        assert (await asyncio.to_thread(hook.next)).headers["content-type"] == "application/xml"
        own = json.dumps({"requestPolicy": {"headerContentType": "application/json"}})
        await built.subscriptions.set_attribute(ctx, subscription, "DeliveryPolicy", own)
        await built.publisher.publish(ctx, arn, Outgoing("as the subscription says"))
        assert (await asyncio.to_thread(hook.next)).headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "policy",
    [
        {"throttlePolicy": {"maxReceivesPerSecond": 0}},
        {"throttlePolicy": {"maxReceivesPerSecond": "10"}},
        {"throttlePolicy": []},
        {"requestPolicy": {"headerContentType": 7}},
    ],
)
async def test_a_bad_throttle_or_request_policy_is_refused(sns: tuple[topics.Sns, FakeClock], policy: Any) -> None:
    built, _ = sns
    ctx = RequestContext()
    arn = await built.topics.create(ctx, "refusing", {}, {}, "")
    with pytest.raises(AwsError, match="DeliveryPolicy"):
        await built.subscriptions.subscribe(
            ctx, arn, "http", "http://127.0.0.1:9/", {"DeliveryPolicy": json.dumps(policy)}
        )
    assert await built.subscriptions.of_topic(arn) == []
