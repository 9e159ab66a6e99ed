"""Visibility timeouts, delays and retention run on the injected clock: the domain service over a real store and
a real embedded nats-server, with a FakeClock that the tests advance (nothing sleeps for real)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from overcast.bus.limits import JetStreamLimits, MiB
from overcast.bus.on_demand import OnDemandBus
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.events import queues
from overcast.events.queues.errors import AccessDenied, OverLimit, PurgeQueueInProgress, QueueDoesNotExist
from overcast.events.queues.records import MessageAttribute
from overcast.events.queues.service import Queues
from overcast.store import Store

CTX = RequestContext("123456789012", "eu-west-1")


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def _queue(service: Queues, name: str = "work", **attributes: str) -> str:
    queue, created = await service.definitions.create(CTX, name, attributes, {})
    assert created
    return service.url(queue)


async def test_an_unsettled_message_is_visible_again_after_its_visibility_timeout(
    service: Queues, clock: FakeClock
) -> None:
    url = await _queue(service, VisibilityTimeout="30")
    await service.send(CTX, url, "job")
    first = await service.receive(CTX, url)
    assert [m.body for m in first] == ["job"]
    assert await service.receive(CTX, url) == []
    await clock.advance(29)
    assert await service.receive(CTX, url) == []
    await clock.advance(1)
    again = await _eventually(service, url)
    assert again[0].attributes["ApproximateReceiveCount"] == "2"
    assert (
        again[0].attributes["ApproximateFirstReceiveTimestamp"]
        == first[0].attributes["ApproximateFirstReceiveTimestamp"]
    )
    await service.change_visibility(CTX, url, again[0].receipt_handle, 600)
    await clock.advance(599)
    assert await service.receive(CTX, url) == []
    await service.delete(CTX, url, again[0].receipt_handle)
    await clock.advance(3600)
    assert await service.receive(CTX, url) == []


async def _eventually(service: Queues, url: str) -> list[object]:
    """The timer task naks on the clock's advance; the bus then redelivers (a real round trip)."""
    for _ in range(200):
        got = await service.receive(CTX, url, wait_seconds=0)
        if got:
            return got  # type: ignore[return-value]
        await asyncio.sleep(0.01)
    raise AssertionError("the message never became visible again")


async def test_delay_seconds_hold_a_message_until_its_time(service: Queues, clock: FakeClock) -> None:
    url = await _queue(service, DelaySeconds="60")
    await service.send(CTX, url, "queue's delay")
    await service.send(CTX, url, "own delay", delay_seconds=0)
    counts = await service.attributes(CTX, url)
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesDelayed"]) == ("1", "1")
    assert [m.body for m in await service.receive(CTX, url, max_messages=10, visibility_timeout=3600)] == ["own delay"]
    await clock.advance(60)
    assert [m.body for m in await service.receive(CTX, url, max_messages=10)] == ["queue's delay"]


async def test_a_long_poll_ends_when_a_delayed_message_becomes_visible(service: Queues, clock: FakeClock) -> None:
    url = await _queue(service)
    await service.send(CTX, url, "soon", delay_seconds=5)
    polling = asyncio.create_task(service.receive(CTX, url, wait_seconds=20))
    await clock.sleeping(2)  # the poll and the delay's timer
    await clock.advance(5)
    assert [m.body for m in await asyncio.wait_for(polling, 10)] == ["soon"]


async def test_a_long_poll_ends_empty_after_its_wait_on_the_clock(service: Queues, clock: FakeClock) -> None:
    url = await _queue(service)
    polling = asyncio.create_task(service.receive(CTX, url, wait_seconds=20))
    await clock.sleeping(1)
    await clock.advance(20)
    assert await asyncio.wait_for(polling, 10) == []


async def test_messages_past_the_retention_period_are_deleted(service: Queues, clock: FakeClock) -> None:
    url = await _queue(service, MessageRetentionPeriod="60")
    await service.send(CTX, url, "old")
    await clock.advance(60)
    await service.send(CTX, url, "new")
    assert [m.body for m in await service.receive(CTX, url, max_messages=10)] == ["new"]
    assert (await service.attributes(CTX, url))["ApproximateNumberOfMessages"] == "0"


