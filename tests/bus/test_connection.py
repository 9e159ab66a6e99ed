"""Bus against a real nats-server: streams, pull consumers, direct reads, request/reply, errors."""

from __future__ import annotations

import asyncio
import json

import pytest

from overcast.bus.connection import Bus
from overcast.bus.consumers import max_deliveries_subject
from overcast.bus.messages import Envelope, Reply
from overcast.errors import (
    AwsError,
    InvalidParameterValue,
    RequestTooLarge,
    ResourceConflict,
    ResourceNotFound,
    ServiceUnavailable,
)


async def test_publish_fetch_ack(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [f"{name}.>"])
    sequences = [await bus.publish(f"{name}.q", b"m%d" % i, headers={"k": str(i)}) for i in range(3)]
    assert sequences == [1, 2, 3]
    await bus.ensure_consumer(name, "worker", ack_wait=30)

    messages = await bus.fetch(name, "worker", batch=10)

    assert [m.data for m in messages] == [b"m0", b"m1", b"m2"]
    assert [m.sequence for m in messages] == [1, 2, 3]
    assert [m.headers["k"] for m in messages] == ["0", "1", "2"]
    assert {(m.stream, m.consumer, m.subject, m.num_delivered) for m in messages} == {(name, "worker", f"{name}.q", 1)}
    assert [m.num_pending for m in messages] == [2, 1, 0]
    assert (await bus.consumer_state(name, "worker")).num_ack_pending == 3
    for message in messages:
        await message.ack()
    state = await bus.consumer_state(name, "worker")
    assert (state.num_ack_pending, state.num_pending, state.ack_floor_sequence) == (0, 0, 3)
    assert await bus.fetch(name, "worker", batch=10) == []


