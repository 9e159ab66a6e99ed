"""JetStream limits of the embedded server: each stream has a max_bytes, a full one refuses, the account a total."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.bus.connection import Bus
from overcast.bus.limits import DEFAULT_LIMITS, JetStreamLimits, MiB
from overcast.bus.server import EmbeddedNats
from overcast.config import load_settings
from overcast.errors import InvalidParameterValue, ServiceUnavailable
from tests.bus.embedded import connected

# Four 1 MiB streams fill the account's file storage; two fill its memory storage. A stream of accepted work
# (Bus.message_stream_bytes) may hold 2 MiB.
LIMITS = JetStreamLimits(store_bytes=4 * MiB, memory_bytes=2 * MiB, stream_bytes=MiB, message_bytes=2 * MiB)


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[EmbeddedNats]:
    async with EmbeddedNats(tmp_path, limits=LIMITS) as server:
        yield server


@pytest.fixture
async def bus(small: EmbeddedNats) -> AsyncIterator[Bus]:
    connection = await connected(small)
    yield connection
    await connection.close()


async def test_a_full_stream_refuses_the_publish_and_keeps_what_it_has(bus: Bus) -> None:
    state = await bus.ensure_stream("FULL", ["full"])
    assert state.max_bytes == MiB
    chunk = b"x" * (100 * 1024)
    stored = 0
    with pytest.raises(ServiceUnavailable, match=r"maximum bytes exceeded \(JetStream error 10077\)"):
        for _ in range(20):  # 2 MB: twice the stream's limit
            await bus.publish("full", chunk)
            stored += 1
    state = await bus.stream_state("FULL")
    assert 0 < stored < 11 and state.messages == stored and state.first_sequence == 1  # nothing dropped
    assert state.bytes <= MiB


async def test_kv_buckets_are_bounded_too(bus: Bus) -> None:
    kv = await bus.kv("BOUNDED")
    await kv.put("k", b"v")
    assert (await bus.stream_state("KV_BOUNDED")).max_bytes == MiB


async def test_a_stream_may_not_ask_for_more_than_its_ceiling(bus: Bus) -> None:
    # The ceiling is the largest a stream of accepted work may hold (2 MiB here).
    with pytest.raises(InvalidParameterValue, match="max bytes exceeds account limit"):
        await bus.ensure_stream("GREEDY", ["greedy"], max_bytes=2 * MiB + 1)
    assert (await bus.ensure_stream("MODEST", ["modest"], max_bytes=MiB // 2)).max_bytes == MiB // 2


async def test_the_server_refuses_a_stream_without_max_bytes(small: EmbeddedNats) -> None:
    assert small.url is not None
    unbounded = await Bus.connect(small.url, credentials=small.credentials)  # no stream_max_bytes to give
    try:
        with pytest.raises(InvalidParameterValue, match="requires a stream config to have max bytes set"):
            await unbounded.ensure_stream("UNBOUNDED", ["unbounded"])
    finally:
        await unbounded.close()


async def test_the_account_s_total_bounds_file_and_memory_storage(bus: Bus) -> None:
    # nats-server reserves each stream's max_bytes against the account's total.
    for i in range(4):
        await bus.ensure_stream(f"F{i}", [f"f{i}"])
    with pytest.raises(ServiceUnavailable, match="insufficient storage resources"):
        await bus.ensure_stream("F4", ["f4"])
    for i in range(2):
        await bus.ensure_stream(f"M{i}", [f"m{i}"], storage="memory")
    with pytest.raises(ServiceUnavailable, match="insufficient memory resources"):
        await bus.ensure_stream("M2", ["m2"], storage="memory")
    health = await bus.health()
    assert health.streams == 6
    await bus.delete_stream("F0")  # deleting a stream gives its reservation back
    await bus.ensure_stream("F4", ["f4"])


def test_the_settings_default_to_the_bus_s_default_limits() -> None:
    settings = load_settings(env={})
    limits = JetStreamLimits.of(settings)
    assert limits == DEFAULT_LIMITS
    # full-size streams the defaults hold beside the three of accepted work (SQS, LAMBDA_ASYNC, SNS_DELIVERY)
    assert (limits.store_bytes - 3 * limits.message_bytes) // limits.stream_bytes == 40


async def test_a_stream_of_accepted_work_holds_more_than_any_other(bus: Bus) -> None:
    assert bus.message_stream_bytes == 2 * MiB
    state = await bus.ensure_stream("WORK", ["work"], retention="workqueue", max_bytes=bus.message_stream_bytes)
    assert state.max_bytes == 2 * MiB
    chunk = b"x" * (100 * 1024)
    for _ in range(15):  # 1.5 MB: more than a default stream's 1 MiB
        await bus.publish("work", chunk)
    assert (await bus.stream_state("WORK")).messages == 15