async def test_the_contract_for_other_services(service: Queues) -> None:
    """SNS, mappings and Lambda's destinations send by ARN with String attributes and read every attribute."""
    url = await _queue(service)
    arn = await service.queue_arn(CTX, url)
    assert arn == "arn:aws:sqs:eu-west-1:123456789012:work"
    sent = await service.send(
        CTX, arn, "{}", attributes={"ErrorCode": MessageAttribute("String", "200")}, sender_id="AIDAFUNCTION"
    )
    assert sent.md5_of_message_attributes is not None and sent.sequence_number is None
    got = (await service.receive(CTX, "work"))[0]
    assert got.message_attributes == {"ErrorCode": MessageAttribute("String", "200")}
    assert got.attributes["SenderId"] == "AIDAFUNCTION"
    assert got.md5_of_message_attributes == sent.md5_of_message_attributes
    with pytest.raises(QueueDoesNotExist):
        await service.send(CTX, "arn:aws:sqs:eu-west-1:123456789012:missing", "x")
    with pytest.raises(AccessDenied):
        await service.send(CTX, "arn:aws:sqs:eu-west-1:999999999999:work", "x")


async def test_definitions_on_both_engines(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    service = await queues.build(store, clock, OnDemandBus(None, tmp_path / "unused"), "http://h:1")
    for name in ("alpha_1", "alpha_2", "beta"):
        await service.definitions.create(CTX, name, {}, {"k": name})
    page, token = await service.definitions.page(CTX, "alpha_", 1, None)
    assert [q.name for q in page] == ["alpha_1"] and token is not None
    page, token = await service.definitions.page(CTX, "alpha_", 1, token)
    assert [q.name for q in page] == ["alpha_2"]
    changed = await service.definitions.update(
        CTX,
        "beta",
        {
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:alpha_1", "maxReceiveCount": 5}
            )
        },
    )
    assert json.loads(changed.attributes["RedrivePolicy"])["maxReceiveCount"] == 5
    target = await service.find(CTX, "alpha_1")
    assert [q.name for q in await service.definitions.sources_of(CTX, target)] == ["beta"]
    assert await service.definitions.tags(CTX, "beta") == {"k": "beta"}
    await service.definitions.delete(CTX, "beta")
    assert await service.definitions.sources_of(CTX, target) == []


async def test_a_full_message_store_answers_over_limit(sqlite_store: Store, clock: FakeClock, tmp_path: Path) -> None:
    """The SQS stream's max_bytes (the bus's message_stream_bytes) reached: SQS's OverLimit, never a 500, and nothing
    accepted is lost."""
    bus = OnDemandBus(None, tmp_path / "nats", JetStreamLimits(stream_bytes=MiB, message_bytes=MiB))
    service = await queues.build(sqlite_store, clock, bus, "http://127.0.0.1:4566")
    try:
        url = await _queue(service)
        await service.send(CTX, url, "x" * 700_000)
        with pytest.raises(OverLimit):
            await service.send(CTX, url, "y" * 700_000)
        assert [len(m.body) for m in await service.receive(CTX, url)] == [700_000]
    finally:
        await service.close()
        await bus.close()


async def test_a_queue_is_purged_at_most_once_a_minute(service: Queues, clock: FakeClock) -> None:
    url = await _queue(service)
    await service.send(CTX, url, "first")
    await service.purge(CTX, url)
    await service.send(CTX, url, "second")
    await clock.advance(59)
    with pytest.raises(PurgeQueueInProgress, match="Only one PurgeQueue operation on work is allowed every 60 seconds"):
        await service.purge(CTX, url)
    assert [m.body for m in await service.receive(CTX, url)] == ["second"]  # the refused purge deleted nothing
    other = await _queue(service, "other")
    await service.purge(CTX, other)  # each queue has its own minute
    await clock.advance(1)
    await service.purge(CTX, url)
    assert await service.receive(CTX, url) == []


async def test_receive_attempt_ids_are_kept_for_their_five_minutes_only(service: Queues, clock: FakeClock) -> None:
    url = await _queue(service, "work.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for n in range(3):
        await service.receive(CTX, url, wait_seconds=0, attempt_id=f"early-{n}")
    found = await service.find(CTX, url)
    backlog = await service._backlog(found)
    assert list(backlog.attempts) == ["early-0", "early-1", "early-2"]
    await clock.advance(301)
    await service.receive(CTX, url, wait_seconds=0, attempt_id="late")
    assert list(backlog.attempts) == ["late"]  # the window of the others had passed