async def test_fetch_waits_for_the_first_message_and_returns_with_it(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c")
    waiting = asyncio.create_task(bus.fetch(name, "c", batch=10, timeout=10))
    while (await bus.consumer_state(name, "c")).num_waiting == 0:
        await asyncio.sleep(0.005)
    await bus.publish(name, b"late")
    messages = await waiting  # returns with the one message, not after the 10 s timeout
    assert [m.data for m in messages] == [b"late"]
    await messages[0].ack()
    assert (await bus.consumer_state(name, "c")).num_waiting == 0  # no pull request left behind


async def test_fetch_times_out_empty(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c")
    assert await bus.fetch(name, "c", batch=5, timeout=0.05) == []
    assert await bus.fetch(name, "c", batch=1, timeout=0.05) == []


async def test_nak_with_delay_redelivers_later(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c", ack_wait=30)
    await bus.publish(name, b"retry me")
    [first] = await bus.fetch(name, "c")

    await first.nak(delay=1.0)

    assert await bus.fetch(name, "c") == []  # invisible for the delay
    [again] = await bus.fetch(name, "c", timeout=5)
    assert (again.sequence, again.num_delivered, again.data) == (first.sequence, 2, b"retry me")
    await again.nak()  # no delay: available at once
    [third] = await bus.fetch(name, "c", timeout=5)
    assert third.num_delivered == 3
    await third.ack()


async def test_ack_by_receipt_after_nak_with_delay_prevents_redelivery(bus: Bus, name: str) -> None:
    # SQS: ChangeMessageVisibility, then DeleteMessage with the same receipt handle.
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c", ack_wait=30)
    await bus.publish(name, b"x")
    [message] = await bus.fetch(name, "c")
    await bus.nak(message.ack_subject, delay=60)
    await bus.ack(message.ack_subject)
    await bus.ack(message.ack_subject)  # a stale receipt is not an error
    state = await bus.consumer_state(name, "c")
    assert (state.num_ack_pending, state.num_pending, state.num_redelivered) == (0, 0, 0)


async def test_in_progress_and_term(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c", ack_wait=30)
    await bus.publish(name, b"x")
    [message] = await bus.fetch(name, "c")
    await message.in_progress()
    await message.in_progress()
    assert (await bus.consumer_state(name, "c")).num_ack_pending == 1
    await message.term()
    assert (await bus.consumer_state(name, "c")).num_ack_pending == 0
    assert await bus.fetch(name, "c") == []


async def test_ack_wait_expiry_redelivers(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c", ack_wait=0.3)
    await bus.publish(name, b"x")
    [first] = await bus.fetch(name, "c")
    [again] = await bus.fetch(name, "c", timeout=5)  # not settled: back after ack_wait
    assert (again.sequence, again.num_delivered) == (first.sequence, 2)
    await again.ack()


async def test_max_deliver_stops_redelivery_and_announces_it(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.ensure_consumer(name, "c", max_deliver=2, ack_wait=30)
    advisories: asyncio.Queue[Envelope] = asyncio.Queue()

    async def on_advisory(envelope: Envelope) -> None:
        await advisories.put(envelope)

    subscription = await bus.subscribe(max_deliveries_subject(name, "c"), on_advisory)
    sequence = await bus.publish(name, b"poison")
    for receive in (1, 2):
        [message] = await bus.fetch(name, "c", timeout=5)
        assert message.num_delivered == receive
        await message.nak()

    assert await bus.fetch(name, "c") == []
    # The server notices (and announces) the exhausted message when it next looks for one to deliver.
    advisory = await asyncio.wait_for(advisories.get(), 5)
    assert json.loads(advisory.data)["stream_seq"] == sequence
    assert await bus.get(name, sequence) is not None  # still stored: moving it to a DLQ is the caller's job
    await subscription.close()


async def test_workqueue_retention_removes_acked_messages(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name], retention="workqueue")
    await bus.ensure_consumer(name, "c")
    await bus.publish(name, b"a")
    await bus.publish(name, b"b")
    first, second = await bus.fetch(name, "c", batch=2)
    await first.ack()
    state = await bus.stream_state(name)
    assert (state.retention, state.messages, state.first_sequence) == ("workqueue", 1, 2)
    await second.ack()
    assert (await bus.stream_state(name)).messages == 0


async def test_msg_id_deduplicates(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name], duplicate_window=60)
    first = await bus.publish(name, b"once", msg_id="dedup-1")
    again = await bus.publish(name, b"once more", msg_id="dedup-1")
    other = await bus.publish(name, b"other", msg_id="dedup-2")
    assert (first, again, other) == (1, 1, 2)
    assert [m.data for m in await bus.read(name)] == [b"once", b"other"]


async def test_read_from_sequence_time_and_subject(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [f"{name}.*"])
    for i in range(6):
        await bus.publish(f"{name}.{'a' if i % 2 else 'b'}", b"%d" % i, headers={"n": str(i)})

    from_three = await bus.read(name, start_sequence=3, limit=10)
    assert [(m.sequence, m.data) for m in from_three] == [(3, b"2"), (4, b"3"), (5, b"4"), (6, b"5")]
    assert from_three[0].headers == {"n": "2"}  # the server's own Nats-* headers are not included
    assert [m.sequence for m in await bus.read(name, start_sequence=2, limit=2)] == [2, 3]
    assert [m.sequence for m in await bus.read(name, subject=f"{name}.a")] == [2, 4, 6]
    assert await bus.read(name, start_sequence=7) == []

    third = await bus.get(name, 3)
    assert third is not None and third.subject == f"{name}.b" and third.time > 0
    second = await bus.get(name, 2)
    assert second is not None and second.time_ns < third.time_ns
    between = (second.time_ns + third.time_ns) / 2e9
    assert [m.sequence for m in await bus.read(name, start_time=between, limit=2)] == [3, 4]
    assert await bus.get(name, 99) is None


async def test_consumer_from_start_sequence(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    for i in range(5):
        await bus.publish(name, b"%d" % i)
    await bus.ensure_consumer(name, "late", start_sequence=4)
    assert [m.sequence for m in await bus.fetch(name, "late", batch=10)] == [4, 5]


async def test_ensure_stream_is_idempotent_and_updates(bus: Bus, name: str) -> None:
    first = await bus.ensure_stream(name, [name])
    assert await bus.ensure_stream(name, [name]) == first
    await bus.ensure_stream(name, [name], max_msgs=2, discard="old")  # a ring: the oldest make room
    for i in range(4):
        await bus.publish(name, b"%d" % i)
    state = await bus.stream_state(name)
    assert (state.messages, state.first_sequence, state.last_sequence) == (2, 3, 4)
    with pytest.raises(AwsError):  # retention cannot change after creation
        await bus.ensure_stream(name, [name], retention="workqueue")
    await bus.purge_stream(name)
    assert (await bus.stream_state(name)).messages == 0
    assert await bus.delete_stream(name) is True
    assert await bus.delete_stream(name) is False


async def test_overlapping_subjects_conflict(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [f"{name}.>"])
    with pytest.raises(ResourceConflict):
        await bus.ensure_stream(name + "X", [f"{name}.a"])


async def test_missing_things_are_not_found(bus: Bus, name: str) -> None:
    with pytest.raises(ResourceNotFound):
        await bus.stream_state(name)
    with pytest.raises(ResourceNotFound):
        await bus.read(name)
    with pytest.raises(ResourceNotFound):
        await bus.ensure_consumer(name, "c")
    await bus.ensure_stream(name, [name])
    with pytest.raises(ResourceNotFound):
        await bus.fetch(name, "nobody")
    with pytest.raises(ResourceNotFound):
        await bus.consumer_state(name, "nobody")
    assert await bus.delete_consumer(name, "nobody") is False


async def test_publish_errors(bus: Bus, name: str) -> None:
    with pytest.raises(ServiceUnavailable):
        await bus.publish(f"{name}.no.stream", b"x", timeout=1)
    await bus.ensure_stream(name, [name])
    with pytest.raises(RequestTooLarge):
        await bus.publish(name, b"x" * (bus.max_payload + 1))
    with pytest.raises(InvalidParameterValue):
        await bus.fetch(name, "c", batch=0)
    with pytest.raises(InvalidParameterValue):
        await bus.ack("not-a-receipt")


async def test_request_reply(bus: Bus, name: str) -> None:
    async def shout(envelope: Envelope) -> Reply:
        return Reply(envelope.data.upper(), {"seen": envelope.headers.get("h", "")})

    subscription = await bus.subscribe(f"{name}.shout", shout, queue="nodes")
    reply = await bus.request(f"{name}.shout", b"hello", headers={"h": "1"})
    assert (reply.data, reply.headers["seen"]) == (b"HELLO", "1")
    await subscription.close()
    with pytest.raises(ServiceUnavailable):
        await bus.request(f"{name}.shout", b"anyone?", timeout=1)


async def test_request_carries_remote_aws_errors_back(bus: Bus, name: str) -> None:
    async def failing(envelope: Envelope) -> bytes:
        if envelope.data == b"missing":
            raise ResourceNotFound("Function not found: f", fields={"Type": "User"})
        raise RuntimeError("boom")

    subscription = await bus.subscribe(name, failing)
    with pytest.raises(AwsError) as missing:
        await bus.request(name, b"missing")
    assert (missing.value.code, missing.value.status, missing.value.message, missing.value.fields) == (
        "ResourceNotFoundException",
        404,
        "Function not found: f",
        {"Type": "User"},
    )
    with pytest.raises(AwsError) as crashed:
        await bus.request(name, b"crash")
    assert (crashed.value.code, crashed.value.status) == ("InternalFailure", 500)
    await subscription.close()


async def test_handlers_run_concurrently(bus: Bus, name: str) -> None:
    release = asyncio.Event()

    async def handler(envelope: Envelope) -> bytes:
        if envelope.data == b"wait":
            await release.wait()
        else:
            release.set()
        return envelope.data

    subscription = await bus.subscribe(name, handler)
    waiting = asyncio.create_task(bus.request(name, b"wait"))
    assert (await bus.request(name, b"go")).data == b"go"  # answered while "wait" is still running
    assert (await waiting).data == b"wait"
    await subscription.close()


async def test_send_reaches_current_subscribers(bus: Bus, name: str) -> None:
    received: asyncio.Queue[Envelope] = asyncio.Queue()

    async def collect(envelope: Envelope) -> None:
        await received.put(envelope)

    subscription = await bus.subscribe(f"{name}.*", collect)
    await bus.send(f"{name}.x", b"note", headers={"a": "b"})
    envelope = await asyncio.wait_for(received.get(), 5)
    assert (envelope.subject, envelope.data, envelope.headers, envelope.reply_to) == (
        f"{name}.x",
        b"note",
        {"a": "b"},
        "",
    )
    await subscription.close()


async def test_health(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    await bus.publish(name, b"x" * 100)
    health = await bus.health()
    assert health.connected and health.jetstream
    assert health.server_version == "2.15.1"
    assert health.storage_bytes is not None and health.storage_bytes >= 100
    assert health.streams is not None and health.streams >= 1
    assert health.rtt_ms is not None and health.rtt_ms > 0


async def test_connect_to_nothing_is_service_unavailable() -> None:
    with pytest.raises(ServiceUnavailable, match="cannot connect"):
        await Bus.connect("nats://127.0.0.1:1", timeout=0.3)
